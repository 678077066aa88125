"""The files each rule of a run reads and writes: what Snakemake's input functions return.

Level k's fragments wait for level k-1's gate; a result through level k waits for the gates of every
level up to k; the run is done when its final outputs exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from mbpipe.base import layout
from mbpipe.pipeline.fragment import result_is_current
from mbpipe.pipeline.plan import Plan


@dataclass(frozen=True)
class RunFiles:
    plan: Plan

    @property
    def name(self) -> str:
        return self.plan.name

    def pattern(self, pattern: str) -> str:
        """A layout pattern with this run's name and Snakemake's wildcards."""
        return layout.wildcard_pattern(pattern, self.name)

    def file(self, pattern: str, **fields) -> str:
        return pattern.format(name=self.name, **fields)

    def plot(self, file_name: str) -> str:
        return f"{self.file(layout.PLOTS)}/{file_name}"

    def previous_gate(self, level: int, label: str) -> tuple[str | None, bool]:
        """The gate fragment *label* of *level* waits for (None on the first level), and whether the
        fragment's result is current for its input.  A current result takes the gate as `ancient`:
        a lower level's gate rewritten (a recomputed or newly planned fragment there) then leaves it
        alone, while every fragment that does run waits for the gate."""
        previous = self.plan.previous_level(level)
        if previous is None:
            return None, False
        fields = {"level": level, "label": label}
        current = result_is_current(
            self.file(layout.FRAGMENT_INPUT, **fields), self.file(layout.FRAGMENT_RESULT, **fields)
        )
        return self.file(layout.LEVEL_GATE, level=previous), current

    def fragment_results(self, level: int) -> list[str]:
        return [self.file(layout.FRAGMENT_RESULT, level=level, label=label) for label in self.plan.labels(level)]

    def gates_through(self, level: int) -> list[str]:
        """The gates of every level up to *level*: a result through level k uses all their fragments,
        and a recomputed fragment of a lower level rewrites only its own level's gate."""
        return [self.file(layout.LEVEL_GATE, level=k) for k in self.plan.level_numbers if k <= level]

    def all_gates(self) -> list[str]:
        return self.gates_through(self.plan.last_level)

    def verification(self, verify: str) -> list[str]:
        """The verification to make and tabulate; none when the config turns verification off."""
        return [self.file(layout.VERIFICATION)] if verify == "sequential" else []

    def verify_outputs(self) -> dict[str, str]:
        """The verify rule's files: the verification, and the sequential result it compared with,
        which a screened run (QCManyBody's sequential computer knows no screening) does not have."""
        outputs = {"verification": self.file(layout.VERIFICATION)}
        if not self.plan.screens:
            outputs["sequential"] = self.file(layout.SEQUENTIAL_RESULT)
        return outputs

    def final_outputs(self, verify: str) -> list[str]:
        outputs = [self.file(layout.MANYBODY_RESULT), self.file(layout.SUMMARY)]
        outputs += [self.file(layout.LEVEL_RESULT, level=level) for level in self.plan.level_numbers]
        return outputs + self.verification(verify)
