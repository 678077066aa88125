"""The warm fragment server of local runs, with real MOPAC and NWChem calculations.

A fragment job hands its calculation to the server; the checks are that the job process itself stays
lean, that the result is the one the program gives when QCEngine runs it directly, that failures and
killed jobs behave as they do without the server, and that the server ends with its Snakemake.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import qcengine
from helpers_failures import CHECKOUT, HF_STO3G, MOLECULES, PM7, WATER_XYZ, mbpipe_run, pm7_trimer_config, write_config
from qcelemental.models.v2 import AtomicInput, Molecule

from mbpipe.jobserver import server as job_server
from mbpipe.molecules.cluster_file import read_cluster
from mbpipe.run.jobs import JOB_ENVIRONMENT, RuleCommandFailed, run_rule_command

WATER = Molecule.from_data(WATER_XYZ)


@contextmanager
def job_server_for(programs: list[str]) -> Iterator[subprocess.Popen]:
    """A job server for this process's jobs, warmed up for *programs*, stopped afterwards; without a
    closing server, so that what runs under it is the fragments' work alone."""
    started = job_server.start(sys.executable, JOB_ENVIRONMENT, programs, closing=False)
    assert started is not None
    try:
        yield started
    finally:
        job_server.stop(started, Path(os.environ[job_server.ADDRESS_VARIABLE]))


@pytest.fixture
def server():
    with job_server_for(["mopac", "nwchem"]) as started:
        yield started


