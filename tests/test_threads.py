"""Each calculation's thread pools are held to its cores: the BLAS and OpenMP libraries loaded in the
process (numpy's and SciPy's OpenBLAS, PySCF's OpenMP) and the variables the programs it starts read."""

from __future__ import annotations

import os

import numpy  # noqa: F401  (its OpenBLAS, loaded)
import pyscf.lib  # noqa: F401  (PySCF's OpenMP and OpenBLAS, loaded)
from threadpoolctl import threadpool_info

from mbpipe.programs.threads import THREAD_VARIABLES, threads_limited_to


def test_a_calculation_gets_its_cores_and_the_process_gets_its_threads_back(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    assert {pool["user_api"] for pool in threadpool_info()} >= {"blas", "openmp"}
    with threads_limited_to(1):
        assert {pool["num_threads"] for pool in threadpool_info()} == {1}
        assert all(os.environ[name] == "1" for name in THREAD_VARIABLES)
    assert {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()} == before
    assert os.environ["OMP_NUM_THREADS"] == "7" and "OPENBLAS_NUM_THREADS" not in os.environ
