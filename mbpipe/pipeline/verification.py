"""The verify rule: a run's many-body result checked against the independent path that fits it:
QCManyBody's sequential ManyBodyComputer, the sequential path of an embedded run
(embedded_sequential), or the sums of a screened run's kept n-mers' increments (screened_check)."""

from __future__ import annotations

import sys
from pathlib import Path

from mbpipe.base.jsonio import write_json_atomic, write_model_atomic
from mbpipe.pipeline.assemble import load_fragment_results
from mbpipe.pipeline.plan import load_manybody_input, load_plan
from mbpipe.pipeline.verify import compare, format_comparison, fragment_task_settings, sequential_result


def verify_run(name: str, manybody: Path, output: Path, sequential_file: Path | None, tolerance: float) -> bool:
    """Compare run *name*'s result in *manybody* with its independent path; write the comparison to
    *output* and, where there is one, the sequential result to *sequential_file*.  Whether it passed."""
    from qcmanybody.models.v2 import ManyBodyResult

    pipeline = ManyBodyResult.model_validate_json(manybody.read_text())
    plan = load_plan(name)
    fragment_results = load_fragment_results(plan)
    mbin = load_manybody_input(name)
    if plan.screens:
        from mbpipe.pipeline.screened_check import check, kept_increment_sums

        expected = kept_increment_sums(mbin, fragment_results, plan.distance_cutoffs)
        comparison = check(pipeline, expected, tolerance, plan.screened_calculations)
        print(comparison["sequential_comparison"])
    elif sequential_file is None:
        raise SystemExit("mbpipe verify: give --sequential, the file for the sequential result")
    else:
        ncores, memory_mb = fragment_task_settings(fragment_results)
        if mbin.specification.keywords.embedding_charges:
            from mbpipe.pipeline.embedded_sequential import (
                METHOD,
                SEQUENTIAL_COMPARISON,
                sequential_embedded_result,
            )

            sequential = sequential_embedded_result(mbin, ncores, memory_mb)
            comparison = compare(pipeline, sequential, tolerance)
            comparison.update(method=METHOD, sequential_comparison=SEQUENTIAL_COMPARISON)
        else:
            sequential = sequential_result(mbin, ncores, memory_mb)
            comparison = compare(pipeline, sequential, tolerance)
        write_model_atomic(sequential_file, sequential)
    print(format_comparison(comparison))
    if not comparison["passed"]:
        against = "the sums of its kept n-mers' increments" if plan.screens else "its sequential result"
        print(f"{manybody} differs from {against}; see the table above", file=sys.stderr)
        return False
    write_json_atomic(output, comparison)
    return True
