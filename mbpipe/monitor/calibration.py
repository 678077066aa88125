"""The cost model calibrated by measured wall times: one factor per model chemistry, measured / estimated.

The cost model (mbpipe.batch.cost) knows how a fragment's time grows with its basis set and method but not
how fast this machine and program are; a finished run's timings supply that.  A model chemistry
without timings takes the factor of all timed fragments together.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ALL = "*"


@dataclass(frozen=True)
class Calibration:
    """measured / cost-model seconds per model chemistry (key ALL: every timed fragment together)."""

    factors: dict[str, float] = field(default_factory=dict)
    nfragments: int = 0

    def seconds(self, model_chemistry: str, cost_model_s: float) -> float:
        return cost_model_s * self.factors.get(model_chemistry, self.factors.get(ALL, 1.0))

    def describe(self, model_chemistry: str) -> str:
        if model_chemistry in self.factors:
            return f"timings x{self.factors[model_chemistry]:.3g}"
        if ALL in self.factors:
            return f"other timings x{self.factors[ALL]:.3g}"
        return "cost model"


def calibrate(fragments: pd.DataFrame) -> Calibration:
    """The calibration from a fragment table (mbpipe.fragment_table) of timed fragments."""
    timed = fragments.dropna(subset=["wall_time_s", "cost_model_s"])
    if timed.empty:
        return Calibration()
    sums = timed.groupby("model_chemistry")[["wall_time_s", "cost_model_s"]].sum()
    factors = (sums["wall_time_s"] / sums["cost_model_s"]).to_dict()
    factors[ALL] = timed["wall_time_s"].sum() / timed["cost_model_s"].sum()
    return Calibration(factors=factors, nfragments=len(timed))


def calibration_from_run(results_dir: Path, required: bool = False) -> Calibration:
    """The calibration from the fragment results of the run in *results_dir* (its results/<name>
    folder); no calibration where there is no such run, unless *required*."""
    from mbpipe.base.layout import locate_run
    from mbpipe.pipeline.geometries import run_names
    from mbpipe.pipeline.plan import load_plan
    from mbpipe.report.fragment_table import fragment_table

    try:
        workdir, name = locate_run(results_dir)
    except (ValueError, FileNotFoundError):
        if required:
            raise
        return Calibration()
    with contextlib.chdir(workdir):
        return calibrate(pd.concat([fragment_table(load_plan(run)) for run in run_names(name)], ignore_index=True))
