"""Runs through profiles/slurm on a real single-node SLURM with accounting (sacct): the default config
on NWChem, and a crystal's lattice energy on PySCF.

Every fragment calculation must have run inside a SLURM job that sacct reports COMPLETED, and the
assembled energies must equal QCManyBody's sequential ManyBodyComputer's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_crystal import ammonia_config, assert_each_alike_set_computed_once, sequential_lattice_per_cell
from helpers_slurm import ACCOUNT, PARTITION, ForeignSlurm, SingleNodeSlurm, missing_programs

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("a private SLURM needs root (its daemons run as root here)")
    if missing := missing_programs():
        pytest.fail(f"{', '.join(missing)} not found: run scripts/setup, which installs SLURM, munge and MariaDB")
    try:
        with SingleNodeSlurm(tmp_path_factory.mktemp("slurm")) as cluster:
            yield cluster
    except ForeignSlurm as error:
        pytest.skip(str(error))


def user_profile(tmp_path: Path) -> Path:
    """profiles/slurm with its EDIT lines filled in for this cluster, as a user would."""
    profile = tmp_path / "profile"
    shutil.copytree(REPO / "profiles" / "slurm", profile)
    text = (profile / "config.yaml").read_text()
    text = text.replace('"your-account"', f'"{ACCOUNT}"').replace('"your-partition"', f'"{PARTITION}"')
    text = re.sub(r"^cores: \d+", f"cores: {os.cpu_count()}", text, flags=re.M)
    (profile / "config.yaml").write_text(text)
    return profile


def job_logs(workdir: Path) -> str:
    """The ends of the SLURM job logs and rule logs, to read when the run failed."""
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log")) + sorted((workdir / "logs").rglob("*.log"))
    return "".join(f"\n==> {log} <==\n{log.read_text()[-1500:]}" for log in logs[:12])


def by_job(results: list[Path]) -> dict[str, list[dict]]:
    """The fragment results' records (extras.mbpipe), by the SLURM job that ran them."""
    jobs: dict[str, list[dict]] = {}
    for result in results:
        record = json.loads(result.read_text())["extras"]["mbpipe"]
        jobs.setdefault(record["scheduler_job_id"], []).append(record)
    return jobs


def overlapping(records: list[dict]) -> bool:
    """Whether any two of these calculations ran at the same time."""
    spans = sorted((record["started"], record["finished"]) for record in records)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def run_through_profile(slurm, tmp_path: Path, config: Path) -> tuple[Path, float]:
    """snakemake --profile <the user's profiles/slurm> --configfile *config*, in tmp_path/run: the
    working directory and the wall time (s)."""
    workdir = tmp_path / "run"
    command = [
        str(SNAKEMAKE), "--snakefile", str(REPO / "workflow" / "Snakefile"),
        "--directory", str(workdir), "--profile", str(user_profile(tmp_path)),
        "--configfile", str(config),
    ]  # fmt: skip
    started = time.monotonic()
    # as from a shell with mbpipe's environment active: the profile's scripts run its python3
    environment = {**slurm.env, "PATH": f"{Path(sys.executable).parent}:{slurm.env['PATH']}"}
    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=540)
    wall = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-3000:] + job_logs(workdir)
    return workdir, wall


def assert_ran_in_completed_jobs(slurm, results: list[Path]) -> set[str]:
    """Every fragment result came from the job server of a SLURM job that sacct reports COMPLETED; the
    ids of those jobs."""
    jobs = {job["id"]: job for job in slurm.jobs()}
    fragment_jobs = set()
    for result in results:
        record = json.loads(result.read_text())["extras"]["mbpipe"]
        job_id = record["scheduler_job_id"]
        assert record["runner"] == "warm-worker"  # a warm worker of the server of the submission's own Snakemake
        assert job_id in jobs, f"{result.name} ran outside SLURM (job {job_id})"
        assert jobs[job_id]["state"] == "COMPLETED", jobs[job_id]
        fragment_jobs.add(job_id)
    return fragment_jobs


@pytest.mark.nwchem
def test_default_run_through_slurm_matches_sequential(slurm, tmp_path):
    workdir, wall = run_through_profile(slurm, tmp_path, REPO / "config" / "config.yaml")
    print(f"SLURM run of the default config: {wall:.0f} s")

    results = sorted((workdir / "results" / "water-trimer" / "fragments").glob("n*/*.json"))
    results = [r for r in results if not r.name.endswith(".error.json")]
    plan = json.loads((workdir / "results" / "water-trimer" / "plan.json").read_text())
    assert len(results) == sum(len(labels) for labels in plan["levels"].values())
    fragment_jobs = assert_ran_in_completed_jobs(slurm, results)
    # Bundling: the small fragments of a level share submissions, so far fewer jobs than fragments,
    # and run side by side in them (2 cores) through the submission's Snakemake, no job step each.
    assert len(fragment_jobs) < len(results) / 5
    assert all(slurm.steps(job_id) == [] for job_id in fragment_jobs)
    assert any(overlapping(records) for records in by_job(results).values())

    pipeline = json.loads((workdir / "results" / "water-trimer" / "manybody.json").read_text())
    sequential = json.loads((workdir / "results" / "water-trimer" / "sequential.json").read_text())
    assert pipeline["return_result"] == pytest.approx(sequential["return_result"], abs=1e-10)
    for key, value in sequential["properties"].items():
        if isinstance(value, float):
            assert pipeline["properties"][key] == pytest.approx(value, abs=1e-10), key


@pytest.mark.pyscf
def test_crystal_lattice_energy_through_slurm_matches_sequential(slurm, tmp_path):
    """Ammonia's lattice energy through 3 bodies (HF/STO-3G, noCP and CP), every calculation in a SLURM
    job, those alike across n-mers once, the lattice sum equal to the one from QCManyBody's sequential
    computer on each unique n-mer (to the SCF convergence of the copies it computes afresh)."""
    workdir, wall = run_through_profile(slurm, tmp_path, ammonia_config(tmp_path))
    print(f"SLURM run of the ammonia crystal: {wall:.0f} s")

    results = workdir / "results" / "ammonia"
    catalogue = json.loads((results / "crystal.json").read_text())
    fragments = []
    for nmer in catalogue["nmers"]:
        plan = json.loads((results / nmer["nmer"] / "plan.json").read_text())
        found = [r for r in (results / nmer["nmer"] / "fragments").glob("n*/*.json") if ".error" not in r.name]
        assert len(found) == sum(len(labels) for labels in plan["levels"].values()), nmer["nmer"]
        fragments += found
    assert_ran_in_completed_jobs(slurm, fragments)
    assert assert_each_alike_set_computed_once(results) == (23, 14)

    lattice = json.loads((results / "lattice.json").read_text())
    assert lattice["unique_nmers"] == {"2": {"unique": 2, "replicas": 48}, "3": {"unique": 1, "replicas": 12}}
    for bsse in ("nocp", "cp"):
        for order, energy in sequential_lattice_per_cell(results, bsse).items():
            reported = lattice["lattice_energy"][bsse][str(order)]["per_cell"]["hartree"]
            assert reported == pytest.approx(energy, abs=1e-9)
    assert lattice["recomputed_from_fragment_files"]["max_abs_difference_hartree"] < 1e-12
