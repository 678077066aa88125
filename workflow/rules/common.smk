import sys
from pathlib import Path

# The checkout's library, also when the workflow runs with --directory elsewhere; the jobs get the
# same one through PYTHONPATH.
CHECKOUT = Path(workflow.basedir).parent
sys.path.insert(0, str(CHECKOUT))

from mbpipe import layout
from mbpipe.bundle import bundle_name, ensure_costs, runtime_minutes
from mbpipe.config import validated
from mbpipe.failures import failure_report
from mbpipe.fragment import result_is_current, retry_memory_mb
from mbpipe import job_server
from mbpipe.plan import ensure_plan


def config_folder():
    """Relative paths in the config are relative to the last config file given."""
    files = workflow.overwrite_configfiles or workflow.configfiles
    return Path(files[-1]).resolve().parent if files else Path.cwd()


_validated = validated(config, base_dir=config_folder())
config.clear()
config.update(_validated)

NAME = config["name"]
PLAN = ensure_plan(config)
COSTS = ensure_costs(config, PLAN)
# QCEngine's NWChem harness writes the basis block in set order, which follows Python's string hash;
# NWChem's last printed digit (1e-12 Eh) depends on that order. A fixed seed makes the fragment jobs
# and the sequential baseline write identical input decks.
MBPIPE = (
    f'PYTHONHASHSEED=0 PYTHONPATH="{CHECKOUT}${{PYTHONPATH:+:$PYTHONPATH}}" "{sys.executable}" -m mbpipe'
)
RESULTS = layout.RESULTS.format(name=NAME)
LOGS = layout.LOGS.format(name=NAME)


wildcard_constraints:
    level=r"\d+",
    label=r"[^/]+",


def previous_gate(wildcards):
    """Level k starts once level k-1 is complete: one gate file, not every level k-1 result.

    A fragment whose result is current for its input takes the gate as `ancient`: rewriting
    a lower level's gate (a recomputed or newly planned fragment there) then leaves it alone, while
    every fragment that does run waits for the gate.
    """
    level = int(wildcards.level)
    previous = PLAN.previous_level(level)
    if previous is None:
        return []
    gate = layout.LEVEL_GATE.format(name=NAME, level=previous)
    spec = layout.FRAGMENT_INPUT.format(name=NAME, level=level, label=wildcards.label)
    result = layout.FRAGMENT_RESULT.format(name=NAME, level=level, label=wildcards.label)
    up_to_date = result_is_current(spec, result)
    return ancient(gate) if up_to_date else gate


# Fragment memory (MB) for a first attempt; a retry after a resource error gets it times the attempt.
# A profile's `set-resources: fragment:mem_mb=...` fixes the memory and replaces this scaling.
FRAGMENT_MEMORY_MB = 2000


def fragment_memory_mb(wildcards, attempt):
    return retry_memory_mb(
        layout.FRAGMENT_RESULT.format(name=NAME, level=wildcards.level, label=wildcards.label),
        layout.FRAGMENT_INPUT.format(name=NAME, level=wildcards.level, label=wildcards.label),
        FRAGMENT_MEMORY_MB,
        attempt,
    )


def attempt_number(wildcards, attempt):
    """Snakemake's attempt, for the job to tell a retry from a first try."""
    return attempt


def level_fragment_results(wildcards):
    level = int(wildcards.level)
    return [
        layout.FRAGMENT_RESULT.format(name=NAME, level=level, label=label)
        for label in PLAN.labels(level)
    ]


def gates_through(level):
    """The gates of every level up to *level*: a result through level k uses all their fragments, and
    a recomputed fragment of a lower level rewrites only its own level's gate."""
    return [layout.LEVEL_GATE.format(name=NAME, level=k) for k in PLAN.level_numbers if k <= int(level)]


def level_gates(wildcards):
    return gates_through(wildcards.level)


def all_gates():
    return gates_through(PLAN.last_level)


def runs_here():
    """Whether the jobs run on this machine, also in a dry run of it: Snakemake then swaps in its
    dry-run executor, and uses threads only when the executor it stands in for is a cluster one."""
    return workflow.local_exec and not workflow.execution_settings.use_threads


def fragment_bundle(wildcards):
    """Small fragments of a level share one cluster submission (group job).  Local runs ignore groups,
    and Snakemake's checks of them cost seconds per 10^4 jobs: a local run has none."""
    if runs_here():
        return None
    level = int(wildcards.level)
    return bundle_name(level, COSTS[level][wildcards.label], config["bundle_below_s"])


def fragment_runtime(wildcards, attempt):
    return runtime_minutes(COSTS[int(wildcards.level)][wildcards.label], attempt)


def start_job_server():
    """The jobs of this Snakemake hand their work to one warm process (mbpipe/job_server.py).  A local
    run starts it in its start hook; a cluster job's own Snakemake, which runs no hooks, starts it when
    it reads the workflow (below), and the fragments of a bundle share it."""
    job_server.start(sys.executable, CHECKOUT, PLAN.programs)


def final_outputs():
    outputs = [
        layout.MANYBODY_RESULT.format(name=NAME),
        layout.SUMMARY.format(name=NAME),
    ]
    outputs += [
        layout.LEVEL_RESULT.format(name=NAME, level=level) for level in PLAN.level_numbers
    ]
    if config["verify"] == "sequential":
        outputs.append(layout.VERIFICATION.format(name=NAME))
    return outputs


if workflow.remote_exec:
    start_job_server()
