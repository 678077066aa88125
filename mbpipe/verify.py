"""Checking the pipeline's many-body result against QCManyBody's sequential ManyBodyComputer."""

from __future__ import annotations

import math

import numpy as np


def sequential_result(mbin):
    """Run every calculation of *mbin* in turn with QCManyBody's own ManyBodyComputer (v2)."""
    from qcmanybody.v2 import ManyBodyComputer

    return ManyBodyComputer.from_manybodyinput(mbin)


def compare(pipeline, sequential, tolerance: float) -> dict:
    """Largest |difference| of every property and of the returned result, and whether all are within
    *tolerance*.  A property present in one result and absent in the other counts as infinitely off."""
    ours = pipeline.properties.model_dump()
    theirs = sequential.properties.model_dump()
    deltas = {}
    for name in sorted(set(ours) | set(theirs)):
        delta = _max_abs_difference(ours.get(name), theirs.get(name))
        if delta is not None:
            deltas[name] = delta
    deltas["return_result"] = _max_abs_difference(pipeline.return_result, sequential.return_result)
    worst = max(deltas.values())
    return {
        "tolerance": tolerance,
        "passed": worst <= tolerance,
        "max_abs_difference": worst,
        "properties": deltas,
    }


def _max_abs_difference(a, b) -> float | None:
    if a is None and b is None:
        return None
    if a is None or b is None:
        return math.inf
    if isinstance(a, str) or isinstance(b, str):
        return None if a == b else math.inf
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def format_comparison(comparison: dict) -> str:
    lines = [f"{'property':<70} {'max |delta|':>12}"]
    for name, delta in comparison["properties"].items():
        flag = "" if delta <= comparison["tolerance"] else "  <-- exceeds tolerance"
        lines.append(f"{name:<70} {delta:12.3e}{flag}")
    verdict = "PASSED" if comparison["passed"] else "FAILED"
    lines.append(f"verification {verdict}: largest |delta| {comparison['max_abs_difference']:.3e}, tolerance {comparison['tolerance']:.1e}")
    return "\n".join(lines)
