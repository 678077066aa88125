"""Screened runs against the full one: kept and screened n-mers and calculations, wall time, and how
far each screened energy lies from the unscreened one.

Default: water-20, 3-body, nocp, MOPAC PM7.  The full run (cutoffs off) and one run per cutoff set go
through the whole pipeline in one scratch folder; each screened run is verified by the pipeline itself
(its interaction energies against the sums of its kept n-mers' increments).

    .venv/bin/python bench/screening.py --cores 2 --cutoffs 2=8,3=5 2=6,3=4 2=4.5,3=3
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from common import machine, run_name, snakemake_command, timed, water_run
from qcelemental import constants

from mbpipe.base import layout

KCAL_MOL = constants.conversion_factor("hartree", "kcal/mol")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--nwaters", type=int, default=20)
    parser.add_argument("--max-nbody", type=int, default=3)
    parser.add_argument("--cutoffs", nargs="+", default=["2=8,3=5", "2=6,3=4", "2=4.5,3=3"])
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    args = parser.parse_args()

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-screening-"))
    full_config = water_run(scratch, args.nwaters, max_nbody=args.max_nbody, program="mopac", method="pm7", basis=None)
    print(f"{run_name(full_config)} on {args.cores} cores; {machine()}")
    full, full_wall = _run(full_config, scratch, args.cores, verify=False)
    print(
        f"{'cutoffs (Angstrom)':<20} {'kept 2b':>9} {'kept 3b':>11} {'calcs':>6} {'wall s':>7} "
        f"{'dE(2b) kcal/mol':>16} {'dE(3b) kcal/mol':>16} {'verified':>9}"
    )
    print(f"{'none':<20} {'':>9} {'':>11} {full['properties']['calcinfo_nmbe']:>6} {full_wall:>7.1f}")
    status = 0
    for text in args.cutoffs:
        cutoffs = {int(k): float(v) for k, v in (item.split("=") for item in text.split(","))}
        config = yaml.safe_load(full_config.read_text())
        config["name"] += "-" + text.replace(",", "_").replace("=", "-")
        config["distance_cutoffs"] = cutoffs
        config["verify"] = "sequential"  # a screened run's verification: the kept-increment sums
        path = scratch / f"{config['name']}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        screened, wall = _run(path, scratch, args.cores, verify=True)
        nmers = {row["nbody"]: row for row in screened["extras"]["mbpipe"]["screening"]["nmers"]}
        errors = [
            (screened["properties"][name] - full["properties"][name]) * KCAL_MOL
            for name in (f"nocp_corrected_total_energy_through_{n}_body" for n in (2, 3))
        ]
        verification = json.loads((scratch / "pipeline" / layout.VERIFICATION.format(name=config["name"])).read_text())
        status |= not verification["passed"]
        kept = [f"{nmers[n]['kept']}/{nmers[n]['kept'] + nmers[n]['screened']}" for n in (2, 3)]
        print(
            f"{text:<20} {kept[0]:>9} {kept[1]:>11} {screened['properties']['calcinfo_nmbe']:>6} {wall:>7.1f} "
            f"{errors[0]:>16.5f} {errors[1]:>16.5f} {verification['max_abs_difference']:>9.1e}"
        )
    if args.scratch is None:
        shutil.rmtree(scratch)
    return status


def _run(config: Path, scratch: Path, cores: int, verify: bool) -> tuple[dict, float]:
    """Run *config* in scratch/pipeline to its many-body result (and verification); the result as JSON
    and the wall time."""
    name = run_name(config)
    workdir = scratch / "pipeline"
    workdir.mkdir(exist_ok=True)
    targets = [layout.MANYBODY_RESULT.format(name=name)]
    if verify:
        targets.append(layout.VERIFICATION.format(name=name))
    run = timed(snakemake_command(config, workdir, cores, *targets), cwd=scratch)
    if run.returncode:
        sys.exit(f"{name} failed:\n{run.output[-3000:]}")
    return json.loads((workdir / layout.MANYBODY_RESULT.format(name=name)).read_text()), run.wall_s


if __name__ == "__main__":
    raise SystemExit(main())
