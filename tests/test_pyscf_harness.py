"""PySCF through QCEngine, checked against NWChem on the same fragments and against finite differences.

Both programs get cartesian 6-31G* (NWChem through QCEngine has no other) and tight SCF thresholds, so
that what is left is the programs' own numerical noise: energies agree to 1e-7 Eh, gradients to 1e-6
Eh/bohr. Fragments are made as QCManyBody makes them (ghost atoms, input frame fixed); the clusters are
read with symmetry c1, which QCManyBody passes to every fragment, because NWChem otherwise reflects a
fragment with ghost atoms into a frame that QCEngine 0.52 does not rotate back (a gradient then comes
back in the wrong orientation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import qcengine
from qcelemental.models.v2 import AtomicInput, Molecule

from mbpipe.programs.pyscf import pyscf_problems, register_pyscf

pytestmark = pytest.mark.pyscf

MOLECULES = Path(__file__).resolve().parent.parent / "config" / "molecules"

# The cyclic water trimer of config/molecules/water-trimer.xyz, without its count and comment lines.
WATER_TRIMER = "\n".join((MOLECULES / "water-trimer.xyz").read_text().splitlines()[2:])
# The Cs water dimer of config/molecules/water-dimer.xyz: symmetric on purpose (see the module docstring).
WATER_DIMER = """
0 1
O  -1.551007  -0.114520   0.000000
H  -1.934259   0.762503   0.000000
H  -0.599677   0.040712   0.000000
--
0 1
O   1.350625   0.111469   0.000000
H   1.680398  -0.373741  -0.758561
H   1.680398  -0.373741   0.758561
"""
# The trimer with its middle water turned into a hydroxyl radical (the hydrogen-bonded H removed).
HYDROXYL_IN_WATER = """
0 1
O    0.000000    1.645448    0.000000
H   -0.675453    0.967219    0.000000
H   -0.078374    2.062201    0.858142
--
0 2
O   -1.425000   -0.822724    0.000000
H   -1.746731   -1.098974   -0.858142
--
0 1
O    1.425000   -0.822724    0.000000
H    1.175363    0.101350    0.000000
H    1.825105   -0.963227    0.858142
"""

NWCHEM_TIGHT = {"scf__thresh": 1e-10, "scf__tol2e": 1e-14}
PYSCF_TIGHT = {"cart": True, "conv_tol": 1e-12, "conv_tol_grad": 1e-8}


@pytest.fixture(scope="module", autouse=True)
def pyscf_registered():
    register_pyscf()


def cluster(text: str) -> Molecule:
    return Molecule.from_data(text, dtype="psi4", fix_symmetry="c1")


def fragment(molecule: Molecule, real: list[int], ghost: list[int] = ()) -> Molecule:
    """Fragments *real* (0-based) with *ghost* as ghost atoms, as QCManyBody's iterate_molecules makes them."""
    part = molecule.get_fragment(real, list(ghost), orient=False, group_fragments=False)
    return part.model_copy(update={"fix_com": True, "fix_orientation": True, "fix_symmetry": "c1"})


def compute(
    program: str,
    molecule: Molecule,
    method: str,
    driver: str,
    keywords: dict,
    basis: str = "6-31g*",
    raise_error: bool = True,
):
    atomic_input = AtomicInput(
        molecule=molecule,
        specification={
            "program": program,
            "driver": driver,
            "keywords": keywords,
            "model": {"method": method, "basis": basis},
        },
    )
    return qcengine.compute(atomic_input, program, raise_error=raise_error, task_config={"ncores": 1, "memory": 1})


