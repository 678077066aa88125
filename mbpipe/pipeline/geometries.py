"""The geometries of a many-geometry run: their list (results/<name>/geometries.json), and the run
names the workflow and the monitors give them.  Their results side by side are the report's
(mbpipe/report/geometry_table.py)."""

from __future__ import annotations

import json

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_text_if_changed


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
