"""The assumptions mbpipe's adapters make about Snakemake and QCManyBody beyond their documented
interfaces (mbpipe/run/snakemake_compat.py, mbpipe/pipeline/qcmanybody_compat.py).  Each test fails on
a version of the library where its adapter stops working, and each shows first that without the
adapter the library does what the adapter exists to change."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.util import find_spec

import pytest
from qcelemental.models.v2 import Molecule
from qcmanybody import ManyBodyCore
from qcmanybody.models.v2 import BsseEnum

from mbpipe.pipeline.qcmanybody_compat import planned_labels, restrict_to

RATE_LIMIT_SNAKEFILE = """
from mbpipe.run.snakemake_compat import lift_job_rate_limit

def targets(wildcards):
    if {lift}:
        lift_job_rate_limit(workflow)
    return ["done.txt"]

rule all:
    input: targets

rule done:
    output: "done.txt"
    shell: "touch {{output}}"

onsuccess:
    print("rate limiter:", workflow.scheduler.job_rate_limiter, file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.parametrize("lift", [False, True])
def test_the_job_rate_limit_is_lifted_while_the_graph_is_built(tmp_path, lift):
    (tmp_path / "Snakefile").write_text(RATE_LIMIT_SNAKEFILE.format(lift=lift))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    line = next(line for line in run.stderr.splitlines() if line.startswith("rate limiter:"))
    assert (line == "rate limiter: None") == lift, line


GROUP_SNAKEFILE = """
from mbpipe.run.snakemake_compat import size_group_like

def group_of(wildcards):
    group = f"bundle-n2-{{wildcards.geometry}}"
    if {sized}:
        size_group_like(workflow, group, "bundle-n2")
    return group

rule all:
    input: expand("out/{{geometry}}-{{i}}.txt", geometry=["frame-0000", "frame-0001"], i=range(6))

rule fragment:
    output: "out/{{geometry}}-{{i}}.txt"
    group: group_of
    shell: "touch {{output}}"
"""


@pytest.mark.slow
@pytest.mark.skipif(find_spec("snakemake_executor_plugin_cluster_generic") is None, reason="needs mbpipe[pbs]")
@pytest.mark.parametrize(("sized", "submissions"), [(False, 12), (True, 4)])
def test_a_profile_sizes_each_geometrys_bundles_by_the_levels_name(tmp_path, sized, submissions):
    """Twelve jobs, six per geometry: with `bundle-n2=3`, two submissions per geometry."""
    (tmp_path / "Snakefile").write_text(GROUP_SNAKEFILE.format(sized=sized))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--executor", "cluster-generic",
         "--cluster-generic-submit-cmd", "true", "--jobs", "20", "--group-components", "bundle-n2=3"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    output = run.stdout + run.stderr
    assert output.count("Group job bundle-n2-frame-") == submissions, output[-3000:]


def test_a_restricted_core_plans_only_the_given_calculations():
    waters = Molecule.from_data(
        textwrap.dedent("""
        O 0 0 0
        H 0 0 1.8
        H 0 1.8 0
        --
        O 0 0 6
        H 0 0 7.8
        H 0 1.8 6
        --
        O 6 0 0
        H 6 0 1.8
        H 6 1.8 0
        units bohr
        """)
    )
    core = ManyBodyCore(
        waters, [BsseEnum.nocp, BsseEnum.cp], {1: "hf", 2: "hf"}, return_total_data=False, supersystem_ie_only=False,
        embedding_charges=None,
    )  # fmt: skip
    everything = planned_labels(core)
    assert {label for _, label, _ in core.iterate_molecules()} == everything
    kept = {label for label in everything if "[1]" in label or "[1, " in label}
    assert kept and kept < everything
    restrict_to(core, kept)
    assert {label for _, label, _ in core.iterate_molecules()} == kept
    assert planned_labels(core) == kept
    _, counts = core.format_calc_plan()
    assert sum(counts["hf"].values()) == len(kept)


DISK_FULL_SNAKEFILE = """
import errno, os
raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "results/x/plan.json")
"""
DISK_FULL_WATCH = """
from snakemake.cli import main
from mbpipe.run.snakemake_compat import disk_full_reports
with disk_full_reports() as numbers:
    try:
        main(["--cores", "1"])
    except SystemExit:
        pass
print("reported:", numbers)
"""


@pytest.mark.slow
def test_a_full_disk_that_snakemake_logs_is_reported(tmp_path):
    """Snakemake logs under the `snakemake` logger: disk_full_reports hears the full disk it reports."""
    (tmp_path / "Snakefile").write_text(DISK_FULL_SNAKEFILE)
    run = subprocess.run([sys.executable, "-c", DISK_FULL_WATCH], cwd=tmp_path, capture_output=True, text=True)
    assert "No space left on device" in run.stderr, run.stderr[-2000:]
    assert run.stdout.splitlines()[-1] == "reported: [28]", run.stdout[-2000:]
