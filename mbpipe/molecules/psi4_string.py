"""Psi4's molecule strings, the form QCManyBody's and Psi4's own examples are in: atoms in Angstrom or
bohr (`units bohr`), fragments between `--` lines with optional `charge multiplicity` lines, and the
directives `no_com`, `no_reorient`, `symmetry c1`.  A file may hold the string alone or a whole Psi4
input, whose first `molecule name { ... }` block is read.

QCElemental's own parser reads the string (`qcelemental.molparse.from_string`, as
`Molecule.from_data` does), so that a file means here what it means to Psi4 and QCManyBody; the charges
the file states, and only those, go on to mbpipe's checks (see `charges`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from mbpipe.base.units import ANGSTROM_TO_BOHR
from mbpipe.molecules.errors import MoleculeError

# A line that only a Psi4 string has: XYZ text has none of these.
_DIRECTIVE = re.compile(
    r"^\s*(units?\s+(bohr|au|a\.u\.|ang|angstrom)|no_?com|no_?reorient|symmetry\s+\w+|pubchem\s*:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_GHOST = re.compile(r"^\s*(@[A-Za-z]|gh\()", re.IGNORECASE | re.MULTILINE)
_MOLECULE_BLOCK = re.compile(r"^\s*molecule\b[^{\n]*\{(.*?)^\s*\}", re.IGNORECASE | re.MULTILINE | re.DOTALL)


def is_psi4_string(text: str) -> bool:
    """Whether *text* is a Psi4 molecule string (or input) rather than XYZ text."""
    return bool(_MOLECULE_BLOCK.search(text) or _DIRECTIVE.search(text) or _GHOST.search(text))


def read_psi4_string(text: str, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(QCSchema molecule dict, schema_version 3, geometry in bohr; what the string states of charges
    and multiplicities: `fragment_charges`, `fragment_multiplicities` with None where it says nothing,
    `molecular_charge`, `molecular_multiplicity`).  *source* names the file in messages."""
    from qcelemental import molparse
    from qcelemental.exceptions import MoleculeFormatError, ValidationError

    block = _MOLECULE_BLOCK.search(text)
    if block:
        text = block.group(1)
    if _GHOST.search(text):
        raise MoleculeError(
            [f"{source} has ghost atoms (`@X` or `Gh(X)`); the many-body expansion places the ghost atoms each "
             "calculation needs itself (bsse_type cp or vmfc): give every atom as a real one"]
        )  # fmt: skip
    try:
        record, stated = molparse.from_string(text, dtype="psi4", return_processed=True)
    except (MoleculeFormatError, ValidationError) as err:
        raise MoleculeError([f"{source} is not a molecule Psi4 reads: {err}"]) from None
    molecule = record["qm"]
    to_bohr = 1.0 if molecule["units"] == "Bohr" else ANGSTROM_TO_BOHR
    bounds = [0, *molecule["fragment_separators"], len(molecule["elem"])]
    data = {
        "schema_name": "qcschema_molecule",
        "schema_version": 3,
        "symbols": [str(symbol) for symbol in molecule["elem"]],
        "geometry": np.asarray(molecule["geom"], dtype=float) * to_bohr,
        "fragments": [list(range(start, end)) for start, end in zip(bounds, bounds[1:], strict=False)],
        "fix_com": molecule["fix_com"],
        "fix_orientation": molecule["fix_orientation"],
    }
    if "fix_symmetry" in molecule:
        data["fix_symmetry"] = molecule["fix_symmetry"]
    return data, {
        key: stated.get(key)
        for key in ("fragment_charges", "fragment_multiplicities", "molecular_charge", "molecular_multiplicity")
    }
