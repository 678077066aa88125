"""PySCF as a QCEngine program, run in-process: no executable, no system package.

A chemist running QCManyBody by hand makes one call first::

    from mbpipe.programs.pyscf import register_pyscf
    register_pyscf()
    # then program="pyscf" (or "pyscf-gpu", where gpu4pyscf and a GPU are) in any QCEngine or
    # QCManyBody specification

Keywords (``specification.keywords``) are listed with their defaults in ``methods.KEYWORDS``.
"""

from __future__ import annotations

from mbpipe.programs.pyscf.gpu import PySCFGPUHarness, gpu_problems
from mbpipe.programs.pyscf.harness import PySCFHarness
from mbpipe.programs.pyscf.methods import pyscf_problems

__all__ = ["PySCFGPUHarness", "PySCFHarness", "gpu_problems", "pyscf_problems", "register_pyscf"]


def register_pyscf() -> None:
    """Make ``program="pyscf"`` (and ``"pyscf-gpu"``, gpu4pyscf on a GPU) known to QCEngine in this process;
    calling it again does nothing."""
    import qcengine

    known = qcengine.list_all_programs()
    for harness in (PySCFHarness(), PySCFGPUHarness()):
        if harness.name.lower() not in known:
            qcengine.register_program(harness)
