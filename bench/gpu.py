"""PySCF on the CPU against gpu4pyscf on a GPU, per fragment and for a 3-body expansion: where the GPU
starts to pay.

Self-contained on purpose: it needs PySCF, gpu4pyscf (with CuPy) and NumPy only, not QCEngine or
QCManyBody, so that it runs on a GPU machine with nothing but those wheels. It computes what the
pyscf-gpu program computes (mbpipe/programs/pyscf/): the same SCF object moved to the GPU with
``to_gpu()``. Geometries come from config/molecules.

Usage: python bench/gpu.py [--method b3lyp] [--basis def2-svp] [--largest 20] [--repeats 3]

For each cluster it prints the energy+gradient wall time on all CPU cores and on the GPU (medians of
warm repeats; the first GPU call, which pays for CUDA start-up and kernel compilation, apart), their
ratio, and how far the two energies are apart. Then the nocp 3-body expansion of the water hexamer (41
fragment energies) both ways.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

import numpy as np

MOLECULES = Path(__file__).resolve().parent.parent / "config" / "molecules"


def waters(name: str) -> list[list[tuple[str, tuple[float, float, float]]]]:
    """The fragments of config/molecules/<name>.xyz: lists of (symbol, Angstrom coordinates)."""
    lines = (MOLECULES / f"{name}.xyz").read_text().splitlines()
    if lines[0].strip().isdigit():
        lines = lines[2:]
    fragments = [[]]
    for line in lines:
        fields = line.split()
        if line.strip() == "--":
            fragments.append([])
        elif len(fields) == 4:
            fragments[-1].append((fields[0], tuple(float(x) for x in fields[1:])))
    return fragments


def molecule(atoms, basis: str):
    from pyscf import gto

    return gto.M(atom=atoms, basis=basis, unit="Angstrom", verbose=0, max_memory=32000)


def scf_object(mol, method: str, gpu: bool):
    """What the pyscf-gpu program builds: restricted KS or HF, density fitted, then moved to the GPU."""
    from pyscf import dft, scf

    mf = scf.RHF(mol) if method == "hf" else dft.RKS(mol, xc=method)
    mf = mf.density_fit()
    mf.conv_tol = 1e-10
    mf.chkfile = None
    return mf.to_gpu() if gpu else mf


def energy_and_gradient(atoms, method: str, basis: str, gpu: bool) -> tuple[float, float]:
    """Wall time and energy of one SCF energy + analytic gradient."""
    t0 = time.perf_counter()
    mf = scf_object(molecule(atoms, basis), method, gpu)
    energy = float(mf.kernel())
    if not mf.converged:
        raise RuntimeError(f"SCF not converged ({len(atoms)} atoms, {'GPU' if gpu else 'CPU'})")
    mf.nuc_grad_method().kernel()
    return time.perf_counter() - t0, energy


def energy_only(atoms, method: str, basis: str, gpu: bool) -> float:
    mf = scf_object(molecule(atoms, basis), method, gpu)
    energy = float(mf.kernel())
    if not mf.converged:
        raise RuntimeError(f"SCF not converged ({len(atoms)} atoms, {'GPU' if gpu else 'CPU'})")
    return energy


def nocp_three_body(fragments, method: str, basis: str, gpu: bool) -> tuple[float, float]:
    """Wall time and the nocp 3-body interaction energy, each n-mer in its own basis."""
    t0 = time.perf_counter()
    n = len(fragments)
    e = {}
    for size in (1, 2, 3):
        for combo in itertools.combinations(range(n), size):
            atoms = [atom for i in combo for atom in fragments[i]]
            e[combo] = energy_only(atoms, method, basis, gpu)
    # Through 3 bodies: sum of trimers - (n-3) dimers + C(n-2,2) monomers (inclusion-exclusion), minus monomers.
    trimers = sum(v for k, v in e.items() if len(k) == 3)
    dimers = sum(v for k, v in e.items() if len(k) == 2)
    monomers = sum(v for k, v in e.items() if len(k) == 1)
    total = trimers - (n - 3) * dimers + (n - 2) * (n - 3) // 2 * monomers
    return time.perf_counter() - t0, total - monomers


def median_time(run, repeats: int) -> tuple[float, float]:
    results = [run() for _ in range(repeats)]
    return statistics.median(t for t, _ in results), results[-1][1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="b3lyp", help="hf or a functional (default b3lyp)")
    parser.add_argument("--basis", default="def2-svp")
    parser.add_argument("--largest", type=int, default=20, choices=[6, 20, 40], help="largest cluster (waters)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import cupy
    import gpu4pyscf
    import pyscf
    from pyscf import lib

    lib.num_threads(os.cpu_count())
    device = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"PySCF {pyscf.__version__}, gpu4pyscf {gpu4pyscf.__version__}, CuPy {cupy.__version__}")
    print(f"CPU: {os.cpu_count()} threads; GPU: {device}; {args.method}/{args.basis}, density fitting\n")

    trimer = waters("water-trimer")
    clusters = {"water monomer": trimer[:1], "water trimer": trimer, "water hexamer": waters("water-hexamer")}
    if args.largest >= 20:
        clusters["water 20-mer"] = waters("water-20")
    if args.largest >= 40:
        clusters["water 40-mer"] = waters("water-40")

    first_atoms = [atom for fragment in trimer[:1] for atom in fragment]
    t0 = time.perf_counter()
    energy_and_gradient(first_atoms, args.method, args.basis, gpu=True)
    print(f"first GPU calculation (CUDA start-up, kernel compilation): {time.perf_counter() - t0:.2f} s\n")

    print(f"{'energy + gradient':<16} {'atoms':>5} {'CPU s':>8} {'GPU s':>8} {'CPU/GPU':>8} {'|dE| Eh':>9}")
    for name, fragments in clusters.items():
        atoms = [atom for fragment in fragments for atom in fragment]
        cpu_s, cpu_e = median_time(lambda a=atoms: energy_and_gradient(a, args.method, args.basis, False), args.repeats)
        gpu_s, gpu_e = median_time(lambda a=atoms: energy_and_gradient(a, args.method, args.basis, True), args.repeats)
        print(f"{name:<16} {len(atoms):5d} {cpu_s:8.2f} {gpu_s:8.2f} {cpu_s / gpu_s:8.1f} {abs(cpu_e - gpu_e):9.1e}")

    hexamer = waters("water-hexamer")
    cpu_s, cpu_ie = nocp_three_body(hexamer, args.method, args.basis, gpu=False)
    gpu_s, gpu_ie = nocp_three_body(hexamer, args.method, args.basis, gpu=True)
    print("\nnocp 3-body MBE of the water hexamer (41 fragment energies, one after another):")
    print(
        f"  CPU {cpu_s:.1f} s, GPU {gpu_s:.1f} s, CPU/GPU {cpu_s / gpu_s:.1f}; interaction energies differ by "
        f"{abs(cpu_ie - gpu_ie):.1e} Eh ({cpu_ie:.8f} Eh on the CPU)"
    )
    print(f"load average: {os.getloadavg()[0]:.2f}; numpy {np.__version__}")


if __name__ == "__main__":
    main()
