"""PBS (PBS Pro / OpenPBS, and Torque) for Snakemake's cluster-generic executor.

Two jobs for the scripts in ``profiles/pbs``: turn a Snakemake job script into a ``qsub`` call that
asks for the job's threads, memory and wall time, and turn ``qstat`` output into the ``success``,
``failed`` or ``running`` that the executor expects.  Standard library only: those scripts run with
whatever ``python3`` the submitting host has.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

SUCCESS, FAILED, RUNNING = "success", "failed", "running"
# Job states that end a job; every other state (queued, running, held, waiting, exiting, ...) means
# it may still produce its outputs.  F: finished (PBS Pro), C: completed (Torque), X: finished subjob.
FINISHED_STATES = {"F", "C", "X"}
HELD = "H"
# qstat's answer for a job the server no longer knows: finished and purged from its history.
_UNKNOWN_JOB = re.compile(r"Unknown Job Id|Job has finished", re.IGNORECASE)
_PROPERTIES = re.compile(r"^# properties = (.*)$", re.MULTILINE)


def job_properties(jobscript: str | Path) -> dict:
    """The job's properties (threads, resources, rule or group) that Snakemake writes into its job script."""
    match = _PROPERTIES.search(Path(jobscript).read_text())
    if not match:
        raise ValueError(f"{jobscript} has no '# properties = ...' line; is it a Snakemake job script?")
    return json.loads(match.group(1))


def walltime(minutes: float) -> str:
    minutes = max(1, int(-(-minutes // 1)))
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def qsub_arguments(properties: dict, torque: bool = False) -> list[str]:
    """qsub options for a job: cores, memory (MB) and wall time, plus queue and account when the job's
    resources name them (``pbs_queue``, ``pbs_account``).  PBS Pro takes a select statement; Torque
    takes nodes/ppn."""
    resources = properties.get("resources", {})
    threads = int(properties.get("threads") or 1)
    mem_mb = int(resources.get("mem_mb") or 1000)
    name = properties.get("rule") or properties.get("groupid") or "job"
    if torque:
        request = [f"nodes=1:ppn={threads}", f"mem={mem_mb}mb"]
    else:
        request = [f"select=1:ncpus={threads}:mem={mem_mb}mb"]
    arguments = ["-N", f"mbpipe-{name}"[:15], "-j", "oe"]
    for item in [*request, f"walltime={walltime(resources.get('runtime') or 60)}"]:
        arguments += ["-l", item]
    if resources.get("pbs_queue"):
        arguments += ["-q", str(resources["pbs_queue"])]
    if resources.get("pbs_account"):
        arguments += ["-A", str(resources["pbs_account"])]
    return arguments


def is_torque(run=subprocess.run) -> bool:
    """Torque's qstat reports 'Version: ...'; PBS Pro's reports 'pbs_version = ...'."""
    answer = run(["qstat", "--version"], capture_output=True, text=True)
    return "pbs_version" not in (answer.stdout + answer.stderr)


def submit(jobscript: str | Path, run=subprocess.run) -> str:
    """Submit *jobscript* with qsub; the job id qsub prints."""
    if run is subprocess.run and not shutil.which("qsub"):
        raise RuntimeError("qsub is not on PATH: run Snakemake with profiles/pbs on a host that submits PBS jobs")
    properties = job_properties(jobscript)
    command = ["qsub", *qsub_arguments(properties, torque=is_torque(run)), str(jobscript)]
    answer = run(command, capture_output=True, text=True)
    if answer.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({answer.returncode}): {answer.stderr.strip()}")
    return answer.stdout.strip()


def state_from_json(text: str, jobid: str) -> tuple[str, int | None]:
    """(job_state, Exit_status or None) from PBS Pro's ``qstat -fx -F json``."""
    jobs = json.loads(text).get("Jobs", {})
    job = jobs.get(jobid) or next(iter(jobs.values()), None)
    if job is None:
        raise KeyError(f"qstat listed no job {jobid}")
    exit_status = job.get("Exit_status")
    return job["job_state"], None if exit_status is None else int(exit_status)


def state_from_text(text: str) -> tuple[str, int | None]:
    """(job_state, exit status or None) from ``qstat -f`` text: Torque's ``exit_status``, PBS Pro's
    ``Exit_status``."""
    fields = dict(re.findall(r"^\s+(\w+) = (.*)$", text, flags=re.MULTILINE))
    fields = {key.lower(): value.strip() for key, value in fields.items()}
    if "job_state" not in fields:
        raise KeyError("qstat -f output has no job_state")
    exit_status = fields.get("exit_status")
    return fields["job_state"], None if exit_status is None else int(exit_status)


def status(job_state: str, exit_status: int | None) -> str:
    if job_state in FINISHED_STATES:
        return SUCCESS if exit_status == 0 else FAILED
    return RUNNING


def query(jobid: str, run=subprocess.run, warn=lambda message: print(message, file=sys.stderr)) -> str:
    """The job's status for Snakemake.  PBS Pro's JSON first (-x keeps finished jobs in view), then
    Torque's text.  A job the server no longer knows has finished and been purged: it counts as a
    success, and Snakemake then checks that its outputs exist (a job that died without them fails
    there).  When qstat itself fails, the job is reported running so that the next poll asks again."""
    answer = run(["qstat", "-fx", "-F", "json", jobid], capture_output=True, text=True)
    if answer.returncode == 0 and answer.stdout.lstrip().startswith("{"):
        state, exit_status = state_from_json(answer.stdout, jobid)
    elif _UNKNOWN_JOB.search(answer.stderr):
        return SUCCESS
    else:
        answer = run(["qstat", "-f", jobid], capture_output=True, text=True)
        if _UNKNOWN_JOB.search(answer.stderr + answer.stdout):
            return SUCCESS
        if answer.returncode != 0:
            warn(f"qstat -f {jobid} failed ({answer.returncode}): {answer.stderr.strip()}; asking again later")
            return RUNNING
        state, exit_status = state_from_text(answer.stdout)
    if state == HELD:
        warn(f"PBS job {jobid} is held; release it with `qrls {jobid}` or cancel it with `qdel {jobid}`")
    return status(state, exit_status)
