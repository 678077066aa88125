"""A run killed halfway (Snakemake and its running MOPAC jobs, with SIGKILL) and started again
recomputes none of the fragments that had finished, and ends with the result of an uninterrupted run."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, DATA, PM7, fragment_results, mbpipe_run, write_config

pytestmark = pytest.mark.mopac

# Six waters, 1- to 3-body, no ghost atoms: 6 + 15 + 20 = 41 MOPAC calculations.
NFRAGMENTS = 41


def hexamer_config(folder: Path) -> Path:
    return write_config(
        folder,
        name="hexamer",
        molecule=str(DATA / "water-hexamer.xyz"),
        bsse_type=["nocp"],
        max_nbody=3,
        model_chemistries={"pm7": PM7},
        verify="sequential",
        tolerance=1e-12,
    )


def start_run(folder: Path) -> subprocess.Popen:
    """`mbpipe run` in its own process group, so that one signal reaches Snakemake and its jobs."""
    return subprocess.Popen(
        [sys.executable, "-m", "mbpipe", "run", str(hexamer_config(folder))],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def started(result: Path) -> datetime:
    return datetime.fromisoformat(json.loads(result.read_text())["extras"]["mbpipe"]["started"])


def fragment_jobs_in_last_log(folder: Path) -> int:
    """Fragment jobs Snakemake itself recorded starting in its most recent run."""
    log = sorted((folder / ".snakemake" / "log").glob("*.snakemake.log"))[-1]
    return sum(1 for line in log.read_text().splitlines() if line.strip() == "localrule fragment:")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """The folder of the killed and resumed run, once it has finished."""
    return tmp_path_factory.mktemp("killed")


def test_killed_run_resumes_without_recomputing_finished_fragments(finished_run):
    killed = finished_run

    run = start_run(killed)
    deadline = time.monotonic() + 300
    while len(fragment_results(killed, "hexamer")) < NFRAGMENTS // 2:
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read() if run.stderr else ""
        time.sleep(0.1)
    # Frozen (alive, holding its lock, computing nothing more), the run meets a second run in the same
    # folder: that one leaves the lock alone and is refused.  Then the whole process group is killed.
    os.killpg(run.pid, signal.SIGSTOP)
    intruder = mbpipe_run(killed, killed / "config.yaml")
    assert intruder.returncode != 0 and "not unlocking" in intruder.stderr, intruder.stderr
    assert run.poll() is None
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    time.sleep(1)  # let the killed group's last file writes settle

    finished = {path: path.read_bytes() for path in fragment_results(killed, "hexamer")}
    assert (killed / ".snakemake" / "locks").is_dir() and any((killed / ".snakemake" / "locks").iterdir())
    rerun_started = datetime.now().astimezone()

    rerun = start_run(killed)
    _, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr

    results = fragment_results(killed, "hexamer")
    assert len(results) == NFRAGMENTS
    recomputed_finished = [path for path, content in finished.items() if path.read_bytes() != content]
    computed_by_rerun = [path for path in results if started(path) > rerun_started]
    snakemake_jobs = fragment_jobs_in_last_log(killed)

    # QCManyBody's sequential computer ran the same calculations uninterrupted, in one process
    verification = json.loads((killed / "results/hexamer/verification.json").read_text())
    print(
        f"\nkill/resume: {NFRAGMENTS} fragments, {len(finished)} finished before the kill, "
        f"{len(recomputed_finished)} of them recomputed, {len(computed_by_rerun)} computed by the rerun "
        f"(Snakemake's log: {snakemake_jobs} fragment jobs), max |delta| {verification['max_abs_difference']:.2e}"
    )
    assert 0 < len(finished) < NFRAGMENTS
    assert recomputed_finished == []
    assert len(computed_by_rerun) == NFRAGMENTS - len(finished) == snakemake_jobs
    assert verification["passed"] and verification["max_abs_difference"] <= 1e-12


def mark_incomplete(folder: Path, output: str) -> None:
    """What a Snakemake killed between a job's last write and its own bookkeeping leaves behind: the
    job's output marked incomplete in its file-based record, its lock, and mbpipe's record of the
    lock's holder, a process that has ended."""
    marker = folder / ".snakemake" / "incomplete" / base64.urlsafe_b64encode(output.encode()).decode()
    marker.write_text('{"external_jobid": null}')
    locks = folder / ".snakemake" / "locks"
    locks.mkdir(exist_ok=True)
    (locks / "0.output.lock").write_text(output + "\n")
    record = f"import pathlib, mbpipe.run.lock_holder as h; h.record_holder(pathlib.Path({str(folder)!r}))"
    subprocess.run([sys.executable, "-c", record], check=True, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})


def test_result_finished_as_snakemake_died_is_kept(finished_run):
    """A fragment that finished writing its result just before Snakemake was killed is kept, not
    recomputed, although Snakemake's record says its job never ended."""
    folder, result = finished_run, "results/hexamer/fragments/n3/pm7_1-2-3_b1-2-3.json"
    content = (folder / result).read_bytes()
    mark_incomplete(folder, result)
    rerun = start_run(folder)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert "keeping 1 fragment results" in stderr
    assert (folder / result).read_bytes() == content
    assert fragment_jobs_in_last_log(folder) == 0
