"""The n-mers of a crystal around each reference molecule, within the config's distance cutoffs.

An n-mer of order n holds a reference molecule and n - 1 other molecules of the infinite crystal; it
is kept when every pair of its molecules has closest atoms within `crystal_cutoffs[n]` (Angstrom) and,
where `crystal_com_cutoffs[n]` is given, centres of mass within that: CrystaLattE's criteria.  A
molecule of the crystal is a cell molecule moved by a lattice translation (an `Image`).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from math import ceil

import numpy as np

from mbpipe.crystal.cif import Crystal, centre_of_mass


@dataclass(frozen=True)
class Image:
    molecule: int  # the cell molecule
    translation: tuple[int, int, int]  # the lattice translation, in cells along a, b, c


@dataclass(frozen=True)
class NMer:
    reference: int  # the cell molecule it was found around; members[0] is that molecule, untranslated
    members: tuple[Image, ...]
    separation: float  # largest closest-atom distance over its pairs of molecules (Angstrom): what the cutoff bounds
    com_separation: float  # largest centre-of-mass distance over its pairs (Angstrom)

    @property
    def order(self) -> int:
        return len(self.members)


class _Neighbourhood:
    """The molecules within the largest cutoff of one reference, and their distances, computed once."""

    def __init__(self, crystal: Crystal, reference: int, reach: float):
        self.crystal = crystal
        self.coordinates = [crystal.cartesian(reference)]
        self.images = [Image(reference, (0, 0, 0))]
        centre = self._centre(self.coordinates[0], reference)
        radii = [self._radius(m) for m in range(len(crystal.molecules))]
        for image in _translations_within(crystal, reach + 2 * max(radii)):
            for molecule in range(len(crystal.molecules)):
                if molecule == reference and image == (0, 0, 0):
                    continue
                atoms = crystal.cartesian(molecule, image)
                if np.linalg.norm(self._centre(atoms, molecule) - centre) > reach + radii[reference] + radii[molecule]:
                    continue
                if _closest(atoms, self.coordinates[0]) <= reach:
                    self.images.append(Image(molecule, image))
                    self.coordinates.append(atoms)
        self.centres = [
            self._centre(atoms, image.molecule) for atoms, image in zip(self.coordinates, self.images, strict=True)
        ]
        self._closest: dict[tuple[int, int], float] = {}

    def _centre(self, atoms: np.ndarray, molecule: int) -> np.ndarray:
        return centre_of_mass(self.crystal.molecules[molecule].symbols, atoms)

    def _radius(self, molecule: int) -> float:
        atoms = self.crystal.cartesian(molecule)
        return float(np.max(np.linalg.norm(atoms - self._centre(atoms, molecule), axis=1)))

    def closest(self, i: int, j: int) -> float:
        key = (min(i, j), max(i, j))
        if key not in self._closest:
            self._closest[key] = _closest(self.coordinates[i], self.coordinates[j])
        return self._closest[key]

    def com_distance(self, i: int, j: int) -> float:
        return float(np.linalg.norm(self.centres[i] - self.centres[j]))

    def within(self, i: int, j: int, cutoff: float, com_cutoff: float | None) -> bool:
        if com_cutoff is not None and self.com_distance(i, j) > com_cutoff:
            return False
        return self.closest(i, j) <= cutoff


def nmers_around(
    crystal: Crystal, reference: int, cutoffs: dict[int, float], com_cutoffs: dict[int, float] | None = None
) -> list[NMer]:
    """Every n-mer (each order of *cutoffs*) that holds cell molecule *reference*, found in the
    infinite crystal."""
    com_cutoffs = com_cutoffs or {}
    around = _Neighbourhood(crystal, reference, max(cutoffs.values()))
    found = []
    for order, cutoff in sorted(cutoffs.items()):
        com_cutoff = com_cutoffs.get(order)
        partners = [p for p in range(1, len(around.images)) if around.within(0, p, cutoff, com_cutoff)]
        joined = functools.partial(around.within, cutoff=cutoff, com_cutoff=com_cutoff)
        for others in _cliques(partners, order - 1, joined):
            members = (0, *others)
            pairs = list(itertools.combinations(members, 2))
            found.append(
                NMer(
                    reference,
                    tuple(around.images[m] for m in members),
                    max(around.closest(i, j) for i, j in pairs),
                    max(around.com_distance(i, j) for i, j in pairs),
                )
            )
    return found


def _cliques(candidates: list[int], size: int, joined):
    """Every set of *size* candidates, in increasing order, each pair of which is *joined*."""
    if size == 0:
        yield ()
        return
    for k, first in enumerate(candidates):
        rest = [c for c in candidates[k + 1 :] if joined(first, c)]
        for tail in _cliques(rest, size - 1, joined):
            yield (first, *tail)


def _translations_within(crystal: Crystal, reach: float):
    """Lattice translations enough to hold every molecule within *reach* of a molecule of the cell."""
    spacing = 1.0 / np.linalg.norm(np.linalg.inv(crystal.lattice), axis=0)  # between lattice planes
    counts = [ceil(reach / d) + 1 for d in spacing]
    return itertools.product(*(range(-n, n + 1) for n in counts))


def _closest(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)))
