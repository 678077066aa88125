"""Reading the molecular cluster: an XYZ file with ``--`` lines between fragments, or QCSchema JSON."""

from __future__ import annotations

from pathlib import Path

from qcelemental.models.v2 import Molecule


def read_molecule(path: str | Path) -> Molecule:
    """Read a fragmented cluster.

    ``.json`` files hold a QCSchema molecule.  Anything else is read as XYZ text in Angstrom, in the
    form QCElemental's ``Molecule.from_data`` accepts: fragments separated by ``--`` lines, each
    optionally opening with a ``charge multiplicity`` line.  A standard XYZ header (atom count and a
    comment line) is skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"molecule file {path} does not exist; set `molecule:` to an XYZ or QCSchema JSON file")
    if path.suffix.lower() == ".json":
        return Molecule.from_file(str(path), dtype="json")
    lines = path.read_text().splitlines()
    if lines and lines[0].strip().isdigit():
        lines = lines[2:]
    return Molecule.from_data("\n".join(lines), dtype="psi4", name=path.stem)
