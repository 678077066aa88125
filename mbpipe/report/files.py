"""The files Snakemake's HTML report shows for a finished run: the plots, the fragment table and the
verification table."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_text_atomic
from mbpipe.pipeline.plan import load_plan
from mbpipe.report import plots
from mbpipe.report.fragment_table import fragment_table
from mbpipe.report.geometry_table import geometry_table

FIGURES = {
    "convergence": plots.convergence_figure,
    "contributions": plots.contributions_figure,
}
NOT_VERIFIED = "not verified: `verify` is off in the config"
SEQUENTIAL = "QCManyBody's sequential ManyBodyComputer"


def verification_table(comparison: dict | None) -> pd.DataFrame:
    """One row per compared property: the largest |difference| between the pipeline's and QCManyBody's
    sequential result (or, for a screened run, the kept-increment sums that replace it), and whether it
    is within the tolerance; one explaining row without a comparison."""
    columns = ["property", "max_abs_difference", "tolerance", "within_tolerance", "compared_with"]
    if comparison is None:
        return pd.DataFrame([{"property": NOT_VERIFIED}], columns=columns)
    tolerance = comparison["tolerance"]
    compared_with = comparison.get("method", SEQUENTIAL)
    return pd.DataFrame(
        [
            {
                "property": name,
                "max_abs_difference": delta,
                "tolerance": tolerance,
                "within_tolerance": delta <= tolerance,
                "compared_with": compared_with,
            }
            for name, delta in comparison["properties"].items()
        ],
        columns=columns,
    )


def write_fragment_report(name: str, plots_dir: Path, fragments_csv: Path) -> None:
    """fragments.csv and the wall-time plot (PNG and SVG, under *plots_dir*): they need every level's
    results, not the assembly, and are written beside it."""
    fragments = fragment_table(load_plan(name))
    plots.write_figure(plots.wall_time_figure(fragments, name), plots_dir / "wall_times")
    write_text_atomic(fragments_csv, fragments.to_csv(index=False))


def write_expansion_report(name: str, plots_dir: Path, verification_csv: Path, verification: Path | None) -> None:
    """The convergence and contribution plots under *plots_dir* (PNG and SVG) and the verification
    table (from the *verification* file, when the run was verified)."""
    summary = pd.read_csv(layout.path(layout.SUMMARY, name=name))
    plots.write_figures({plots_dir / stem: partial(make, summary, name) for stem, make in FIGURES.items()})
    comparison = read_json(verification) if verification else None
    write_text_atomic(verification_csv, verification_table(comparison).to_csv(index=False))


def write_geometries_report(name: str, table_csv: Path | None = None, plots_dir: Path | None = None) -> list[str]:
    """geometries.csv and the geometries plot of a many-geometry run, from whatever geometries have
    finished; returns the unfinished ones."""
    table = geometry_table(name)
    write_text_atomic(table_csv or layout.path(layout.GEOMETRIES_TABLE, name=name), table.to_csv(index=False))
    plots_dir = plots_dir or layout.path(layout.PLOTS, name=name)
    plots.write_figure(plots.geometries_figure(table, name), plots_dir / "geometries")
    return list(table.loc[table["status"] != "done", "geometry"].unique())
