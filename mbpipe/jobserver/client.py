"""Handing a rule's `mbpipe` command to the run's job server (mbpipe/jobserver/server.py).

The workflow's rules hand their commands over from the Snakemake that runs the job
(mbpipe/run/jobs.py); `python -m mbpipe COMMAND ...` tries it first too, before it imports anything
else.  So this module imports nothing beyond the standard library's C basics.
"""

# The C module under `socket`: importing `socket` itself (its enums) and `json` doubled the client's
# start-up, paid by every job.
import _socket
import array
import os
import sys

# The socket of the job server of the Snakemake that started this job; jobs inherit the variable.
ADDRESS_VARIABLE = "MBPIPE_JOB_SERVER"
# The commands the workflow's rules run; the others are for people and always run in their own process.
RULE_COMMANDS = {"fragment", "gate", "level", "assemble", "verify", "report", "fragment-table", "geometries", "lattice"}
# The commands that close a run, which read the report's libraries: the server's closing server takes
# them (mbpipe/jobserver/server.py), at this socket beside the server's own.
CLOSING_COMMANDS = {"assemble", "verify", "report", "fragment-table", "geometries", "lattice"}
CLOSING_SOCKET = "closing.sock"
# Ahead of the request: its length, and the job's stdout and stderr (passed as file descriptors).
LENGTH_BYTES = 8
PASSED_FDS = (1, 2)


def hand_over(
    argv: list[str], output: tuple[int, int] = PASSED_FDS, environment: dict[bytes, bytes] | None = None
) -> int | None:
    """Run the `mbpipe` command *argv* in this run's job server, with the descriptors *output* as its
    stdout and stderr and this process's environment (*environment* added); its exit status, or None
    when it is not a rule's command, there is no server to hand it to, or the server ended before it
    took the job."""
    address = os.environ.get(ADDRESS_VARIABLE)
    if not address or not argv or argv[0] not in RULE_COMMANDS:
        return None
    # A closing command goes to the closing server, or to the server itself where there is none.
    addresses = (closing_address(address), address) if argv[0] in CLOSING_COMMANDS else (address,)
    connection = _connected(addresses)
    if connection is None:
        return None
    request = encode_request(argv, os.getcwdb(), {**os.environb, **(environment or {})}, _umask())
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        fds = (_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", output))
        connection.sendmsg([len(request).to_bytes(LENGTH_BYTES, "big")], [fds])
        connection.sendall(request)
        status = connection.recv(1)
    except (ConnectionResetError, BrokenPipeError):
        # The server ended with the request not read in full (a server still starting that failed):
        # the work has not begun anywhere.
        return None
    finally:
        connection.close()
    if not status:
        message = f"mbpipe {' '.join(argv)}: ended without an exit status (its process was killed)\n"
        os.write(output[1], message.encode())
        return 1
    return status[0]


def closing_address(address: str) -> str:
    """The closing server's socket, beside the server's own at *address*."""
    return os.path.join(os.path.dirname(address), CLOSING_SOCKET)


def _connected(addresses: tuple[str, ...]):
    """A connection to the first of *addresses* where a server listens; None if none does."""
    for address in addresses:
        connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            connection.connect(address)
            return connection
        except OSError:
            connection.close()
    return None


def _umask() -> int:
    """This process's umask, read without setting it: other threads may be creating files."""
    try:
        with open("/proc/self/status", "rb") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith(b"Umask:"))
    except (OSError, StopIteration):  # not Linux, or a kernel older than 4.7
        umask = os.umask(0)
        os.umask(umask)
        return umask


def encode_request(argv: list[str], cwd: bytes, environment: dict[bytes, bytes], umask: int) -> bytes:
    """The job as the server reads it (decode_request): NUL-separated, as no argument, path or
    environment entry can hold a NUL."""
    entries = [key + b"=" + value for key, value in environment.items()]
    return b"\0".join([cwd, b"%d" % umask, b"%d" % len(argv), *map(os.fsencode, argv), *entries])


def decode_request(request: bytes) -> tuple[list[str], bytes, dict[bytes, bytes], int]:
    """(argv, working directory, environment, umask) of a job's request."""
    cwd, umask, nargs, *rest = request.split(b"\0")
    argv, entries = rest[: int(nargs)], rest[int(nargs) :]
    environment = dict(entry.split(b"=", 1) for entry in entries if entry)
    return [os.fsdecode(arg) for arg in argv], cwd, environment, int(umask)
