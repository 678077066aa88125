"""A run's size before it starts: calculations per model chemistry and n-body level (QCManyBody's own
count), the basis functions of the largest calculation at each level, and the estimated time; with
distance cutoffs, only the calculations the kept n-mers need, and how many n-mers each order keeps."""

from __future__ import annotations

import datetime

import pandas as pd
from qcmanybody.utils import delabeler

from mbpipe.base.labels import nbody_level
from mbpipe.cluster import cost
from mbpipe.monitor.calibration import Calibration
from mbpipe.pipeline import screening
from mbpipe.pipeline.plan import atomic_inputs, manybody_computer, screened_computer

# QCManyBody's names of the calculation sets, and the column each gets
BSSE_SETS = {"nocp": "nocp", "cp": "cp", "vmfc_compute": "vmfc"}


def plan_preview(mbin, calibration: Calibration | None = None, distance_cutoffs: dict | None = None) -> pd.DataFrame:
    """One row per model chemistry and n-body level of the ManyBodyInput *mbin*: the number of
    calculations (all, and those each BSSE treatment asks for; one calculation can serve several), the
    largest calculation's basis functions (ghost atoms included), and the estimated seconds of all its
    calculations together, from the cost model, calibrated by *calibration* where given.  With
    *distance_cutoffs* (order -> Angstrom), the calculations the kept n-mers need."""
    calibration = calibration or Calibration()
    computer = screened_computer(mbin, distance_cutoffs)
    core = computer.qcmb_core
    counts = {sset: core.format_calc_plan(sset)[1] for sset in ("all", *BSSE_SETS)}

    largest: dict[tuple[str, int], int] = {}
    seconds: dict[tuple[str, int], float] = {}
    for qcmb_label, atomic_input in atomic_inputs(mbin, computer):
        key = (delabeler(qcmb_label)[0], nbody_level(qcmb_label))
        largest[key] = max(largest.get(key, 0), cost.nbasis(atomic_input))
        seconds[key] = seconds.get(key, 0.0) + calibration.seconds(key[0], cost.estimated_seconds(atomic_input))

    rows = []
    for mc, per_level in counts["all"].items():
        for nbody in sorted(per_level):
            key = (mc, nbody)
            rows.append(
                {
                    "model_chemistry": mc,
                    "nbody": nbody,
                    "calculations": per_level[nbody],
                    **{column: counts[sset][mc][nbody] for sset, column in BSSE_SETS.items()},
                    "largest_nbasis": largest[key],
                    "estimated_s": seconds[key],
                    "estimate_from": calibration.describe(mc),
                }
            )
    return pd.DataFrame(rows)


def nmer_preview(mbin, distance_cutoffs: dict) -> pd.DataFrame:
    """One row per n-body order from 2 up: its cutoff, how many n-mers it keeps and screens, the
    largest kept and the smallest screened n-mer (Angstrom; an n-mer's size being the largest
    closest-atom distance between two of its fragments)."""
    core = manybody_computer(mbin).qcmb_core
    return pd.DataFrame(screening.screen(core.molecule, distance_cutoffs, core.max_nbody).orders())


def preview_json(
    name: str,
    table: pd.DataFrame,
    calibration: Calibration,
    timings_from: str | None,
    nmers: pd.DataFrame | None = None,
) -> dict:
    preview = {
        "name": name,
        "calculations": int(table["calculations"].sum()),
        "estimated_s": float(table["estimated_s"].sum()),
        "levels": table.to_dict(orient="records"),
        "calibration": {"timings_from": timings_from, "nfragments": calibration.nfragments, **calibration.factors},
    }
    if nmers is not None:
        preview["nmers"] = nmers.astype(object).where(nmers.notna(), None).to_dict(orient="records")
    return preview


def format_preview(
    name: str,
    table: pd.DataFrame,
    calibration: Calibration,
    timings_from: str | None,
    nmers: pd.DataFrame | None = None,
) -> str:
    shown = table.rename(
        columns={
            "model_chemistry": "model chemistry",
            "nbody": "n-body",
            "largest_nbasis": "largest nbasis",
            "estimated_s": "estimated time",
            "estimate_from": "estimate from",
        }
    )
    shown["estimated time"] = shown["estimated time"].map(duration)
    total = (
        f"{name}: {table['calculations'].sum()} calculations, about {duration(table['estimated_s'].sum())} "
        "of fragment time (one fragment on one core after another)"
    )
    if calibration.nfragments:
        source = f"cost model calibrated by the wall times of {calibration.nfragments} fragments in {timings_from}"
    else:
        source = "cost model alone (no earlier run's timings found; see --timings)"
    lines = [total, shown.to_string(index=False), f"estimates: {source}"]
    if nmers is not None:
        lines += [
            "n-mers by distance (Angstrom, closest atoms; an n-mer's size is its farthest pair):",
            _nmer_text(nmers),
        ]
    return "\n".join(lines)


def _nmer_text(nmers: pd.DataFrame) -> str:
    shown = nmers.rename(
        columns={
            "nbody": "n-body",
            "cutoff_angstrom": "cutoff",
            "largest_kept_angstrom": "largest kept",
            "smallest_screened_angstrom": "smallest screened",
        }
    )
    return shown.to_string(index=False, na_rep="-", float_format=lambda x: f"{x:.3f}")


def duration(seconds: float) -> str:
    """Seconds for a person: "4.2 s" under a minute, h:mm:ss above."""
    if seconds < 59.5:
        return f"{seconds:.1f} s"
    return str(datetime.timedelta(seconds=round(seconds)))
