#!/usr/bin/env python3
"""Snakemake cluster-generic status command: prints success, failed or running for a SLURM job id."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mbpipe.batch.slurm import query  # noqa: E402

print(query(sys.argv[1]))
