"""The ``mbpipe`` command: ``mbpipe run`` for people, the other subcommands for the workflow's rules."""

from __future__ import annotations

import argparse
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from mbpipe.cluster.scheduler import leave_scheduler_step


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

    fragment = commands.add_parser("fragment", help="(rule) run one fragment calculation")
    fragment.add_argument("input", type=Path)
    fragment.add_argument("result", type=Path)
    fragment.add_argument("--ncores", type=int, default=1)
    fragment.add_argument("--memory-mb", type=float, default=2000)
    fragment.add_argument("--attempt", type=int, default=1, help="Snakemake's attempt number (retries)")
    fragment.add_argument("--time-limit-s", type=float, help="stop the calculation after this many seconds")
    fragment.set_defaults(handler=_fragment)

    serve = commands.add_parser("serve", help="(Snakemake) the warm process that runs one Snakemake's jobs")
    serve.add_argument("address", type=Path, help="the Unix socket to listen at")
    serve.add_argument("--programs", nargs="*", default=[], help="QC programs to start up once (version probe)")
    serve.add_argument("--parent", type=int, required=True, help="stop when this process (Snakemake) ends")
    serve.set_defaults(handler=_serve)

    gate = commands.add_parser("gate", help="(rule) check a level's fragment results and write its gate")
    gate.add_argument("name")
    gate.add_argument("level", type=int)
    gate.add_argument("output", type=Path)
    gate.set_defaults(handler=_gate)

    level = commands.add_parser("level", help="(rule) the many-body result through one n-body level")
    level.add_argument("name")
    level.add_argument("level", type=int)
    level.add_argument("output", type=Path)
    level.set_defaults(handler=_level)

    assemble = commands.add_parser("assemble", help="(rule) the many-body result and its summary table")
    assemble.add_argument("name")
    assemble.add_argument("manybody", type=Path)
    assemble.add_argument("summary", type=Path)
    assemble.set_defaults(handler=_assemble)

    failures = commands.add_parser("failures", help="list the failed and rejected fragments of a run")
    failures.add_argument("name")
    failures.set_defaults(handler=_failures)

    verify = commands.add_parser("verify", help="(rule) compare with QCManyBody's sequential computer")
    verify.add_argument("name")
    verify.add_argument("manybody", type=Path)
    verify.add_argument("output", type=Path)
    verify.add_argument("--sequential", type=Path, help="where to keep the sequential result (a screened run has none)")
    verify.add_argument("--tolerance", type=float, required=True)
    verify.set_defaults(handler=_verify)

    report = commands.add_parser("report", help="(rule) convergence and contribution plots and verification table")
    report.add_argument("name")
    report.add_argument("plots", type=Path, help="folder for the plots")
    report.add_argument("verification_table", type=Path, help="the verification table to write (CSV)")
    report.add_argument("verification", type=Path, nargs="?", help="the run's verification.json; none if not verified")
    report.set_defaults(handler=_report)

    fragment_table = commands.add_parser("fragment-table", help="(rule) fragment table and wall-time plot of a run")
    fragment_table.add_argument("name")
    fragment_table.add_argument("table", type=Path, help="the fragment table to write (CSV)")
    fragment_table.add_argument("plots", type=Path, help="folder for the plot")
    fragment_table.set_defaults(handler=_fragment_table)

    geometries = commands.add_parser("geometries", help="(rule) the geometries of a run side by side: table and plot")
    geometries.add_argument("name")
    geometries.add_argument("table", type=Path, help="the table to write (CSV)")
    geometries.add_argument("plots", type=Path, help="folder for the plot")
    geometries.set_defaults(handler=_geometries)

    args, extra = parser.parse_known_args(argv)
    if args.command != "run":
        leave_scheduler_step()
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.handler(args, extra) or 0


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
    from mbpipe.config.load import load_config
    from mbpipe.run import launch
    from mbpipe.run.resume import unlock_if_stale

    here = launch.runs_here(snakemake_args)
    with _refusing_bad_config(args.config):
        config = load_config(args.config)
        if here and launch.runs_jobs(snakemake_args):
            # QCEngine warms up in the job server while the config is checked and Snakemake plans
            launch.start_job_server(sorted({mc["program"] for mc in config.get("model_chemistries", {}).values()}))
        _checked_runs(config)
    workdir = Path.cwd()
    command = launch.snakemake_command(args.config, workdir, snakemake_args)
    unlock_if_stale(command, workdir)
    if here:
        return launch.run_here(args.config, workdir, snakemake_args)
    return subprocess.call(command)


def _plan(args, _):
    import json

    from mbpipe.base import layout
    from mbpipe.monitor.calibration import calibration_from_run
    from mbpipe.monitor.preview import (
        format_fragments,
        format_geometries_preview,
        format_preview,
        nmer_preview,
        plan_preview,
        preview_json,
    )

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
    if args.json:
        print(json.dumps(preview_json(config["name"], tables, calibration, source, fragments, nmers), indent=1))
        return
    print(format_fragments(heading, fragments))
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


def _fragment(args, _):
    from mbpipe.pipeline.fragment import run_fragment

    succeeded = run_fragment(
        args.input, args.result, args.ncores, args.memory_mb, args.attempt, args.runner, args.time_limit_s
    )
    return 0 if succeeded else 1


def _serve(args, _):
    from mbpipe.jobserver.server import serve

    serve(args.address, args.parent, dispatch=main, warm_up=lambda: _warm_up(args.programs))


