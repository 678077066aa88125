"""Dispersion-corrected SCF on PySCF (pyscf-dispersion), checked against Psi4's published many-body
output, against the D3 library called directly, and against finite differences.

Psi4's test dftd3/nbody-cp-gradient (tests/data/README.md) gives the CP-corrected 2-body gradient of a
water trimer at HF-D3(BJ)/STO-3G with density fitting (def2-universal-jkfit): PySCF with the same fitting
basis reproduces its energy and gradient to 3e-8 Eh and 8e-8 Eh/bohr. Psi4 prints its dispersion parts to
8 decimals and converges its SCF to 1e-9 in the density; the rest is the two programs' fitting codes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import qcengine
import yaml
from qcelemental.models.v2 import AtomicInput, Molecule
from qcmanybody.models.v2 import ManyBodyResult
from workflow_runs import CONFIG_DIR, run_snakemake

from mbpipe.programs.pyscf import register_pyscf

pytestmark = pytest.mark.pyscf

DATA = Path(__file__).resolve().parent / "data"

# Psi4 tests/dftd3/nbody-cp-gradient/input.dat: the SCF part (ref_2cp_ene, ref_2cp_grad) plus the
# dispersion part (ref_disp_2cp_ene, ref_disp_2cp_grad) of the CP-corrected total through 2 bodies; the
# interaction energy likewise; and the D3(BJ) energy of each fragment alone (ref_disp, first items).
PSI4_2CP_ENERGY = -224.89219369884412 + -0.02358705
PSI4_2CP_INTERACTION_ENERGY = -0.0018001550432131808 + -0.0100892900
PSI4_2CP_GRADIENT = np.array([
    [0.00179202, -0.03056288, 0.03218533],
    [-0.00454805, 0.01423947, -0.00599154],
    [0.01247021, 0.02299029, -0.0252948],
    [0.02617686, 0.016441, 0.03146165],
    [-0.02681671, -0.00129816, -0.02476424],
    [-0.01001904, -0.00981053, -0.00733503],
    [-0.02512132, 0.0105838, -0.03520996],
    [0.01328911, -0.00287095, 0.00811787],
    [0.01277691, -0.01971204, 0.02683072],
]) + np.array([
    [-1.689697959786e-03, -1.171106552311e-03, -8.622771531447e-05],
    [-1.155565182945e-03, -1.135663074407e-03, -1.471777483730e-04],
    [-5.531051738438e-04, -3.131666030119e-04, 1.778984479008e-04],
    [1.867156327258e-03, -8.802014290053e-04, -9.025191966196e-05],
    [5.289525389377e-04, -3.191248163334e-04, 1.672983944772e-04],
    [1.565150657304e-03, -4.562723801212e-04, -7.615866124261e-05],
    [-1.668985425399e-04, 2.036678496359e-03, 1.208918158548e-04],
    [-3.961179608868e-04, 1.576845662955e-03, 1.321918492822e-04],
    [1.352986016643e-07, 6.620106929872e-04, -1.984644631954e-04],
])  # fmt: skip
PSI4_FRAGMENT_D3BJ = {(1,): -0.00449899, (2,): -0.00449901, (3,): -0.00449976, (1, 2): -0.01229868,
                      (1, 3): -0.01237462, (2, 3): -0.01241151}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def pyscf_registered():
    register_pyscf()


def d3_of_real_atoms(molecule: Molecule, functional: str, damping: str) -> float:
    """The D3 energy of *molecule*'s real atoms, from simple-dftd3 called directly (no SCF, no ghosts)."""
    from pyscf import gto
    from pyscf.dispersion import dftd3

    atoms = [(s, xyz) for s, real, xyz in zip(molecule.symbols, molecule.real, molecule.geometry, strict=True) if real]
    mol = gto.M(atom=atoms, unit="Bohr", basis="sto-3g", verbose=0)
    return float(dftd3.DFTD3Dispersion(mol, xc=functional, version=damping).get_dispersion()["energy"])


def test_each_fragment_d3bj_energy_is_psi4s():
    molecule = Molecule.model_validate_json((DATA / "psi4-nbody-cp-gradient-trimer.json").read_text())
    for fragments, psi4 in PSI4_FRAGMENT_D3BJ.items():
        part = molecule.get_fragment([f - 1 for f in fragments], orient=False, group_fragments=False)
        assert d3_of_real_atoms(part, "hf", "d3bj") == pytest.approx(psi4, abs=1e-8), fragments  # printed to 8 decimals


