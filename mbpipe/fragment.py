"""Running one fragment calculation through QCEngine.

Kept lean on imports: a cluster job starts a fresh Python for each fragment.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mbpipe.jsonio import write_model_atomic, write_text_atomic


def input_digest(text: str | bytes) -> str:
    """SHA-256 of a fragment's AtomicInput file: ties a result to the exact input it came from."""
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def error_path(result_path: str | Path) -> Path:
    """Where a failed fragment leaves its error record: beside where its result would be."""
    result_path = Path(result_path)
    return result_path.with_name(result_path.stem + ".error.json")


def run_fragment(input_path: str | Path, result_path: str | Path, ncores: int = 1, memory_mb: float = 2000) -> bool:
    """Run the AtomicInput in *input_path*; write the AtomicResult to *result_path*, or an error record
    beside it.  Returns whether the calculation succeeded."""
    import qcengine
    from qcelemental.models.v2 import AtomicInput

    text = Path(input_path).read_text()
    atomic_input = AtomicInput.model_validate_json(text)
    program = atomic_input.specification.program
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    result = qcengine.compute(
        atomic_input,
        program,
        raise_error=False,
        task_config={"ncores": ncores, "memory": memory_mb / 1024},
    )
    record = {
        "input_sha256": input_digest(text),
        "host": socket.gethostname(),
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "wall_time_s": time.perf_counter() - t0,
        "ncores": ncores,
        "memory_mb": memory_mb,
        # The batch job that ran the calculation on a cluster, None elsewhere.
        "scheduler_job_id": os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID"),
    }
    error_file = error_path(result_path)
    if getattr(result, "success", False):
        extras = {**result.extras, "mbpipe": record}
        write_model_atomic(result_path, result.model_copy(update={"extras": extras}))
        error_file.unlink(missing_ok=True)
        return True

    error = result.error
    write_text_atomic(
        error_file,
        result.model_copy(update={"extras": {**(result.extras or {}), "mbpipe": record}}).model_dump_json(indent=1),
    )
    print(
        f"fragment {Path(result_path).stem} failed in {program}: {error.error_type}: {error.error_message}\n"
        f"error record: {error_file}",
        file=sys.stderr,
    )
    return False
