"""Picking a run up after Snakemake was killed: its lock, and the fragments it had not yet recorded.

A killed Snakemake leaves its lock in ``.snakemake/locks`` (so the rerun refuses to start) and marks
every job it had started as incomplete (so ``--rerun-incomplete`` deletes and recomputes it).  A
fragment job may have finished writing its result in the moment before Snakemake was killed; that
result is whole (it was written under a temporary name and renamed) and is kept, not recomputed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from base64 import urlsafe_b64decode
from pathlib import Path


def unlock_if_stale(snakemake_command: list[str], workdir: Path) -> None:
    """Remove the lock of a Snakemake that is no longer running in *workdir*, and keep the whole
    fragment results it had not recorded as finished.  A lock held by a live Snakemake is left alone
    (Snakemake then refuses to start, as it should)."""
    locks = workdir / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return
    live = running_snakemake(workdir)
    if live:
        print(f"mbpipe: Snakemake (pid {live[0]}) is running in {workdir}; not unlocking", file=sys.stderr)
        return
    print(f"mbpipe: removing the lock left in {workdir} by a Snakemake that is no longer running", file=sys.stderr)
    subprocess.run([*snakemake_command, "--unlock"], check=True, stdout=subprocess.DEVNULL)
    finished = finished_but_marked_incomplete(workdir)
    if finished:
        print(f"mbpipe: keeping {len(finished)} fragment results finished as it stopped", file=sys.stderr)
        # Snakemake clears the marks, then complains that these jobs recorded no metadata: expected here.
        subprocess.run(
            [*snakemake_command, "--cleanup-metadata", *map(str, finished)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        still_marked = set(finished) & set(marked_incomplete(workdir))
        if still_marked:
            print(f"mbpipe: Snakemake kept {len(still_marked)} marks; those fragments are recomputed", file=sys.stderr)


def running_snakemake(workdir: Path) -> list[int]:
    """Process ids of Snakemake processes (other than this one) working in *workdir* (Linux /proc):
    `snakemake`, `python -m snakemake`, and `mbpipe run`, which runs Snakemake in its own process."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if _runs_snakemake(cmdline) and cwd == workdir.resolve():
            pids.append(int(proc.name))
    return pids


def _runs_snakemake(cmdline: list[bytes]) -> bool:
    words = [Path(arg.decode(errors="replace")).name for arg in cmdline[:4]]
    return any("snakemake" in word for word in words[:3]) or any(
        word == "mbpipe" and following == "run" for word, following in zip(words, words[1:], strict=False)
    )


def finished_but_marked_incomplete(workdir: Path) -> list[Path]:
    """Fragment results that Snakemake marked incomplete but that are whole and belong to their input."""
    from mbpipe.pipeline.gate import check_fragment_result

    kept = []
    for result in marked_incomplete(workdir):
        # results/<name>/fragments/n<k>/<label>.json, <name> being <run>/<geometry> for many geometries
        parts = result.parts
        if len(parts) < 5 or parts[0] != "results" or parts[-3] != "fragments" or result.suffix != ".json":
            continue
        input_path = workdir / Path(*parts[:-3], "inputs", *parts[-2:])
        if (workdir / result).is_file() and input_path.is_file():
            if not isinstance(check_fragment_result(input_path, workdir / result), str):
                kept.append(result)
    return kept


def marked_incomplete(workdir: Path) -> list[Path]:
    """Output files Snakemake's file-based record marks incomplete: each marker's path is the
    url-safe base64 of the output path, split into '@'-prefixed pieces where too long for one name."""
    root = workdir / ".snakemake" / "incomplete"
    paths = []
    for marker in root.rglob("*"):
        if marker.is_dir() or marker.name == "migration_underway":
            continue
        encoded = "".join(part.lstrip("@") for part in marker.relative_to(root).parts)
        try:
            paths.append(Path(urlsafe_b64decode(encoded).decode()))
        except ValueError:
            continue
    return paths
