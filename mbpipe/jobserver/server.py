"""A warm process that runs the jobs of one Snakemake: QCEngine started once, not once per job.

A fresh Python per fragment spends about 2.5 s before its calculation starts (importing QCEngine,
QCEngine's survey of the CPU, the QC program's version probe): longer than a small fragment itself,
and the gate and assembly jobs pay the same imports.  The Snakemake that runs the jobs (a local
run's, or a cluster submission's own) starts this server once; it does that work once, and every rule's
`mbpipe` command hands its work over a Unix socket: a fragment calculation to one of the server's
warm workers (mbpipe/jobserver/workers.py), any other work to a child forked from it.  The job still owns what
it always owned: its output goes to the job's own log (the job passes its stdout and stderr), the work
sees the job's environment and working directory, the job's exit status is the work's, and killing the
job stops the work.  A job that finds no server does the work in its own process.

The commands that close a run (assembly, verification, report) read the report's libraries, pandas and
matplotlib (0.5-0.7 s to import).  Once warm, the server forks a closing server that imports them
beside it, on a socket of its own, while the first fragments run: the server itself never stops taking
jobs for them.
"""

from __future__ import annotations

import atexit
import contextlib
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
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from mbpipe.jobserver.client import ADDRESS_VARIABLE, closing_address
from mbpipe.jobserver.job import Job, receive, run, stopped_if_the_job_goes, surroundings, terminate_this_process
from mbpipe.jobserver.workers import WarmWorkers, collected
from mbpipe.pipeline.time_limit import GRACE_S

# Seconds a server has to end when stopped: its workers' grace time, and as long again.
STOP_TIMEOUT_S = 2 * GRACE_S
# Seconds a job's client may take to send its request once connected.
REQUEST_TIMEOUT_S = 5.0


def start(
    python: str, environment: dict[str, str], programs: list[str], closing: bool = True
) -> subprocess.Popen | None:
    """Start a server for this process's jobs and tell them where it listens.  *environment* is what
    every job's command sets (see mbpipe/run/jobs.py); the server starts up each of *programs* once, and
    with *closing* a closing server beside it (a cluster job's Snakemake runs no closing command).
    The socket listens before the server's Python starts, so nothing here waits for it: a job that
    comes while the server is still starting waits in the socket's queue, and once the server has
    ended (it could not start, or it failed) a job finds no one listening and works in its own
    process.  Returns the server, or None (with a warning) if its process could not be started."""
    address = Path(tempfile.mkdtemp(prefix=_folder_prefix())) / "jobs.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(address))
        listening.listen(_Server.request_queue_size)
        command = [python, "-m", "mbpipe", "serve", str(address), "--listening", str(listening.fileno())]
        if closing:
            command.append("--closing")
        try:
            server = subprocess.Popen(
                [*command, "--parent", str(os.getpid()), "--programs", *programs],
                env={**os.environ, **environment},
                pass_fds=[listening.fileno()],
            )
        except OSError as error:
            print(f"mbpipe: the job server did not start ({error}); each job starts its own Python", file=sys.stderr)
            shutil.rmtree(address.parent, ignore_errors=True)
            return None
    # Only the server holds the socket now: when it ends, nothing listens there any more.
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
    """Stop the server (it stops the work still running in it, its workers within their programs'
    grace time) and remove its socket; a server that has not ended by then is killed."""
    os.environ.pop(ADDRESS_VARIABLE, None)
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    shutil.rmtree(address.parent, ignore_errors=True)


def serve(
    address: Path,
    parent: int,
    dispatch: Callable[..., int],
    warm_up: Callable[[], None],
    closing_warm_up: Callable[[], None] | None = None,
    listening: int | None = None,
) -> None:
    """Listen at *address* until process *parent* ends or this process is terminated; each fragment
    job runs ``dispatch(argv, runner="warm-worker")`` in a warm worker (mbpipe/jobserver/workers.py),
    every other job ``dispatch(argv, runner="job-server")`` in a child forked for it.  *warm_up* does,
    once, what every job would otherwise do first.  With *closing_warm_up* (what only the commands that
    close a run need) a closing server forked once this one is warm does that, and then takes those
    commands (mbpipe.jobserver.client.CLOSING_COMMANDS) at its own socket beside *address*.  Neither
    warm-up may leave threads behind (OpenMP, BLAS or CUDA state does not survive a fork).  *listening*
    is the file descriptor of a socket already listening at *address* (see start); without it the
    server binds the address itself.  The socket's folder goes with the server, also when Snakemake was
    killed."""
    try:
        _serve(address, parent, dispatch, warm_up, closing_warm_up, listening)
    finally:
        shutil.rmtree(address.parent, ignore_errors=True)


