"""The per-level gate: one file that stands for "every calculation of this level is done and sound".

Level k's fragment jobs depend on level k-1's gate alone, which keeps Snakemake's graph linear in the
number of jobs.  Writing the gate checks each fragment result against the input it claims to come
from; a result that fails the check is moved aside (so a rerun recomputes it) and named in the error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mbpipe.base import layout
from mbpipe.base.jsonio import write_json_atomic
from mbpipe.pipeline.fragment import input_digest


class FragmentResultError(RuntimeError):
    """Some fragment results of a level cannot be used."""


def check_fragment_result(input_path: Path, result_path: Path):
    """The AtomicResult in *result_path*, if it is a successful result of the input in *input_path*;
    otherwise a string saying what is wrong with it."""
    from pydantic import ValidationError
    from qcelemental.models.v2 import AtomicResult

    try:
        text = result_path.read_text()
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    try:
        data = json.loads(text)
    except ValueError as err:
        return f"is not whole JSON ({err})"
    if isinstance(data, dict) and data.get("success") is False:
        return "records a failed calculation (success: false)"
    try:
        result = AtomicResult.model_validate(data)
    except ValidationError as err:
        return f"is not a QCSchema AtomicResult ({err.errors()[0]['msg']})"
    stored = (result.extras or {}).get("mbpipe", {}).get("input_sha256")
    if stored != input_digest(input_path.read_bytes()):
        return "was computed from a different input (molecule or model chemistry) than the plan's"
    return result


def result_fingerprint(result_path: Path) -> dict:
    """What a gate records of a result it checked, to recognise the same file later without reading it."""
    stat = result_path.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "result_sha256": hashlib.sha256(result_path.read_bytes()).hexdigest(),
    }


def write_gate(name: str, level: int, labels: list[str], gate_path: str | Path) -> None:
    problems = []
    manifest = {}
    for label in labels:
        input_path = layout.path(layout.FRAGMENT_INPUT, name=name, level=level, label=label)
        result_path = layout.path(layout.FRAGMENT_RESULT, name=name, level=level, label=label)
        checked = check_fragment_result(input_path, result_path)
        if isinstance(checked, str):
            problems.append(f"  {result_path} {checked}")
            if result_path.exists():
                result_path.rename(result_path.with_suffix(".rejected"))
            continue
        manifest[label] = {
            "energy": checked.properties.return_energy,
            "wall_time_s": checked.extras["mbpipe"]["wall_time_s"],
            "input_sha256": checked.extras["mbpipe"]["input_sha256"],
            "finished": checked.extras["mbpipe"]["finished"],
            # how the next reading of the workflow knows the file is the one checked here (mbpipe/pipeline/audit.py)
            **result_fingerprint(result_path),
        }
    if problems:
        withdraw_results_from(name, level)
        raise FragmentResultError(
            f"{len(problems)} of {len(labels)} level-{level} fragment results cannot be used; they were moved "
            "aside as *.rejected, the results assembled from them were removed, and a rerun recomputes them:\n"
            + "\n".join(problems)
        )
    write_json_atomic(gate_path, {"level": level, "fragments": manifest})


def withdraw_results_from(name: str, level: int) -> list[Path]:
    """Remove every assembled result that used level *level*: the level results from *level* up, the
    many-body result, its table and its verification.  Snakemake does not rerun a job whose outputs
    exist because an input went missing, so without this a rerun would keep them and never recompute
    the rejected fragments.  Returns what was removed."""
    results = layout.path(layout.RESULTS, name=name)
    assembled = [p for p in results.glob("levels/n*.json") if int(p.stem.removeprefix("n")) >= level]
    assembled += [
        layout.path(pattern, name=name)
        for pattern in (layout.MANYBODY_RESULT, layout.SUMMARY, layout.VERIFICATION, layout.SEQUENTIAL_RESULT)
    ]
    removed = [p for p in assembled if p.exists()]
    for path in removed:
        path.unlink()
    return removed
