"""Many geometries in one run: frames of the published water-pentamer file, each a many-body expansion
of its own in one Snakemake graph, with real MOPAC calculations.

Each geometry's result is checked against QCManyBody's sequential computer on the same geometry read
and fragmented here by hand (three atoms per water, as the file lists them), not by mbpipe's reader.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers_failures import CHECKOUT, PM7, fragment_results, mbpipe, mbpipe_run, write_config
from qcelemental import constants
from qcelemental.models.v2 import Molecule
from qcmanybody.models.v2 import ManyBodyInput, ManyBodyResult
from qcmanybody.v2 import ManyBodyComputer

pytestmark = pytest.mark.mopac

PENTAMERS = Path(__file__).resolve().parent / "data" / "water-pentamers.xyz"
FRAMES = [0, 3, 11]
# five monomers and ten dimers per geometry
PER_GEOMETRY = 15


def pentamer_config(folder: Path, **changes) -> Path:
    config = {
        "name": "pentamers",
        "molecule": str(PENTAMERS),
        "frames": FRAMES,
        "fragmentation": "connectivity",
        "bsse_type": ["nocp"],
        "max_nbody": 2,
        "model_chemistries": {"pm7": PM7},
        "verify": "off",
        **changes,
    }
    return write_config(folder, **{key: value for key, value in config.items() if value is not None})


def frame_by_hand(frame: int) -> Molecule:
    """Frame *frame* of the file, read with plain float() and cut into waters of three atoms each."""
    lines = PENTAMERS.read_text().splitlines()
    natoms = int(lines[0])
    block = lines[frame * (natoms + 2) + 2 : (frame + 1) * (natoms + 2)]
    symbols = [line.split()[0] for line in block]
    geometry = np.array([[float(x) for x in line.split()[1:4]] for line in block])
    return Molecule(
        symbols=symbols,
        geometry=geometry / constants.bohr2angstroms,
        fragments=[list(range(i, i + 3)) for i in range(0, natoms, 3)],
        fragment_charges=[0] * (natoms // 3),
        fragment_multiplicities=[1] * (natoms // 3),
        molecular_charge=0,
        molecular_multiplicity=1,
        fix_com=True,
        fix_orientation=True,
    )


def sequential_energy(molecule: Molecule) -> float:
    mbin = ManyBodyInput(
        molecule=molecule,
        specification={
            "driver": "energy",
            "keywords": {"bsse_type": ["nocp"], "max_nbody": 2, "levels": {2: "pm7"}},
            "specification": {"pm7": {"program": "mopac", "driver": "energy", "model": {"method": "pm7"}}},
        },
    )
    result = ManyBodyComputer.from_manybodyinput(mbin)
    return result.properties.return_energy


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("geometries")
    run = mbpipe_run(folder, pentamer_config(folder), "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    return folder


def test_each_geometry_equals_qcmanybody_on_the_frame_fragmented_by_hand(run_folder):
    for frame in FRAMES:
        result_path = run_folder / "results" / "pentamers" / f"frame-{frame:04d}" / "manybody.json"
        pipeline = ManyBodyResult.model_validate_json(result_path.read_text())
        expected = sequential_energy(frame_by_hand(frame))
        assert abs(pipeline.properties.return_energy - expected) <= 1e-12, frame


def test_geometries_table_holds_every_geometrys_summary(run_folder):
    results = run_folder / "results" / "pentamers"
    table = pd.read_csv(results / "geometries.csv")
    assert list(dict.fromkeys(table["geometry"])) == [f"frame-{frame:04d}" for frame in FRAMES]
    assert set(table["status"]) == {"done"}
    published = [line for line in PENTAMERS.read_text().splitlines() if "Ord_Energy" in line]
    for frame in FRAMES:
        rows = table[table["geometry"] == f"frame-{frame:04d}"].reset_index(drop=True)
        summary = pd.read_csv(results / f"frame-{frame:04d}" / "summary.csv")
        pd.testing.assert_frame_equal(rows[summary.columns], summary, check_dtype=False)
        assert (rows["frame"] == frame).all()
        assert {Path(m) for m in rows["molecule"]} == {PENTAMERS.resolve()}  # the config resolves its paths
        assert rows["comment"].iloc[0] == published[frame].strip()
    assert (results / "plots" / "geometries.png").stat().st_size > 10_000


def test_status_and_plan_show_each_geometry_and_all_of_them(run_folder):
    status = mbpipe(run_folder, "status", "results/pentamers")
    assert status.returncode == 0, status.stderr
    for frame in FRAMES:
        assert f"frame-{frame:04d}" in status.stdout
    total = next(line for line in status.stdout.splitlines() if line.split()[:1] == ["all"])
    assert total.split()[1:3] == [str(PER_GEOMETRY * len(FRAMES))] * 2  # calculations, done
    plan = mbpipe(run_folder, "plan", str(run_folder / "config.yaml"), "--json")
    assert plan.returncode == 0, plan.stderr
    preview = json.loads(plan.stdout)
    assert preview["calculations"] == PER_GEOMETRY * len(FRAMES)
    assert [g["calculations"] for g in preview["geometries"]] == [PER_GEOMETRY] * len(FRAMES)


def test_a_failed_fragment_holds_back_its_geometry_only(tmp_path):
    config = pentamer_config(tmp_path, frames="0-2")
    assert mbpipe_run(tmp_path, config, "--dry-run").returncode == 0  # plans, runs nothing
    broken = next((tmp_path / "results" / "pentamers" / "frame-0001" / "inputs" / "n1").glob("*.json"))
    data = json.loads(broken.read_text())
    data["specification"]["model"]["method"] = "no-such-method"  # MOPAC stops on a keyword it does not know
    broken.write_text(json.dumps(data))

    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode != 0
    assert "pentamers/frame-0001 failed" in run.stderr
    results = tmp_path / "results" / "pentamers"
    for frame in (0, 2):
        assert (results / f"frame-{frame:04d}" / "manybody.json").exists()
        assert len(fragment_results(tmp_path, f"pentamers/frame-{frame:04d}")) == PER_GEOMETRY
    assert not (results / "frame-0001" / "manybody.json").exists()
    table = pd.read_csv(results / "geometries.csv")
    status = table.groupby("geometry")["status"].first().to_dict()
    assert status == {"frame-0000": "done", "frame-0001": "unfinished", "frame-0002": "done"}


def test_a_killed_run_resumes_without_recomputing_finished_fragments(tmp_path):
    config = pentamer_config(tmp_path, frames="0-5")
    total = PER_GEOMETRY * 6
    run = subprocess.Popen(
        [sys.executable, "-m", "mbpipe", "run", str(config), "--cores", "2"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while len(finished := all_results(tmp_path)) < total // 3:
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = {path: started(path) for path in all_results(tmp_path)}
    assert 0 < len(finished) < total

    rerun = mbpipe_run(tmp_path, config, "--cores", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert len(all_results(tmp_path)) == total
    assert {path: started(path) for path in finished} == finished  # none recomputed


def all_results(folder: Path) -> list[Path]:
    return sorted(
        path for path in (folder / "results" / "pentamers").glob("frame-*/fragments/n*/*.json")
        if not path.name.endswith(".error.json")
    )  # fmt: skip


def started(result: Path) -> datetime:
    return datetime.fromisoformat(json.loads(result.read_text())["extras"]["mbpipe"]["started"])


def test_frames_and_molecules_are_checked_before_any_job(tmp_path):
    cases = {
        "no frames": ({"frames": None}, ["holds 19 geometries", "`frame`"]),
        "frame beyond the file": ({"frames": [0, 19]}, ["frame 19", "19 geometries (0 to 18)"]),
        "backwards range": ({"frames": "5-2"}, ["runs backwards", "2-5"]),
        "not a range": ({"frames": "first"}, ["`frames` is 'first'", '"0-49"']),
        "no file matches": ({"molecule": None, "molecules": ["nothing-*.xyz"]}, ["matches no file"]),
    }
    for case, (changes, expected) in cases.items():
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        config = pentamer_config(folder, **changes)
        for command in ("run", "plan"):
            run = mbpipe(folder, command, str(config))
            assert run.returncode == 2, (case, command, run.stderr)
            for fragment in expected:
                assert fragment in run.stderr, (case, command, fragment, run.stderr)
        assert not (folder / "results").exists()


def test_molecules_name_each_geometry_by_its_file(tmp_path):
    """`molecules` with a glob: one geometry per file, named by the file's stem."""
    lines = PENTAMERS.read_text().splitlines()
    for frame in (2, 7):
        (tmp_path / f"isomer-{frame}.xyz").write_text("\n".join(lines[frame * 17 : (frame + 1) * 17]) + "\n")
    config = pentamer_config(tmp_path, molecule=None, frames=None, molecules=["isomer-*.xyz"])
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    for frame in (2, 7):
        result = tmp_path / "results" / "pentamers" / f"isomer-{frame}" / "manybody.json"
        energy = ManyBodyResult.model_validate_json(result.read_text()).properties.return_energy
        assert abs(energy - sequential_energy(frame_by_hand(frame))) <= 1e-12


