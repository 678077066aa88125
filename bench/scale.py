"""How planning and Snakemake scale with the number of fragment calculations, running no program.

For water-N clusters without charge lines (the reader makes each water a neutral singlet; left to
QCElemental's search of every assignment, 26 waters took 135 s and 17.8 GB to plan), 3-body nocp
(water-20: 1350, water-40: 10 700, water-60: 36 050, water-85: 102 425 calculations), each in a
fresh scratch folder:
  plan        planning with QCManyBody and writing every fragment input (mbpipe.pipeline.plan.ensure_plan)
  parse       Snakemake reading the Snakefile with the plan in place (--list-rules)
  dry run     Snakemake building the whole job graph (-n), wall time and peak memory
  no-op       Snakemake on a finished run (nothing to do), wall time and peak memory

To time the no-op check the benchmark writes stand-in files where the results would be.  They hold
{"timing_stand_in": true} and no energy, live only in the benchmark's scratch folder, and are deleted
with it: they exist to time Snakemake, never as results.  The gates record their fingerprints as a
finished run's gates do, so that reading the workflow finds them unchanged without reading them.

Measured 2026-11-27 on a 2-core KVM VM shared with other test runs (load average 1.2-2.5), water-40,
medians of 3 alternated with the code before: plan 26.1 -> 9.0 s, dry run 21.3 -> 18.0 s (337 -> 322
MB); water-85 once: plan 51.2 s, parse 11.0 s, dry run 208.3 s (1975 MB), no-op 114.4 s.  Tables and
what the time is: docs/performance.md, "Scale".

    .venv/bin/python bench/scale.py --nwaters 20 40
    .venv/bin/python bench/scale.py --nwaters 85 --scratch /tmp/scale85     # about 10^5 calculations
    .venv/bin/python bench/scale.py --nwaters 40 100 --cutoffs 2=9,3=6      # screened (distance_cutoffs)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from common import REPO, machine, run_name, snakemake_command, timed, total_jobs, water_run

from mbpipe.base import layout

STAND_IN = json.dumps({"timing_stand_in": True}) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nwaters", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--max-nbody", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    parser.add_argument("--snakemake-args", default="", help="extra Snakemake options, one string")
    parser.add_argument("--cutoffs", help="distance_cutoffs as order=Angstrom pairs, e.g. 2=9,3=6")
    args = parser.parse_args()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-scale-"))
    extra = args.snakemake_args.split()
    screened = f", distance_cutoffs {args.cutoffs}" if args.cutoffs else ""
    print(f"{args.max_nbody}-body nocp plans{screened}, no program run; {machine()}")
    header = f"{'waters':>6} {'calcs':>7} {'jobs':>6} {'plan s':>7} {'plan MB':>7} {'parse s':>7} "
    header += f"{'dry s':>6} {'dry MB':>6} {'no-op s':>7} {'no-op MB':>8}"
    rows = []
    for nwaters in args.nwaters:
        folder = scratch / f"water-{nwaters}"
        shutil.rmtree(folder, ignore_errors=True)
        config = water_run(folder, nwaters, max_nbody=args.max_nbody, program="mopac", method="pm7", basis=None)
        if args.cutoffs:
            _add_cutoffs(config, args.cutoffs)
        workdir = folder / "run"
        workdir.mkdir()
        name = run_name(config)

        plan = timed([sys.executable, str(REPO / "bench" / "plan_only.py"), str(config)], cwd=workdir)
        _check(plan, "planning")
        ncalcs = int(plan.output.split()[-1])
        parse = timed(snakemake_command(config, workdir, args.cores, "--list-rules", *extra), cwd=workdir)
        _check(parse, "parse")
        dry = timed(snakemake_command(config, workdir, args.cores, "-n", *extra), cwd=workdir)
        _check(dry, "dry run")
        njobs = total_jobs(dry.output)

        _write_stand_ins(workdir, name)
        # the many-body result and everything under it; the report's plots are not part of the check
        target = str(layout.path(layout.MANYBODY_RESULT, name=name))
        noop = timed(snakemake_command(config, workdir, args.cores, target, *extra), cwd=workdir)
        _check(noop, "no-op run")
        if "cannot be used" in noop.output:
            sys.exit(f"the workflow set stand-ins aside, unlike a finished run's results:\n{noop.output[:2000]}")
        if "Nothing to be done" not in noop.output:
            sys.exit(f"the no-op run found work to do, the stand-ins are incomplete:\n{noop.output[-2000:]}")
        row = (
            f"{nwaters:>6} {ncalcs:>7} {njobs:>6} {plan.wall_s:>7.1f} {plan.peak_rss_mb:>7.0f} {parse.wall_s:>7.1f} "
            f"{dry.wall_s:>6.1f} {dry.peak_rss_mb:>6.0f} {noop.wall_s:>7.1f} {noop.peak_rss_mb:>8.0f}"
        )
        rows.append(row)
        print(header if len(rows) == 1 else "", row, sep="\n" if len(rows) == 1 else "", flush=True)
        shutil.rmtree(folder)
    if args.scratch is None:
        shutil.rmtree(scratch)
    return 0


def _add_cutoffs(config: Path, text: str) -> None:
    settings = yaml.safe_load(config.read_text())
    settings["distance_cutoffs"] = {int(k): float(v) for k, v in (item.split("=") for item in text.split(","))}
    config.write_text(yaml.safe_dump(settings, sort_keys=False))


def _write_stand_ins(workdir: Path, name: str) -> None:
    """Stand-ins for every output of a finished run, in the order the jobs would write them, so that
    each is newer than its inputs.  Each level's gate records its results' fingerprints, as a finished
    run's gate does: reading the workflow then finds them unchanged by their size and time alone, and
    reads none of them (mbpipe/pipeline/audit.py)."""
    import os

    from mbpipe.pipeline.gate import result_fingerprint
    from mbpipe.pipeline.plan import load_plan

    os.chdir(workdir)
    try:
        plan = load_plan(name)
        for level in plan.level_numbers:
            results = {path.stem: path for path in plan.fragment_results(upto=level) if path.parent.name == f"n{level}"}
            for path in results.values():
                _stand_in(path)
            fingerprints = {label: result_fingerprint(path) for label, path in results.items()}
            gate = {"level": level, "fragments": fingerprints}
            _stand_in(layout.path(layout.LEVEL_GATE, name=name, level=level), json.dumps(gate))
            _stand_in(layout.path(layout.LEVEL_RESULT, name=name, level=level))
        _stand_in(layout.path(layout.MANYBODY_RESULT, name=name))
        _stand_in(layout.path(layout.SUMMARY, name=name))
    finally:
        os.chdir(REPO)


def _stand_in(path: Path, text: str = STAND_IN) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _check(run, what: str) -> None:
    if run.returncode:
        sys.exit(f"{what} failed (exit {run.returncode}):\n{run.output[-3000:]}")


if __name__ == "__main__":
    raise SystemExit(main())
