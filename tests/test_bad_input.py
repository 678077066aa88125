"""A config the pipeline cannot compute is refused before any job starts, with a message that names
the input and the fix.  Each case is run through `mbpipe run` and `mbpipe plan`, as a user would meet it."""

from __future__ import annotations

import json

import pytest
from helpers_failures import DATA, HF_STO3G, MOLECULES, PENTAMERS, PM7, mbpipe, mbpipe_run, write_config

TRIMER = str(MOLECULES / "water-trimer.xyz")
TWO_MOPAC = {"pm7": PM7, "pm6": {**PM7, "method": "pm6"}}


def trimer(**changes):
    config = {"name": "bad", "molecule": TRIMER, "bsse_type": ["nocp"], "model_chemistries": {"pm7": PM7}}
    config.update(changes)
    return {k: v for k, v in config.items() if v is not None}


CASES = {
    "molecule file missing": (trimer(molecule="no-such.xyz"), ["`molecule`", "no-such.xyz", "does not exist"]),
    "molecule with no atoms": (trimer(molecule=str(DATA / "empty.xyz")), ["empty.xyz holds no atoms"]),
    "one fragment": (
        trimer(molecule=str(DATA / "water-one-fragment.xyz")),
        ["has 1 fragment", "at least 2", "`--`", "`fragmentation: connectivity`"],
    ),
    "connectivity finds one molecule": (
        trimer(molecule=str(DATA / "water-one-fragment.xyz"), fragmentation="connectivity"),
        ["connectivity finds 1 fragment", "all 3 atoms form one bonded group"],
    ),
    "connectivity on a file with separators": (
        trimer(fragmentation="connectivity"),
        ["names its own 3 fragments", "drop `fragmentation: connectivity`"],
    ),
    "several geometries and no frame": (
        trimer(molecule=str(PENTAMERS), fragmentation="connectivity"),
        ["water-pentamers.xyz holds 19 geometries", "set `frame`", "0 to 18"],
    ),
    "frame beyond the file": (
        trimer(molecule=str(PENTAMERS), frame=19, fragmentation="connectivity"),
        ["`frame` is 19", "holds 19 geometries; use 0 to 18"],
    ),
    "negative frame": (trimer(frame=-1), ["`frame` is -1", "at least 0"]),
    "unknown fragmentation": (trimer(fragmentation="bonds"), ["`fragmentation` is 'bonds'", "connectivity"]),
    "fragment charges, one too few": (
        trimer(fragment_charges=[0, 1]),
        ["`fragment_charges` has 2 entries", "has 3 fragments", "one per fragment"],
    ),
    "multiplicity against an override's electron count": (
        trimer(fragment_charges=[0, 1, 0], fragment_multiplicities=[1, 1, 1]),
        ["fragment 2 (H2O) has charge 1 and multiplicity 1", "odd number of electrons (9)"],
    ),
    "molecule keys with a ready-made input": (
        {"name": "bad", "input": "mbin.json", "frame": 0},
        ["`frame` says how to read `molecule`", "remove `frame`"],
    ),
    "NWChem without a basis": (
        trimer(model_chemistries={"hf": {"program": "nwchem", "method": "hf"}}),
        ["model chemistry 'hf' has no basis set", "'nwchem' needs", "`basis:"],
    ),
    "charge and multiplicity against electron count": (
        trimer(molecule=str(DATA / "water-dimer-doublet.xyz")),
        ["fragment 2", "multiplicity 2", "even number of electrons (10)", "must be odd"],
    ),
    "unknown bsse_type": (trimer(bsse_type=["cpp"]), ["`bsse_type[0]` is 'cpp'", "cp, nocp, vmfc"]),
    "max_nbody below 1": (trimer(max_nbody=0), ["`max_nbody` is 0", "at least 1"]),
    "max_nbody above the fragment count": (trimer(max_nbody=4), ["`max_nbody` is 4", "3 fragments", "1 to 3"]),
    "levels name an undefined model chemistry": (
        trimer(levels={1: "pm7", 3: "pm6"}),
        ["`levels` 3", "'pm6' is not defined", "defined: pm7"],
    ),
    "levels beyond the fragment count": (
        trimer(levels={1: "pm7", 4: "pm6"}, model_chemistries=TWO_MOPAC),
        ["names level 4", "3 fragments"],
    ),
    "levels not contiguous for a model chemistry": (
        trimer(levels={1: "pm7", 2: "pm6", 3: "pm7"}, model_chemistries=TWO_MOPAC),
        ["'pm7' for levels 1, 3", "one contiguous range"],
    ),
    "levels and max_nbody disagree": (
        trimer(levels={1: "pm7", 3: "pm6"}, max_nbody=2, model_chemistries=TWO_MOPAC),
        ["reaches level 3 but `max_nbody` is 2"],
    ),
    "unknown driver": (trimer(driver="energie"), ["`driver` is 'energie'", "energy, gradient, hessian"]),
    "unknown program": (
        trimer(model_chemistries={"pm7": {**PM7, "program": "mopak"}}),
        ["'mopak' is not a QCEngine program", "did you mean 'mopac'?"],
    ),
    "program not installed": (
        trimer(model_chemistries={"hf": {"program": "psi4", "method": "hf", "basis": "sto-3g"}}),
        ["'psi4' is not installed on this machine", "conda"],
    ),
    "MOPAC asked for counterpoise": (
        trimer(bsse_type=["nocp", "cp"]),
        ["'mopac' cannot place ghost atoms", "bsse_type cp", "use bsse_type nocp"],
    ),
    "MOPAC asked for a Hessian": (trimer(driver="hessian"), ["cannot compute a hessian", "energy, gradient"]),
    "typo in a key": (trimer(bsse_typ=["cp"]), ["unknown key `bsse_typ`", "did you mean `bsse_type`?"]),
    "typo in a model chemistry key": (
        trimer(model_chemistries={"hf": {"program": "nwchem", "methd": "hf", "basis": "sto-3g"}}),
        ["unknown key `methd` in `model_chemistries.hf`", "did you mean `method`?"],
    ),
    "zero tolerance": (trimer(tolerance=0), ["`tolerance` is 0", "greater than 0"]),
    "negative tolerance": (trimer(tolerance=-1e-10), ["`tolerance` is -1e-10", "greater than 0"]),
    "name escaping results/": (trimer(name="../../etc"), ["`name` is '../../etc'", "results/<name>", "no '..'"]),
    "both molecule and input": (trimer(input="mbin.json"), ["either `molecule` and `model_chemistries`, or `input`"]),
}


