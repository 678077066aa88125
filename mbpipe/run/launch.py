"""The Snakemake that `mbpipe run` starts: the packaged workflow on the user's config, results in the
folder the command runs in, with the workstation profile unless the user names another.

Snakemake runs inside the `mbpipe run` process, through its own command-line entry point, so that it
behaves exactly as plain `snakemake` does on the same workflow.  A run on this machine starts its job
server before it reads the config: QCEngine warms up while the config is checked and the job graph is
built (plain `snakemake` starts it as it starts reading the workflow, see rules/common.smk).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from pathlib import Path

import yaml

from mbpipe.base.disk import disk_full_message, is_nearly_full
from mbpipe.jobserver import server as job_server
from mbpipe.run.jobs import JOB_ENVIRONMENT
from mbpipe.run.snakemake_compat import disk_full_reports
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


def asks_for_local_jobs(user_args: list[str]) -> bool:
    """Whether these options ask Snakemake to run jobs on this machine."""
    return runs_here(user_args) and runs_jobs(user_args)


def option_names(user_args: list[str]) -> set[str]:
    """The names of the command-line words, `--profile=x` read as `--profile`."""
    return {arg.split("=")[0] for arg in user_args}


def programs_in(config_file: Path) -> list[str] | None:
    """The QC programs the config file at *config_file* names, from its YAML alone: the job server
    starts while the config is checked.  None where the file does not read as YAML (the check that
    follows says why)."""
    try:
        return programs_named(yaml.safe_load(config_file.read_text()))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def programs_named(config) -> list[str]:
    """The QC programs a config's model chemistries name, as read (before validation: anything that
    is not a mapping of mappings names none)."""
    chemistries = config.get("model_chemistries") if isinstance(config, dict) else None
    if not isinstance(chemistries, dict):
        return []
    named = (mc.get("program") for mc in chemistries.values() if isinstance(mc, dict))
    return sorted({program for program in named if isinstance(program, str)})


def start_job_server(programs: list[str], closing: bool = True):
    """This process's job server, for the Snakemake that runs in it, which starts up each of
    *programs* once, and with *closing* a closing server for the assembly and the report; the server
    process, or None if it did not start."""
    return job_server.start(sys.executable, JOB_ENVIRONMENT, programs, closing)


def run_snakemake(config: Path, workdir: Path, user_args: list[str]) -> int:
    """Snakemake's command line in this process; its exit status.  A run that failed on a full disk
    ends with the one line that says so (after Snakemake's own report of the jobs it stopped)."""
    from snakemake.cli import main as snakemake_main

    with disk_full_reports() as disk_full:
        try:
            snakemake_main(snakemake_args(config, workdir, user_args))
            status = 0
        except SystemExit as stopped:
            status = stopped.code if isinstance(stopped.code, int) else 1
    if status and (disk_full or is_nearly_full(workdir)):
        print(disk_full_message(workdir, *disk_full[:1]), file=sys.stderr)
    return status


def end_without_collecting() -> None:
    """Let this Snakemake's process end at once, however it ends (a run, a dry run, a run with nothing
    to do, a failure, a cluster submission's own Snakemake): the interpreter's last garbage collection
    walks every object left, 1.2-1.4 s after a dry run of 10^4 fragment jobs, unless they are frozen
    first.  Python's logging closes its files in an exit function of its own, registered earlier and
    so called after this one."""
    atexit.register(gc.freeze)
