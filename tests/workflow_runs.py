"""Running the real workflow in a scratch directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SNAKEFILE = REPO / "workflow" / "Snakefile"
CONFIG_DIR = REPO / "config"


def run_snakemake(
    workdir: Path, configfile: Path, *extra: str, check: bool = True, python_args: tuple[str, ...] = ("-m", "snakemake")
) -> subprocess.CompletedProcess:
    """`snakemake -s <checkout>/workflow/Snakefile --directory WORKDIR --configfile CONFIG --cores 2`;
    *python_args* start Snakemake some other way (a script that wraps its command line)."""
    command = [
        sys.executable, *python_args,
        "--snakefile", str(SNAKEFILE),
        "--directory", str(workdir),
        "--configfile", str(configfile),
        "--cores", "2",
        *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"snakemake failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def write_config(folder: Path, base: str | Path, **changes) -> Path:
    """A config file in *folder*: the bundled config *base* with *changes*, its molecule path made
    absolute so the copy can live anywhere."""
    base = Path(base)
    config = yaml.safe_load(base.read_text())
    config["molecule"] = str((base.parent / config["molecule"]).resolve())
    config.update(changes)
    path = folder / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
