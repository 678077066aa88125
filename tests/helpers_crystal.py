"""The ammonia crystal config the pipeline tests run, and its lattice energy summed independently from
QCManyBody's sequential computer on each unique n-mer."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

CRYSTALS = Path(__file__).resolve().parent / "data" / "crystals"


def ammonia_config(folder: Path, **changes) -> Path:
    """Cubic ammonia (P 1, 4 molecules), dimers within 2.6 and trimers within 2.45 Angstrom, HF/STO-3G
    on PySCF: 3 unique n-mers, a run of a minute on 2 cores."""
    config = {
        "name": "ammonia",
        "crystal": str(CRYSTALS / "ammonia.cif"),
        "crystal_cutoffs": {2: 2.6, 3: 2.45},
        "bsse_type": ["nocp", "cp"],
        "model_chemistries": {"hf": {"program": "pyscf", "method": "hf", "basis": "sto-3g"}},
        **changes,
    }
    path = folder / "ammonia.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def sequential_lattice_per_cell(results: Path, bsse: str) -> dict[int, float]:
    """Order -> the lattice energy per cell through that order (hartree), from each unique n-mer's
    sequential.json (QCManyBody's ManyBodyComputer) and the replica counts of crystal.json."""
    catalogue = json.loads((results / "crystal.json").read_text())
    orders = sorted({nmer["order"] for nmer in catalogue["nmers"]})
    per_cell = dict.fromkeys(orders, 0.0)
    for nmer in catalogue["nmers"]:
        sequential = json.loads((results / nmer["nmer"] / "sequential.json").read_text())
        delta = sequential["properties"][f"{bsse}_corrected_{nmer['order']}_body_contribution_to_energy"]
        for order in per_cell:
            if nmer["order"] <= order:
                per_cell[order] += sum(nmer["replicas"].values()) * delta / nmer["order"]
    return per_cell
