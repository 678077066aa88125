"""One job as the job server receives it, and the job's own surroundings for its work.

A job (mbpipe/run/jobs.py, through mbpipe/jobserver/client.py) sends its request's length with its
stdout and stderr attached, then the request: its command, working directory, environment and umask.
The work runs in the job's surroundings, in a child forked for it or in a warm worker
(mbpipe/jobserver/workers.py) that goes back to its own surroundings afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mbpipe.jobserver.client import ADDRESS_VARIABLE, LENGTH_BYTES, PASSED_FDS, decode_request


@dataclass
class Job:
    """A job's request as it came, the file descriptors it passed (its stdout and stderr), and its
    command (decoded once: the server routes the job by it)."""

    request: bytes
    fds: list[int]
    argv: list[str]

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


def receive(connection: socket.socket, extra_fds: int = 0) -> tuple[Job, list[int]]:
    """The job that *connection* brings, and the *extra_fds* descriptors passed ahead of the job's own."""
    try:
        length, fds, _, _ = socket.recv_fds(connection, LENGTH_BYTES, extra_fds + len(PASSED_FDS))
    except OSError:
        raise ConnectionError("the job went away before it sent its request") from None
    try:
        if len(length) < LENGTH_BYTES or len(fds) != extra_fds + len(PASSED_FDS):
            raise ConnectionError("the job went away before it sent its request")
        size, request = int.from_bytes(length, "big"), bytearray()
        while len(request) < size:
            chunk = connection.recv(size - len(request))
            if not chunk:
                raise ConnectionError("the job went away while it sent its request")
            request += chunk
        request = bytes(request)
        # one that does not decode is refused here, not where it is run
        job = Job(request, fds[extra_fds:], decode_request(request)[0])
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        raise ConnectionError("the job's request was cut short") from None
    return job, fds[:extra_fds]


def forward(job: Job, to: socket.socket, extra_fds: list[int]) -> None:
    """Pass *job* on as its client sent it, *extra_fds* ahead of its own descriptors (see receive)."""
    header = len(job.request).to_bytes(LENGTH_BYTES, "big")
    socket.send_fds(to, [header], [*extra_fds, *job.fds])
    to.sendall(job.request)


@contextmanager
def surroundings(job: Job) -> Iterator[list[str]]:
    """The job's stdout and stderr, working directory, environment (the one the job's Snakemake runs in:
    its TMPDIR, the user's settings; less the server's address: the work happens here) and umask, for
    the work inside; this process's own again afterwards.  Yields the job's command."""
    argv, cwd, environment, umask = decode_request(job.request)
    own_fds = [os.dup(fd) for fd in PASSED_FDS]
    own_cwd, own_environment, own_umask = os.getcwd(), dict(os.environb), os.umask(umask)
    try:
        for fd, job_fd in zip(job.fds, PASSED_FDS, strict=True):
            os.dup2(fd, job_fd)
        os.chdir(cwd)
        os.environb.clear()
        os.environb.update(environment)
        os.environ.pop(ADDRESS_VARIABLE, None)
        tempfile.tempdir = None
        yield argv
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, job_fd in zip(own_fds, PASSED_FDS, strict=True):
            os.dup2(fd, job_fd)
            os.close(fd)
        os.chdir(own_cwd)
        os.environb.clear()
        os.environb.update(own_environment)
        os.umask(own_umask)
        tempfile.tempdir = None


def run(dispatch: Callable[..., int], argv: list[str], runner: str) -> int:
    """``dispatch(argv, runner=runner)``: its exit status, as Python reports it at the top level."""
    try:
        return dispatch(argv, runner=runner) & 0xFF
    except SystemExit as stopped:
        if stopped.code is None or isinstance(stopped.code, int):
            return (stopped.code or 0) & 0xFF
        print(stopped.code, file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


@contextmanager
def stopped_if_the_job_goes(connection: socket.socket, stop: Callable[[], None]) -> Iterator[None]:
    """Calls *stop* (from a thread of its own) if the job goes away before the work inside is done:
    the job sends nothing more, so its connection reads empty only once the job has gone."""
    finished = threading.Event()

    def watch():
        try:
            gone = not connection.recv(1)
        except OSError:
            gone = True
        if gone and not finished.is_set():
            stop()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()


def terminate_this_process() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