@pytest.mark.nwchem
@pytest.mark.parametrize("method", ["hf", "mp2"])
@pytest.mark.parametrize("which", ["monomer", "cp monomer in the dimer basis", "dimer"])
def test_energy_and_gradient_match_nwchem(method, which):
    dimer = cluster(WATER_DIMER)
    molecule = {
        "monomer": fragment(dimer, [0]),
        "cp monomer in the dimer basis": fragment(dimer, [0], [1]),
        "dimer": fragment(dimer, [0, 1]),
    }[which]
    nwchem = compute("nwchem", molecule, method, "gradient", NWCHEM_TIGHT)
    pyscf = compute("pyscf", molecule, method, "gradient", PYSCF_TIGHT)

    assert abs(pyscf.properties.return_energy - nwchem.properties.return_energy) <= 1e-7
    assert np.abs(pyscf.return_result - nwchem.return_result).max() <= 1e-6
    # The ghost atoms carry basis functions, hence a gradient, but neither charge nor electrons.
    assert pyscf.properties.calcinfo_nbasis == nwchem.properties.calcinfo_nbasis
    assert abs(pyscf.properties.nuclear_repulsion_energy - nwchem.properties.nuclear_repulsion_energy) <= 1e-10
    assert pyscf.properties.calcinfo_nalpha == nwchem.properties.calcinfo_nalpha
    assert pyscf.molecule.geometry.tolist() == molecule.geometry.tolist()
    if method == "mp2":
        for part in ("same_spin", "opposite_spin"):
            name = f"mp2_{part}_correlation_energy"
            assert abs(getattr(pyscf.properties, name) - getattr(nwchem.properties, name)) <= 1e-7


@pytest.mark.nwchem
def test_frozen_core_mp2_freezes_no_core_on_ghost_atoms():
    """One real oxygen, one ghost oxygen: one frozen orbital, as NWChem's `freeze 1` says."""
    molecule = fragment(cluster(WATER_DIMER), [0], [1])
    nwchem = compute("nwchem", molecule, "mp2", "energy", {**NWCHEM_TIGHT, "mp2__freeze": 1})
    pyscf = compute("pyscf", molecule, "mp2", "energy", {**PYSCF_TIGHT, "freeze_core": True})

    assert pyscf.extras["pyscf"]["frozen_core_orbitals"] == 1
    assert abs(pyscf.return_result - nwchem.return_result) <= 1e-7


# PySCF's UHF orbital gradient stalls near 5e-8 for these radicals: 1e-7 is as tight as it converges.
PYSCF_UHF_TIGHT = {**PYSCF_TIGHT, "conv_tol_grad": 1e-7, "max_cycle": 200}
# NWChem's SCF is restricted open-shell unless told otherwise; the radical's SCF is slow in both programs.
NWCHEM_UHF_TIGHT = {**NWCHEM_TIGHT, "scf__uhf": True, "scf__maxiter": 200}


@pytest.mark.nwchem
@pytest.mark.parametrize("which", ["cp radical in the cluster basis", "radical and one water"])
def test_hydroxyl_radical_in_a_water_cluster_is_unrestricted_and_matches_nwchem_uhf(which):
    cluster_ = cluster(HYDROXYL_IN_WATER)
    molecule = {
        "cp radical in the cluster basis": fragment(cluster_, [1], [0, 2]),
        "radical and one water": fragment(cluster_, [0, 1]),
    }[which]
    nwchem_hf = compute("nwchem", molecule, "hf", "gradient", NWCHEM_UHF_TIGHT)
    pyscf_hf = compute("pyscf", molecule, "hf", "gradient", PYSCF_UHF_TIGHT)
    nwchem_mp2 = compute("nwchem", molecule, "mp2", "energy", NWCHEM_UHF_TIGHT)
    pyscf_mp2 = compute("pyscf", molecule, "mp2", "energy", PYSCF_UHF_TIGHT)

    assert pyscf_hf.extras["pyscf"]["scf"] == "UHF"
    assert pyscf_hf.properties.calcinfo_nalpha - pyscf_hf.properties.calcinfo_nbeta == 1
    assert abs(pyscf_hf.properties.return_energy - nwchem_hf.properties.return_energy) <= 1e-7
    assert np.abs(pyscf_hf.return_result - nwchem_hf.return_result).max() <= 1e-6
    assert abs(pyscf_mp2.return_result - nwchem_mp2.return_result) <= 1e-7


@pytest.mark.nwchem
def test_open_shell_hf_hessian_matches_nwchem_uhf():
    """NWChem's analytic Hessian and ours differ by 3e-6 Eh/bohr^2 for closed-shell water as well."""
    molecule = fragment(cluster(HYDROXYL_IN_WATER), [0, 1])
    nwchem = compute("nwchem", molecule, "hf", "hessian", NWCHEM_UHF_TIGHT, basis="6-31g")
    pyscf = compute("pyscf", molecule, "hf", "hessian", PYSCF_UHF_TIGHT, basis="6-31g")

    assert np.abs(pyscf.return_result - nwchem.return_result).max() <= 1e-5


