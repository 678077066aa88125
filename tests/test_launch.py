"""How `mbpipe run` and plain `snakemake` start a run: which runs are local and run jobs, and one warm
job server for every fragment of a local run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from helpers_failures import CHECKOUT, mbpipe_run, pm7_trimer_config
from qcelemental import constants
from workflow_runs import run_snakemake

from mbpipe.run.launch import programs_in, runs_here, runs_jobs

HARTREE_KCAL_MOL = constants.conversion_factor("hartree", "kcal/mol")


def at_snakemake_exit(expression: str) -> tuple[str, ...]:
    """`python_args` for run_snakemake: Snakemake's command line, in a process that prints `at exit:`
    and *expression* (gc and sys imported) to stderr as it ends, after the workflow's own exit
    functions (registered after this one, they run before it)."""
    watch = (
        "import atexit, gc, sys\n"
        f"atexit.register(lambda: print('at exit:', {expression}, file=sys.stderr))\n"
        "from snakemake.cli import main\n"
        "main()\n"
    )
    return ("-c", watch)


def imported_modules(stderr: str) -> set[str]:
    """The modules a Python run with PYTHONPROFILEIMPORTTIME=1 imported, from its stderr."""
    return set(re.findall(r"^import time:.*\|\s+(\S+)$", stderr, re.MULTILINE))


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


@pytest.mark.mopac
@pytest.mark.parametrize("launcher", ["mbpipe run", "snakemake"])
def test_a_local_run_hands_every_fragment_to_one_job_server(tmp_path, launcher, monkeypatch):
    """`mbpipe run` starts the job server before Snakemake reads the workflow, plain `snakemake` as it
    builds the job graph: either way every fragment runs in it, none in a Python of its own, and every
    rule's job is handed over from Snakemake's own process, none from a Snakemake started for it."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # each Python started says what it imports
    config = pm7_trimer_config(tmp_path, verify="sequential")
    if launcher == "mbpipe run":
        run = mbpipe_run(tmp_path, config, "--cores", "2")
    else:
        run = run_snakemake(tmp_path, config, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    verification = json.loads((tmp_path / "results" / "pm7" / "verification.json").read_text())
    assert verification["passed"]
    results = (tmp_path / "results" / "pm7" / "fragments").glob("n*/*.json")
    assert {json.loads(path.read_text())["extras"]["mbpipe"]["runner"] for path in results} == {"warm-worker"}
    assert run.stderr.count("job server did not start") == 0
    assert len(re.findall(r"^import time:.*\|\s+snakemake$", run.stderr, re.MULTILINE)) == 1
    # the run ends with its answer on the screen, as manybody.json has it
    result = json.loads((tmp_path / "results" / "pm7" / "manybody.json").read_text())
    kcal_mol = result["properties"]["nocp_corrected_interaction_energy_through_2_body"] * HARTREE_KCAL_MOL
    closing = run.stdout[run.stdout.index("pm7:") :]
    assert f"{kcal_mol:.4f}" in closing and "verification passed" in closing, run.stdout[-2000:]
    assert f"results in {tmp_path / 'results' / 'pm7'}" in closing


def test_reading_the_workflow_imports_none_of_the_reports_libraries(tmp_path, monkeypatch):
    """Snakemake reads the workflow before its first job can start: pandas and matplotlib (0.3 s and
    more) are left to the report's jobs, which run in the job server."""
    config = pm7_trimer_config(tmp_path, verify="off")
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    run = run_snakemake(tmp_path, config, "--dry-run")
    imported = imported_modules(run.stderr)
    assert "snakemake" in imported and "mbpipe.pipeline.plan" in imported  # the workflow was read
    assert not imported & {"pandas", "matplotlib"}


@pytest.mark.mopac
def test_the_snakemake_that_runs_the_jobs_never_imports_pandas(tmp_path):
    """Snakemake records each finished job's `params:` in its metadata, importing pandas to do so
    (0.3-0.5 s) in the thread that starts the next jobs: when the first fragment of a run ends, and at
    the verification's end.  The rules pass their values in their `run:` blocks instead, and the
    report's pandas is the job server's alone."""
    config = pm7_trimer_config(tmp_path, verify="sequential")
    run = run_snakemake(tmp_path, config, python_args=at_snakemake_exit("'pandas' in sys.modules"))
    assert json.loads((tmp_path / "results" / "pm7" / "verification.json").read_text())["passed"]
    assert (tmp_path / "results" / "pm7" / "fragments.csv").exists()  # the report's jobs ran, with pandas
    assert "at exit: False" in run.stderr, run.stderr[-3000:]


def test_reading_the_workflow_of_a_planned_run_imports_no_quantum_chemistry_library(tmp_path, monkeypatch):
    """Once a run is planned, Snakemake reads its workflow again on every rerun, dry run and cluster
    submission: QCElemental and QCManyBody (0.25-0.4 s to import) are left to planning and the jobs."""
    config = pm7_trimer_config(tmp_path, verify="off")
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    first = run_snakemake(tmp_path, config, "--dry-run")
    assert "qcmanybody" in imported_modules(first.stderr)  # it planned
    again = run_snakemake(tmp_path, config, "--dry-run")
    imported = imported_modules(again.stderr)
    assert "mbpipe.pipeline.plan" in imported and "fragment" in again.stdout  # the workflow was read, the graph built
    assert not imported & {"qcelemental", "qcmanybody", "qcengine"}


def test_a_dry_run_ends_without_a_last_collection(tmp_path):
    """A dry run, which calls none of the workflow's success or error hooks, still freezes what
    Snakemake leaves before the interpreter ends: its last garbage collection would walk every job of
    the graph (1.2-1.4 s at 10^4 fragment jobs).  An exit function registered before Snakemake starts
    runs after the workflow's own and sees what it left."""
    config = pm7_trimer_config(tmp_path, verify="off")
    run = run_snakemake(tmp_path, config, "--dry-run", python_args=at_snakemake_exit("gc.get_freeze_count()"))
    assert "fragment" in run.stdout  # the job graph was built
    frozen = int(re.search(r"at exit: (\d+)", run.stderr).group(1))
    assert frozen > 10_000  # Snakemake's, QCManyBody's and the plan's objects


def test_a_rule_command_without_a_job_server_runs_in_a_python_of_its_own(tmp_path, monkeypatch):
    """Where no job server runs, a rule's command starts `python -m mbpipe`: its output goes to the
    job's log, and a failure names the command and the log."""
    from mbpipe.run.jobs import RuleCommandFailed, run_rule_command

    monkeypatch.delenv("MBPIPE_JOB_SERVER", raising=False)
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "gate.log"
    with pytest.raises(RuleCommandFailed, match=f"`mbpipe gate` ended with exit status 2; see its log, {log}"):
        run_rule_command(["gate"], str(log))
    assert "usage: mbpipe gate" in log.read_text()


def test_the_programs_a_job_server_starts_are_read_before_the_config_is_checked(tmp_path):
    """`mbpipe run` starts the job server from the config's YAML alone, before checking it: whatever the
    file holds gives a list of names or nothing, never an error of its own (the check says what is wrong)."""
    config = tmp_path / "config.yaml"
    config.write_text("model_chemistries:\n  hf: {program: nwchem, method: hf}\n  pm7: {program: mopac}\n  x: 1\n")
    assert programs_in(config) == ["mopac", "nwchem"]
    for text in ("model_chemistries: [nwchem]\n", "- a list\n", "", "model_chemistries:\n  hf: {program: [1]}\n"):
        config.write_text(text)
        assert programs_in(config) == [], text
    config.write_text("model_chemistries: {hf: [\n")
    assert programs_in(config) is None
    assert programs_in(tmp_path / "missing.yaml") is None


@pytest.mark.nwchem
def test_a_program_qcengine_does_not_know_is_left_to_the_check(tmp_path, monkeypatch):
    """A misspelt program reaches the job server's warm-up before the check refuses it: the warm-up
    passes it over, and still starts the programs it knows.  (In a Python of its own: the warm-up holds
    its process's thread pools at one thread.)"""
    from mbpipe.jobserver import machine_survey

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    warm_up = subprocess.run(
        [sys.executable, "-m", "mbpipe.jobserver.warm_up", "nwchen", "nwchem"],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert warm_up.returncode == 0, warm_up.stderr
    assert list(json.loads(machine_survey.cache_file().read_text())["versions"]) == ["nwchem"]
