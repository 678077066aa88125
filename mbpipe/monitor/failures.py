"""What went wrong in a run: the fragments that failed for good and the results the gates rejected.

Printed when a Snakemake run ends in error (the Snakefile's ``onerror``), and by ``mbpipe failures``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mbpipe.base import layout
from mbpipe.pipeline.geometries import run_names

OUTPUT_LINES = 8


def failed_fragments(name: str) -> list[Path]:
    """Error records of fragments that have no result: the calculations still to be fixed."""
    fragments = layout.path(layout.RESULTS, name=name) / "fragments"
    return sorted(
        record
        for record in fragments.glob("n*/*.error.json")
        if not record.with_name(record.name.removesuffix(".error.json") + ".json").exists()
    )


def rejected_results(name: str) -> list[Path]:
    """Results a gate moved aside whose fragment has not been recomputed yet."""
    fragments = layout.path(layout.RESULTS, name=name) / "fragments"
    return sorted(path for path in fragments.glob("n*/*.rejected") if not path.with_suffix(".json").exists())


def describe_failure(name: str, record_path: Path) -> str:
    """Label, QCEngine error type and message, the program's last lines, where to read more."""
    label = record_path.name.removesuffix(".error.json")
    level = record_path.parent.name.removeprefix("n")
    log = layout.path(layout.FRAGMENT_LOG, name=name, level=level, label=label)
    try:
        record = json.loads(record_path.read_text())
        error = record["error"]
        attempt = (record.get("extras") or {}).get("mbpipe", {}).get("attempts", 1)
    except (OSError, ValueError, KeyError) as err:
        return f"{label}: its error record {record_path} cannot be read ({err})"
    sections = message_sections(error["error_message"])
    headline = _lines(sections.get("", ""))[:1] or ["(no message)"]
    stdout, stderr = _lines(sections.get("STDOUT", ""))[-OUTPUT_LINES:], _lines(sections.get("STDERR", ""))[:3]
    return "\n".join(
        [
            f"{label} (level {level}): {error['error_type']} after {attempt} attempt(s): {headline[0].strip()}",
            *(["    last lines of the program's output:"] + [f"    | {line}" for line in stdout] if stdout else []),
            *(["    program's error output:"] + [f"    | {line}" for line in stderr] if stderr else []),
            f"    error record (full program output): {record_path}",
            f"    job log: {log}",
        ]
    )


def message_sections(message: str) -> dict[str, str]:
    """QCEngine's message of a failed program run, split at its `INPUT:`, `STDOUT:`, `STDERR:` and
    `TRACEBACK:` headings; what precedes the first heading (or a message with none) is under ""."""
    parts = re.split(r"(?:^|\s)(INPUT|STDOUT|STDERR|TRACEBACK):\s*$", message, flags=re.MULTILINE)
    sections = {"": parts[0]}
    for heading, text in zip(parts[1::2], parts[2::2], strict=True):
        sections[heading] = text
    return sections


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def failure_report(name: str) -> str:
    """The whole summary for run *name*, each of its geometries named; empty when nothing failed or
    was rejected."""
    parts = [part for run in run_names(name) for part in _run_failures(run)]
    if parts:
        parts.append("Fix the cause and run the same command again: finished fragments are kept.")
    return "\n".join(parts)


def _run_failures(name: str) -> list[str]:
    failed, rejected = failed_fragments(name), rejected_results(name)
    parts = []
    if failed:
        parts.append(f"{len(failed)} fragment calculation(s) of {name} failed:")
        parts += [describe_failure(name, record) for record in failed]
    if rejected:
        parts.append(
            f"{len(rejected)} fragment result(s) were rejected by a level gate (see logs/{name}/gates/) and are "
            "recomputed on the next run:"
        )
        parts += [f"  {path}" for path in rejected]
    return parts
