"""Pictures of a finished run: how the many-body expansion converges, what each level contributes, and
how long the fragment calculations took.  Each figure is written as PNG (for the report and a quick
look) and SVG (for a paper)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

BSSE_NAMES = {"cp": "CP (counterpoise)", "nocp": "noCP (no correction)", "vmfc": "VMFC"}
BSSE_ORDER = ("nocp", "cp", "vmfc")
FORMATS = ("png", "svg")


def convergence_figure(summary: pd.DataFrame, name: str) -> Figure:
    """Interaction energy through each n-body level, one line per BSSE treatment (summary.csv rows); the
    total energy where there is none (an embedded expansion's monomers are not isolated ones)."""
    fig, ax = _axes()
    column = "interaction_energy_kcal_mol"
    if summary[column].isna().all():
        column = "total_energy_kcal_mol"
    for bsse, rows in _by_bsse(summary):
        rows = rows.dropna(subset=[column])
        ax.plot(rows["nbody"], rows[column], marker="o", label=BSSE_NAMES.get(bsse, bsse))
        last = rows.iloc[-1]
        ax.annotate(
            f"{last[column]:.3f}",
            (last["nbody"], last[column]),
            textcoords="offset points",
            xytext=(6, 0),
            va="center",
            fontsize=8,
        )
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    _integer_levels(ax, summary["nbody"])
    ax.set_xlabel("n-body level (expansion truncated after n bodies)")
    quantity = column.removesuffix("_kcal_mol").replace("_", " ")
    ax.set_ylabel(f"{quantity} (kcal/mol)")
    ax.set_title(f"{name}: {quantity} through each n-body level")
    ax.legend(title="BSSE treatment")
    return fig


def contributions_figure(summary: pd.DataFrame, name: str) -> Figure:
    """The n-body contribution of each level from 2 bodies up, bars grouped by BSSE treatment."""
    fig, ax = _axes()
    contributions = summary.dropna(subset=["contribution_kcal_mol"])
    groups = list(_by_bsse(contributions))
    width = 0.8 / max(len(groups), 1)
    for i, (bsse, rows) in enumerate(groups):
        x = rows["nbody"] + (i - (len(groups) - 1) / 2) * width
        bars = ax.bar(x, rows["contribution_kcal_mol"], width, label=BSSE_NAMES.get(bsse, bsse))
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    _integer_levels(ax, contributions["nbody"])
    ax.set_xlabel("n-body level")
    ax.set_ylabel("n-body contribution to the energy (kcal/mol)")
    ax.set_title(f"{name}: contribution of each n-body level")
    ax.legend(title="BSSE treatment")
    return fig


def wall_time_figure(fragments: pd.DataFrame, name: str) -> Figure:
    """Wall time of every fragment calculation by n-body level: a box per level, each calculation a dot."""
    fig, ax = _axes()
    levels = sorted(fragments["level"].unique())
    times = [fragments.loc[fragments["level"] == level, "wall_time_s"].to_numpy() for level in levels]
    ax.boxplot(times, positions=levels, widths=0.5, showfliers=False, medianprops={"color": "black"})
    jitter = np.random.default_rng(0)
    for mc, rows in fragments.groupby("model_chemistry", sort=False):
        x = rows["level"] + jitter.uniform(-0.15, 0.15, len(rows))
        ax.scatter(x, rows["wall_time_s"], s=14, alpha=0.7, zorder=3, label=mc)
    ax.legend(title="model chemistry", loc="lower right")
    for level, values in zip(levels, times, strict=True):
        ax.annotate(
            f"{len(values)} calc.\n{values.sum():.1f} s total",
            (level, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -4),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
        )
    if len(fragments) and fragments["wall_time_s"].max() > 20 * fragments["wall_time_s"].min():
        ax.set_yscale("log")
    ax.set_ylim(bottom=0 if ax.get_yscale() == "linear" else None, top=ax.get_ylim()[1] * 1.2)
    _integer_levels(ax, pd.Series(levels))
    ax.set_xlabel("n-body level (number of real fragments in the calculation)")
    ax.set_ylabel("wall time per calculation (s)")
    ax.set_title(f"{name}: fragment wall times")
    return fig


def geometries_figure(table: pd.DataFrame, name: str) -> Figure:
    """Interaction energy through each n-body level for every geometry (geometries.csv rows), one row of
    panels per BSSE treatment: per geometry on the left, the spread across geometries on the right.
    Unfinished geometries keep their place on the axis, without a point."""
    done = table[table["status"] == "done"].dropna(subset=["interaction_energy_kcal_mol"])
    done = done[done["nbody"] > 1]
    order = list(dict.fromkeys(table["geometry"]))
    position = {geometry: i for i, geometry in enumerate(order)}
    groups = list(_by_bsse(done)) if len(done) else []
    fig = Figure(figsize=(11, 3.6 * max(len(groups), 1)), layout="constrained")
    axes = fig.subplots(max(len(groups), 1), 2, squeeze=False, gridspec_kw={"width_ratios": [3, 1]})
    for (bsse, rows), (left, right) in zip(groups, axes, strict=False):
        levels = sorted(rows["nbody"].unique())
        for level in levels:
            at = rows[rows["nbody"] == level].assign(x=lambda d: d["geometry"].map(position)).sort_values("x")
            left.plot(at["x"], at["interaction_energy_kcal_mol"], marker="o", markersize=3,
                      linewidth=0.8, label=f"through {int(level)} bodies")  # fmt: skip
        spread = [rows.loc[rows["nbody"] == level, "interaction_energy_kcal_mol"].to_numpy() for level in levels]
        right.boxplot(spread, positions=levels, widths=0.5, medianprops={"color": "black"})
        left.set_ylabel(f"{BSSE_NAMES.get(bsse, bsse)}\ninteraction energy (kcal/mol)")
        left.legend(fontsize=8)
        right.set_xlabel("n-body level")
        right.set_title("spread across geometries", fontsize=9)
        _integer_levels(right, pd.Series(levels))
    for left, right in axes:
        left.set_xticks(range(len(order)), order, rotation=90, fontsize=6 if len(order) > 30 else 8)
        left.grid(True, alpha=0.3)
        right.grid(True, alpha=0.3)
    unfinished = table.loc[table["status"] != "done", "geometry"].nunique()
    note = f" ({unfinished} unfinished)" if unfinished else ""
    fig.suptitle(f"{name}: interaction energy of {len(order)} geometries{note}")
    return fig


def write_figure(fig: Figure, stem: Path) -> list[Path]:
    """*fig* as stem.png and stem.svg, each whole or not at all; the SVG without a date, so that it
    changes only when the picture does."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = stem.with_suffix(f".{fmt}")
        partial = path.with_name(f".{path.name}.tmp")
        fig.savefig(partial, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
        os.replace(partial, path)
        paths.append(path)
    return paths


def write_figures(figures: dict[Path, Callable[[], Figure]]) -> None:
    """Each figure that ``figures[stem]()`` draws, written as *stem* (write_figure), each in a process
    forked for it, the first in this one: drawing and writing one takes about 0.25 s, and the report's
    figures are what a run waits for after its last calculation.  Raises if any failed, after its
    traceback went to stderr (the job's log)."""
    (first_stem, first_draw), *others = figures.items()
    children = []
    for stem, draw in others:
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                write_figure(draw(), stem)
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(status)
        children.append(pid)
    try:
        write_figure(first_draw(), first_stem)
    finally:
        failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(figures)} figures failed (the traceback is above)")


def _axes():
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def _by_bsse(table: pd.DataFrame):
    for bsse in sorted(table["bsse_type"].unique(), key=lambda b: (BSSE_ORDER + (b,)).index(b)):
        yield bsse, table[table["bsse_type"] == bsse].sort_values("nbody")


def _integer_levels(ax, levels: pd.Series) -> None:
    ticks = sorted(int(n) for n in levels.unique())
    ax.set_xticks(ticks)
    if ticks:
        ax.set_xlim(ticks[0] - 0.6, ticks[-1] + 0.6)
