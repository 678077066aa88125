"""Symmetry-unique n-mers: the n-mers around every reference, grouped into sets of the same geometry.

Two n-mers belong to one set when a rigid motion, a reflection included (crystal symmetry has
inversions, mirrors and glides; an energy does not tell mirror images apart), maps one onto the other
with the atoms of each element permuted among themselves.  The test is in two steps:

1. a fingerprint: the order, the atoms' elements, and every interatomic distance sorted, per pair of
   elements; fingerprints agree when no distance differs by more than `FINGERPRINT_ANGSTROM`;
2. for n-mers whose fingerprints agree, an atom permutation (like atoms only) that keeps every
   interatomic distance to `FINGERPRINT_ANGSTROM`, found by a depth-first search; such a permutation
   implies a rotation or reflection, and the RMSD after that fit (Kabsch's orthogonal Procrustes)
   must be below `RMSD_ANGSTROM`.

The symmetry images a CIF generates agree to rounding (1e-12 Angstrom); distinct n-mers of a crystal
differ by hundredths of an Angstrom or more, so both tolerances sit far from either.  Each set keeps
its first n-mer as representative and counts its members around each reference: its replicas.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mbpipe.crystal.cif import Crystal
from mbpipe.crystal.nmers import NMer

FINGERPRINT_ANGSTROM = 1e-4
RMSD_ANGSTROM = 1e-4


@dataclass
class UniqueNMer:
    representative: NMer
    symbols: tuple[str, ...]
    geometry: np.ndarray  # (atoms, 3) Angstrom, molecule by molecule, the reference first
    fragments: list[list[int]]
    replicas: dict[int, int] = field(default_factory=dict)  # reference molecule -> members around it

    @property
    def order(self) -> int:
        return self.representative.order


def nmer_geometry(crystal: Crystal, nmer: NMer) -> tuple[tuple[str, ...], np.ndarray, list[list[int]]]:
    """Symbols, Cartesian geometry (Angstrom) and fragments (atom indices per molecule) of *nmer*."""
    symbols, blocks, fragments = [], [], []
    for image in nmer.members:
        first = len(symbols)
        symbols += crystal.molecules[image.molecule].symbols
        blocks.append(crystal.cartesian(image.molecule, image.translation))
        fragments.append(list(range(first, len(symbols))))
    return tuple(symbols), np.vstack(blocks), fragments


def unique_nmers(crystal: Crystal, nmers: list[NMer]) -> list[UniqueNMer]:
    """*nmers* grouped into sets of one geometry, in the order their first members come."""
    found: list[UniqueNMer] = []
    sets = GeometrySets()
    for nmer in nmers:
        symbols, geometry, fragments = nmer_geometry(crystal, nmer)
        candidate = UniqueNMer(nmer, symbols, geometry, fragments)
        match = sets.first_alike(nmer.order, symbols, geometry, candidate)
        if match is candidate:
            found.append(match)
        match.replicas[nmer.reference] = match.replicas.get(nmer.reference, 0) + 1
    return found


class GeometrySets:
    """Geometries (Angstrom) grouped into sets of one shape, by the two steps above; each set stands for
    the item it was made with.  Geometries are compared only under equal keys."""

    def __init__(self):
        # Per kind, the sets so far in order of the sum of their distances: fingerprints within tolerance
        # have sums within (pairs x tolerance), so only that window is compared (thousands of trimers).
        self._by_kind: dict[tuple, _SortedFingerprints] = defaultdict(_SortedFingerprints)

    def first_alike(self, key, symbols: tuple[str, ...], geometry: np.ndarray, item):
        """The item of the set *geometry* belongs to; *item* itself, as a new set, when there is none."""
        kind, distances = _fingerprint(key, symbols, geometry)
        for other, other_symbols, other_geometry, other_item in self._by_kind[kind].near(distances):
            if (distances.size == 0 or np.max(np.abs(other - distances)) <= FINGERPRINT_ANGSTROM) and same_geometry(
                symbols, geometry, other_symbols, other_geometry
            ):
                return other_item
        self._by_kind[kind].add(distances, (distances, symbols, geometry, item))
        return item


class _SortedFingerprints:
    def __init__(self):
        self.sums: list[float] = []
        self.entries: list[tuple] = []

    def near(self, distances: np.ndarray):
        total, width = float(distances.sum()), len(distances) * FINGERPRINT_ANGSTROM
        first, last = bisect.bisect_left(self.sums, total - width), bisect.bisect_right(self.sums, total + width)
        return self.entries[first:last]

    def add(self, distances: np.ndarray, entry: tuple) -> None:
        place = bisect.bisect(self.sums, float(distances.sum()))
        self.sums.insert(place, float(distances.sum()))
        self.entries.insert(place, entry)


def _fingerprint(key, symbols: tuple[str, ...], geometry: np.ndarray) -> tuple[tuple, np.ndarray]:
    """(key, elements and element-pair counts; every interatomic distance sorted within its pair of elements)."""
    i, j = np.triu_indices(len(symbols), k=1)
    pairs = np.array(["-".join(sorted(p)) for p in zip(np.asarray(symbols)[i], np.asarray(symbols)[j], strict=True)])
    distances = np.linalg.norm(geometry[i] - geometry[j], axis=1)
    order_of = np.lexsort((distances, pairs))
    kinds, counts = np.unique(pairs, return_counts=True)
    return (key, tuple(sorted(symbols)), tuple(zip(kinds, counts, strict=True))), distances[order_of]


def same_geometry(symbols, geometry: np.ndarray, other_symbols, other_geometry: np.ndarray) -> bool:
    """Whether some atom permutation (within each element) keeps every interatomic distance of *geometry*
    (Angstrom) equal to *other_geometry*'s, to `FINGERPRINT_ANGSTROM`, and the rotation or reflection it
    implies superimposes the two to `RMSD_ANGSTROM`."""
    if sorted(symbols) != sorted(other_symbols):
        return False
    mapping = _distance_preserving_map(symbols, geometry, other_symbols, other_geometry)
    return mapping is not None and _rmsd_after_fit(geometry, other_geometry[mapping]) <= RMSD_ANGSTROM


def _distance_preserving_map(symbols, geometry, ref_symbols, ref_geometry) -> list[int] | None:
    """For each atom of *geometry*, the atom of *ref_geometry* it maps onto, or None when no permutation
    of like atoms keeps the distances.  Atoms are placed one by one, each onto a like atom whose distances
    to the atoms already placed agree: a depth-first search that the first few atoms decide."""
    distances = np.linalg.norm(geometry[:, None] - geometry[None], axis=2)
    ref_distances = np.linalg.norm(ref_geometry[:, None] - ref_geometry[None], axis=2)
    # An atom's sorted distances to all others: only atoms with the same list can correspond.
    profile, ref_profile = np.sort(distances, axis=1), np.sort(ref_distances, axis=1)
    options = [
        [r for r in range(len(ref_symbols)) if ref_symbols[r] == symbols[a]
         and np.max(np.abs(ref_profile[r] - profile[a])) <= FINGERPRINT_ANGSTROM]
        for a in range(len(symbols))
    ]  # fmt: skip
    order = sorted(range(len(symbols)), key=lambda a: len(options[a]))
    mapping = [-1] * len(symbols)
    used = set()

    def place(k: int) -> bool:
        if k == len(order):
            return True
        atom = order[k]
        placed = order[:k]
        for target in options[atom]:
            if target in used:
                continue
            if (
                placed
                and np.max(np.abs(distances[atom, placed] - ref_distances[target, [mapping[p] for p in placed]]))
                > FINGERPRINT_ANGSTROM
            ):
                continue
            mapping[atom] = target
            used.add(target)
            if place(k + 1):
                return True
            used.discard(target)
        return False

    return mapping if place(0) else None


def _rmsd_after_fit(geometry: np.ndarray, target: np.ndarray) -> float:
    """RMSD of *geometry* onto *target* (atoms in correspondence) after the best rotation or reflection."""
    a, b = geometry - geometry.mean(axis=0), target - target.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    fitted = a @ (u @ vt)  # orthogonal Procrustes: a reflection where it fits better
    return float(np.sqrt(np.mean(np.sum((fitted - b) ** 2, axis=1))))
