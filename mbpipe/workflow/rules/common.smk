# What needs Snakemake's `workflow` object: the config it read, the input functions, the job server's
# start. Everything else is the library's (mbpipe/run/targets.py, mbpipe/run/jobs.py).
import gc
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from mbpipe.jobserver import server as job_server
from mbpipe.run import launch

JOB_SERVER = {}  # the server this Snakemake started, if any


def start_job_server(programs):
    """The jobs of this Snakemake hand their work to one warm process (mbpipe/jobserver/); the
    fragments of a cluster bundle share one, without a closing server: no closing command runs there."""
    JOB_SERVER["process"] = launch.start_job_server(programs, closing=not workflow.remote_exec)


def stop_job_server():
    if JOB_SERVER.get("process"):
        job_server.stop(JOB_SERVER.pop("process"), Path(os.environ[job_server.ADDRESS_VARIABLE]))


# The job server warms up (QCEngine, the CPU survey, the programs' versions) while the rest of the
# workflow is read (its imports alone take 0.6 s) and Snakemake builds the job graph: a cluster job's
# Snakemake starts it now, and so does one whose command line asks for jobs on this machine (`mbpipe
# run` has started it already).  What a profile adds to the command line is known only as the graph
# is built, when final_targets (below) stops a server a dry run does not need.
if workflow.remote_exec or (
    workflow.is_main_process and launch.asks_for_local_jobs(sys.argv[1:]) and not job_server.serves_this_process()
):
    start_job_server(launch.programs_named(config))


# The rest of the workflow's imports, after the server's start.
from mbpipe.base import layout
from mbpipe.batch.bundle import bundle_name, ensure_costs, level_bundle, runtime_minutes
from mbpipe.config.crystal import is_crystal
from mbpipe.crystal.shared import SHARED_ENERGY_TOLERANCE, runs_taking_energies, shared_calculations
from mbpipe.config.geometries import geometries, is_many_geometries, run_configs
from mbpipe.config.load import validated
from mbpipe.monitor.failures import failure_report
from mbpipe.pipeline.audit import set_aside_unusable_results
from mbpipe.pipeline.fragment import retry_memory_mb
from mbpipe.pipeline.geometries import write_geometry_list
from mbpipe.pipeline.plan import ensure_plan
from mbpipe.pipeline.time_limit import time_limit_s
from mbpipe.programs.capabilities import GPU_PROGRAMS
from mbpipe.report.closing import closing_summary
from mbpipe.run.jobs import run_rule_command
from mbpipe.run.launch import end_without_collecting
from mbpipe.run.lock_holder import record_holder
from mbpipe.run.snakemake_compat import lift_job_rate_limit, run_jobs_in_threads, size_group_like
from mbpipe.run.targets import RunFiles

# Snakemake keeps several objects per job alive for the whole run.  Python's collector, by default a
# pass over the young objects every 700 allocations, kept re-scanning them: a sixth of the dry run of
# 10^4 fragment jobs.  Collected 70 times less often, the garbage is the same and peak memory no higher.
gc.set_threshold(50_000, 20, 10)
end_without_collecting()
# On a full disk Snakemake's log file takes no more lines, and Python's logging would print a traceback
# to the terminal for each: drop them; the terminal still gets every line, and the full disk is named.
logging.raiseExceptions = False
STARTED = time.time()  # for the run's wall time, in its closing lines


def config_folder():
    """Relative paths in the config are relative to the last config file given."""
    files = workflow.overwrite_configfiles or workflow.configfiles
    return Path(files[-1]).resolve().parent if files else Path.cwd()


_validated = validated(config, base_dir=config_folder())
config.clear()
config.update(_validated)

NAME = config["name"]
# A crystal's unique n-mers are the geometries of its run (mbpipe/config/crystal.py).
CRYSTAL = is_crystal(config)
# One run, or one per geometry (results/<name>/<geometry>/), each planned on its own.
GEOMETRIES = geometries(config) if is_many_geometries(config) else []
RUN_CONFIGS = run_configs(config, GEOMETRIES)
PLANS = {name: ensure_plan(run_config) for name, run_config in RUN_CONFIGS.items()}
COSTS = {name: ensure_costs(RUN_CONFIGS[name], plan) for name, plan in PLANS.items()}
FILES = RunFiles(PLANS, geometries_of=NAME if GEOMETRIES else None)
# A crystal's calculations alike across its n-mers: result -> the result computed for it (mbpipe/crystal/shared.py).
SAME_AS = shared_calculations(NAME, PLANS) if CRYSTAL else {}
SHARING_RUNS = runs_taking_energies(SAME_AS)
if GEOMETRIES:
    write_geometry_list(NAME, GEOMETRIES)
