"""Crystals from CIFs: cells read and refused, n-mers found and grouped into symmetry-unique sets.

The CIFs are CrystaLattE's (tests/data/README.md).  The benzene dimers are checked against the counts
CrystaLattE's own test publishes for the same CIF and cutoffs; the grouping against brute force: the
lattice sum over unique n-mers times their replicas equals the sum over every n-mer, with real HF/STO-3G
energies from PySCF.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qcelemental import constants

from mbpipe.crystal.cif import read_crystal
from mbpipe.crystal.errors import CrystalError
from mbpipe.crystal.nmers import nmers_around
from mbpipe.crystal.unique import nmer_geometry, same_geometry, unique_nmers

CRYSTALS = Path(__file__).resolve().parent / "data" / "crystals"
BOHR = constants.conversion_factor("bohr", "angstrom")


def _bonded_extent(crystal, molecule: int) -> float:
    """The largest distance between atoms of one molecule (Angstrom)."""
    atoms = crystal.cartesian(molecule)
    return float(np.max(np.linalg.norm(atoms[:, None] - atoms[None], axis=2)))


def test_benzene_cell_has_four_whole_molecules_one_reference():
    crystal = read_crystal(CRYSTALS / "benzene.cif")
    assert crystal.space_group == "P b c a"
    # The CIF lists both halves of the centrosymmetric molecule: the inversion images are merged.
    assert [len(m.symbols) for m in crystal.molecules] == [12] * 4
    assert all(sorted(m.symbols) == ["C"] * 6 + ["H"] * 6 for m in crystal.molecules)
    assert crystal.references == [0] and crystal.orbit_size(0) == 4
    # Whole across the cell's faces: benzene's H...H para distance is 4.9 Angstrom, not a cell length.
    assert all(4.8 < _bonded_extent(crystal, m) < 5.1 for m in range(4))


def test_ordered_ice_has_two_references():
    """Bernal and Fowler's ordered ice Ih model: 12 waters per cell, two symmetry-independent (Z' = 2)."""
    crystal = read_crystal(CRYSTALS / "ice-ih-ordered.cif")
    assert len(crystal.molecules) == 12
    assert len(crystal.references) == 2
    assert sorted(crystal.orbit_size(r) for r in crystal.references) == [6, 6]


def test_carbon_dioxide_molecules_are_made_whole():
    crystal = read_crystal(CRYSTALS / "carbon-dioxide.cif")
    assert len(crystal.molecules) == 4
    for m in range(4):
        atoms = crystal.cartesian(m)
        assert _bonded_extent(crystal, m) == pytest.approx(2 * 1.155, abs=0.02)  # O=C=O, 1.155 Angstrom bonds
        assert np.linalg.norm(atoms[0] - atoms[1:].mean(axis=0)) < 1e-6  # the carbon sits between the oxygens


def test_half_occupied_hydrogens_are_refused():
    with pytest.raises(CrystalError, match=r"ice-ih-half-hydrogens.cif: the sites .* are partly occupied"):
        read_crystal(CRYSTALS / "ice-ih-half-hydrogens.cif")


def test_cif_without_symmetry_is_refused(tmp_path):
    text = (CRYSTALS / "carbon-dioxide.cif").read_text().splitlines()
    symops = text.index("_symmetry_equiv_pos_as_xyz")
    kept = [
        line
        for i, line in enumerate(text[: symops - 1] + text[symops + 25 :])
        if not line.startswith(("_symmetry_space_group", "_space_group_IT", "_cod_original_sg"))
    ]
    bare = tmp_path / "no-symmetry.cif"
    bare.write_text("\n".join(kept) + "\n")
    with pytest.raises(CrystalError, match=r"no-symmetry.cif has no symmetry.*add the symmetry block"):
        read_crystal(bare)


def test_cif_without_hydrogens_is_refused(tmp_path):
    lines = (CRYSTALS / "benzene.cif").read_text().splitlines()
    bare = tmp_path / "benzene-no-h.cif"
    bare.write_text("\n".join(line for line in lines if not line.startswith("H")) + "\n")
    with pytest.raises(CrystalError, match=r"benzene-no-h.cif has no hydrogen atoms \(its formula is 'C6 H6'\)"):
        read_crystal(bare)


def test_benzene_dimers_match_crystalatte():
    """CrystaLattE's test_95_ben_test (its Benzene.cif, dimer cutoff 11.4, centre-of-mass cutoff 9.5
    Angstrom; the Ringer and Sherrill 2008 dimers): 10 unique dimers, with these replicas and separations
    (its separations are in bohr)."""
    published = {  # closest-atom separation (bohr): (centre-of-mass separation (bohr), replicas)
        4.8072405390: (11.3126785806, 4),
        4.9737128407: (10.9828900652, 4),
        5.0635628061: (9.4952015406, 4),
        8.9125861155: (12.8690349144, 2),
        9.3664029960: (17.8012201018, 2),
        9.5607501286: (13.9650760671, 2),
        9.7438615012: (17.7664634564, 4),
        10.1699533857: (17.1344318930, 4),
        11.6891856781: (17.1344318930, 4),
        14.1518785972: (17.7664634564, 4),
    }
    crystal = read_crystal(CRYSTALS / "benzene.cif")
    dimers = unique_nmers(crystal, nmers_around(crystal, 0, {2: 11.4}, {2: 9.5}))
    found = sorted((d.representative.separation, d.representative.com_separation, d.replicas[0]) for d in dimers)
    expected = sorted((r * BOHR, com * BOHR, n) for r, (com, n) in published.items())
    assert len(found) == 10
    for (sep, com, n), (ref_sep, ref_com, ref_n) in zip(found, expected, strict=True):
        assert sep == pytest.approx(ref_sep, abs=1e-6) and com == pytest.approx(ref_com, abs=1e-6) and n == ref_n


_COMPUTED: dict = {}


def _hf_sto3g(symbols, geometry) -> float:
    """HF/STO-3G energy; a cluster met again at the same place (a dimer inside two trimers) is not recomputed."""
    from pyscf import gto, scf

    key = (tuple(symbols), tuple(np.round(geometry, 8).ravel()))
    if key in _COMPUTED:
        return _COMPUTED[key]
    mol = gto.M(atom=list(zip(symbols, geometry.tolist(), strict=True)), basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol)
    mf.conv_tol = 1e-12
    _COMPUTED[key] = float(mf.kernel())
    return _COMPUTED[key]


def _nonadditive_energy(symbols, geometry, fragments) -> float:
    """The n-mer's n-body non-additive energy, by inclusion-exclusion over all its sub-clusters."""
    from itertools import combinations

    order, total = len(fragments), 0.0
    for k in range(1, order + 1):
        for subset in combinations(fragments, k):
            atoms = [a for fragment in subset for a in fragment]
            total += (-1) ** (order - k) * _hf_sto3g([symbols[a] for a in atoms], geometry[atoms])
    return total


