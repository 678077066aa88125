"""Fragments that fail, and fragment results that cannot be trusted, with real NWChem and MOPAC runs.

Failures are made the way they happen: a program given an input it rejects, or a basis set it does
not have; a result file cut short, replaced, or taken from another calculation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_failures import DATA, HF_STO3G, MOLECULES, PM7, fragment_results, mbpipe_run, write_config


def edit_input(folder: Path, label: str, change) -> str:
    """Change the planned AtomicInput of fragment *label* in place; returns its original text."""
    path = next((folder / "results").glob(f"*/inputs/n*/{label}.json"))
    original = path.read_text()
    data = json.loads(original)
    change(data["specification"])
    path.write_text(json.dumps(data))
    return original


def error_record(folder: Path, label: str) -> dict:
    return json.loads(next((folder / "results").glob(f"*/fragments/n*/{label}.error.json")).read_text())


@pytest.mark.nwchem
def test_failed_fragments_are_reported_and_rerun_replaces_them(tmp_path):
    config = write_config(
        tmp_path,
        name="failing",
        molecule=str(MOLECULES / "water-trimer.xyz"),
        bsse_type=["nocp"],
        max_nbody=2,
        model_chemistries={"hf": HF_STO3G},
        tolerance=1e-12,
    )
    assert mbpipe_run(tmp_path, config, "--dry-run").returncode == 0  # plans, runs nothing
    # NWChem refuses an unknown SCF directive (QCEngine: input_error) and aborts on a basis set it does
    # not have (QCEngine: unknown_error).
    originals = {
        "hf_2_b2": edit_input(tmp_path, "hf_2_b2", lambda spec: spec["keywords"].update(scf__bogus=1)),
        "hf_3_b3": edit_input(tmp_path, "hf_3_b3", lambda spec: spec["model"].update(basis="no-such-basis")),
    }

    run = mbpipe_run(tmp_path, config)
    assert run.returncode != 0
    # the monomer that could run; the dimers wait for a complete level 1
    finished = {path: path.read_bytes() for path in fragment_results(tmp_path, "failing")}
    assert [p.name for p in finished] == ["hf_1_b1.json"]

    input_error, unknown_error = error_record(tmp_path, "hf_2_b2"), error_record(tmp_path, "hf_3_b3")
    assert input_error["success"] is False and input_error["error"]["error_type"] == "input_error"
    assert input_error["extras"]["mbpipe"]["attempts"] == 1  # an input error is not retried
    assert unknown_error["error"]["error_type"] == "unknown_error"
    assert unknown_error["extras"]["mbpipe"]["attempts"] == 3  # the profile's 2 retries
    summary = run.stderr[run.stderr.index("2 fragment calculation(s) of failing failed") :]
    for expected in (
        "hf_2_b2 (level 1): input_error after 1 attempt(s)",
        "unrecognized directive",
        "hf_3_b3 (level 1): unknown_error after 3 attempt(s)",
        "failed opening basis file",
        "results/failing/fragments/n1/hf_3_b3.error.json",
        "logs/failing/fragments/n1/hf_3_b3.log",
    ):
        assert expected in summary, f"{expected!r} not in:\n{summary}"

    for label, text in originals.items():
        next((tmp_path / "results").glob(f"*/inputs/n*/{label}.json")).write_text(text)
    rerun = mbpipe_run(tmp_path, config)
    assert rerun.returncode == 0, rerun.stderr
    assert not list((tmp_path / "results").glob("*/fragments/n*/*.error.json"))
    assert all(path.read_bytes() == content for path, content in finished.items())
    assert json.loads((tmp_path / "results/failing/verification.json").read_text())["passed"]


@pytest.mark.mopac
def test_untrustworthy_results_are_rejected_by_name_and_recomputed(tmp_path):
    config = write_config(
        tmp_path,
        name="rejects",
        molecule=str(DATA / "water-hexamer.xyz"),
        bsse_type=["nocp"],
        max_nbody=2,
        model_chemistries={"pm7": PM7},
        verify="off",
    )
    assert mbpipe_run(tmp_path, config).returncode == 0
    fragments = tmp_path / "results/rejects/fragments"
    good = {path: path.read_bytes() for path in fragment_results(tmp_path, "rejects")}
    manybody = json.loads((tmp_path / "results/rejects/manybody.json").read_text())

    cut = fragments / "n2/pm7_1-2_b1-2.json"
    cut.write_bytes(good[cut][: len(good[cut]) // 2])
    not_a_result = fragments / "n2/pm7_1-3_b1-3.json"
    not_a_result.write_text((tmp_path / "results/rejects/inputs/n2/pm7_1-3_b1-3.json").read_text())
    failed = fragments / "n2/pm7_2-3_b2-3.json"
    failed.write_text(json.dumps({**json.loads(good[failed]), "success": False}))
    other_molecule = fragments / "n2/pm7_4-5_b4-5.json"
    other_molecule.write_bytes(good[fragments / "n2/pm7_5-6_b5-6.json"])

    # the run that finds them moves them aside as it reads the workflow, and recomputes them
    run = mbpipe_run(tmp_path, config)
    assert run.returncode == 0, run.stderr
    for path, why in (
        (cut, "is not whole JSON"),
        (not_a_result, "is not a QCSchema AtomicResult"),
        (failed, "records a failed calculation (success: false)"),
        (other_molecule, "was computed from a different input"),
    ):
        assert f"{path.relative_to(tmp_path)} {why}" in run.stderr
        assert path.with_suffix(".rejected").exists()
    assert "4 fragment result(s) of rejects cannot be used" in run.stderr
    recomputed = sorted(p.name for p, content in good.items() if p.read_bytes() != content)
    assert recomputed == sorted(p.name for p in (cut, not_a_result, failed, other_molecule))
    again = json.loads((tmp_path / "results/rejects/manybody.json").read_text())
    assert abs(again["return_result"] - manybody["return_result"]) <= 1e-12