if workflow.is_main_process:
    # a damaged result, moved aside now, is recomputed by this run (not by a job's own Snakemake on a cluster)
    for plan in PLANS.values():
        print(set_aside_unusable_results(plan), end="", file=sys.stderr)
# Snakemake's default `tmpdir` resource, the system's temporary folder, is an expression that it compiles
# and evaluates anew for every job.  The fragment rule gives it the same folder once (a cluster job's
# Snakemake reads the workflow on its own node).  The rules' `run:` blocks do not use it: Snakemake only
# makes sure it exists.
SYSTEM_TMPDIR = tempfile.gettempdir()
GPU_MODEL_CHEMISTRIES = {
    mc for plan in PLANS.values() for mc, program in plan.model_chemistry_programs.items() if program in GPU_PROGRAMS
}


wildcard_constraints:
    name=FILES.name_pattern(),
    level=r"\d+",
    label=r"[^/]+",


def previous_gate(wildcards):
    """Level k starts once level k-1 is complete: one gate file, not every level k-1 result."""
    if not workflow.is_main_process:
        # a cluster submission's own Snakemake, which runs a bundle of fragments (see final_targets)
        run_jobs_in_threads(workflow)
    gate, current = FILES.previous_gate(wildcards.name, int(wildcards.level), wildcards.label)
    if gate is None:
        return []
    return ancient(gate) if current else gate


def fragment_memory_mb(wildcards, attempt):
    """The config's `fragment_memory_mb`, times the attempt once an attempt ran out of resources."""
    return retry_memory_mb(
        layout.FRAGMENT_RESULT.format(**wildcards),
        layout.FRAGMENT_INPUT.format(**wildcards),
        config["fragment_memory_mb"],
        attempt,
    )


def fragment_gpus(wildcards):
    """One GPU for a fragment whose program computes on one (pyscf-gpu): Snakemake's `gpu` resource,
    which a cluster executor turns into a GPU request and a local run counts against `--resources gpu=N`."""
    from mbpipe.base.labels import model_chemistry  # QCManyBody's import: not on every parse

    return int(model_chemistry(wildcards.label) in GPU_MODEL_CHEMISTRIES)


def attempt_number(wildcards, attempt):
    """Snakemake's attempt, for the job to tell a retry from a first try."""
    return attempt


def level_fragment_results(wildcards):
    return FILES.fragment_results(wildcards.name, int(wildcards.level))


def level_gates(wildcards):
    return FILES.gates_through(wildcards.name, int(wildcards.level))


def all_gates(wildcards):
    return FILES.all_gates(wildcards.name)


def verification(wildcards):
    return FILES.verification(wildcards.name, config["verify"])


def sequential_option(wildcards):
    """Where the verify job keeps QCManyBody's sequential result; a screened run has none."""
    sequential = FILES.sequential_result(wildcards.name)
    return ["--sequential", sequential] if sequential else []


def computed_alike(wildcards):
    """The result of a calculation alike that this one takes its energy from; none for most."""
    computed = SAME_AS.get(layout.FRAGMENT_RESULT.format(**wildcards)) if SAME_AS else None
    return [computed] if computed else []


def fragment_command(input, result, threads, resources):
    """The fragment rule's `mbpipe fragment` command.  Its time limit stops the calculation here as a
    cluster's scheduler would: the config's `fragment_time_limit_s` times the attempt, or else the job's
    runtime request (longer on each retry; a profile's `set-resources` included).  Worked out as the job
    runs, not as one more resource function that Snakemake calls for every job of the graph; and the
    calculation a crystal's result is copied from comes from the job's input, not a `params:` entry,
    which Snakemake would record in its metadata as each job ends, importing pandas for it in the thread
    that schedules the jobs (0.3-0.5 s, when the first fragment ends)."""
    limit = time_limit_s(config["fragment_time_limit_s"], resources.runtime, resources.attempt)
    same_as = ["--same-as", input.computed_alike[0]] if input.computed_alike else []
    return ["fragment", input.spec, result, "--ncores", str(threads), "--memory-mb", str(resources.mem_mb),
            "--attempt", str(resources.attempt), "--time-limit-s", f"{limit:g}", *same_as]  # fmt: skip


