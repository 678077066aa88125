"""Reading the molecule files chemists already have: a published stacked XYZ, plain and Fortran-flavoured
XYZ, QCSchema JSON of either version; fragments by connectivity; charges and multiplicities set before
QCElemental sees the molecule.  Expectations are computed here from the files' own numbers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from qcelemental import constants

from mbpipe.molecules.cluster_file import count_geometries, read_cluster, read_geometries
from mbpipe.molecules.errors import MoleculeError
from mbpipe.molecules.water_cluster import water_cluster_xyz

CHECKOUT = Path(__file__).resolve().parents[1]
PENTAMERS = Path(__file__).resolve().parent / "data" / "water-pentamers.xyz"
BOHR_PER_ANGSTROM = 1 / constants.bohr2angstroms

DIMER = """\
O  -1.551007  -0.114520   0.000000
H  -1.934259   0.762503   0.000000
H  -0.599677   0.040712   0.000000
O   1.350625   0.111469   0.000000
H   1.680398  -0.373741  -0.758561
H   1.680398  -0.373741   0.758561
"""


def _frames(path: Path) -> list[tuple[str, list[str], np.ndarray]]:
    """(comment, symbols, Angstrom coordinates) of each geometry, read with split() and float()."""
    lines = path.read_text().splitlines()
    frames, i = [], 0
    while i < len(lines) and lines[i].strip():
        count = int(lines[i])
        atoms = [line.split() for line in lines[i + 2 : i + 2 + count]]
        xyz = np.array([[float(x) for x in a[1:4]] for a in atoms])
        frames.append((lines[i + 1].strip(), [a[0] for a in atoms], xyz))
        i += 2 + count
    return frames


def _waters_by_nearest_hydrogens(symbols, xyz) -> set[tuple[int, ...]]:
    """Each oxygen with its two nearest hydrogens: what a chemist means by the waters of the file."""
    oxygens = [i for i, s in enumerate(symbols) if s == "O"]
    hydrogens = np.array([i for i, s in enumerate(symbols) if s == "H"])
    waters = set()
    for o in oxygens:
        nearest = hydrogens[np.argsort(np.linalg.norm(xyz[hydrogens] - xyz[o], axis=1))[:2]]
        waters.add(tuple(sorted([o, *map(int, nearest)])))
    return waters


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _refusal(*args, **kwargs) -> str:
    with pytest.raises(MoleculeError) as caught:
        read_cluster(*args, **kwargs)
    return str(caught.value)


# The published pentamer file: 19 geometries, count and `Ord_Energy` comment lines, no separators.


def test_connectivity_finds_the_five_waters_of_every_pentamer():
    frames = _frames(PENTAMERS)
    assert len(frames) == 19 == count_geometries(PENTAMERS)
    clusters = read_geometries(PENTAMERS, fragmentation="connectivity")
    for (_, symbols, xyz), (molecule, info) in zip(frames, clusters, strict=True):
        assert len(molecule.fragments) == 5
        assert {f.atoms for f in info.fragments} == _waters_by_nearest_hydrogens(symbols, xyz)
        assert [(f.formula, f.charge, f.multiplicity) for f in info.fragments] == [("H2O", 0, 1)] * 5
        assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (0, 1)


def test_coordinates_and_comments_are_the_files_own():
    for frame, (comment, symbols, xyz) in enumerate(_frames(PENTAMERS)):
        molecule, info = read_cluster(PENTAMERS, frame=frame, fragmentation="connectivity")
        assert not info.reordered  # the file lists each water's atoms together
        assert list(molecule.symbols) == symbols
        np.testing.assert_allclose(molecule.geometry, xyz * BOHR_PER_ANGSTROM, rtol=0, atol=1e-8)
        assert info.comment == comment and comment.startswith("Ord_Energy")
        assert (info.frame, info.frames, molecule.name) == (frame, 19, f"water-pentamers-frame{frame}")


def test_a_file_of_several_geometries_needs_frame():
    message = _refusal(PENTAMERS, fragmentation="connectivity")
    assert "holds 19 geometries" in message and "`frame`" in message and "0 to 18" in message
    assert "0 to 18" in _refusal(PENTAMERS, frame=19, fragmentation="connectivity")


# Plain XYZ in the notations programs write.


def test_fortran_exponents_lowercase_symbols_and_no_count_line_read_as_plain_numbers(tmp_path):
    plain = _write(tmp_path, "plain.xyz", "6\nwater dimer\n" + DIMER)
    fortran = DIMER.replace("O ", "o ").replace("H ", "h ")
    fortran = fortran.replace("-1.551007", "-1.551007D+00").replace("0.762503", "7.62503d-1")
    fortran = fortran.replace("1.350625", "0.1350625E+01").replace("0.758561", "75.8561e-02")
    odd = _write(tmp_path, "odd.xyz", fortran)  # no count line, no comment line
    expected = np.array([[float(x) for x in line.split()[1:]] for line in DIMER.splitlines()])
    for path in (plain, odd):
        molecule, info = read_cluster(path)
        assert list(molecule.symbols) == ["O", "H", "H", "O", "H", "H"]
        np.testing.assert_allclose(molecule.geometry, expected * BOHR_PER_ANGSTROM, rtol=0, atol=1e-8)
        assert molecule.name == path.stem
    assert read_cluster(odd)[1].comment is None


def test_separators_and_charge_lines_as_psi4_writes_them(tmp_path):
    lines = DIMER.splitlines()
    text = "\n".join(["0 1", *lines[:3], "--", "-1 1", lines[3], lines[5]]) + "\n"
    molecule, info = read_cluster(_write(tmp_path, "ions.xyz", text))
    assert [(f.formula, f.charge, f.multiplicity) for f in info.fragments] == [("H2O", 0, 1), ("HO", -1, 1)]
    assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (-1, 1)


# Charges and multiplicities.


def _water_cluster_with_hydroxyl(nwaters: int) -> str:
    """*nwaters* waters from the benchmark generator, the last one's second hydrogen taken away:
    no `--` lines, no charge lines, as an MD snapshot would give it."""
    atoms = [line for line in water_cluster_xyz(nwaters).splitlines()[2:] if line != "--"]
    atoms = atoms[:-1]
    return f"{len(atoms)}\nwaters and a hydroxyl radical\n" + "\n".join(atoms) + "\n"


def test_hydroxyl_radical_is_a_doublet_by_default(tmp_path):
    path = _write(tmp_path, "oh.xyz", _water_cluster_with_hydroxyl(4))
    molecule, info = read_cluster(path, fragmentation="connectivity")
    assert [(f.formula, f.charge, f.multiplicity) for f in info.fragments] == [("H2O", 0, 1)] * 3 + [("HO", 0, 2)]
    assert molecule.fragment_multiplicities == [1, 1, 1, 2]
    assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (0, 2)


def test_overrides_set_each_fragment(tmp_path):
    """The config's lists win over the file's `0 1` lines; a multiplicity stated for the file's
    charge does not outlive a charge the config changes."""
    lines = water_cluster_xyz(3).splitlines()
    text = "\n".join([*lines[:2], "0 1", *(line if line != "--" else "--\n0 1" for line in lines[2:])]) + "\n"
    path = _write(tmp_path, "trimer.xyz", text)
    assert text.count("0 1") == 3
    # a water cation is a doublet (9 electrons) unless told otherwise
    molecule, info = read_cluster(path, fragment_charges=[0, 1, 0])
    assert molecule.fragment_charges == [0, 1, 0] and molecule.fragment_multiplicities == [1, 2, 1]
    assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (1, 2)
    molecule, _ = read_cluster(path, fragment_charges=[1, -1, 0], fragment_multiplicities=[2, 2, 1])
    assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (0, 3)  # high spin, as QCElemental does
    molecule, _ = read_cluster(path, fragment_multiplicities=[1, 3, 1])
    assert molecule.fragment_multiplicities == [1, 3, 1] and molecule.molecular_multiplicity == 3


def test_impossible_charges_and_multiplicities_name_the_fragment(tmp_path):
    path = _write(tmp_path, "trimer.xyz", water_cluster_xyz(3))
    message = _refusal(path, fragment_charges=[0, 1, 0], fragment_multiplicities=[1, 1, 1])
    assert "fragment 2 (H2O) has charge 1 and multiplicity 1 with an odd number of electrons (9)" in message
    assert "fragment 1" not in message and "`fragment_charges`" in message
    assert "has 2 entries but" in _refusal(path, fragment_charges=[0, 0])
    assert "3 fragments" in _refusal(path, fragment_charges=[0, 0])
    message = _refusal(path, fragment_charges=[0, 11, 0])
    assert "fragment 2 (H2O) has charge 11" in message and "-1 electrons" in message


def test_a_charge_line_against_its_electron_count_names_the_line_to_fix():
    message = _refusal(CHECKOUT / "tests" / "data" / "water-dimer-doublet.xyz")
    assert "fragment 2 (H2O) has charge 0 and multiplicity 2" in message and "even number of electrons (10)" in message
    assert "`charge multiplicity`" in message


def test_stated_total_charge_must_equal_the_fragments(tmp_path):
    """A hydronium-water cluster saved as one charged molecule: connectivity finds the fragments, the
    file's total +1 must land on one of them, and the refusal points at the hydronium."""
    waters = [line for line in water_cluster_xyz(3).splitlines()[2:] if line != "--"]
    oxygen = np.array([float(x) for x in waters[6].split()[1:]])
    waters.append("H {:.8f} {:.8f} {:.8f}".format(*(oxygen + [0.0, 0.0, -0.98])))
    path = _write(tmp_path, "h3o.xyz", "1 1\n" + "\n".join(waters) + "\n")
    message = _refusal(path, fragmentation="connectivity")
    assert "charge is +1" in message and "add up to +0" in message and "3 (H3O)" in message
    molecule, info = read_cluster(path, fragmentation="connectivity", fragment_charges=[0, 0, 1])
    assert [(f.formula, f.charge, f.multiplicity) for f in info.fragments][2] == ("H3O", 1, 1)
    assert (molecule.molecular_charge, molecule.molecular_multiplicity) == (1, 1)


