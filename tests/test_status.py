"""`mbpipe status` on real fragment results: done, failed (a real NWChem failure) and waiting fragments
counted per level, and Snakemake's own running jobs seen while it runs."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mbpipe.base import layout
from mbpipe.cli import main
from mbpipe.config.load import validated
from mbpipe.monitor.status import run_status
from mbpipe.pipeline.fragment import run_fragment
from mbpipe.pipeline.plan import make_plan
from mbpipe.report.fragment_table import fragment_table

pytestmark = pytest.mark.nwchem

CHECKOUT = Path(__file__).resolve().parent.parent
NAME = "dimer-status"
CONFIG = {
    "name": NAME,
    "molecule": str(CHECKOUT / "config" / "molecules" / "water-dimer.xyz"),
    "bsse_type": ["nocp"],
    "model_chemistries": {"hf": {"program": "nwchem", "method": "hf", "basis": "sto-3g"}},
    "verify": "off",
}
MONOMER_1, MONOMER_2, DIMER = "hf_1_b1", "hf_2_b2", "hf_1-2_b1-2"


def paths(level, label):
    return (
        layout.path(layout.FRAGMENT_INPUT, name=NAME, level=level, label=label),
        layout.path(layout.FRAGMENT_RESULT, name=NAME, level=level, label=label),
    )


def table_rows(text: str) -> dict[str, list[int]]:
    """level -> [calculations, done, running, failed, waiting] from the printed status table."""
    rows = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 5 and all(f.isdigit() for f in fields[1:6]):
            rows[fields[0]] = [int(f) for f in fields[1:6]]
    return rows


@pytest.fixture
def planned(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = make_plan(validated(CONFIG, base_dir=tmp_path))
    assert plan.levels == {1: [MONOMER_1, MONOMER_2], 2: [DIMER]}
    return plan


def test_finished_failed_and_missing(planned, capsys):
    assert run_fragment(*paths(1, MONOMER_1))
    # NWChem refuses 1 MB of memory: a real failure, recorded beside where the result would be
    assert not run_fragment(*paths(1, MONOMER_2), memory_mb=1)
    capsys.readouterr()

    assert main(["status", f"results/{NAME}"]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert rows["n1"] == [2, 1, 0, 1, 0]
    assert rows["n2"] == [1, 0, 0, 0, 1]  # the dimer waits for level 1
    assert rows["all"] == [3, 1, 0, 1, 1]
    assert "Snakemake is not running" in out
    failed = [line for line in out.splitlines() if MONOMER_2 in line]
    assert failed and "memory" in failed[0].lower(), out  # NWChem's own complaint, not the input deck
    assert f"fragments/n1/{MONOMER_2}.error.json" in out

    # the same input run again with enough memory: done, and counted as its second attempt
    assert run_fragment(*paths(1, MONOMER_2))
    status = run_status(NAME)
    assert status.levels[["done", "failed", "waiting"]].to_numpy().tolist() == [[2, 0, 0], [0, 0, 1]]
    assert not status.failed
    attempts = fragment_table(planned).set_index("label")["attempts"]
    assert attempts[MONOMER_1] == 1 and attempts[MONOMER_2] == 2


def test_sees_snakemake_running(tmp_path, monkeypatch):
    """Snakemake runs level 1; while it does, status sees its running job through Snakemake's markers."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text("\n".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in CONFIG.items()))
    snakemake = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow" / "Snakefile"), "--configfile",
         str(config), "--cores", "1", "--directory", str(tmp_path), layout.LEVEL_GATE.format(name=NAME, level=1)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    seen_running = None
    try:
        deadline = time.time() + 120
        while snakemake.poll() is None and time.time() < deadline and seen_running is None:
            if (tmp_path / layout.PLAN.format(name=NAME)).exists():
                status = run_status(NAME)
                if status.levels["running"].sum():
                    seen_running = status
            time.sleep(0.05)
        assert snakemake.wait(timeout=120) == 0
    finally:
        snakemake.kill()
    assert seen_running is not None, "no fragment was ever seen running"
    assert seen_running.snakemake_running
    assert seen_running.levels["running"].sum() == 1  # one core
    assert seen_running.levels["calculations"].sum() == 3
    finished = run_status(NAME)
    assert not finished.snakemake_running
    # asked for level 1 only: its two monomers done, the dimer still waiting
    assert finished.levels[["done", "running", "failed", "waiting"]].to_numpy().tolist() == [[2, 0, 0, 0], [0, 0, 0, 1]]
