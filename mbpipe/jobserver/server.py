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
import gc
import os
import select
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
from collections.abc import Callable
from pathlib import Path

from mbpipe.jobserver.client import ADDRESS_VARIABLE, LENGTH_BYTES, PASSED_FDS, decode_request

STARTUP_TIMEOUT_S = 60
# Snakemake starts the jobs that are ready one after another, milliseconds apart: a server that has had
# no job for this long, once jobs have come, is between such bursts and does what it put off then.
QUIET_S = 0.2


def start(python: str, environment: dict[str, str], programs: list[str]) -> subprocess.Popen | None:
    """Start a server for this process's jobs and tell them where it listens.  *environment* is what
    every job's command sets (see mbpipe/run/jobs.py); the server starts up each of *programs* once.
    Returns the server, or None (with a warning; the jobs then work in their own processes) if it did
    not come up."""
    address = Path(tempfile.mkdtemp(prefix=_folder_prefix())) / "jobs.sock"
    server = subprocess.Popen(
        [python, "-m", "mbpipe", "serve", str(address), "--parent", str(os.getpid()), "--programs", *programs],
        env={**os.environ, **environment},
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


def serves_this_process() -> bool:
    """Whether this process started a server that is still listening (`mbpipe run` starts one before
    Snakemake reads the workflow)."""
    address = os.environ.get(ADDRESS_VARIABLE)
    return bool(address) and Path(address).parent.name.startswith(_folder_prefix()) and Path(address).is_socket()


def _folder_prefix() -> str:
    return f"mbpipe-{os.getpid()}-"


def stop(server: subprocess.Popen, address: Path) -> None:
    """Stop the server (it stops the work still running in it) and remove its socket."""
    os.environ.pop(ADDRESS_VARIABLE, None)
    if server.poll() is None:
        server.terminate()
        server.wait()
    shutil.rmtree(address.parent, ignore_errors=True)


def serve(
    address: Path,
    parent: int,
    dispatch: Callable[..., int],
    warm_up: Callable[[], None],
    when_idle: Callable[[], None] | None = None,
) -> None:
    """Listen at *address* until process *parent* ends or this process is terminated; each job runs
    ``dispatch(argv, runner="job-server")`` in a forked child.  *warm_up* does, once, what every job
    would otherwise do first; *when_idle* does, the first time no job has come for a moment after
    the first jobs, what only later jobs need.  Neither may leave threads behind (OpenMP, BLAS or
    CUDA state does not survive a fork).  The socket's folder goes with the server, also when
    Snakemake was killed."""
    try:
        with _Server(str(address), _Job) as server:
            server.dispatch = dispatch
            warm_up()
            # What the warm-up loaded stays for good: no garbage collection in a forked child (or at
            # the server's exit) walks it again, and the children's pages stay shared with the server.
            gc.freeze()
            signal.signal(signal.SIGTERM, server.terminate)
            while os.getppid() == parent:
                if when_idle and server.jobs_taken and not _job_arrives(server, within_s=QUIET_S):
                    when_idle()
                    when_idle = None
                    gc.freeze()
                server.handle_request()
    finally:
        shutil.rmtree(address.parent, ignore_errors=True)


def _job_arrives(server: socketserver.BaseServer, within_s: float) -> bool:
    """Whether a job is waiting to be taken, or connects within *within_s*."""
    return bool(select.select([server], [], [], within_s)[0])


class _Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    # Snakemake bounds the number of jobs; these only have to let them all through.
    request_queue_size = 1024
    max_children = 1 << 16
    timeout = 1.0  # how often the loop looks whether Snakemake is still there
    jobs_taken = 0

    def process_request(self, request, client_address):
        self.jobs_taken += 1
        super().process_request(request, client_address)

    def terminate(self, signum, frame):
        for child in self.active_children or ():
            os.kill(child, signal.SIGTERM)
        raise SystemExit(128 + signum)


class _Job(socketserver.BaseRequestHandler):
    """In a forked child: one job's `mbpipe` command, with the job's stdout and stderr."""

    def handle(self):
        length, fds, _, _ = socket.recv_fds(self.request, LENGTH_BYTES, len(PASSED_FDS))
        with self.request.makefile("rb") as stream:
            argv, cwd, environment, umask = decode_request(stream.read(int.from_bytes(length, "big")))
        for fd, job_fd in zip(fds, PASSED_FDS, strict=True):
            os.dup2(fd, job_fd)
        os.chdir(cwd)
        # The job's environment (its TMPDIR from Snakemake's tmpdir resource, the user's settings),
        # less the server's address: the work happens here.
        os.environb.clear()
        os.environb.update(environment)
        os.environ.pop(ADDRESS_VARIABLE, None)
        os.umask(umask)
        tempfile.tempdir = None
        # Terminated (by the server, or because the job went away): stop the program, write nothing.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        finished = threading.Event()
        threading.Thread(target=self._stop_if_job_ends, args=(finished,), daemon=True).start()
        try:
            status = self.server.dispatch(argv, runner="job-server")
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
