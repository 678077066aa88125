"""The cluster a run computes, from the molecule file a chemist already has.

`.json` files hold a QCSchema molecule (schema_version 2 or 3); other files are a Psi4 molecule
string (see `psi4_string`) where they have its directives or a `molecule { }` block, else XYZ text
(see `xyz`).  The fragments are the file's (`--` lines, or the JSON's `fragments`) or, with
`fragmentation: connectivity`, the covalently bonded groups; every fragment's charge and
multiplicity is set before QCElemental builds the molecule (see `charges`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mbpipe.base.units import ANGSTROM_TO_BOHR
from mbpipe.molecules.errors import MoleculeError

FRAGMENTATIONS = ("separators", "connectivity")


@dataclass(frozen=True)
class FragmentInfo:
    formula: str
    atoms: tuple[int, ...]  # 0-based positions of its atoms in the file
    charge: int
    multiplicity: int


@dataclass(frozen=True)
class ClusterInfo:
    """What was read, for a person to check before anything runs."""

    path: str
    frame: int | None  # the geometry read from a file of several; None for a file of one
    frames: int  # how many geometries the file holds
    comment: str | None  # the XYZ comment line (e.g. an energy from a database)
    fragmentation: str
    fragments: tuple[FragmentInfo, ...]
    reordered: bool  # the molecule lists the atoms fragment by fragment, not in file order


@dataclass(frozen=True)
class _Source:
    """One geometry of a file as a QCSchema molecule dict, and what the file states about charges:
    per fragment (None where it says nothing) and for the whole molecule."""

    data: dict[str, Any]
    charges: list[int | None]
    multiplicities: list[int | None]
    total_charge: int | None
    total_multiplicity: int | None
    frame: int | None
    frames: int
    comment: str | None


def read_cluster(
    path: str | Path,
    frame: int | None = None,
    fragmentation: str = "separators",
    fragment_charges: Sequence[int] | None = None,
    fragment_multiplicities: Sequence[int] | None = None,
):
    """The fragmented cluster in *path* as a qcelemental.models.v2.Molecule, and a ClusterInfo.

    *frame* (0-based) picks one geometry of a file that holds several, and is required there;
    *fragment_charges* / *fragment_multiplicities* (one per fragment) override the file's.
    Raises MoleculeError naming the file, the place and the fix.
    """
    path = Path(path)
    sources = _sources(path)
    frames = len(sources)
    if frame is None and frames > 1:
        raise MoleculeError(
            [f"`molecule` {path} holds {frames} geometries; set `frame` to the one to compute (0 to {frames - 1})"]
        )
    if frame is not None and not 0 <= frame < frames:
        held = f"{frames} geometries; use 0 to {frames - 1}" if frames > 1 else "1 geometry; use 0, or leave it out"
        raise MoleculeError([f"`frame` is {frame} but `molecule` {path} holds {held}"])
    return _cluster(sources[frame or 0], path, fragmentation, fragment_charges, fragment_multiplicities)


def read_geometries(
    path: str | Path,
    fragmentation: str = "separators",
    fragment_charges: Sequence[int] | None = None,
    fragment_multiplicities: Sequence[int] | None = None,
) -> list[tuple[Any, ClusterInfo]]:
    """Every geometry in *path*, each read as `read_cluster` reads one."""
    path = Path(path)
    return [
        _cluster(source, path, fragmentation, fragment_charges, fragment_multiplicities) for source in _sources(path)
    ]


def count_geometries(path: str | Path) -> int:
    """How many geometries *path* holds (a QCSchema JSON file holds one)."""
    return len(_sources(Path(path)))


def _sources(path: Path) -> list[_Source]:
    if not path.is_file():
        raise MoleculeError(
            [f"`molecule`: the file {path} does not exist; give the path of an XYZ or QCSchema JSON file"]
        )
    if path.suffix.lower() == ".json":
        return [_json_source(path)]
    from mbpipe.molecules.psi4_string import is_psi4_string

    if is_psi4_string(path.read_text()):
        return [_psi4_source(path)]
    return _xyz_sources(path)


def _psi4_source(path: Path) -> _Source:
    from mbpipe.molecules.psi4_string import read_psi4_string

    data, stated = read_psi4_string(path.read_text(), f"`molecule` {path}")
    data["name"] = path.stem
    nfragments = len(data["fragments"])
    return _Source(
        data,
        list(stated["fragment_charges"] or [None] * nfragments),
        list(stated["fragment_multiplicities"] or [None] * nfragments),
        stated["molecular_charge"],
        stated["molecular_multiplicity"],
        frame=None,
        frames=1,
        comment=None,
    )


def _xyz_sources(path: Path) -> list[_Source]:
    from mbpipe.molecules.xyz import parse_xyz

    geometries = parse_xyz(path.read_text(), f"`molecule` {path}")
    sources = []
    for geometry in geometries:
        several = len(geometries) > 1
        data = {
            "schema_name": "qcschema_molecule",
            "schema_version": 3,
            "name": f"{path.stem}-frame{geometry.frame}" if several else path.stem,
            "symbols": list(geometry.symbols),
            "geometry": geometry.coordinates * ANGSTROM_TO_BOHR,
            "fragments": [list(fragment.atoms) for fragment in geometry.fragments],
        }
        if geometry.comment:
            data["comment"] = geometry.comment
        charges = [fragment.charge for fragment in geometry.fragments]
        multiplicities = [fragment.multiplicity for fragment in geometry.fragments]
        frame = geometry.frame if several else None
        sources.append(_Source(data, charges, multiplicities, None, None, frame, len(geometries), geometry.comment))
    return sources


def _json_source(path: Path) -> _Source:
    from mbpipe.molecules.qcschema import read_schema_molecule

    data = read_schema_molecule(path)
    nfragments = len(data.get("fragments") or [None])
    total_charge, total_multiplicity = data.get("molecular_charge"), data.get("molecular_multiplicity")
    charges, multiplicities = data.get("fragment_charges"), data.get("fragment_multiplicities")
    # A molecule of one fragment states that fragment's charge in its total.
    if nfragments == 1:
        charges = charges or [total_charge]
        multiplicities = multiplicities or [total_multiplicity]
    for key, values in (("fragment_charges", charges), ("fragment_multiplicities", multiplicities)):
        if values is not None and len(values) != nfragments:
            raise MoleculeError(
                [f"`molecule` {path} gives {len(values)} {key} for {nfragments} fragments; give one per fragment"]
            )
    return _Source(
        data,
        list(charges or [None] * nfragments),
        list(multiplicities or [None] * nfragments),
        total_charge,
        total_multiplicity,
        frame=None,
        frames=1,
        comment=None,
    )


def _cluster(source: _Source, path: Path, fragmentation: str, fragment_charges, fragment_multiplicities):
    from qcelemental import periodictable

    from mbpipe.molecules.charges import assign_charges
    from mbpipe.molecules.fragmentation import connected_fragments, with_fragments
    from mbpipe.molecules.qcschema import molecule_from_schema

    if fragmentation not in FRAGMENTATIONS:
        raise MoleculeError([f"`fragmentation` is {fragmentation!r}; use one of {', '.join(FRAGMENTATIONS)}"])
    where = f"`molecule` {path}" + (f" geometry {source.frame}" if source.frame is not None else "")
    data = source.data
    symbols = [periodictable.to_E(symbol) for symbol in data["symbols"]]
    groups = [[int(i) for i in group] for group in data.get("fragments") or [range(len(symbols))]]
    stated = {
        "stated_charges": source.charges,
        "stated_multiplicities": source.multiplicities,
        "total_charge": source.total_charge,
        "total_multiplicity": source.total_multiplicity,
    }
    if fragmentation == "connectivity":
        if len(groups) > 1:
            raise MoleculeError(
                [f"{where} names its own {len(groups)} fragments (`--` lines, or `fragments` in JSON); drop "
                 "`fragmentation: connectivity` to use them, or remove them from the file"]
            )  # fmt: skip
        # What the file states for its one fragment, it states for the whole cluster.
        stated = {"total_charge": source.charges[0], "total_multiplicity": source.multiplicities[0]}
        groups = connected_fragments(symbols, np.reshape(data["geometry"], (-1, 3)), where)

    charges = assign_charges(
        [[symbols[i] for i in group] for group in groups],
        where,
        charges=fragment_charges,
        multiplicities=fragment_multiplicities,
        **stated,
    )
    data, reordered = with_fragments(data, groups)
    data.update(
        fragment_charges=charges.fragment_charges,
        fragment_multiplicities=charges.fragment_multiplicities,
        molecular_charge=charges.molecular_charge,
        molecular_multiplicity=charges.molecular_multiplicity,
    )
    # No point group: QCManyBody passes it to every fragment, and NWChem otherwise finds the mirror plane
    # of a symmetric fragment with ghost atoms and reflects it, which QCEngine does not undo in the
    # gradients and Hessians it returns.
    data.setdefault("fix_symmetry", "c1")
    molecule = molecule_from_schema(data, where)
    fragments = describe_fragments(molecule, file_atoms=groups)
    info = ClusterInfo(str(path), source.frame, source.frames, source.comment, fragmentation, fragments, reordered)
    return molecule, info


def describe_fragments(molecule, file_atoms: list[list[int]] | None = None) -> tuple[FragmentInfo, ...]:
    """Formula, atoms, charge and multiplicity of each fragment of *molecule*; the atoms as
    *file_atoms* numbers them (each fragment's positions in the file), else as the molecule does."""
    from qcelemental.molutil import molecular_formula_from_symbols

    fragments = [[int(i) for i in fragment] for fragment in molecule.fragments]
    return tuple(
        FragmentInfo(
            molecular_formula_from_symbols([molecule.symbols[i] for i in fragment], order="hill"),
            tuple(atoms),
            int(charge),
            int(multiplicity),
        )
        for fragment, atoms, charge, multiplicity in zip(
            fragments,
            file_atoms or fragments,
            molecule.fragment_charges,
            molecule.fragment_multiplicities,
            strict=True,
        )
    )
