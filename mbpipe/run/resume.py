"""Picking a run up after Snakemake was killed: its lock, and the fragments it had not yet recorded.

A killed Snakemake leaves its lock in ``.snakemake/locks`` (so the rerun refuses to start; see
lock_holder for when mbpipe removes it) and marks
every job it had started as incomplete (so ``--rerun-incomplete`` deletes and recomputes it).  A
fragment job may have finished writing its result in the moment before Snakemake was killed; that
result is whole (it was written under a temporary name and renamed) and is kept, not recomputed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mbpipe.monitor.snakemake_state import is_locked, started_outputs
from mbpipe.run.lock_holder import holders, is_gone


def unlock_if_stale(snakemake_command: list[str], workdir: Path, config: Path) -> None:
    """Remove the lock of a Snakemake that provably no longer runs in *workdir* (see lock_holder),
    and keep the whole fragment results it had not recorded as finished.  Any other lock is left
    alone, with a message naming its holder and the command that removes it; Snakemake then refuses
    to start, as it should."""
    if not is_locked(workdir):
        return
    found = holders(workdir)
    states = [is_gone(holder) for holder in found]
    if found and all(states):
        print(f"mbpipe: removing the lock left in {workdir} by a Snakemake that is no longer running", file=sys.stderr)
        _unlock(snakemake_command, workdir)
        return
    force = f"mbpipe run {config} --unlock"
    if not found:
        print(
            f"mbpipe: {workdir} is locked by a Snakemake that left no record of itself (it stopped before it "
            f"started its jobs, or another workflow runs here); if no Snakemake runs here, run `{force}`, "
            "then the same command again",
            file=sys.stderr,
        )
    for holder, gone in zip(found, states, strict=True):
        if gone is False:
            print(f"mbpipe: a Snakemake is running in {workdir} ({holder.describe()}); not unlocking", file=sys.stderr)
        elif gone is None:
            print(
                f"mbpipe: {workdir} is locked by a Snakemake on another host ({holder.describe()}); this host "
                f"cannot see whether it still runs. If it does not (its node went down), run `{force}`, then "
                "the same command again",
                file=sys.stderr,
            )


def _unlock(snakemake_command: list[str], workdir: Path) -> None:
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
    """Output files Snakemake's record marks incomplete (started, not seen to finish)."""
    return [Path(path) for path in started_outputs(workdir)]
