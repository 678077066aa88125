"""Sizing fragment jobs for a cluster: a wall time per fragment from the cost model, and which
fragments are small enough to share one submission per level.

The estimates are made once per plan (reading every fragment input) and kept in
``results/<name>/costs.json``; the parse that every cluster job repeats reads that one file.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_json_atomic
from mbpipe.batch import cost
from mbpipe.pipeline.plan import Plan, plan_key

COSTS = layout.RESULTS + "/costs.json"
# Requested wall time over estimated time: the cost model is an order-of-magnitude estimate, and
# a job killed at its limit costs far more than an idle reserved minute.
SAFETY_FACTOR = 10
MIN_RUNTIME_MINUTES = 5


def ensure_costs(config: dict[str, Any], plan: Plan) -> dict[int, dict[str, float]]:
    """Estimated seconds of every fragment calculation, by level and label; computed only when the
    plan changed since the last estimate."""
    path = layout.path(COSTS, name=plan.name)
    key = _costs_key(config)
    if path.exists():
        stored = read_json(path)
        if stored.get("key") == key:
            return {int(level): seconds for level, seconds in stored["seconds"].items()}
    costs = estimate_costs(plan)
    write_json_atomic(path, {"key": key, "seconds": {str(level): seconds for level, seconds in costs.items()}})
    return costs


def _costs_key(config: dict[str, Any]) -> str:
    """Estimates are stale when the plan or the cost model changed."""
    model = hashlib.sha256(Path(cost.__file__).read_bytes()).hexdigest()
    return f"{plan_key(config)}-{model[:16]}"


def estimate_costs(plan: Plan) -> dict[int, dict[str, float]]:
    from qcelemental.models.v2 import AtomicInput

    costs: dict[int, dict[str, float]] = {}
    for level in plan.level_numbers:
        costs[level] = {}
        for label in plan.labels(level):
            path = layout.path(layout.FRAGMENT_INPUT, name=plan.name, level=level, label=label)
            costs[level][label] = round(cost.estimated_seconds(AtomicInput.model_validate_json(path.read_text())), 3)
    return costs


def runtime_minutes(seconds: float, attempt: int = 1) -> int:
    """Wall time to request for a fragment estimated at *seconds*, longer on each retry."""
    return max(MIN_RUNTIME_MINUTES, math.ceil(SAFETY_FACTOR * seconds / 60)) * attempt


def bundle_name(level: int, seconds: float, below_s: float, geometry: str | None = None) -> str | None:
    """The group that bundles a level's small fragments into one submission; None for a fragment
    estimated at *below_s* seconds or more, which gets its own submission.  Each geometry of a run of
    many has bundles of its own, so that no geometry's fragments wait in a submission for another's."""
    if seconds >= below_s:
        return None
    return f"{level_bundle(level)}-{geometry}" if geometry else level_bundle(level)


def level_bundle(level: int) -> str:
    """The group a profile's `group-components: bundle-n<k>=N` names: level k's bundles."""
    return f"bundle-n{level}"
