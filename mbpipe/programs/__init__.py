"""What mbpipe adds to QCEngine's programs: what each one can do, checked before any job starts, and
the programs it brings itself (PySCF, run in-process).

QCEngine knows a program only in a process that registered it, so every process that computes or
checks calls ``register_programs`` first: fragment jobs, the job server, the verification's sequential
computer and the pre-run checks.
"""

from __future__ import annotations


def register_programs() -> None:
    """Make the programs mbpipe brings known to QCEngine in this process; calling it again does nothing."""
    from mbpipe.programs.pyscf import register_pyscf

    register_pyscf()


def preload(programs: list[str]) -> None:
    """Import, computing nothing, the libraries that *programs* calculate with in-process, and compile
    the patterns their outputs are read with, so that a job server's forked children find them ready.
    Starts no OpenMP thread pool, which a fork would not survive."""
    if {"pyscf", "pyscf-gpu"} & set(programs):
        from mbpipe.programs.pyscf.harness import import_pyscf

        import_pyscf()
    if "nwchem" in programs:
        from mbpipe.programs.qcengine_compat import compile_nwchem_output_patterns

        compile_nwchem_output_patterns()
