"""Each calculation's MPI programs keep their session files apart from every other run's.

NWChem (Open MPI 4) keeps them under one directory per host and user in $TMPDIR, which calculations
side by side create and remove under each other (open-mpi/ompi#8510): a fragment failed so on 2
cores.  Here that shared directory is made unusable (a file in its place), as a run that removes it
leaves it to the one starting: a calculation that still used it fails, as plain NWChem does.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from mbpipe.base import layout
from mbpipe.config.load import validated
from mbpipe.config.manybody_input import manybody_input
from mbpipe.pipeline.fragment import run_fragment
from mbpipe.pipeline.plan import make_plan
from mbpipe.pipeline.verify import sequential_result
from mbpipe.programs.mpi import SESSION_BASE_VARIABLE, private_mpi_session

CHECKOUT = Path(__file__).resolve().parent.parent
NAME = "dimer-mpi"
CONFIG = {
    "name": NAME,
    "molecule": str(CHECKOUT / "config" / "molecules" / "water-dimer.xyz"),
    "bsse_type": ["nocp"],
    "model_chemistries": {"hf": {"program": "nwchem", "method": "hf", "basis": "sto-3g"}},
    "verify": "off",
}
# Open MPI 4's session directory of this host and user, in $TMPDIR
SHARED = f"ompi.{socket.gethostname().split('.')[0]}.{os.getuid()}"
H2 = "geometry\n H 0 0 0\n H 0 0 0.74\nend\nbasis\n * library sto-3g\nend\ntask scf energy\n"


@pytest.fixture
def shared_session_blocked(tmp_path, monkeypatch):
    """$TMPDIR (this process's temporary folder too) with a file where Open MPI keeps the session
    directory of this host and user; skips where plain NWChem is not stopped by it (another Open MPI)."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    (tmpdir / SHARED).write_text("")
    (tmp_path / "h2.nw").write_text(H2)
    plain = subprocess.run(
        ["nwchem", "h2.nw"], cwd=tmp_path, env={**os.environ, "TMPDIR": str(tmpdir)}, capture_output=True, text=True
    )
    if plain.returncode == 0 and "Total SCF energy" in plain.stdout:
        pytest.skip("this Open MPI keeps its session files elsewhere: NWChem ran with the shared directory blocked")
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    monkeypatch.chdir(tmp_path)
    return tmpdir


@pytest.mark.nwchem
def test_a_fragment_calculation_runs_in_a_session_directory_of_its_own(shared_session_blocked):
    make_plan(validated(CONFIG, base_dir=Path.cwd()))
    label = "hf_1_b1"
    result = layout.path(layout.FRAGMENT_RESULT, name=NAME, level=1, label=label)
    assert run_fragment(layout.path(layout.FRAGMENT_INPUT, name=NAME, level=1, label=label), result)
    assert '"return_energy"' in result.read_text()
    # its own folder is gone afterwards; the shared one is as it was
    assert [path.name for path in shared_session_blocked.iterdir()] == [SHARED]


@pytest.mark.nwchem
def test_the_sequential_computer_runs_in_a_session_directory_of_its_own(shared_session_blocked):
    mbin = manybody_input(validated(CONFIG, base_dir=Path.cwd()))
    result = sequential_result(mbin, ncores=1, memory_mb=2000)
    assert result.success and math.isfinite(result.return_result)
    assert [path.name for path in shared_session_blocked.iterdir()] == [SHARED]


def test_the_folder_is_removed_when_the_calculation_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(SESSION_BASE_VARIABLE, raising=False)
    with pytest.raises(RuntimeError), private_mpi_session():
        folder = Path(os.environ[SESSION_BASE_VARIABLE])
        assert folder.parent == tmp_path and folder.is_dir()
        raise RuntimeError("the calculation failed")
    assert not folder.exists() and SESSION_BASE_VARIABLE not in os.environ
