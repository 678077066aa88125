"""How `mbpipe run` starts Snakemake: on this machine without the cluster executor plugins (whatever
state a cluster's tools are in), with its job server warming up before Snakemake reads the workflow."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from helpers_failures import MOLECULES, PM7, mbpipe_run, write_config

from mbpipe.run.launch import runs_here, runs_jobs

SLURM_TOOLS = ("sinfo", "squeue", "sacct", "scontrol")


@pytest.mark.parametrize(
    ("args", "here", "jobs"),
    [
        (["--cores", "2"], True, True),
        ([], True, True),
        (["-n"], True, False),
        (["-np"], True, False),
        (["--dry-run", "--cores", "4"], True, False),
        (["--report", "report.html"], True, False),
        (["--unlock"], True, False),
        (["-c2", "--keep-going"], True, True),
        (["--profile", "profiles/slurm"], False, True),
        (["--profile=profiles/pbs", "-n"], False, False),
        (["--executor", "slurm", "--jobs", "100"], False, True),
        (["-e", "slurm"], False, True),
    ],
)
def test_which_runs_are_local_and_which_run_jobs(args, here, jobs):
    assert (runs_here(args), runs_jobs(args)) == (here, jobs)


def test_a_profile_in_the_environment_is_not_a_local_run(monkeypatch):
    monkeypatch.setenv("SNAKEMAKE_PROFILE", "slurm")
    assert not runs_here(["--cores", "2"])


@pytest.fixture
def slurm_tools_that_record_calls(tmp_path, monkeypatch):
    """SLURM's query commands first on PATH, each writing its name to calls.log and failing: a cluster
    whose controller does not answer.  Returns the log."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in SLURM_TOOLS:
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho {tool} >> "{calls}"\nexit 1\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


@pytest.mark.mopac
def test_a_local_run_never_asks_the_cluster(tmp_path, slurm_tools_that_record_calls):
    calls = slurm_tools_that_record_calls
    # The SLURM executor plugin, imported as plain Snakemake imports it, asks these tools
    subprocess.run([sys.executable, "-m", "snakemake", "--version"], check=True, capture_output=True)
    assert calls.is_file() and "scontrol" in calls.read_text().split()
    calls.unlink()

    config = write_config(
        tmp_path, name="pm7", molecule=str(MOLECULES / "water-trimer.xyz"), bsse_type=["nocp"], max_nbody=2,
        model_chemistries={"pm7": PM7}, verify="sequential",
    )  # fmt: skip
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    assert not calls.exists(), f"a local run called {calls.read_text().split()}"
    verification = json.loads((tmp_path / "results" / "pm7" / "verification.json").read_text())
    assert verification["passed"]
    # the one job server, started by `mbpipe run` before Snakemake, ran every fragment
    results = (tmp_path / "results" / "pm7" / "fragments").glob("n*/*.json")
    assert {json.loads(path.read_text())["extras"]["mbpipe"]["runner"] for path in results} == {"job-server"}
    assert run.stderr.count("job server did not start") == 0


def test_the_job_command_runs_without_the_package_on_its_path(tmp_path):
    """The job client runs as a script without `site`: from a folder where `mbpipe` is not importable,
    with no server, it still starts `python -m mbpipe` (which names the command's usage error)."""
    from mbpipe.run.jobs import job_command

    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "MBPIPE_JOB_SERVER")}
    command = ["bash", "-c", f"{job_command(sys.executable)} gate"]
    run = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert run.returncode == 2 and "usage: mbpipe gate" in run.stderr, run.stderr


def test_snakemake_ends_without_waiting_for_its_timers():
    """Snakemake's scheduler leaves one-second re-evaluation timers; Python would wait for them at exit."""
    import gc
    import threading

    from mbpipe.run.launch import let_snakemake_end

    fired = threading.Event()
    timer = threading.Timer(30, fired.set)
    timer.start()
    try:
        let_snakemake_end()
        timer.join(timeout=5)
        assert not timer.is_alive() and not fired.is_set()
        assert gc.get_freeze_count() > 0  # the interpreter's last collection skips what is left
    finally:
        timer.cancel()
        gc.unfreeze()
