"""Fixed cost of a small run, `mbpipe run` and plain `snakemake` side by side.

A water trimer, 2-body nocp, NWChem HF/STO-3G (six calculations of a fraction of a second), run in
an empty folder by each launcher in turn, `--repeats` times: `mbpipe run CONFIG --cores N` and
`snakemake --snakefile <checkout>/workflow/Snakefile --configfile CONFIG --cores N`.  The fixed cost
is the time from the command's start to the first calculation's start plus the time from the last
calculation's end to the command's end, read from the fragment results' own timestamps.  Prints the
median of each launcher and their difference.

    .venv/bin/python bench/fixed_cost.py --cores 2 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from common import fixed_cost, machine, mbpipe_run_command, median, run_name, snakemake_command, timed, water_run

from mbpipe.base import layout

LAUNCHERS = ("mbpipe run", "snakemake")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--program", default="nwchem")
    parser.add_argument("--method", default="hf")
    parser.add_argument("--basis", default="sto-3g")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="mbpipe-fixed-cost-"))
    config = water_run(scratch, 3, max_nbody=2, program=args.program, method=args.method, basis=args.basis)
    name = run_name(config)
    print(f"{name} on {args.cores} cores; {machine()}")
    costs: dict[str, list[float]] = {launcher: [] for launcher in LAUNCHERS}
    for repeat in range(args.repeats):
        for launcher in LAUNCHERS:
            workdir = scratch / f"{launcher.split()[0]}-{repeat}"
            workdir.mkdir()
            if launcher == "mbpipe run":
                command = mbpipe_run_command(config, args.cores)
            else:
                command = snakemake_command(config, workdir, args.cores)
            run = timed(command, cwd=workdir)
            if run.returncode:
                sys.exit(f"{launcher} failed:\n{run.output[-3000:]}")
            fragments = (workdir / layout.RESULTS.format(name=name) / "fragments").glob("n*/*.json")
            before, after = fixed_cost(run, [json.loads(path.read_text()) for path in fragments])
            costs[launcher].append(before + after)
            print(f"{launcher:<10} {run.wall_s:5.2f} s wall, fixed cost {before:.2f} + {after:.2f} s")
    medians = {launcher: median(values) for launcher, values in costs.items()}
    for launcher, value in medians.items():
        print(f"median fixed cost, {launcher:<10} {value:.2f} s")
    print(f"plain snakemake - mbpipe run     {medians['snakemake'] - medians['mbpipe run']:+.2f} s")
    shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
