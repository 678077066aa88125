"""A calculation past its time limit is stopped with every process it started, recorded as a
timeout, retried with a longer limit, and named in the run's failure summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers_failures import CHECKOUT, MOLECULES, fragment_results, mbpipe_run, pm7_trimer_config, write_config

from mbpipe.pipeline.time_limit import call_with_time_limit, time_limit_s


def test_the_limit_stops_the_program_the_calculation_started(tmp_path):
    pid_file = tmp_path / "program.pid"

    def hangs() -> bool:
        # a program started the way QCEngine starts one, that would outlive the limit by far
        program = subprocess.Popen(["sleep", "600"])
        pid_file.write_text(str(program.pid))
        program.wait()
        return True

    t0 = time.monotonic()
    assert call_with_time_limit(hangs, 0.5) is None
    assert time.monotonic() - t0 < 10
    program = int(pid_file.read_text())
    assert not os.path.exists(f"/proc/{program}") or "Z" in open(f"/proc/{program}/stat").read().split()[2]


def test_a_calculation_within_its_limit_gives_its_answer():
    assert call_with_time_limit(lambda: True, 30) is True
    assert call_with_time_limit(lambda: False, 30) is False


# A warm worker's way (mbpipe/jobserver/workers.py): the work in this process, which leads its own
# process group. Each case runs in a Python of its own, in a session (and group) of its own.
IN_A_WORKER = """
import os, signal, subprocess, sys, threading, time
from pathlib import Path
from mbpipe.pipeline.time_limit import call_with_time_limit_here
folder = Path(sys.argv[1])
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # as a worker has it
before_kill = lambda: (folder / "recorded").write_text("timeout")

def fails():
    raise ValueError("the calculation's own error")

def hangs():  # in Python: SIGTERM reaches it
    program = subprocess.Popen(["sleep", "600"])
    (folder / "program.pid").write_text(str(program.pid))
    program.wait()

def hangs_in_compiled_code():  # SIGTERM is left to the other thread, and the read never returns
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    os.read(os.pipe()[0], 1)

case = sys.argv[2]
if case == "fails":
    try:
        call_with_time_limit_here(fails, 0.3, before_kill)
    except ValueError:
        pass
    time.sleep(1.0)  # past the limit of the work that failed: nothing stops this process
    print("alive")
else:
    answer = call_with_time_limit_here(hangs if case == "hangs" else hangs_in_compiled_code, 0.3, before_kill)
    print(f"answer {answer}")
"""


def in_a_worker(folder, case: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", IN_A_WORKER, str(folder), case],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
    )


def test_in_a_worker_a_calculation_that_fails_leaves_no_limit_behind(tmp_path):
    done = in_a_worker(tmp_path, "fails")
    assert (done.returncode, done.stdout) == (0, "alive\n"), done.stderr


def test_in_a_worker_the_limit_stops_the_calculation_and_its_program(tmp_path):
    done = in_a_worker(tmp_path, "hangs")
    assert (done.returncode, done.stdout) == (0, "answer None\n"), done.stderr
    assert not (tmp_path / "recorded").exists()  # the worker records the timeout itself, as usual
    program = int((tmp_path / "program.pid").read_text())
    assert not os.path.exists(f"/proc/{program}") or "Z" in open(f"/proc/{program}/stat").read().split()[2]


def test_in_a_worker_stuck_in_compiled_code_the_timeout_is_recorded_before_the_kill(tmp_path):
    done = in_a_worker(tmp_path, "compiled")
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert (tmp_path / "recorded").read_text() == "timeout"


def test_each_retry_gets_a_longer_limit():
    assert [time_limit_s(0.2, 5, attempt) for attempt in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.6])
    assert time_limit_s(None, 5, 2) == 300  # the cluster's runtime request, in seconds


@pytest.mark.mopac
@pytest.mark.parametrize(
    ("snakemake_args", "limit_s"),
    [
        # the cost model asks a cluster for at least 5 minutes per calculation (mbpipe/batch/bundle.py)
        ((), 300),
        # a profile's or the command line's runtime for the fragment rule, in minutes
        (("--set-resources", "fragment:runtime=7"), 420),
    ],
)
def test_without_a_configured_limit_a_calculation_gets_its_runtime_request(tmp_path, snakemake_args, limit_s):
    config = pm7_trimer_config(tmp_path, verify="off")
    run = mbpipe_run(tmp_path, config, "--cores", "2", *snakemake_args)
    assert run.returncode == 0, run.stderr
    results = fragment_results(tmp_path, "pm7")
    assert len(results) == 6  # 3 monomers and 3 dimers
    for path in results:
        assert json.loads(path.read_text())["extras"]["mbpipe"]["time_limit_s"] == limit_s


@pytest.mark.nwchem
def test_nwchem_past_a_short_limit_is_stopped_retried_and_reported(tmp_path):
    config = write_config(
        tmp_path,
        name="slow",
        molecule=str(MOLECULES / "water-dimer.xyz"),
        bsse_type=["nocp"],
        max_nbody=2,
        # MP2/aug-cc-pVTZ of one water takes NWChem 6 s on one core: far past the third attempt's 0.6 s
        model_chemistries={"mp2": {"program": "nwchem", "method": "mp2", "basis": "aug-cc-pvtz"}},
        verify="off",
        fragment_time_limit_s=0.2,
    )
    run = mbpipe_run(tmp_path, config)
    assert run.returncode != 0
    fragments = tmp_path / "results/slow/fragments/n1"
    assert not list(fragments.glob("*_b?.json"))  # no result from a stopped calculation
    for label in ("mp2_1_b1", "mp2_2_b2"):
        record = json.loads((fragments / f"{label}.error.json").read_text())
        assert record["error"]["error_type"] == "timeout"
        # the local profile's two retries: the third attempt had three times the limit
        assert record["extras"]["mbpipe"]["attempts"] == 3
        assert record["extras"]["mbpipe"]["time_limit_s"] == pytest.approx(0.6)
        assert f"{label} (level 1): timeout after 3 attempt(s): stopped after 0.6 s" in run.stderr
    assert "Traceback" not in run.stderr