def test_sixty_waters_without_charge_lines_build_in_bounded_memory(tmp_path):
    """Today's reader left charges to QCElemental's search, which took 17.8 GB for 26 waters."""
    path = _write(tmp_path, "w60.xyz", water_cluster_xyz(60))
    assert "0 1" not in path.read_text()
    script = (
        "import resource, sys\n"
        "from mbpipe.molecules.cluster_file import read_cluster\n"
        "molecule, _ = read_cluster(sys.argv[1])\n"
        "assert len(molecule.fragments) == 60 and molecule.fragment_multiplicities == [1] * 60\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=CHECKOUT)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) < 1_000_000  # kilobytes: under 1 GB


# QCSchema JSON, as QCElemental's own models write it.


def _psi4_dimer() -> str:
    lines = DIMER.splitlines()
    return "\n".join(["0 1", *lines[:3], "--", "0 1", *lines[3:]])


def test_v1_molecule_json_reads_as_the_same_molecule(tmp_path):
    from qcelemental.models import v1

    path = tmp_path / "dimer.json"
    path.write_text(v1.Molecule.from_data(_psi4_dimer(), fix_com=True, fix_orientation=True).model_dump_json())
    assert json.loads(path.read_text())["schema_version"] == 2
    molecule, info = read_cluster(path)
    expected = np.array([[float(x) for x in line.split()[1:]] for line in DIMER.splitlines()])
    np.testing.assert_allclose(molecule.geometry, expected * BOHR_PER_ANGSTROM, rtol=0, atol=1e-8)
    assert molecule.schema_version == 3 and molecule.fix_com and molecule.fix_orientation
    assert [list(f) for f in molecule.fragments] == [[0, 1, 2], [3, 4, 5]]
    assert [(f.formula, f.charge, f.multiplicity) for f in info.fragments] == [("H2O", 0, 1)] * 2


def test_v2_molecule_json_and_connectivity_on_one_fragment(tmp_path):
    from qcelemental.models import v2

    path = tmp_path / "dimer.json"
    v2.Molecule.from_data(DIMER).to_file(path)
    assert json.loads(path.read_text())["schema_version"] == 3
    molecule, _ = read_cluster(path)
    assert len(molecule.fragments) == 1
    molecule, info = read_cluster(path, fragmentation="connectivity")
    assert [f.atoms for f in info.fragments] == [(0, 1, 2), (3, 4, 5)]


def test_json_that_is_not_a_molecule_is_refused(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"schema_name": "qcschema_manybodyinput", "schema_version": 1}))
    assert "`input:`" in _refusal(path)
    path.write_text(json.dumps({"schema_name": "qcschema_molecule", "schema_version": 1, "symbols": ["He"]}))
    assert "schema_version 1" in _refusal(path)


