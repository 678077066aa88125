"""The verification of an embedded run: every calculation redone in one process and assembled.

QCManyBody's sequential ManyBodyComputer hands embedding charges to Psi4 only, so it cannot compute an
embedded run on PySCF. This path builds each calculation anew from QCManyBody's plan of the expansion
(not from the fragment input files the pipeline ran), computes them in turn through QCEngine with the
fragment jobs' cores and memory, and assembles them as the pipeline does.
"""

from __future__ import annotations

# What verification.json and the report name as the comparison (as the screened check does).
METHOD = "mbpipe's sequential embedded path"
SEQUENTIAL_COMPARISON = (
    "replaced: QCManyBody's sequential computer passes embedding charges to Psi4 only; every embedded "
    "calculation was rebuilt from QCManyBody's plan and computed in one process "
    "(mbpipe/pipeline/embedded_sequential.py)"
)


def sequential_embedded_result(mbin, ncores: int, memory_mb: float):
    """The ManyBodyResult of the embedded *mbin*, every calculation computed here, one after another."""
    import qcengine
    from qcelemental.models.v2 import AtomicInput

    from mbpipe.pipeline.assemble import analyze
    from mbpipe.pipeline.plan import manybody_computer
    from mbpipe.programs import register_programs
    from mbpipe.programs.threads import threads_limited_to

    register_programs()
    specifications = mbin.specification.specification
    results = {}
    with threads_limited_to(ncores):
        for mc, label, molecule in manybody_computer(mbin).qcmb_core.iterate_molecules():
            spec = specifications[mc]
            atomic_input = AtomicInput(
                molecule=molecule,
                specification={**spec.model_dump(), "driver": mbin.specification.driver},
            )
            results[label] = qcengine.compute(
                atomic_input,
                spec.program,
                raise_error=True,
                task_config={"ncores": ncores, "memory": memory_mb / 1024},
            )
    return analyze(mbin, results)
