"""A run through profiles/slurm on a private single-node SLURM with accounting, timed.

Default: water-8, 3-body, nocp, MOPAC PM7 (92 calculations of a few hundredths of a second), the
pipeline's own verification on.  Brings up the SLURM of the tests (tests/helpers_slurm.py: root and
the packages scripts/setup installs), fills in the profile's EDIT lines as a user would, runs plain
`snakemake --profile`, and reports the wall time, the submissions, the job steps SLURM recorded
inside them, and how far apart the fragments of one submission started beyond their own run times
(each core of an allocation taken as the next fragment's once the one before ends).

    sudo .venv/bin/python bench/slurm.py
    sudo .venv/bin/python bench/slurm.py --profile-args "--seconds-between-status-checks 10"
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from common import REPO, SNAKEFILE, machine, run_name, water_run

sys.path.insert(0, str(REPO / "tests"))
from helpers_slurm import ACCOUNT, PARTITION, SingleNodeSlurm  # noqa: E402

from mbpipe.base import layout  # noqa: E402


def user_profile(folder: Path, cores: int) -> Path:
    """profiles/slurm with its EDIT lines filled in for this cluster."""
    profile = folder / "profile"
    shutil.copytree(REPO / "profiles" / "slurm", profile)
    text = (profile / "config.yaml").read_text()
    text = text.replace('"your-account"', f'"{ACCOUNT}"').replace('"your-partition"', f'"{PARTITION}"')
    (profile / "config.yaml").write_text(re.sub(r"^cores: \d+", f"cores: {cores}", text, flags=re.M))
    return profile


def gaps_within(records: list[dict], cores: int) -> list[float]:
    """Seconds each fragment of one allocation waited after a core came free (the first *cores* start
    when the allocation does, and are not counted)."""
    spans = sorted((datetime.fromisoformat(r["started"]).timestamp(), datetime.fromisoformat(r["finished"]).timestamp())
                   for r in records)  # fmt: skip
    free = [end for _, end in spans[:cores]]
    heapq.heapify(free)
    gaps = []
    for start, end in spans[cores:]:
        gaps.append(start - heapq.heappop(free))
        heapq.heappush(free, end)
    return gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nwaters", type=int, default=8)
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="the profile's cores (widest bundle)")
    parser.add_argument("--profile-args", default="", help="extra Snakemake options, one string")
    parser.add_argument("--scratch", type=Path, help="folder for the run (default: a temporary one, removed)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/slurm.py brings up a private SLURM, whose daemons run as root: run it as root")

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="mbpipe-slurm-"))
    config = water_run(scratch, args.nwaters, program="mopac", method="pm7", basis=None)
    config.write_text(config.read_text().replace("verify: 'off'", "verify: sequential"))
    name = run_name(config)
    workdir = scratch / "run"
    command = [
        str(Path(sys.executable).with_name("snakemake")), "--snakefile", str(SNAKEFILE), "--directory", str(workdir),
        "--profile", str(user_profile(scratch, args.cores)), "--configfile", str(config), *args.profile_args.split(),
    ]  # fmt: skip
    print(f"{name} through profiles/slurm ({args.cores} cores a bundle); {machine()}")
    try:
        (scratch / "slurm").mkdir()
        with SingleNodeSlurm(scratch / "slurm") as slurm:
            started = datetime.now().timestamp()
            run = subprocess.run(command, env={**slurm.env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
            wall = datetime.now().timestamp() - started
            if run.returncode:
                sys.exit(f"the run failed:\n{run.stderr[-3000:]}")
            results = workdir / layout.RESULTS.format(name=name)
            records = [json.loads(path.read_text())["extras"]["mbpipe"]
                       for path in sorted((results / "fragments").glob("n*/*.json"))
                       if not path.name.endswith(".error.json")]  # fmt: skip
            by_job = defaultdict(list)
            for record in records:
                by_job[record["scheduler_job_id"]].append(record)
            print(f"wall {wall:.1f} s, {len(records)} calculations in {len(by_job)} submissions")
            all_gaps = []
            for job_id, bundle in sorted(by_job.items(), key=lambda item: int(item[0] or 0)):
                gaps = gaps_within(bundle, args.cores)
                all_gaps += gaps
                steps = slurm.steps(job_id) if job_id else []
                first = min(datetime.fromisoformat(r["started"]).timestamp() for r in bundle) - started
                last = max(datetime.fromisoformat(r["finished"]).timestamp() for r in bundle) - started
                print(f"  job {job_id}: {len(bundle):3d} calculations, {first:6.1f}-{last:6.1f} s into the run, "
                      f"job steps {len(steps)}, gap beyond run times max {max(gaps, default=0):.3f} s")  # fmt: skip
            spans = sorted((min(r["started"] for r in bundle), max(r["finished"] for r in bundle))
                           for bundle in by_job.values())  # fmt: skip
            waits = [datetime.fromisoformat(later[0]).timestamp() - datetime.fromisoformat(earlier[1]).timestamp()
                     for earlier, later in zip(spans, spans[1:], strict=False) if later[0] > earlier[1]]  # fmt: skip
            waits_text = " ".join(f"{wait:.1f}" for wait in waits)
            print(f"from one submission's last calculation to the next one's first: {waits_text} s")
            if all_gaps:
                all_gaps.sort()
                print(f"gaps within submissions: median {all_gaps[len(all_gaps) // 2]:.3f} s, max {all_gaps[-1]:.3f} s")
            verification = json.loads((results / "verification.json").read_text())
            print(f"verification against the sequential computer: {json.dumps(verification)[:300]}")
    finally:
        if not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
