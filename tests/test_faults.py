"""Damaged results after a finished run: the next run, alone, recomputes exactly the damaged
calculation, and every other fragment file keeps its bytes and modification time, whatever its level.

A water trimer, 3-body nocp, MOPAC PM7: three monomers, three dimers and the trimer.  The expected
energies are those of the first run; a recomputed PM7 calculation of the same input gives the same
number."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, MOLECULES, PM7, fragment_results, mbpipe_run, write_config

NAME = "faults"
CONFIG = {
    "name": NAME,
    "molecule": str(MOLECULES / "water-trimer.xyz"),
    "bsse_type": ["nocp"],
    "max_nbody": 3,
    "model_chemistries": {"pm7": PM7},
    "verify": "off",
}


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def delete(path: Path) -> None:
    path.unlink()


def wrong_energy(path: Path) -> None:
    """Valid QCSchema, same input hash, 1 mEh off: only the gate's record of the file tells."""
    result = json.loads(path.read_text())
    result["return_result"] += 1e-3
    result["properties"]["return_energy"] += 1e-3
    path.write_text(json.dumps(result))


def wrong_input_hash(path: Path) -> None:
    result = json.loads(path.read_text())
    result["extras"]["mbpipe"]["input_sha256"] = "0" * 64
    path.write_text(json.dumps(result))


def file_states(folder: Path) -> dict[Path, tuple[int, bytes]]:
    return {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in fragment_results(folder, NAME)}


def energy(path: Path) -> float:
    return json.loads(path.read_text())["properties"]["return_energy"]


def manybody_energy(folder: Path) -> float:
    return json.loads((folder / f"results/{NAME}/manybody.json").read_text())["return_result"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    config = write_config(folder, **CONFIG)
    run = mbpipe_run(folder, config)
    assert run.returncode == 0, run.stderr
    assert len(fragment_results(folder, NAME)) == 7
    return folder, config, manybody_energy(folder)


@pytest.mark.mopac
@pytest.mark.parametrize("damage", [truncate, delete, wrong_energy, wrong_input_hash])
def test_one_run_recomputes_exactly_the_damaged_result_on_each_level(finished_run, damage):
    folder, config, expected_total = finished_run
    for level in (1, 2, 3):
        before = file_states(folder)
        damaged = sorted(path for path in before if path.parent.name == f"n{level}")[0]
        damage(damaged)

        run = mbpipe_run(folder, config)
        assert run.returncode == 0, run.stderr
        rewritten = [path for path, state in before.items() if file_states(folder).get(path) != state]
        assert rewritten == [damaged], f"{damage.__name__} at level {level}"
        first_energy = json.loads(before[damaged][1])["properties"]["return_energy"]
        assert energy(damaged) == pytest.approx(first_energy, abs=1e-10)
        if damage is not delete:
            assert damaged.with_suffix(".rejected").exists()
            assert str(damaged.relative_to(folder)) in run.stderr  # named as it is moved aside
        assert manybody_energy(folder) == pytest.approx(expected_total, abs=1e-10)


@pytest.mark.mopac
def test_plain_snakemake_recomputes_a_damaged_dimer_after_its_monomer(finished_run):
    """Two levels damaged at once: the dimer is recomputed only after level 1's gate is written again,
    by plain `snakemake` (its default rerun triggers) as by `mbpipe run`."""
    folder, config, expected_total = finished_run
    before = file_states(folder)
    monomer = sorted(path for path in before if path.parent.name == "n1")[-1]
    dimer = sorted(path for path in before if path.parent.name == "n2")[-1]
    truncate(monomer)
    wrong_input_hash(dimer)

    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow/Snakefile"), "--configfile",
         str(config), "--cores", "1"],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    after = file_states(folder)
    assert sorted(path for path, state in before.items() if after.get(path) != state) == sorted([monomer, dimer])
    gate_written = (folder / f"results/{NAME}/gates/n1.json").stat().st_mtime
    started = json.loads(dimer.read_text())["extras"]["mbpipe"]["started"]
    assert datetime.fromisoformat(started).timestamp() >= gate_written
    assert manybody_energy(folder) == pytest.approx(expected_total, abs=1e-10)