@pytest.mark.parametrize("command", [pytest.param("run", marks=pytest.mark.slow), "plan"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_before_any_job(case, command, tmp_path):
    config, expected = CASES[case]
    run = mbpipe(tmp_path, command, str(write_config(tmp_path, **config)))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    for fragment in expected:
        assert fragment in run.stderr, f"{fragment!r} not in:\n{run.stderr}"
    assert not (tmp_path / "results").exists() and not (tmp_path / ".snakemake").exists()


@pytest.mark.slow
def test_snakemake_alone_refuses_before_any_job(tmp_path):
    """Without `mbpipe run`, Snakemake's parse of the workflow reports the same problem."""
    import subprocess
    import sys

    from helpers_failures import CHECKOUT

    config = write_config(tmp_path, **trimer(bsse_type=["cp"]))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow" / "Snakefile"), "--cores", "1",
         "--configfile", str(config), "--directory", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert "'mopac' cannot place ghost atoms" in run.stdout + run.stderr
    assert "basis" not in run.stdout + run.stderr  # MOPAC takes none; its missing basis is no problem
    assert not list(tmp_path.glob("results/*/fragments/*/*.json"))


@pytest.mark.slow
def test_hessian_of_nwchem_is_accepted(tmp_path):
    """The Hessian check refuses programs, not drivers: NWChem gives Hessians."""
    config = trimer(driver="hessian", model_chemistries={"hf": HF_STO3G}, bsse_type=["cp"])
    run = mbpipe_run(tmp_path, write_config(tmp_path, **config), "--dry-run")
    assert run.returncode == 0, run.stderr


@pytest.mark.slow
def test_embedding_charges_of_an_input_for_mopac_are_refused_naming_the_program(tmp_path):
    """Embedding charges reach PySCF's calculations only; QCEngine's MOPAC harness would drop them:
    refused, never dropped."""
    from mbpipe.config.load import validated
    from mbpipe.config.manybody_input import manybody_input

    data = manybody_input(validated(trimer(), base_dir=tmp_path)).model_dump(mode="json")
    data["specification"]["keywords"]["embedding_charges"] = {str(i): [-0.834, 0.417, 0.417] for i in (1, 2, 3)}
    (tmp_path / "embedded.json").write_text(json.dumps(data))
    config = write_config(tmp_path, name="embedded", input="embedded.json")
    for command in ("run", "plan"):
        run = mbpipe(tmp_path, command, str(config))
        assert run.returncode == 2, run.stderr
        assert "embedding charges reach no calculation of program 'mopac'" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "results").exists()
