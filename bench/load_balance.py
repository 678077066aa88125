"""How well the pipeline packs a level's calculations onto its cores: each level's wall time against the
longest-first schedule of the calculation times that level measured.

Runs `mbpipe run CONFIG --cores N` once in an empty folder and reads the fragment results' own
timestamps.  For each n-body level (its fragment folder `n{k}`): the span from its first calculation's
start to its last one's end, and the makespan of the longest-processing-time-first schedule of the
same calculations' wall times on N cores (each calculation in turn, longest first, to the core that
is free first: within 4/3 of the best schedule there is).  A ratio of 1.00 means the level ended as
soon as that schedule would have; levels of mixed costs (cp's calculations carry the whole cluster's
basis, nocp's only their own) show whether the cheap ones waited for the dear ones or filled around
them.  Also the run's wall time against the sum of its calculation times (the speedup over those
calculations run one after another, which is what the sequential computer's wall time is made of)
and the fixed cost.  With `--verify` the pipeline checks its result against QCManyBody's sequential
computer (1e-12 Eh) in its own verification rule; that runs every calculation again, one after
another.

    .venv/bin/python bench/load_balance.py --cores 2 --nwaters 5 --bsse nocp cp --method mp2 --basis '6-31g*' --verify
    python3 bench/load_balance.py --cores 16 --nwaters 10 --bsse nocp cp --method mp2 --basis '6-31g*'
"""

from __future__ import annotations

import argparse
import heapq
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml
from common import (
    add_expansion_arguments,
    calculation_window,
    fixed_cost,
    machine,
    mbpipe_run_command,
    run_name,
    timed,
    water_run_of,
)


def longest_first_makespan(times: list[float], cores: int) -> float:
    """The end of the last calculation when *times* go, longest first, each to the core free first."""
    free_at = [0.0] * cores
    for seconds in sorted(times, reverse=True):
        heapq.heappush(free_at, heapq.heappop(free_at) + seconds)
    return max(free_at)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_expansion_arguments(parser, nwaters=5, method="mp2", basis="6-31g*")
    parser.add_argument("--verify", action="store_true", help="check against the sequential computer")
    args = parser.parse_args()

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-load-balance-"))
    config = water_run_of(args, scratch)
    if args.verify:
        verified = {**yaml.safe_load(config.read_text()), "verify": "sequential"}
        config.write_text(yaml.safe_dump(verified, sort_keys=False))
    name = run_name(config)
    print(f"{name}: one pipeline run on {args.cores} cores; {machine()}", flush=True)
    workdir = scratch / "pipeline"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    run = timed(mbpipe_run_command(config, args.cores, *args.snakemake_args.split()), cwd=workdir)
    if run.returncode != 0:
        sys.exit(f"pipeline run failed (exit {run.returncode}):\n{run.output[-3000:]}")

    levels: dict[str, list[dict]] = defaultdict(list)
    for path in sorted((workdir / "results" / name / "fragments").glob("n*/*.json")):
        levels[path.parent.name].append(json.loads(path.read_text()))
    print(f"{'level':>5} {'calcs':>6} {'calc s':>9} {'span s':>8} {'longest-first s':>15} {'ratio':>6}")
    everything, spans, schedules = [], 0.0, 0.0
    for level in sorted(levels, key=lambda folder: int(folder[1:])):
        records = levels[level]
        everything += records
        times = [record["extras"]["mbpipe"]["wall_time_s"] for record in records]
        first, last = calculation_window(records)
        span = last - first
        schedule = longest_first_makespan(times, args.cores)
        spans, schedules = spans + span, schedules + schedule
        print(f"{level:>5} {len(records):>6} {sum(times):>9.2f} {span:>8.2f} {schedule:>15.2f} {span / schedule:>6.3f}")
    print(f"{'all':>5} {len(everything):>6} {'':>9} {spans:>8.2f} {schedules:>15.2f} {spans / schedules:>6.3f}")
    work = sum(record["extras"]["mbpipe"]["wall_time_s"] for record in everything)
    before, after = fixed_cost(run, everything)
    print(f"pipeline wall {run.wall_s:.2f} s; its calculations one after another {work:.2f} s", end="")
    print(f"; ratio {work / run.wall_s:.2f}")
    print(f"fixed cost {before + after:.2f} s ({before:.2f} s to the first calculation, ", end="")
    print(f"{after:.2f} s after the last" + (", the verification included)" if args.verify else ")"))
    if args.verify:
        print("verified against QCManyBody's sequential computer (1e-12 Eh): exit status 0")
    if args.scratch is None:
        shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
