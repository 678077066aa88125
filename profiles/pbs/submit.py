#!/usr/bin/env python3
"""Snakemake cluster-generic submit command: qsub the job script with its cores, memory and wall time."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mbpipe.batch.pbs import submit  # noqa: E402

try:
    print(submit(sys.argv[-1]))
except (RuntimeError, ValueError) as error:
    sys.exit(f"profiles/pbs/submit.py: {error}")
