"""Handing a rule's `mbpipe` command to the run's job server (mbpipe/jobserver/server.py).

Every job runs this first, as a script of its own (`python -S .../client.py COMMAND ...`, see
mbpipe/run/jobs.py): it imports nothing beyond the standard library's basics, and without Python's
`site` start-up (the virtual environment's path hooks) it is running in about 10 ms instead of 45 ms.
"""

from __future__ import annotations

import json
import os
import socket
import sys

# The socket of the job server of the Snakemake that started this job; jobs inherit the variable.
ADDRESS_VARIABLE = "MBPIPE_JOB_SERVER"
# The commands the workflow's rules run; the others are for people and always run in their own process.
RULE_COMMANDS = {"fragment", "gate", "level", "assemble", "verify", "report", "fragment-table", "geometries"}


def hand_over(argv: list[str]) -> int | None:
    """Run the `mbpipe` command *argv* in this run's job server; its exit status, or None when it is
    not a rule's command or there is no server to hand it to."""
    address = os.environ.get(ADDRESS_VARIABLE)
    if not address or not argv or argv[0] not in RULE_COMMANDS:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(address)
    except OSError:
        connection.close()
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = {"argv": argv, "cwd": os.getcwd(), "environment": dict(os.environ), "umask": umask}
    with connection:
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(connection, [b"\0"], [1, 2])
        connection.sendall(json.dumps(request).encode() + b"\n")
        status = connection.recv(1)
    if not status:
        print(f"mbpipe {' '.join(argv)}: ended without an exit status (its process was killed)", file=sys.stderr)
        return 1
    return status[0]


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
