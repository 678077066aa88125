"""Reproducible water clusters of any size, for benchmarks and scale tests.

The oxygens sit on a cubic grid about 2.9 Angstrom apart (the O-O distance of liquid water), taken
closest to the grid's centre first so the cluster is compact, each shifted by a small random offset;
each molecule is rigid (O-H 0.9572 Angstrom, H-O-H 104.52 degrees) and randomly oriented.  The same
size and seed always give the same cluster.  These are test geometries, not minima.
"""

from __future__ import annotations

import math

import numpy as np

OO_SPACING = 2.9
JITTER = 0.15
OH_BOND = 0.9572
HOH_ANGLE = math.radians(104.52)
# Orientations that bring atoms of two waters closer than this are drawn again.
MIN_CONTACT = 1.6


def water_cluster_xyz(nwaters: int, seed: int = 2024) -> str:
    """An XYZ text (Angstrom) of *nwaters* waters, ``--`` lines between them and no charge lines, as
    most hand-made files are: the reader (mbpipe/molecules/) makes each a neutral singlet."""
    if nwaters < 1:
        raise ValueError(f"a water cluster needs at least one water, not {nwaters}")
    rng = np.random.default_rng(seed)
    placed: list[np.ndarray] = []
    for oxygen in _oxygen_sites(nwaters, rng):
        placed.append(_oriented_water(oxygen, placed, rng))
    blocks = ["\n".join(_atom_line(el, xyz) for el, xyz in zip("OHH", w, strict=True)) for w in placed]
    return f"{3 * nwaters}\nwater-{nwaters} cluster, seed {seed}\n" + "\n--\n".join(blocks) + "\n"


def _atom_line(element: str, xyz: np.ndarray) -> str:
    return f"{element} {xyz[0]:14.8f} {xyz[1]:14.8f} {xyz[2]:14.8f}"


def _oxygen_sites(nwaters: int, rng: np.random.Generator) -> np.ndarray:
    side = math.ceil(nwaters ** (1 / 3)) + 1
    grid = np.array([(i, j, k) for i in range(side) for j in range(side) for k in range(side)], dtype=float)
    centre = grid.mean(axis=0)
    # stable sort with the grid index as tie-breaker: the order never depends on the platform
    order = np.lexsort((np.arange(len(grid)), np.round(np.linalg.norm(grid - centre, axis=1), 9)))
    sites = grid[order[:nwaters]] * OO_SPACING
    return sites + rng.uniform(-JITTER, JITTER, size=sites.shape)


def _oriented_water(oxygen: np.ndarray, placed: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    half = HOH_ANGLE / 2
    body = np.array(
        [[0.0, 0.0, 0.0], [OH_BOND * math.sin(half), 0.0, OH_BOND * math.cos(half)]]
        + [[-OH_BOND * math.sin(half), 0.0, OH_BOND * math.cos(half)]]
    )
    others = np.concatenate(placed) if placed else np.empty((0, 3))
    while True:
        water = oxygen + body @ _random_rotation(rng).T
        if not len(others) or np.min(np.linalg.norm(water[:, None] - others[None], axis=2)) >= MIN_CONTACT:
            return water


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q
