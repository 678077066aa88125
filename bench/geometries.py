"""Many geometries against one big cluster with about as many calculations: planning and Snakemake's
dry run, side by side in one run, running no program.

Many geometries: GEOMETRIES water-N clusters (different random arrangements) stacked in one XYZ file as a
database writes it (atom count, comment line, no separators, no charge lines), `frames: all`,
`fragmentation: connectivity`, 3-body nocp.  One cluster: a single water-M cluster whose 3-body nocp
expansion has about the same number of calculations.

    .venv/bin/python bench/geometries.py                       # 100 x water-10 (17 500) vs water-47 (17 343)
    .venv/bin/python bench/geometries.py --geometries 20 --nwaters 6
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from math import comb
from pathlib import Path

import yaml
from common import machine, snakemake_command, timed, water_run

from mbpipe.molecules.water_cluster import water_cluster_xyz


def calculations(nwaters: int, max_nbody: int = 3) -> int:
    return sum(comb(nwaters, n) for n in range(1, max_nbody + 1))


def stacked_waters(path: Path, ngeometries: int, nwaters: int) -> None:
    """One XYZ file of *ngeometries* water-*nwaters* clusters: count line, comment line, atoms."""
    blocks = []
    for seed in range(ngeometries):
        atoms = [line for line in water_cluster_xyz(nwaters, seed=seed).splitlines()[2:] if line.strip() != "--"]
        blocks += [str(len(atoms)), f" cluster {seed}", *atoms]
    path.write_text("\n".join(blocks) + "\n")


def geometries_run(folder: Path, ngeometries: int, nwaters: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stacked_waters(folder / "waters.xyz", ngeometries, nwaters)
    config = {
        "name": f"{ngeometries}x-water{nwaters}",
        "molecule": "waters.xyz",
        "frames": "all",
        "fragmentation": "connectivity",
        "bsse_type": ["nocp"],
        "max_nbody": 3,
        "model_chemistries": {"mc": {"program": "mopac", "method": "pm7"}},
        "verify": "off",
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def single_cluster_size(total: int) -> int:
    """The water cluster whose 3-body expansion comes closest to *total* calculations."""
    return min(range(3, 200), key=lambda n: abs(calculations(n) - total))


def measure(label: str, config: Path, workdir: Path, cores: int) -> str:
    workdir.mkdir()
    first = timed(snakemake_command(config, workdir, cores, "-n"), cwd=workdir)
    if first.returncode != 0:
        sys.exit(f"{label}: the dry run failed:\n{first.output[-3000:]}")
    again = timed(snakemake_command(config, workdir, cores, "-n"), cwd=workdir)
    jobs = sum(1 for line in first.output.splitlines() if line.strip() == "rule fragment:")
    return (
        f"{label:<24} {jobs:>7} {first.wall_s:>9.1f} {first.peak_rss_mb:>9.0f} {again.wall_s:>9.1f} "
        f"{again.peak_rss_mb:>9.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--geometries", type=int, default=100)
    parser.add_argument("--nwaters", type=int, default=10)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mbpipe-geometries-"))
    total = args.geometries * calculations(args.nwaters)
    single = single_cluster_size(total)
    print(f"3-body nocp, no program run; {machine()}")
    print("first dry run: plans every calculation and builds the graph; again: the plan is current")
    print(f"{'':<24} {'jobs':>7} {'first s':>9} {'first MB':>9} {'again s':>9} {'again MB':>9}")
    many = geometries_run(scratch / "many", args.geometries, args.nwaters)
    print(measure(f"{args.geometries} x water-{args.nwaters}", many, scratch / "many" / "run", args.cores), flush=True)
    one = water_run(scratch / "one", single, program="mopac", method="pm7", basis=None)
    print(measure(f"1 x water-{single}", one, scratch / "one" / "run", args.cores), flush=True)
    shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
