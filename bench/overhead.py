"""Orchestration cost per fragment: the pipeline's wall time on many tiny calculations against the
time the programs themselves took (from the fragment result files).

Default: water-20, 3-body, nocp, MOPAC PM7 (1350 calculations of a few hundredths of a second each),
run as `mbpipe run CONFIG --cores N`.
The overhead per fragment is (cores x pipeline wall - sum of the programs' wall times) / calculations:
the core-seconds each calculation costs beyond the program run (Snakemake, Python start-up, QCEngine's
input and output handling, gates, assembly).  The sequential ManyBodyComputer runs the same config and
the two results are compared.

    .venv/bin/python bench/overhead.py --cores 2
    .venv/bin/python bench/overhead.py --cores 2 --nwaters 40      # 10 700 calculations
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from common import REPO, fixed_cost, machine, mbpipe_run_command, run_name, timed, water_run

from mbpipe.base import layout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--nwaters", type=int, default=20)
    parser.add_argument("--max-nbody", type=int, default=3)
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    parser.add_argument("--no-sequential", action="store_true", help="skip the sequential run and comparison")
    parser.add_argument("--snakemake-args", default="", help="extra Snakemake options, one string")
    args = parser.parse_args()

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-overhead-"))
    config = water_run(scratch, args.nwaters, max_nbody=args.max_nbody, program="mopac", method="pm7", basis=None)
    name = run_name(config)
    workdir = scratch / "pipeline"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    print(f"{name} on {args.cores} cores; {machine()}")
    pipe = timed(mbpipe_run_command(config, args.cores, *args.snakemake_args.split()), cwd=workdir)
    if pipe.returncode:
        sys.exit(f"pipeline run failed:\n{pipe.output[-3000:]}")

    fragments = sorted((workdir / layout.RESULTS.format(name=name) / "fragments").glob("n*/*.json"))
    records = [json.loads(path.read_text()) for path in fragments]
    program_s = sum(r["provenance"]["wall_time"] for r in records)
    qcengine_s = sum(r["extras"]["mbpipe"]["wall_time_s"] for r in records)
    n = len(records)
    print(f"fragment calculations            {n}")
    print(f"pipeline wall                    {pipe.wall_s:.1f} s on {args.cores} cores")
    print(f"sum of program wall times        {program_s:.1f} s  ({program_s / n * 1000:.1f} ms each)")
    print(f"sum of qcengine.compute times    {qcengine_s:.1f} s")
    print(f"ideal wall (program time/cores)  {program_s / args.cores:.1f} s")
    print(f"orchestration per fragment       {(args.cores * pipe.wall_s - program_s) / n:.4f} core-s")
    print(f"  of which outside qcengine      {(args.cores * pipe.wall_s - qcengine_s) / n:.4f} core-s")
    before, after = fixed_cost(pipe, records)
    print(f"fixed cost                       {before:.2f} s to the first calculation, {after:.2f} s after the last")

    status = 0
    if not args.no_sequential:
        from qcmanybody.models.v2 import ManyBodyResult

        from mbpipe.pipeline.verify import compare

        sequential_json = scratch / "sequential.json"
        seq = timed([sys.executable, str(REPO / "bench" / "sequential.py"), str(config), str(sequential_json)])
        if seq.returncode:
            sys.exit(f"sequential run failed:\n{seq.output[-3000:]}")
        ours = ManyBodyResult.model_validate_json((workdir / layout.MANYBODY_RESULT.format(name=name)).read_text())
        delta = compare(ours, ManyBodyResult.model_validate_json(sequential_json.read_text()), 1e-12)
        print(f"sequential wall                  {seq.wall_s:.1f} s   (speedup {seq.wall_s / pipe.wall_s:.2f})")
        print(f"largest |delta| vs sequential    {delta['max_abs_difference']:.2e}")
        status = 0 if delta["passed"] else 1
    if args.scratch is None:
        shutil.rmtree(scratch)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
