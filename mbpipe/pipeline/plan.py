"""Planning: every fragment calculation QCManyBody asks for, written once for Snakemake to read.

``ensure_plan`` is called while Snakemake parses the Snakefile.  It plans with QCManyBody only when the
plan file is missing or was made from a different config or molecule; otherwise it reads the plan file
alone, so that the parse every cluster job repeats stays cheap.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, sync_filesystem, write_json_atomic, write_text_if_changed

# Bump when the plan file's layout or the fragment inputs' content changes meaning.
PLAN_FORMAT = 1
# Config keys that do not change which calculations run or what goes into them.
_NOT_PLANNED = ("verify", "tolerance", "bundle_below_s", "fragment_memory_mb")


@dataclass(frozen=True)
class Plan:
    """Fragment labels (file-name form) by n-body level, levels ascending."""

    name: str
    levels: dict[int, list[str]]

    @property
    def level_numbers(self) -> list[int]:
        return list(self.levels)

    @property
    def last_level(self) -> int:
        return self.level_numbers[-1]

    def previous_level(self, level: int) -> int | None:
        """The level whose completion level *level* waits for; None for the first."""
        numbers = self.level_numbers
        i = numbers.index(level)
        return numbers[i - 1] if i > 0 else None

    def labels(self, level: int) -> list[str]:
        return self.levels[level]

    def fragment_results(self, upto: int | None = None) -> list[Path]:
        return [
            layout.path(layout.FRAGMENT_RESULT, name=self.name, level=level, label=label)
            for level, labels in self.levels.items()
            if upto is None or level <= upto
            for label in labels
        ]

    @property
    def nfragment_calculations(self) -> int:
        return sum(len(labels) for labels in self.levels.values())

    @property
    def programs(self) -> list[str]:
        """The QC programs of the run's model chemistries."""
        return sorted(set(self.model_chemistry_programs.values()))

    @property
    def model_chemistry_programs(self) -> dict[str, str]:
        """Each model chemistry's QC program (from the run's ManyBodyInput, read as plain JSON)."""
        mbin = read_json(layout.path(layout.MANYBODY_INPUT, name=self.name))
        return {name: spec["program"] for name, spec in mbin["specification"]["specification"].items()}


def plan_key(config: dict[str, Any]) -> str:
    """A fingerprint of everything that decides the plan: the config and the files it names."""
    planned = {k: v for k, v in config.items() if k not in _NOT_PLANNED}
    digest = hashlib.sha256(json.dumps({"format": PLAN_FORMAT, "config": planned}, sort_keys=True).encode())
    for key in ("molecule", "input"):
        if key in config:
            digest.update(Path(config[key]).read_bytes())
    return digest.hexdigest()


def ensure_plan(config: dict[str, Any]) -> Plan:
    """The run's plan, made now if the plan file is missing or stale."""
    plan_file = layout.path(layout.PLAN, name=config["name"])
    key = plan_key(config)
    if plan_file.exists():
        stored = read_json(plan_file)
        if stored.get("key") == key:
            return _plan_from_json(config["name"], stored)
    return make_plan(config, key)


def make_plan(config: dict[str, Any], key: str | None = None) -> Plan:
    """Plan with QCManyBody; write the ManyBodyInput, one AtomicInput per fragment, and the plan file.

    A fragment input is rewritten only when its content changes, so that Snakemake reruns exactly the
    fragments whose calculation changed.
    """
    from mbpipe.base.labels import encode_label, nbody_level
    from mbpipe.config.checks import checked_manybody_input

    name = config["name"]
    mbin = checked_manybody_input(config)
    write_text_if_changed(layout.path(layout.MANYBODY_INPUT, name=name), mbin.model_dump_json(indent=1) + "\n")

    levels: dict[int, list[str]] = {}
    for qcmb_label, atomic_input in fragment_inputs(mbin):
        level, label = nbody_level(qcmb_label), encode_label(qcmb_label)
        text = atomic_input.model_dump_json(indent=1) + "\n"
        path = layout.path(layout.FRAGMENT_INPUT, name=name, level=level, label=label)
        write_text_if_changed(path, text, durable=False)
        levels.setdefault(level, []).append(label)
    # The inputs reach the disk together (one flush, not one per file: half the planning time) before
    # the plan file that vouches for them is written.
    sync_filesystem(layout.path(layout.RESULTS, name=name))

    plan = Plan(name=name, levels={k: sorted(levels[k]) for k in sorted(levels)})
    write_json_atomic(
        layout.path(layout.PLAN, name=name),
        {"key": key or plan_key(config), "levels": {str(k): v for k, v in plan.levels.items()}},
    )
    return plan


def fragment_inputs(mbin):
    """(QCManyBody label, AtomicInput) for every calculation of *mbin*, as the sequential
    ManyBodyComputer would run them: its model-chemistry specification with the many-body driver."""
    from qcelemental.models.v2 import AtomicInput

    computer = manybody_computer(mbin)
    specifications = {}
    for mc, spec in mbin.specification.specification.items():
        spec = spec.model_dump()
        spec["driver"] = mbin.specification.driver
        specifications[mc] = spec
    for mc, qcmb_label, molecule in computer.qcmb_core.iterate_molecules():
        yield qcmb_label, AtomicInput(molecule=molecule, specification=copy.deepcopy(specifications[mc]))


def manybody_computer(mbin):
    """QCManyBody's sequential computer for *mbin*, set up but with no calculation run."""
    from qcmanybody.v2 import ManyBodyComputer

    return ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False)


def _plan_from_json(name: str, stored: dict[str, Any]) -> Plan:
    return Plan(name=name, levels={int(k): v for k, v in stored["levels"].items()})


def load_plan(name: str) -> Plan:
    """The plan already written for run *name*."""
    plan_file = layout.path(layout.PLAN, name=name)
    if not plan_file.exists():
        raise FileNotFoundError(f"{plan_file} does not exist; run the workflow (or `mbpipe plan`) first")
    return _plan_from_json(name, read_json(plan_file))