# Connectivity that has to reorder atoms, and results that look wrong.


def test_atoms_listed_by_element_are_regrouped_into_molecules(tmp_path):
    _, symbols, xyz = _frames(PENTAMERS)[0]
    order = [i for i, s in enumerate(symbols) if s == "O"] + [i for i, s in enumerate(symbols) if s == "H"]
    lines = [f"{symbols[i]} {x:.8f} {y:.8f} {z:.8f}" for i, (x, y, z) in zip(order, xyz[order], strict=True)]
    path = _write(tmp_path, "by-element.xyz", "15\nall O first\n" + "\n".join(lines) + "\n")
    molecule, info = read_cluster(path, fragmentation="connectivity")
    assert info.reordered
    listed = [symbols[order[i]] for i in range(15)]
    assert {f.atoms for f in info.fragments} == _waters_by_nearest_hydrogens(listed, xyz[order])
    file_order = [i for f in info.fragments for i in f.atoms]
    np.testing.assert_allclose(molecule.geometry, xyz[order][file_order] * BOHR_PER_ANGSTROM, rtol=0, atol=1e-8)
    assert list(molecule.symbols) == ["O", "H", "H"] * 5


def test_connectivity_refuses_results_that_look_wrong(tmp_path):
    one = _write(tmp_path, "one.xyz", "\n".join(DIMER.splitlines()[:3]) + "\n")
    assert "finds 1 fragment" in _refusal(one, fragmentation="connectivity")
    in_bohr = "\n".join(
        f"{s} " + " ".join(f"{float(x) * BOHR_PER_ANGSTROM:.6f}" for x in rest)
        for s, *rest in (line.split() for line in DIMER.splitlines())
    )
    message = _refusal(_write(tmp_path, "bohr.xyz", in_bohr + "\n"), fragmentation="connectivity")
    assert "6 fragments, 4 of them a lone hydrogen atom (atoms 2, 3, 5, 6" in message and "Angstrom" in message
    separated = _write(tmp_path, "separated.xyz", _psi4_dimer() + "\n")
    assert "names its own 2 fragments" in _refusal(separated, fragmentation="connectivity")


