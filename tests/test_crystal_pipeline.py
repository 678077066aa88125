"""A crystal's lattice energy through the workflow: each unique n-mer its own expansion on PySCF, the
lattice sum checked against QCManyBody's sequential computer on every n-mer, and the ammonia dimer's
2-body energy against the Psi4 output CrystaLattE publishes for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_crystal import CRYSTALS, ammonia_config, assert_each_alike_set_computed_once, sequential_lattice_per_cell
from qcelemental import constants
from workflow_runs import run_snakemake

KCAL_MOL = constants.conversion_factor("hartree", "kcal/mol")


def _mbpipe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mbpipe", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.pyscf
def test_ammonia_lattice_energy_through_three_bodies(tmp_path):
    config = ammonia_config(tmp_path)
    plan = _mbpipe("plan", str(config), cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "2-mers: 2 unique, standing for 48 around the references" in plan.stdout
    assert "3-mers: 1 unique, standing for 12 around the references" in plan.stdout

    run_snakemake(tmp_path, config)
    results = tmp_path / "results" / "ammonia"
    lattice = json.loads((results / "lattice.json").read_text())

    # Calculations alike across the n-mers (the monomers, the trimer's dimers that are copies of the first
    # dimer, in their own basis) ran once: 14 of the 23 the three expansions ask for.
    assert assert_each_alike_set_computed_once(results) == (23, 14)

    # The lattice sum again, from QCManyBody's sequential computer on each unique n-mer, which computes
    # every copy afresh: its SCF converges each to within about 1e-11 Eh of the one computed (each n-mer's
    # verification.json), and 28 n-mers per cell add those up.
    for bsse in ("nocp", "cp"):
        for order, energy in sequential_lattice_per_cell(results, bsse).items():
            reported = lattice["lattice_energy"][bsse][str(order)]
            assert reported["per_cell"]["hartree"] == pytest.approx(energy, abs=1e-9)
            assert reported["per_molecule"]["hartree"] == pytest.approx(energy / 4, abs=2.5e-10)
            assert reported["per_molecule"]["kcal_mol"] == pytest.approx(reported["per_molecule"]["hartree"] * KCAL_MOL)
    assert lattice["recomputed_from_fragment_files"]["max_abs_difference_hartree"] < 1e-12

    # CrystaLattE's crystalatte/data/out/2mer-0+1.out: Psi4 HF/STO-3G (density-fitted, e_convergence 1e-9)
    # on this dimer (closest atoms 2.588, centres of mass 3.883 Angstrom), noCP 2-body 0.209653867633
    # kcal/mol. PySCF computes the integrals exactly: the density fitting accounts for the 1e-3 left.
    nmers = [line.split(",") for line in (results / "nmers.csv").read_text().splitlines()[1:]]
    dimer = next(row for row in nmers if row[0] == "2mer-0002" and row[6] == "nocp")
    assert float(dimer[7]) * KCAL_MOL == pytest.approx(0.209653867633, abs=2e-3)
    assert (results / "plots" / "lattice.png").stat().st_size > 0

    # Resume: nothing left to do, nothing rewritten.
    again = run_snakemake(tmp_path, config)
    assert "Nothing to be done" in again.stdout + again.stderr
    assert json.loads((results / "lattice.json").read_text()) == lattice


def test_multilevel_crystal_gives_each_nmer_the_levels_up_to_its_order(tmp_path, monkeypatch):
    """Dimers at HF/6-31G, trimers' 3-body energy at HF/STO-3G: each n-mer's expansion stops at its order."""
    from mbpipe.config.geometries import run_configs
    from mbpipe.config.load import load_config

    config = ammonia_config(
        tmp_path,
        levels={2: "big", 3: "small"},
        model_chemistries={
            "big": {"program": "pyscf", "method": "hf", "basis": "6-31g"},
            "small": {"program": "pyscf", "method": "hf", "basis": "sto-3g"},
        },
    )
    plan = _mbpipe("plan", str(config), "--json", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    monkeypatch.chdir(tmp_path)
    runs = run_configs(load_config(config))
    assert runs["ammonia/2mer-0001"]["levels"] == {"2": "big"}
    assert runs["ammonia/3mer-0001"]["levels"] == {"2": "big", "3": "small"}
    assert runs["ammonia/3mer-0001"]["max_nbody"] == 3


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"crystal": str(CRYSTALS / "ice-ih-half-hydrogens.cif")}, "are partly occupied"),
        ({"distance_cutoffs": {2: 5.0}}, "`distance_cutoffs` with `crystal`"),
        ({"crystal_cutoffs": {3: 4.0}}, "no cutoff for order 2"),
        ({"driver": "gradient"}, "`driver` must be energy"),
        ({"molecules": ["a.xyz"]}, "`molecules` (several files) or `crystal` (a CIF) takes the place of `molecule`"),
    ],
)
def test_unusable_crystal_configs_are_refused_before_any_job(tmp_path, changes, message):
    config = ammonia_config(tmp_path, **changes)
    plan = _mbpipe("plan", str(config), cwd=tmp_path)
    assert plan.returncode == 2
    assert message in plan.stderr
    assert not (tmp_path / "results" / "ammonia" / "2mer-0001").exists()
