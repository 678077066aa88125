"""Accuracy per cost of the electrostatically embedded MBE: MBE(2), MBE(3), EE-MBE(2) and EE-MBE(3)
against the full cluster, for water clusters.

Each expansion is planned by mbpipe (the same fragment inputs a run writes), every calculation computed
in this process on one core through QCEngine (PySCF, HF/6-31G by default, nocp, TIP3P charges), and
assembled with QCManyBody. Cost: the number of calculations and their summed wall seconds on one core
(an MBE(2)'s are those of its monomers and dimers, which the MBE(3) shares). Error: the expansion's total
energy minus the full cluster's, kcal/mol. Clusters: pentamer isomers from tests/data/water-pentamers.xyz
(University of Washington set, see tests/data/README.md) and the six-water grids in config/molecules and
tests/data (synthetic, not hydrogen-bond networks).

    .venv/bin/python bench/embedding.py --pentamers 0 3 8 11 14 --plot docs/images/embedding-accuracy.png
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from qcelemental import constants

REPO = Path(__file__).resolve().parent.parent
PENTAMERS = REPO / "tests" / "data" / "water-pentamers.xyz"
HEXAMERS = [REPO / "config" / "molecules" / "water-hexamer.xyz", REPO / "tests" / "data" / "water-hexamer.xyz"]
KCAL = constants.hartree2kcalmol


def cluster_config(molecule: Path, frame: int | None, embedded: bool, method: str, basis: str) -> dict:
    config = {
        "name": "bench",
        "molecule": str(molecule),
        "driver": "energy",
        "bsse_type": ["nocp"],
        "max_nbody": 3,
        "return_total_data": True,
        "model_chemistries": {"mc": {"program": "pyscf", "method": method, "basis": basis}},
    }
    if frame is not None:
        config.update(frame=frame, fragmentation="connectivity")
    if embedded:
        config["embedding"] = {"charges": "tip3p"}
    return config


def expansion(config: dict) -> tuple[dict[int, float], dict[int, tuple[int, float]], object]:
    """Total energy through 2 and 3 bodies, and (calculations, core-seconds) each costs; the cluster."""
    import qcengine

    from mbpipe.base.labels import nbody_level
    from mbpipe.config.checks import checked_manybody_input
    from mbpipe.config.load import validated
    from mbpipe.pipeline.assemble import analyze
    from mbpipe.pipeline.plan import atomic_inputs, manybody_computer

    mbin = checked_manybody_input(validated(config, base_dir=REPO))
    results, seconds = {}, {}
    for label, atomic_input in atomic_inputs(mbin, manybody_computer(mbin)):
        t0 = time.perf_counter()
        results[label] = qcengine.compute(atomic_input, "pyscf", raise_error=True, task_config={"ncores": 1})
        seconds[label] = time.perf_counter() - t0
    properties = analyze(mbin, results).properties
    energies = {n: getattr(properties, f"nocp_corrected_total_energy_through_{n}_body") for n in (2, 3)}
    cost = {
        n: (
            sum(1 for lb in seconds if nbody_level(lb) <= n),
            sum(s for lb, s in seconds.items() if nbody_level(lb) <= n),
        )
        for n in (2, 3)
    }
    return energies, cost, mbin


def full_cluster(mbin) -> tuple[float, float]:
    import qcengine
    from qcelemental.models.v2 import AtomicInput

    spec = mbin.specification.specification["mc"]
    atomic_input = AtomicInput(molecule=mbin.molecule, specification={**spec.model_dump(), "driver": "energy"})
    t0 = time.perf_counter()
    result = qcengine.compute(atomic_input, "pyscf", raise_error=True, task_config={"ncores": 1})
    return result.return_result, time.perf_counter() - t0


def benchmark(clusters: list[tuple[str, Path, int | None]], method: str, basis: str) -> pd.DataFrame:
    from mbpipe.programs import register_programs

    register_programs()
    rows = []
    for name, molecule, frame in clusters:
        reference = None
        for embedded in (False, True):
            energies, cost, mbin = expansion(cluster_config(molecule, frame, embedded, method, basis))
            if reference is None:
                reference = full_cluster(mbin)
            for n in (2, 3):
                rows.append(
                    {
                        "cluster": name,
                        "expansion": f"{'EE-' if embedded else ''}MBE({n})",
                        "error_kcal_mol": (energies[n] - reference[0]) * KCAL,
                        "calculations": cost[n][0],
                        "core_seconds": round(cost[n][1], 1),
                        "full_cluster_core_seconds": round(reference[1], 1),
                    }
                )
        print(pd.DataFrame(rows[-4:]).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path, title: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for expansion_name, rows in table.groupby("expansion", sort=False):
        ax.scatter(rows["core_seconds"], rows["error_kcal_mol"].abs(), label=expansion_name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cost (core-seconds, summed over the calculations)")
    ax.set_ylabel("|error| against the full cluster (kcal/mol)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pentamers", type=int, nargs="*", default=[0, 3, 8, 11, 14], help="frames of the pentamer file"
    )
    parser.add_argument("--method", default="hf")
    parser.add_argument("--basis", default="6-31g")
    parser.add_argument("--table", type=Path, help="write the table as CSV here")
    parser.add_argument("--plot", type=Path, help="write the accuracy-per-cost plot here")
    args = parser.parse_args()
    clusters = [(f"pentamer {i}", PENTAMERS, i) for i in args.pentamers]
    clusters += [(f"hexamer ({path.parent.name}/{path.name})", path, None) for path in HEXAMERS]
    table = benchmark(clusters, args.method, args.basis)
    print(table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table.to_string(index=False))
    if args.table:
        table.to_csv(args.table, index=False)
    if args.plot:
        plot(table, args.plot, f"{args.method.upper()}/{args.basis}, nocp, TIP3P charges: accuracy per cost")


def _has_tabulate() -> bool:
    from importlib.util import find_spec

    return find_spec("tabulate") is not None


if __name__ == "__main__":
    main()
