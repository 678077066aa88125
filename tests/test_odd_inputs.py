"""XYZ files as other programs and editors save them are read as what they mean, or refused with a
sentence that names the file, the line and the fix; `mbpipe plan`, `run` and `status` show no
traceback, for them or for an error no check foresaw (that one's traceback is kept in a file)."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from helpers_failures import MOLECULES, PM7, mbpipe, write_config

from mbpipe.cli import main
from mbpipe.molecules.errors import MoleculeError
from mbpipe.molecules.xyz import parse_xyz

DIMER = (MOLECULES / "water-dimer.xyz").read_text()


def as_saved_elsewhere(text: str) -> dict[str, str]:
    atomic_numbers = "\n".join(
        line.replace("O ", "8 ", 1).replace("H ", "1 ", 1) if line[:2] in ("O ", "H ") else line
        for line in text.splitlines()
    )
    return {
        "byte-order mark": "\ufeff" + text,
        "Windows line ends": text.replace("\n", "\r\n"),
        "tabs": text.replace("   ", "\t").replace("  ", "\t"),
        "atomic numbers": atomic_numbers,
    }


@pytest.mark.parametrize("variant", ["byte-order mark", "Windows line ends", "tabs", "atomic numbers"])
def test_variants_read_as_the_plain_file(variant):
    (plain,) = parse_xyz(DIMER, "water-dimer.xyz")
    (odd,) = parse_xyz(as_saved_elsewhere(DIMER)[variant], "water-dimer.xyz")
    assert odd.symbols == plain.symbols == ("O", "H", "H", "O", "H", "H")
    np.testing.assert_array_equal(odd.coordinates, plain.coordinates)
    assert [f.atoms for f in odd.fragments] == [range(0, 3), range(3, 6)]
    assert [(f.charge, f.multiplicity) for f in odd.fragments] == [(0, 1), (0, 1)]


@pytest.mark.parametrize(
    "text, words",
    [
        (DIMER + "garbage here\n", ["odd.xyz line 12", "'garbage here'", "remove it"]),
        ("0\nan empty frame\n" + DIMER, ["odd.xyz holds no atoms", "line 1", "one `symbol x y z`"]),
        ("0 0.0 0.0 0.0\n", ["odd.xyz line 1", "0 is not an atomic number", "symbol or atomic number"]),
        ("200 0.0 0.0 0.0\n", ["odd.xyz line 1", "200 is not an atomic number"]),
    ],
    ids=["trailing garbage", "empty frame", "atomic number 0", "atomic number 200"],
)
def test_odd_files_are_refused_by_line_with_the_fix(text, words):
    with pytest.raises(MoleculeError) as refused:
        parse_xyz(text, "odd.xyz")
    assert all(word in str(refused.value) for word in words), str(refused.value)


@pytest.mark.parametrize("frames", ["all", None])
def test_plan_of_one_geometry_file_with_or_without_frames(tmp_path, frames):
    molecule = tmp_path / "dimer.xyz"
    molecule.write_text(as_saved_elsewhere(DIMER)["byte-order mark"])
    config = {"name": "one", "molecule": str(molecule), "bsse_type": ["nocp"], "model_chemistries": {"pm7": PM7}}
    if frames:
        config["frames"] = frames
    plan = mbpipe(tmp_path, "plan", str(write_config(tmp_path, **config)))
    assert plan.returncode == 0, plan.stderr
    assert "Traceback" not in plan.stderr
    assert "pm7       2             1" in plan.stdout  # the one dimer


REFUSED = {
    "trailing garbage": (DIMER + "garbage here\n", ["line 12", "'garbage here'", "remove it"]),
    "empty frame": ("0\nan empty frame\n" + DIMER, ["holds no atoms", "line 1", "one `symbol x y z`"]),
    "atomic number 0": ("0 0.0 0.0 0.0\n", ["line 1", "0 is not an atomic number", "symbol or atomic number"]),
}


def plan_config(folder: Path, text: str) -> Path:
    molecule = folder / "odd.xyz"
    molecule.write_text(text)
    return write_config(folder, name="odd", molecule=str(molecule), bsse_type=["nocp"], model_chemistries={"pm7": PM7})


@pytest.mark.mopac
@pytest.mark.parametrize("variant", ["byte-order mark", "Windows line ends", "tabs", "atomic numbers"])
def test_mbpipe_plan_runs_on_the_odd_files_it_reads(tmp_path, capsys, monkeypatch, variant):
    monkeypatch.chdir(tmp_path)
    assert main(["plan", str(plan_config(tmp_path, as_saved_elsewhere(DIMER)[variant]))]) == 0
    out, err = capsys.readouterr()
    assert "pm7       2             1" in out  # the one dimer
    assert "Traceback" not in err


@pytest.mark.mopac
@pytest.mark.parametrize("command", ["plan", "run"])
@pytest.mark.parametrize("variant", list(REFUSED))
def test_mbpipe_plan_and_run_refuse_the_odd_files_by_file_line_and_fix(tmp_path, capsys, monkeypatch, variant, command):
    text, words = REFUSED[variant]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main([command, str(plan_config(tmp_path, text)), *(["-n"] if command == "run" else [])])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'odd.xyz'}" in err and all(word in err for word in words), err
    assert "Traceback" not in err


def test_mbpipe_status_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["status", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"mbpipe status: {tmp_path} is not a run's results folder; give the folder results/<name> of a run\n"


def test_an_unforeseen_error_is_one_line_naming_the_input_with_the_traceback_in_a_file(tmp_path, capsys, monkeypatch):
    def fails(*args):
        raise KeyError("frames")

    monkeypatch.setattr("mbpipe.monitor.status.watch", fails)
    assert main(["status", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"mbpipe status: {tmp_path}: KeyError: 'frames' -- an error mbpipe did not foresee")
    traceback_file = Path(re.search(r"the traceback in (\S+) ", line).group(1))
    assert "Traceback" in traceback_file.read_text() and "in fails" in traceback_file.read_text()
    traceback_file.unlink()

    monkeypatch.setenv("MBPIPE_DEBUG", "1")
    with pytest.raises(KeyError):  # the traceback where the developer asked for it
        main(["status", str(tmp_path)])


def test_a_full_disk_is_one_line_naming_the_folder_for_every_command(tmp_path, capsys, monkeypatch):
    def fails(*args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "results/x/gates/n1.json"))

    monkeypatch.setattr("mbpipe.pipeline.gate.write_gate", fails)
    monkeypatch.setattr("mbpipe.pipeline.plan.load_plan", lambda name: SimpleNamespace(labels=lambda level: []))
    assert main(["gate", "x", "1", "results/x/gates/n1.json"]) == 1
    assert capsys.readouterr().err == (
        f"mbpipe: no space left on device for {tmp_path / 'results/x/gates'}: free space on its disk, then run the "
        "same command again (every result written so far is whole and is kept)\n"
    )
