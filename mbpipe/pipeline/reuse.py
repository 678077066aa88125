"""A fragment result taken from another calculation of the same molecules, not computed again.

Where the plan found two calculations alike (mbpipe/crystal/shared.py: the same molecules up to a rigid
motion, in their own basis, at the same specification), the second's result is the first's energy on
its own molecule: the AtomicResult of the computed one with this calculation's input and molecule, its
scalar properties (energies, counts: the same for any placement of the molecules), no wavefunction,
dipoles or native files (they would have to be rotated), and a record of where it came from.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from mbpipe.base.jsonio import write_model_atomic
from mbpipe.pipeline.fragment import input_digest


class ReuseError(RuntimeError):
    pass


def reuse_result(input_path: str | Path, computed_path: str | Path, result_path: str | Path, runner: str = "job"):
    """Write *result_path*, the result of the input in *input_path*, from the result in *computed_path*
    of a calculation alike."""
    from qcelemental.models.v2 import AtomicInput, AtomicResult

    started, t0 = datetime.now(UTC), time.perf_counter()
    text = Path(input_path).read_text()
    atomic_input = AtomicInput.model_validate_json(text)
    computed = AtomicResult.model_validate_json(Path(computed_path).read_text())
    driver = atomic_input.specification.driver
    if driver != "energy":
        raise ReuseError(f"{input_path}: only an energy is the same for moved molecules, not a {driver}")
    same_atoms = sorted(computed.molecule.symbols) == sorted(atomic_input.molecule.symbols)
    if computed.input_data.specification != atomic_input.specification or not same_atoms:
        raise ReuseError(
            f"{computed_path} is not a calculation alike {input_path} (other atoms or specification); delete "
            "results/<name>/shared.json and the plans so that the shared calculations are found again"
        )
    scalars = {k: v for k, v in computed.properties.model_dump(exclude_none=True).items() if isinstance(v, int | float)}
    computed_record = (computed.extras or {}).get("mbpipe", {})
    record = {
        "input_sha256": input_digest(text),
        "host": socket.gethostname(),
        "ncores": computed_record.get("ncores", 1),
        "memory_mb": computed_record.get("memory_mb", 0),
        "attempts": 1,
        "runner": runner,
        "scheduler_job_id": os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID"),
        # the calculation whose energy this is
        "same_as": str(computed_path),
        "same_as_input_sha256": computed_record.get("input_sha256"),
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "wall_time_s": time.perf_counter() - t0,
    }
    result = computed.model_copy(
        update={
            "input_data": atomic_input,
            "molecule": atomic_input.molecule,
            "properties": type(computed.properties)(**scalars),
            "wavefunction": None,
            "native_files": {},
            "stdout": f"Not computed again: the energy of {computed_path}, the same molecules moved rigidly.",
            "stderr": None,
            "extras": {"mbpipe": record},
        }
    )
    write_model_atomic(Path(result_path), result)
