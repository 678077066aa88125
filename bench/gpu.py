"""PySCF on the CPU against gpu4pyscf on a GPU (programs pyscf and pyscf-gpu), side by side in one run:
one calculation of water clusters of growing size, and a whole 3-body MBE.

For each cluster, basis and method: the CPU time (PySCF, every core of the machine), the GPU's first
call (CUDA start-up and kernel compilation included) and its time once warm, each through
`qcengine.compute` as the pipeline's fragment jobs call it, and the energy difference CPU - GPU.  The
MBE is QCManyBody's sequential computer on each program.  Needs gpu4pyscf and a CUDA GPU; prints
each row as it is measured.

    .venv/bin/python bench/gpu.py
    .venv/bin/python bench/gpu.py --sizes 1 3 6 --bases def2-svp --mbe-waters 4
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import qcengine  # noqa: E402
from qcelemental.models.v2 import AtomicInput  # noqa: E402

from mbpipe.molecules.cluster_file import read_cluster  # noqa: E402
from mbpipe.molecules.water_cluster import water_cluster_xyz  # noqa: E402
from mbpipe.programs.pyscf import register_pyscf  # noqa: E402


def cluster(nwaters: int, folder: Path):
    path = folder / f"water-{nwaters}.xyz"
    path.write_text(water_cluster_xyz(nwaters, seed=7))
    molecule, _ = read_cluster(path)
    return molecule


def compute(molecule, program: str, method: str, basis: str, driver: str, ncores: int):
    spec = {"driver": driver, "program": program, "model": {"method": method, "basis": basis}, "keywords": {}}
    t0 = time.perf_counter()
    result = qcengine.compute(
        AtomicInput(molecule=molecule, specification=spec), program, raise_error=True,
        task_config={"ncores": ncores, "memory": 32},
    )  # fmt: skip
    return time.perf_counter() - t0, result.properties.return_energy


def single_calculations(args, folder: Path) -> None:
    print(f"{'waters':>6} {'basis':>10} {'method':>6} {'driver':>8} {'CPU s':>8} {'GPU 1st s':>9} {'GPU s':>8} "
          f"{'CPU/GPU':>7} {'dE (Eh)':>9}", flush=True)  # fmt: skip
    for basis in args.bases:
        for nwaters in args.sizes:
            molecule = cluster(nwaters, folder)
            for method in args.methods:
                first, _ = compute(molecule, "pyscf-gpu", method, basis, args.driver, args.ncores)
                gpu, e_gpu = compute(molecule, "pyscf-gpu", method, basis, args.driver, args.ncores)
                cpu, e_cpu = compute(molecule, "pyscf", method, basis, args.driver, args.ncores)
                print(f"{nwaters:>6} {basis:>10} {method:>6} {args.driver:>8} {cpu:>8.2f} {first:>9.2f} {gpu:>8.2f} "
                      f"{cpu / gpu:>7.1f} {e_cpu - e_gpu:>9.1e}", flush=True)  # fmt: skip


def whole_mbe(args, folder: Path) -> None:
    from qcmanybody.models.v2 import ManyBodyInput

    from mbpipe.pipeline.verify import sequential_result

    molecule = cluster(args.mbe_waters, folder)
    print(f"\n3-body MBE of water-{args.mbe_waters}, {args.mbe_method}/{args.mbe_basis}, {args.driver}, "
          f"bsse {' '.join(args.mbe_bsse)} (QCManyBody's sequential computer)", flush=True)  # fmt: skip
    energies = {}
    for program in ("pyscf-gpu", "pyscf"):
        mbin = ManyBodyInput(
            molecule=molecule,
            specification={
                "driver": args.driver,
                "keywords": {"bsse_type": args.mbe_bsse, "max_nbody": 3, "levels": {3: "mc"}},
                "specification": {"mc": {"program": program, "driver": args.driver,
                                         "model": {"method": args.mbe_method, "basis": args.mbe_basis}}},
            },
        )  # fmt: skip
        t0 = time.perf_counter()
        result = sequential_result(mbin, args.ncores, 32 * 1024)
        wall = time.perf_counter() - t0
        energies[program] = result.properties.return_energy
        print(f"{program:>10}: {wall:8.1f} s for {result.properties.calcinfo_nmbe} calculations, "
              f"return energy {result.properties.return_energy:.10f}", flush=True)  # fmt: skip
    print(f"dE CPU - GPU: {energies['pyscf'] - energies['pyscf-gpu']:.1e} Eh", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 3, 6, 12, 20])
    parser.add_argument("--bases", nargs="+", default=["def2-svp", "def2-tzvp"])
    parser.add_argument("--methods", nargs="+", default=["hf", "b3lyp"])
    parser.add_argument("--driver", default="gradient")
    parser.add_argument("--ncores", type=int, default=os.cpu_count())
    parser.add_argument("--mbe-waters", type=int, default=6)
    parser.add_argument("--mbe-basis", default="def2-svp")
    parser.add_argument("--mbe-method", default="b3lyp")
    parser.add_argument("--mbe-bsse", nargs="+", default=["nocp"])
    parser.add_argument("--skip-mbe", action="store_true")
    args = parser.parse_args()
    register_pyscf()
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / "mbpipe-gpu-bench"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; PySCF on {args.ncores} threads against gpu4pyscf", flush=True)
    single_calculations(args, folder)
    if not args.skip_mbe:
        whole_mbe(args, folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
