"""Warm workers (mbpipe/jobserver/workers.py), with real PySCF and NWChem calculations.

A worker runs one fragment calculation after another: its thousandth result must be bit for bit its
first, and a fresh worker's, after calculations of other molecules, charges, spins, ghost atoms,
methods, basis sets and memory in between; each job runs in its own surroundings, and what a program
left running is stopped. A worker killed in mid-calculation, or stuck past its job's time limit, is
killed with the program it runs; its job fails as a failed fragment does (Snakemake retries it), and
the next job gets a new worker, as after a failed calculation.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, MOLECULES, WATER_XYZ
from qcelemental.models.v2 import AtomicInput, Molecule
from test_job_server import command_name, descendants, job_server_for
from test_pyscf_fork import children

from mbpipe.jobserver.client import encode_request, hand_over
from mbpipe.jobserver.job import Job, surroundings
from mbpipe.molecules.cluster_file import read_cluster

CALCULATIONS = 1000  # about 70 s on the 2-core machine
NWCHEM_EVERY, DFT_EVERY = 40, 20  # the others are PySCF's of 40 ms each

DIMER, _ = read_cluster(MOLECULES / "water-dimer.xyz")
# The dimer's first water with the second's basis functions on ghost atoms, as a cp fragment has them.
GHOSTED_DIMER = DIMER.model_copy(update={"real": [True] * 3 + [False] * 3})
WATER = Molecule.from_data(WATER_XYZ)
AMIDOGEN = Molecule.from_data("0 2\nN 0 0 0\nH 0 0.80 0.62\nH 0 -0.80 0.62")
HYDRONIUM = Molecule.from_data("1 1\nO 0 0 0.12\nH 0 0.94 -0.27\nH 0.81 -0.47 -0.27\nH -0.81 -0.47 -0.27")


@pytest.fixture
def server():
    with job_server_for(["pyscf", "nwchem"]) as started:
        yield started


def write_input(path: Path, molecule: Molecule, program: str, method: str, basis: str, driver="energy") -> Path:
    specification = {"program": program, "driver": driver, "model": {"method": method, "basis": basis}}
    path.write_text(AtomicInput(molecule=molecule, specification=specification).model_dump_json())
    return path


def calculate(input_path: Path, result_path: Path, *options: str) -> dict:
    status = hand_over(["fragment", str(input_path), str(result_path), "--ncores", "1", *options])
    assert status == 0, result_path.with_suffix(".error.json").read_text()
    return json.loads(result_path.read_text())


def worker_of(record: dict) -> int:
    return record["extras"]["mbpipe"]["pid"]


def the_same_result(first: dict, later: dict) -> None:
    assert later["return_result"] == first["return_result"]  # bit for bit: == on floats
    assert later["properties"] == first["properties"]


@pytest.mark.pyscf
@pytest.mark.nwchem
def test_a_workers_thousandth_result_is_bit_for_bit_its_first_and_a_fresh_workers(server, tmp_path):
    references = {
        "pyscf": write_input(tmp_path / "pyscf.json", GHOSTED_DIMER, "pyscf", "hf", "6-31g", driver="gradient"),
        "nwchem": write_input(tmp_path / "nwchem.json", GHOSTED_DIMER, "nwchem", "hf", "6-31g", driver="gradient"),
    }
    first = {program: calculate(path, tmp_path / f"{program}-first.json") for program, path in references.items()}
    worker = worker_of(first["pyscf"])
    assert worker_of(first["nwchem"]) == worker

    cheap = itertools.cycle([
        write_input(tmp_path / "water-hf.json", WATER, "pyscf", "hf", "sto-3g"),
        write_input(tmp_path / "water-mp2.json", WATER, "pyscf", "mp2", "6-31g"),
        write_input(tmp_path / "water-gradient.json", WATER, "pyscf", "hf", "6-31g", driver="gradient"),
        write_input(tmp_path / "dimer-ghost.json", GHOSTED_DIMER, "pyscf", "hf", "sto-3g"),
        write_input(tmp_path / "amidogen.json", AMIDOGEN, "pyscf", "hf", "sto-3g"),
    ])  # fmt: skip
    dft = itertools.cycle([  # a DFT grid each: 0.3 s
        write_input(tmp_path / "water-b3lyp.json", WATER, "pyscf", "b3lyp", "sto-3g"),
        write_input(tmp_path / "hydronium.json", HYDRONIUM, "pyscf", "b3lyp", "sto-3g"),
    ])  # fmt: skip
    nwchem = itertools.cycle([  # 0.4 s each
        write_input(tmp_path / "nwchem-water.json", WATER, "nwchem", "hf", "sto-3g"),
        write_input(tmp_path / "nwchem-amidogen.json", AMIDOGEN, "nwchem", "hf", "sto-3g"),
        write_input(tmp_path / "nwchem-mp2.json", WATER, "nwchem", "mp2", "6-31g"),
    ])  # fmt: skip
    memories = itertools.cycle(["500", "1500", "3000"])
    result = tmp_path / "between.json"
    for index in range(CALCULATIONS - 2 * len(references)):
        kind = nwchem if index % NWCHEM_EVERY == 0 else dft if index % DFT_EVERY == DFT_EVERY // 2 else cheap
        memory_mb = next(memories)
        record = calculate(next(kind), result, "--memory-mb", memory_mb)
        assert worker_of(record) == worker
        if kind is not nwchem:  # each calculation its own memory, as PySCF reports it (GiB)
            assert record["provenance"]["memory"] == pytest.approx(float(memory_mb) / 1024, abs=0.01)

    again = {program: calculate(path, tmp_path / f"{program}-again.json") for program, path in references.items()}
    assert {worker_of(record) for record in again.values()} == {worker}
    for program in references:
        the_same_result(first[program], again[program])

    # A fresh worker: the old one is killed (idle), and the server starts another for the next job.
    os.kill(worker, signal.SIGKILL)
    wait_until_gone([worker], timeout_s=10)  # the server has heard of it
    fresh = {program: calculate(path, tmp_path / f"{program}-fresh.json") for program, path in references.items()}
    assert {worker_of(record) for record in fresh.values()} != {worker}
    for program in references:
        the_same_result(first[program], fresh[program])


def nwchem_under(pid: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(command_name(below) == "nwchem" for below in descendants(pid)):
        assert time.monotonic() < deadline, "NWChem never started"
        time.sleep(0.1)


def wait_until_gone(processes: list[int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while any(Path(f"/proc/{pid}").exists() and command_name(pid) for pid in processes):
        assert time.monotonic() < deadline, [command_name(pid) for pid in processes]
        time.sleep(0.1)


def run_in_thread(argv: list[str]) -> Future:
    """The job *argv* handed over from a thread: its status comes later."""
    pool = ThreadPoolExecutor(1)
    future = pool.submit(hand_over, argv)
    pool.shutdown(wait=False)
    return future


@pytest.mark.nwchem
@pytest.mark.parametrize("how", ["killed", "stuck"])
def test_a_worker_killed_or_stuck_mid_calculation_is_replaced_and_its_job_fails(server, tmp_path, how, capfd):
    # MP2/6-31G** on a water hexamer: tens of seconds of NWChem, long enough to be caught running
    hexamer, _ = read_cluster(MOLECULES / "water-hexamer.xyz")
    input_path = write_input(tmp_path / "hexamer.json", hexamer, "nwchem", "mp2", "6-31g**")
    result = tmp_path / "hexamer-result.json"
    # A stuck worker (stopped: no thread of its own can stop its calculation) is killed by the server
    # past its job's time limit and a grace time; a killed one as soon as the server hears of it.
    limit = ["--time-limit-s", "1"] if how == "stuck" else []
    job = run_in_thread(["fragment", str(input_path), str(result), "--ncores", "1", *limit])
    nwchem_under(server.pid)
    (worker,) = children(server.pid)
    program = descendants(worker)  # NWChem, and mpirun's helpers
    os.kill(worker, signal.SIGKILL if how == "killed" else signal.SIGSTOP)

    assert job.result(timeout=60) == 1  # a failed job: Snakemake retries it
    assert "ended without an exit status (its process was killed)" in capfd.readouterr().err
    wait_until_gone([worker, *program], timeout_s=10)  # NWChem went with its worker
    assert not result.exists()

    small = write_input(tmp_path / "water.json", WATER, "nwchem", "hf", "sto-3g")
    record = calculate(small, tmp_path / "water-result.json")
    assert worker_of(record) != worker
    assert server.poll() is None  # the server goes on serving


@pytest.mark.nwchem
def test_a_failed_calculation_ends_its_worker(server, tmp_path):
    """A program may leave its state unusable after a failure (a CUDA context after a kernel fault):
    the next job gets a new worker."""
    good = write_input(tmp_path / "water.json", WATER, "nwchem", "hf", "sto-3g")
    first = calculate(good, tmp_path / "first.json")
    bad = AtomicInput.model_validate_json(good.read_text())
    bad = bad.model_copy(update={"specification": bad.specification.model_copy(update={"keywords": {"scf__bogus": 1}})})
    (tmp_path / "bad.json").write_text(bad.model_dump_json())
    argv = ["fragment", str(tmp_path / "bad.json"), str(tmp_path / "bad-result.json"), "--ncores", "1"]
    assert hand_over(argv) == 1
    assert json.loads((tmp_path / "bad-result.error.json").read_text())["extras"]["mbpipe"]["pid"] == worker_of(first)
    wait_until_gone([worker_of(first)], timeout_s=10)
    assert worker_of(calculate(good, tmp_path / "again.json")) != worker_of(first)


def test_a_job_runs_in_its_own_surroundings_and_the_worker_gets_its_own_back(tmp_path):
    """What a worker restores after each job: its stdout and stderr, working directory, environment,
    umask and temporary folder."""
    read_end, write_end = os.pipe()
    environment = {b"PATH": os.environb[b"PATH"], b"TMPDIR": os.fsencode(tmp_path), b"MBPIPE_TEST": b"job"}
    request = encode_request(["fragment", "x"], os.fsencode(tmp_path), environment, 0o027)
    job = Job(request, [write_end, os.dup(2)], ["fragment", "x"])
    before = (os.getcwd(), dict(os.environ), os.umask(0o022), tempfile.gettempdir())
    os.umask(before[2])
    with surroundings(job) as argv:
        inside = (os.getcwd(), dict(os.environ), os.umask(0o027), tempfile.gettempdir())
        os.write(1, b"to the job's stdout")
    job.close()
    after = (os.getcwd(), dict(os.environ), os.umask(before[2]), tempfile.gettempdir())
    os.umask(before[2])
    assert argv == ["fragment", "x"]
    assert inside == (str(tmp_path), {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path), "MBPIPE_TEST": "job"},
                      0o027, str(tmp_path))  # fmt: skip
    assert after == before
    assert os.read(read_end, 100) == b"to the job's stdout"


def test_what_a_job_left_running_is_stopped_and_the_worker_goes_on(tmp_path):
    """A program that leaves a process behind in the worker's group: it is stopped after the job."""
    script = (
        "import os, subprocess, sys, time\n"
        "from mbpipe.jobserver.workers import _stop_what_the_job_left\n"
        "left = subprocess.Popen(['sleep', '600'])\n"
        "_stop_what_the_job_left()\n"
        "print(left.wait(timeout=10))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True, text=True, start_new_session=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"{-signal.SIGTERM}\n"), done.stderr
