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


def calculations_alike(results: Path) -> tuple[int, list[list[Path]]]:
    """(the calculations of a crystal run, its sets of calculations alike), found without mbpipe's code:
    two calculations without ghost atoms are alike when their specifications and charges are equal and
    QCElemental's aligner (B787, over atom orders of like atoms, mirror images allowed) superimposes
    their molecules to 1e-3 bohr; a calculation with ghost atoms is alike only to itself.  Each set is
    its fragment results' paths."""
    import numpy as np
    from qcelemental.molutil import B787

    inputs = sorted(results.glob("*mer-*/inputs/n*/*.json"))
    sets: list[tuple[dict, list[Path]]] = []
    for path in inputs:
        calculation = json.loads(path.read_text())
        molecule = calculation["molecule"]
        result = path.parent.parent.parent / "fragments" / path.parent.name / path.name
        if not all(molecule["real"]):
            sets.append(({}, [result]))
            continue
        for first, members in sets:
            if (
                first
                and first["specification"] == calculation["specification"]
                and first["molecule"]["molecular_charge"] == molecule["molecular_charge"]
                and sorted(first["molecule"]["symbols"]) == sorted(molecule["symbols"])
                and B787(
                    np.reshape(molecule["geometry"], (-1, 3)),
                    np.reshape(first["molecule"]["geometry"], (-1, 3)),
                    np.array(molecule["symbols"]),
                    np.array(first["molecule"]["symbols"]),
                    run_mirror=True,
                    verbose=0,
                )[0]
                < 1e-3
            ):
                members.append(result)
                break
        else:
            sets.append((calculation, [result]))
    return len(inputs), [members for _, members in sets]


def assert_each_alike_set_computed_once(results: Path) -> tuple[int, int]:
    """Every set of calculations alike ran one calculation, and its other members hold that one's
    energy; (calculations, calculations run)."""
    total, alike = calculations_alike(results)
    for members in alike:
        records = {member: json.loads(member.read_text()) for member in members}
        computed = [m for m, r in records.items() if "same_as" not in r["extras"]["mbpipe"]]
        assert len(computed) == 1, members
        for member, record in records.items():
            assert record["return_result"] == records[computed[0]]["return_result"], member
            if member != computed[0]:
                assert results.parent.parent / record["extras"]["mbpipe"]["same_as"] == computed[0]
    return total, len(alike)