def test_an_open_shell_mp2_gradient_is_refused():
    """PySCF 2.14's UMP2 gradient is off by 8e-5 Eh/bohr for the radical beside a water."""
    molecule = fragment(cluster(HYDROXYL_IN_WATER), [0, 1])
    result = compute("pyscf", molecule, "mp2", "gradient", {}, raise_error=False)

    assert result.success is False
    assert result.error.error_type == "input_error"
    assert "unrestricted MP2 gradient" in result.error.error_message
    assert pyscf_problems("mp2", "gradient", {}, open_shell=False) == []


def test_hf_hessian_equals_finite_differences_of_the_analytic_gradient():
    """The cp monomer in the dimer basis, so that the ghost atoms' rows are checked too. Central
    differences with a 5e-4 bohr step are good to about 3e-7 here."""
    molecule = fragment(cluster(WATER_DIMER), [0], [1])
    hessian = compute("pyscf", molecule, "hf", "hessian", PYSCF_TIGHT, basis="6-31g").return_result

    step = 5e-4
    columns = []
    for coordinate in range(hessian.shape[0]):
        gradients = []
        for sign in (1, -1):
            geometry = molecule.geometry.copy()
            geometry.flat[coordinate] += sign * step
            moved = molecule.model_copy(update={"geometry": geometry})
            gradients.append(compute("pyscf", moved, "hf", "gradient", PYSCF_TIGHT, basis="6-31g").return_result)
        columns.append((gradients[0] - gradients[1]).ravel() / (2 * step))

    assert np.abs(hessian - np.array(columns)).max() <= 1e-6


@pytest.mark.nwchem
def test_b3lyp_is_the_vwn_rpa_b3lyp_of_nwchem_and_b3lyp5_is_not():
    """b3lyp is libxc's B3LYP (VWN-RPA local correlation), NWChem's too; b3lyp5 (VWN5) differs by 3.7e-2
    Eh for water. Fine grids in both programs leave 1e-8 Eh between them."""
    water = fragment(cluster(WATER_DIMER), [0])
    nwchem = compute("nwchem", water, "b3lyp", "energy", {"dft__convergence__energy": 1e-10, "dft__grid": "xfine"})
    b3lyp = compute("pyscf", water, "b3lyp", "energy", {**PYSCF_TIGHT, "grids_level": 6})
    b3lyp5 = compute("pyscf", water, "b3lyp5", "energy", {**PYSCF_TIGHT, "grids_level": 6})

    assert abs(b3lyp.return_result - nwchem.return_result) <= 1e-6
    assert abs(b3lyp5.return_result - nwchem.return_result) >= 1e-2


@pytest.mark.nwchem
def test_ccsd_t_energy_matches_nwchem():
    water = fragment(cluster(WATER_DIMER), [0])
    nwchem = compute("nwchem", water, "ccsd(t)", "energy", {**NWCHEM_TIGHT, "ccsd__thresh": 1e-9})
    pyscf = compute("pyscf", water, "ccsd(t)", "energy", {**PYSCF_TIGHT, "cc_conv_tol": 1e-10})

    assert abs(pyscf.return_result - nwchem.return_result) <= 1e-7
    assert abs(pyscf.properties.ccsd_total_energy - nwchem.properties.ccsd_total_energy) <= 1e-7


def test_an_scf_that_does_not_converge_is_a_convergence_error_not_a_number():
    water = fragment(cluster(WATER_DIMER), [0])
    result = compute("pyscf", water, "hf", "energy", {"max_cycle": 2, "conv_tol": 1e-12}, raise_error=False)

    assert result.success is False
    assert result.error.error_type == "convergence_error"
    assert "max_cycle" in result.error.error_message


def test_an_mp2_hessian_is_refused_before_any_calculation():
    water = fragment(cluster(WATER_DIMER), [0])
    result = compute("pyscf", water, "mp2", "hessian", {}, raise_error=False)

    assert result.success is False
    assert result.error.error_type == "input_error"
    assert "hessian for method 'mp2'" in result.error.error_message
    assert pyscf_problems("mp2", "hessian", {}) == [
        "PySCF cannot compute a hessian for method 'mp2' here (it gives energy, gradient); "
        "use hf or a density functional for Hessians"
    ]


