"""An installed mbpipe runs without its checkout: the workflow, its schema and profiles ship in the
wheel, and `mbpipe run` works from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, MOLECULES, PM7, write_config

pytestmark = pytest.mark.mopac


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package as a wheel built from a copy of the checkout, installed into a folder of its own
    (its dependencies are this environment's)."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.decode().split("\0")):
        if not (CHECKOUT / name).exists():
            continue
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKOUT / name, target, follow_symlinks=False)
    wheels = work / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("mbpipe-*.whl")
    site = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    return site


def test_the_wheel_carries_the_workflow(installed):
    workflow = installed / "mbpipe" / "workflow"
    for name in ("Snakefile", "rules/fragments.smk", "schemas/config.schema.yaml", "report/workflow.rst",
                 "profiles/default/config.yaml", "profiles/local/config.yaml"):  # fmt: skip
        assert (workflow / name).is_file(), name


def test_an_installed_mbpipe_runs_from_any_folder(installed, tmp_path):
    config = write_config(
        tmp_path, name="installed", molecule=str(MOLECULES / "water-trimer.xyz"), bsse_type=["nocp"], max_nbody=2,
        model_chemistries={"pm7": PM7},
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run(
        [sys.executable, "-c", "import mbpipe; print(mbpipe.__file__)"], env=env, cwd=tmp_path,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(installed)
    run = subprocess.run(
        [sys.executable, "-m", "mbpipe", "run", str(config), "--cores", "2"], env=env, cwd=tmp_path,
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    verification = json.loads((tmp_path / "results" / "installed" / "verification.json").read_text())
    assert verification["passed"] and verification["max_abs_difference"] <= 1e-12
    assert not (tmp_path / "workflow").exists()
