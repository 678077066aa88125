"""The places where mbpipe leans on Snakemake beyond its documented command line, API and profiles:
three public attributes of Snakemake's `workflow` object, and the name of its logger, each used for
something no option offers; the tested Snakemake versions are pinned in pyproject.toml, and
tests/test_compat.py fails on a version where one stops working as assumed here.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

from mbpipe.base.disk import DISK_FULL


def lift_job_rate_limit(workflow) -> None:
    """No limit on how fast jobs start, for a run on this machine.  Snakemake's command line always
    sets one (`--max-jobs-per-timespan`, default 100/1s; its API's default, None, is no limit), and
    with a limit its scheduler starts a one-second timer thread in every scheduling round: 24-35 ms of
    CPU per job, and up to a second's wait for the last timers when the run ends.  The limit guards a
    cluster's scheduler, which a local run does not use.  Snakemake's scheduler reads the setting
    when it is made, after the job graph is built: call this while the graph is built."""
    workflow.scheduling_settings.max_jobs_per_timespan = None


def run_jobs_in_threads(workflow) -> None:
    """Run the rules' `run:` blocks in threads of this Snakemake (mbpipe/run/jobs.py), as Snakemake
    itself does with `--force-use-threads`, which it passes to a cluster submission of one job but not
    of a group; otherwise each such job starts a Snakemake of its own, which reads the whole workflow
    again (seconds).  Snakemake's executor reads the setting when it is made, after the job graph is
    built: call this while the graph is built."""
    workflow.execution_settings.use_threads = True


def size_group_like(workflow, group: str, parent: str) -> None:
    """Let the `group-components` entry of group *parent* size group *group*, as Snakemake does itself
    for a group named with wildcards: mbpipe names a bundle per geometry (`bundle-n2-frame-0003`),
    and a profile can only name the level's bundles (`bundle-n2=50`)."""
    workflow.parent_groupids[group] = parent


@contextmanager
def disk_full_reports():
    """A list that collects the error number (ENOSPC, EDQUOT) of each full-disk error Snakemake logs
    in this process while in this context: its records of the jobs in .snakemake, the planning in the
    Snakefile."""
    numbers = []
    handler = _DiskFullHandler(numbers)
    snakemake_logger = logging.getLogger("snakemake")  # Snakemake logs as snakemake.logging
    snakemake_logger.addHandler(handler)
    try:
        yield numbers
    finally:
        snakemake_logger.removeHandler(handler)


class _DiskFullHandler(logging.Handler):
    def __init__(self, numbers: list[int]):
        super().__init__(logging.WARNING)
        self.numbers = numbers

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.numbers.extend(number for number in sorted(DISK_FULL) if os.strerror(number) in message)
