"""The lattice energy of a crystal run as files a person reads: lattice.json, nmers.csv and the plot of
the running lattice energy against the n-mers' separation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from mbpipe.base.jsonio import write_text_atomic
from mbpipe.crystal.catalogue import read_catalogue
from mbpipe.crystal.lattice import lattice_summary, nmer_table
from mbpipe.report import plots


def write_lattice_report(name: str, lattice_json: Path, nmers_csv: Path, plots_dir: Path, tolerance: float) -> dict:
    """Write the three files of crystal run *name*; returns lattice.json's content."""
    table = nmer_table(name, tolerance)
    summary = lattice_summary(name, table)
    write_text_atomic(nmers_csv, table.to_csv(index=False))
    catalogue = read_catalogue(name)
    weights = {r: n / catalogue.molecules_per_cell for r, n in catalogue.references.items()}
    plots.write_figure(lattice_figure(table, name, weights), plots_dir / "lattice")
    write_text_atomic(lattice_json, json.dumps(summary, indent=1) + "\n")
    return summary


def lattice_figure(table: pd.DataFrame, name: str, weights: dict[int, float]) -> Figure:
    """The lattice energy per molecule summed over the unique n-mers in order of separation, one line per
    BSSE treatment; each reference's n-mers count with *weights* (its share of the cell's molecules).
    Markers show each n-mer's order."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    markers = {2: "o", 3: "^", 4: "s", 5: "D"}
    labelled = set()  # each order's marker in the legend once
    for bsse, rows in table.groupby("bsse_type"):
        rows = rows.sort_values(["min_separation_angstrom", "order"])
        running = (rows["contribution_kj_mol"] * rows["reference"].map(weights)).cumsum()
        (line,) = ax.step(
            rows["min_separation_angstrom"], running, where="post", label=plots.BSSE_NAMES.get(bsse, bsse)
        )
        for order, marker in markers.items():
            mask = (rows["order"] == order).to_numpy()
            if mask.any():
                ax.plot(
                    rows["min_separation_angstrom"][mask], running[mask], marker, color=line.get_color(), ms=4,
                    label=None if order in labelled else f"{order}-mers",
                )  # fmt: skip
                labelled.add(order)
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.set_xlabel("n-mer separation: largest closest-atom distance of its pairs (Angstrom)")
    ax.set_ylabel("running lattice energy (kJ/mol per molecule)")
    ax.set_title(f"{name}: lattice energy summed over the unique n-mers")
    ax.legend(fontsize=8)
    return fig
