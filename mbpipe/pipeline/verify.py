"""Checking the pipeline's many-body result against QCManyBody's sequential ManyBodyComputer."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


def sequential_result(mbin, ncores: int, memory_mb: float):
    """Run every calculation of *mbin* in turn with QCManyBody's own ManyBodyComputer (v2).

    The programs get the cores and memory the fragment jobs had: NWChem picks its integral and SCF
    algorithms by available memory, which moves the last printed digit (1e-12 Eh) of an energy.
    """
    from qcmanybody.v2 import ManyBodyComputer

    from mbpipe.programs import register_programs
    from mbpipe.programs.mpi import private_mpi_session
    from mbpipe.programs.threads import environment, threads_limited_to

    register_programs()
    # QCEngine reads QCENGINE_* variables as task settings; ManyBodyComputer passes none of its own.
    task = {"QCENGINE_NCORES": str(ncores), "QCENGINE_MEMORY": str(memory_mb / 1024)}
    with environment(task), threads_limited_to(ncores), private_mpi_session():
        return ManyBodyComputer.from_manybodyinput(mbin)


def fragment_task_settings(fragment_results: dict) -> tuple[int, float]:
    """The (cores, memory in MB) the fragment jobs ran with; the most common, should they differ."""
    settings = Counter(
        (r.extras["mbpipe"]["ncores"], r.extras["mbpipe"]["memory_mb"]) for r in fragment_results.values()
    )
    return settings.most_common(1)[0][0]


def compare(pipeline, sequential, tolerance: float) -> dict:
    """Largest |difference| of every property and of the returned result, and whether all are within
    *tolerance*.  A property present in one result and absent in the other counts as infinitely off."""
    ours = pipeline.properties.model_dump()
    theirs = sequential.properties.model_dump()
    deltas = {}
    for name in sorted(set(ours) | set(theirs)):
        delta = max_abs_difference(ours.get(name), theirs.get(name))
        if delta is not None:
            deltas[name] = delta
    deltas["return_result"] = max_abs_difference(pipeline.return_result, sequential.return_result)
    worst = max(deltas.values())
    return {
        "tolerance": tolerance,
        "passed": worst <= tolerance,
        "max_abs_difference": worst,
        "properties": deltas,
    }


def max_abs_difference(a, b) -> float | None:
    if a is None and b is None:
        return None
    if a is None or b is None:
        return math.inf
    if isinstance(a, str) or isinstance(b, str):
        return None if a == b else math.inf
    # QCSchema JSON stores arrays flat; a result read from a file and one in memory differ in shape only
    a, b = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def format_comparison(comparison: dict) -> str:
    lines = [f"{'property':<70} {'max |delta|':>12}"]
    for name, delta in comparison["properties"].items():
        flag = "" if delta <= comparison["tolerance"] else "  <-- exceeds tolerance"
        lines.append(f"{name:<70} {delta:12.3e}{flag}")
    verdict = "PASSED" if comparison["passed"] else "FAILED"
    lines.append(
        f"verification {verdict}: largest |delta| {comparison['max_abs_difference']:.3e}, "
        f"tolerance {comparison['tolerance']:.1e}"
    )
    return "\n".join(lines)
