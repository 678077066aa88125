"""Psi4 molecule strings, as QCManyBody's and Psi4's own examples write them, read as QCElemental's
`Molecule.from_data` reads them, and run end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from helpers_failures import DATA, HF_STO3G, MOLECULES, mbpipe_run, write_config
from qcelemental.models.v2 import Molecule

from mbpipe.molecules.cluster_file import read_cluster
from mbpipe.molecules.errors import MoleculeError

QCMANYBODY_TRIMER = DATA / "qcmanybody-water-trimer.psi4"
PSI4_SAMPLE = DATA / "psi4-nbody-nocp-gradient.dat"

# The water dimer of config/molecules/water-dimer.xyz (its `charge multiplicity` lines included, its
# count and comment lines left out) with Psi4's directives.
ANGSTROM_WITH_CHARGES = (
    "".join((MOLECULES / "water-dimer.xyz").read_text().splitlines(keepends=True)[2:])
    + "units angstrom\nno_com\nno_reorient\n"
)


def molecule_block(path: Path) -> str:
    return re.search(r"molecule \w+ \{(.*?)\n\}", path.read_text(), re.S).group(1)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (QCMANYBODY_TRIMER, QCMANYBODY_TRIMER.read_text()),
        (PSI4_SAMPLE, molecule_block(PSI4_SAMPLE)),
        ("dimer.psi4", ANGSTROM_WITH_CHARGES),
    ],
    ids=["qcmanybody-test-molecule", "psi4-sample-input", "angstrom-with-charges"],
)
def test_read_as_qcelemental_reads_it(tmp_path, path, text):
    if not isinstance(path, Path):
        path = tmp_path / path
        path.write_text(text)
    expected = Molecule.from_data(text)
    molecule, info = read_cluster(path)
    assert molecule.symbols.tolist() == expected.symbols.tolist()
    assert np.abs(molecule.geometry - expected.geometry).max() < 1e-12  # bohr, both
    assert [f.tolist() for f in molecule.fragments] == [f.tolist() for f in expected.fragments]
    assert molecule.fragment_charges == expected.fragment_charges
    assert molecule.fragment_multiplicities == expected.fragment_multiplicities
    assert (molecule.fix_com, molecule.fix_orientation) == (expected.fix_com, expected.fix_orientation)
    assert len(info.fragments) == len(expected.fragments)


def test_ghost_atoms_are_refused_with_the_reason(tmp_path):
    path = tmp_path / "ghosts.psi4"
    ghost = "@H   1.680398  -0.373741   0.758561"
    path.write_text(ANGSTROM_WITH_CHARGES.replace(ghost[1:], ghost))
    with pytest.raises(MoleculeError) as refused:
        read_cluster(path)
    assert str(path) in str(refused.value) and "ghost atoms" in str(refused.value)


def test_a_stated_singlet_with_an_odd_electron_count_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "radical.psi4"
    path.write_text("0 1\nO 0 0 0\nH 0 0 0.97\n--\n0 1\nO 0 0 3\nH 0 0 3.97\nH 0 0.9 3\nunits angstrom\n")
    with pytest.raises(MoleculeError) as refused:
        read_cluster(path)
    assert str(path) in str(refused.value), refused.value


def test_an_unstated_radical_fragment_is_a_doublet(tmp_path):
    path = tmp_path / "radical.psi4"
    path.write_text("O 0 0 0\nH 0 0 0.97\n--\nO 0 0 3\nH 0 0 3.97\nH 0 0.9 3\nunits angstrom\n")
    molecule, _ = read_cluster(path)
    assert molecule.fragment_multiplicities == [2, 1] and molecule.molecular_multiplicity == 2


@pytest.mark.pyscf
def test_qcmanybodys_test_molecule_runs_end_to_end(tmp_path):
    """Its own tests' calculation: HF/STO-3G, cp and nocp (on PySCF)."""
    config = write_config(
        tmp_path, name="trimer", molecule=str(QCMANYBODY_TRIMER), bsse_type=["nocp", "cp"],
        model_chemistries={"hf": {"program": "pyscf", "method": "hf", "basis": "sto-3g"}}, verify="sequential",
        tolerance=1e-12,
    )  # fmt: skip
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    verification = json.loads((tmp_path / "results/trimer/verification.json").read_text())
    assert verification["passed"] and verification["max_abs_difference"] <= 1e-12


@pytest.mark.nwchem
def test_psi4s_sample_input_runs_as_psi4_runs_it(tmp_path):
    """The sample's own calculation: nocp gradient through 2 bodies of the trimer, SCF/STO-3G (on NWChem)."""
    config = write_config(
        tmp_path, name="sample", molecule=str(PSI4_SAMPLE), driver="gradient", bsse_type=["nocp"], max_nbody=2,
        return_total_data=True, model_chemistries={"hf": HF_STO3G}, verify="sequential", tolerance=1e-10,
    )  # fmt: skip
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    verification = json.loads((tmp_path / "results/sample/verification.json").read_text())
    assert verification["passed"], verification
    result = json.loads((tmp_path / "results/sample/manybody.json").read_text())
    gradient = np.asarray(result["return_result"]).reshape(-1, 3)
    assert gradient.shape == (9, 3)
    # The molecule was not moved (no_com, no_reorient): the gradient of a free cluster sums to zero.
    assert np.abs(gradient.sum(axis=0)).max() < 1e-6
