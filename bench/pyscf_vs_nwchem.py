"""PySCF against NWChem through QCEngine on this machine: per-calculation and whole-MBE wall times side
by side (medians of repeats, one core each), how far apart the numbers are, and whether PySCF repeats
itself bit for bit across processes at 1 and 2 threads.

Usage: python bench/pyscf_vs_nwchem.py [REPEATS]        (default 3; the monomer gets 5 times as many)
       python bench/pyscf_vs_nwchem.py --pipeline [REPEATS]  (`mbpipe run` of the PySCF example config and
                                                            of the same config on NWChem, verification off)

PySCF's first calculation in a process also pays for importing PySCF; that cold time is printed apart,
and the medians are of the warm calls after it, as in a job server's child or a sequential computer.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import qcengine
import yaml
from qcelemental.models.v2 import AtomicInput, Molecule

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mbpipe.programs.pyscf import register_pyscf  # noqa: E402

# The cyclic trimer of the default config, without its count and comment lines.
TRIMER = "\n".join((REPO / "config" / "molecules" / "water-trimer.xyz").read_text().splitlines()[2:])
KEYWORDS = {
    "nwchem": {"scf__thresh": 1e-10, "scf__tol2e": 1e-14},
    "pyscf": {"cart": True, "conv_tol": 1e-12, "conv_tol_grad": 1e-8},
}
TASK = {"ncores": 1, "memory": 2}


def trimer() -> Molecule:
    return Molecule.from_data(TRIMER, dtype="psi4", fix_symmetry="c1", fix_com=True, fix_orientation=True)


def atomic(program: str, molecule: Molecule, method: str, basis: str, driver: str, threads: int = 1):
    atomic_input = AtomicInput(
        molecule=molecule,
        specification={
            "program": program,
            "driver": driver,
            "keywords": KEYWORDS[program],
            "model": {"method": method, "basis": basis},
        },
    )
    return qcengine.compute(atomic_input, program, raise_error=True, task_config={**TASK, "ncores": threads})


def manybody(program: str, method: str, basis: str):
    from qcmanybody.models.v2 import ManyBodyInput
    from qcmanybody.v2 import ManyBodyComputer

    manybody_input = ManyBodyInput(
        molecule=trimer(),
        specification={
            "driver": "energy",
            "keywords": {"bsse_type": ["cp", "nocp", "vmfc"], "return_total_data": True, "levels": {3: "mc"}},
            "specification": {
                "mc": {
                    "program": program,
                    "driver": "energy",
                    "keywords": KEYWORDS[program],
                    "model": {"method": method, "basis": basis},
                }
            },
        },
    )
    # QCManyBody passes no task settings: QCEngine would give each calculation every core of the machine,
    # and PySCF's OpenMP threads then fight whatever else runs here (on a busy 2-core machine: 44 s at 2
    # threads per calculation, 5 s at 1).
    os.environ["QCENGINE_NCORES"] = str(TASK["ncores"])
    return ManyBodyComputer.from_manybodyinput(manybody_input)


def median_time(run, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def difference(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def compare_programs(repeats: int) -> None:
    water = trimer().get_fragment([0], orient=False, group_fragments=False)
    water = water.model_copy(update={"fix_com": True, "fix_orientation": True, "fix_symmetry": "c1"})
    cases = [
        ("water HF/6-31G energy", 5 * repeats, lambda p: atomic(p, water, "hf", "6-31g", "energy")),
        (
            "water trimer MP2/6-31G* energy + gradient",
            repeats,
            lambda p: atomic(p, trimer(), "mp2", "6-31g*", "gradient"),
        ),
        ("trimer MBE MP2/6-31G* cp+nocp+vmfc (sequential)", repeats, lambda p: manybody(p, "mp2", "6-31g*")),
    ]
    t0 = time.perf_counter()
    atomic("pyscf", water, "hf", "6-31g", "energy")
    print(f"PySCF's first calculation in this process (import included): {time.perf_counter() - t0:.3f} s\n")
    print(f"{'calculation':<50} {'PySCF s':>9} {'NWChem s':>9} {'ratio':>6}  agreement")
    for name, n, run in cases:
        pyscf_s, pyscf = median_time(lambda run=run: run("pyscf"), n)
        nwchem_s, nwchem = median_time(lambda run=run: run("nwchem"), n)
        agreement = f"|dE| {difference(pyscf.properties.return_energy, nwchem.properties.return_energy):.1e} Eh"
        if getattr(pyscf.properties, "return_gradient", None) is not None:
            gradient = difference(pyscf.properties.return_gradient, nwchem.properties.return_gradient)
            agreement += f", |dG| {gradient:.1e} Eh/bohr"
        if name.startswith("trimer MBE"):
            ours, theirs = pyscf.properties.model_dump(), nwchem.properties.model_dump()
            worst = max(abs(v - theirs[k]) for k, v in ours.items() if isinstance(v, float))
            agreement += f", every assembled energy within {worst:.1e} Eh"
        print(f"{name:<50} {pyscf_s:9.3f} {nwchem_s:9.3f} {nwchem_s / pyscf_s:6.1f}  {agreement}", flush=True)


def one_fragment(threads: int) -> None:
    """Print the trimer's MP2/6-31G* energy and gradient bit for bit (float.hex), as one process."""
    result = atomic("pyscf", trimer(), "mp2", "6-31g*", "gradient", threads=threads)
    values = [result.properties.return_energy, *np.ravel(result.return_result)]
    print(json.dumps([float(v).hex() for v in values]))


