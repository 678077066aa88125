"""Planning: every fragment calculation QCManyBody asks for, written once for Snakemake to read.
With `distance_cutoffs`, only those the kept n-mers need (mbpipe/pipeline/screening.py).

``ensure_plan`` is called while Snakemake parses the Snakefile.  It plans with QCManyBody only when the
plan file is missing or was made from a different config or molecule; otherwise it reads the plan file
alone, so that the parse every cluster job repeats stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, sync_filesystem, write_json_atomic, write_text_if_changed

# Bump when the plan file's layout or the fragment inputs' content changes meaning.
PLAN_FORMAT = 1
# Config keys that do not change which calculations run or what goes into them.
_NOT_PLANNED = ("verify", "tolerance", "bundle_below_s", "fragment_memory_mb", "fragment_time_limit_s")
# Calculations per planning process: below twice this, starting a second process costs more than it saves.
_SHARE_SIZE = 2000


@dataclass(frozen=True)
class Plan:
    """Fragment labels (file-name form) by n-body level, levels ascending; the distance cutoffs (order
    -> Angstrom) that left calculations out, and how many of QCManyBody's they left out."""

    name: str
    levels: dict[int, list[str]]
    distance_cutoffs: dict[int, float] = field(default_factory=dict)
    screened_calculations: int = 0

    @property
    def screens(self) -> bool:
        """Whether the cutoffs left any calculation out: then no sequential run computes this expansion."""
        return self.screened_calculations > 0

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
    try:
        stored = read_json(plan_file)
    except (FileNotFoundError, ValueError):  # none yet, or cut short outside mbpipe (which writes it whole)
        stored = {}
    if stored.get("key") == key:
        return _plan_from_json(config["name"], stored)
    return make_plan(config, key)


def make_plan(config: dict[str, Any], key: str | None = None) -> Plan:
    """Plan with QCManyBody; write the ManyBodyInput, one AtomicInput per fragment, and the plan file.

    A fragment input is rewritten only when its content changes, so that Snakemake reruns exactly the
    fragments whose calculation changed.
    """
    from mbpipe.config.checks import checked_manybody_input
    from mbpipe.pipeline.qcmanybody_compat import planned_labels

    name = config["name"]
    mbin = checked_manybody_input(config)
    cutoffs = {int(k): float(v) for k, v in config.get("distance_cutoffs", {}).items()}
    computer = screened_computer(mbin, cutoffs)  # unusable cutoffs are refused before anything is written
    write_text_if_changed(layout.path(layout.MANYBODY_INPUT, name=name), mbin.model_dump_json(indent=1) + "\n")

    levels: dict[int, list[str]] = {}
    for level, label in write_fragment_inputs(name, mbin, computer):
        levels.setdefault(level, []).append(label)
    # The inputs reach the disk together (one flush, not one per file: half the planning time) before
    # the plan file that vouches for them is written.
    sync_filesystem(layout.path(layout.RESULTS, name=name))

    planned = sum(len(labels) for labels in levels.values())
    plan = Plan(
        name=name,
        levels={k: sorted(levels[k]) for k in sorted(levels)},
        distance_cutoffs=cutoffs,
        screened_calculations=len(planned_labels(manybody_computer(mbin).qcmb_core)) - planned if cutoffs else 0,
    )
    write_json_atomic(
        layout.path(layout.PLAN, name=name),
        {
            "key": key or plan_key(config),
            "levels": {str(k): v for k, v in plan.levels.items()},
            "distance_cutoffs": {str(k): v for k, v in plan.distance_cutoffs.items()},
            "screened_calculations": plan.screened_calculations,
        },
    )
    return plan


