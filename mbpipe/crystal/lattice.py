"""The lattice energy of a crystal run, from its unique n-mers' expansions.

    E_latt(reference) = sum over orders n, over unique n-mers holding the reference:  replicas x dE_n / n

dE_n, an n-mer's non-additive n-body energy, is the last contribution of its own expansion (its
summary.csv, assembled by QCManyBody).  It is also recomputed here from the fragment result files
alone, by inclusion and exclusion over the n-mer's sub-clusters, and the two must agree: a check of
the assembly that shares no code with it.  Per cell, each reference counts as many times as the cell
holds molecules equivalent to it; per molecule is the cell's energy over its Z molecules.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json
from mbpipe.base.labels import decode_label
from mbpipe.base.units import HARTREE_TO_KCAL_MOL, HARTREE_TO_KJ_MOL
from mbpipe.crystal.catalogue import Catalogue, read_catalogue

UNITS = {
    "hartree": 1.0,
    "kj_mol": HARTREE_TO_KJ_MOL,
    "kcal_mol": HARTREE_TO_KCAL_MOL,
}
# Treatments whose n-body energy is a signed sum over sub-clusters in one basis each (QCManyBody's
# nocp: each sub-cluster in its own basis; cp: every sub-cluster in the whole n-mer's basis).
RECOMPUTED = ("nocp", "cp")


class LatticeCheckError(RuntimeError):
    pass


def nmer_table(name: str, tolerance: float) -> pd.DataFrame:
    """One row per unique n-mer, reference molecule and BSSE treatment: replicas, separations, dE_n
    (from the assembly, and recomputed from the fragment files) and the contribution replicas x dE_n / n.
    Raises LatticeCheckError when the two dE_n differ by more than *tolerance*."""
    catalogue = read_catalogue(name)
    rows = []
    for entry in catalogue.nmers:
        run = f"{name}/{entry.nmer}"
        summary = pd.read_csv(layout.path(layout.SUMMARY, name=run))
        last = summary[summary["nbody"] == entry.order]
        for bsse, delta in zip(last["bsse_type"], last["contribution_hartree"], strict=True):
            recomputed = _recomputed_delta(run, entry.order, bsse) if bsse in RECOMPUTED else None
            if recomputed is not None and abs(recomputed - delta) > tolerance:
                raise LatticeCheckError(
                    f"{run}: the {bsse} {entry.order}-body energy assembled by QCManyBody, {delta:.12f} Eh, differs "
                    f"from the one recomputed from its fragment files, {recomputed:.12f} Eh, by more than "
                    f"{tolerance:g}; rerun the n-mer (delete results/{run}/fragments) and look at its fragment results"
                )
            for reference, replicas in entry.replicas.items():
                rows.append(
                    {
                        "nmer": entry.nmer,
                        "order": entry.order,
                        "reference": reference,
                        "replicas": replicas,
                        "min_separation_angstrom": entry.separation_angstrom,
                        "com_separation_angstrom": entry.com_separation_angstrom,
                        "bsse_type": bsse,
                        "delta_energy_hartree": delta,
                        "recomputed_delta_energy_hartree": recomputed,
                        "contribution_hartree": replicas * delta / entry.order,
                    }
                )
    table = pd.DataFrame(rows)
    table["contribution_kj_mol"] = table["contribution_hartree"] * UNITS["kj_mol"]
    return table.sort_values(["bsse_type", "reference", "order", "min_separation_angstrom", "nmer"], ignore_index=True)


def lattice_summary(name: str, table: pd.DataFrame) -> dict:
    """lattice.json: the lattice energy through each order, per BSSE treatment, per reference molecule,
    per cell and per molecule, in hartree, kJ/mol and kcal/mol."""
    catalogue = read_catalogue(name)
    energies = {}
    for bsse, rows in table.groupby("bsse_type", sort=False):
        through = {}
        for order in sorted(rows["order"].unique()):
            upto = rows[rows["order"] <= order]
            per_reference = {
                r: float(upto[upto["reference"] == r]["contribution_hartree"].sum()) for r in catalogue.references
            }
            per_cell = sum(catalogue.references[r] * energy for r, energy in per_reference.items())
            through[str(order)] = {
                "per_reference": {str(r): _in_units(energy) for r, energy in per_reference.items()},
                "per_cell": _in_units(per_cell),
                "per_molecule": _in_units(per_cell / catalogue.molecules_per_cell),
            }
        energies[bsse] = through
    return {
        "crystal": catalogue.crystal,
        "space_group": catalogue.space_group,
        "molecules_per_cell": catalogue.molecules_per_cell,
        "references": {str(r): {"molecules_in_cell": n} for r, n in catalogue.references.items()},
        "unique_nmers": _counts(catalogue),
        "lattice_energy": energies,
        "recomputed_from_fragment_files": {
            "max_abs_difference_hartree": float(
                (table["delta_energy_hartree"] - table["recomputed_delta_energy_hartree"]).abs().max()
            )
            if table["recomputed_delta_energy_hartree"].notna().any()
            else None,
            "bsse_types": sorted(set(table["bsse_type"]) & set(RECOMPUTED)),
        },
    }


def _counts(catalogue: Catalogue) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for entry in catalogue.nmers:
        order = counts.setdefault(str(entry.order), {"unique": 0, "replicas": 0})
        order["unique"] += 1
        order["replicas"] += sum(entry.replicas.values())
    return counts


def _in_units(hartree: float) -> dict[str, float]:
    return {unit: hartree * factor for unit, factor in UNITS.items()}


def _recomputed_delta(run: str, order: int, bsse: str) -> float | None:
    """The n-mer's n-body energy from its fragment files: the signed sum over its sub-clusters, each in
    its own basis (nocp) or in the whole n-mer's (cp), at the model chemistry of level *order*."""
    model_chemistry = _level_model_chemistry(run, order)
    energies = {}
    for path in Path(layout.RESULTS.format(name=run), "fragments").glob("n*/*.json"):
        mc, real, basis = _delabel(path.stem)
        if mc == model_chemistry:
            energies[(tuple(real), tuple(basis))] = float(read_json(path)["return_result"])
    whole = tuple(range(1, order + 1))
    total = 0.0
    for size in range(1, order + 1):
        for subset in combinations(whole, size):
            key = (subset, subset if bsse == "nocp" else whole)
            if key not in energies:
                return None
            total += (-1) ** (order - size) * energies[key]
    return total


def _delabel(label: str):
    import json

    return json.loads(decode_label(label))


def _level_model_chemistry(run: str, order: int) -> str:
    specification = read_json(layout.path(layout.MANYBODY_INPUT, name=run))["specification"]
    levels = specification.get("levels") or {}
    if levels:
        return levels.get(str(order)) or levels[max(levels, key=lambda k: int(k) if k.isdigit() else 0)]
    (only,) = specification["specification"]
    return only
