"""What Snakemake's own bookkeeping in ``.snakemake/`` says about a working directory: which outputs
jobs have started but not finished, and whether its lock is there (who holds it: mbpipe/run/lock_holder.py).

Read from Snakemake's default (file) persistence: an incomplete marker per started output, named by
the URL-safe base64 of its path and split into folders prefixed ``@`` where the name would be too
long; the marker's modification time is when the job started.  With ``--persistence-backend db``
there are no such files and nothing is reported as running.
"""

from __future__ import annotations

import base64
from pathlib import Path

STATE_DIR = ".snakemake"


def started_outputs(workdir: Path) -> dict[str, float]:
    """Output path (as the workflow names it, relative to *workdir*) -> start time (epoch seconds)
    of every job Snakemake has started and not seen finish."""
    root = Path(workdir) / STATE_DIR / "incomplete"
    started = {}
    for marker in root.rglob("*") if root.is_dir() else ():
        if marker.is_dir() or marker.name.startswith("@") or marker.name == "migration_underway":
            continue
        parts = [p.removeprefix("@") for p in marker.relative_to(root).parts]
        try:
            path = base64.urlsafe_b64decode("".join(parts)).decode()
        except ValueError:
            continue
        started[path] = marker.stat().st_mtime
    return started


def is_locked(workdir: Path) -> bool:
    """Whether a Snakemake lock is in *workdir*: a Snakemake runs there, or one was killed."""
    locks = Path(workdir) / STATE_DIR / "locks"
    return locks.is_dir() and any(locks.glob("*.lock"))
