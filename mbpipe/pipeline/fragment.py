"""Running one fragment calculation through QCEngine.

Kept lean on imports: the Snakefile imports it whenever Snakemake reads the workflow, and QCEngine is
imported only to calculate.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mbpipe.base.jsonio import write_model_atomic, write_text_atomic

# QCEngine's error types (qcengine.exceptions): an input error fails the same way every time.
NOT_RETRIED = {"input_error"}
RESOURCE_ERROR = "resource_error"
# Stopped at its time limit (mbpipe/pipeline/time_limit.py): retried with a longer one.
TIMEOUT = "timeout"
# Where a calculation ran, as its result records it (extras.mbpipe.runner), when a warm worker of the
# job server ran it (mbpipe/jobserver/workers.py).
WARM_WORKER = "warm-worker"


def input_digest(text: str | bytes) -> str:
    """SHA-256 of a fragment's AtomicInput file: ties a result to the exact input it came from."""
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def error_path(result_path: str | Path) -> Path:
    """Where a failed fragment leaves its error record: beside where its result would be."""
    result_path = Path(result_path)
    return result_path.with_name(result_path.stem + ".error.json")


def previous_error(result_path: str | Path, text: str) -> dict | None:
    """The error record an earlier attempt left for this very input, if any (read as plain JSON)."""
    try:
        record = json.loads(error_path(result_path).read_text())
    except (OSError, ValueError):
        return None
    mbpipe = (record.get("extras") or {}).get("mbpipe", {})
    if mbpipe.get("input_sha256") != input_digest(text) or not isinstance(record.get("error"), dict):
        return None
    return record


