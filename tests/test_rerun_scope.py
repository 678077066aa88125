"""After a finished run, a changed config reruns exactly the fragments whose calculation changed,
as Snakemake's dry run counts them.  Expected fragment sets are counted by hand from the MBE."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers_failures import CHECKOUT, HF_STO3G, MOLECULES, PM7, fragment_jobs_planned, mbpipe_run, write_config

TRIMER = MOLECULES / "water-trimer.xyz"


def planned_fragment_jobs(folder, **config) -> int:
    run = mbpipe_run(folder, write_config(folder, **config), "--dry-run")
    assert run.returncode == 0, run.stderr
    return fragment_jobs_planned(run.stdout)


@pytest.mark.mopac
def test_model_chemistry_and_molecule_changes_rerun_only_their_fragments(tmp_path):
    # 1-body PM7: 3 monomers.  2- and 3-body PM6: the 3 dimers and the trimer, and the 3 monomers again
    # at PM6, since the PM6 2- and 3-body contributions are differences of PM6 energies.  No ghosts.
    config = {
        "name": "scope",
        "molecule": str(TRIMER),
        "bsse_type": ["nocp"],
        "levels": {1: "pm7", 3: "pm6"},
        "model_chemistries": {"pm7": PM7, "pm6": {**PM7, "method": "pm6"}},
        "verify": "off",
    }
    assert mbpipe_run(tmp_path, write_config(tmp_path, **config)).returncode == 0
    assert planned_fragment_jobs(tmp_path, **config) == 0

    am1 = {**config, "model_chemistries": {"pm7": PM7, "pm6": {**PM7, "method": "am1"}}}
    assert planned_fragment_jobs(tmp_path, **am1) == 7  # every calculation of that model chemistry
    more_iterations = {
        **config,
        "model_chemistries": {"pm7": {**PM7, "keywords": {"ITER": 300}}, "pm6": config["model_chemistries"]["pm6"]},
    }  # noqa: E501
    assert planned_fragment_jobs(tmp_path, **more_iterations) == 3  # the monomers

    # the same file name: an XYZ molecule is named after its file, and the name is part of every input
    (tmp_path / "moved").mkdir()
    moved = tmp_path / "moved" / TRIMER.name
    lines = TRIMER.read_text().splitlines()
    symbol, x, y, z = lines[-1].split()  # an H of water 3, moved 0.05 Angstrom along z
    lines[-1] = f"{symbol} {x} {y} {float(z) + 0.05:.6f}"
    moved.write_text("\n".join(lines) + "\n")
    # water 3 at PM7 and at PM6, and the PM6 dimers 1-3, 2-3 and trimer 1-2-3
    assert planned_fragment_jobs(tmp_path, **{**config, "molecule": str(moved)}) == 5

    # back to the config that ran: the inputs are written again with their old content, nothing reruns
    assert planned_fragment_jobs(tmp_path, **config) == 0
    plain = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow/Snakefile"), "--configfile",
         str(tmp_path / "config.yaml"), "--cores", "1", "--dry-run"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert plain.returncode == 0 and fragment_jobs_planned(plain.stdout) == 0, "Snakemake's default triggers"


@pytest.mark.nwchem
def test_new_bsse_type_or_higher_level_runs_only_new_fragments(tmp_path):
    # QCManyBody's CP puts every calculation in the whole cluster's basis: 3 monomers and 3 dimers
    config = {
        "name": "grow",
        "molecule": str(TRIMER),
        "bsse_type": ["cp"],
        "max_nbody": 2,
        "model_chemistries": {"hf": HF_STO3G},
        "verify": "off",
    }
    assert mbpipe_run(tmp_path, write_config(tmp_path, **config)).returncode == 0
    assert len(list((tmp_path / "results/grow/fragments").glob("n*/*.json"))) == 6
    assert planned_fragment_jobs(tmp_path, **config) == 0
    # nocp adds the monomers and dimers in their own basis
    assert planned_fragment_jobs(tmp_path, **{**config, "bsse_type": ["cp", "nocp"]}) == 6
    # 3 bodies adds the trimer; the monomers and dimers already are in its basis
    assert planned_fragment_jobs(tmp_path, **{**config, "max_nbody": 3}) == 1
