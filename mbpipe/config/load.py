"""Reading a run's config: validated against the workflow's schema, defaults filled in, paths resolved."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from mbpipe.config.errors import ConfigError
from mbpipe.config.geometries import expand_molecule_globs
from mbpipe.config.schema import schema_problems
from mbpipe.workflow import SCHEMA

PATH_KEYS = ("molecule", "input", "crystal")


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

    config = _normalized(raw)
    problems = schema_problems(config, yaml.safe_load(SCHEMA.read_text()))
    if problems:
        raise ConfigError(problems)
    validate(config, str(SCHEMA), set_default=True)
    for key in PATH_KEYS:
        if key in config:
            config[key] = str((Path(base_dir) / Path(config[key]).expanduser()).resolve())
    if "molecules" in config:
        config["molecules"] = expand_molecule_globs(config["molecules"], Path(base_dir))
    if "frames" in config and "frame" in config:
        raise ConfigError(["give `frame` (one geometry) or `frames` (several), not both"])
    if "embedding" in config and ("molecules" in config or "frames" in config):
        raise ConfigError(
            [
                "`embedding` is not combined with several geometries (`molecules`, `frames`) in mbpipe; "
                "run one config per geometry, with `molecule` and `frame`"
            ]
        )
    return config


def _normalized(raw: dict[str, Any]) -> dict[str, Any]:
    """Spellings YAML allows that the schema should not have to: integer level and order keys, bare `off`."""
    config = copy.deepcopy(dict(raw))
    for key in ("levels", "distance_cutoffs", "crystal_cutoffs", "crystal_com_cutoffs"):
        if isinstance(config.get(key), dict):
            config[key] = {str(k): v for k, v in config[key].items()}
    if config.get("verify") is False:
        config["verify"] = "off"
    elif config.get("verify") is True:
        config["verify"] = "sequential"
    if isinstance(config.get("bsse_type"), str):
        config["bsse_type"] = [config["bsse_type"]]
    return config
