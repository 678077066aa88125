"""A results folder's lock is removed only when provably stale: never while the Snakemake that holds
it may still run, on this host or another one that shares the folder (a cluster's login nodes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, DATA, PM7, mbpipe_run, write_config

from mbpipe.run.lock_holder import LOCKS, RECORD_PREFIX, Holder, is_gone

pytestmark = pytest.mark.mopac


def hexamer_config(folder: Path) -> Path:
    """41 MOPAC calculations: long enough to be caught running."""
    return write_config(
        folder, name="hexamer", molecule=str(DATA / "water-hexamer.xyz"), bsse_type=["nocp"], max_nbody=3,
        model_chemistries={"pm7": PM7}, verify="sequential",
    )  # fmt: skip


def wait_for_holder_record(folder: Path, run: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 300
    while not (records := list((folder / LOCKS).glob(f"{RECORD_PREFIX}*.json"))):
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()[1][-3000:]
        time.sleep(0.05)
    return records[0]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_a_run_on_another_host_keeps_its_lock(tmp_path):
    """The first run starts on "another host": its own hostname and process namespace, so that its
    processes are invisible here, as a run on another login node is.  A second run here is refused,
    told who holds the folder and how to force it, and the first run finishes untouched."""
    config = hexamer_config(tmp_path)
    first = subprocess.Popen(
        ["unshare", "--uts", "--pid", "--fork", "--mount-proc", "sh", "-c",
         f'hostname other-node && exec "{sys.executable}" -m mbpipe run {config} --cores 2'],
        # its machine survey goes to a cache of its own, not the user's (the host is not this one)
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(CHECKOUT), "XDG_CACHE_HOME": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        record = json.loads(wait_for_holder_record(tmp_path, first).read_text())
        os.killpg(first.pid, signal.SIGSTOP)  # so that it cannot finish while the second run looks
        assert record["host"] == "other-node"

        second = mbpipe_run(tmp_path, config, "--cores", "2")
        assert second.returncode != 0
        assert "another host" in second.stderr and "other-node" in second.stderr, second.stderr
        assert f"pid {record['pid']}" in second.stderr
        assert f"mbpipe run {config} --unlock" in second.stderr
        assert "removing the lock" not in second.stderr
        assert any((tmp_path / LOCKS).glob("*.lock"))
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert json.loads((tmp_path / "results/hexamer/verification.json").read_text())["passed"]


def test_a_lock_without_a_record_is_left_with_the_command_that_removes_it(tmp_path):
    config = write_config(
        tmp_path, name="pm7", molecule=str(CHECKOUT / "config/molecules/water-dimer.xyz"), bsse_type=["nocp"],
        model_chemistries={"pm7": PM7}, verify="sequential",
    )  # fmt: skip
    locks = tmp_path / LOCKS
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text("results/pm7/manybody.json\n")  # as Snakemake writes it
    refused = mbpipe_run(tmp_path, config, "--cores", "2")
    assert refused.returncode != 0
    assert f"`mbpipe run {config} --unlock`" in refused.stderr, refused.stderr
    assert not (tmp_path / "results/pm7/manybody.json").exists()

    assert mbpipe_run(tmp_path, config, "--unlock").returncode == 0
    rerun = mbpipe_run(tmp_path, config, "--cores", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert json.loads((tmp_path / "results/pm7/verification.json").read_text())["passed"]


def test_a_holder_from_an_earlier_boot_or_another_process_is_gone():
    import socket

    from mbpipe.run.lock_holder import _boot_id, _process_start

    here = Holder(socket.gethostname(), _boot_id(), os.getpid(), _process_start(os.getpid()), "pytest", "now")
    assert is_gone(here) is False
    assert is_gone(Holder(**{**here.__dict__, "boot": "an earlier boot"})) is True
    # the same process number, but another process under it (the number was reused)
    assert is_gone(Holder(**{**here.__dict__, "process_start": here.process_start - 1})) is True
    assert is_gone(Holder(**{**here.__dict__, "host": "other-node"})) is None
