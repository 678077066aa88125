"""How a rule's job runs its `mbpipe` command, and the environment it runs in."""

from __future__ import annotations

import os
import subprocess
import sys

from mbpipe.jobserver import client

# QCEngine's NWChem harness writes the basis block in set order, which follows Python's string hash;
# NWChem's last printed digit (1e-12 Eh) depends on that order.  A fixed seed makes the fragment jobs,
# the job server and the sequential baseline write identical input decks.
JOB_ENVIRONMENT = {"PYTHONHASHSEED": "0"}
JOB_ENVIRONMENT_BYTES = {key.encode(): value.encode() for key, value in JOB_ENVIRONMENT.items()}


class RuleCommandFailed(RuntimeError):
    """A rule's `mbpipe` command ended with a nonzero exit status (its log says why)."""


def run_rule_command(argv: list[str], log: str) -> None:
    """Run `mbpipe *argv*` for a rule's job, its output and errors in the file *log*.

    The workflow's rules call this from their `run:` blocks, which Snakemake runs in a thread of its own
    process (the workflow asks for that while it builds the job graph:
    mbpipe/run/snakemake_compat.run_jobs_in_threads).  The command goes straight to the run's job
    server, with the log file as its stdout and stderr: a job starts no shell and no Python of its own.
    Without a server (it did not start, or the job runs where none was started) the command runs in a
    `python -m mbpipe` of its own."""
    with open(log, "wb") as output:
        status = client.hand_over(argv, (output.fileno(), output.fileno()), JOB_ENVIRONMENT_BYTES)
        if status is None:
            command = [sys.executable, "-m", "mbpipe", *argv]
            environment = {**os.environ, **JOB_ENVIRONMENT}
            status = subprocess.run(command, stdout=output, stderr=output, env=environment).returncode
    if status:
        raise RuleCommandFailed(f"`mbpipe {' '.join(argv)}` ended with exit status {status}; see its log, {log}")
