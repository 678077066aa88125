"""Fragment file labels: readable, safe in a path, and decoded back to QCManyBody's label exactly."""

import re

import pytest
from qcelemental.models.v2 import Molecule
from qcmanybody import ManyBodyCore
from qcmanybody.utils import labeler

from mbpipe.base.labels import decode_label, encode_label, nbody_level
from mbpipe.pipeline.qcmanybody_compat import planned_labels

FOUR_HELIUMS = Molecule(
    symbols=["He"] * 4,
    geometry=[0, 0, 0, 0, 0, 5, 0, 5, 0, 5, 0, 0],
    fragments=[[0], [1], [2], [3]],
)


def vmfc_multilevel_labels():
    """Every calculation of a 4-fragment VMFC plan with three model chemistries and a supersystem,
    names chosen to need escaping."""
    core = ManyBodyCore(
        FOUR_HELIUMS,
        ["vmfc", "cp", "nocp"],
        {1: "ccsd(t)/cc-pvtz", 2: "mp2_cc-pvdz", 3: "hf", "supersystem": "b3lyp d3"},
        return_total_data=True,
        supersystem_ie_only=False,
        embedding_charges={},
    )
    return sorted(planned_labels(core))


def test_every_label_of_a_vmfc_multilevel_plan_round_trips():
    labels = vmfc_multilevel_labels()
    # 4 fragments, VMFC through 3 bodies at three model chemistries plus supersystem calculations
    assert len(labels) > 50
    encoded = [encode_label(label) for label in labels]
    assert [decode_label(e) for e in encoded] == labels
    assert len(set(encoded)) == len(labels)
    for e in encoded:
        assert re.fullmatch(r"[A-Za-z0-9._+%-]+", e), e


def test_label_reads_as_model_chemistry_real_and_basis_fragments():
    label = labeler("hf-sto3g", [1, 2], [1, 2, 3])
    assert encode_label(label) == "hf-sto3g_1-2_b1-2-3"
    assert nbody_level(label) == 2


@pytest.mark.parametrize("bad", ["hf-sto3g_1-2", "hf_1_2", "hf_1_bx"])
def test_malformed_label_is_named_in_the_error(bad):
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        decode_label(bad)