# Files that cannot be read say where and how to fix them.

BROKEN = {
    "not an element": ("3\nwater\nOw 0 0 0\nH 0 0 1\nH 0 1 0\n", ["line 3", "'Ow' is not an element symbol"]),
    "deuterium": ("D 0 0 0\nO 0 0 1\n", ["line 1", "'D' is not an element symbol"]),
    "bad number": ("O 0 0 0\nH 0 0 1.0Q-01\n", ["line 2", "'1.0Q-01' is not a number"]),
    "title without count": ("water dimer\nO 0 0 0\n", ["line 1", "'water dimer' is not an atom"]),
    "count too small": ("2\nc\nO 0 0 0\nH 0 0 1\nH 0 1 0\n", ["line 5", "beyond the 2", "geometry 0 (line 1)"]),
    "count too large": ("4\nc\nO 0 0 0\nH 0 0 1\nH 0 1 0\n", ["ends after 3 atoms", "declares 4"]),
    "next geometry too early": ("3\na\nO 0 0 0\nH 0 0 1\n3\nb\n", ["line 5 opens another geometry", "only 2"]),
    "trailing separator": ("O 0 0 0\n--\n", ["line 2", "fragment 2 has no atoms"]),
    "charge line after atoms": ("O 0 0 0\n0 1\nH 0 0 1\n", ["line 2", "opens its fragment"]),
    "no atoms": ("0\nnothing here\n", ["holds no atoms"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_xyz_names_the_line_and_the_fix(case, tmp_path):
    text, expected = BROKEN[case]
    message = _refusal(_write(tmp_path, "broken.xyz", text))
    assert "broken.xyz" in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
