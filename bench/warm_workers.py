"""A fragment job's wall time through the job server: in a warm worker against a child forked afresh
(MBPIPE_WARM_WORKERS=0), side by side.

For each program, servers of both kinds take turns; each runs --jobs calculations of one water, one
after another, each handed over as a fragment job's client hands it (mbpipe/jobserver/client.py).
Prints, per program and kind, the median wall time per job (from hand-over to exit status) and the
median the calculation itself took (QCEngine's compute, from the results), and their ratio; and
checks that both kinds give the same energy, bit for bit.

    .venv/bin/python bench/warm_workers.py
    .venv/bin/python bench/warm_workers.py --programs pyscf --jobs 200 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import machine, median
from qcelemental.models.v2 import AtomicInput, Molecule

from mbpipe.jobserver import server as job_server
from mbpipe.jobserver.client import hand_over
from mbpipe.jobserver.workers import SWITCH_VARIABLE
from mbpipe.run.jobs import JOB_ENVIRONMENT

WATER = Molecule.from_data("O -1.551007 -0.114520 0.0\nH -1.934259 0.762503 0.0\nH -0.599677 0.040712 0.0")
MODELS = {
    "pyscf": {"method": "hf", "basis": "6-31g"},
    "nwchem": {"method": "hf", "basis": "6-31g"},
    "mopac": {"method": "pm7", "basis": None},
}
KINDS = {"warm worker": "1", "forked child": "0"}


def jobs_through_a_server(kind: str, program: str, jobs: int, folder: Path) -> tuple[list[float], list[float], float]:
    """Wall times per job and of each calculation, and the energy, for *jobs* jobs through a server."""
    input_path = folder / f"{program}.json"
    specification = {"program": program, "driver": "energy", "model": MODELS[program]}
    input_path.write_text(AtomicInput(molecule=WATER, specification=specification).model_dump_json())
    os.environ[SWITCH_VARIABLE] = KINDS[kind]
    server = job_server.start(sys.executable, JOB_ENVIRONMENT, [program])
    try:
        # The first job waits for the server's warm-up: not counted.
        argv = ["fragment", str(input_path), str(folder / "result.json"), "--ncores", "1", "--time-limit-s", "600"]
        assert hand_over(argv) == 0
        walls, calculations = [], []
        for _ in range(jobs):
            t0 = time.perf_counter()
            assert hand_over(argv) == 0
            walls.append(time.perf_counter() - t0)
            record = json.loads((folder / "result.json").read_text())
            calculations.append(record["extras"]["mbpipe"]["wall_time_s"])
    finally:
        job_server.stop(server, Path(os.environ[job_server.ADDRESS_VARIABLE]))
    return walls, calculations, record["return_result"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--jobs", type=int, default=100, help="jobs per server")
    parser.add_argument("--repeats", type=int, default=3, help="servers of each kind, alternated")
    args = parser.parse_args()
    print(f"one water per job, one job at a time; {machine()}; load {os.getloadavg()[0]:.2f}")
    same = True
    with tempfile.TemporaryDirectory() as scratch:
        for program in args.programs:
            measured = {kind: ([], [], set()) for kind in KINDS}
            for _ in range(args.repeats):
                for kind in KINDS:
                    walls, calculations, energy = jobs_through_a_server(kind, program, args.jobs, Path(scratch))
                    measured[kind][0].extend(walls)
                    measured[kind][1].extend(calculations)
                    measured[kind][2].add(energy)
            for kind, (walls, calculations, _) in measured.items():
                print(
                    f"{program:7s} {kind:13s} per job {1000 * median(walls):7.1f} ms"
                    f"   calculation {1000 * median(calculations):7.1f} ms   ({len(walls)} jobs)"
                )
            warm, forked = (median(measured[kind][0]) for kind in KINDS)
            energies = set.union(*(energies for _, _, energies in measured.values()))
            same &= len(energies) == 1
            print(f"{program:7s} forked / warm per job: {forked / warm:.2f}; energies: {sorted(energies)}")
    print(f"load {os.getloadavg()[0]:.2f} at the end; every energy the same: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
