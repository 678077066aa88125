"""One row per finished fragment calculation, for people who would rather read a table (fragments.csv)
than thousands of QCSchema files, and for the timings that estimates and plots are made from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.labels import model_chemistry
from mbpipe.batch import cost
from mbpipe.pipeline.plan import Plan

COLUMNS = [
    "label",
    "level",
    "model_chemistry",
    "natoms",
    "nghost",
    "nbasis",
    "energy_hartree",
    "wall_time_s",
    "cost_model_s",
    "host",
    "attempts",
    "started",
    "finished",
]


def fragment_row(label: str, level: int, result) -> dict:
    """The table row of one AtomicResult: *natoms* counts real atoms, *nghost* ghost atoms, *nbasis* is
    what the program reported (empty where it reports none), *cost_model_s* the cost model's estimate."""
    record = (result.extras or {}).get("mbpipe", {})
    real = result.molecule.real
    return {
        "label": label,
        "level": level,
        "model_chemistry": model_chemistry(label),
        "natoms": int(sum(real)),
        "nghost": int(len(real) - sum(real)),
        "nbasis": result.properties.calcinfo_nbasis,
        "energy_hartree": result.properties.return_energy,
        "wall_time_s": record.get("wall_time_s"),
        "cost_model_s": cost.estimated_seconds(result.input_data),
        "host": record.get("host"),
        "attempts": record.get("attempts", 1),
        "started": record.get("started"),
        "finished": record.get("finished"),
    }


def fragment_table(plan: Plan, reader=None) -> pd.DataFrame:
    """The rows of the plan's fragments that have a result file, by level and label.

    *reader* (path -> AtomicResult) lets a caller that rereads the table often cache parsed files."""
    reader = reader or read_result
    rows = []
    for level in plan.level_numbers:
        for label in plan.labels(level):
            path = layout.path(layout.FRAGMENT_RESULT, name=plan.name, level=level, label=label)
            if path.exists():
                rows.append(fragment_row(label, level, reader(path)))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"nbasis": "Int64", "attempts": "Int64"})


def read_result(path: Path):
    from qcelemental.models.v2 import AtomicResult

    return AtomicResult.model_validate_json(path.read_text())
