"""Who holds a working directory's Snakemake lock, so that a lock is removed only when provably stale.

Snakemake's lock (files in ``.snakemake/locks``) says that a Snakemake works in a directory, not
which one or where.  When the run starts (its start hook, after Snakemake took the lock) mbpipe writes
a record beside the lock files: the host, the host's boot, the process and the process's start time.
Snakemake ignores the record and removes it with its lock.  A lock is stale when every record beside
it names a process that is gone: one on this host that no longer runs (or another process under its
number), or one from an earlier boot of this host.  A lock held from another host is never judged
stale: two login nodes of a cluster see one results folder, and neither sees the other's processes.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mbpipe.base.jsonio import write_json_atomic
from mbpipe.monitor.snakemake_state import STATE_DIR

LOCKS = Path(STATE_DIR) / "locks"
RECORD_PREFIX = "mbpipe-holder-"


@dataclass(frozen=True)
class Holder:
    host: str
    boot: str  # /proc/sys/kernel/random/boot_id: new at every boot of the host
    pid: int
    process_start: int  # the process's start time in clock ticks after boot (/proc/<pid>/stat)
    command: str
    started: str  # ISO time, for people

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}, started {self.started}: {self.command}"


def record_holder(workdir: Path) -> None:
    """Record this process as the holder of *workdir*'s Snakemake lock."""
    pid = os.getpid()
    holder = Holder(
        host=socket.gethostname(),
        boot=_boot_id(),
        pid=pid,
        process_start=_process_start(pid) or 0,
        command=" ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")).strip(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    locks = workdir / LOCKS
    write_json_atomic(locks / f"{RECORD_PREFIX}{holder.host}-{pid}.json", holder.__dict__)


def holders(workdir: Path) -> list[Holder]:
    """The recorded holders of *workdir*'s lock (none where the lock has no record)."""
    found = []
    for record in sorted((workdir / LOCKS).glob(f"{RECORD_PREFIX}*.json")):
        try:
            found.append(Holder(**json.loads(record.read_text())))
        except (OSError, ValueError, TypeError):
            continue
    return found


def is_gone(holder: Holder) -> bool | None:
    """True where *holder*'s process provably ended, False where it runs, None where this host cannot
    tell (the holder ran on another host)."""
    if holder.host != socket.gethostname():
        return None
    if holder.boot != _boot_id():
        return True
    return _process_start(holder.pid) != holder.process_start


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _process_start(pid: int) -> int | None:
    """The start time of process *pid* in clock ticks after boot; None where there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name, in parentheses, may hold spaces: count the fields after its closing one
    return int(stat[stat.rindex(")") + 2 :].split()[19])
