"""The whole workflow on PySCF: fragment jobs in the job server's forked children, one thread each,
checked against QCManyBody's sequential ManyBodyComputer on PySCF in one process.

At one thread PySCF repeats its numbers bit for bit, so the two must agree as closely as NWChem's do
(1e-12 Eh); at two threads a fragment's energy moves by up to 7e-13 Eh between runs.
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import pytest
from qcmanybody.models.v2 import ManyBodyResult
from workflow_runs import CONFIG_DIR, run_snakemake

pytestmark = pytest.mark.pyscf

TOLERANCE = 1e-12  # hartree; the gradients are compared to the same figure, in hartree/bohr


def test_trimer_cp_nocp_vmfc_on_pyscf_equals_the_sequential_computer(tmp_path):
    run_snakemake(tmp_path, CONFIG_DIR / "examples" / "water-trimer-pyscf.yaml")
    results = tmp_path / "results" / "water-trimer-pyscf"
    pipeline = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())
    sequential = ManyBodyResult.model_validate_json((results / "sequential.json").read_text())

    ours, theirs = pipeline.properties.model_dump(), sequential.properties.model_dump()
    compared = [name for name, value in theirs.items() if isinstance(value, float)]
    assert len(compared) > 30
    for name in compared:
        assert abs(ours[name] - theirs[name]) <= TOLERANCE, name
    verification = json.loads((results / "verification.json").read_text())
    assert verification["passed"] and verification["max_abs_difference"] <= TOLERANCE

    fragments = [json.loads(path.read_text()) for path in (results / "fragments").glob("n*/*.json")]
    assert len(fragments) == 19
    assert {f["extras"]["mbpipe"]["runner"] for f in fragments} == {"warm-worker"}
    assert {(f["provenance"]["creator"], f["extras"]["pyscf"]["threads"]) for f in fragments} == {("PySCF", 1)}
    assert all(f["extras"]["pyscf"]["cart"] for f in fragments)


def example_with(folder: Path, old: str, new: str) -> Path:
    """The PySCF example config with *old* replaced by *new*, written to *folder*."""
    text = (CONFIG_DIR / "examples" / "water-trimer-pyscf.yaml").read_text()
    path = folder / "config.yaml"
    path.write_text(text.replace(old, new).replace("../molecules", str(CONFIG_DIR / "molecules")))
    return path


def test_an_mp2_hessian_on_pyscf_is_refused_before_any_job(tmp_path):
    done = run_snakemake(tmp_path, example_with(tmp_path, "driver: energy", "driver: hessian"), check=False)

    assert done.returncode != 0
    assert (
        "model chemistry 'mp2-631gs': program 'pyscf': PySCF cannot compute a hessian for method 'mp2'" in done.stderr
    )
    assert not (tmp_path / "results" / "water-trimer-pyscf" / "fragments").exists()


@pytest.mark.skipif(find_spec("gpu4pyscf") is not None, reason="gpu4pyscf is installed here")
def test_the_gpu_program_without_gpu4pyscf_is_refused_before_any_job(tmp_path):
    """Never run on the CPU what was asked of the GPU."""
    done = run_snakemake(tmp_path, example_with(tmp_path, "program: pyscf", "program: pyscf-gpu"), check=False)

    assert done.returncode != 0
    assert "program 'pyscf-gpu' is not installed on this machine" in done.stderr
    assert "gpu4pyscf is not installed; install gpu4pyscf with `pip install mbpipe[gpu]`" in done.stderr
    assert not (tmp_path / "results" / "water-trimer-pyscf" / "fragments").exists()


def test_an_mp2_gradient_of_a_cluster_with_a_radical_is_refused_before_any_job(tmp_path):
    """PySCF's UMP2 gradient disagrees with finite differences; every n-mer holding the radical needs it."""
    (tmp_path / "oh-water.xyz").write_text(
        "0 1\nO 0.000000 1.645448 0.000000\nH -0.675453 0.967219 0.000000\nH -0.078374 2.062201 0.858142\n"
        "--\n0 2\nO -1.425000 -0.822724 0.000000\nH -1.746731 -1.098974 -0.858142\n"
    )
    config = example_with(tmp_path, "driver: energy", "driver: gradient")
    config.write_text(config.read_text().replace(str(CONFIG_DIR / "molecules" / "water-trimer.xyz"), "oh-water.xyz"))
    done = run_snakemake(tmp_path, config, check=False)

    assert done.returncode != 0
    assert "PySCF's unrestricted MP2 gradient disagrees with finite differences" in done.stderr
    assert not (tmp_path / "results" / "water-trimer-pyscf" / "fragments").exists()


def test_pyscf_without_a_basis_set_is_refused_before_any_job(tmp_path):
    done = run_snakemake(tmp_path, example_with(tmp_path, "    basis: 6-31g*\n", ""), check=False)

    assert done.returncode != 0
    assert "model chemistry 'mp2-631gs' has no basis set, which 'pyscf' needs" in done.stderr
    assert not (tmp_path / "results" / "water-trimer-pyscf" / "fragments").exists()
