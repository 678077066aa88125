"""PySCF as a QCEngine program, run in-process: no executable, no system package.

A chemist running QCManyBody by hand makes one call first::

    from mbpipe.programs.pyscf import register_pyscf
    register_pyscf()
    # then program="pyscf" in any QCEngine or QCManyBody specification

Keywords (``specification.keywords``) are listed with their defaults in ``methods.KEYWORDS``.
"""

from __future__ import annotations

from mbpipe.programs.pyscf.harness import PySCFHarness
from mbpipe.programs.pyscf.methods import pyscf_problems

__all__ = ["PySCFHarness", "pyscf_problems", "register_pyscf"]


def register_pyscf() -> None:
    """Make ``program="pyscf"`` known to QCEngine in this process; calling it again does nothing."""
    import qcengine

    if "pyscf" not in qcengine.list_all_programs():
        qcengine.register_program(PySCFHarness())