@pytest.mark.parametrize("profile", ["slurm", "pbs"])
def test_cluster_bundles_never_mix_geometries(profile, tmp_path):
    """Through a cluster profile, each geometry's small fragments of a level share one submission of
    their own (the profile's bundle-n<k> size applies per geometry), so no geometry waits in a
    submission for another's lower level."""
    config = pentamer_config(tmp_path, frames="0-1")
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow" / "Snakefile"), "--configfile",
         str(config), "--directory", str(tmp_path), "--profile", str(CHECKOUT / "profiles" / profile), "-n"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    groups = re.findall(r"Group job (\S+)", run.stdout + run.stderr)
    assert sorted(groups) == [f"bundle-n{level}-frame-000{frame}" for level in (1, 2) for frame in (0, 1)]


def test_the_geometries_plot_draws_each_level_in_geometry_order():
    """Each level's line runs through the geometries in file order, whatever order the rows sort in."""
    from mbpipe.report.plots import geometries_figure

    rng = np.random.default_rng(0)
    geometries = [f"frame-{i:04d}" for i in range(30)]
    table = pd.DataFrame(
        [
            {
                "geometry": g,
                "status": "done",
                "bsse_type": "nocp",
                "nbody": n,
                "interaction_energy_kcal_mol": rng.normal(),
            }
            for g in geometries
            for n in (1, 2, 3)
        ]
    )
    axes = geometries_figure(table, "test").axes
    lines = axes[0].get_lines()
    assert len(lines) == 2  # through 2 and 3 bodies
    for line in lines:
        assert list(line.get_xdata()) == list(range(30))