def write_fragment_inputs(name: str, mbin, computer) -> list[tuple[int, str]]:
    """Write the AtomicInput of every calculation *computer* plans; the n-body level and file-name label
    of each.  QCElemental's building of each fragment's Molecule is most of the work: on Linux, a large
    plan is shared among forked processes, as many as this one may run at once, each writing the
    calculations of its share."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from mbpipe.pipeline.qcmanybody_compat import planned_labels

    labels = sorted(planned_labels(computer.qcmb_core))
    nshares = min(len(os.sched_getaffinity(0)), len(labels) // _SHARE_SIZE) if sys.platform == "linux" else 1
    if nshares <= 1:
        return _write_inputs(name, mbin, computer)
    # Forked, each process has the computer already: nothing of it is pickled.
    planning = (name, mbin, computer, labels, nshares)
    with ProcessPoolExecutor(nshares, get_context("fork"), initializer=_inherit, initargs=planning) as pool:
        return [written for share in pool.map(_write_share, range(nshares)) for written in share]


_INHERITED: tuple = ()  # in a forked planning process: write_fragment_inputs' (name, mbin, computer, labels, nshares)


def _inherit(*planning) -> None:
    global _INHERITED
    _INHERITED = planning


def _write_share(index: int) -> list[tuple[int, str]]:
    """Write the inputs of share *index* of the plan: every nshares-th calculation, in label order."""
    from mbpipe.pipeline.qcmanybody_compat import restrict_to

    name, mbin, computer, labels, nshares = _INHERITED
    restrict_to(computer.qcmb_core, set(labels[index::nshares]))
    return _write_inputs(name, mbin, computer)


def _write_inputs(name: str, mbin, computer) -> list[tuple[int, str]]:
    from mbpipe.base.labels import encode_label, nbody_level

    written = []
    for qcmb_label, atomic_input in atomic_inputs(mbin, computer):
        level, label = nbody_level(qcmb_label), encode_label(qcmb_label)
        text = atomic_input.model_dump_json(indent=1) + "\n"
        path = layout.path(layout.FRAGMENT_INPUT, name=name, level=level, label=label)
        write_text_if_changed(path, text, durable=False)
        written.append((level, label))
    return written


def fragment_inputs(mbin, distance_cutoffs=None):
    """(QCManyBody label, AtomicInput) for every calculation of *mbin*, as the sequential
    ManyBodyComputer would run them: its model-chemistry specification with the many-body driver.
    With *distance_cutoffs* (order -> Angstrom), only the calculations the kept n-mers need."""
    return atomic_inputs(mbin, screened_computer(mbin, distance_cutoffs))


def atomic_inputs(mbin, computer):
    from qcelemental.models.v2 import AtomicInput, AtomicSpecification

    # One validated specification per model chemistry, shared by its fragments' (immutable) inputs:
    # the same content as the sequential computer's copy of it per calculation, without the copying.
    specifications = {}
    for mc, spec in mbin.specification.specification.items():
        spec = spec.model_dump()
        spec["driver"] = mbin.specification.driver
        specifications[mc] = AtomicSpecification(**spec)
    core = computer.qcmb_core
    # A Molecule read without masses recomputes all its atoms' masses from the periodic table each time
    # it is asked, and get_fragment asks once per atom of every fragment: for 40 waters, two thirds of
    # the planning time.  Given once, the same masses make the same fragments.
    core.molecule = core.molecule.model_copy(update={"masses_": core.molecule.masses})
    for mc, qcmb_label, molecule in core.iterate_molecules():
        yield qcmb_label, AtomicInput(molecule=molecule, specification=specifications[mc])


def manybody_computer(mbin):
    """QCManyBody's sequential computer for *mbin*, set up but with no calculation run."""
    from qcmanybody.v2 import ManyBodyComputer

    if mbin.specification.keywords.embedding_charges:
        from mbpipe.pipeline.qcmanybody_compat import allow_embedding_charges

        allow_embedding_charges()
    return ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False)


def screened_computer(mbin, distance_cutoffs=None):
    """`manybody_computer` whose core plans only what *distance_cutoffs* keep (all without cutoffs).
    For planning and counting; its core cannot analyze.  Raises ConfigError for unusable cutoffs."""
    computer = manybody_computer(mbin)
    if distance_cutoffs:
        from mbpipe.config.errors import ConfigError
        from mbpipe.pipeline import screening

        core = computer.qcmb_core
        problems = screening.expansion_problems(core, distance_cutoffs)
        if problems:
            raise ConfigError(problems)
        screening.restrict_to_needed(core, screening.screen(core.molecule, distance_cutoffs, core.max_nbody))
    return computer


def _plan_from_json(name: str, stored: dict[str, Any]) -> Plan:
    return Plan(
        name=name,
        levels={int(k): v for k, v in stored["levels"].items()},
        distance_cutoffs={int(k): v for k, v in stored.get("distance_cutoffs", {}).items()},
        screened_calculations=stored.get("screened_calculations", 0),
    )


def load_plan(name: str) -> Plan:
    """The plan already written for run *name*."""
    plan_file = layout.path(layout.PLAN, name=name)
    if not plan_file.exists():
        raise FileNotFoundError(f"{plan_file} does not exist; run the workflow (or `mbpipe plan`) first")
    try:
        return _plan_from_json(name, read_json(plan_file))
    except ValueError as err:
        raise layout.NotARunFolder(
            f"{plan_file} is not whole JSON ({err}); run the workflow again, which writes it anew"
        ) from None


def load_manybody_input(name: str):
    """The ManyBodyInput the plan of run *name* was made from (its input.json)."""
    from qcmanybody.models.v2 import ManyBodyInput

    return ManyBodyInput.model_validate_json(layout.path(layout.MANYBODY_INPUT, name=name).read_text())
