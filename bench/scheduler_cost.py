"""Snakemake's own CPU per job as one level of a run widens, with nothing else in the way: a workflow
of N jobs whose `run:` blocks do nothing, each with an input file of its own and one input all share
(a fragment's input and its level's gate), scheduled as this workflow's profile schedules them (greedy,
on a sample of 50 ready jobs), in threads and without a job rate limit, as the workflow runs its jobs
on this machine (mbpipe/run/snakemake_compat.py).

Prints Snakemake's CPU (user + system) per job for each N, less that of a run of one job, and its
ratio to the smallest N's.  A cost
per job that grows with N is work that Snakemake repeats in every scheduling round over all ready or
remaining jobs: a run of 10^5 fragment jobs on one machine pays it once per job.

    .venv/bin/python bench/scheduler_cost.py                      # N = 1000, 3000, 10000
    .venv/bin/python bench/scheduler_cost.py --jobs 2000 5000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ENV, machine

SNAKEFILE = """
import os
from mbpipe.run.snakemake_compat import lift_job_rate_limit
JOBS = range(int(config["jobs"]))
os.makedirs("inputs", exist_ok=True)
for i in JOBS:
    with open(f"inputs/{i}.json", "w") as handle:
        handle.write("{}")
with open("gate.json", "w") as handle:
    handle.write("{}")

def targets(wildcards):
    lift_job_rate_limit(workflow)
    return expand("results/{i}.json", i=JOBS)

rule all:
    input: targets

rule job:
    input: own="inputs/{i}.json", shared="gate.json"
    output: "results/{i}.json"
    run:
        open(output[0], "w").close()
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.cores} cores; {machine()}; load {os.getloadavg()[0]:.2f}")
    _, start_up = _run(1, args.cores)  # Snakemake's start and end, taken off each run below
    print(f"a run of one job: {start_up:.1f} s of CPU")
    print(f"{'jobs':>7} {'wall':>9} {'CPU':>9} {'CPU per job':>12} {'ratio':>6}")
    first = None
    for jobs in sorted(args.jobs):
        wall, cpu = _run(jobs, args.cores)
        per_job = (cpu - start_up) / jobs
        first = first or per_job
        print(f"{jobs:>7} {wall:>8.1f}s {cpu:>8.1f}s {1000 * per_job:>9.2f} ms {per_job / first:>6.2f}", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


def _run(jobs: int, cores: int) -> tuple[float, float]:
    """Wall time and Snakemake's CPU time (its children's, as this process sees them) for *jobs* jobs."""
    with tempfile.TemporaryDirectory(prefix="mbpipe-scheduler-cost-") as folder:
        snakefile = Path(folder) / "Snakefile"
        snakefile.write_text(SNAKEFILE)
        command = [
            sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", folder,
            "--cores", str(cores), "--scheduler", "greedy", "--scheduler-subsample", "50",
            "--force-use-threads", "--quiet", "all",
            "--config", f"jobs={jobs}",
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = os.times().elapsed
        done = subprocess.run(command, capture_output=True, text=True, env=ENV)
        wall = os.times().elapsed - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            sys.exit(f"snakemake failed:\n{done.stderr[-3000:]}")
        if len(os.listdir(Path(folder) / "results")) != jobs:
            sys.exit("snakemake did not run every job")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    sys.exit(main())
