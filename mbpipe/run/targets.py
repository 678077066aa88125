"""The files each rule of a run reads and writes: what Snakemake's input functions return.

A run computes one many-body expansion, or one per geometry (mbpipe/config/geometries.py); every
rule's files carry the run's name as the `name` wildcard.  Level k's fragments wait for level k-1's
gate of their own run; a result through level k waits for the gates of every level up to k; the work
is done when every run's final outputs exist.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from mbpipe.base import layout
from mbpipe.pipeline.fragment import result_is_current
from mbpipe.pipeline.plan import Plan


@dataclass(frozen=True)
class RunFiles:
    plans: dict[str, Plan]  # run name -> its plan: one run, or one per geometry
    geometries_of: str | None = None  # the config's name when its runs are the geometries of one config

    def name_pattern(self) -> str:
        """The `name` wildcard's constraint: the run's name, or any of its geometries.  Not a list of the
        names: Snakemake matches every requested file against it, and a hundred alternatives made the
        graph of a hundred geometries several times slower to build."""
        if self.geometries_of:
            return re.escape(self.geometries_of) + "/[^/]+"
        (name,) = self.plans
        return re.escape(name)

    def previous_gate(self, name: str, level: int, label: str) -> tuple[str | None, bool]:
        """The gate fragment *label* of *level* waits for (None on the first level), and whether the
        fragment's result is current for its input.  A current result takes the gate as `ancient`:
        a lower level's gate rewritten (a recomputed or newly planned fragment there) then leaves it
        alone, while every fragment that does run waits for the gate."""
        previous = self.plans[name].previous_level(level)
        if previous is None:
            return None, False
        fields = {"name": name, "level": level, "label": label}
        current = result_is_current(layout.FRAGMENT_INPUT.format(**fields), layout.FRAGMENT_RESULT.format(**fields))
        return layout.LEVEL_GATE.format(name=name, level=previous), current

    def fragment_results(self, name: str, level: int) -> list[str]:
        labels = self.plans[name].labels(level)
        return [layout.FRAGMENT_RESULT.format(name=name, level=level, label=label) for label in labels]

    def gates_through(self, name: str, level: int) -> list[str]:
        """The gates of every level up to *level*: a result through level k uses all their fragments,
        and a recomputed fragment of a lower level rewrites only its own level's gate."""
        plan = self.plans[name]
        return [layout.LEVEL_GATE.format(name=name, level=k) for k in plan.level_numbers if k <= level]

    def all_gates(self, name: str) -> list[str]:
        return self.gates_through(name, self.plans[name].last_level)

    def results_to_restore(self) -> list[str]:
        """Results missing from a level whose gate exists (deleted, or moved aside as unusable when the
        workflow was read): Snakemake recomputes a missing file only for a job that runs, and the jobs
        after a finished gate have run, so the run asks for these by name."""
        missing = []
        for name, plan in self.plans.items():
            for level in plan.level_numbers:
                if layout.path(layout.LEVEL_GATE, name=name, level=level).exists():
                    missing += [path for path in self.fragment_results(name, level) if not os.path.exists(path)]
        return missing

    def verification(self, name: str, verify: str) -> list[str]:
        """The verification to make and tabulate; none when the config turns verification off."""
        return [layout.VERIFICATION.format(name=name)] if verify == "sequential" else []

    def summaries(self) -> list[str]:
        return [layout.SUMMARY.format(name=name) for name in self.plans]

    def sequential_result(self, name: str) -> str | None:
        """Where the verify job of run *name* keeps QCManyBody's sequential result; None for a screened
        run, which QCManyBody's sequential computer (it knows no screening) cannot check.  Not a
        declared output of the rule: a run of many geometries may screen some and not others."""
        return None if self.plans[name].screens else layout.SEQUENTIAL_RESULT.format(name=name)

    def final_outputs(self, verify: str) -> list[str]:
        outputs = []
        for name, plan in self.plans.items():
            outputs += [layout.MANYBODY_RESULT.format(name=name), layout.SUMMARY.format(name=name)]
            outputs += [layout.LEVEL_RESULT.format(name=name, level=level) for level in plan.level_numbers]
            outputs += self.verification(name, verify)
        if self.geometries_of:
            outputs.append(layout.GEOMETRIES_TABLE.format(name=self.geometries_of))
        return outputs
