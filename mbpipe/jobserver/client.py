"""Handing a rule's `mbpipe` command to the run's job server (mbpipe/jobserver/server.py).

Every job runs this first, as a script of its own (`python -S .../client.py COMMAND ...`, see
mbpipe/run/jobs.py): it imports nothing beyond the standard library's C basics, and skips Python's
`site` start-up (the virtual environment's path hooks): about 15 ms of CPU per job instead of 60.
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
# Ahead of the request: its length, and the job's stdout and stderr (passed as file descriptors).
LENGTH_BYTES = 8
PASSED_FDS = (1, 2)


def hand_over(argv: list[str]) -> int | None:
    """Run the `mbpipe` command *argv* in this run's job server; its exit status, or None when it is
    not a rule's command or there is no server to hand it to."""
    address = os.environ.get(ADDRESS_VARIABLE)
    if not address or not argv or argv[0] not in RULE_COMMANDS:
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(address)
    except OSError:
        connection.close()
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = encode_request(argv, os.getcwdb(), dict(os.environb), umask)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        fds = (_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", PASSED_FDS))
        connection.sendmsg([len(request).to_bytes(LENGTH_BYTES, "big")], [fds])
        connection.sendall(request)
        status = connection.recv(1)
    finally:
        connection.close()
    if not status:
        print(f"mbpipe {' '.join(argv)}: ended without an exit status (its process was killed)", file=sys.stderr)
        return 1
    return status[0]


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


def main() -> None:
    """A rule's `mbpipe` command: handed to the server, or, without one, `python -m mbpipe` in this
    process's place (with `site`, which finds mbpipe)."""
    argv = sys.argv[1:]
    status = hand_over(argv)
    if status is None:
        os.execv(sys.executable, [sys.executable, "-m", "mbpipe", *argv])
    raise SystemExit(status)


if __name__ == "__main__":
    main()
