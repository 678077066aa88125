"""The `mbpipe` subcommands the workflow's rules run, one per rule: each reads its arguments and
hands the work to the library (mbpipe/pipeline, mbpipe/report).  The job client sends exactly these
to the job server (mbpipe/jobserver/client.py keeps their names on the standard library alone;
tests/test_job_server.py holds its list to the commands registered here)."""

from __future__ import annotations

import sys
from pathlib import Path


def add_rule_commands(commands) -> None:
    """Add the rules' subcommands to *commands* (argparse's subparsers)."""
    fragment = commands.add_parser("fragment", help="(rule) run one fragment calculation")
    fragment.add_argument("input", type=Path)
    fragment.add_argument("result", type=Path)
    fragment.add_argument("--ncores", type=int, default=1)
    fragment.add_argument("--memory-mb", type=float, default=2000)
    fragment.add_argument("--attempt", type=int, default=1, help="Snakemake's attempt number (retries)")
    fragment.add_argument("--time-limit-s", type=float, help="stop the calculation after this many seconds")
    fragment.add_argument(
        "--same-as", type=Path, help="the result of a calculation alike: take its energy instead of computing"
    )
    fragment.set_defaults(handler=_fragment)

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

    lattice = commands.add_parser("lattice", help="(rule) a crystal's lattice energy from its unique n-mers")
    lattice.add_argument("name")
    lattice.add_argument("lattice", type=Path, help="lattice.json to write")
    lattice.add_argument("nmers", type=Path, help="nmers.csv to write")
    lattice.add_argument("plots", type=Path, help="folder for the plot")
    lattice.add_argument("--tolerance", type=float, required=True, help="largest |dE_n| difference accepted (Eh)")
    lattice.set_defaults(handler=_lattice)


def _fragment(args, _):
    if args.same_as:
        from mbpipe.pipeline.reuse import reuse_result

        reuse_result(args.input, args.same_as, args.result, args.runner)
        return 0
    from mbpipe.pipeline.fragment import run_fragment

    succeeded = run_fragment(
        args.input, args.result, args.ncores, args.memory_mb, args.attempt, args.runner, args.time_limit_s
    )
    return 0 if succeeded else 1


def _gate(args, _):
    from mbpipe.pipeline.gate import write_gate
    from mbpipe.pipeline.plan import load_plan

    write_gate(args.name, args.level, load_plan(args.name).labels(args.level), args.output)


def _level(args, _):
    from mbpipe.pipeline.assemble import write_level_result

    write_level_result(args.name, args.level, args.output)


def _assemble(args, _):
    from mbpipe.pipeline.assemble import write_assembly

    write_assembly(args.name, args.manybody, args.summary)


def _verify(args, _):
    from mbpipe.pipeline.verification import verify_run

    return 0 if verify_run(args.name, args.manybody, args.output, args.sequential, args.tolerance) else 1


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


def _lattice(args, _):
    from mbpipe.crystal.lattice import LatticeCheckError
    from mbpipe.report.lattice import write_lattice_report

    try:
        summary = write_lattice_report(args.name, args.lattice, args.nmers, args.plots, args.tolerance)
    except LatticeCheckError as err:
        print(err, file=sys.stderr)
        return 1
    for bsse, through in summary["lattice_energy"].items():
        for order, energy in through.items():
            per_molecule = energy["per_molecule"]["kj_mol"]
            print(f"{bsse} lattice energy through {order} bodies: {per_molecule:.4f} kJ/mol per molecule")
