"""Where a run stands: per n-body level, how many fragment calculations are done, running, failed and
waiting, how long the level has taken, and about how long the rest will take.

Read from the files alone (fragment results, error records, Snakemake's incomplete markers), so it
works from any shell while Snakemake or a cluster runs the jobs.  The time to finish is the
cost-model estimate of each unfinished calculation, calibrated by the wall times so far, divided by
the number of jobs the run has been keeping busy.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json
from mbpipe.base.labels import model_chemistry
from mbpipe.batch import cost
from mbpipe.monitor.calibration import Calibration, calibrate
from mbpipe.monitor.failures import message_sections
from mbpipe.monitor.preview import duration
from mbpipe.monitor.snakemake_state import is_locked, started_outputs
from mbpipe.pipeline.fragment import error_path
from mbpipe.pipeline.geometries import geometry_names
from mbpipe.pipeline.plan import load_plan
from mbpipe.report.fragment_table import fragment_table

STATES = ("done", "running", "failed", "waiting")


@dataclass
class RunStatus:
    name: str
    levels: pd.DataFrame  # one row per level: calculations, STATES, elapsed_s, remaining_s
    failed: list[dict] = field(default_factory=list)  # level, label, error, record
    snakemake_running: bool = False
    interrupted: int = 0  # fragments Snakemake started but did not finish, with no Snakemake running now
    elapsed_s: float = math.nan  # first fragment's start to the last one's finish, or to now while running
    calibration: Calibration = field(default_factory=Calibration)


class ParsedFiles:
    """Parsed files, each parsed again only when it changes: a watched run rereads thousands."""

    def __init__(self):
        self._cache: dict[Path, tuple[float, object]] = {}

    def result(self, path: Path):
        from qcelemental.models.v2 import AtomicResult

        return self._get(path, AtomicResult.model_validate_json)

    def input(self, path: Path):
        from qcelemental.models.v2 import AtomicInput

        return self._get(path, AtomicInput.model_validate_json)

    def _get(self, path: Path, parse):
        mtime = path.stat().st_mtime
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = self._cache[path] = (mtime, parse(path.read_text()))
        return cached[1]


def run_status(name: str, now: float | None = None, files: ParsedFiles | None = None) -> RunStatus:
    """The status of run *name* in the current directory (the run's Snakemake working directory)."""
    now = time.time() if now is None else now
    files = files or ParsedFiles()
    plan = load_plan(name)
    done = fragment_table(plan, reader=files.result).set_index("label")
    calibration = calibrate(done)
    holding = is_locked(Path("."))
    started = started_outputs(Path("."))
    status = RunStatus(name=name, levels=pd.DataFrame(), snakemake_running=holding, calibration=calibration)

    fragments = []  # level, state, start, end, remaining_s of every planned fragment
    for level in plan.level_numbers:
        for label in plan.labels(level):
            result = layout.path(layout.FRAGMENT_RESULT, name=name, level=level, label=label)
            if label in done.index:
                row = done.loc[label]
                fragments.append((level, "done", _epoch(row["started"]), _epoch(row["finished"]), 0.0))
                continue
            input_path = layout.path(layout.FRAGMENT_INPUT, name=name, level=level, label=label)
            estimate = calibration.seconds(model_chemistry(label), cost.estimated_seconds(files.input(input_path)))
            if holding and str(result) in started:
                start = started[str(result)]
                fragments.append((level, "running", start, math.nan, max(estimate - (now - start), 0.0)))
                continue
            status.interrupted += str(result) in started
            if error_path(result).exists():
                error = error_line(read_json(error_path(result)))
                status.failed.append(
                    {"level": level, "label": label, "error": error, "record": str(error_path(result))}
                )
                fragments.append((level, "failed", math.nan, math.nan, 0.0))
            else:
                fragments.append((level, "waiting", math.nan, math.nan, estimate))

    table = pd.DataFrame(fragments, columns=["level", "state", "start", "end", "remaining_s"])
    if holding:  # what runs now ends no earlier than now
        table.loc[table["state"] != "done", "end"] = now
    levels = pd.crosstab(table["level"], table["state"]).reindex(columns=STATES, fill_value=0)
    levels.insert(0, "calculations", levels.sum(axis=1))
    by_level = table.groupby("level")
    levels["elapsed_s"] = by_level["end"].max() - by_level["start"].min()
    levels["remaining_s"] = by_level["remaining_s"].sum() / _concurrency(done, levels["running"].sum())
    status.levels = levels.reset_index()
    if table["start"].notna().any():
        status.elapsed_s = (now if holding else table["end"].max()) - table["start"].min()
    return status


def _concurrency(done: pd.DataFrame, running: int) -> float:
    """How many fragment jobs the run keeps busy at once: its fragments' summed wall time over the time
    from the first start to the last finish, or the jobs running now if more."""
    observed = 1.0
    if len(done):
        span = max(map(_epoch, done["finished"])) - min(map(_epoch, done["started"]))
        if span > 0:
            observed = done["wall_time_s"].sum() / span
    return max(observed, float(running), 1.0)


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def error_line(record: dict) -> str:
    """One line that says why a fragment failed, from its error record (a QCSchema FailedOperation).

    QCEngine's message for a program that stopped opens with the whole input deck; the first line of
    the program's standard error (its ``STDERR:`` section) that names an error says more, then any such
    line of the message, then its first line."""
    error = record.get("error") or {}
    kind = error.get("error_type", "error")
    sections = message_sections(error.get("error_message") or "")
    lines = [line.strip() for text in sections.values() for line in text.splitlines() if line.strip()]
    candidates = [line.strip() for line in sections.get("STDERR", "").splitlines() if "error" in line.lower()]
    candidates += [line for line in lines if "error" in line.lower() and not line.startswith("QCEngine")]
    return f"{kind}: {(candidates or lines or ['no message'])[0]}"


def format_status(status: RunStatus, workdir: Path) -> str:
    levels = status.levels
    state = "Snakemake is running" if status.snakemake_running else "Snakemake is not running"
    lines = [f"{status.name} in {workdir}: {state}"]
    table = levels.assign(level=[f"n{k}" for k in levels["level"]])
    total = {"level": "all", "calculations": levels["calculations"].sum(), **levels[list(STATES)].sum().to_dict()}
    total["elapsed_s"] = status.elapsed_s
    total["remaining_s"] = levels["remaining_s"].sum()
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["elapsed"] = table["elapsed_s"].map(lambda s: "-" if pd.isna(s) else duration(s))
    unfinished = table["running"] + table["waiting"] > 0
    table["to finish"] = [
        f"~{duration(s)}" if u else "-" for s, u in zip(table["remaining_s"], unfinished, strict=True)
    ]
    lines.append(table.drop(columns=["elapsed_s", "remaining_s"]).to_string(index=False))
    if unfinished.any():
        basis = (
            f"cost model calibrated by {status.calibration.nfragments} finished fragments"
            if status.calibration.nfragments
            else "cost model alone, no fragment finished yet"
        )
        lines.append(f"time to finish: {basis}; failed fragments not included")
    if status.interrupted:
        lines.append(
            f"{status.interrupted} fragments were started by a Snakemake that is no longer running; "
            "run Snakemake again (with --rerun-incomplete) to redo them"
        )
    if status.failed:
        lines.append("failed fragments (see the error record; fix the cause and run Snakemake again to retry):")
        lines += [f"  n{f['level']} {f['label']}: {f['error']}\n    {f['record']}" for f in status.failed]
    return "\n".join(lines)


def find_results_dir(results_dir: Path | None) -> Path:
    """*results_dir*, or the one run's folder under ./results when none is given."""
    if results_dir is not None:
        return results_dir
    runs = sorted({p.parent for pattern in ("*/plan.json", "*/geometries.json") for p in Path("results").glob(pattern)})
    if len(runs) != 1:
        found = ", ".join(map(str, runs)) or "none"
        raise SystemExit(
            f"name the run's results folder, e.g. `mbpipe status results/<name>` (runs under ./results: {found})"
        )
    return runs[0]


def watch(results_dir: Path | None, every: float | None) -> int:
    """Print the run's status; with *every*, again every that many seconds until the run is over.  A
    run of many geometries shows each geometry and all of them together."""
    workdir, name = layout.locate_run(find_results_dir(results_dir))
    files = ParsedFiles()
    with contextlib.chdir(workdir):
        geometries = geometry_names(name)
        while True:
            if geometries:
                statuses = {geometry: run_status(f"{name}/{geometry}", files=files) for geometry in geometries}
                text = format_geometries_status(name, statuses, workdir)
            else:
                statuses = {name: run_status(name, files=files)}
                text = format_status(statuses[name], workdir)
            if every is None:
                print(text)
                return 0
            clear = "\033[H\033[2J" if sys.stdout.isatty() else "\n"
            sys.stdout.write(clear + text + f"\n(refreshing every {every:g} s; Ctrl-C to stop)\n")
            sys.stdout.flush()
            over = all(
                not status.snakemake_running and status.levels[["running", "waiting"]].sum().sum() == 0
                for status in statuses.values()
            )
            if over:
                return 0
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return 0


def format_geometries_status(name: str, statuses: dict[str, RunStatus], workdir: Path) -> str:
    """One row per geometry, then every geometry together per level, then the failed fragments."""
    running = any(status.snakemake_running for status in statuses.values())
    lines = [f"{name} in {workdir}: {len(statuses)} geometries; Snakemake is {'' if running else 'not '}running"]
    rows = []
    for geometry, status in statuses.items():
        counts = status.levels[["calculations", *STATES]].sum()
        rows.append({"geometry": geometry, **counts.to_dict(), "elapsed_s": status.elapsed_s})
    rows.append({"geometry": "all", **pd.DataFrame(rows)[["calculations", *STATES]].sum().to_dict()})
    table = pd.DataFrame(rows)
    table["elapsed"] = table["elapsed_s"].map(lambda s: "-" if pd.isna(s) else duration(s))
    lines.append(table.drop(columns=["elapsed_s"]).to_string(index=False))
    levels = pd.concat([status.levels for status in statuses.values()]).groupby("level", as_index=False)
    per_level = levels[["calculations", *STATES]].sum()
    per_level["level"] = [f"n{k}" for k in per_level["level"]]
    lines += ["all geometries, per level:", per_level.to_string(index=False)]
    failed = [(geometry, f) for geometry, status in statuses.items() for f in status.failed]
    if failed:
        lines.append("failed fragments (see the error record; fix the cause and run Snakemake again to retry):")
        lines += [f"  {g} n{f['level']} {f['label']}: {f['error']}\n    {f['record']}" for g, f in failed]
    interrupted = sum(status.interrupted for status in statuses.values())
    if interrupted:
        lines.append(
            f"{interrupted} fragments were started by a Snakemake that is no longer running; "
            "run Snakemake again (with --rerun-incomplete) to redo them"
        )
    return "\n".join(lines)
