"""The two places where mbpipe leans on Snakemake beyond its documented command line, API and
profiles.  Each is a public attribute of Snakemake's `workflow` object, used for something no option
offers; the tested Snakemake versions are pinned in pyproject.toml, and tests/test_compat.py fails on
a version where either stops working as assumed here.
"""

from __future__ import annotations


def lift_job_rate_limit(workflow) -> None:
    """No limit on how fast jobs start, for a run on this machine.  Snakemake's command line always
    sets one (`--max-jobs-per-timespan`, default 100/1s; its API's default, None, is no limit), and
    with a limit its scheduler starts a one-second timer thread in every scheduling round: 24-35 ms of
    CPU per job, and up to a second's wait for the last timers when the run ends.  The limit guards a
    cluster's scheduler, which a local run does not use.  Snakemake's scheduler reads the setting
    when it is made, after the job graph is built: call this while the graph is built."""
    workflow.scheduling_settings.max_jobs_per_timespan = None


def size_group_like(workflow, group: str, parent: str) -> None:
    """Let the `group-components` entry of group *parent* size group *group*, as Snakemake does itself
    for a group named with wildcards: mbpipe names a bundle per geometry (`bundle-n2-frame-0003`),
    and a profile can only name the level's bundles (`bundle-n2=50`)."""
    workflow.parent_groupids[group] = parent
