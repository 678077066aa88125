"""Where each file of a run lives, relative to the Snakemake working directory.

The patterns are written here once: the library fills them in with ``path``, and the workflow's rules
take them as they are, ``{name}``, ``{level}`` and ``{label}`` being Snakemake wildcards.  A run of
many geometries is one run per geometry, named ``<name>/<geometry>``, beside the table and plots that
compare them in ``results/<name>/``.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = "results/{name}"
MANYBODY_INPUT = RESULTS + "/input.json"
PLAN = RESULTS + "/plan.json"
FRAGMENT_INPUT = RESULTS + "/inputs/n{level}/{label}.json"
FRAGMENT_RESULT = RESULTS + "/fragments/n{level}/{label}.json"
LEVEL_GATE = RESULTS + "/gates/n{level}.json"
LEVEL_RESULT = RESULTS + "/levels/n{level}.json"
MANYBODY_RESULT = RESULTS + "/manybody.json"
SUMMARY = RESULTS + "/summary.csv"
VERIFICATION = RESULTS + "/verification.json"
SEQUENTIAL_RESULT = RESULTS + "/sequential.json"
PLOTS = RESULTS + "/plots"
FRAGMENT_TABLE = RESULTS + "/fragments.csv"
VERIFICATION_TABLE = RESULTS + "/verification.csv"
GEOMETRIES = RESULTS + "/geometries.json"
GEOMETRIES_TABLE = RESULTS + "/geometries.csv"
CRYSTAL_CATALOGUE = RESULTS + "/crystal.json"
SHARED_CALCULATIONS = RESULTS + "/shared.json"
LATTICE = RESULTS + "/lattice.json"
NMER_TABLE = RESULTS + "/nmers.csv"
LOGS = "logs/{name}"
GEOMETRIES_LOG = LOGS + "/geometries.log"
LATTICE_LOG = LOGS + "/lattice.log"
FRAGMENT_LOG = LOGS + "/fragments/n{level}/{label}.log"
GATE_LOG = LOGS + "/gates/n{level}.log"
LEVEL_LOG = LOGS + "/levels/n{level}.log"
ASSEMBLE_LOG = LOGS + "/assemble.log"
VERIFY_LOG = LOGS + "/verify.log"
REPORT_LOG = LOGS + "/report.log"
FRAGMENT_TABLE_LOG = LOGS + "/fragment_table.log"


def path(pattern: str, **fields) -> Path:
    return Path(pattern.format(**fields))


def plot_file(file_name: str) -> str:
    """A plot of a run, by its file name (``convergence.png``), ``{name}`` left as a wildcard."""
    return f"{PLOTS}/{file_name}"


class NotARunFolder(ValueError):
    """A folder given as a run's results folder is not one, or its plan cannot be read."""


def locate_run(results_dir: str | Path) -> tuple[Path, str]:
    """(working directory, run name) of a run's results folder, e.g. ``/scratch/w/results/trimer`` ->
    (``/scratch/w``, ``trimer``), and ``/scratch/w/results/isomers/frame-0003`` -> (``/scratch/w``,
    ``isomers/frame-0003``): the paths above are relative to that working directory."""
    results_dir = Path(results_dir).resolve()
    top = next((folder for folder in results_dir.parents if folder.name == "results"), None)
    if top is None:
        raise NotARunFolder(f"{results_dir} is not a run's results folder; give the folder results/<name> of a run")
    workdir, name = top.parent, results_dir.relative_to(top).as_posix()
    if not (workdir / PLAN.format(name=name)).exists() and not (workdir / GEOMETRIES.format(name=name)).exists():
        raise NotARunFolder(f"{results_dir} has no plan.json; give the folder results/<name> of a run that has started")
    return workdir, name
