"""A time limit for one fragment calculation, on a workstation as under a cluster's scheduler.

A cluster's scheduler stops a job past its `runtime`; a local run has no scheduler, and a program that
hangs (an SCF that oscillates through a large `max_cycle`, a stuck MPI rank) would hold it forever.
The calculation runs in a forked child that leads a process group of its own, so that the program
QCEngine starts, and whatever that starts, are in it; past the limit the whole group is stopped.  A
warm worker of the job server (mbpipe/jobserver/workers.py) leads such a group already: it calculates
in its own process, and past the limit stops its group, itself included.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable

# Seconds a stopped group has to end on SIGTERM (programs clean their scratch) before SIGKILL.
GRACE_S = 5.0


def time_limit_s(configured_s: float | None, runtime_minutes: int, attempt: int) -> float:
    """The limit for this attempt: the config's `fragment_time_limit_s` times the attempt number, or,
    without one, the wall time a cluster run asks its scheduler for (cost model, times a safety factor
    and the attempt; mbpipe/batch/bundle.py)."""
    return configured_s * attempt if configured_s else 60.0 * runtime_minutes


def call_with_time_limit(work: Callable[[], bool], limit_s: float) -> bool | None:
    """``work()`` in a forked child of its own process group: its answer, or None when it ran past
    *limit_s* seconds and the group (the child and every process it started) was stopped.  The group
    is stopped too when this process is terminated while it waits."""
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 2
        try:
            os.setpgid(0, 0)
            status = 0 if work() else 1
        except SystemExit as stopped:  # terminated (the handler below, inherited)
            status = stopped.code if isinstance(stopped.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    try:
        os.setpgid(pid, pid)  # also here: no signal may reach the group before the child has made it
    except (PermissionError, ProcessLookupError):
        pass  # the child made it already, or has ended
    terminated = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        status = _wait(pid, limit_s)
        if status is None:
            return None
        return os.waitstatus_to_exitcode(status) == 0
    finally:
        signal.signal(signal.SIGTERM, terminated)
        _stop_group(pid)


def call_with_time_limit_here(work: Callable[[], bool], limit_s: float, before_kill: Callable[[], None]) -> bool | None:
    """``work()`` in this process, which leads its process group (a warm worker): its answer, or None
    when it ran past *limit_s* seconds and the group was sent SIGTERM.  Should this process not have
    ended the work after the grace time (a program that returns to Python only at its end), a thread
    of its own calls *before_kill* (to write what None would have led to) and sends SIGKILL.  This
    process is not to work on after None."""
    finished, stopping = threading.Event(), threading.Event()

    def watch():
        if finished.wait(limit_s):
            return
        stopping.set()
        os.killpg(os.getpgrp(), signal.SIGTERM)
        if not finished.wait(GRACE_S):
            before_kill()
            os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()
    try:
        return work()
    except SystemExit:  # terminated: by the watch, or because the job went away
        if not stopping.is_set():
            raise
        return None
    finally:
        # Also when the work failed: no watch outlives it.  A SIGTERM the watch sent just now ends
        # this process once the answer is given.
        finished.set()


def _wait(pid: int, limit_s: float) -> int | None:
    """The child's wait status, or None once *limit_s* seconds have passed without it ending."""
    deadline = time.monotonic() + limit_s
    fd = os.pidfd_open(pid)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if select.select([fd], [], [], left)[0]:
                return os.waitpid(pid, 0)[1]
    finally:
        os.close(fd)


def _stop_group(pgid: int) -> None:
    """SIGTERM to every process of the group, SIGKILL to what is left after the grace time; the
    child's exit collected."""
    for sig, grace in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.05)
    try:
        os.waitpid(pgid, 0)
    except ChildProcessError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # the child itself, ended but not yet collected, still counts as a member: collect it
    try:
        os.waitpid(pgid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True
