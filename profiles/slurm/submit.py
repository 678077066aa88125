#!/usr/bin/env python3
"""Snakemake cluster-generic submit command: sbatch the job script with its cores, memory and wall time."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mbpipe.batch.slurm import submit  # noqa: E402
from mbpipe.jobserver.client import ADDRESS_VARIABLE  # noqa: E402

# sbatch passes its environment on to the job: not the submitting Snakemake's job server, which serves
# the local rules on this host (the job's own Snakemake starts one where it runs).
os.environ.pop(ADDRESS_VARIABLE, None)
try:
    print(submit(sys.argv[-1]))
except (RuntimeError, ValueError) as error:
    sys.exit(f"profiles/slurm/submit.py: {error}")
