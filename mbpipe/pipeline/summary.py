"""Tables of a many-body result: one row per BSSE treatment and n-body level (and, for a screened
expansion, the cutoff of each level and how many of its n-mers were kept and screened)."""

from __future__ import annotations

import re

import pandas as pd

from mbpipe.base.units import HARTREE_TO_KCAL_MOL

_THROUGH = re.compile(r"^(?P<bsse>cp|nocp|vmfc)_corrected_(?P<kind>total|interaction)_energy_through_(?P<n>\d+)_body$")
_CONTRIBUTION = re.compile(r"^(?P<bsse>cp|nocp|vmfc)_corrected_(?P<n>\d+)_body_contribution_to_energy$")


def energy_table(manybody_result) -> pd.DataFrame:
    """Total energy, interaction energy and n-body contribution through each level, per BSSE treatment,
    in hartree and kcal/mol.  Quantities QCManyBody did not form (e.g. CP totals without monomers in
    their own basis) are left empty."""
    rows: dict[tuple[str, int], dict[str, float]] = {}
    for name, value in manybody_result.properties.model_dump().items():
        if value is None:
            continue
        if match := _THROUGH.match(name):
            column = f"{match['kind']}_energy"
        elif match := _CONTRIBUTION.match(name):
            column = "contribution"
        else:
            continue
        rows.setdefault((match["bsse"], int(match["n"])), {})[column] = float(value)

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["bsse_type", "nbody"])
    table = table.reindex(columns=["total_energy", "interaction_energy", "contribution"]).sort_index()
    for column in list(table.columns):
        table[f"{column}_kcal_mol"] = table[column] * HARTREE_TO_KCAL_MOL
        table = table.rename(columns={column: f"{column}_hartree"})
    table = table.reset_index()
    screening = manybody_result.extras.get("mbpipe", {}).get("screening")
    return _with_screening(table, screening, manybody_result.properties.calcinfo_nfr) if screening else table


def _with_screening(table: pd.DataFrame, screening: dict, nfragments: int) -> pd.DataFrame:
    """*table* with each level's distance cutoff and kept and screened n-mer counts (monomers are all
    kept; levels beyond the expansion, a supersystem's, are left empty)."""
    orders = {1: {"cutoff_angstrom": None, "kept": nfragments, "screened": 0}}
    orders.update({row["nbody"]: row for row in screening["nmers"]})
    columns = {"distance_cutoff_angstrom": "cutoff_angstrom", "nmers_kept": "kept", "nmers_screened": "screened"}
    for column, key in columns.items():
        table[column] = [orders.get(n, {}).get(key) for n in table["nbody"]]
    return table


def format_table(table: pd.DataFrame) -> str:
    return table.to_string(index=False, float_format=lambda x: f"{x:.10f}")
