"""The ``mbpipe`` command: ``run``, ``plan``, ``status`` and ``failures`` for people; ``serve`` for the
job server a Snakemake starts; and the subcommands the workflow's rules run (mbpipe/run/rule_commands.py)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path

from mbpipe.base.disk import disk_full_error, disk_full_message, folder_of
from mbpipe.base.layout import NotARunFolder
from mbpipe.batch.scheduler import leave_scheduler_step
from mbpipe.run.rule_commands import add_rule_commands

# The commands a person types: an error in one of them that no check foresaw is told in one line, its
# traceback kept in a file (or printed, with MBPIPE_DEBUG=1).
PEOPLE_COMMANDS = {"run", "plan", "status", "failures"}
DEBUG_VARIABLE = "MBPIPE_DEBUG"


def main(argv: list[str] | None = None, runner: str = "job") -> int:
    """Run the `mbpipe` command *argv*.  *runner* says where the work happens, as fragment results
    record it: "job" (the job's own process) or "job-server" (a child of the run's job server)."""
    parser = argparse.ArgumentParser(prog="mbpipe", description=__doc__)
    parser.set_defaults(runner=runner)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the workflow on a config, results under the current directory",
        description="Run the installed workflow. Options after CONFIG that mbpipe does not know go to Snakemake.",
    )
    run.add_argument("config", type=Path)
    run.set_defaults(handler=_run)

    plan = commands.add_parser("plan", help="preview a run: calculations, basis functions and estimated time per level")
    plan.add_argument("config", type=Path)
    plan.add_argument("--json", action="store_true", help="print the preview as JSON")
    plan.add_argument(
        "--timings",
        type=Path,
        help="results/<name> folder of an earlier run whose wall times calibrate the estimate "
        "(default: this run's own results folder under the current directory, if it has any)",
    )
    plan.set_defaults(handler=_plan)

    status = commands.add_parser("status", help="progress of a run: fragments done, running, failed, waiting")
    status.add_argument(
        "results", type=Path, nargs="?", help="the run's results/<name> folder (default: the one run under ./results)"
    )
    status.add_argument(
        "--watch", type=float, nargs="?", const=5.0, metavar="SECONDS", help="refresh every SECONDS (5)"
    )
    status.set_defaults(handler=_status)

    serve = commands.add_parser("serve", help="(Snakemake) the warm process that runs one Snakemake's jobs")
    serve.add_argument("address", type=Path, help="the Unix socket to listen at")
    serve.add_argument("--listening", type=int, help="the file descriptor of a socket already listening there")
    serve.add_argument("--programs", nargs="*", default=[], help="QC programs to start up once (version probe)")
    serve.add_argument("--parent", type=int, required=True, help="stop when this process (Snakemake) ends")
    serve.add_argument("--closing", action="store_true", help="fork a closing server for the assembly and report")
    serve.set_defaults(handler=_serve)

    failures = commands.add_parser("failures", help="list the failed and rejected fragments of a run")
    failures.add_argument("name")
    failures.set_defaults(handler=_failures)

    add_rule_commands(commands)

    args, extra = parser.parse_known_args(argv)
    if args.command != "run":
        leave_scheduler_step()
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.handler(args, extra) or 0
    except NotARunFolder as err:
        print(f"mbpipe {args.command}: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        full = disk_full_error(err)
        if full is not None:
            print(disk_full_message(folder_of(full), full.errno), file=sys.stderr)
            return 1
        if args.command not in PEOPLE_COMMANDS or os.environ.get(DEBUG_VARIABLE):
            raise  # a rule's command: its traceback goes to the job's log
        print(_unexpected_error(args, err), file=sys.stderr)
        return 1


def _unexpected_error(args, err: Exception) -> str:
    """One line for an error no check foresaw, naming what the command read and where its traceback is:
    a person sees no traceback, and whoever fixes mbpipe finds it."""
    subject = getattr(args, "config", None) or getattr(args, "results", None) or getattr(args, "name", None)
    fd, traceback_file = tempfile.mkstemp(prefix=f"mbpipe-{args.command}-", suffix=".traceback")
    with os.fdopen(fd, "w") as handle:
        traceback.print_exc(file=handle)
    what = f"{subject}: " if subject else ""
    return (
        f"mbpipe {args.command}: {what}{type(err).__name__}: {err} -- an error mbpipe did not foresee, not a "
        f"refusal of the input: please report it with the input and the traceback in {traceback_file} "
        f"({DEBUG_VARIABLE}=1 prints it here)"
    )


def _checked_config(path: Path):
    """(config, run name -> (its config, its ManyBodyInput)) of the config file at *path* -- one run,
    or one per geometry -- or a clear message and exit status 2: every command that reads a config
    refuses a bad one the same way, before any work."""
    from mbpipe.config.load import load_config

    with _refusing_bad_config(path):
        config = load_config(path)
        return config, _checked_runs(config)


@contextmanager
def _refusing_bad_config(path: Path):
    from mbpipe.config.errors import ConfigError

    try:
        yield
    except (ConfigError, FileNotFoundError) as err:
        print(f"mbpipe: {path}: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def _checked_runs(config: dict) -> dict:
    from mbpipe.config.checks import checked_manybody_input
    from mbpipe.config.errors import ConfigError
    from mbpipe.config.geometries import run_configs
    from mbpipe.pipeline.plan import manybody_computer
    from mbpipe.pipeline.screening import expansion_problems

    runs = {}
    for name, run in run_configs(config).items():
        mbin = checked_manybody_input(run)
        problems = expansion_problems(manybody_computer(mbin).qcmb_core, config["distance_cutoffs"])
        if problems:
            raise ConfigError(problems)
        runs[name] = (run, mbin)
    return runs


def _run(args, snakemake_args: list[str]) -> int:
    from mbpipe.run import launch

    if launch.asks_for_local_jobs(snakemake_args):
        # QCEngine warms up in the job server while the config is checked and Snakemake plans
        programs = launch.programs_in(args.config)
        if programs is not None:
            launch.start_job_server(programs)
    # QCElemental and QCManyBody (0.4 s to import) only once the server is on its way
    from mbpipe.config.load import load_config
    from mbpipe.run.resume import unlock_if_stale

    with _refusing_bad_config(args.config):
        _checked_runs(load_config(args.config))
    workdir = Path.cwd()
    unlock_if_stale(launch.snakemake_command(args.config, workdir, snakemake_args), workdir, args.config)
    return launch.run_snakemake(args.config, workdir, snakemake_args)


def _plan(args, _):
    import json

    from mbpipe.base import layout
    from mbpipe.config.crystal import is_crystal
    from mbpipe.crystal.catalogue import describe, read_catalogue
    from mbpipe.monitor.calibration import calibration_from_run
    from mbpipe.monitor.preview import (
        format_fragments,
        format_geometries_preview,
        format_preview,
        nmer_preview,
        plan_preview,
        preview_json,
    )
    from mbpipe.programs.capabilities import model_chemistry_notes

    config, runs = _checked_config(args.config)
    timings_dir = args.timings or Path(layout.RESULTS.format(name=config["name"]))
    calibration = calibration_from_run(timings_dir, required=args.timings is not None)
    source = str(timings_dir) if calibration.nfragments else None
    # a geometry's table under its folder name (frame-0007), or the run's under its name
    cutoffs = config["distance_cutoffs"]
    tables = {
        name.removeprefix(f"{config['name']}/"): plan_preview(mbin, calibration, cutoffs)
        for name, (_, mbin) in runs.items()
    }
    # The fragments (and kept n-mers) of the first geometry: every geometry is read and checked the same way.
    first_config, first_mbin = next(iter(runs.values()))
    heading, fragments = _fragments_found(first_config, first_mbin)
    nmers = nmer_preview(first_mbin, cutoffs) if cutoffs else None
    crystal = read_catalogue(config["name"]) if is_crystal(config) else None
    if args.json:
        preview = preview_json(config["name"], tables, calibration, source, fragments, nmers)
        if crystal:
            preview["crystal"] = {"lines": describe(crystal)}
        print(json.dumps(preview, indent=1))
        return
    if crystal:
        print("\n".join(describe(crystal)))
    print(format_fragments(heading, fragments))
    for note in model_chemistry_notes(first_mbin):
        print(note)
    if list(tables) == [config["name"]]:  # one geometry of `frames: all` is still a run of geometries
        print(format_preview(config["name"], tables[config["name"]], calibration, source, nmers))
    else:
        print(format_geometries_preview(config["name"], tables, calibration, source))


def _fragments_found(config, mbin):
    """(a heading, the fragments) of the run's molecule, for a person to check before anything runs."""
    from mbpipe.config.manybody_input import config_cluster
    from mbpipe.molecules.cluster_file import describe_fragments
    from mbpipe.monitor.preview import cluster_heading

    if "input" in config:
        fragments = describe_fragments(mbin.molecule)
        return f"{config['input']}: {len(fragments)} fragments, as its ManyBodyInput gives them", fragments
    # Read once more (milliseconds): the ManyBodyInput keeps no atom numbers of the file.
    _, info = config_cluster(config)
    return cluster_heading(info), info.fragments


def _status(args, _):
    from mbpipe.monitor.status import watch

    return watch(args.results, args.watch)


def _serve(args, _):
    from mbpipe.jobserver.server import serve
    from mbpipe.jobserver.warm_up import warm_up, warm_up_for_closing

    serve(
        args.address,
        args.parent,
        dispatch=main,
        warm_up=lambda: warm_up(args.programs),
        closing_warm_up=warm_up_for_closing if args.closing else None,
        listening=args.listening,
    )


def _failures(args, _):
    from mbpipe.monitor.failures import failure_report

    report = failure_report(args.name)
    print(report or f"no failed or rejected fragments in results/{args.name}")
    return 1 if report else 0
