"""Shared pieces of the failure, resume and bad-input tests: configs written to a temporary folder
and the workflow run there, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

CHECKOUT = Path(__file__).resolve().parent.parent
MOLECULES = CHECKOUT / "config" / "molecules"
DATA = Path(__file__).resolve().parent / "data"
# Published data from outside the project (tests/data/README.md).
PENTAMERS = DATA / "water-pentamers.xyz"

PM7 = {"program": "mopac", "method": "pm7"}
HF_STO3G = {"program": "nwchem", "method": "hf", "basis": "sto-3g"}
# One water (the hydrogen-bond donor of config/molecules/water-dimer.xyz), for single calculations.
WATER_XYZ = """
0 1
O  -1.551007  -0.114520   0.000000
H  -1.934259   0.762503   0.000000
H  -0.599677   0.040712   0.000000
"""


def write_config(folder: Path, **config) -> Path:
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def pm7_trimer_config(folder: Path, verify: str) -> Path:
    """The water trimer through 2 bodies, nocp, MOPAC PM7: a run of seconds."""
    return write_config(
        folder, name="pm7", molecule=str(MOLECULES / "water-trimer.xyz"), bsse_type=["nocp"], max_nbody=2,
        model_chemistries={"pm7": PM7}, verify=verify,
    )  # fmt: skip


def mbpipe_run(folder: Path, config: Path, *snakemake_args: str, **popen) -> subprocess.CompletedProcess:
    """`mbpipe run CONFIG` in *folder*, with the shipped local profile."""
    return mbpipe(folder, "run", str(config), *snakemake_args, **popen)


def mbpipe(folder: Path, *args: str, **popen) -> subprocess.CompletedProcess:
    """The `mbpipe` command with *args*, in *folder*."""
    return subprocess.run(
        [sys.executable, "-m", "mbpipe", *args],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
        **popen,
    )


def fragment_results(folder: Path, name: str) -> list[Path]:
    fragments = (folder / "results" / name / "fragments").glob("n*/*_b*.json")
    return sorted(path for path in fragments if not path.name.endswith(".error.json"))


def fragment_jobs_planned(dry_run_output: str) -> int:
    """How many fragment jobs a Snakemake dry run would start, from its job-stats table."""
    for line in dry_run_output.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "fragment":
            return int(fields[1])
    return 0
