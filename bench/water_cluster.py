"""Write an n-water cluster as an mbpipe XYZ file (fragments separated by `--`).

Waters sit on a cubic grid 3.0 Angstrom apart (about the O-O distance in liquid water), each turned
by a seeded random rotation, so the same n always gives the same geometry.

    python bench/water_cluster.py 20 > config/molecules/water-20.xyz
"""

from __future__ import annotations

import argparse
import itertools
import math

import numpy as np

SPACING = 3.0  # Angstrom
# Gas-phase water: O-H 0.9572 Angstrom, H-O-H 104.52 degrees.
_HALF_ANGLE = math.radians(104.52 / 2)
WATER = np.array([[0.0, 0.0, 0.0], [0.9572 * math.sin(_HALF_ANGLE), 0.9572 * math.cos(_HALF_ANGLE), 0.0],
                  [-0.9572 * math.sin(_HALF_ANGLE), 0.9572 * math.cos(_HALF_ANGLE), 0.0]])  # fmt: skip


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def water_cluster(n: int, seed: int = 20) -> str:
    side = math.ceil(n ** (1 / 3))
    sites = list(itertools.product(range(side), repeat=3))[:n]
    rng = np.random.default_rng(seed)
    blocks = []
    for site in sites:
        xyz = WATER @ random_rotation(rng).T + SPACING * np.array(site, dtype=float)
        lines = ["0 1"] + [f"{el:2s} {x:12.6f} {y:12.6f} {z:12.6f}" for el, (x, y, z) in zip("OHH", xyz, strict=True)]
        blocks.append("\n".join(lines))
    return f"{3 * n}\n{n} waters on a {SPACING} Angstrom grid, seed {seed}; Angstrom\n" + "\n--\n".join(blocks) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of water molecules")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    print(water_cluster(args.n, args.seed), end="")
