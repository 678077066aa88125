"""Ctrl-C in the terminal of `mbpipe run` stops the calculations running at that moment, with their
programs, and writes no result for them: the run ends in seconds, not when its calculations would
have ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, MOLECULES, write_config

# Each water of the trimer in the trimer's aug-cc-pVTZ basis (276 functions): MP2 takes NWChem minutes.
SLOW = {"program": "nwchem", "method": "mp2", "basis": "aug-cc-pvtz"}


def processes_in_session(session: int) -> list[str]:
    """The commands of the live processes of *session* (zombies left out)."""
    commands = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            commands.append(command)
    return commands


@pytest.mark.nwchem
def test_ctrl_c_stops_the_running_calculations_at_once(tmp_path):
    config = write_config(
        tmp_path, name="slow", molecule=str(MOLECULES / "water-trimer.xyz"), bsse_type=["cp"], max_nbody=2,
        model_chemistries={"mp2": SLOW}, verify="off",
    )  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "mbpipe", "run", str(config), "--cores", "2"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job has
    )
    deadline = time.monotonic() + 120
    logs = tmp_path / "logs" / "slow" / "fragments" / "n1"
    while not list(logs.glob("*.log")):
        assert run.poll() is None and time.monotonic() < deadline, "no fragment job started"
        time.sleep(0.2)
    time.sleep(3)
    assert any("nwchem" in command for command in processes_in_session(run.pid))
    interrupted = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C does: the signal to the whole foreground group
    _, stderr = run.communicate(timeout=120)
    ended_s = time.monotonic() - interrupted
    # the programs' grace time (5 s) bounds the stop; the calculations would have run for minutes
    assert ended_s < 15, stderr[-3000:]
    assert run.returncode != 0
    time.sleep(0.5)
    assert not processes_in_session(run.pid)
    assert not list((tmp_path / "results" / "slow" / "fragments").glob("n*/*_b*.json"))
