"""Warm workers: processes that run one fragment calculation after another for the job server.

A child forked afresh for every calculation pays for it: its first touch of each page the server
shares with it copies that page, and what a program sets up on its first calculation (PySCF's basis
and integral tables, a GPU's context and compiled kernels) goes with the child.  A warm worker is
forked from the server once and takes fragment jobs until the run ends; the server starts one more
whenever a job finds every worker busy, so a run has as many as Snakemake runs calculations at once.

Between jobs a worker keeps nothing a result depends on: each job runs in the job's own stdout and
stderr, working directory, environment and umask (mbpipe/jobserver/job.py), with its threads held to
its cores and its memory given to the program, as in a fresh child; tests/test_warm_workers.py checks
that a worker's thousandth result is bit for bit its first.  A worker leads a process group of its
own, with the programs it starts: a job that goes away, or a calculation past its time limit
(mbpipe/pipeline/time_limit.py), stops that group, and the server replaces the worker; so does a
failed calculation, whose program may have left its state unusable.  A worker that has died or hangs
past its job's limit is killed by the server, and its job fails like any failed fragment (Snakemake
retries it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from mbpipe.jobserver import job as jobs
from mbpipe.pipeline.fragment import WARM_WORKER
from mbpipe.pipeline.time_limit import GRACE_S

# The command that warm workers take; the others (gate, assembly, report) are forked afresh.
COMMANDS = {"fragment"}
# MBPIPE_WARM_WORKERS=0 in the environment of the Snakemake that starts the server: every fragment
# calculation in a child forked afresh (bench/warm_workers.py compares the two).
SWITCH_VARIABLE = "MBPIPE_WARM_WORKERS"
# What a worker sends the server when it is ready for the next job.
READY = b"r"
# Past a job's time limit the worker stops its calculation, and after its programs' grace time itself;
# the server kills a worker whose job has run this much longer still (one stuck where no thread runs).
BACKSTOP_S = 2 * GRACE_S


@dataclass
class _Worker:
    pid: int
    control: socket.socket
    deadline: float | None = None  # while it has a job: when the server kills it


class WarmWorkers:
    """The server's workers: an idle one (or a new one) takes each fragment job."""

    def __init__(self, dispatch: Callable[..., int], close_in_worker: Callable[[], None]):
        self.commands = set() if os.environ.get(SWITCH_VARIABLE) == "0" else COMMANDS
        self._dispatch = dispatch
        self._close_in_worker = close_in_worker
        self._workers: dict[socket.socket, _Worker] = {}
        self._unreaped: list[int] = []  # ended workers not yet collected (stuck in the kernel a while)

    def take(self, connection: socket.socket, job: jobs.Job) -> None:
        """Hand *job*, which came over *connection*, to a worker."""
        idle = [worker for worker in self._workers.values() if worker.deadline is None]
        worker = idle[-1] if idle else self._start(inherited=[connection.fileno(), *job.fds])
        try:
            jobs.forward(job, worker.control, [connection.fileno()])
        except OSError:  # it ended while idle
            self._end(worker, signal.SIGKILL)
            self.take(connection, job)
            return
        worker.deadline = time.monotonic() + _time_limit_s(job.argv) + BACKSTOP_S

    def sockets(self) -> list[socket.socket]:
        """What the server listens to: a worker writes when it is ready again, and reads empty once ended."""
        return list(self._workers)

    def seconds_to_next_deadline(self) -> float | None:
        deadlines = [worker.deadline for worker in self._workers.values() if worker.deadline is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def hear(self, control: socket.socket) -> None:
        """A worker is ready again, or has ended."""
        worker = self._workers[control]
        try:
            ready = control.recv(1) == READY
        except OSError:
            ready = False
        if ready:
            worker.deadline = None
        else:
            self._end(worker, signal.SIGKILL)

    def kill_overdue(self) -> None:
        """Kill the workers stuck past their job's deadline, and collect those that have ended."""
        now = time.monotonic()
        for worker in list(self._workers.values()):
            if worker.deadline is not None and worker.deadline <= now:
                self._end(worker, signal.SIGKILL)
        self._unreaped = [pid for pid in self._unreaped if not collected(pid)]

    def close_in_child(self) -> None:
        """In a child forked for another job: the workers' sockets are the server's alone."""
        for control in self._workers:
            control.close()

    def stop(self) -> None:
        """Stop every worker and the programs they run: SIGTERM to all at once, SIGKILL to what is left
        after the programs' grace time (a calculation in compiled code sees SIGTERM only on its return)."""
        workers = list(self._workers.values())
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for worker in workers:
            while time.monotonic() < deadline and not collected(worker.pid):
                time.sleep(0.01)
            self._end(worker, signal.SIGKILL)

    def _end(self, worker: _Worker, sig: signal.Signals) -> None:
        """Signal the worker's whole group (what it started too), and collect it once it has ended
        (without waiting: a process in an uninterruptible call ends only when the call returns)."""
        del self._workers[worker.control]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, sig)
        worker.control.close()
        if not collected(worker.pid):
            self._unreaped.append(worker.pid)

    def _start(self, inherited: list[int]) -> _Worker:
        """A new worker, which closes the *inherited* descriptors (the job being handed out's) and
        everything else of the server's."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                ours.close()
                self._close_in_worker()
                for control in self._workers:
                    control.close()
                for fd in inherited:
                    os.close(fd)
                _work(theirs, self._dispatch)
            except SystemExit as ended:
                status = ended.code if isinstance(ended.code, int) else 1
            except BaseException:
                traceback.print_exc()
                status = 1
            finally:
                os._exit(status)
        theirs.close()
        try:
            os.setpgid(pid, pid)  # also here: the server may signal the group before the worker made it
        except (PermissionError, ProcessLookupError):
            pass
        worker = _Worker(pid, ours)
        self._workers[ours] = worker
        return worker


def _work(control: socket.socket, dispatch: Callable[..., int]) -> None:
    """The worker: jobs from *control*, one after another, until the server closes it or a job's
    work was stopped (then this process may hold half of what it did)."""
    os.setpgid(0, 0)
    stopped = []

    def on_terminate(signum, frame):
        stopped.append(signum)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    while True:
        try:
            job, (connection_fd,) = jobs.receive(control, extra_fds=1)
        except ConnectionError:
            return
        connection = socket.socket(fileno=connection_fd)
        try:
            with jobs.stopped_if_the_job_goes(connection, stop=_stop_group), jobs.surroundings(job) as argv:
                status = jobs.run(dispatch, argv, WARM_WORKER)
            _stop_what_the_job_left()
            # A failed calculation may have left its program's state unusable (a CUDA context after a
            # kernel fault): its worker is not used again.
            done = bool(stopped) or status != 0
            # Ready before the job hears its status: the job that Snakemake starts next finds this
            # worker idle, rather than a new one forked for it.
            if not done:
                control.sendall(READY)
            connection.sendall(bytes([status]))
        except OSError:  # the job has gone
            return
        finally:
            with contextlib.suppress(OSError):  # the job may have gone
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
            job.close()
        if done:
            return


def _stop_group() -> None:
    os.killpg(os.getpgrp(), signal.SIGTERM)


def _stop_what_the_job_left() -> None:
    """SIGTERM to the rest of this worker's group, processes a program left running, as a forked
    child's group was stopped after its calculation; the worker itself lets this one pass."""
    handler = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgrp(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, handler)


def collected(pid: int) -> bool:
    """Whether the child *pid* has ended and is collected now (or was before)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _time_limit_s(argv: list[str]) -> float:
    """The time limit a fragment command gives its calculation (the fragment rule always gives one)."""
    for option, value in zip(argv, argv[1:], strict=False):
        if option == "--time-limit-s":
            return float(value)
    return float("inf")
