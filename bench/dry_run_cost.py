"""Snakemake's work per fragment job in a dry run, counted in instructions, this checkout against
another: a count that the machine's load does not move, where the wall time of the same dry run
moves by 20-30% from one run to the next on a shared VM.

For water-N 3-body nocp PM7 (no program runs), each checkout plans the run in a folder of its own;
then valgrind's callgrind counts the instructions of Snakemake reading the workflow (`--list-rules`)
and of its dry run (`-n`), both with Python's garbage collector off: when a full collection falls
depends on how much was allocated before it, and one collection more or less moves the total by more
than a change per job is worth. Per job: (dry run - reading) / jobs.

    .venv/bin/python bench/dry_run_cost.py --against /tmp/before    # e.g. a git worktree of an older commit
    .venv/bin/python bench/dry_run_cost.py --nwaters 12

At water-20 (1360 jobs) each dry run takes valgrind about 5 minutes; two counts run side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import REPO, machine, snakemake_args, total_jobs, water_run

# Snakemake's command line, run as `python -m snakemake` would run it, with the collector off
NO_GC_SNAKEMAKE = (
    "import gc, runpy, sys; gc.disable(); sys.argv[0] = 'snakemake'; "
    "runpy.run_module('snakemake', run_name='__main__', alter_sys=True)"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nwaters", type=int, default=20)
    parser.add_argument("--against", type=Path, help="another checkout of mbpipe, counted beside this one")
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-dry-run-cost-"))
    checkouts = [REPO, *([args.against.resolve()] if args.against else [])]
    runs = {checkout: _planned_run(checkout, scratch / str(i), args.nwaters) for i, checkout in enumerate(checkouts)}
    counts = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for checkout, config in runs.items():
            for step in ("--list-rules", "-n"):
                counts[checkout, step] = pool.submit(_counted, checkout, config, step)
    print(f"water-{args.nwaters} 3-body nocp PM7, Snakemake under callgrind, garbage collection off; {machine()}")
    print(f"{'commit':>10} {'jobs':>6} {'reading':>10} {'dry run':>10} {'per job':>9}  checkout")
    per_job = {}
    for checkout in checkouts:
        reading, _ = counts[checkout, "--list-rules"].result()
        dry_run, output = counts[checkout, "-n"].result()
        jobs = total_jobs(output)
        per_job[checkout] = (dry_run - reading) / jobs
        print(
            f"{_commit(checkout):>10} {jobs:>6} {reading / 1e9:>9.3f}G {dry_run / 1e9:>9.3f}G "
            f"{per_job[checkout] / 1e6:>8.2f}M  {checkout}"
        )
    if args.against:
        print(f"per job, this checkout / the other: {per_job[REPO] / per_job[checkouts[1]]:.3f}")
    if not args.scratch:
        shutil.rmtree(scratch)
    return 0


def _environment(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(checkout)}


def _planned_run(checkout: Path, folder: Path, nwaters: int) -> Path:
    """The run's config, planned by *checkout*'s own code in *folder*/run."""
    shutil.rmtree(folder, ignore_errors=True)
    config = water_run(folder, nwaters, program="mopac", method="pm7", basis=None)
    (folder / "run").mkdir()
    plan = [sys.executable, str(checkout / "bench" / "plan_only.py"), str(config)]
    subprocess.run(plan, cwd=folder / "run", env=_environment(checkout), check=True, capture_output=True)
    # The first reading of a plan also estimates each calculation's cost (for cluster bundles); what is
    # counted is a later one, as every rerun and dry run after the first reads it.
    first = [sys.executable, "-m", "snakemake", *_snakemake_args(checkout, config, "--list-rules")]
    subprocess.run(first, cwd=folder / "run", env=_environment(checkout), check=True, capture_output=True)
    return config


def _snakemake_args(checkout: Path, config: Path, step: str) -> list[str]:
    return snakemake_args(config, config.parent / "run", 2, step, snakefile=checkout / "workflow" / "Snakefile")


def _counted(checkout: Path, config: Path, step: str) -> tuple[int, str]:
    """Instructions of Snakemake's *step* on the planned run, and what Snakemake printed."""
    workdir = config.parent / "run"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/callgrind.out.%p",
        sys.executable, "-c", NO_GC_SNAKEMAKE, *_snakemake_args(checkout, config, step),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, env=_environment(checkout), capture_output=True, text=True)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not collected:
        sys.exit(f"snakemake {step} in {workdir} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return int(collected.group(1)), done.stdout + done.stderr


def _commit(checkout: Path) -> str:
    described = ["git", "-C", str(checkout), "describe", "--always", "--dirty"]
    return subprocess.run(described, capture_output=True, text=True).stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
