"""Write an n-water cluster as an mbpipe XYZ file (fragments separated by `--`), from
`mbpipe.molecules.water_cluster` (seeded: the same n and seed always give the same geometry).

    python bench/water_cluster.py 20 > config/molecules/water-20.xyz
"""

from __future__ import annotations

import argparse

from mbpipe.molecules.water_cluster import water_cluster_xyz

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of water molecules")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    print(water_cluster_xyz(args.n, args.seed), end="")
