"""Where each file of a run lives, relative to the Snakemake working directory.

The patterns are written here once: the library fills them in with ``path``, and the workflow's rules
take them with ``{level}`` and ``{label}`` left as Snakemake wildcards (``wildcard_pattern``).
"""

from __future__ import annotations

from pathlib import Path

RESULTS = "results/{name}"
MANYBODY_INPUT = RESULTS + "/input.json"
PLAN = RESULTS + "/plan.json"
FRAGMENT_INPUT = RESULTS + "/inputs/n{level}/{label}.json"
FRAGMENT_RESULT = RESULTS + "/fragments/n{level}/{label}.json"
LEVEL_GATE = RESULTS + "/gates/n{level}.json"
LEVEL_RESULT = RESULTS + "/levels/n{level}.json"
MANYBODY_RESULT = RESULTS + "/manybody.json"
SUMMARY = RESULTS + "/summary.csv"
VERIFICATION = RESULTS + "/verification.json"
SEQUENTIAL_RESULT = RESULTS + "/sequential.json"
PLOTS = RESULTS + "/plots"
FRAGMENT_TABLE = RESULTS + "/fragments.csv"
VERIFICATION_TABLE = RESULTS + "/verification.csv"
LOGS = "logs/{name}"
FRAGMENT_LOG = LOGS + "/fragments/n{level}/{label}.log"
GATE_LOG = LOGS + "/gates/n{level}.log"
LEVEL_LOG = LOGS + "/levels/n{level}.log"
ASSEMBLE_LOG = LOGS + "/assemble.log"
VERIFY_LOG = LOGS + "/verify.log"
REPORT_LOG = LOGS + "/report.log"


def path(pattern: str, **fields) -> Path:
    return Path(pattern.format(**fields))


def wildcard_pattern(pattern: str, name: str) -> str:
    """*pattern* for run *name*, its ``{level}`` and ``{label}`` left for Snakemake to fill."""
    return pattern.format(name=name, level="{level}", label="{label}")


def locate_run(results_dir: str | Path) -> tuple[Path, str]:
    """(working directory, run name) of a run's results folder, e.g. ``/scratch/w/results/trimer`` ->
    (``/scratch/w``, ``trimer``): the paths above are relative to that working directory."""
    results_dir = Path(results_dir).resolve()
    workdir = results_dir.parent.parent
    if results_dir != (workdir / RESULTS.format(name=results_dir.name)).resolve():
        raise ValueError(f"{results_dir} is not a run's results folder; give the folder results/<name> of a run")
    if not (workdir / PLAN.format(name=results_dir.name)).exists():
        raise FileNotFoundError(
            f"{results_dir} has no plan.json; give the folder results/<name> of a run that has started"
        )
    return workdir, results_dir.name