@pytest.mark.parametrize(
    ("method", "driver", "keywords", "says"),
    [
        ("hf", "energy", {"conv_tl": 1e-10}, "'conv_tl' is unknown; did you mean 'conv_tol'?"),
        ("hf", "energy", {"cart": 1}, "'cart' is 1; it takes a bool"),
        ("ccsd(t)", "gradient", {}, "cannot compute a gradient for method 'ccsd(t)'"),
        ("mp2", "gradient", {"density_fit": True}, "no density-fitted MP2 gradient"),
        ("b3lyp-d3op", "energy", {}, "dispersion correction 'd3op', which mbpipe does not know"),
        ("wb97x-d3bj", "energy", {}, "a functional of its own in PySCF ('wb97x-v'"),
        ("m05-d3bj", "energy", {}, "pyscf-dispersion has no d3bj parameters for 'm05'"),
        ("b3lpy", "energy", {}, "neither hf, mp2, ccsd, ccsd(t) nor a density functional"),
        ("hf", "energy", {"auxbasis": "def2-universal-jkfit"}, "density_fit is not true"),
    ],
)
def test_what_pyscf_cannot_do_is_named_with_its_fix(method, driver, keywords, says):
    problems = pyscf_problems(method, driver, keywords)
    assert len(problems) == 1 and says in problems[0]


@pytest.mark.parametrize(
    ("method", "driver", "says"),
    [
        ("hf", "hessian", "pyscf-gpu computes hf and density-functional energies and gradients only"),
        ("mp2", "energy", "method 'mp2' with driver energy needs program pyscf (CPU)"),
    ],
)
def test_what_the_gpu_program_cannot_do_is_refused(method, driver, says):
    problems = pyscf_problems(method, driver, {}, gpu=True)
    assert len(problems) == 1 and says in problems[0]
    assert pyscf_problems(method, driver, {}) == []
    assert pyscf_problems("b3lyp", "gradient", {"density_fit": True}, gpu=True) == []


def test_what_pyscf_can_do_has_no_problems():
    assert pyscf_problems("b3lyp5", "hessian", {"density_fit": True, "grids_level": 4}) == []
    assert pyscf_problems("mp2", "gradient", {"freeze_core": True, "conv_tol": 1e-10}) == []
    for method in ("b3lyp-d3", "b3lyp-d3zero", "pbe0-d3bj", "b3lyp-d3mbj", "b3lyp-d3mzero", "b3lyp-d4", "hf-d3bj"):
        assert pyscf_problems(method, "hessian", {}) == [], method
        assert pyscf_problems(method, "gradient", {}, gpu=True) == [], method


@pytest.mark.nwchem
def test_sequential_manybody_trimer_on_pyscf_equals_nwchem(monkeypatch):
    """QCManyBody's own sequential computer, cp, nocp and vmfc through three bodies, gradient: every
    assembled energy within 1e-7 Eh and the gradient within 1e-6 Eh/bohr of the same run on NWChem."""
    from qcmanybody.models.v2 import ManyBodyInput
    from qcmanybody.v2 import ManyBodyComputer

    monkeypatch.setenv("QCENGINE_NCORES", "1")
    results = {}
    for program, keywords in (("nwchem", NWCHEM_TIGHT), ("pyscf", PYSCF_TIGHT)):
        manybody_input = ManyBodyInput(
            molecule=cluster(WATER_TRIMER),
            specification={
                "driver": "gradient",
                "keywords": {"bsse_type": ["cp", "nocp", "vmfc"], "return_total_data": True, "levels": {3: "hf"}},
                "specification": {
                    "hf": {
                        "program": program,
                        "driver": "gradient",
                        "keywords": keywords,
                        "model": {"method": "hf", "basis": "6-31g"},
                    }
                },
            },
        )
        results[program] = ManyBodyComputer.from_manybodyinput(manybody_input).properties.model_dump()

    nwchem, pyscf = results["nwchem"], results["pyscf"]
    energies = [name for name, value in nwchem.items() if isinstance(value, float)]
    gradients = [name for name, value in nwchem.items() if isinstance(value, np.ndarray)]
    assert len(energies) > 30 and len(gradients) > 20
    for name in energies:
        assert abs(pyscf[name] - nwchem[name]) <= 1e-7, name
    for name in gradients:
        assert np.abs(pyscf[name] - nwchem[name]).max() <= 1e-6, name