@pytest.mark.pyscf
def test_unique_nmers_times_replicas_equal_every_nmer():
    """Ammonia's CIF is in P 1 (4 molecules, each its own reference): dimers within 2.6 Angstrom (two
    kinds, 6 of each around each molecule) and trimers within 2.45.  Every n-mer around every reference
    is computed (HF/STO-3G), and the per-cell sum compared with the one over the unique n-mers times their
    replicas."""
    crystal = read_crystal(CRYSTALS / "ammonia.cif")
    every = [nmer for r in crystal.references for nmer in nmers_around(crystal, r, {2: 2.6, 3: 2.45})]
    unique = unique_nmers(crystal, every)
    assert len(every) == 60 and [(u.order, u.replicas) for u in unique] == [
        (2, {0: 6, 1: 6, 2: 6, 3: 6}),
        (2, {0: 6, 1: 6, 2: 6, 3: 6}),
        (3, {0: 3, 1: 3, 2: 3, 3: 3}),
    ]

    def energy(nmer_geometry_parts):
        symbols, geometry, fragments = nmer_geometry_parts
        return _nonadditive_energy(symbols, geometry, fragments)

    brute_force = sum(energy(nmer_geometry(crystal, nmer)) / nmer.order for nmer in every)
    grouped = sum(
        sum(u.replicas.values()) * _nonadditive_energy(u.symbols, u.geometry, u.fragments) / u.order for u in unique
    )
    assert abs(grouped - brute_force) < 1e-10
    assert abs(brute_force) > 1e-4  # a sum that could be wrong: not zero


def _psi4_nmer(path: Path):
    """(symbols, geometry in Angstrom, fragments, last noCP n-body Delta in kcal/mol) of a Psi4 output."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("molecule "))
    symbols, coordinates, fragments = [], [], [[]]
    for line in lines[start + 1 :]:
        if line.strip() == "--":
            fragments.append([])
        elif line.startswith("units"):
            break
        else:
            symbol, *xyz = line.split()
            fragments[-1].append(len(symbols))
            symbols.append(symbol)
            coordinates.append([float(x) * BOHR for x in xyz])
    table = next(i for i, line in enumerate(lines) if "Non-Counterpoise Corrected (NoCP) energies" in line)
    delta = float(lines[table + 2 + len(fragments)].split()[-1])
    return tuple(symbols), np.array(coordinates), fragments, delta


@pytest.mark.pyscf
@pytest.mark.parametrize("nmer", ["2mer-0+1", "3mer-0+1+2", "3mer-0+1+5"])
def test_crystalatte_ammonia_nmers_are_among_ours_with_the_same_energy(nmer):
    """CrystaLattE's Psi4 outputs for its ammonia n-mers (HF/STO-3G, noCP, density-fitted): each is
    one of our unique n-mers within 2.6 Angstrom, and PySCF's n-body energy of ours agrees to 0.002
    kcal/mol (the size of a density-fitting error)."""
    symbols, geometry, fragments, delta_kcal = _psi4_nmer(CRYSTALS / "psi4" / f"ammonia-{nmer}.out")
    crystal = read_crystal(CRYSTALS / "ammonia.cif")
    unique = unique_nmers(crystal, nmers_around(crystal, 0, {2: 2.6, 3: 2.6}))
    (ours,) = [u for u in unique if same_geometry(symbols, geometry, u.symbols, u.geometry)]
    energy = _nonadditive_energy(ours.symbols, ours.geometry, ours.fragments)
    assert energy * constants.conversion_factor("hartree", "kcal/mol") == pytest.approx(delta_kcal, abs=2e-3)
