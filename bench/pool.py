"""The hardware's ceiling for a config: every calculation in a plain pool of N worker processes (no
Snakemake, no levels, no files), forked after QCEngine is imported and warmed and the programs are
loaded as a job server loads them, each calculation's threads held to its core as a fragment job
holds them, costliest first, then QCManyBody's analysis.  Usage: python bench/pool.py CONFIG RESULT_JSON NPROCESSES"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mbpipe.base.jsonio import write_model_atomic  # noqa: E402
from mbpipe.batch.cost import estimated_seconds  # noqa: E402
from mbpipe.config.load import load_config  # noqa: E402
from mbpipe.config.manybody_input import manybody_input  # noqa: E402
from mbpipe.pipeline.assemble import analyze  # noqa: E402
from mbpipe.pipeline.plan import fragment_inputs  # noqa: E402
from mbpipe.programs import preload, register_programs  # noqa: E402
from mbpipe.programs.threads import one_thread_per_pool, threads_limited_to  # noqa: E402


def compute(item):
    import qcengine

    label, atomic_input = item
    task = {"ncores": 1, "memory": 2000 / 1024}
    with threads_limited_to(1):  # as a fragment job holds them (mbpipe/pipeline/fragment.py)
        result = qcengine.compute(atomic_input, atomic_input.specification.program, raise_error=True, task_config=task)
    return label, result


if __name__ == "__main__":
    import qcengine

    config, result_path, nprocesses = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    qcengine.config.get_global()  # the CPU survey, once, before the workers are forked
    register_programs()  # mbpipe's own programs (PySCF in-process), loaded as a job server loads them
    mbin = manybody_input(load_config(config))
    work = sorted(fragment_inputs(mbin), key=lambda item: -estimated_seconds(item[1]))
    preload(sorted({atomic_input.specification.program for _, atomic_input in work}))
    one_thread_per_pool()
    with multiprocessing.get_context("fork").Pool(nprocesses) as pool:
        results = dict(pool.imap_unordered(compute, work))
    write_model_atomic(result_path, analyze(mbin, results))