def result_is_current(input_path: str | Path, result_path: str | Path) -> bool:
    """Whether *result_path* holds a result of the input now in *input_path*: by modification times
    when the result is the newer file, else by the input hash the result records (an input rewritten
    with its old content is newer but unchanged)."""
    try:
        if Path(result_path).stat().st_mtime >= Path(input_path).stat().st_mtime:
            return True
        recorded = json.loads(Path(result_path).read_text())["extras"]["mbpipe"]["input_sha256"]
        return recorded == input_digest(Path(input_path).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def retry_memory_mb(result_path: str | Path, input_path: str | Path, base_mb: int, attempt: int) -> int:
    """Memory for this attempt: *base_mb*, times the attempt number when the last attempt ran out of
    resources (QCEngine's resource_error)."""
    if attempt > 1:
        try:
            record = previous_error(result_path, Path(input_path).read_text())
        except OSError:
            record = None
        if record and record["error"].get("error_type") == RESOURCE_ERROR:
            return base_mb * attempt
    return base_mb


def run_fragment(
    input_path: str | Path,
    result_path: str | Path,
    ncores: int = 1,
    memory_mb: float = 2000,
    attempt: int = 1,
    runner: str = "job",
    time_limit_s: float | None = None,
) -> bool:
    """Run the AtomicInput in *input_path*; write the AtomicResult to *result_path*, or an error record
    beside it.  Returns whether the calculation succeeded.  *runner* records where it ran: "job" (the
    fragment job's own process), "job-server" (a child forked by the run's job server, see
    mbpipe/jobserver/server.py) or "warm-worker" (one of its warm workers, with "pid" telling which).
    Past *time_limit_s* seconds the calculation, its program included, is stopped and recorded as a
    `timeout`.

    A retry (*attempt* > 1) of a calculation whose last attempt QCEngine judged an input error is not
    run again: the same input would fail the same way.
    """
    text = Path(input_path).read_text()
    earlier = previous_error(result_path, text)
    if attempt > 1 and earlier and earlier["error"].get("error_type") in NOT_RETRIED:
        print(
            f"fragment {Path(result_path).stem}: not retried, the last attempt failed with an "
            f"{earlier['error']['error_type']}: {str(earlier['error'].get('error_message', '')).strip()[:500]}\n"
            f"error record: {error_path(result_path)}",
            file=sys.stderr,
        )
        return False
    # tries of this very input so far, this one included, across reruns too
    attempts = earlier["extras"]["mbpipe"].get("attempts", 1) + 1 if earlier else 1
    record = {
        "input_sha256": input_digest(text),
        "host": socket.gethostname(),
        "ncores": ncores,
        "memory_mb": memory_mb,
        "attempts": attempts,
        # seconds this attempt may run; None without a limit
        "time_limit_s": time_limit_s,
        "runner": runner,
        "pid": os.getpid(),
        # The batch job that ran the calculation on a cluster, None elsewhere.
        "scheduler_job_id": os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID"),
    }
    if time_limit_s is None:
        return _calculate(text, Path(result_path), record)
    from mbpipe.pipeline import time_limit

    started, t0 = datetime.now(UTC), time.perf_counter()

    def record_timeout():
        timing = {"started": started.isoformat(), "finished": datetime.now(UTC).isoformat()}
        _record_timeout(text, Path(result_path), {**record, **timing, "wall_time_s": time.perf_counter() - t0})

    def work():
        return _calculate(text, Path(result_path), record)

    # A warm worker leads its process group already (mbpipe/jobserver/workers.py); elsewhere the
    # calculation gets a process group of its own, in a forked child.
    if runner == WARM_WORKER:
        succeeded = time_limit.call_with_time_limit_here(work, time_limit_s, before_kill=record_timeout)
    else:
        succeeded = time_limit.call_with_time_limit(work, time_limit_s)
    if succeeded is None:
        record_timeout()
        return False
    return succeeded


def _calculate(text: str, result_path: Path, record: dict) -> bool:
    """The calculation through QCEngine; its result or error record written, *record* in its
    `extras.mbpipe` with the times added."""
    import qcengine
    from qcelemental.models.v2 import AtomicInput

    from mbpipe.programs import register_programs
    from mbpipe.programs.mpi import private_mpi_session
    from mbpipe.programs.threads import threads_limited_to

    register_programs()
    atomic_input = AtomicInput.model_validate_json(text)
    program = atomic_input.specification.program
    ncores = record["ncores"]
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    with threads_limited_to(ncores), private_mpi_session():
        result = qcengine.compute(
            atomic_input,
            program,
            raise_error=False,
            task_config={"ncores": ncores, "memory": record["memory_mb"] / 1024},
        )
    record = {
        **record,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "wall_time_s": time.perf_counter() - t0,
    }
    if getattr(result, "success", False):
        extras = {**result.extras, "mbpipe": record}
        write_model_atomic(result_path, result.model_copy(update={"extras": extras}))
        error_path(result_path).unlink(missing_ok=True)
        return True
    _write_error_record(result_path, result.model_copy(update={"extras": {**(result.extras or {}), "mbpipe": record}}))
    return False


def _record_timeout(text: str, result_path: Path, record: dict) -> None:
    from qcelemental.models.v2 import AtomicInput, ComputeError, FailedOperation

    message = (
        f"stopped after {record['time_limit_s']:g} s, the time limit of attempt {record['attempts']} (a retry gets "
        "the limit times its attempt number; set fragment_time_limit_s in the config for another limit)"
    )
    failed = FailedOperation(
        input_data=AtomicInput.model_validate_json(text),
        error=ComputeError(error_type=TIMEOUT, error_message=message),
        extras={"mbpipe": record},
    )
    _write_error_record(result_path, failed)


def _write_error_record(result_path: Path, failed) -> None:
    error_file = error_path(result_path)
    write_text_atomic(error_file, failed.model_dump_json(indent=1))
    error = failed.error
    program = failed.input_data.specification.program if failed.input_data else "the program"
    print(
        f"fragment {result_path.stem} failed in {program}: {error.error_type}: {error.error_message}\n"
        f"error record: {error_file}",
        file=sys.stderr,
    )
