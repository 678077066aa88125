"""SLURM for Snakemake's cluster-generic executor: one allocation per job or bundle, no job steps.

snakemake-executor-plugin-slurm (2.8) runs the Snakemake inside each allocation with
``--executor slurm-jobstep --jobs 1``: a bundle's jobs run one after another, each as an ``srun`` job
step that starts a Snakemake (and a job server) of its own, about 3 s per fragment however small.
Through cluster-generic the Snakemake inside the allocation runs the bundle's jobs with its own local
executor on the cores the allocation was given, all through the one job server it starts when it
reads the workflow.

Two jobs for the scripts in ``profiles/slurm``: turn a Snakemake job script into an ``sbatch`` call
that asks for the job's cores, memory and wall time, and turn SLURM's record of a job into the
``success``, ``failed`` or ``running`` that the executor expects.  Standard library only: those
scripts run with whatever ``python3`` the submitting host has.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

from mbpipe.batch.pbs import FAILED, RUNNING, SUCCESS, job_properties

# Every state that ends a job other than COMPLETED is a failure; any state not listed here (pending,
# running, completing, suspended, requeued, ...) means the job may still write its outputs.
ENDED_STATES = {
    "COMPLETED": SUCCESS,
    **{state: FAILED for state in ("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                                   "BOOT_FAIL", "DEADLINE", "REVOKED")},
}  # fmt: skip
# Where the allocations' own logs go (the rules' logs are under logs/), relative to the workflow's folder.
LOG_FOLDER = Path(".snakemake") / "slurm_logs"


def sbatch_arguments(properties: dict) -> list[str]:
    """sbatch options for a job or bundle: one task on one node with the job's cores (a bundle's are
    the most of its fragments that run side by side), its memory (MB), wall time (minutes) and GPUs,
    plus the account and partition its resources name (``slurm_account``, ``slurm_partition``)."""
    resources = properties.get("resources", {})
    name = properties.get("rule") or properties.get("groupid") or "job"
    minutes = max(1, math.ceil(float(resources.get("runtime") or 60)))
    arguments = [
        f"--job-name=mbpipe-{name}",
        "--nodes=1",
        "--ntasks=1",
        f"--cpus-per-task={int(properties.get('threads') or 1)}",
        f"--mem={int(resources.get('mem_mb') or 1000)}",
        f"--time={minutes}",
        f"--output={LOG_FOLDER / name / '%j.log'}",
        "--parsable",
    ]
    if int(resources.get("gpu") or 0) > 0:  # the fragment rule's GPU count (pyscf-gpu)
        arguments.append(f"--gpus={int(resources['gpu'])}")
    if resources.get("slurm_account"):
        arguments.append(f"--account={resources['slurm_account']}")
    if resources.get("slurm_partition"):
        arguments.append(f"--partition={resources['slurm_partition']}")
    return arguments


def submit(jobscript: str | Path, run=subprocess.run) -> str:
    """Submit *jobscript* with sbatch; the job id."""
    if run is subprocess.run and not shutil.which("sbatch"):
        raise RuntimeError("sbatch is not on PATH: run Snakemake with profiles/slurm on a host that submits SLURM jobs")
    arguments = sbatch_arguments(job_properties(jobscript))
    log = next(argument for argument in arguments if argument.startswith("--output="))
    Path(log.removeprefix("--output=")).parent.mkdir(parents=True, exist_ok=True)  # sbatch makes no folders
    command = ["sbatch", *arguments, str(jobscript)]
    answer = run(command, capture_output=True, text=True)
    if answer.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({answer.returncode}): {answer.stderr.strip()}")
    return answer.stdout.strip().split(";")[0]  # --parsable: "id" or "id;cluster"


def state_from_scontrol(text: str) -> str | None:
    """JobState from ``scontrol show job -o``'s one line of KEY=VALUE fields."""
    for field in text.split():
        if field.startswith("JobState="):
            return field.removeprefix("JobState=")
    return None


def status(state: str) -> str:
    """success, failed or running for a SLURM job state (sacct may add "by <uid>" to CANCELLED)."""
    return ENDED_STATES.get(state.split()[0].rstrip("+"), RUNNING)


def query(jobid: str, run=subprocess.run, warn=lambda message: print(message, file=sys.stderr)) -> str:
    """The job's status for Snakemake.  The controller first (it answers at once, and keeps a finished
    job for MinJobAge, 300 s by default), then the accounting database (sacct).  A job neither knows
    any more has finished: it counts as a success, and Snakemake then checks that its outputs exist.
    When both fail otherwise, the job is reported running so that the next poll asks again."""
    answer = run(["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True)
    if answer.returncode == 0 and (state := state_from_scontrol(answer.stdout)):
        return status(state)
    accounted = run(["sacct", "-X", "-n", "-P", "-o", "State", "-j", jobid], capture_output=True, text=True)
    if accounted.returncode == 0 and accounted.stdout.strip():
        return status(accounted.stdout.strip().splitlines()[0])
    if "Invalid job id" in answer.stderr and accounted.returncode == 0:
        return SUCCESS
    reasons = f"{answer.stderr.strip()} {accounted.stderr.strip()}"
    warn(f"SLURM did not answer for job {jobid} ({reasons}); asking again later")
    return RUNNING
