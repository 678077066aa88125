"""A molecular crystal from a CIF: the unit cell, its molecules made whole, and the reference molecules.

gemmi reads the CIF (`gemmi.make_small_structure_from_block`): a maintained C++ library with Python
wheels that parses the CIF syntax strictly, knows every space-group setting (from the symmetry
operations, the Hall symbol or the Hermann-Mauguin name, in that order) and expands the asymmetric
unit to the unit cell.  What it leaves to us: deciding the file is fit for a lattice energy (ordered,
fully occupied, hydrogens present), joining atoms into molecules across the cell's faces by
connectivity, and choosing one reference molecule per set of symmetry-equivalent molecules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mbpipe.crystal.errors import CrystalError

# Two atoms are bonded when closer than this times the sum of their covalent radii: QCElemental's
# `guess_connectivity` rule, which `fragmentation: connectivity` uses for clusters.
BOND_FACTOR = 1.2
# Symmetry images of one site closer than this (Angstrom) are one atom: a CIF may list both halves of
# a molecule that sits on an inversion centre.
SAME_ATOM_ANGSTROM = 0.05
# A symmetry operation maps a molecule's centre of mass onto another's within this (Angstrom).
SAME_CENTRE_ANGSTROM = 0.01
_HYDROGEN_IN_FORMULA = re.compile(r"(?<![A-Za-z])H(?![a-z])")


@dataclass(frozen=True)
class CellMolecule:
    symbols: tuple[str, ...]
    fractional: np.ndarray  # (atoms, 3), whole: bonded atoms side by side, centre of mass in the cell


@dataclass(frozen=True)
class Crystal:
    path: str
    space_group: str
    lattice: np.ndarray  # (3, 3) Angstrom, the rows are the cell vectors a, b, c
    molecules: tuple[CellMolecule, ...]  # the Z molecules of one unit cell
    orbit: tuple[int, ...]  # each molecule's reference: the first molecule symmetry-equivalent to it

    @property
    def references(self) -> list[int]:
        """One molecule per set of symmetry-equivalent molecules (Z' of them)."""
        return sorted(set(self.orbit))

    def orbit_size(self, reference: int) -> int:
        return self.orbit.count(reference)

    def cartesian(self, molecule: int, translation=(0, 0, 0)) -> np.ndarray:
        """Atoms of cell molecule *molecule* moved by the lattice *translation*, in Angstrom."""
        return (self.molecules[molecule].fractional + np.asarray(translation)) @ self.lattice


def read_crystal(path: str | Path) -> Crystal:
    """The crystal in the CIF at *path*; CrystalError naming the file and the fix when it cannot be used."""
    import gemmi

    path = Path(path)
    if not path.is_file():
        raise CrystalError([f"`crystal`: the file {path} does not exist; give the path of a CIF file"])
    try:
        block = gemmi.cif.read(str(path)).sole_block()
    except (RuntimeError, ValueError) as err:
        raise CrystalError([f"`crystal` {path} is not a readable CIF file of one data block: {err}"]) from None
    small = gemmi.make_small_structure_from_block(block)
    _refuse_unusable(path, block, small)
    lattice = np.array(small.cell.orth.mat.tolist()).T
    symbols, fractional = _unit_cell_atoms(path, small, lattice)
    molecules = _whole_molecules(path, symbols, fractional, lattice)
    _refuse_missing_hydrogens(path, block, molecules)
    orbit = _orbits(path, molecules, lattice, small.spacegroup.operations())
    return Crystal(str(path), small.spacegroup.hm, lattice, tuple(molecules), tuple(orbit))


def _refuse_unusable(path: Path, block, small) -> None:
    problems = []
    if small.spacegroup is None:
        problems.append(
            f"`crystal` {path} has no symmetry: no `_space_group_symop_operation_xyz` (or "
            "`_symmetry_equiv_pos_as_xyz`) loop, Hall symbol or space-group name; add the symmetry block the "
            "structure was refined in (for a structure already expanded to the whole cell, `_symmetry_space_group_"
            "name_H-M 'P 1'`)"
        )
    if not small.sites:
        problems.append(f"`crystal` {path} has no `_atom_site_fract_x/y/z` loop; give a CIF with atom sites")
    partial = [site.label for site in small.sites if abs(site.occ - 1.0) > 1e-6]
    if partial:
        problems.append(
            f"`crystal` {path}: the sites {', '.join(partial[:6])} are partly occupied (occupancy "
            f"{small.sites[[s.label for s in small.sites].index(partial[0])].occ:g}); a lattice energy needs one "
            "ordered structure: pick one configuration (an ordered model, or one disorder component with its "
            "occupancies set to 1) and give that CIF"
        )
    groups = [value for value in block.find_values("_atom_site_disorder_group") if value not in (".", "?")]
    if groups:
        problems.append(
            f"`crystal` {path} marks disorder (`_atom_site_disorder_group` {', '.join(sorted(set(groups)))}); "
            "keep one disorder component, remove the others and the disorder column, and give that CIF"
        )
    if problems:
        raise CrystalError(problems)


def _unit_cell_atoms(path: Path, small, lattice: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Every atom of one unit cell (fractional coordinates in [0, 1)), symmetry duplicates merged."""
    sites = small.get_all_unit_cell_sites()
    symbols = [site.element.name for site in sites]
    fractional = np.array([[site.fract.x, site.fract.y, site.fract.z] for site in sites]) % 1.0
    kept: list[int] = []
    for i in range(len(sites)):
        same = [j for j in kept if _periodic_distance(fractional[i], fractional[j], lattice) < SAME_ATOM_ANGSTROM]
        if not same:
            kept.append(i)
        elif symbols[same[0]] != symbols[i]:
            raise CrystalError(
                [f"`crystal` {path}: sites {sites[same[0]].label} ({symbols[same[0]]}) and {sites[i].label} "
                 f"({symbols[i]}) fall on one place in the cell; check the coordinates and the symmetry operations"]
            )  # fmt: skip
    return [symbols[i] for i in kept], fractional[kept]


def _periodic_distance(a: np.ndarray, b: np.ndarray, lattice: np.ndarray) -> float:
    delta = (a - b) - np.round(a - b)
    return float(np.min(np.linalg.norm((delta + _NEIGHBOUR_SHIFTS) @ lattice, axis=1)))


_NEIGHBOUR_SHIFTS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], dtype=float)


def _whole_molecules(path: Path, symbols: list[str], fractional: np.ndarray, lattice: np.ndarray):
    """The molecules of the cell: bonded atoms joined across the cell's faces, each molecule placed with
    its centre of mass inside the cell.  A group bonded to its own periodic image is a network solid."""
    from qcelemental import covalentradii

    radii = np.array([covalentradii.get(symbol, units="angstrom") for symbol in symbols])
    bonds = _periodic_bonds(fractional, lattice, radii)
    image = np.full((len(symbols), 3), np.nan)
    molecules = []
    for start in range(len(symbols)):
        if not np.isnan(image[start, 0]):
            continue
        image[start] = 0.0
        members, queue = [start], [start]
        while queue:
            atom = queue.pop()
            for neighbour, shift in bonds[atom]:
                placed = image[atom] + shift
                if np.isnan(image[neighbour, 0]):
                    image[neighbour] = placed
                    members.append(neighbour)
                    queue.append(neighbour)
                elif not np.array_equal(image[neighbour], placed):
                    raise CrystalError(
                        [f"`crystal` {path}: the atoms bonded to atom {neighbour + 1} of the cell "
                         f"({symbols[neighbour]}) reach its own copy in the next cell: a covalent network or "
                         "polymer, not a molecular crystal; a lattice energy from n-mers needs separate molecules"]
                    )  # fmt: skip
        members.sort()
        whole = fractional[members] + image[members]
        molecule_symbols = tuple(symbols[i] for i in members)
        whole -= np.floor(centre_of_mass(molecule_symbols, whole))
        molecules.append(CellMolecule(molecule_symbols, whole))
    return molecules


def _periodic_bonds(fractional: np.ndarray, lattice: np.ndarray, radii: np.ndarray):
    """For each atom, (bonded atom, lattice shift that brings it next to this one) pairs."""
    bonds: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(len(fractional))]
    cartesian = fractional @ lattice
    for shift in _NEIGHBOUR_SHIFTS:
        moved = (fractional + shift) @ lattice
        distances = np.linalg.norm(cartesian[:, None, :] - moved[None, :, :], axis=2)
        limit = BOND_FACTOR * (radii[:, None] + radii[None, :])
        for i, j in zip(*np.nonzero((distances < limit) & (distances > 1e-8)), strict=True):
            bonds[i].append((int(j), shift))
    return bonds


def centre_of_mass(symbols, coordinates: np.ndarray) -> np.ndarray:
    from qcelemental import periodictable

    masses = np.array([periodictable.to_mass(symbol) for symbol in symbols])
    return masses @ coordinates / masses.sum()


def _refuse_missing_hydrogens(path: Path, block, molecules: list[CellMolecule]) -> None:
    """Many X-ray structures leave the hydrogens out; a lattice energy of such a cell is meaningless."""
    has_hydrogen = any("H" in molecule.symbols for molecule in molecules)
    import gemmi

    stated = block.find_value("_chemical_formula_sum") or block.find_value("_chemical_formula_moiety")
    formula = gemmi.cif.as_string(stated) if stated else ""
    bare = sorted({m.symbols[0] for m in molecules if len(m.symbols) == 1 and m.symbols[0] in ("C", "N", "O")})
    if (not has_hydrogen and _HYDROGEN_IN_FORMULA.search(formula)) or bare:
        stated = f" (its formula is {formula.strip()!r})" if formula else ""
        found = f"; it has lone {', '.join(bare)} atoms" if bare else ""
        raise CrystalError(
            [f"`crystal` {path} has no hydrogen atoms{stated}{found}; X-ray structures often omit them: give a CIF "
             "with the hydrogens placed (a neutron structure, or one with riding hydrogens added, e.g. by Mercury or "
             "Olex2)"]
        )  # fmt: skip


def _orbits(path: Path, molecules: list[CellMolecule], lattice: np.ndarray, operations) -> list[int]:
    """For each cell molecule, the first molecule of its set of symmetry-equivalent molecules: the images
    of a molecule under every operation of the space group are its whole set."""
    centres = [centre_of_mass(m.symbols, m.fractional) for m in molecules]
    orbit: list[int | None] = [None] * len(molecules)
    for i, centre in enumerate(centres):
        if orbit[i] is not None:
            continue
        for operation in operations:
            image = np.array(operation.apply_to_xyz(list(centre)))
            j = next(
                (
                    j
                    for j, other in enumerate(centres)
                    if _periodic_distance(image, other, lattice) < SAME_CENTRE_ANGSTROM
                    and sorted(molecules[j].symbols) == sorted(molecules[i].symbols)
                ),
                None,
            )
            if j is None:
                raise CrystalError(
                    [f"`crystal` {path}: the symmetry operation {operation.triplet()} moves molecule {i + 1} of the "
                     "cell onto no molecule; the symmetry block and the coordinates disagree: check the CIF's setting"]
                )  # fmt: skip
            orbit[j] = i
    return orbit
