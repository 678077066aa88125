"""Cluster sizing: requested runtimes, and how many submissions a dry run through a cluster profile makes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mbpipe.batch.bundle import bundle_name, runtime_minutes

REPO = Path(__file__).resolve().parent.parent


def test_runtime_has_a_floor_a_safety_factor_and_grows_per_attempt():
    assert runtime_minutes(2.0) == 5  # 10 x 2 s is far below the 5-minute floor
    assert runtime_minutes(90.0) == 15  # 10 x 90 s = 15 min
    assert runtime_minutes(90.0, attempt=3) == 45


def test_only_fragments_below_the_threshold_are_bundled():
    assert bundle_name(2, 59.9, below_s=60) == "bundle-n2"
    assert bundle_name(2, 60.0, below_s=60) is None
    assert bundle_name(3, 1.0, below_s=0) is None


def dry_run(profile: str, workdir: Path, *extra: str) -> str:
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow" / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(REPO / "config" / "config.yaml"),
        "--profile", str(REPO / "profiles" / profile), "--dry-run", *extra,
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["slurm", "pbs"])
def test_profile_bundles_each_level_into_one_submission(profile, tmp_path):
    """The default water trimer: every fragment is small, each level has fewer than the 50 a bundle
    holds, so one group job per level; with bundling off, one job per fragment calculation."""
    bundled = dry_run(profile, tmp_path)
    plan = json.loads((tmp_path / "results" / "water-trimer" / "plan.json").read_text())
    groups = re.findall(r"^\[.*\] Group job (\S+)", bundled, flags=re.MULTILINE)
    assert sorted(groups) == [f"bundle-n{level}" for level in sorted(plan["levels"])]

    unbundled = dry_run(profile, tmp_path, "--config", "bundle_below_s=0")
    assert not re.search(r"Group job", unbundled)
    assert len(re.findall(r"^rule fragment:", unbundled, flags=re.MULTILINE)) == sum(
        len(labels) for labels in plan["levels"].values()
    )
