"""Fragment results checked when the workflow is read, so that the run about to start recomputes a
damaged one, and only that one.

Snakemake recomputes a result that is missing, not one that is cut short, edited, or computed from
another input.  Each result is compared with what its level's gate recorded when it checked it (size,
modification time, SHA-256); a result that differs, or that no gate has checked yet, is checked in
full.  One that cannot be used is moved aside as ``<label>.rejected``: Snakemake then sees a missing
output and reruns that fragment, its level's gate and what is assembled from them.  The finished
fragments of the levels above take that gate as ``ancient`` (mbpipe/run/targets.py) and keep their
files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mbpipe.base import layout
from mbpipe.pipeline.gate import check_fragment_result, result_fingerprint
from mbpipe.pipeline.plan import Plan


def set_aside_unusable_results(plan: Plan) -> str:
    """Move every result of *plan* that cannot be used aside as ``<label>.rejected``; a message naming
    each one and what is wrong with it, empty when none was."""
    moved = []
    for level in plan.level_numbers:
        for result_path, problem in unusable_results(plan, level):
            result_path.replace(result_path.with_suffix(".rejected"))
            moved.append(f"  {result_path} {problem}\n")
    if not moved:
        return ""
    return (
        f"{len(moved)} fragment result(s) of {plan.name} cannot be used; moved aside as *.rejected and "
        "recomputed by this run:\n" + "".join(moved)
    )


def unusable_results(plan: Plan, level: int) -> list[tuple[Path, str]]:
    """(result, what is wrong with it) for the results of *level* that exist but cannot be used."""
    gate_path = layout.path(layout.LEVEL_GATE, name=plan.name, level=level)
    checked = _checked_by_gate(gate_path)
    gate_mtime_ns = gate_path.stat().st_mtime_ns if checked else 0
    unusable = []
    for label in plan.labels(level):
        result_path = layout.path(layout.FRAGMENT_RESULT, name=plan.name, level=level, label=label)
        try:
            stat = result_path.stat()
        except FileNotFoundError:
            continue  # Snakemake recomputes a missing result by itself
        recorded = checked.get(label, {})
        if _unchanged_since_checked(stat, recorded, gate_mtime_ns):
            continue
        problem = _problem(plan.name, level, label, result_path, recorded)
        if problem:
            unusable.append((result_path, problem))
    return unusable


def _checked_by_gate(gate_path: Path) -> dict[str, dict]:
    """Label -> what the gate recorded of its result; empty without a readable gate."""
    try:
        return json.loads(gate_path.read_text())["fragments"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _unchanged_since_checked(stat: os.stat_result, recorded: dict, gate_mtime_ns: int) -> bool:
    if "size" in recorded:
        return stat.st_size == recorded["size"] and stat.st_mtime_ns == recorded["mtime_ns"]
    # a gate written before gates recorded fingerprints: a result older than the gate was there when it checked
    return bool(recorded) and stat.st_mtime_ns <= gate_mtime_ns


def _problem(name: str, level: int, label: str, result_path: Path, recorded: dict) -> str | None:
    """What is wrong with a result that changed since its gate checked it (or that no gate checked);
    None when it can be used."""
    input_path = layout.path(layout.FRAGMENT_INPUT, name=name, level=level, label=label)
    checked = check_fragment_result(input_path, result_path)
    if isinstance(checked, str):
        return checked
    if "result_sha256" not in recorded:
        return None
    same_calculation = checked.extras["mbpipe"].get("finished") == recorded.get("finished")
    if same_calculation and result_fingerprint(result_path)["result_sha256"] != recorded["result_sha256"]:
        return f"was edited after the level-{level} gate checked it (same calculation, other content)"
    return None
