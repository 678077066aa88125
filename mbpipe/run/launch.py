"""The Snakemake that `mbpipe run` starts: the packaged workflow on the user's config, results in the
folder the command runs in, with the workstation profile unless the user names another.

A run on this machine (the workstation profile, no executor named) runs Snakemake inside the
`mbpipe run` process, which has already read the config, and pays neither for a second Python nor for
the cluster executor plugins it does not use: Snakemake imports every installed executor plugin when
it builds its command line, and the SLURM plugin then asks `scontrol` for the cluster's settings (9 s
when the controller does not answer).  Its job server starts before Snakemake reads the workflow, so
that QCEngine warms up while Snakemake plans and builds the job graph.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import threading
from pathlib import Path

from mbpipe.jobserver import server as job_server
from mbpipe.run.jobs import JOB_ENVIRONMENT
from mbpipe.workflow import LOCAL_PROFILE, SNAKEFILE

# Snakemake options after which it runs no job: a job server would warm up for nothing.
NO_JOBS = {
    "--dry-run", "--dryrun", "--touch", "--lint", "--list-rules", "--list", "--list-target-rules", "--lt",
    "--dag", "--rulegraph", "--filegraph", "--d3dag", "--summary", "--detailed-summary", "--report",
    "--unlock", "--cleanup-metadata", "--cm", "--list-changes", "--list-input-changes", "--li",
    "--list-params-changes", "--lp", "--list-code-changes", "--delete-all-output", "--delete-temp-output",
    "--archive", "--containerize", "--print-compilation", "--export-cwl", "--version", "--help",
}  # fmt: skip
# Short options that run no job (-n dry run, -t touch, -l list, -S/-D summaries), also in a cluster like -np.
NO_JOBS_SHORT = set("ntlSDhv")


def snakemake_args(config: Path, workdir: Path, user_args: list[str]) -> list[str]:
    """Snakemake's command-line arguments for the workflow on *config*, results under *workdir*."""
    return [
        "--snakefile", str(SNAKEFILE),
        "--configfile", str(config.resolve()),
        "--directory", str(workdir),
        *profile_args(user_args),
        *user_args,
    ]  # fmt: skip


def snakemake_command(config: Path, workdir: Path, user_args: list[str]) -> list[str]:
    """The same as a command of its own (`python -m snakemake ...`)."""
    return [sys.executable, "-m", "snakemake", *snakemake_args(config, workdir, user_args)]


def profile_args(user_args: list[str]) -> list[str]:
    """The workstation profile, unless the command names a profile of its own."""
    if {"--profile", "--workflow-profile"} & option_names(user_args):
        return []
    return ["--profile", str(LOCAL_PROFILE)]


def runs_here(user_args: list[str]) -> bool:
    """Whether Snakemake runs the jobs on this machine: the workstation profile and no executor,
    named on the command line or by a profile in $SNAKEMAKE_PROFILE."""
    return not ({"--profile", "--executor", "-e"} & option_names(user_args) or os.environ.get("SNAKEMAKE_PROFILE"))


def runs_jobs(user_args: list[str]) -> bool:
    """Whether these options leave Snakemake running jobs (not a dry run, a listing or a report)."""
    return not any(
        name in NO_JOBS or (name[:1] == "-" and name[1:2] != "-" and NO_JOBS_SHORT & set(name[1:]))
        for name in option_names(user_args)
    )


def option_names(user_args: list[str]) -> set[str]:
    """The names of the command-line words, `--profile=x` read as `--profile`."""
    return {arg.split("=")[0] for arg in user_args}


def start_job_server(programs: list[str]) -> None:
    """This process's job server, for the Snakemake that will run in it (see run_here)."""
    job_server.start(sys.executable, JOB_ENVIRONMENT, programs)


def run_here(config: Path, workdir: Path, user_args: list[str]) -> int:
    """Snakemake in this process with the executors of this machine alone; its exit status."""
    from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry

    # Snakemake's registry collects every installed plugin the first time it is made (its scheduler
    # makes it on import), unless it is already made: make it first, with Snakemake's own executors
    # only (local, dry run, touch).
    registry = object.__new__(ExecutorPluginRegistry)
    registry.plugins = {}
    for name in ("local", "dryrun", "touch"):
        registry.register_plugin(name, importlib.import_module(f"snakemake.executors.{name}"))
    ExecutorPluginRegistry._instance = registry
    from snakemake.cli import args_to_api, parse_args
    from snakemake.exceptions import print_exception

    try:
        parser, args = parse_args(snakemake_args(config, workdir, user_args))
        # No limit on how fast jobs start: it guards a cluster's scheduler, and on this machine it
        # cost a new thread in each of Snakemake's scheduling rounds (one per finished job).
        args.max_jobs_per_timespan = None
        return 0 if args_to_api(args, parser) else 1
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 1
    except Exception as error:  # as Snakemake's own command line reports it
        print_exception(error)
        return 1


def let_snakemake_end() -> None:
    """At the end of a run (Snakemake's success and error hooks), let its process end at once.  Its
    scheduler starts a one-second timer in every round (the re-evaluation of its job rate limit), and
    Python waits for the last ones at exit; and the interpreter's last garbage collection walks every
    object left (0.4 s with Snakemake, QCManyBody and pandas loaded) unless they are frozen."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
    gc.freeze()
