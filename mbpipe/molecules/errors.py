"""The one error the molecule readers raise."""

from __future__ import annotations


class MoleculeError(ValueError):
    """A molecule file, or the fragments and charges asked of it, cannot make a many-body input.
    Each problem names the file, the place in it and the fix; the config checks list them as they are."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