def verify_tolerance(wildcards):
    """The config's tolerance; for a run that took energies from calculations alike, no tighter than the
    SCF convergence that separates a copy's energy from a fresh calculation of the moved molecules."""
    if wildcards.name in SHARING_RUNS:
        return max(config["tolerance"], SHARED_ENERGY_TOLERANCE)
    return config["tolerance"]


def runs_jobs():
    """Whether this Snakemake runs jobs: not a dry run, and not a report, summary or graph, which
    build the job graph without execution settings."""
    return workflow.execution_settings is not None and not (workflow.dryrun or workflow.touch)


def runs_here():
    """Whether the jobs run on this machine, also in a dry run of it: Snakemake then swaps in its
    dry-run executor, and uses threads only when the executor it stands in for is a cluster one.
    Decided once the settings are known, before the jobs are given threads (final_targets)."""
    global RUNS_HERE
    settings = workflow.execution_settings
    if settings is None:
        return workflow.local_exec
    if RUNS_HERE is None:
        RUNS_HERE = workflow.local_exec and not settings.use_threads
    return RUNS_HERE


RUNS_HERE = None


def fragment_bundle(wildcards):
    """Small fragments of a level share one cluster submission (group job).  Local runs ignore groups,
    and Snakemake's checks of them cost seconds per 10^4 jobs: a local run has none."""
    # A group job asks for the sum of its jobs' resources: bundled GPU fragments would ask for one GPU each.
    if runs_here() or fragment_gpus(wildcards):
        return None
    level = int(wildcards.level)
    geometry = wildcards.name.removeprefix(f"{NAME}/") if FILES.geometries_of else None
    group = bundle_name(level, COSTS[wildcards.name][level][wildcards.label], config["bundle_below_s"], geometry)
    if geometry and group:
        # The profile's `bundle-n<k>=N` sizes every geometry's level-k bundles, as Snakemake does for
        # a group named with wildcards.
        size_group_like(workflow, group, level_bundle(level))
    return group


def fragment_runtime(wildcards, attempt):
    return runtime_minutes(COSTS[wildcards.name][int(wildcards.level)][wildcards.label], attempt)


def failure_summary():
    """Every failed and rejected fragment, under its geometry when there are several."""
    return failure_report(NAME) or "No fragment failed or was rejected."


def geometries_so_far():
    """geometries.csv and its plot from the geometries that finished, after a failure held others back."""
    from mbpipe.report.files import write_geometries_report  # matplotlib: not on every parse

    write_geometries_report(NAME)


def final_targets(wildcards):
    """Every file the run ends with.  Snakemake asks for them first when it builds the job graph,
    knowing by then how it runs: a run of jobs has its job server and runs the rules' `run:` blocks in
    threads, and on this machine starts jobs without a rate limit; a dry run, report or summary stops
    a server started for it at parse."""
    if workflow.is_main_process:
        if not runs_jobs():
            stop_job_server()
        else:
            if runs_here():
                lift_job_rate_limit(workflow)
            # the rules' `run:` blocks hand their commands to the job server from this process
            run_jobs_in_threads(workflow)
            # under a cluster profile it serves the local rules (the submissions start their own)
            if not job_server.serves_this_process():
                start_job_server(sorted({program for plan in PLANS.values() for program in plan.programs}))
    return [
        *FILES.final_outputs(config["verify"]),
        *FILES.results_to_restore(),
        *expand(rules.report.output, name=list(PLANS)),
        *expand(rules.fragment_table.output, name=list(PLANS)),
        *([layout.LATTICE.format(name=NAME)] if CRYSTAL else []),
    ]


def record_lock_holder():
    """Snakemake has taken its lock on the working directory: say who holds it (mbpipe/run/lock_holder.py)."""
    record_holder(Path.cwd())
