"""The whole workflow on real NWChem, checked against QCManyBody's sequential ManyBodyComputer.

The verify rule keeps the sequential computer's ManyBodyResult as sequential.json; these tests
compare the pipeline's manybody.json with it directly, property by property.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from qcelemental import constants
from qcmanybody.models.v2 import ManyBodyInput, ManyBodyResult
from workflow_runs import CONFIG_DIR, run_snakemake, write_config

from mbpipe.base.labels import decode_label, encode_label, nbody_level
from mbpipe.pipeline.plan import manybody_computer
from mbpipe.pipeline.qcmanybody_compat import planned_labels

pytestmark = pytest.mark.nwchem

ENERGY_TOLERANCE = 1e-12  # hartree
ARRAY_TOLERANCE = 1e-10  # hartree/bohr, hartree/bohr^2


def load_run(workdir: Path, name: str):
    results = workdir / "results" / name
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    sequential = ManyBodyResult.model_validate_json((results / "sequential.json").read_text())
    return results, pipeline, sequential


def assert_same_properties(pipeline, sequential):
    """Every property of the two results agrees: energies to 1e-12, arrays element-wise to 1e-10."""
    ours, theirs = pipeline.properties.model_dump(), sequential.properties.model_dump()
    assert ours.keys() == theirs.keys()
    compared = 0
    for name, value in theirs.items():
        if value is None or isinstance(value, str):
            assert ours[name] == value, name
            continue
        expected = np.ravel(np.asarray(value, dtype=float))
        got = np.ravel(np.asarray(ours[name], dtype=float))
        tolerance = ENERGY_TOLERANCE if expected.size == 1 else ARRAY_TOLERANCE
        assert got.shape == expected.shape, name
        assert np.max(np.abs(got - expected)) <= tolerance, name
        compared += 1
    np.testing.assert_allclose(
        np.ravel(pipeline.return_result), np.ravel(sequential.return_result), rtol=0, atol=ARRAY_TOLERANCE
    )
    return compared


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("default")
    run_snakemake(workdir, CONFIG_DIR / "config.yaml")
    return workdir


def test_default_config_matches_sequential_for_cp_nocp_vmfc(default_run):
    results, pipeline, sequential = load_run(default_run, "water-trimer")
    assert assert_same_properties(pipeline, sequential) > 30
    for bsse in ("cp", "nocp", "vmfc"):
        for n in (1, 2, 3):
            assert getattr(pipeline.properties, f"{bsse}_corrected_total_energy_through_{n}_body") is not None
    verification = json.loads((results / "verification.json").read_text())
    assert verification["passed"] and verification["max_abs_difference"] <= ENERGY_TOLERANCE


def test_every_planned_fragment_has_its_result(default_run):
    results = default_run / "results" / "water-trimer"
    mbin = ManyBodyInput.model_validate_json((results / "input.json").read_text())
    planned = planned_labels(manybody_computer(mbin).qcmb_core)
    expected = {f"n{nbody_level(label)}/{encode_label(label)}.json" for label in planned}
    found = {str(p.relative_to(results / "fragments")) for p in (results / "fragments").glob("n*/*.json")}
    assert found == expected
    # cyclic trimer, VMFC through 3 bodies: 3 x 4 monomer, 3 x 2 dimer, 1 trimer calculations
    assert len(found) == 19


def test_local_fragments_ran_in_the_runs_job_server(default_run):
    """A local run starts QCEngine once (mbpipe/jobserver/), not once per fragment."""
    fragments = (default_run / "results" / "water-trimer" / "fragments").glob("n*/*.json")
    runners = {json.loads(path.read_text())["extras"]["mbpipe"]["runner"] for path in fragments}
    assert runners == {"warm-worker"}


def test_no_level_starts_before_the_previous_one_finished(default_run):
    results = default_run / "results" / "water-trimer"
    times = {}
    for path in (results / "fragments").glob("n*/*.json"):
        level = int(path.parent.name[1:])
        record = json.loads(path.read_text())["extras"]["mbpipe"]
        started, finished = datetime.fromisoformat(record["started"]), datetime.fromisoformat(record["finished"])
        first, last = times.get(level, (started, finished))
        times[level] = (min(first, started), max(last, finished))
    assert sorted(times) == [1, 2, 3]
    for level in (2, 3):
        assert times[level][0] >= times[level - 1][1], f"level {level} started before level {level - 1} finished"


def test_summary_two_body_interaction_is_the_hand_sum_of_fragment_energies(default_run):
    """nocp interaction energy through 2 bodies of a trimer: sum of dimer energies minus twice the sum
    of monomer energies, each in its own basis, read from the fragment files."""
    results = default_run / "results" / "water-trimer"

    def energy(label):
        level = nbody_level(decode_label(label))
        return json.loads((results / "fragments" / f"n{level}" / f"{label}.json").read_text())["return_result"]

    monomers = sum(energy(f"hf-sto3g_{i}_b{i}") for i in (1, 2, 3))
    dimers = sum(energy(f"hf-sto3g_{i}-{j}_b{i}-{j}") for i, j in ((1, 2), (1, 3), (2, 3)))
    expected = dimers - 2 * monomers

    summary = pd.read_csv(results / "summary.csv")
    row = summary[(summary.bsse_type == "nocp") & (summary.nbody == 2)].iloc[0]
    assert abs(row.interaction_energy_hartree - expected) < 1e-10
    kcal = constants.conversion_factor("hartree", "kcal/mol")
    assert abs(row.interaction_energy_kcal_mol - expected * kcal) < 1e-7
    assert set(summary.bsse_type) == {"cp", "nocp", "vmfc"} and set(summary.nbody) == {1, 2, 3}


def test_level_result_is_the_expansion_truncated_at_that_level(default_run):
    """levels/n2.json through 2 bodies equals the full result's through-2-body values, and its own
    highest level is 2."""
    results, pipeline, _ = load_run(default_run, "water-trimer")
    two_body = ManyBodyResult.model_validate_json((results / "levels" / "n2.json").read_text())
    assert two_body.input_data.specification.keywords.max_nbody == 2
    for bsse in ("cp", "nocp", "vmfc"):
        name = f"{bsse}_corrected_interaction_energy_through_2_body"
        assert abs(getattr(two_body.properties, name) - getattr(pipeline.properties, name)) < ENERGY_TOLERANCE
    assert two_body.properties.nocp_corrected_interaction_energy_through_3_body is None
    full = ManyBodyResult.model_validate_json((results / "levels" / "n3.json").read_text())
    assert full.properties.return_energy == pipeline.properties.return_energy


def test_multilevel_gradient_matches_sequential(tmp_path):
    run_snakemake(tmp_path, CONFIG_DIR / "examples" / "multilevel-gradient.yaml")
    _, pipeline, sequential = load_run(tmp_path, "multilevel-gradient")
    assert_same_properties(pipeline, sequential)
    assert np.asarray(pipeline.return_result).size == 27  # 9 atoms x 3
    assert pipeline.properties.calcinfo_nmc == 2


def test_hessian_of_a_dimer_matches_sequential(tmp_path):
    run_snakemake(tmp_path, CONFIG_DIR / "examples" / "hessian-dimer.yaml")
    _, pipeline, sequential = load_run(tmp_path, "hessian-dimer")
    assert_same_properties(pipeline, sequential)
    assert np.asarray(pipeline.return_result).size == 18 * 18


def test_interaction_only_data_with_a_supersystem_level(tmp_path):
    """return_total_data false, HF/STO-3G through 2 bodies and the supersystem correction at HF/3-21G."""
    config = write_config(
        tmp_path,
        CONFIG_DIR / "config.yaml",
        name="supersystem",
        bsse_type=["nocp"],
        return_total_data=False,
        levels={2: "hf-sto3g", "supersystem": "hf-321g"},
        model_chemistries={
            "hf-sto3g": {"program": "nwchem", "method": "hf", "basis": "sto-3g"},
            "hf-321g": {"program": "nwchem", "method": "hf", "basis": "3-21g"},
        },
    )
    config.write_text(config.read_text().replace("max_nbody: 3\n", ""))
    run_snakemake(tmp_path, config)
    results, pipeline, sequential = load_run(tmp_path, "supersystem")
    assert_same_properties(pipeline, sequential)
    # return_total_data false: the returned energy is the interaction energy, not the total
    assert pipeline.return_result == pipeline.properties.nocp_corrected_interaction_energy
    assert abs(pipeline.return_result) < 0.1
    assert (results / "fragments" / "n3" / "hf-321g_1-2-3_b1-2-3.json").exists()


def test_runs_from_any_directory_with_paths_relative_to_the_config(tmp_path):
    """`mbpipe run CONFIG` from another directory: results land there, the molecule path resolves
    against the config file's folder."""
    import subprocess
    import sys

    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "dimer.xyz").write_text((CONFIG_DIR / "molecules" / "water-dimer.xyz").read_text())
    (folder / "run.yaml").write_text(
        "name: dimer-energy\nmolecule: dimer.xyz\nbsse_type: [cp]\nverify: off\n"
        "model_chemistries:\n  hf-sto3g: {program: nwchem, method: hf, basis: sto-3g}\n"
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "mbpipe", "run", str(folder / "run.yaml"), "--cores", "2"],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = workdir / "results" / "dimer-energy"
    assert (results / "manybody.json").exists()
    assert not (results / "verification.json").exists()  # verify: off


def test_a_manybody_input_file_instead_of_the_keywords(tmp_path):
    """`input:` names a QCSchema v2 ManyBodyInput; the run computes exactly that input."""
    from mbpipe.config.load import load_config
    from mbpipe.config.manybody_input import manybody_input

    data = manybody_input(load_config(CONFIG_DIR / "examples" / "hessian-dimer.yaml")).model_dump(mode="json")
    data["specification"]["driver"] = "energy"
    energy_input = ManyBodyInput(**data)
    (tmp_path / "dimer-input.json").write_text(energy_input.model_dump_json())
    (tmp_path / "run.yaml").write_text("name: from-input\ninput: dimer-input.json\n")
    run_snakemake(tmp_path, tmp_path / "run.yaml")
    _, pipeline, sequential = load_run(tmp_path, "from-input")
    assert_same_properties(pipeline, sequential)
    assert pipeline.input_data.specification.driver == "energy"
    assert pipeline.properties.cp_corrected_interaction_energy is not None
