import sys
from pathlib import Path

# The checkout's library, also when the workflow runs with --directory elsewhere; the jobs get the
# same one through PYTHONPATH.
CHECKOUT = Path(workflow.basedir).parent
sys.path.insert(0, str(CHECKOUT))

from mbpipe import layout
from mbpipe.bundle import bundle_name, ensure_costs, runtime_minutes
from mbpipe.config import validated
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
    """Level k starts once level k-1 is complete: one gate file, not every level k-1 result."""
    previous = PLAN.previous_level(int(wildcards.level))
    return [] if previous is None else layout.LEVEL_GATE.format(name=NAME, level=previous)


def level_fragment_results(wildcards):
    level = int(wildcards.level)
    return [
        layout.FRAGMENT_RESULT.format(name=NAME, level=level, label=label)
        for label in PLAN.labels(level)
    ]


def fragment_bundle(wildcards):
    """Small fragments of a level share one cluster submission (group job); local runs ignore groups."""
    level = int(wildcards.level)
    return bundle_name(level, COSTS[level][wildcards.label], config["bundle_below_s"])


def fragment_runtime(wildcards, attempt):
    return runtime_minutes(COSTS[int(wildcards.level)][wildcards.label], attempt)


def last_gate():
    return layout.LEVEL_GATE.format(name=NAME, level=PLAN.last_level)


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