def test_cp_gradient_of_hf_d3bj_water_trimer_reproduces_psi4(tmp_path):
    config = {
        "name": "psi4-d3bj",
        "molecule": str(DATA / "psi4-nbody-cp-gradient-trimer.json"),
        "driver": "gradient",
        "bsse_type": ["cp"],
        "max_nbody": 2,
        "return_total_data": True,
        "model_chemistries": {
            "scf-d3bj": {
                "program": "pyscf",
                "method": "scf-d3bj",
                "basis": "sto-3g",
                "keywords": {"density_fit": True, "auxbasis": "def2-universal-jkfit", "conv_tol": 1e-11},
            }
        },
        "verify": "off",
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    run_snakemake(tmp_path, path)
    result = ManyBodyResult.model_validate_json((tmp_path / "results" / "psi4-d3bj" / "manybody.json").read_text())

    properties = result.properties
    assert properties.cp_corrected_total_energy_through_2_body == pytest.approx(PSI4_2CP_ENERGY, abs=1e-7)
    assert properties.cp_corrected_interaction_energy_through_2_body == pytest.approx(
        PSI4_2CP_INTERACTION_ENERGY, abs=1e-7
    )
    gradient = np.asarray(properties.cp_corrected_total_gradient_through_2_body).reshape(9, 3)
    assert np.abs(gradient - PSI4_2CP_GRADIENT).max() < 2e-7
    fragments = [
        json.loads(p.read_text()) for p in (tmp_path / "results" / "psi4-d3bj" / "fragments").glob("n*/*.json")
    ]
    assert {f["input_data"]["specification"]["model"]["method"] for f in fragments} == {"scf-d3bj"}


def test_b3lyp_d3_dimer_equals_the_sequential_computer_and_its_d3_is_the_librarys(tmp_path):
    """Psi4's b3lyp-d3 (zero damping) through the pipeline, cp and nocp: equal to QCManyBody's sequential
    computer to 1e-12 Eh, and every fragment's dispersion energy equal to simple-dftd3's of its real atoms
    (ghost atoms, charge 0 in the library, move it by 1e-11 Eh at most)."""
    config = {
        "name": "dimer-b3lyp-d3",
        "molecule": str(CONFIG_DIR / "molecules" / "water-dimer.xyz"),
        "driver": "energy",
        "bsse_type": ["cp", "nocp"],
        "return_total_data": True,
        "model_chemistries": {"b3lyp-d3": {"program": "pyscf", "method": "b3lyp-d3", "basis": "sto-3g"}},
        "verify": "sequential",
        "tolerance": 1e-12,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    mbpipe = Path(sys.executable).with_name("mbpipe")
    plan = subprocess.run([mbpipe, "plan", path], capture_output=True, text=True, cwd=tmp_path)
    assert "b3lyp-d3 is b3lyp with Grimme D3, zero damping (Psi4's -d3)" in plan.stdout, plan.stderr

    run_snakemake(tmp_path, path)
    results = tmp_path / "results" / "dimer-b3lyp-d3"
    assert json.loads((results / "verification.json").read_text())["passed"]
    fragments = [json.loads(p.read_text()) for p in (results / "fragments").glob("n*/*.json")]
    assert len(fragments) == 5
    for fragment in fragments:
        assert fragment["input_data"]["specification"]["model"]["method"] == "b3lyp-d3"
        molecule = Molecule(**fragment["molecule"])
        expected = d3_of_real_atoms(molecule, "b3lyp", "d3zero")
        assert fragment["properties"]["scf_dispersion_correction_energy"] == pytest.approx(expected, abs=1e-10)
        assert expected < -5e-6  # a water alone has some: the check compares a number, not two zeros


def compute(molecule: Molecule, method: str, driver: str):
    spec = {"driver": driver, "model": {"method": method, "basis": "sto-3g"}, "keywords": {"conv_tol": 1e-12}}
    atomic_input = AtomicInput(molecule=molecule, specification={"program": "pyscf", **spec})
    return qcengine.compute(atomic_input, "pyscf", raise_error=True, task_config={"ncores": 1})


def test_the_d3_gradient_is_the_derivative_of_the_d3_energy():
    """B3LYP-D3 minus B3LYP gradient of a water dimer against central differences (1e-4 bohr) of the
    dispersion energy PySCF reports: the SCF part cancels, so the grid's error does not enter."""
    text = "\n".join((CONFIG_DIR / "molecules" / "water-dimer.xyz").read_text().splitlines()[2:])
    dimer = Molecule.from_data(text, dtype="psi4", fix_com=True, fix_orientation=True, fix_symmetry="c1")
    with_d3 = compute(dimer, "b3lyp-d3", "gradient")
    without = compute(dimer, "b3lyp", "gradient")
    analytic = np.asarray(with_d3.return_result) - np.asarray(without.return_result)
    geometry, step = dimer.geometry, 1e-4
    for atom, xyz in [(0, 0), (2, 0), (4, 2)]:
        shifted = []
        for sign in (1, -1):
            moved = geometry.copy()
            moved[atom, xyz] += sign * step
            molecule = dimer.model_copy(update={"geometry": moved})
            shifted.append(compute(molecule, "b3lyp-d3", "energy").properties.scf_dispersion_correction_energy)
        assert (shifted[0] - shifted[1]) / (2 * step) == pytest.approx(analytic[atom, xyz], abs=1e-8)
