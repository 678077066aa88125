"""XYZ text as chemists have it, from a structure database, an optimiser, an MD trajectory or by hand.

A file holds one geometry, or several one after another.  Each geometry may open with an atom-count
line and a comment line (several geometries must, or we could not tell where one ends).  Fragments
may be separated by ``--`` lines, each fragment optionally opening with a ``charge multiplicity``
line, the convention QCElemental's Psi4-style reader follows.  Atom lines are ``symbol x y z`` in
Angstrom, or ``Z x y z`` with the atomic number, as several MD and QC programs write them; numbers in
any float notation, Fortran's ``1.0D-02`` included; symbols in any case; further columns (extended
XYZ's forces or velocities) are ignored.  A byte-order mark (Windows editors save UTF-8 with one),
Windows line ends and tabs are read as what they stand for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from mbpipe.molecules.errors import MoleculeError

ATOM_LINE = "`symbol x y z` (Angstrom)"
_CHARGE_MULTIPLICITY = re.compile(r"^([+-]?\d+)\s+([+-]?\d+)$")
# Fortran writes double-precision exponents with D; Python's float() knows only E.
_FORTRAN_EXPONENT = str.maketrans("Dd", "Ee")


@dataclass(frozen=True)
class XyzFragment:
    line: int  # where the fragment opens in the file, for messages
    atoms: range  # indices into its geometry's atoms
    charge: int | None  # from its `charge multiplicity` line, None without one
    multiplicity: int | None


@dataclass(frozen=True)
class XyzGeometry:
    frame: int  # 0-based position in the file
    line: int  # where the geometry opens in the file
    comment: str | None  # the line after the atom count; None in a file without count lines
    symbols: tuple[str, ...]  # element symbols as QCElemental spells them
    coordinates: np.ndarray  # (atoms, 3), Angstrom
    fragments: tuple[XyzFragment, ...]  # one, unless the file has `--` lines


def parse_xyz(text: str, source: str) -> list[XyzGeometry]:
    """Every geometry of an XYZ text, in file order.  *source* names the file in error messages."""
    lines = list(enumerate(text.removeprefix("\ufeff").splitlines(), start=1))
    position = _next_filled(lines, 0)
    if position is None:
        raise MoleculeError([f"{source} is empty; give one {ATOM_LINE} line per atom"])
    if _atom_count(lines[position][1]) is None:
        return [_read_atoms(lines, position, frame=0, count=None, comment=None, source=source)[0]]
    geometries = []
    while position is not None:
        number, line = lines[position]
        count = _atom_count(line)
        if count is None:
            raise MoleculeError([_not_a_count(geometries[-1], number, line, source)])
        if position + 1 == len(lines):
            raise MoleculeError(
                [f"{source} line {number}: the atom count {count} has no comment line after it; a geometry is an "
                 "atom-count line, a comment line (it may be empty), then one line per atom"]
            )  # fmt: skip
        comment = lines[position + 1][1].strip()
        geometry, position = _read_atoms(lines, position + 2, len(geometries), count, comment, source)
        geometries.append(geometry)
        position = _next_filled(lines, position)
    return geometries


def _read_atoms(lines, position, frame, count, comment, source) -> tuple[XyzGeometry, int]:
    """The atoms of one geometry from *position*: *count* of them, or all to the end of the text
    when the file gives no count.  Returns the geometry and the position after it."""
    opening = lines[position - 2][0] if count is not None else lines[position][0]
    symbols: list[str] = []
    coordinates: list[tuple[float, float, float]] = []
    fragments: list[XyzFragment] = []
    fragment_line, first, charge, multiplicity = opening, 0, None, None
    while position < len(lines) and (count is None or len(symbols) < count):
        number, line = lines[position]
        position += 1
        fields = line.split()
        if not fields:
            continue
        if fields == ["--"]:
            if first == len(symbols):
                raise MoleculeError([_empty_fragment(source, number, len(fragments) + 1)])
            fragments.append(XyzFragment(fragment_line, range(first, len(symbols)), charge, multiplicity))
            fragment_line, first, charge, multiplicity = number + 1, len(symbols), None, None
        elif match := _CHARGE_MULTIPLICITY.match(line.strip()):
            if first != len(symbols) or charge is not None:
                raise MoleculeError(
                    [f"{source} line {number}: a `charge multiplicity` line opens its fragment (at the top, or right "
                     "after `--`); move it there, or remove it"]
                )  # fmt: skip
            charge, multiplicity = int(match[1]), int(match[2])
        elif count is not None and _atom_count(line) is not None:
            raise MoleculeError(
                [f"{source} line {number} opens another geometry, but geometry {frame} (line {opening}) declares "
                 f"{count} atoms and has only {len(symbols)}; correct its atom count"]
            )  # fmt: skip
        else:
            symbol, xyz = _atom(fields, number, line, source)
            symbols.append(symbol)
            coordinates.append(xyz)
    if count is not None and len(symbols) < count:
        raise MoleculeError(
            [f"{source} ends after {len(symbols)} atoms of geometry {frame}, whose count line (line {opening}) "
             f"declares {count}; correct the count or add the missing atoms"]
        )  # fmt: skip
    if not symbols:
        raise MoleculeError(
            [f"{source} holds no atoms (geometry {frame}, line {opening}); give one {ATOM_LINE} line per atom"]
        )
    if first == len(symbols):
        raise MoleculeError([_empty_fragment(source, fragment_line - 1, len(fragments) + 1)])
    fragments.append(XyzFragment(fragment_line, range(first, len(symbols)), charge, multiplicity))
    geometry = XyzGeometry(frame, opening, comment, tuple(symbols), np.array(coordinates), tuple(fragments))
    return geometry, position


def _atom(fields: list[str], number: int, line: str, source: str) -> tuple[str, tuple[float, float, float]]:
    from qcelemental import periodictable
    from qcelemental.exceptions import NotAnElementError

    if len(fields) < 4:
        raise MoleculeError(
            [f"{source} line {number}: {line.strip()!r} is not an atom ({ATOM_LINE}), `--` or `charge multiplicity`"]
        )
    symbol = fields[0]
    if symbol.isdigit():
        return _element_numbered(int(symbol), number, source), tuple(_number(t, number, source) for t in fields[1:4])
    try:
        element = periodictable.to_E(symbol) if symbol.isalpha() else None
    except NotAnElementError:
        element = None
    # to_E also takes D and T (for H) and X (a dummy atom), which would lose what the file meant.
    if element is None or element.lower() != symbol.lower() or element == "X":
        raise MoleculeError(
            [f"{source} line {number}: {symbol!r} is not an element symbol; write the element (O, H, Cl, ...) first "
             "on each atom line"]
        )  # fmt: skip
    return element, tuple(_number(token, number, source) for token in fields[1:4])


def _element_numbered(atomic_number: int, number: int, source: str) -> str:
    from qcelemental import periodictable
    from qcelemental.exceptions import NotAnElementError

    try:
        if atomic_number > 0:
            return periodictable.to_E(atomic_number)
    except NotAnElementError:
        pass
    raise MoleculeError(
        [f"{source} line {number}: {atomic_number} is not an atomic number (1 to 118); write the element's "
         "symbol or atomic number first on each atom line"]
    )  # fmt: skip


def _number(token: str, number: int, source: str) -> float:
    try:
        value = float(token.translate(_FORTRAN_EXPONENT))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise MoleculeError(
            [f"{source} line {number}: the coordinate {token!r} is not a number; write e.g. 1.5, -2.0E-01 or 2.0D-01"]
        )
    return value


def _atom_count(line: str) -> int | None:
    text = line.strip()
    return int(text) if text.isdigit() else None


def _next_filled(lines, position: int) -> int | None:
    return next((i for i in range(position, len(lines)) if lines[i][1].strip()), None)


def _not_a_count(previous: XyzGeometry, number: int, line: str, source: str) -> str:
    if len(line.split()) >= 4:
        return (
            f"{source} line {number} holds an atom beyond the {len(previous.symbols)} that geometry {previous.frame} "
            f"(line {previous.line}) declares; correct its atom count"
        )
    return (
        f"{source} line {number}: {line.strip()!r} follows geometry {previous.frame} where the atom count of the "
        "next geometry, or the end of the file, should be; remove it, or correct the atom count above"
    )


def _empty_fragment(source: str, number: int, fragment: int) -> str:
    return (
        f"{source} line {number}: fragment {fragment} has no atoms; `--` goes between two fragments' atoms, "
        "never first, last or twice in a row"
    )