def fragment_job(input_path: Path, result_path: Path, **environment: str) -> subprocess.Popen:
    """A fragment's `python -m mbpipe` command, in a process of its own (environment inherited from this
    process)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mbpipe", "fragment", str(input_path), str(result_path)],
        env={**os.environ, **JOB_ENVIRONMENT, "PYTHONPATH": str(CHECKOUT), **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_input(folder: Path, model: dict, keywords: dict | None = None, molecule=WATER) -> Path:
    atomic_input = AtomicInput(
        molecule=molecule,
        specification={"driver": "energy", "program": model["program"], "keywords": keywords or {},
                       "model": {"method": model["method"], "basis": model.get("basis")}},
    )  # fmt: skip
    path = folder / "input.json"
    path.write_text(atomic_input.model_dump_json())
    return path


def descendants(pid: int) -> list[int]:
    """Every process below *pid* (Linux /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.mopac
def test_job_hands_its_calculation_to_the_server_and_gets_the_direct_result(server, tmp_path):
    input_path = write_input(tmp_path, PM7)
    job = fragment_job(input_path, tmp_path / "result.json", PYTHONPROFILEIMPORTTIME="1")
    _, stderr = job.communicate(timeout=120)
    assert job.returncode == 0, stderr
    # the job process imported the C socket module, not QCEngine: the server's worker ran the calculation
    assert re.search(r"\|\s+_socket$", stderr, re.MULTILINE) and " qcengine" not in stderr
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["extras"]["mbpipe"]["runner"] == "warm-worker"
    direct = qcengine.compute(AtomicInput.model_validate_json(input_path.read_text()), "mopac", raise_error=True)
    assert record["return_result"] == pytest.approx(direct.return_result, abs=1e-10)


@pytest.mark.nwchem
def test_a_rules_command_goes_to_the_server_with_its_log_as_output(server, tmp_path):
    """As a rule's `run:` block runs it, in Snakemake's own process: the server's worker calculates,
    and what the command writes (here NWChem's refusal of a bad keyword) lands in the job's log."""
    result, log = tmp_path / "result.json", tmp_path / "fragment.log"
    run_rule_command(["fragment", str(write_input(tmp_path, HF_STO3G)), str(result)], str(log))
    record = json.loads(result.read_text())
    assert record["extras"]["mbpipe"]["runner"] == "warm-worker" and record["extras"]["mbpipe"]["pid"] != os.getpid()
    bad = write_input(tmp_path, HF_STO3G, {"scf__bogus": 1})
    with pytest.raises(RuleCommandFailed, match="ended with exit status 1"):
        run_rule_command(["fragment", str(bad), str(tmp_path / "bad.json")], str(log))
    assert "failed in nwchem: input_error" in log.read_text()


@pytest.mark.mopac
def test_without_a_server_the_job_calculates_in_its_own_process(tmp_path, monkeypatch):
    monkeypatch.delenv(job_server.ADDRESS_VARIABLE, raising=False)
    job = fragment_job(write_input(tmp_path, PM7), tmp_path / "result.json")
    _, stderr = job.communicate(timeout=120)
    assert job.returncode == 0, stderr
    assert json.loads((tmp_path / "result.json").read_text())["extras"]["mbpipe"]["runner"] == "job"


@pytest.mark.nwchem
def test_a_failed_calculation_fails_the_job_with_the_programs_message(server, tmp_path):
    # NWChem refuses an unknown SCF directive: QCEngine calls that an input error
    job = fragment_job(write_input(tmp_path, HF_STO3G, {"scf__bogus": 1}), tmp_path / "result.json")
    stdout, stderr = job.communicate(timeout=120)
    assert job.returncode == 1
    assert "failed in nwchem: input_error" in stderr
    assert not (tmp_path / "result.json").exists()
    record = json.loads((tmp_path / "result.error.json").read_text())
    assert record["error"]["error_type"] == "input_error"


@pytest.mark.nwchem
def test_killing_the_job_stops_its_calculation(server, tmp_path):
    # MP2/6-31G** on a water hexamer: tens of seconds of NWChem, long enough to be caught running
    hexamer, _ = read_cluster(MOLECULES / "water-hexamer.xyz")
    model = {"program": "nwchem", "method": "mp2", "basis": "6-31g**"}
    result = tmp_path / "result.json"
    job = fragment_job(write_input(tmp_path, model, molecule=hexamer), result)
    deadline = time.monotonic() + 60
    while not any(command_name(pid) == "nwchem" for pid in descendants(server.pid)):
        assert time.monotonic() < deadline and job.poll() is None, "NWChem never started"
        time.sleep(0.2)
    job.send_signal(signal.SIGKILL)
    job.wait()
    deadline = time.monotonic() + 30
    while descendants(server.pid):
        assert time.monotonic() < deadline, [command_name(pid) for pid in descendants(server.pid)]
        time.sleep(0.2)
    assert not result.exists() and not (tmp_path / "result.error.json").exists()
    assert server.poll() is None  # the server itself goes on serving


def python_that(folder: Path, first: str) -> str:
    """A stand-in for this Python that runs the shell command *first* before it starts."""
    wrapper = folder / "python"
    wrapper.write_text(f'#!/bin/sh\n{first}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@contextmanager
def job_server_started_by(python: str) -> Iterator[subprocess.Popen]:
    """A job server for this process's jobs started by *python*, stopped afterwards; start() returns
    at once."""
    before = time.monotonic()
    started = job_server.start(python, JOB_ENVIRONMENT, ["mopac"])
    assert started is not None and time.monotonic() - before < 1.0
    try:
        yield started
    finally:
        job_server.stop(started, Path(os.environ[job_server.ADDRESS_VARIABLE]))


@pytest.mark.mopac
def test_a_job_that_comes_while_the_server_starts_waits_for_it(tmp_path):
    with job_server_started_by(python_that(tmp_path, "sleep 3")) as server:
        job = fragment_job(write_input(tmp_path, PM7), tmp_path / "result.json")
        time.sleep(1.0)
        assert job.poll() is None
        assert [command_name(pid) for pid in descendants(server.pid)] == ["sleep"]  # not started yet
        _, stderr = job.communicate(timeout=120)
    assert job.returncode == 0, stderr
    assert json.loads((tmp_path / "result.json").read_text())["extras"]["mbpipe"]["runner"] == "warm-worker"


@pytest.mark.mopac
def test_a_job_waiting_for_a_server_that_never_starts_calculates_in_its_own_process(tmp_path):
    # the job connects while the failing server still holds the socket, and is let go when it ends
    with job_server_started_by(python_that(tmp_path, "sleep 2; exit 1")) as server:
        job = fragment_job(write_input(tmp_path, PM7), tmp_path / "result.json")
        _, stderr = job.communicate(timeout=120)
        assert server.poll() == 1
    assert job.returncode == 0, stderr
    assert json.loads((tmp_path / "result.json").read_text())["extras"]["mbpipe"]["runner"] == "job"


@pytest.mark.mopac
def test_the_server_ends_with_its_snakemake(tmp_path):
    config = pm7_trimer_config(tmp_path, verify="off")
    sockets_before = socket_folders()
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = list((tmp_path / "results" / "pm7" / "fragments").glob("n*/*.json"))
    assert len(results) == 6  # 3 monomers, 3 dimers
    assert {json.loads(path.read_text())["extras"]["mbpipe"]["runner"] for path in results} == {"warm-worker"}
    # no server is left behind, nor its socket
    assert servers(tmp_path) == set()
    assert socket_folders() - sockets_before == set()


def servers(folder: Path) -> set[int]:
    """Job servers working in *folder* (the run's working directory), whoever else runs on this machine."""
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if b"mbpipe\0serve\0" in (proc / "cmdline").read_bytes() and (proc / "cwd").resolve() == folder.resolve():
                found.add(int(proc.name))
        except OSError:
            pass
    return found


def socket_folders() -> set[Path]:
    """The job servers' socket folders (mbpipe-*/ in the temporary folder), with or without their socket."""
    return {path for path in Path(tempfile.gettempdir()).glob("mbpipe-*") if path.is_dir()}


@pytest.mark.mopac
def test_the_server_and_its_socket_go_when_snakemake_is_killed(tmp_path):
    """SIGKILL gives Snakemake no chance to stop its server: the server sees its parent gone and
    removes its own socket folder."""
    config = write_config(
        tmp_path, name="pm7", molecule=str(MOLECULES / "water-hexamer.xyz"), bsse_type=["nocp"], max_nbody=3,
        model_chemistries={"pm7": PM7}, verify="off",
    )  # fmt: skip
    sockets_before = socket_folders()
    run = subprocess.Popen(
        [sys.executable, "-m", "mbpipe", "run", str(config), "--cores", "2"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (tmp_path / "results" / "pm7" / "fragments").is_dir():
        assert time.monotonic() < deadline and run.poll() is None, "no fragment job started"
        time.sleep(0.2)
    started = servers(tmp_path)
    assert started, "the run started no job server"
    os.kill(run.pid, signal.SIGKILL)  # `mbpipe run` runs Snakemake in its own process
    run.wait()
    deadline = time.monotonic() + 30
    while servers(tmp_path) or socket_folders() - sockets_before:
        assert time.monotonic() < deadline, f"left behind: {socket_folders() - sockets_before}"
        time.sleep(0.2)


def test_a_job_request_reaches_the_server_as_the_job_sent_it():
    from mbpipe.jobserver.client import decode_request, encode_request

    argv = ["fragment", "in put.json", "out=1.json", "--attempt", "2"]
    environment = {b"PATH": b"/usr/bin", b"EMPTY": b"", b"EQUALS": b"a=b=c", b"LATIN1": "caf\xe9".encode("latin-1")}
    request = encode_request(argv, b"/runs/w\xe4ter", environment, 0o027)
    assert decode_request(request) == (argv, b"/runs/w\xe4ter", environment, 0o027)


def test_the_client_hands_every_rule_command_and_only_those_to_the_server():
    """The job client keeps the rules' command names on the standard library alone: the two lists
    must name the same commands as the `mbpipe` command registers for its rules."""
    import argparse

    from mbpipe.jobserver import client
    from mbpipe.run.rule_commands import add_rule_commands

    commands = argparse.ArgumentParser().add_subparsers()
    add_rule_commands(commands)
    assert set(client.RULE_COMMANDS) == set(commands.choices)


SERVER_WITH_A_LOG = """
import os, sys, time
from pathlib import Path
from mbpipe.jobserver.server import serve

log = Path(sys.argv[2])
warm_up_s = float(sys.argv[4])
closing_libraries = False

def note(line, value=None):
    with log.open("a") as handle:
        handle.write(f"{line} {time.monotonic() if value is None else value}\\n")

def job(argv, runner):
    note(f"job-{argv[1]}-{'closing' if closing_libraries else 'server'}")
    time.sleep(0.3)
    return 0

def warm_up():
    time.sleep(warm_up_s)
    note("warm")

def closing_warm_up():
    global closing_libraries
    note("closing-pid", os.getpid())
    time.sleep(1.0)
    closing_libraries = True
    note("closing-warm")

serve(Path(sys.argv[1]), int(sys.argv[3]), dispatch=job, warm_up=warm_up, closing_warm_up=closing_warm_up)
"""


def server_with_a_log(folder: Path, warm_up_s: float) -> tuple[subprocess.Popen, Path, Path]:
    """A job server whose warm-up takes *warm_up_s* and its closing server's 1 s, which notes its jobs
    (and which of the two took each), with the time, in a log; the server, its socket and the log."""
    (folder / "socket").mkdir(parents=True)  # the server takes its socket's folder with it
    address, log = folder / "socket" / "jobs.sock", folder / "log"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER_WITH_A_LOG, str(address), str(log), str(os.getpid()), str(warm_up_s)],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
    )
    deadline = time.monotonic() + 30
    while not address.exists():
        assert server.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return server, address, log


def noted(log: Path) -> dict[str, float]:
    return {line.split()[0]: float(line.split()[1]) for line in log.read_text().splitlines()}


def wait_for(log: Path, line: str) -> None:
    deadline = time.monotonic() + 10
    while not (log.exists() and line in noted(log)):
        assert time.monotonic() < deadline, f"{line} never came"
        time.sleep(0.01)


def test_no_job_waits_for_what_only_the_closing_commands_need(tmp_path, monkeypatch):
    """The report's libraries load in a closing server beside the warm server: a fragment or gate job
    that comes meanwhile is taken at once, and the closing commands run where they are loaded."""
    from mbpipe.jobserver.client import ADDRESS_VARIABLE, hand_over

    server, address, log = server_with_a_log(tmp_path, warm_up_s=0.0)
    monkeypatch.setenv(ADDRESS_VARIABLE, str(address))
    try:
        wait_for(log, "closing-pid")
        sent = time.monotonic()
        assert hand_over(["gate", "a"]) == 0
        assert hand_over(["report", "b"]) == 0
    finally:
        server.terminate()
        server.wait()
    times = noted(log)
    assert times["job-a-server"] - sent < 0.1  # not after the closing server's second of loading
    assert times["closing-warm"] > times["job-a-server"]
    assert "job-b-closing" in times


def test_the_closing_server_ends_with_the_server_and_is_not_needed(tmp_path, monkeypatch):
    """A closing command whose closing server is gone runs in the server itself; the closing server
    goes when the server does."""
    from mbpipe.jobserver.client import ADDRESS_VARIABLE, hand_over

    server, address, log = server_with_a_log(tmp_path, warm_up_s=0.0)
    monkeypatch.setenv(ADDRESS_VARIABLE, str(address))
    try:
        wait_for(log, "closing-warm")
        assert hand_over(["assemble", "a"]) == 0
        closing = int(noted(log)["closing-pid"])
        os.kill(closing, signal.SIGKILL)
        while Path(f"/proc/{closing}/stat").read_text().split()[2] != "Z":  # ended, not yet collected
            time.sleep(0.01)
        assert hand_over(["assemble", "b"]) == 0
        server.terminate()
        server.wait(timeout=10)
    finally:
        server.kill()
        server.wait()
    assert {"job-a-closing", "job-b-server"} <= set(noted(log))

    server, address, log = server_with_a_log(tmp_path / "again", warm_up_s=0.0)
    try:
        wait_for(log, "closing-pid")
        closing = int(noted(log)["closing-pid"])
        server.terminate()
        server.wait(timeout=10)
    finally:
        server.kill()
        server.wait()
    with pytest.raises(ProcessLookupError):
        os.kill(closing, 0)
    assert not address.parent.exists()


def test_a_closing_server_that_cannot_start_leaves_the_closing_commands_to_the_server(tmp_path, monkeypatch):
    """A Unix socket's path holds at most 107 bytes: where the server's own fits and the closing
    server's, three bytes longer, does not, the server runs without one."""
    from mbpipe.jobserver.client import ADDRESS_VARIABLE, hand_over

    folder = tmp_path / ("d" * (96 - len(str(tmp_path / "socket")) - 1))  # the socket folder 96 long
    assert len(str(folder / "socket")) == 96
    server, address, log = server_with_a_log(folder, warm_up_s=0.0)
    monkeypatch.setenv(ADDRESS_VARIABLE, str(address))
    try:
        wait_for(log, "warm")
        assert hand_over(["report", "a"]) == 0
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait()
    assert "job-a-server" in noted(log) and "closing-pid" not in noted(log)
