"""PySCF jobs through the job server, hundreds of them, at 1 and 2 OpenMP threads each: none hangs.

A process that has run a multi-threaded PySCF calculation keeps an OpenMP thread pool that its forked
children inherit without the threads: a child's first parallel region then waits forever (3 of 3
children hung in a plain os.fork check). The server imports PySCF while warming up, which starts no such
pool, and computes nothing itself; its warm workers are forked from that clean state, and each runs
its calculations one after another in its own threads.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from helpers_failures import WATER_XYZ
from qcelemental.models.v2 import AtomicInput, Molecule
from test_job_server import job_server_for

from mbpipe.jobserver.client import hand_over

pytestmark = pytest.mark.pyscf

JOBS = 150  # per thread count
CORES = 4  # jobs in flight at once times their threads: some oversubscription of a 2-core machine
# A job takes about 0.1 s; a hung one never ends. Generous for a busy shared machine.
TIMEOUT_S = 300

WATER = Molecule.from_data(WATER_XYZ)


@pytest.fixture
def server():
    with job_server_for(["pyscf"]) as started:
        yield started
        # A child stuck in OpenMP never returns to Python to act on the server's SIGTERM: kill it first.
        for pid in children(started.pid):
            os.kill(pid, signal.SIGKILL)


def os_threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def children(pid: int) -> list[int]:
    """The processes forked by *pid* (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.parametrize("threads", [1, 2])
def test_hundreds_of_pyscf_jobs_through_the_server_all_finish(server, tmp_path, threads):
    input_path = tmp_path / "water.json"
    input_path.write_text(
        AtomicInput(
            molecule=WATER,
            specification={"program": "pyscf", "driver": "energy", "model": {"method": "hf", "basis": "6-31g"}},
        ).model_dump_json()
    )
    results = [tmp_path / f"result-{i}.json" for i in range(JOBS)]
    argv = ["fragment", str(input_path), "{}", "--ncores", str(threads)]
    pool = ThreadPoolExecutor(CORES // threads)
    # The first job waits for the server's warm-up, whose imports start BLAS threads (not OpenMP ones).
    jobs = [pool.submit(hand_over, [a.format(results[0]) for a in argv])]
    wait(jobs, timeout=TIMEOUT_S)
    server_threads = os_threads(server.pid)
    jobs += [pool.submit(hand_over, [a.format(result) for a in argv]) for result in results[1:]]
    done, hung = wait(jobs, timeout=TIMEOUT_S)
    if hung:
        pool.shutdown(wait=False, cancel_futures=True)
        while not all(job.done() for job in jobs):  # kill the stuck children, so that their jobs return
            for pid in children(server.pid):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
    pool.shutdown()

    assert not hung, f"{len(hung)} of {JOBS} jobs at {threads} thread(s) did not finish in {TIMEOUT_S} s"
    assert [job.result() for job in jobs] == [0] * JOBS
    records = [json.loads(path.read_text()) for path in results]
    assert {r["extras"]["mbpipe"]["runner"] for r in records} == {"warm-worker"}
    assert {r["extras"]["pyscf"]["threads"] for r in records} == {threads}
    energies = [r["return_result"] for r in records]
    # Bit for bit at 1 thread; OpenMP's order of summation moves the last digits at 2.
    assert max(energies) - min(energies) <= (0 if threads == 1 else 1e-12)
    # The warm workers ran them all, no more workers than jobs ran at once, each many calculations;
    # and the server itself runs no more threads than its imports started: it computed nothing.
    workers = {r["extras"]["mbpipe"]["pid"] for r in records}
    assert set(children(server.pid)) == workers
    assert len(workers) <= CORES // threads
    assert os_threads(server.pid) == server_threads
