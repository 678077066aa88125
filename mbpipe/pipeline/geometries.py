"""The geometries of a many-geometry run side by side: one row per geometry, BSSE treatment and n-body
level, from each geometry's own summary.csv, with where the geometry came from.

A geometry that has not finished (a fragment failed for good, or the run is still going) is listed
with its status and no energies, never left out.
"""

from __future__ import annotations

import json

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_text_if_changed

SOURCE_COLUMNS = ["geometry", "molecule", "frame", "comment", "status"]


def write_geometry_list(name: str, geometries) -> None:
    """results/<name>/geometries.json: each geometry's folder name, file, frame and comment line."""
    rows = [geometry.as_row() for geometry in geometries]
    write_text_if_changed(layout.path(layout.GEOMETRIES, name=name), json.dumps(rows, indent=1) + "\n")


def geometry_names(name: str) -> list[str]:
    """The geometries of run *name* (the folders under results/<name>/), or none for a run of one."""
    listing = layout.path(layout.GEOMETRIES, name=name)
    return [geometry["name"] for geometry in read_json(listing)] if listing.exists() else []


def run_names(name: str) -> list[str]:
    """The runs *name* stands for: itself, or ``<name>/<geometry>`` for each of its geometries."""
    return [f"{name}/{geometry}" for geometry in geometry_names(name)] or [name]


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
