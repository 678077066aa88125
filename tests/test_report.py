"""The default run's report: `snakemake --report` builds an HTML file holding the plots and tables, the
plots are real pictures, and fragments.csv agrees with the plan and with hand arithmetic."""

import base64
import io
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from matplotlib.image import imread
from qcelemental import constants

from mbpipe.base.jsonio import read_json
from mbpipe.cli import main
from mbpipe.config.load import load_config
from mbpipe.config.manybody_input import manybody_input
from mbpipe.monitor.calibration import calibration_from_run
from mbpipe.monitor.preview import plan_preview
from mbpipe.report.files import NOT_VERIFIED

pytestmark = pytest.mark.nwchem

CHECKOUT = Path(__file__).resolve().parent.parent
CONFIG = CHECKOUT / "config" / "config.yaml"
NAME = "water-trimer"
PLOTS = ("convergence", "contributions", "wall_times")
KCAL_MOL = constants.conversion_factor("hartree", "kcal/mol")


def snakemake(workdir: Path, *args: str, config: Path = CONFIG) -> str:
    command = [sys.executable, "-m", "snakemake", "-s", str(CHECKOUT / "workflow" / "Snakefile"),
               "--configfile", str(config), "--directory", str(workdir), "--cores", "2", *args]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The default config run to the end, and its HTML report."""
    workdir = tmp_path_factory.mktemp("report")
    snakemake(workdir)
    snakemake(workdir, "--report", str(workdir / "report.html"))
    return workdir


def report_files(html: str) -> dict[str, tuple[str, bytes]]:
    """file name -> (MIME type, content) of every result Snakemake embedded in its report."""
    embedded = re.finditer(r'"data_uri": "data:([^;"]+);charset=utf8;filename=([^;"]+);base64,([A-Za-z0-9+/=]+)"', html)
    return {m[2]: (m[1], base64.b64decode(m[3])) for m in embedded}


def test_report_holds_the_plots(run):
    embedded = report_files((run / "report.html").read_text())
    results = run / "results" / NAME
    for plot in PLOTS:
        mime, content = embedded[f"{plot}.png"]
        assert mime == "image/png"
        assert content == (results / "plots" / f"{plot}.png").read_bytes()
        pixels = imread(io.BytesIO(content))
        assert pixels.shape[0] > 300 and pixels.shape[1] > 500
        assert pixels[..., :3].std() > 0.05  # a picture, not a blank canvas
        svg = ElementTree.parse(results / "plots" / f"{plot}.svg").getroot()
        assert svg.tag.endswith("svg") and len(svg.findall(".//{http://www.w3.org/2000/svg}path")) > 10
    for table in ("fragments.csv", "verification.csv"):
        assert embedded[table][0] == "text/csv"
        assert embedded[table][1] == (results / table).read_bytes()


def test_summary_of_a_finished_run(run):
    """`--summary` builds the job graph without running anything (no execution settings): every file
    of the run is listed, and none needs its job run again."""
    rows = [line.split("\t") for line in snakemake(run, "--summary").splitlines()[1:] if line.strip()]
    status = {row[0]: row[4] for row in rows}
    assert f"results/{NAME}/verification.json" in status and f"results/{NAME}/fragments.csv" in status
    assert set(status.values()) == {"ok"}, status


def test_verification_table(run):
    results = run / "results" / NAME
    table = pd.read_csv(results / "verification.csv")
    comparison = read_json(results / "verification.json")
    assert set(table["property"]) == set(comparison["properties"])
    assert table["within_tolerance"].all()


def test_fragment_table(run):
    fragments = pd.read_csv(run / "results" / NAME / "fragments.csv").set_index("label")
    assert len(fragments) == 19
    assert (fragments["wall_time_s"] > 0).all() and (fragments["attempts"] == 1).all()
    assert (fragments["natoms"] == 3 * fragments["level"]).all()
    # NWChem's own basis-function count matches the plan's (from the cost model's table), level by level
    plan = plan_preview(manybody_input(load_config(CONFIG)))
    assert fragments.groupby("level")["nbasis"].max().tolist() == plan["largest_nbasis"].tolist()

    # the interaction energies the plots show, by hand from the fragment energies
    energy = fragments["energy_hartree"]
    summary = pd.read_csv(run / "results" / NAME / "summary.csv").set_index(["bsse_type", "nbody"])
    monomers = sum(energy[f"hf-sto3g_{i}_b{i}"] for i in (1, 2, 3))
    pairs_nocp = sum(energy[f"hf-sto3g_{i}-{j}_b{i}-{j}"] - energy[f"hf-sto3g_{i}_b{i}"] - energy[f"hf-sto3g_{j}_b{j}"]
                     for i, j in combinations((1, 2, 3), 2))  # fmt: skip
    trimer = energy["hf-sto3g_1-2-3_b1-2-3"]
    monomers_cp = sum(energy[f"hf-sto3g_{i}_b1-2-3"] for i in (1, 2, 3))
    expected = {
        ("nocp", 2): pairs_nocp,
        ("nocp", 3): trimer - monomers,
        ("cp", 3): trimer - monomers_cp,
    }
    for key, hartree in expected.items():
        assert summary.loc[key, "interaction_energy_kcal_mol"] == pytest.approx(hartree * KCAL_MOL, abs=1e-8)


def test_plan_calibrated_by_the_run(run, capsys, monkeypatch):
    """One model chemistry: its calibration factor is measured / estimated over the same fragments, so
    the calibrated estimate of the same plan is the measured total."""
    fragments = pd.read_csv(run / "results" / NAME / "fragments.csv")
    calibration = calibration_from_run(run / "results" / NAME, required=True)
    assert calibration.nfragments == 19
    table = plan_preview(manybody_input(load_config(CONFIG)), calibration)
    assert table["estimated_s"].sum() == pytest.approx(fragments["wall_time_s"].sum(), rel=1e-9)

    monkeypatch.chdir(run)
    assert main(["plan", str(CONFIG)]) == 0
    assert "calibrated by the wall times of 19 fragments" in capsys.readouterr().out


def test_status_of_finished_run(run, capsys):
    assert main(["status", str(run / "results" / NAME)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s*all\s+19\s+19\s+0\s+0\s+0\s", out, re.MULTILINE), out
    assert "failed fragments" not in out


@pytest.mark.mopac
def test_unverified_run_without_basis_counts(tmp_path):
    """MOPAC reports no basis-function count and the config turns verification off: the report still
    builds, with an empty nbasis column and a verification table that says so."""
    config = tmp_path / "mopac.yaml"
    config.write_text(
        f"name: mopac-nocp\nmolecule: {CHECKOUT / 'config' / 'molecules' / 'water-trimer.xyz'}\n"
        "bsse_type: [nocp]\nmodel_chemistries:\n  pm7: {program: mopac, method: pm7, basis: null}\n"
        'verify: "off"\n'
    )
    snakemake(tmp_path, config=config)
    snakemake(tmp_path, "--report", str(tmp_path / "report.html"), config=config)
    results = tmp_path / "results" / "mopac-nocp"
    fragments = pd.read_csv(results / "fragments.csv")
    assert len(fragments) == 7 and fragments["nbasis"].isna().all()
    assert pd.read_csv(results / "verification.csv")["property"].tolist() == [NOT_VERIFIED]
    embedded = report_files((tmp_path / "report.html").read_text())
    assert {f"{plot}.png" for plot in PLOTS} <= embedded.keys()
