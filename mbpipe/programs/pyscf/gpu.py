"""PySCF's SCF on an NVIDIA GPU through gpu4pyscf: the program ``pyscf-gpu``.

A program of its own rather than a keyword, so that the pre-run checks, QCEngine's ``found()`` and the
workflow's ``gpu`` resource all see from the model chemistry alone that a GPU is needed. Nothing here
imports gpu4pyscf or CuPy: that happens in the calculation, in the process that owns the GPU (a warm
worker of the job server, which keeps CUDA's context and compiled kernels for its later calculations,
mbpipe/jobserver/workers.py), because CUDA state does not survive the job server's fork.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from importlib.util import find_spec
from typing import Any, ClassVar

from qcelemental.models.v2 import AtomicInput, AtomicResult
from qcengine.config import TaskConfig

from mbpipe.programs.pyscf.harness import PySCFHarness

# How to get gpu4pyscf: the wheel matching the machine's CUDA major version (mbpipe's `gpu` extra has CUDA 12).
INSTALL = "install gpu4pyscf with `pip install mbpipe[gpu]` (CUDA 12) or `pip install gpu4pyscf-cuda13x` (CUDA 13)"


class PySCFGPUHarness(PySCFHarness):
    """HF and density-functional energies and gradients from gpu4pyscf, the rest as the pyscf program."""

    on_gpu: ClassVar[bool] = True
    _defaults: ClassVar[dict[str, Any]] = {**PySCFHarness._defaults, "name": "PySCF-GPU"}

    def compute(self, input_model: AtomicInput, config: TaskConfig) -> AtomicResult:
        result = super().compute(input_model, config)
        # After a failure the worker ends (mbpipe/jobserver/workers.py), and its memory with it.
        _give_back_gpu_memory()
        return result

    @staticmethod
    def found(raise_error: bool = False) -> bool:
        present = PySCFHarness.found(raise_error) and find_spec("gpu4pyscf") is not None
        if raise_error and not present:
            raise ModuleNotFoundError(f"gpu4pyscf is not installed; {INSTALL}")
        return present


def _give_back_gpu_memory() -> None:
    """CuPy keeps the device memory a calculation freed for its next one; a warm worker's next one may
    be on the CPU, and the other workers share the GPU.  CUDA's context and the kernels stay."""
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()


def gpu_problems() -> list[str]:
    """Why pyscf-gpu cannot run on this machine: gpu4pyscf missing, or no CUDA device it can use."""
    return list(_gpu_problems())


@functools.cache
def _gpu_problems() -> tuple[str, ...]:
    # The device is asked for in a child process, so that this one starts no CUDA state; once per process.
    if not PySCFGPUHarness.found():
        return (f"program pyscf-gpu needs gpu4pyscf, which is not installed; {INSTALL}",)
    probe = "import cupy; print(cupy.cuda.runtime.getDeviceCount())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not done.stdout.strip().isdigit() or int(done.stdout) == 0:
        reason = (done.stderr.strip().splitlines() or ["no CUDA device"])[-1]
        return (
            f"program pyscf-gpu needs a CUDA GPU, and CuPy finds none on this machine ({reason}); run on a GPU node, "
            "or use program pyscf",
        )
    return ()
