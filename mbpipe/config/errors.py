"""The error every refusal of a run's input raises: one message listing each problem and its fix."""

from __future__ import annotations


class ConfigError(ValueError):
    """The run's input cannot be computed; the message names each problem and its fix."""

    def __init__(self, problems: list[str], source: str = "config"):
        self.problems = problems
        super().__init__(f"{source} cannot be run:\n" + "\n".join(f"  - {p}" for p in problems))
