"""The geometries of a many-geometry run side by side: one row per geometry, BSSE treatment and n-body
level, from each geometry's own summary.csv, with where the geometry came from.

A geometry that has not finished (a fragment failed for good, or the run is still going) is listed
with its status and no energies, never left out.
"""

from __future__ import annotations

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json

SOURCE_COLUMNS = ["geometry", "molecule", "frame", "comment", "status"]


def geometry_table(name: str) -> pd.DataFrame:
    """Every geometry's summary rows, the geometry's source in front; unfinished geometries get one row
    with status `unfinished`."""
    frames = []
    for geometry in read_json(layout.path(layout.GEOMETRIES, name=name)):
        source = {
            "geometry": geometry["name"],
            "molecule": geometry["molecule"],
            "frame": geometry["frame"],
            "comment": geometry["comment"],
        }
        summary_path = layout.path(layout.SUMMARY, name=f"{name}/{geometry['name']}")
        if summary_path.exists():
            summary = pd.read_csv(summary_path)
            frames.append(summary.assign(**source, status="done"))
        else:
            frames.append(pd.DataFrame([{**source, "status": "unfinished"}]))
    table = pd.concat(frames, ignore_index=True)
    table["frame"] = table["frame"].astype("Int64")
    return table[SOURCE_COLUMNS + [c for c in table.columns if c not in SOURCE_COLUMNS]]
