"""Where each file of a run lives, relative to the Snakemake working directory.

Snakemake rules use the same patterns with ``{level}`` and ``{label}`` wildcards.
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
LOGS = "logs/{name}"
FRAGMENT_LOG = LOGS + "/fragments/n{level}/{label}.log"


def path(pattern: str, **fields) -> Path:
    return Path(pattern.format(**fields))
