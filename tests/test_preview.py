"""`mbpipe plan`: QCManyBody's own calculation counts, the largest calculation's basis functions and the
estimated time per model chemistry and n-body level, before anything runs."""

import json
from pathlib import Path

import pytest
from qcmanybody import ManyBodyCore

from mbpipe.cli import main
from mbpipe.config.load import load_config, validated
from mbpipe.config.manybody_input import manybody_input
from mbpipe.molecules.cluster_file import read_cluster
from mbpipe.monitor.preview import plan_preview

CHECKOUT = Path(__file__).resolve().parent.parent
MOLECULES = CHECKOUT / "config" / "molecules"
HF = {"program": "nwchem", "method": "hf", "basis": "sto-3g"}
MP2 = {"program": "nwchem", "method": "mp2", "basis": "sto-3g"}
HF_631G = {"program": "nwchem", "method": "hf", "basis": "6-31g"}

# (config, the same calculation in ManyBodyCore's own terms: every level named)
CASES = {
    "default": (
        load_config(CHECKOUT / "config" / "config.yaml"),
        ("water-trimer.xyz", ["cp", "nocp", "vmfc"], {1: "hf-sto3g", 2: "hf-sto3g", 3: "hf-sto3g"}, True),
    ),
    "multilevel-gradient": (
        load_config(CHECKOUT / "config" / "examples" / "multilevel-gradient.yaml"),
        ("water-trimer.xyz", ["nocp", "cp"], {1: "mp2-sto3g", 2: "hf-sto3g", 3: "hf-sto3g"}, True),
    ),
    "hessian-dimer": (
        load_config(CHECKOUT / "config" / "examples" / "hessian-dimer.yaml"),
        ("water-dimer.xyz", ["cp"], {1: "hf-sto3g", 2: "hf-sto3g"}, True),
    ),
    "supersystem": (
        validated(
            {
                "name": "ss",
                "molecule": str(MOLECULES / "water-trimer.xyz"),
                "bsse_type": ["nocp", "cp"],
                "levels": {1: "mp2", 2: "hf", "supersystem": "hf-631g"},
                "model_chemistries": {"mp2": MP2, "hf": HF, "hf-631g": HF_631G},
            },
            base_dir=".",
        ),
        ("water-trimer.xyz", ["nocp", "cp"], {1: "mp2", 2: "hf", "supersystem": "hf-631g"}, False),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_counts_are_qcmanybodys(case):
    config, (xyz, bsse, levels, total) = CASES[case]
    core = ManyBodyCore(
        read_cluster(MOLECULES / xyz)[0],
        bsse,
        levels,
        return_total_data=total,
        supersystem_ie_only=False,
        embedding_charges={},
    )
    table = plan_preview(manybody_input(config))
    for sset, column in [("all", "calculations"), ("nocp", "nocp"), ("cp", "cp"), ("vmfc_compute", "vmfc")]:
        expected = {
            (mc, nb): n for mc, per_level in core.format_calc_plan(sset)[1].items() for nb, n in per_level.items()
        }
        if column != "calculations":  # a BSSE set that asks for nothing at a level has no entry upstream
            expected = {key: n for key, n in expected.items() if n}
        shown = {(r.model_chemistry, r.nbody): getattr(r, column) for r in table.itertuples() if getattr(r, column)}
        assert shown == expected, column


def test_default_counts_by_hand():
    """VMFC asks for every (real fragments, basis fragments) pair with real within basis: 1-body 3+6+3,
    2-body 3+3, 3-body 1; CP and noCP use a subset of those."""
    table = plan_preview(manybody_input(CASES["default"][0]))
    assert table["calculations"].tolist() == [12, 6, 1]
    assert table["largest_nbasis"].tolist() == [21, 21, 21]  # monomers in the trimer basis at level 1


def test_largest_basis_without_ghosts():
    """HF/STO-3G water has 7 basis functions (O 1s2s2p = 5, H 1s); without ghost atoms the largest
    calculation of level n holds n waters."""
    config = validated({**CASES["default"][0], "bsse_type": ["nocp"]}, base_dir=".")
    table = plan_preview(manybody_input(config))
    assert table["largest_nbasis"].tolist() == [7, 14, 21]
    assert table["calculations"].tolist() == [3, 3, 1]


def test_plan_command_json(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no earlier run here: the estimate is the cost model's alone
    assert main(["plan", str(CHECKOUT / "config" / "config.yaml"), "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["calculations"] == 19
    assert [level["nbody"] for level in preview["levels"]] == [1, 2, 3]
    assert preview["calibration"]["nfragments"] == 0
    assert {level["estimate_from"] for level in preview["levels"]} == {"cost model"}
    assert not (tmp_path / "results").exists()  # a preview writes nothing
