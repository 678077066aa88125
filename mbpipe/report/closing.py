"""The lines a finished run ends with on the screen: the answer through each order, whether it was
checked, how long it took and where its files are.  Read from the files the run wrote (summary.csv,
verification.json), so it says exactly what they say.  Read with the standard library: Snakemake's
process imports this module as it reads the workflow, before the first job, where pandas would cost
0.3 s."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from mbpipe.base import layout


def closing_summary(names: list[str], wall_s: float) -> str:
    """The closing lines for the runs *names* (one, or one per geometry) that took *wall_s* seconds."""
    blocks = [_run_block(name) for name in names] if len(names) <= 3 else [_geometry_line(name) for name in names]
    folder = Path(layout.RESULTS.format(name=names[0])).resolve()
    where = folder if len(names) == 1 else folder.parent
    return "\n".join([*blocks, f"wall time {wall_s:.1f} s; results in {where}"])


def _run_block(name: str) -> str:
    lines = [f"{name}:"]
    summary = layout.path(layout.SUMMARY, name=name)
    if summary.exists():
        lines.append(f"  {'bsse':<5} {'n-body':>6}  {'interaction (kcal/mol)':>22}  {'total (hartree)':>18}")
        for row in _rows(summary):
            lines.append(
                f"  {row['bsse_type']:<5} {row['nbody']:>6}  {_number(row['interaction_energy_kcal_mol'], '.4f'):>22}  "
                f"{_number(row['total_energy_hartree'], '.10f'):>18}"
            )
    lines.append(f"  {_verdict(layout.path(layout.VERIFICATION, name=name))}")
    return "\n".join(lines)


def _geometry_line(name: str) -> str:
    """One geometry of many: its first BSSE treatment's interaction energy through the highest order."""
    summary = layout.path(layout.SUMMARY, name=name)
    answer = ""
    rows = _rows(summary) if summary.exists() else []
    if rows:
        first = [row for row in rows if row["bsse_type"] == rows[0]["bsse_type"]][-1]
        answer = (
            f"{first['bsse_type']} interaction through {first['nbody']} bodies "
            f"{_number(first['interaction_energy_kcal_mol'], '.4f')} kcal/mol; "
        )
    return f"{name}: {answer}{_verdict(layout.path(layout.VERIFICATION, name=name))}"


def _verdict(path: Path) -> str:
    if not path.exists():
        return "not verified (verify: off)"
    comparison = json.loads(path.read_text())
    against = (
        "the sums of its kept n-mers' increments"
        if "sequential_comparison" in comparison
        else "QCManyBody's sequential result"
    )
    verdict = "passed" if comparison["passed"] else "FAILED"
    return (
        f"verification {verdict}: largest |delta| {comparison['max_abs_difference']:.1e} hartree against {against} "
        f"(tolerance {comparison['tolerance']:.0e})"
    )


def _rows(summary: Path) -> list[dict[str, str]]:
    with summary.open(newline="") as table:
        return list(csv.DictReader(table))


def _number(value: str, spec: str) -> str:
    """A number of summary.csv as *spec* formats it; an empty cell (no value at that order) stays empty."""
    return format(float(value), spec) if value else ""
