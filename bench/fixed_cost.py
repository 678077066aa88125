"""The fixed cost of a small run: from the command's start to its first calculation, plus from its
last calculation to its end, for `mbpipe run` and plain `snakemake`, with this machine's survey
cached (mbpipe/jobserver/machine_survey.py) and without.

Runs alternate over the four variants so that a slow spell of the machine hits each; every run is
in an empty folder (planning, Snakemake's start and the report included), the survey cache in a
folder of the benchmark's own (emptied before each uncached run).  Prints the medians side by side
and their ratios; the load average before and after.

    .venv/bin/python bench/fixed_cost.py                     # water-4 3-body nocp HF/6-31G, 2 cores, 3 repeats
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from itertools import product
from pathlib import Path

import common
from common import fixed_cost, machine, mbpipe_run_command, median, run_name, snakemake_command, timed, water_run

from mbpipe.base import layout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--nwaters", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    args = parser.parse_args()

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-fixed-cost-"))
    config = water_run(scratch, args.nwaters, bsse_type=("nocp",))
    name = run_name(config)
    cache = scratch / "cache"
    common.ENV["XDG_CACHE_HOME"] = str(cache)
    print(f"{name}, {args.cores} cores, {args.repeats} repeats; {machine()}; load {os.getloadavg()[0]:.2f}")
    # one run first, untimed: it fills the caches (the survey's, and matplotlib's font list)
    (scratch / "first").mkdir()
    warm = timed(mbpipe_run_command(config, args.cores), cwd=scratch / "first")
    if warm.returncode:
        sys.exit(f"mbpipe run failed:\n{warm.output[-3000:]}")
    variants = list(product(("mbpipe run", "snakemake"), ("cached", "surveyed")))
    costs: dict[tuple[str, str], list[tuple[float, float]]] = {variant: [] for variant in variants}
    energies = set()
    for repeat, (launcher, survey) in product(range(args.repeats), variants):
        if survey == "surveyed":
            shutil.rmtree(cache / "mbpipe", ignore_errors=True)
        workdir = scratch / f"{launcher.replace(' ', '-')}-{survey}-{repeat}"
        workdir.mkdir()
        if launcher == "mbpipe run":
            run = timed(mbpipe_run_command(config, args.cores), cwd=workdir)
        else:
            run = timed(snakemake_command(config, workdir, args.cores), cwd=workdir)
        if run.returncode:
            sys.exit(f"{launcher} failed:\n{run.output[-3000:]}")
        results = workdir / layout.RESULTS.format(name=name)
        records = [json.loads(path.read_text()) for path in (results / "fragments").glob("n*/*.json")]
        costs[launcher, survey].append(fixed_cost(run, records))
        energies.add(json_energy(results))
        print(f"  {launcher:10s} {survey:8s} wall {run.wall_s:6.2f} s, fixed {sum(costs[launcher, survey][-1]):.2f} s")
    print(f"load after: {os.getloadavg()[0]:.2f}; many-body energies identical across all runs: {len(energies) == 1}")
    print(f"{'median fixed cost (before + after)':40s} {'cached':>16s} {'surveyed':>16s} {'ratio':>6s}")
    for launcher in ("mbpipe run", "snakemake"):
        cells = []
        for survey in ("cached", "surveyed"):
            runs = costs[launcher, survey]
            before, after = median([run[0] for run in runs]), median([run[1] for run in runs])
            cells.append((before + after, f"{before:.2f} + {after:.2f} s"))
        print(f"{launcher:40s} {cells[0][1]:>16s} {cells[1][1]:>16s} {cells[1][0] / cells[0][0]:6.2f}")
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def json_energy(results: Path) -> str:
    """The assembled many-body energy, as written (exact text: identical runs give identical text)."""
    return repr(json.loads((results / "manybody.json").read_text())["return_result"])


if __name__ == "__main__":
    raise SystemExit(main())
