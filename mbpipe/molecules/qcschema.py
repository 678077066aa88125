"""QCSchema molecule JSON of either version in use: schema_version 2, as QCElemental's v1 models,
QCFractal and most published data write it, and 3, as its v2 models (which mbpipe computes with) do.

QCElemental builds each version with its own model and converts version 2 to 3 itself
(`Molecule.convert_v`), so a file means exactly what it meant to the program that wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mbpipe.molecules.errors import MoleculeError

VERSIONS = {2: "QCElemental's v1 models", 3: "QCElemental's v2 models"}


def read_schema_molecule(path: Path) -> dict[str, Any]:
    """The QCSchema molecule in the JSON file *path*, as a dict; its schema_version is 2 or 3
    (3 where the file gives none, as QCElemental assumes)."""
    from qcelemental.util import deserialize

    try:
        data = deserialize(path.read_text(), "json-ext")
    except ValueError as err:
        raise MoleculeError([f"{path} is not JSON ({err}); give a QCSchema molecule JSON or an XYZ file"]) from None
    name = data.get("schema_name", "qcschema_molecule") if isinstance(data, dict) else type(data).__name__
    if name != "qcschema_molecule":
        raise MoleculeError(
            [f"{path} holds a {name}, not a QCSchema molecule (schema_name qcschema_molecule); a whole "
             "ManyBodyInput goes under `input:` instead of `molecule:`"]
        )  # fmt: skip
    data.setdefault("schema_version", 3)
    if data["schema_version"] not in VERSIONS:
        readable = "; ".join(f"{v} ({models})" for v, models in VERSIONS.items())
        raise MoleculeError(
            [f"{path} has schema_version {data['schema_version']!r}; mbpipe reads QCSchema molecules of version "
             f"{readable}: write it out again with QCElemental"]
        )  # fmt: skip
    if not all(data.get("real", ())):
        ghosts = [i + 1 for i, real in enumerate(data["real"]) if not real]
        raise MoleculeError(
            [f"{path} has ghost atoms (`real` false for atoms {', '.join(map(str, ghosts))}); a many-body input holds "
             "real atoms only and the pipeline places ghosts itself: remove them"]
        )  # fmt: skip
    return data


def molecule_from_schema(data: dict[str, Any], where: str):
    """The qcelemental.models.v2.Molecule that *data* (a QCSchema molecule of version 2 or 3) describes."""
    from qcelemental.exceptions import ValidationError
    from qcelemental.models import v1, v2

    try:
        if data["schema_version"] == 2:
            return v1.Molecule(validate=True, **data).convert_v(2)
        return v2.Molecule(validate=True, **data)
    except (ValidationError, ValueError) as err:  # pydantic's errors are ValueErrors
        raise MoleculeError(
            [f"{where} is not a QCSchema molecule QCElemental accepts (schema_version {data['schema_version']}): {err}"]
        ) from None
