"""The QCSchema v2 ManyBodyInput a validated config describes: the cluster, QCManyBody's many-body
keywords and one specification per model chemistry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mbpipe.molecules.cluster_file import read_cluster


def config_cluster(config: dict[str, Any]):
    """The config's `molecule` as (qcelemental.models.v2.Molecule, ClusterInfo): the geometry `frame`
    picks, fragmented and charged as `fragmentation`, `fragment_charges` and `fragment_multiplicities` say."""
    return read_cluster(
        config["molecule"],
        frame=config.get("frame"),
        fragmentation=config.get("fragmentation", "separators"),
        fragment_charges=config.get("fragment_charges"),
        fragment_multiplicities=config.get("fragment_multiplicities"),
    )


def manybody_input(config: dict[str, Any]):
    """The QCSchema v2 ManyBodyInput that the run computes, from a validated config."""
    from qcmanybody.models.v2 import ManyBodyInput

    if "input" in config:
        return ManyBodyInput.model_validate_json(Path(config["input"]).read_text())

    molecule, _ = config_cluster(config)
    keywords = {
        "bsse_type": config["bsse_type"],
        "return_total_data": config["return_total_data"],
        "supersystem_ie_only": config["supersystem_ie_only"],
        "levels": _levels(config, nfragments=len(molecule.fragments)),
    }
    if "max_nbody" in config:
        keywords["max_nbody"] = config["max_nbody"]
    if "embedding" in config:
        from mbpipe.embedding.charges import fragment_embedding_charges

        keywords["embedding_charges"] = fragment_embedding_charges(config["embedding"]["charges"], molecule)
    specification = {
        name: {
            "program": mc["program"],
            "driver": config["driver"],
            "model": {"method": mc["method"], "basis": mc.get("basis")},
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
