"""The Snakemake workflow, shipped inside the package so that an installed mbpipe runs it from any folder.

A checkout's ``workflow`` is a link to this folder, so that plain ``snakemake`` in a checkout finds the
same Snakefile; ``mbpipe run`` points Snakemake at it directly.
"""

from pathlib import Path

WORKFLOW_DIR = Path(__file__).resolve().parent
SNAKEFILE = WORKFLOW_DIR / "Snakefile"
SCHEMA = WORKFLOW_DIR / "schemas" / "config.schema.yaml"
# The workstation profile `mbpipe run` uses unless given another (a checkout's profiles/local links here).
LOCAL_PROFILE = WORKFLOW_DIR / "profiles" / "local"