def _warm_up(programs: list[str]) -> None:
    """What every job would otherwise do first, done once in the job server for all its forked
    children: import QCEngine, QCManyBody and the report's plotting, survey the CPU, register mbpipe's
    own programs and load the in-process ones (PySCF), probe each program's version.  No calculation
    runs here: a forked child inherits no threads, and an OpenMP pool that a calculation here started
    would hang every child."""
    import threading

    import qcengine

    # QCEngine's survey of the CPU (1.3 s) waits mostly on a Python of py-cpuinfo's own: the imports
    # go on meanwhile.  Nothing else asks QCEngine for its settings until the survey is done.
    survey = threading.Thread(target=qcengine.config.get_global)
    survey.start()
    import mbpipe.pipeline.assemble  # noqa: F401  (QCManyBody, for the gate, level and assembly jobs)
    import mbpipe.pipeline.fragment  # noqa: F401
    import mbpipe.pipeline.gate  # noqa: F401
    import mbpipe.report.files  # noqa: F401  (matplotlib and pandas, for the report jobs)
    from mbpipe.programs import preload, register_programs
    from mbpipe.programs.threads import one_thread_per_pool

    survey.join()
    register_programs()
    preload(programs)
    one_thread_per_pool()
    for name in programs:
        try:
            qcengine.get_program(name).get_version()
        except Exception:  # a program that is missing fails, with its own message, in each calculation
            pass


def _gate(args, _):
    from mbpipe.pipeline.gate import write_gate
    from mbpipe.pipeline.plan import load_plan

    write_gate(args.name, args.level, load_plan(args.name).labels(args.level), args.output)


def _level(args, _):
    from mbpipe.base.jsonio import write_model_atomic
    from mbpipe.pipeline.assemble import analyze, load_fragment_results, through_level
    from mbpipe.pipeline.plan import load_plan

    plan = load_plan(args.name)
    mbin = through_level(_manybody_input(args.name), args.level)
    result = analyze(mbin, load_fragment_results(plan, upto=args.level), plan.distance_cutoffs)
    print(result.stdout)
    write_model_atomic(args.output, result)


def _assemble(args, _):
    from mbpipe.base.jsonio import write_model_atomic, write_text_atomic
    from mbpipe.pipeline.assemble import analyze, load_fragment_results
    from mbpipe.pipeline.plan import load_plan
    from mbpipe.pipeline.summary import energy_table, format_table

    plan = load_plan(args.name)
    result = analyze(_manybody_input(args.name), load_fragment_results(plan), plan.distance_cutoffs)
    table = energy_table(result)
    print(result.stdout)
    print(format_table(table))
    write_model_atomic(args.manybody, result)
    write_text_atomic(args.summary, table.to_csv(index=False))


def _failures(args, _):
    from mbpipe.monitor.failures import failure_report

    report = failure_report(args.name)
    print(report or f"no failed or rejected fragments in results/{args.name}")
    return 1 if report else 0


def _verify(args, _):
    from qcmanybody.models.v2 import ManyBodyResult

    from mbpipe.base.jsonio import write_json_atomic, write_model_atomic
    from mbpipe.pipeline.assemble import load_fragment_results
    from mbpipe.pipeline.plan import load_plan
    from mbpipe.pipeline.verify import compare, format_comparison, fragment_task_settings, sequential_result

    pipeline = ManyBodyResult.model_validate_json(args.manybody.read_text())
    plan = load_plan(args.name)
    fragment_results = load_fragment_results(plan)
    if plan.screens:
        from mbpipe.pipeline.screened_check import check, kept_increment_sums

        expected = kept_increment_sums(_manybody_input(args.name), fragment_results, plan.distance_cutoffs)
        comparison = check(pipeline, expected, args.tolerance, plan.screened_calculations)
        print(comparison["sequential_comparison"])
    elif args.sequential is None:
        raise SystemExit("mbpipe verify: give --sequential, the file for the sequential result")
    else:
        ncores, memory_mb = fragment_task_settings(fragment_results)
        sequential = sequential_result(_manybody_input(args.name), ncores, memory_mb)
        write_model_atomic(args.sequential, sequential)
        comparison = compare(pipeline, sequential, args.tolerance)
    print(format_comparison(comparison))
    if not comparison["passed"]:
        against = "the sums of its kept n-mers' increments" if plan.screens else "QCManyBody's sequential result"
        print(f"{args.manybody} differs from {against}; see the table above", file=sys.stderr)
        return 1
    write_json_atomic(args.output, comparison)


def _report(args, _):
    from mbpipe.report.files import write_expansion_report

    write_expansion_report(args.name, args.plots, args.verification_table, args.verification)


def _fragment_table(args, _):
    from mbpipe.report.files import write_fragment_report

    write_fragment_report(args.name, args.plots, args.table)


def _geometries(args, _):
    from mbpipe.report.files import write_geometries_report

    unfinished = write_geometries_report(args.name, args.table, args.plots)
    if unfinished:
        print(f"{len(unfinished)} geometries unfinished: {', '.join(unfinished)}", file=sys.stderr)


def _manybody_input(name: str):
    from qcmanybody.models.v2 import ManyBodyInput

    from mbpipe.base import layout

    return ManyBodyInput.model_validate_json(layout.path(layout.MANYBODY_INPUT, name=name).read_text())
