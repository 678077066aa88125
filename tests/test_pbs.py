"""The PBS profile's status and submit logic (mbpipe/pbs.py) on qstat outputs of PBS Pro
(``qstat -fx -F json``) and Torque (``qstat -f``): finished, failed, killed, running, queued, held
and vanished jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mbpipe.batch import pbs

QSTAT = Path(__file__).parent / "data" / "qstat"
REPO = Path(__file__).resolve().parent.parent


def replay(pbspro: str | None = None, torque: str | None = None):
    """A stand-in for subprocess.run that answers qstat as a PBS Pro or a Torque server did."""
    calls = []

    def run(command, **_):
        calls.append(command)
        if "-F" in command:  # PBS Pro's JSON query
            if pbspro and pbspro.endswith(".json"):
                return subprocess.CompletedProcess(command, 0, (QSTAT / pbspro).read_text(), "")
            stderr = (QSTAT / (pbspro or "torque-no-json.stderr")).read_text()
            return subprocess.CompletedProcess(command, 35 if pbspro else 2, "", stderr)
        if torque.endswith(".txt"):
            return subprocess.CompletedProcess(command, 0, (QSTAT / torque).read_text(), "")
        return subprocess.CompletedProcess(command, 153, "", (QSTAT / torque).read_text())

    run.calls = calls
    return run


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("pbspro-finished.json", "success"),
        ("pbspro-failed.json", "failed"),
        ("pbspro-walltime-killed.json", "failed"),
        ("pbspro-running.json", "running"),
        ("pbspro-queued.json", "running"),
        ("pbspro-held.json", "running"),
        ("pbspro-vanished.stderr", "success"),
    ],
)
def test_pbspro_status(recorded, expected):
    run = replay(pbspro=recorded)
    assert pbs.query("4242.pbs-head", run=run, warn=lambda _: None) == expected
    assert len(run.calls) == 1  # PBS Pro answers the JSON query; no Torque fallback


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("torque-completed.txt", "success"),
        ("torque-failed.txt", "failed"),
        ("torque-walltime-killed.txt", "failed"),
        ("torque-running.txt", "running"),
        ("torque-held.txt", "running"),
        ("torque-vanished.stderr", "success"),
    ],
)
def test_torque_status(recorded, expected):
    run = replay(torque=recorded)
    assert pbs.query("4242.torque-head", run=run, warn=lambda _: None) == expected
    assert run.calls[-1] == ["qstat", "-f", "4242.torque-head"]


@pytest.mark.parametrize("recorded", ["pbspro-held.json", "torque-held.txt"])
def test_held_job_tells_how_to_release_it(recorded):
    warnings = []
    run = replay(pbspro=recorded) if recorded.endswith(".json") else replay(torque=recorded)
    pbs.query("4242.head", run=run, warn=warnings.append)
    assert "qrls 4242.head" in warnings[0]


def test_qstat_outage_is_not_a_verdict():
    def run(command, **_):
        return subprocess.CompletedProcess(command, 1, "", "Connection refused\nqstat: cannot connect to server")

    assert pbs.query("4242.head", run=run, warn=lambda _: None) == "running"


def jobscript(tmp_path, properties):
    path = tmp_path / "snakejob.sh"
    path.write_text(f"#!/bin/sh\n# properties = {json.dumps(properties)}\nsnakemake ...\n")
    return path


FRAGMENT = {"type": "single", "rule": "fragment", "threads": 2, "resources": {"mem_mb": 4000, "runtime": 75}}
BUNDLE = {"type": "group", "groupid": "bundle-n3", "threads": 8, "resources": {"mem_mb": 16000, "runtime": 35}}


def test_pbspro_request_maps_threads_memory_runtime(tmp_path):
    properties = json.loads(json.dumps(FRAGMENT))
    properties["resources"] |= {"pbs_queue": "short", "pbs_account": "chem42"}
    arguments = pbs.qsub_arguments(pbs.job_properties(jobscript(tmp_path, properties)))
    assert "select=1:ncpus=2:mem=4000mb" in arguments
    assert "walltime=01:15:00" in arguments
    assert arguments[arguments.index("-q") + 1] == "short"
    assert arguments[arguments.index("-A") + 1] == "chem42"


def test_torque_request_for_a_bundle(tmp_path):
    arguments = pbs.qsub_arguments(BUNDLE, torque=True)
    assert ["-l", "nodes=1:ppn=8", "-l", "mem=16000mb", "-l", "walltime=00:35:00"] == arguments[4:10]
    assert "-q" not in arguments and "-A" not in arguments
    assert arguments[arguments.index("-N") + 1] == "mbpipe-bundle-n"


def test_profile_scripts_call_the_library(tmp_path):
    """The profile's status script runs with a bare python3 and prints one word."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    qstat = fake_bin / "qstat"
    qstat.write_text(f"#!/bin/sh\ncat {QSTAT / 'pbspro-finished.json'}\n")
    qstat.chmod(0o755)
    answer = subprocess.run(
        [sys.executable, "-I", str(REPO / "profiles" / "pbs" / "status.py"), "4242.pbs-head"],
        capture_output=True, text=True, env={"PATH": f"{fake_bin}:/usr/bin:/bin"},
    )  # fmt: skip
    assert answer.stdout == "success\n", answer.stderr
