"""A run's size before it starts: the fragments found in the molecule, calculations per model chemistry
and n-body level (QCManyBody's own count), the basis functions of the largest calculation at each level,
and the estimated time; with distance cutoffs, only the calculations the kept n-mers need, and how many
n-mers each order keeps."""

from __future__ import annotations

import datetime

import pandas as pd
from qcmanybody.utils import delabeler

from mbpipe.base.labels import nbody_level
from mbpipe.batch import cost
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


def fragment_table(fragments) -> pd.DataFrame:
    """One row per fragment (mbpipe.molecules.cluster_file.FragmentInfo): its formula, its atoms
    (numbered from 1 as in the file), charge and multiplicity."""
    return pd.DataFrame(
        [
            {
                "fragment": number,
                "formula": fragment.formula,
                "atoms": _ranges([atom + 1 for atom in fragment.atoms]),
                "charge": fragment.charge,
                "multiplicity": fragment.multiplicity,
            }
            for number, fragment in enumerate(fragments, start=1)
        ]
    )


def cluster_heading(info) -> str:
    """What was read (mbpipe.molecules.cluster_file.ClusterInfo), in a line."""
    geometry = f", frame {info.frame} of 0-{info.frames - 1}" if info.frame is not None else ""
    comment = f" ({info.comment})" if info.comment else ""
    how = "bonded groups (fragmentation: connectivity)" if info.fragmentation == "connectivity" else "as the file marks"
    reordered = "; the run's molecule lists their atoms fragment by fragment" if info.reordered else ""
    return f"{info.path}{geometry}{comment}: {len(info.fragments)} fragments, {how}{reordered}"


def format_fragments(heading: str, fragments) -> str:
    return f"{heading}\n{fragment_table(fragments).to_string(index=False)}"


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 7 -> "1-3, 7": a fragment's atoms as a person reads them."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def nmer_preview(mbin, distance_cutoffs: dict) -> pd.DataFrame:
    """One row per n-body order from 2 up: its cutoff, how many n-mers it keeps and screens, the
    largest kept and the smallest screened n-mer (Angstrom; an n-mer's size being the largest
    closest-atom distance between two of its fragments)."""
    core = manybody_computer(mbin).qcmb_core
    return pd.DataFrame(screening.screen(core.molecule, distance_cutoffs, core.max_nbody).orders())


def preview_json(
    name: str,
    tables: dict[str, pd.DataFrame],
    calibration: Calibration,
    timings_from: str | None,
    fragments=(),
    nmers: pd.DataFrame | None = None,
) -> dict:
    """The preview as JSON: the fragments found, totals, one entry per model chemistry and level (summed
    over geometries), for a run of many geometries one entry per geometry, and with distance cutoffs the
    n-mers each order keeps."""
    table = total_table(tables)
    preview = {
        "name": name,
        "fragments": fragment_table(fragments).to_dict(orient="records"),
        "calculations": int(table["calculations"].sum()),
        "estimated_s": float(table["estimated_s"].sum()),
        "levels": table.to_dict(orient="records"),
        "calibration": {"timings_from": timings_from, "nfragments": calibration.nfragments, **calibration.factors},
    }
    if nmers is not None:
        preview["nmers"] = nmers.astype(object).where(nmers.notna(), None).to_dict(orient="records")
    if len(tables) > 1:
        preview["geometries"] = geometry_rows(tables).to_dict(orient="records")
    return preview


def total_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The per-level rows of every geometry added up (the one table of a run of one geometry)."""
    if len(tables) == 1:
        return next(iter(tables.values()))
    combined = pd.concat(tables.values(), ignore_index=True)
    keys = ["model_chemistry", "nbody"]
    summed = combined.groupby(keys, sort=False).agg(
        {
            **{c: "sum" for c in ("calculations", *BSSE_SETS.values(), "estimated_s")},
            "largest_nbasis": "max",
            "estimate_from": "first",
        }  # fmt: skip
    )
    return summed.reset_index()[list(combined.columns)]


def geometry_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "geometry": geometry,
                "calculations": int(table["calculations"].sum()),
                "largest_nbasis": int(table["largest_nbasis"].max()),
                "estimated_s": float(table["estimated_s"].sum()),
            }
            for geometry, table in tables.items()
        ]
    )


def format_geometries_preview(
    name: str, tables: dict[str, pd.DataFrame], calibration: Calibration, timings_from: str | None
) -> str:
    """Each geometry on a line, then every geometry together per model chemistry and level."""
    rows = geometry_rows(tables)
    rows["estimated time"] = rows.pop("estimated_s").map(duration)
    together = format_preview(name, total_table(tables), calibration, timings_from).splitlines()
    together[0] = f"{together[0]}, over {len(tables)} geometries"
    return "\n".join([together[0], rows.rename(columns={"largest_nbasis": "largest nbasis"}).to_string(index=False),
                      "all geometries together:", *together[1:]])  # fmt: skip


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
