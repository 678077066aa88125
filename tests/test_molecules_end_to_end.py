"""Molecule files from elsewhere, run end to end on MOPAC (PM7, which takes no basis set): a frame of
the published water-pentamer file fragmented by connectivity, and a QCSchema v1 molecule JSON.  The
expectation is QCManyBody's sequential computer on the same geometry, fragmented here by hand."""

from __future__ import annotations

import json

import pytest
from helpers_failures import MOLECULES, PENTAMERS, mbpipe, mbpipe_run, write_config
from qcelemental.models import v1
from qcelemental.models.v2 import Molecule
from qcmanybody import ManyBodyCore
from qcmanybody.models.v2 import ManyBodyInput, ManyBodyResult
from qcmanybody.utils import delabeler
from qcmanybody.v2 import ManyBodyComputer

pytestmark = pytest.mark.mopac

PM7 = {"program": "mopac", "method": "pm7"}
FRAME = 3
TOLERANCE = 1e-12  # hartree


def pentamer_by_hand(frame: int) -> Molecule:
    """Geometry *frame* of the pentamer file as QCElemental's own Psi4-style reader takes it: the
    file's atom lines, a `--` after every third (the file lists each water as O, H, H)."""
    lines = PENTAMERS.read_text().splitlines()
    start = frame * 17  # 15 atoms, a count line and a comment line per geometry
    atoms = lines[start + 2 : start + 17]
    assert int(lines[start]) == 15 and [line.split()[0] for line in atoms] == ["O", "H", "H"] * 5
    waters = ["\n".join(atoms[i : i + 3]) for i in range(0, 15, 3)]
    return Molecule.from_data("\n--\n".join(waters), dtype="psi4")


def pentamer_config(tmp_path, **changes):
    config = {
        "name": "pentamer",
        "molecule": str(PENTAMERS),
        "frame": FRAME,
        "fragmentation": "connectivity",
        "bsse_type": ["nocp"],
        "max_nbody": 2,
        "model_chemistries": {"pm7": PM7},
        "verify": "off",  # the test runs the sequential computer itself, on the molecule cut by hand
    }
    return write_config(tmp_path, **{**config, **changes})


def test_plan_lists_the_five_waters_before_the_levels(tmp_path):
    run = mbpipe(tmp_path, "plan", str(pentamer_config(tmp_path)))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert f"frame {FRAME} of 0-18 (Ord_Energy" in lines[0] and "5 fragments, bonded groups" in lines[0]
    assert lines[1].split() == ["fragment", "formula", "atoms", "charge", "multiplicity"]
    rows = [line.split() for line in lines[2:7]]
    assert rows == [[str(i + 1), "H2O", f"{3 * i + 1}-{3 * i + 3}", "0", "1"] for i in range(5)]
    assert lines[7].startswith("pentamer: 15 calculations")
    assert not (tmp_path / "results").exists()


def test_pentamer_frame_by_connectivity_equals_the_sequential_computer(tmp_path):
    run = mbpipe_run(tmp_path, pentamer_config(tmp_path), "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = tmp_path / "results" / "pentamer"
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())

    by_hand = ManyBodyInput(
        molecule=pentamer_by_hand(FRAME),
        specification={
            "driver": "energy",
            "keywords": {"bsse_type": ["nocp"], "levels": {2: "pm7"}},
            "specification": {"pm7": {"program": "mopac", "driver": "energy", "model": {"method": "pm7"}}},
        },
    )
    sequential = ManyBodyComputer.from_manybodyinput(by_hand)
    for name in ("total_energy_through_1_body", "total_energy_through_2_body", "interaction_energy"):
        ours = getattr(pipeline.properties, f"nocp_corrected_{name}")
        theirs = getattr(sequential.properties, f"nocp_corrected_{name}")
        assert abs(ours - theirs) <= TOLERANCE, (name, ours, theirs)

    # The plan holds what QCManyBody asks of the hand-cut molecule: 5 monomers, 10 dimers.
    core = ManyBodyCore(
        by_hand.molecule,
        ["nocp"],
        {1: "pm7", 2: "pm7"},  # every level named, as the core takes them
        return_total_data=False,
        supersystem_ie_only=False,
        embedding_charges={},
    )
    expected: dict[int, int] = {}
    for _, label, _ in core.iterate_molecules():
        expected[len(delabeler(label)[1])] = expected.get(len(delabeler(label)[1]), 0) + 1
    planned = json.loads((results / "plan.json").read_text())["levels"]
    assert {int(level): len(labels) for level, labels in planned.items()} == expected == {1: 5, 2: 10}


def test_a_qcschema_v1_molecule_file_runs_end_to_end(tmp_path):
    """A molecule as QCElemental's v1 models (and QCFractal) write it: schema_version 2."""
    trimer_xyz = (MOLECULES / "water-trimer.xyz").read_text().split("\n", 2)[2]  # without count and comment
    written = v1.Molecule.from_data(trimer_xyz, dtype="psi4")
    (tmp_path / "trimer.json").write_text(written.model_dump_json())
    assert json.loads((tmp_path / "trimer.json").read_text())["schema_version"] == 2
    config = write_config(
        tmp_path, name="v1", molecule="trimer.json", bsse_type=["nocp"], model_chemistries={"pm7": PM7}
    )
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = tmp_path / "results" / "v1"
    verification = json.loads((results / "verification.json").read_text())
    assert verification["passed"] and verification["max_abs_difference"] <= TOLERANCE
    computed = ManyBodyInput.model_validate_json((results / "input.json").read_text()).molecule
    assert computed == written.convert_v(2)  # QCElemental's own v1 -> v2 conversion of the file
