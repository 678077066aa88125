"""The SLURM profile's submit and status logic (mbpipe/batch/slurm.py), without a SLURM: sbatch
requests for a fragment and a bundle, and job states as scontrol and sacct report them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mbpipe.batch import slurm

REPO = Path(__file__).resolve().parent.parent
FRAGMENT = {"type": "single", "rule": "fragment", "threads": 2, "resources": {"mem_mb": 4000, "runtime": 75.5}}
BUNDLE = {"type": "group", "groupid": "bundle-n3", "threads": 8, "resources": {"mem_mb": 16000, "runtime": 35}}


def jobscript(folder: Path, properties: dict) -> Path:
    path = folder / "snakejob.sh"
    path.write_text(f"#!/bin/sh\n# properties = {json.dumps(properties)}\nsnakemake ...\n")
    return path


def test_a_fragment_asks_for_its_cores_memory_and_minutes():
    properties = {
        **FRAGMENT,
        "resources": {**FRAGMENT["resources"], "slurm_account": "chem42", "slurm_partition": "short"},
    }
    arguments = slurm.sbatch_arguments(properties)
    assert {"--cpus-per-task=2", "--mem=4000", "--time=76", "--ntasks=1", "--nodes=1"} <= set(arguments)
    assert {"--account=chem42", "--partition=short"} <= set(arguments)


def test_a_gpu_fragment_asks_for_its_gpu():
    gpu_fragment = {**FRAGMENT, "resources": {**FRAGMENT["resources"], "gpu": 1}}
    assert "--gpus=1" in slurm.sbatch_arguments(gpu_fragment)
    assert not any(argument.startswith("--gpus") for argument in slurm.sbatch_arguments(FRAGMENT))


def test_a_bundle_asks_for_the_cores_its_fragments_share():
    arguments = slurm.sbatch_arguments(BUNDLE)
    assert {"--cpus-per-task=8", "--mem=16000", "--time=35", "--job-name=mbpipe-bundle-n3"} <= set(arguments)
    assert not any(argument.startswith(("--account", "--partition")) for argument in arguments)


def answering(scontrol: tuple[int, str, str], sacct: tuple[int, str, str] = (0, "", "")):
    """A stand-in for subprocess.run that answers scontrol and sacct as given: (exit status, stdout, stderr)."""

    def run(command, **_):
        code, out, err = scontrol if command[0] == "scontrol" else sacct
        return subprocess.CompletedProcess(command, code, out, err)

    return run


@pytest.mark.parametrize(
    ("state", "expected"),
    [("COMPLETED", "success"), ("RUNNING", "running"), ("PENDING", "running"), ("COMPLETING", "running"),
     ("FAILED", "failed"), ("TIMEOUT", "failed"), ("OUT_OF_MEMORY", "failed"), ("CANCELLED", "failed"),
     ("NODE_FAIL", "failed")],
)  # fmt: skip
def test_the_controllers_state_decides(state, expected):
    line = f"JobId=17 JobName=mbpipe-bundle-n2 UserId=chem(1000) JobState={state} Reason=None ExitCode=0:0\n"
    assert slurm.query("17", run=answering((0, line, ""))) == expected


def test_a_job_the_controller_forgot_is_read_from_accounting():
    forgotten = (1, "", "slurm_load_jobs error: Invalid job id specified\n")
    assert slurm.query("17", run=answering(forgotten, (0, "CANCELLED by 1000\n", ""))) == "failed"
    assert slurm.query("17", run=answering(forgotten, (0, "COMPLETED\n", ""))) == "success"
    # known to neither: finished long ago; Snakemake then checks the outputs
    assert slurm.query("17", run=answering(forgotten, (0, "", ""))) == "success"


def test_an_outage_is_not_a_verdict():
    warnings = []
    down = (1, "", "slurm_load_jobs error: Unable to contact slurm controller\n")
    answer = slurm.query(
        "17", run=answering(down, (1, "", "sacct: error: slurmdbd not responding")), warn=warnings.append
    )
    assert answer == "running"
    assert "17" in warnings[0]


def test_the_submit_script_gives_the_job_not_this_hosts_job_server(tmp_path):
    """sbatch passes its environment to the job: the submitting Snakemake's job server must not reach it."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    sbatch = fake_bin / "sbatch"
    sbatch.write_text(
        f'#!/bin/sh\nenv > {tmp_path}/sbatch.env\necho "$@" > {tmp_path}/sbatch.args\necho "4242;mbpipe"\n'
    )
    sbatch.chmod(0o755)
    answer = subprocess.run(
        [sys.executable, "-I", str(REPO / "profiles" / "slurm" / "submit.py"), str(jobscript(tmp_path, BUNDLE))],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": f"{fake_bin}:/usr/bin:/bin", "MBPIPE_JOB_SERVER": "/tmp/mbpipe-1-x/jobs.sock", "KEEP": "1"},
    )  # fmt: skip
    assert answer.stdout == "4242\n", answer.stderr
    environment = (tmp_path / "sbatch.env").read_text()
    assert "KEEP=1" in environment and "MBPIPE_JOB_SERVER" not in environment
    assert "--cpus-per-task=8" in (tmp_path / "sbatch.args").read_text()
    assert (tmp_path / ".snakemake" / "slurm_logs" / "bundle-n3").is_dir()  # sbatch makes no folders
    assert os.environ.get("MBPIPE_JOB_SERVER") != "/tmp/mbpipe-1-x/jobs.sock"
