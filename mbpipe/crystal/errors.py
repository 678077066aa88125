"""The error a crystal that cannot be used raises: one sentence per problem, each naming the file and the fix."""

from __future__ import annotations


class CrystalError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
