"""The command a rule's job runs and the environment it runs in."""

from __future__ import annotations

import shlex

from mbpipe.jobserver import client

# QCEngine's NWChem harness writes the basis block in set order, which follows Python's string hash;
# NWChem's last printed digit (1e-12 Eh) depends on that order.  A fixed seed makes the fragment jobs,
# the job server and the sequential baseline write identical input decks.
JOB_ENVIRONMENT = {"PYTHONHASHSEED": "0"}


def job_command(python: str) -> str:
    """The shell words that start `mbpipe` in a job: the job client run by *python* (the one running
    Snakemake, whose environment has mbpipe installed) with the job environment.  The client runs
    without `site` (-S); it hands the work to the run's job server, or starts `python -m mbpipe`."""
    settings = " ".join(f"{key}={shlex.quote(value)}" for key, value in JOB_ENVIRONMENT.items())
    return f"{settings} {shlex.quote(python)} -S {shlex.quote(client.__file__)}"
