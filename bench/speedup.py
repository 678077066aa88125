"""Wall time of QCManyBody's sequential ManyBodyComputer against the pipeline on N cores, same config.

Runs alternate (sequential, pipeline, sequential, ...) so that a slow spell of the machine hits both;
each pipeline run is `mbpipe run CONFIG --cores N` in an empty folder (planning, Snakemake start-up
and assembly included; `--launcher snakemake` times plain `snakemake --cores N` instead), each
sequential run is a fresh Python (imports and planning included).  Prints the median wall times,
their ratio, the fixed cost of each pipeline run (from its start to the first calculation, and from
the last calculation to its end), and the largest |difference| between the two many-body results.

    .venv/bin/python bench/speedup.py --cores 2                    # water-6 3-body nocp+cp HF/6-31G
    .venv/bin/python bench/speedup.py --cores 16 --nwaters 10 --bsse nocp
    .venv/bin/python bench/speedup.py --cores 16 --nwaters 10 --bsse nocp --method mp2 --basis '6-31g*'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from common import (
    REPO,
    add_expansion_arguments,
    fixed_cost,
    machine,
    mbpipe_run_command,
    median,
    run_name,
    snakemake_command,
    timed,
    water_run_of,
)  # fmt: skip

from mbpipe.base.layout import MANYBODY_RESULT
from mbpipe.pipeline.assemble import load_fragment_results
from mbpipe.pipeline.plan import load_plan
from mbpipe.pipeline.verify import compare, fragment_task_settings

# The fragment rule's defaults (workflow/rules/fragments.smk): the baseline runs its programs the same way.
NCORES, MEMORY_MB = 1, 2000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_expansion_arguments(parser, nwaters=6, method="hf", basis="6-31g")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--launcher", choices=["mbpipe", "snakemake"], default="mbpipe", help="mbpipe run (default) or plain snakemake"
    )
    parser.add_argument(
        "--pool", action="store_true", help="also time a plain pool of N processes (bench/pool.py): the ceiling"
    )
    args = parser.parse_args()

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-speedup-"))
    config = water_run_of(args, scratch)
    name = run_name(config)
    print(f"{name}: {args.repeats} alternated repetitions, pipeline on {args.cores} cores; {machine()}")
    sequential_times, pipeline_times, pool_times, fixed_times, worst = [], [], [], [], 0.0
    from qcmanybody.models.v2 import ManyBodyResult

    for rep in range(args.repeats):
        sequential_json = scratch / f"sequential-{rep}.json"
        seq = timed([sys.executable, str(REPO / "bench" / "sequential.py"), str(config), str(sequential_json)])
        _check(seq, "sequential run")
        sequential_times.append(seq.wall_s)

        workdir = scratch / f"pipeline-{rep}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        extra = args.snakemake_args.split()
        if args.launcher == "mbpipe":
            pipe = timed(mbpipe_run_command(config, args.cores, *extra), cwd=workdir)
        else:
            pipe = timed(snakemake_command(config, workdir, args.cores, *extra), cwd=scratch)
        _check(pipe, "pipeline run")
        pipeline_times.append(pipe.wall_s)
        before, after = fixed_cost(pipe, _fragment_records(workdir, name))
        fixed_times.append((before, after))

        ours = ManyBodyResult.model_validate_json((workdir / MANYBODY_RESULT.format(name=name)).read_text())
        theirs = ManyBodyResult.model_validate_json(sequential_json.read_text())
        delta = compare(ours, theirs, tolerance=1e-12)["max_abs_difference"]
        worst = max(worst, delta)
        pool_note = ""
        if args.pool:
            pool_json = scratch / f"pool-{rep}.json"
            pool_command = [sys.executable, str(REPO / "bench" / "pool.py"), str(config), str(pool_json)]
            pool = timed([*pool_command, str(args.cores)])
            _check(pool, "pool run")
            pool_times.append(pool.wall_s)
            pooled = ManyBodyResult.model_validate_json(pool_json.read_text())
            worst = max(worst, compare(pooled, theirs, tolerance=1e-12)["max_abs_difference"])
            pool_note = f"   pool {pool.wall_s:7.2f} s"
        settings = _fragment_settings(workdir, name)
        print(
            f"  repetition {rep + 1}: sequential {seq.wall_s:7.2f} s   pipeline {pipe.wall_s:7.2f} s   "
            f"ratio {seq.wall_s / pipe.wall_s:5.2f}   fixed {before:.2f} + {after:.2f} s   "
            f"max |delta| {delta:.1e}{pool_note}"
            + ("" if settings == (NCORES, MEMORY_MB) else f"   (fragments ran with {settings}, baseline did not)")
        )
    nfragments = load_plan_in(workdir, name).nfragment_calculations
    s, p = median(sequential_times), median(pipeline_times)
    print(f"fragment calculations      {nfragments}")
    print(f"median sequential wall     {s:.2f} s")
    print(f"median pipeline wall       {p:.2f} s  on {args.cores} cores")
    print(f"speedup (ratio of medians) {s / p:.2f}  (parallel efficiency {s / p / args.cores:.0%})")
    before, after = median([b for b, _ in fixed_times]), median([a for _, a in fixed_times])
    print(f"median fixed cost          {before + after:.2f} s  ({before:.2f} s to the first calculation, ", end="")
    print(f"{after:.2f} s after the last)")
    if pool_times:
        q = median(pool_times)
        print(f"median plain-pool wall     {q:.2f} s  (ceiling speedup {s / q:.2f})")
        print(f"pipeline against the pool  {q / p:.0%} of the ceiling")
    print(f"largest |delta| vs sequential, all runs and repetitions: {worst:.2e}")
    if args.scratch is None:
        shutil.rmtree(scratch)
    return 0 if worst <= 1e-12 else 1


def load_plan_in(workdir: Path, name: str):
    with contextlib.chdir(workdir):
        return load_plan(name)


def _fragment_settings(workdir: Path, name: str):
    with contextlib.chdir(workdir):
        return fragment_task_settings(load_fragment_results(load_plan(name)))


def _fragment_records(workdir: Path, name: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in (workdir / "results" / name / "fragments").glob("n*/*.json")]


def _check(run, what: str) -> None:
    if run.returncode != 0:
        sys.exit(f"{what} failed (exit {run.returncode}):\n{run.output[-3000:]}")


if __name__ == "__main__":
    raise SystemExit(main())
