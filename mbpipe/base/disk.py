"""A full disk (or a used-up quota), told in one line: which folder, and that space must be freed
before the same command is run again.  Every file mbpipe writes appears whole or not at all
(mbpipe/base/jsonio.py), so nothing is left to clean up but the space itself."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# No space left on the device, or none left in the user's quota on it (a cluster's shared scratch).
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
# Less free space than this on the disk of a run that failed: the run failed for want of it.  A
# fragment's result is tens of kB, Snakemake's record of a job a few; a megabyte is a disk that is full.
NEARLY_FULL_BYTES = 1 << 20


def disk_full_error(error: BaseException | None) -> OSError | None:
    """The error among *error* and those it was raised from or while handling that says a disk, or a
    quota on it, is full; None if there is none."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError) and error.errno in DISK_FULL:
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def is_nearly_full(folder: str | os.PathLike) -> bool:
    """Whether the disk that holds *folder* has less than a megabyte free (for this user)."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES


def disk_full_message(folder: str | os.PathLike, number: int = errno.ENOSPC) -> str:
    """The line that tells a person the disk holding *folder* is full (*number*: ENOSPC or EDQUOT)."""
    return (
        f"mbpipe: {os.strerror(number).lower()} for {Path(folder).absolute()}: free space on its disk, then run "
        "the same command again (every result written so far is whole and is kept)"
    )


def folder_of(error: OSError) -> Path:
    """The folder of the file *error* names, or the working directory where it names none."""
    return Path(error.filename).parent if error.filename else Path.cwd()
