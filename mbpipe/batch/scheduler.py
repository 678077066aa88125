"""What a rule's process changes in the environment a cluster scheduler gave it."""

from __future__ import annotations

import os

# Set by SLURM inside an `srun` job step, which is where snakemake-executor-plugin-slurm runs every job.
SLURM_STEP_VARIABLES = ("SLURM_STEP_ID", "SLURM_STEPID")


def leave_scheduler_step() -> None:
    """Let QC programs start as the single process QCEngine means them to be.

    An MPI-built program (Debian's NWChem uses Open MPI) that sees SLURM's job-step variables takes
    itself for an srun-launched MPI rank and aborts in MPI_Init when Open MPI lacks SLURM's PMI.
    """
    for variable in SLURM_STEP_VARIABLES:
        os.environ.pop(variable, None)
