"""`fragmentation: connectivity`: the fragments are the covalently bonded groups of atoms.

Bonds come from QCElemental's guess (two atoms closer than 1.2 times the sum of their covalent
radii), groups from networkx's connected components.  A result that looks like a mistake in the file
rather than a cluster is refused: a lone hydrogen atom (a bond stretched past the guess, or
coordinates not in Angstrom) or one group holding every atom (one molecule, not a cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mbpipe.molecules.errors import MoleculeError


def connected_fragments(symbols: Sequence[str], geometry: np.ndarray, where: str) -> list[list[int]]:
    """The covalently bonded groups of atoms (0-based indices, each in file order), ordered by
    their first atom.  *geometry* is (atoms, 3) in bohr; *where* names the input in messages."""
    import networkx
    from qcelemental.molutil import guess_connectivity

    graph = networkx.Graph()
    graph.add_nodes_from(range(len(symbols)))
    graph.add_edges_from(guess_connectivity(np.asarray(symbols), np.asarray(geometry)))
    groups = sorted((sorted(map(int, group)) for group in networkx.connected_components(graph)), key=lambda g: g[0])
    _refuse_implausible(groups, symbols, where)
    return groups


def _refuse_implausible(groups: list[list[int]], symbols: Sequence[str], where: str) -> None:
    if len(groups) == 1 and len(symbols) > 1:
        raise MoleculeError(
            [f"{where}: connectivity finds 1 fragment: all {len(symbols)} atoms form one bonded group; "
             "a many-body expansion needs separate molecules. If it is one molecule, mark its fragments with `--` "
             "lines and drop `fragmentation: connectivity`; if the coordinates are not in Angstrom, convert them"]
        )  # fmt: skip
    lone = [group[0] + 1 for group in groups if len(group) == 1 and symbols[group[0]] == "H"]
    if lone:
        raise MoleculeError(
            [f"{where}: connectivity finds {len(groups)} fragments, {len(lone)} of them a lone hydrogen atom "
             f"(atoms {', '.join(map(str, lone))}, counted from 1); an X-H bond that long is more likely a typo, or "
             "coordinates not in Angstrom (in bohr, atoms look 1.9 times too far apart); check those atoms, or mark "
             "the fragments with `--` lines and drop `fragmentation: connectivity`"]
        )  # fmt: skip


# The fields of a QCSchema molecule that hold one entry per atom, in atom order.
PER_ATOM = ("symbols", "masses", "real", "atom_labels", "atomic_numbers", "mass_numbers")


def with_fragments(data: dict[str, Any], groups: list[list[int]]) -> tuple[dict[str, Any], bool]:
    """QCSchema molecule *data* with *groups* as its fragments, and whether its atoms had to be
    reordered for that: QCSchema fragments are contiguous runs of atoms, and QCElemental refuses
    others.  The atoms of each group keep their order; bonds in `connectivity` follow their atoms."""
    order = np.concatenate(groups)
    bounds = np.cumsum([0] + [len(group) for group in groups])
    data = {**data, "fragments": [list(range(a, b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]}
    if np.array_equal(order, np.arange(len(order))):
        return data, False
    for key in PER_ATOM:
        if data.get(key) is not None:
            data[key] = np.asarray(data[key])[order]
    data["geometry"] = np.reshape(data["geometry"], (-1, 3))[order]
    if data.get("connectivity"):
        new = np.argsort(order)  # an atom's new index, by its old one
        data["connectivity"] = [(int(new[a]), int(new[b]), bond) for a, b, bond in data["connectivity"]]
    return data, True
