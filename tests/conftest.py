"""Tests that need a program say so with a marker (`nwchem`, `mopac`, `slurm`, `gpu`) and are skipped,
with the reason, where the program is absent, as QCEngine's own `using()` markers do.  CI installs
NWChem, MOPAC and SLURM and sets MBPIPE_REQUIRE_PROGRAMS=1: there a test that would be skipped for
missing one of them fails instead (a GPU it never has).  `pytest -m quick` runs the tests that need
no program and start no Snakemake: the day-to-day loop."""

from __future__ import annotations

import os
import shutil
from importlib.util import find_spec

import pytest

# marker -> (what must be found, how to find it)
PROGRAMS = {
    "nwchem": lambda: shutil.which("nwchem"),
    "mopac": lambda: shutil.which("mopac"),
    "slurm": lambda: shutil.which("slurmctld") or os.path.exists("/usr/sbin/slurmctld"),
    "gpu": lambda: find_spec("gpu4pyscf"),
}
INSTALLED_BY_SETUP = {"nwchem", "mopac", "slurm"}
# Markers of tests that run a real program or take minutes: the rest make the quick tier.
NOT_QUICK = {*PROGRAMS, "pyscf", "slow"}


def pytest_configure(config):
    config.addinivalue_line("markers", "quick: needs no QC program and no cluster (set from the other markers)")


def pytest_collection_modifyitems(config, items):
    required = os.environ.get("MBPIPE_REQUIRE_PROGRAMS") == "1"
    missing = {marker for marker, found in PROGRAMS.items() if not found()}
    for item in items:
        markers = {mark.name for mark in item.iter_markers()}
        if not markers & NOT_QUICK:
            item.add_marker(pytest.mark.quick)
        absent = sorted(markers & missing)
        if not absent:
            continue
        reason = f"{', '.join(absent)} not found"
        if required and set(absent) <= INSTALLED_BY_SETUP:
            item.stash[MISSING] = f"{reason}, and MBPIPE_REQUIRE_PROGRAMS=1 says every program is installed"
        else:
            item.add_marker(pytest.mark.skip(reason=reason))


MISSING = pytest.StashKey[str]()


def pytest_runtest_setup(item):
    if MISSING in item.stash:
        pytest.fail(item.stash[MISSING], pytrace=False)
