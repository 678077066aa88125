"""Electrostatically embedded MBE on PySCF: each calculation in the field of TIP3P charges on the atoms
of the fragments outside its basis.

The expectations are built without mbpipe: PySCF molecules written from the XYZ file with
``pyscf.qmmm.mm_charge`` charges placed by hand; the full cluster computed alone; finite differences of
the assembled energy. At one thread PySCF repeats itself to the last bit, so the hand-built energies
agree to the SCF's convergence (conv_tol 1e-12 Eh).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import qcengine
import yaml
from helpers_failures import mbpipe
from qcmanybody.models.v2 import ManyBodyResult
from workflow_runs import CONFIG_DIR, run_snakemake

from mbpipe.programs import register_programs

pytestmark = pytest.mark.pyscf

TRIMER = CONFIG_DIR / "molecules" / "water-trimer.xyz"
TIP3P = {"O": -0.834, "H": 0.417}
HF = {"program": "pyscf", "method": "hf", "basis": "sto-3g", "keywords": {"conv_tol": 1e-12}}


def trimer_waters() -> list[list[tuple[str, list[float]]]]:
    """The three waters of the trimer file, in Angstrom, read by hand."""
    waters, lines = [], TRIMER.read_text().splitlines()[3:]
    for block in "\n".join(lines).split("--"):
        atoms = [line.split() for line in block.splitlines() if len(line.split()) == 4]
        waters.append([(a[0], [float(x) for x in a[1:]]) for a in atoms])
    return waters


def hand_built_energy(real: list[int], embedded: list[int]) -> float:
    """HF/STO-3G of waters *real* (0-based) in TIP3P charges on the atoms of waters *embedded*."""
    from pyscf import gto, qmmm, scf

    waters = trimer_waters()
    atoms = [atom for w in real for atom in waters[w]]
    mol = gto.M(atom=atoms, basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol)
    mf.conv_tol = 1e-12
    charged = [atom for w in embedded for atom in waters[w]]
    if charged:
        mf = qmmm.mm_charge(mf, [xyz for _, xyz in charged], [TIP3P[s] for s, _ in charged], unit="Angstrom")
    return float(mf.kernel())


def config(tmp_path: Path, **changes) -> Path:
    data = {
        "name": "ee-trimer",
        "molecule": str(TRIMER),
        "driver": "energy",
        "bsse_type": ["nocp"],
        "max_nbody": 3,
        "return_total_data": True,
        "embedding": {"charges": "tip3p"},
        "model_chemistries": {"hf": HF},
        "verify": "sequential",
        "tolerance": 1e-12,
    }
    data.update(changes)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_embedded_trimer_equals_hand_built_pyscf_and_at_full_order_the_full_cluster(tmp_path):
    run_snakemake(tmp_path, config(tmp_path))
    results = tmp_path / "results" / "ee-trimer"

    for path in (results / "fragments").glob("n*/*.json"):
        fragment = json.loads(path.read_text())
        label = _label_of(path)
        real = [f - 1 for f in label]
        embedded = [w for w in range(3) if w not in real]
        assert len(fragment["molecule"]["extras"].get("embedding_charges", [])) == 3 * len(embedded)
        assert fragment["return_result"] == pytest.approx(hand_built_energy(real, embedded), abs=1e-9), label

    result = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    full_cluster = hand_built_energy([0, 1, 2], [])
    # At full order every embedding term cancels: the expansion is the trimer computed alone.
    assert result.properties.nocp_corrected_total_energy_through_3_body == pytest.approx(full_cluster, abs=1e-9)
    # Through 2 bodies it is not, but close: the embedded pairs carry most of the 3-body polarization.
    assert 1e-6 < abs(result.properties.nocp_corrected_total_energy_through_2_body - full_cluster) < 1e-3
    # No interaction energies: an embedded monomer is not an isolated one.
    assert result.properties.nocp_corrected_interaction_energy is None

    verification = json.loads((results / "verification.json").read_text())
    assert verification["passed"] and verification["method"] == "mbpipe's sequential embedded path"
    assert "passes embedding charges to Psi4 only" in verification["sequential_comparison"]


def _label_of(path: Path) -> list[int]:
    from qcmanybody.utils import delabeler

    from mbpipe.base.labels import decode_label

    return list(delabeler(decode_label(path.stem))[1])


def assembled_gradient_and_energy(mbin):
    from mbpipe.pipeline.assemble import analyze
    from mbpipe.pipeline.plan import atomic_inputs, manybody_computer

    results = {
        label: qcengine.compute(atomic_input, "pyscf", raise_error=True, task_config={"ncores": 1})
        for label, atomic_input in atomic_inputs(mbin, manybody_computer(mbin))
    }
    result = analyze(mbin, results)
    gradient = (
        np.asarray(result.return_result).reshape(-1, 3) if result.properties.return_gradient is not None else None
    )
    return gradient, result.properties.return_energy, results


def test_the_ee_mbe2_gradient_is_the_derivative_of_the_ee_mbe2_energy(tmp_path):
    """Central differences (1e-4 bohr) of the EE-MBE(2) energy of the trimer against its assembled
    gradient, which holds the forces on the TIP3P charges: without them it is off by 1e-3 Eh/bohr."""
    from mbpipe.config.checks import checked_manybody_input
    from mbpipe.config.load import validated

    register_programs()

    def manybody_input(driver: str, geometry=None):
        raw = yaml.safe_load(config(tmp_path, driver=driver, max_nbody=2).read_text())
        mbin = checked_manybody_input(validated(raw, base_dir=tmp_path))
        if geometry is None:
            return mbin
        molecule = mbin.molecule.model_copy(update={"geometry": geometry})
        return type(mbin)(**{**mbin.model_dump(), "molecule": molecule.model_dump()})

    gradient, _, results = assembled_gradient_and_energy(manybody_input("gradient"))
    step, geometry = 1e-4, manybody_input("energy").molecule.geometry
    for atom, xyz in [(0, 0), (4, 1), (8, 2)]:
        energies = []
        for sign in (1, -1):
            moved = geometry.copy()
            moved[atom, xyz] += sign * step
            energies.append(assembled_gradient_and_energy(manybody_input("energy", moved))[1])
        assert (energies[0] - energies[1]) / (2 * step) == pytest.approx(gradient[atom, xyz], abs=1e-7)
    forces = [np.abs(r.extras["embedding_charge_gradient"]).max() for r in results.values()]
    assert max(forces) > 1e-3


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"embedding": {"charges": [[-0.834, 0.417, 0.417]] * 2 + [[-0.8, 0.417, 0.417]]}},
         "embedding charges of fragment 3 sum to +0.034000 e but the fragment's charge is +0"),
        ({"embedding": {"charges": [[-0.834, 0.834]] * 3}}, "fragment 1 has 3 atoms but 2 charges"),
        ({"model_chemistries": {"hf": {"program": "nwchem", "method": "hf", "basis": "sto-3g"}}},
         "embedding charges reach no calculation of program 'nwchem'"),
        ({"return_total_data": None}, "set `return_total_data: true`"),
        ({"distance_cutoffs": {2: 5.0}}, "`embedding` is not combined with screening"),
        ({"driver": "hessian"}, "not a hessian of 'hf'"),
        ({"frames": "all"}, "`embedding` is not combined with several geometries"),
    ],
)  # fmt: skip
def test_what_embedding_cannot_take_is_refused_before_any_job(tmp_path, changes, says):
    run = mbpipe(tmp_path, "plan", str(config(tmp_path, **changes)))
    assert run.returncode == 2, run.stderr
    assert says in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not (tmp_path / "results").exists()


def test_the_example_plans_b3lyp_d3_with_tip3p_embedding_on_a_published_pentamer(tmp_path):
    """config/examples/water-pentamer-b3lyp-d3-ee.yaml: a database water pentamer, B3LYP-D3, EE-MBE(2)."""
    run = mbpipe(tmp_path, "plan", str(CONFIG_DIR / "examples" / "water-pentamer-b3lyp-d3-ee.yaml"))
    assert run.returncode == 0, run.stderr
    assert "15 calculations" in run.stdout
    assert "b3lyp-d3 is b3lyp with Grimme D3, zero damping (Psi4's -d3)" in run.stdout
