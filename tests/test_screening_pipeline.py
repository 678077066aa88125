"""Screened runs through the whole workflow on real NWChem: what is planned and run, what the outputs
say about the screening, and how the result is verified.

The screened result is checked against the sum of the kept n-mers' increments formed here from the
fragment files the run wrote: a kept n-mer's sub-clusters are all kept, so the run computed every
calculation those sums need.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers_failures import HF_STO3G, MOLECULES, mbpipe
from helpers_failures import write_config as write_plain_config
from qcmanybody.models.v2 import ManyBodyInput, ManyBodyResult
from qcmanybody.utils import labeler
from workflow_runs import run_snakemake, write_config

from mbpipe.base.labels import decode_label, encode_label
from mbpipe.molecules.water_cluster import water_cluster_xyz
from mbpipe.pipeline.plan import fragment_inputs

pytestmark = pytest.mark.nwchem

NAME = "water4-screened"
# 4 waters (closest-atom pair distances 1.80 1.88 2.11 3.05 3.27 3.28 Angstrom): 4 of 6 dimers and
# 1 of 4 trimers kept.
CUTOFFS = {2: 3.2, 3: 3.1}
TOLERANCE = 1e-12


def water4_config(folder, name=NAME, **changes):
    (folder / "water-4.xyz").write_text(water_cluster_xyz(4))
    config = {
        "name": name,
        "molecule": str(folder / "water-4.xyz"),
        "driver": "gradient",
        "bsse_type": ["nocp", "cp", "vmfc"],
        "max_nbody": 3,
        "distance_cutoffs": CUTOFFS,
        "model_chemistries": {"hf": HF_STO3G},
        **changes,
    }
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def screened_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("screened")
    run_snakemake(workdir, water4_config(workdir))
    return workdir, workdir / "results" / NAME


def fragment_files(results):
    return {p.stem: p for p in (results / "fragments").glob("n*/*.json")}


def test_only_the_calculations_of_kept_nmers_are_planned_and_run(screened_run):
    _, results = screened_run
    mbin = ManyBodyInput.model_validate_json((results / "input.json").read_text())
    unscreened = dict(fragment_inputs(mbin))
    ran = fragment_files(results)
    assert len(unscreened) == 64 and len(ran) == 32
    for label, path in ran.items():
        qcmb_label = decode_label(label)
        _, real, basis = json.loads(qcmb_label)
        everything = [1, 2, 3, 4]
        kept = {(1,), (2,), (3,), (4,), (1, 2), (1, 3), (1, 4), (2, 4), (1, 2, 4)}
        assert tuple(real) in kept and (tuple(basis) in kept or basis == everything), label
        # the same input the unscreened plan has for that calculation
        planned = json.loads((results / "inputs" / path.parent.name / f"{label}.json").read_text())
        assert planned == json.loads(unscreened[qcmb_label].model_dump_json())
    plan = json.loads((results / "plan.json").read_text())
    assert plan["distance_cutoffs"] == {"2": 3.2, "3": 3.1} and plan["screened_calculations"] == 32


def test_result_is_the_sum_of_the_kept_increments_from_the_fragment_files(screened_run):
    _, results = screened_run
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    files = fragment_files(results)
    natoms = 12

    def value(real, basis, prop):
        label = encode_label(labeler("hf", real, basis))
        data = json.loads(files[label].read_text())
        if prop == "energy":
            return data["properties"]["return_energy"]
        whole = np.zeros((natoms, 3))
        atoms = [3 * (f - 1) + a for f in basis for a in range(3)]  # three atoms per water, in order
        whole[atoms] = np.asarray(data["return_result"]).reshape(-1, 3)
        return whole

    everything = (1, 2, 3, 4)
    kept = [(1, 2), (1, 3), (1, 4), (2, 4), (1, 2, 4)]
    bases = {"nocp": lambda sub, nmer: sub, "cp": lambda sub, nmer: everything, "vmfc": lambda sub, nmer: nmer}
    for prop in ("energy", "gradient"):
        add = math.fsum if prop == "energy" else sum
        monomers = add([value((i,), (i,), prop) for i in everything])
        for bsse, basis in bases.items():
            for through in (2, 3):
                increments = [
                    add(
                        [
                            (-1) ** (len(nmer) - size) * value(sub, basis(sub, nmer), prop)
                            for size in range(1, len(nmer) + 1)
                            for sub in itertools.combinations(nmer, size)
                        ]
                    )
                    for nmer in kept
                    if len(nmer) <= through
                ]
                expected = add([monomers, *increments])
                got = getattr(pipeline.properties, f"{bsse}_corrected_total_{prop}_through_{through}_body")
                difference = np.ravel(got) - np.ravel(expected)
                assert np.max(np.abs(difference)) <= TOLERANCE, (bsse, prop, through)


def test_outputs_say_what_was_screened_and_report_no_stand_in(screened_run):
    _, results = screened_run
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    screening = pipeline.extras["mbpipe"]["screening"]
    assert screening["distance_cutoffs_angstrom"] == {"2": 3.2, "3": 3.1}
    assert [(r["nbody"], r["kept"], r["screened"]) for r in screening["nmers"]] == [(2, 4, 2), (3, 1, 3)]
    assert screening["calculations"] == {"computed": 32, "screened": 32}
    # every calculation the result reports is one that ran and was written to fragments/
    reported = {encode_label(label) for label in pipeline.cluster_properties}
    assert reported == set(fragment_files(results)) and pipeline.properties.calcinfo_nmbe == 32

    summary = pd.read_csv(results / "summary.csv")
    rows = summary[summary.bsse_type == "cp"].set_index("nbody")
    assert rows["nmers_kept"].tolist() == [4, 4, 1] and rows["nmers_screened"].tolist() == [0, 2, 3]
    assert math.isnan(rows.loc[1, "distance_cutoff_angstrom"]) and rows.loc[3, "distance_cutoff_angstrom"] == 3.1

    two_body = ManyBodyResult.model_validate_json((results / "levels" / "n2.json").read_text())
    for bsse in ("cp", "nocp", "vmfc"):
        name = f"{bsse}_corrected_interaction_energy_through_2_body"
        assert abs(getattr(two_body.properties, name) - getattr(pipeline.properties, name)) <= TOLERANCE


def test_verification_says_the_sequential_comparison_was_replaced(screened_run):
    _, results = screened_run
    verification = json.loads((results / "verification.json").read_text())
    assert verification["method"] == "kept-increment sums"
    assert verification["sequential_comparison"].startswith("replaced")
    assert verification["passed"] and verification["max_abs_difference"] <= TOLERANCE
    assert len(verification["properties"]) == 6  # cp, nocp, vmfc through 2 and 3 bodies
    assert not (results / "sequential.json").exists()
    table = pd.read_csv(results / "verification.csv")
    assert set(table["compared_with"]) == {"kept-increment sums"}


def test_cutoffs_that_screen_nothing_compare_with_the_sequential_computer(tmp_path):
    config = write_config(
        tmp_path,
        MOLECULES.parent / "config.yaml",
        name="dimer-unscreened",
        molecule=str(MOLECULES / "water-dimer.xyz"),
        bsse_type=["cp", "nocp"],
        max_nbody=2,
        distance_cutoffs={2: 50.0},
    )
    run_snakemake(tmp_path, config)
    results = tmp_path / "results" / "dimer-unscreened"
    verification = json.loads((results / "verification.json").read_text())
    assert "method" not in verification and verification["passed"]
    sequential = ManyBodyResult.model_validate_json((results / "sequential.json").read_text())
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    assert abs(pipeline.return_result - sequential.return_result) <= TOLERANCE
    assert pipeline.extras["mbpipe"]["screening"]["calculations"]["screened"] == 0


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"distance_cutoffs": {2: 3.0, 3: 4.0}}, ["`distance_cutoffs` 3", "larger than", "at most 3 Angstrom"]),
        ({"distance_cutoffs": {1: 5.0}}, ["order 1", "monomers are never screened"]),
        ({"distance_cutoffs": {2: 0}}, ["`distance_cutoffs.2` is 0", "greater than 0"]),
        ({"distance_cutoffs": {"two": 3.0}}, ["'two'", "n-body orders 2, 3"]),
        ({"distance_cutoffs": {2: 9.0}}, ["no cutoff for order 3", "at most 9 Angstrom"]),
        (
            {"distance_cutoffs": {2: 1.0, 3: 1.0}, "bsse_type": ["nocp", "cp"]},
            ["whole cluster", "lower max_nbody to 2"],
        ),
        (
            {"distance_cutoffs": {2: 1.0, 3: 1.0}, "bsse_type": ["cp"], "supersystem_ie_only": True},
            ["supersystem_ie_only"],
        ),
    ],
)
@pytest.mark.parametrize("command", ["run", "plan"])
def test_unusable_cutoffs_are_refused_before_any_job(tmp_path, command, changes, words):
    config = {"name": "bad", "molecule": str(MOLECULES / "water-trimer.xyz"), "model_chemistries": {"hf": HF_STO3G}}
    run = mbpipe(tmp_path, command, str(write_plain_config(tmp_path, **config, **changes)))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in run.stderr, f"{word!r} not in:\n{run.stderr}"
    assert not (tmp_path / "results").exists()


def test_plan_shows_kept_and_screened_nmers_per_order(tmp_path):
    run = mbpipe(tmp_path, "plan", str(water4_config(tmp_path)))
    assert run.returncode == 0, run.stderr
    assert "32 calculations" in run.stdout
    table = run.stdout.split("n-mers by distance")[1].splitlines()[2:]
    assert [line.split() for line in table] == [
        ["2", "3.200", "4", "2", "3.048", "3.273"],
        ["3", "3.100", "1", "3", "3.048", "3.273"],
    ]
    preview = json.loads(mbpipe(tmp_path, "plan", str(water4_config(tmp_path)), "--json").stdout)
    assert preview["calculations"] == 32
    assert [(row["nbody"], row["kept"], row["screened"]) for row in preview["nmers"]] == [(2, 4, 2), (3, 1, 3)]
    levels = {row["nbody"]: row["calculations"] for row in preview["levels"]}
    assert levels == {1: 19, 2: 11, 3: 2}
