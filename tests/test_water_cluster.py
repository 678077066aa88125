"""The benchmark water clusters: reproducible, physically sensible, and readable in a moment."""

import time

import numpy as np
import pytest

from mbpipe.molecules.cluster_file import read_cluster
from mbpipe.molecules.water_cluster import HOH_ANGLE, OH_BOND, water_cluster_xyz


def _waters(text: str) -> list[np.ndarray]:
    blocks = text.split("\n", 2)[2].split("\n--\n")
    return [np.array([[float(x) for x in line.split()[1:]] for line in block.splitlines()]) for block in blocks]


def test_same_seed_same_cluster_other_seed_other_cluster():
    assert water_cluster_xyz(10, seed=7) == water_cluster_xyz(10, seed=7)
    assert water_cluster_xyz(10, seed=7) != water_cluster_xyz(10, seed=8)


@pytest.mark.parametrize("nwaters", [1, 6, 20])
def test_rigid_waters_at_liquid_spacing(nwaters):
    waters = _waters(water_cluster_xyz(nwaters))
    assert len(waters) == nwaters
    for w in waters:
        oh1, oh2 = w[1] - w[0], w[2] - w[0]
        assert np.linalg.norm(oh1) == pytest.approx(OH_BOND, abs=1e-6)
        assert np.linalg.norm(oh2) == pytest.approx(OH_BOND, abs=1e-6)
        cos = oh1 @ oh2 / (np.linalg.norm(oh1) * np.linalg.norm(oh2))
        assert np.arccos(cos) == pytest.approx(HOH_ANGLE, abs=1e-6)
    if nwaters > 1:
        oxygens = np.array([w[0] for w in waters])
        distances = np.linalg.norm(oxygens[:, None] - oxygens[None], axis=2) + np.eye(nwaters) * 99
        # every water has a neighbour at the grid spacing (2.9 A, shifted by at most 2 x 0.15 A per axis)
        assert np.all((distances.min(axis=1) > 2.3) & (distances.min(axis=1) < 3.5))
        atoms = [(i, atom) for i, w in enumerate(waters) for atom in w]
        closest = min(np.linalg.norm(a - b) for i, a in atoms for j, b in atoms if i < j)
        assert closest >= 1.6


def test_large_cluster_reads_quickly_as_neutral_singlets(tmp_path):
    path = tmp_path / "water-40.xyz"
    path.write_text(water_cluster_xyz(40))
    t0 = time.perf_counter()
    molecule, _ = read_cluster(path)
    assert time.perf_counter() - t0 < 5
    assert len(molecule.fragments) == 40
    assert molecule.molecular_charge == 0 and molecule.molecular_multiplicity == 1
    assert list(molecule.symbols[:3]) == ["O", "H", "H"]
