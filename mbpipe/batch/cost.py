"""A simple cost model for fragment calculations: basis functions and the method's scaling.

Used to size cluster jobs, to order and bundle them, and to preview a plan.  It is an estimate, not
a timing: seconds = program start-up + c * (nbasis / 100) ** p, with p the method's formal scaling.
"""

from __future__ import annotations

import re

# Contracted basis functions per atom (H-He, Li-Ne, Na-Ar), spherical where the basis is.
BASIS_FUNCTIONS = {
    "sto-3g": (1, 5, 9),
    "3-21g": (2, 9, 13),
    "6-31g": (2, 9, 13),
    "6-31g*": (2, 15, 19),
    "6-31g**": (5, 15, 19),
    "6-311g**": (6, 18, 22),
    "cc-pvdz": (5, 14, 18),
    "cc-pvtz": (14, 30, 34),
    "cc-pvqz": (30, 55, 59),
    "aug-cc-pvdz": (9, 23, 27),
    "aug-cc-pvtz": (23, 46, 50),
    "def2-svp": (5, 14, 18),
    "def2-tzvp": (6, 31, 37),
}
# Minimal-basis count for semiempirical methods, which have no basis set name.
_MINIMAL = (1, 4, 9)

# Formal scaling exponent with system size.
METHOD_SCALING = [
    (r"ccsd\(t\)", 7),
    (r"ccsd", 6),
    (r"mp3|cisd", 6),
    (r"mp2", 5),
    (r"^pm\d|^am1|^mndo|^rm1|^pm3", 2),
]
_DEFAULT_SCALING = 3  # SCF: HF and DFT in practice

STARTUP_SECONDS = 0.4
# Measured: NWChem 7.0 (Debian 12, Open MPI) needs about 2 s for an HF/STO-3G water monomer, nearly
# all of it start-up; without this a bundle of small NWChem fragments would be sized 5 times too short.
PROGRAM_STARTUP_SECONDS = {"nwchem": 2.0}
SECONDS_PER_100_FUNCTIONS = 1.0


def _row(atomic_number: int) -> int:
    return 0 if atomic_number <= 2 else 1 if atomic_number <= 10 else 2


def nbasis(atomic_input) -> int:
    """Basis functions of a fragment calculation, ghost atoms included (their functions are there)."""
    basis = (atomic_input.specification.model.basis or "").lower()
    per_row = BASIS_FUNCTIONS.get(basis, _MINIMAL if not basis else BASIS_FUNCTIONS["cc-pvdz"])
    return sum(per_row[_row(int(z))] for z in atomic_input.molecule.atomic_numbers)


def scaling_exponent(method: str) -> int:
    method = method.lower()
    for pattern, exponent in METHOD_SCALING:
        if re.search(pattern, method):
            return exponent
    return _DEFAULT_SCALING


def estimated_seconds(atomic_input) -> float:
    exponent = scaling_exponent(atomic_input.specification.model.method)
    startup = PROGRAM_STARTUP_SECONDS.get(atomic_input.specification.program.lower(), STARTUP_SECONDS)
    return startup + SECONDS_PER_100_FUNCTIONS * (nbasis(atomic_input) / 100) ** exponent
