"""A warm process that runs the jobs of one Snakemake: QCEngine started once, not once per job.

A fresh Python per fragment spends about 2.5 s before its calculation starts (importing QCEngine,
QCEngine's survey of the CPU, the QC program's version probe): longer than a small fragment itself,
and the gate and assembly jobs pay the same imports.  The Snakemake that runs the jobs (a local
run's, or a cluster submission's own) starts this server once; it does that work once, and every rule's
`mbpipe` command hands its work over a Unix socket to a child forked from it.  The job still owns what
it always owned: its output goes to the job's own log (the job passes its stdout and stderr), the work
sees the job's environment and working directory, the job's exit status is the work's, and killing the
job stops the work.  A job that finds no server does the work in its own process.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from mbpipe.job_client import ADDRESS_VARIABLE

STARTUP_TIMEOUT_S = 60
# Where this process does its work: "job-server" in a forked child, else "job" (recorded in results).
runner = "job"


def start(python: str, checkout: Path, programs: list[str]) -> subprocess.Popen | None:
    """Start a server for this process's jobs and tell them where it listens.  Returns the server,
    or None (with a warning; the jobs then work in their own processes) if it did not come up."""
    address = Path(tempfile.mkdtemp(prefix="mbpipe-")) / "jobs.sock"
    # The fixed hash seed makes the forked calculations write the same input decks as the sequential
    # baseline (see MBPIPE in workflow/rules/common.smk).
    library_path = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": library_path}
    server = subprocess.Popen(
        [python, "-m", "mbpipe", "serve", str(address), "--parent", str(os.getpid()), "--programs", *programs],
        env=env,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not address.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            print("mbpipe: the job server did not start; each job starts its own Python", file=sys.stderr)
            stop(server, address)
            return None
        time.sleep(0.05)
    atexit.register(stop, server, address)
    os.environ[ADDRESS_VARIABLE] = str(address)
    return server


def stop(server: subprocess.Popen, address: Path) -> None:
    """Stop the server (it stops the work still running in it) and remove its socket."""
    os.environ.pop(ADDRESS_VARIABLE, None)
    if server.poll() is None:
        server.terminate()
        server.wait()
    shutil.rmtree(address.parent, ignore_errors=True)


def serve(address: Path, parent: int, programs: list[str]) -> None:
    """Listen at *address* until process *parent* ends or this process is terminated."""
    with _Server(str(address), _Job) as server:
        _warm_up(programs)
        signal.signal(signal.SIGTERM, server.terminate)
        while os.getppid() == parent:
            server.handle_request()


def _warm_up(programs: list[str]) -> None:
    """What every job would otherwise do first, done once for all the forked children."""
    import qcengine

    import mbpipe.assemble  # noqa: F401  (QCManyBody, for the gate, level and assembly jobs)
    import mbpipe.cli  # noqa: F401
    import mbpipe.fragment  # noqa: F401
    import mbpipe.gate  # noqa: F401

    qcengine.config.get_global()
    for name in programs:
        try:
            qcengine.get_program(name).get_version()
        except Exception:  # a program that is missing fails, with its own message, in each calculation
            pass


class _Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    # Snakemake bounds the number of jobs; these only have to let them all through.
    request_queue_size = 1024
    max_children = 1 << 16
    timeout = 1.0  # how often the loop looks whether Snakemake is still there

    def terminate(self, signum, frame):
        for child in self.active_children or ():
            os.kill(child, signal.SIGTERM)
        raise SystemExit(128 + signum)


class _Job(socketserver.BaseRequestHandler):
    """In a forked child: one job's `mbpipe` command, with the job's stdout and stderr."""

    def handle(self):
        global runner
        from mbpipe.cli import main

        _, fds, _, _ = socket.recv_fds(self.request, 1, 2)
        with self.request.makefile("rb") as stream:
            request = json.loads(stream.readline())
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(request["cwd"])
        # The job's environment (its TMPDIR from Snakemake's tmpdir resource, the user's settings),
        # less the server's address: the work happens here.
        os.environ.clear()
        os.environ.update(request["environment"])
        os.environ.pop(ADDRESS_VARIABLE, None)
        tempfile.tempdir = None
        runner = "job-server"
        # Terminated (by the server, or because the job went away): stop the program, write nothing.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        finished = threading.Event()
        threading.Thread(target=self._stop_if_job_ends, args=(finished,), daemon=True).start()
        try:
            status = main(request["argv"])
        except SystemExit as stopped:  # as Python reports it at the top level
            if stopped.code is None or isinstance(stopped.code, int):
                status = stopped.code or 0
            else:
                print(stopped.code, file=sys.stderr)
                status = 1
        except Exception:
            traceback.print_exc()
            status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        finished.set()
        self.request.sendall(bytes([status & 0xFF]))

    def _stop_if_job_ends(self, finished: threading.Event):
        """The job sends nothing more: the socket reads empty only once the job has gone."""
        if not self.request.recv(1) and not finished.is_set():
            os.kill(os.getpid(), signal.SIGTERM)
