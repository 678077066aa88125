"""The run's configuration: validated against the workflow's schema and turned into a ManyBodyInput."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

WORKFLOW_DIR = Path(__file__).resolve().parent.parent / "workflow"
SCHEMA = WORKFLOW_DIR / "schemas" / "config.schema.yaml"
PATH_KEYS = ("molecule", "input")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file and return it validated, with defaults and absolute paths."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    with open(path) as handle:
        raw = yaml.safe_load(handle) or {}
    return validated(raw, base_dir=path.parent)


def validated(raw: dict[str, Any], base_dir: str | Path) -> dict[str, Any]:
    """Validate *raw* against the schema, fill the schema's defaults, and resolve relative paths
    against *base_dir* (the folder of the config file that named them).  A config that breaks the
    schema raises ConfigError naming each key and its fix."""
    from snakemake.utils import validate

    from mbpipe.checks import ConfigError, schema_problems

    config = _normalized(raw)
    problems = schema_problems(config, yaml.safe_load(SCHEMA.read_text()))
    if problems:
        raise ConfigError(problems)
    validate(config, str(SCHEMA), set_default=True)
    for key in PATH_KEYS:
        if key in config:
            config[key] = str((Path(base_dir) / Path(config[key]).expanduser()).resolve())
    return config


def _normalized(raw: dict[str, Any]) -> dict[str, Any]:
    """Spellings YAML allows that the schema should not have to: integer level keys, bare `off`."""
    config = copy.deepcopy(dict(raw))
    if isinstance(config.get("levels"), dict):
        config["levels"] = {str(k): v for k, v in config["levels"].items()}
    if config.get("verify") is False:
        config["verify"] = "off"
    elif config.get("verify") is True:
        config["verify"] = "sequential"
    if isinstance(config.get("bsse_type"), str):
        config["bsse_type"] = [config["bsse_type"]]
    return config


def results_dir(config: dict[str, Any]) -> Path:
    return Path("results") / config["name"]


def manybody_input(config: dict[str, Any]):
    """The QCSchema v2 ManyBodyInput that the run computes, from a validated config."""
    from qcmanybody.models.v2 import ManyBodyInput

    from mbpipe.molecule import read_molecule

    if "input" in config:
        return ManyBodyInput.model_validate_json(Path(config["input"]).read_text())

    molecule = read_molecule(config["molecule"])
    keywords = {
        "bsse_type": config["bsse_type"],
        "return_total_data": config["return_total_data"],
        "supersystem_ie_only": config["supersystem_ie_only"],
        "levels": _levels(config, nfragments=len(molecule.fragments)),
    }
    if "max_nbody" in config:
        keywords["max_nbody"] = config["max_nbody"]
    specification = {
        name: {
            "program": mc["program"],
            "driver": config["driver"],
            "model": {"method": mc["method"], "basis": mc["basis"]},
            "keywords": mc.get("keywords", {}),
        }
        for name, mc in config["model_chemistries"].items()
    }
    return ManyBodyInput(
        molecule=molecule,
        specification={"driver": config["driver"], "keywords": keywords, "specification": specification},
    )


def _levels(config: dict[str, Any], nfragments: int) -> dict[int | str, str]:
    """QCManyBody's `levels`: the config's own, or every level at the one model chemistry."""
    if "levels" in config:
        return {(k if k == "supersystem" else int(k)): v for k, v in config["levels"].items()}
    names = list(config["model_chemistries"])
    if len(names) != 1:
        raise ValueError(
            f"model_chemistries defines {len(names)} model chemistries ({', '.join(names)}) but `levels` "
            "does not say which n-body level uses which; add e.g. `levels: {1: " + names[0] + ", 2: ...}`"
        )
    return {config.get("max_nbody", nfragments): names[0]}