def determinism(processes: int) -> None:
    print(f"\nThe trimer's MP2/6-31G* energy + gradient, {processes} separate processes per thread count:")
    for threads in (1, 2):
        runs = []
        for _ in range(processes):
            out = subprocess.run(
                [sys.executable, __file__, "--one-fragment", str(threads)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            ).stdout
            runs.append([float.fromhex(v) for v in json.loads(out.splitlines()[-1])])
        runs = np.array(runs)
        identical = all((run == runs[0]).all() for run in runs)
        spread_e = float(np.ptp(runs[:, 0]))
        spread_g = float(np.ptp(runs[:, 1:], axis=0).max())
        print(
            f"  {threads} thread(s): bit-identical {identical}; largest spread energy {spread_e:.1e} Eh, "
            f"gradient {spread_g:.1e} Eh/bohr"
        )


def pipeline_runs(repeats: int) -> None:
    """Wall time of `mbpipe run --cores 2` on config/examples/water-trimer-pyscf.yaml and on the same
    config with NWChem (its own default thresholds; cartesian 6-31G* like the example), from scratch."""
    example = REPO / "config" / "examples" / "water-trimer-pyscf.yaml"
    config = yaml.safe_load(example.read_text())
    config["molecule"] = str((example.parent / config["molecule"]).resolve())
    config["verify"] = "off"
    nwchem = {**config, "model_chemistries": {"mp2-631gs": {"program": "nwchem", "method": "mp2", "basis": "6-31g*"}}}
    print(f"`mbpipe run --cores 2`, {config['name']} (19 fragments), verification off, median of {repeats}:")
    for program, settings in (("pyscf", config), ("nwchem", nwchem)):
        times = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "config.yaml"
                path.write_text(yaml.safe_dump(settings))
                t0 = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "mbpipe", "run", str(path), "--cores", "2"],
                    cwd=folder,
                    check=True,
                    capture_output=True,
                    env={**os.environ, "PYTHONPATH": str(REPO)},
                )
                times.append(time.perf_counter() - t0)
        print(f"  {program:<7} {statistics.median(times):6.1f} s   (runs: {', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    register_pyscf()
    if sys.argv[1:2] == ["--one-fragment"]:
        one_fragment(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--pipeline"]:
        print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
        pipeline_runs(int(sys.argv[2]) if len(sys.argv) > 2 else 3)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    else:
        repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
        print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
        compare_programs(repeats)
        determinism(processes=4)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
