"""Planning writes QCManyBody's own calculations: each fragment input, byte for byte, the AtomicInput that
QCManyBody's sequential ManyBodyComputer builds for the same label, so that a fragment job computes
exactly the molecule the sequential run would."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from qcelemental.models.v2 import AtomicInput
from qcmanybody.v2 import ManyBodyComputer

from mbpipe.base import layout
from mbpipe.base.labels import encode_label, nbody_level
from mbpipe.config.checks import checked_manybody_input
from mbpipe.config.load import load_config, validated
from mbpipe.pipeline import plan as planning
from mbpipe.pipeline.plan import make_plan

CHECKOUT = Path(__file__).resolve().parent.parent
MOLECULES = CHECKOUT / "config" / "molecules"
HF = {"program": "nwchem", "method": "hf", "basis": "sto-3g"}

CONFIGS = {
    "trimer cp nocp vmfc": load_config(CHECKOUT / "config" / "config.yaml"),
    "multilevel gradient": load_config(CHECKOUT / "config" / "examples" / "multilevel-gradient.yaml"),
    "cation doublet beside a water": validated(
        {
            "name": "cation",
            "molecule": str(MOLECULES / "water-dimer.xyz"),
            "fragment_charges": [1, 0],
            "fragment_multiplicities": [2, 1],
            "bsse_type": ["cp", "nocp"],
            "model_chemistries": {"hf": HF},
        },
        base_dir=".",
    ),
}


def sequential_inputs(mbin) -> dict[str, str]:
    """QCManyBody label -> the AtomicInput the sequential computer runs for it, as mbpipe writes JSON."""
    computer = ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False)
    specifications = {
        mc: {**spec.model_dump(), "driver": mbin.specification.driver}
        for mc, spec in mbin.specification.specification.items()
    }
    return {
        label: AtomicInput(molecule=molecule, specification=copy.deepcopy(specifications[mc])).model_dump_json(indent=1)
        + "\n"
        for mc, label, molecule in computer.qcmb_core.iterate_molecules()
    }


@pytest.mark.parametrize("shared", [False, True], ids=["one process", "shared among processes"])
@pytest.mark.parametrize("case", CONFIGS)
def test_fragment_inputs_are_the_sequential_computers(case, shared, tmp_path, monkeypatch):
    """Also when the plan is shared among forked processes, as a large one is (shares of 4 here)."""
    config = CONFIGS[case]
    monkeypatch.chdir(tmp_path)
    if shared:
        monkeypatch.setattr(planning, "_SHARE_SIZE", 4)
    plan = make_plan(config)
    expected = sequential_inputs(checked_manybody_input(config))
    assert plan.nfragment_calculations == len(expected)
    for label, text in expected.items():
        path = layout.path(layout.FRAGMENT_INPUT, name=plan.name, level=nbody_level(label), label=encode_label(label))
        assert path.read_text() == text, label
