"""The cores a calculation may use, given to every thread pool that would otherwise take the machine.

Left alone, each of the calculations that run side by side (one core each) starts one thread per core
of the machine in every BLAS it touches: numpy's and SciPy's OpenBLAS, which PySCF calls in-process,
and the OpenBLAS of NWChem's processes.  Two PySCF HF/6-31G water trimers at a time on 2 cores took
0.30 s each instead of 0.19 s.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

# Read by the programs QCEngine starts, as they start.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def threads_limited_to(ncores: int) -> Iterator[None]:
    """Within this block the programs this process starts, and the BLAS and OpenMP libraries it has
    loaded, use *ncores* threads.  Pools that already have *ncores* threads are left alone: in a
    child forked from the job server (whose pools hold one thread, see one_thread_per_pool) setting
    them again woke OpenBLAS's spinning threads, 30 ms of CPU per job."""
    pools = thread_pools()
    with environment({name: str(ncores) for name in THREAD_VARIABLES}):
        if all(pool.num_threads == ncores for pool in pools.lib_controllers):
            yield
        else:
            with pools.limit(limits=ncores):
                yield


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Environment *variables* set within this block, and as they were after it."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@functools.cache
def thread_pools():
    """The thread pools of the libraries this process has loaded (threadpoolctl), found once: a job
    server finds them in its warm-up, after PySCF is imported, for all its forked children."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_thread_per_pool() -> None:
    """For a process that computes nothing itself (the job server): every pool at one thread from now
    on, so that a one-core calculation forked from it finds its pools fitting and leaves them alone
    (see threads_limited_to)."""
    thread_pools().limit(limits=1)
