"""XYZ files as other programs and editors save them are read as what they mean, or refused with a
sentence that names the file, the line and the fix; `mbpipe plan` shows no traceback for them."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_failures import MOLECULES, PM7, mbpipe, write_config

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