def _serve(
    address: Path,
    parent: int,
    dispatch: Callable[..., int],
    warm_up: Callable[[], None],
    closing_warm_up: Callable[[], None] | None,
    listening: int | None,
) -> None:
    with _Server(str(address), _Job, listening) as server:
        server.dispatch = dispatch
        server.workers = WarmWorkers(dispatch, close_in_worker=server.socket.close)
        warm_up()
        # What the warm-up loaded stays for good: no garbage collection in a forked child (or at the
        # server's exit) walks it again, and the children's pages stay shared with the server.
        gc.freeze()
        closing = _start_closing_server(server, address, closing_warm_up) if closing_warm_up else None
        signal.signal(signal.SIGTERM, server.terminate)
        try:
            while os.getppid() == parent:
                server.serve_once()
        finally:
            server.workers.stop()
            if closing:
                _stop_closing_server(closing)


def _start_closing_server(server: _Server, address: Path, warm_up: Callable[[], None]) -> int | None:
    """Fork the closing server, which serves at its own socket beside *address* while *server* lives;
    its process id, or None where it could not start (its socket's path too long, no process left):
    the closing commands then come to *server*.  Its socket listens before the fork: a closing job
    that comes while it warms up waits in that socket's queue."""
    closing_socket = Path(closing_address(str(address)))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        try:
            listening.bind(str(closing_socket))
            listening.listen(_Server.request_queue_size)
            pid = os.fork()
        except OSError as error:
            print(f"mbpipe: no closing server ({error}); the job server runs the closing commands", file=sys.stderr)
            return None
        if pid == 0:
            status = 1
            try:
                # Once the server has ended, no one may be listening at its socket.
                server.socket.close()
                _serve(closing_socket, os.getppid(), server.dispatch, warm_up, None, listening.detach())
                status = 0
            except SystemExit as stopped:
                status = stopped.code if isinstance(stopped.code, int) else 1
            except KeyboardInterrupt:  # Ctrl-C reached the whole run, and the server stops it too
                status = 130
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)
    return pid


def _stop_closing_server(pid: int) -> None:
    """Stop the closing server with the work still running in it, as stop() stops a server."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while not collected(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
        time.sleep(0.01)


class _Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    # Snakemake bounds the number of jobs; these only have to let them all through.
    request_queue_size = 1024
    max_children = 1 << 16
    timeout = 1.0  # how often the loop looks whether Snakemake is still there
    jobs_taken = 0
    workers: WarmWorkers
    job: Job | None = None  # the job being handed to a forked child

    def __init__(self, address: str, handler: type[socketserver.BaseRequestHandler], listening: int | None):
        super().__init__(address, handler, bind_and_activate=listening is None)
        if listening is not None:
            self.socket.close()
            self.socket = socket.socket(fileno=listening)

    def serve_once(self) -> None:
        """Take a job that has come, hear from the workers, and stop the overdue ones."""
        wait_s = min(self.timeout, self.workers.seconds_to_next_deadline() or self.timeout)
        # The workers first: one that is ready again takes the next job, rather than a new one.
        readable, _, _ = select.select([*self.workers.sockets(), self], [], [], wait_s)
        for ready in readable:
            if ready is self:
                self.handle_request()
            else:
                self.workers.hear(ready)
        self.workers.kill_overdue()
        self.collect_children()

    def process_request(self, request, client_address):
        self.jobs_taken += 1
        # A job's client sends its whole request at once; one that stalls part-way is given up on
        # (it fails, and Snakemake retries it) rather than holding up every other job.
        request.settimeout(REQUEST_TIMEOUT_S)
        try:
            job, _ = receive(request)
        except ConnectionError:  # a timeout too
            self.shutdown_request(request)
            return
        request.settimeout(None)
        if job.argv[:1] and job.argv[0] in self.workers.commands:
            try:
                self.workers.take(request, job)
            finally:
                job.close()
                self.close_request(request)  # only this copy: the worker has the job's connection
            return
        self.job = job
        try:
            super().process_request(request, client_address)
        finally:
            self.job = None
            job.close()

    def terminate(self, signum, frame):
        for child in self.active_children or ():
            os.kill(child, signal.SIGTERM)
        raise SystemExit(128 + signum)


class _Job(socketserver.BaseRequestHandler):
    """In a forked child: one job's `mbpipe` command, in the job's surroundings."""

    def handle(self):
        self.server.workers.close_in_child()
        job = self.server.job
        # Terminated (by the server, or because the job went away): stop the program, write nothing.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        with stopped_if_the_job_goes(self.request, stop=terminate_this_process), surroundings(job) as argv:
            status = run(self.server.dispatch, argv, runner="job-server")
        self.request.sendall(bytes([status]))
