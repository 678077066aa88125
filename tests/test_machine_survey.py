"""The machine's survey kept between job servers (mbpipe/jobserver/machine_survey.py).

QCEngine surveys the CPU and probes NWChem's version in every new process; the job server keeps both
answers in the user's cache folder.  The checks: QCEngine still takes what is handed to it (the
assumptions of mbpipe/programs/qcengine_compat.py, which fail on a QCEngine that breaks them), a kept
answer is used only while its key holds, and a calculation gives the same result with the cache as
without.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers_failures import CHECKOUT, HF_STO3G, WATER_XYZ
from qcelemental.models.v2 import AtomicInput, Molecule
from qcelemental.util import which

from mbpipe.jobserver import server as job_server
from mbpipe.run.jobs import JOB_ENVIRONMENT


def fresh_python(code: str, cache: Path) -> dict:
    """Run *code* in a new Python (QCEngine not yet surveyed) with *cache* as the user's cache folder;
    what it prints last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT), "XDG_CACHE_HOME": str(cache)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_qcengine_takes_a_cpu_survey_given_to_it(tmp_path):
    found = fresh_python(
        """
        import json, qcengine
        from mbpipe.programs.qcengine_compat import cpu_survey_answered_by
        with cpu_survey_answered_by({"brand_raw": "a survey from an earlier process"}):
            qcengine.config.get_global()
        print(json.dumps(qcengine.config.get_provenance_augments()))
        """,
        tmp_path,
    )
    assert found["cpu"] == "a survey from an earlier process"


@pytest.mark.nwchem
def test_nwchem_keeps_its_version_by_path_and_takes_one_given_to_it(tmp_path):
    probed = fresh_python(
        """
        import json, qcengine
        from mbpipe.programs.qcengine_compat import probed_versions
        version = qcengine.get_program("nwchem").get_version()
        print(json.dumps({"version": version, "kept": probed_versions("nwchem")}))
        """,
        tmp_path,
    )
    assert probed["kept"] == {which("nwchem"): probed["version"]}
    given = fresh_python(
        f"""
        import json, qcengine
        from mbpipe.programs.qcengine_compat import give_versions
        give_versions("nwchem", {{{which("nwchem")!r}: "9.9.9"}})
        print(json.dumps(qcengine.get_program("nwchem").get_version()))
        """,
        tmp_path,
    )
    assert given == "9.9.9"  # NWChem was not asked


SURVEY = """
import json, qcengine
from mbpipe.jobserver import machine_survey
path = machine_survey.cache_file()
saved = machine_survey.read_cache(path)
machine_survey.survey_cpu(saved)
machine_survey.probe_versions(["nwchem"], saved)
machine_survey.save(path, ["nwchem"], saved)
print(json.dumps({"cpu": qcengine.config.get_global("cpu_brand"),
                  "nwchem": qcengine.get_program("nwchem").get_version(), "file": str(path)}))
"""


def kept_answers(cache: Path, change: dict | None = None, binary_change: dict | None = None) -> Path:
    """A cache file for this machine as a job server would write it, holding answers that are
    recognisably the cache's (no survey or probe gives them); *change* and *binary_change* alter the
    keys they are kept under."""
    keys = fresh_python(
        f"""
        import json
        from mbpipe.jobserver import machine_survey
        binary = machine_survey.binary_key({which("nwchem")!r})
        print(json.dumps({{"machine": machine_survey.machine_key(), "binary": binary,
                          "file": str(machine_survey.cache_file())}}))
        """,
        cache,
    )  # fmt: skip
    path = Path(keys["file"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "machine": {**keys["machine"], **(change or {})},
        "cpuinfo": {"brand_raw": "kept survey"},
        "versions": {"nwchem": {which("nwchem"): {"version": "kept version",
                                                  "binary": {**keys["binary"], **(binary_change or {})}}}},
    }))  # fmt: skip
    return path


@pytest.mark.nwchem
def test_kept_answers_are_used_while_machine_and_program_are_unchanged(tmp_path):
    kept_answers(tmp_path)
    found = fresh_python(SURVEY, tmp_path)
    assert (found["cpu"], found["nwchem"]) == ("kept survey", "kept version")


@pytest.mark.nwchem
@pytest.mark.parametrize(
    "change, binary_change",
    [({"cpu_models": ["another CPU"]}, {"size": 1}), ({"cpu_count": 4096, "qcengine": "0.1"}, {"mtime_ns": 1})],
)  # fmt: skip
def test_a_changed_machine_or_program_is_surveyed_again(tmp_path, change, binary_change):
    path = kept_answers(tmp_path, change, binary_change)
    found = fresh_python(SURVEY, tmp_path)
    fresh = fresh_python(
        """
        import json, qcengine
        print(json.dumps({"cpu": qcengine.config.get_global("cpu_brand"),
                          "nwchem": qcengine.get_program("nwchem").get_version()}))
        """,
        tmp_path / "unused",
    )  # fmt: skip
    assert (found["cpu"], found["nwchem"]) == (fresh["cpu"], fresh["nwchem"])
    assert "kept" not in found["cpu"] + found["nwchem"]
    # the file now holds the new answers, and the next process uses them
    assert json.loads(path.read_text())["cpuinfo"]["brand_raw"] == fresh["cpu"]
    assert fresh_python(SURVEY, tmp_path) == found


def test_an_unreadable_cache_is_surveyed_over(tmp_path):
    path = tmp_path / "mbpipe" / "broken.json"
    path.parent.mkdir()
    from mbpipe.jobserver.machine_survey import read_cache

    for text in ("{not json", "[]", '{"versions": []}'):
        path.write_text(text)
        assert read_cache(path) == {}


def fragment_result(folder: Path, cache: Path) -> dict:
    """An NWChem HF/STO-3G water fragment run by a job server whose cache folder is *cache*."""
    server = job_server.start(sys.executable, {**JOB_ENVIRONMENT, "XDG_CACHE_HOME": str(cache)}, ["nwchem"])
    assert server is not None
    try:
        folder.mkdir()
        atomic_input = AtomicInput(
            molecule=Molecule.from_data(WATER_XYZ),
            specification={"driver": "energy", "program": "nwchem", "keywords": {},
                           "model": {"method": HF_STO3G["method"], "basis": HF_STO3G["basis"]}},
        )  # fmt: skip
        (folder / "input.json").write_text(atomic_input.model_dump_json())
        command = [sys.executable, "-m", "mbpipe", "fragment", "input.json", "result.json"]
        done = subprocess.run(command, cwd=folder, env={**os.environ, **JOB_ENVIRONMENT, "PYTHONPATH": str(CHECKOUT)},
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        job_server.stop(server, Path(os.environ[job_server.ADDRESS_VARIABLE]))
    return json.loads((folder / "result.json").read_text())


def kept_files(cache: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in (cache / "mbpipe").glob("*.json")}


@pytest.mark.nwchem
def test_a_calculation_gives_the_same_result_with_the_cache_as_without(tmp_path):
    cache = tmp_path / "cache"
    first = fragment_result(tmp_path / "first", cache)  # surveys and probes, then keeps the answers
    written = kept_files(cache)
    assert len(written) == 1
    second = fragment_result(tmp_path / "second", cache)  # takes them from the cache
    assert kept_files(cache) == written  # nothing new to keep
    assert second["extras"]["mbpipe"]["runner"] == first["extras"]["mbpipe"]["runner"] == "warm-worker"
    assert second["return_result"] == first["return_result"]
    assert second["properties"] == first["properties"]
    timing = {"wall_time"}
    assert {k: v for k, v in second["provenance"].items() if k not in timing} == {
        k: v for k, v in first["provenance"].items() if k not in timing
    }


@pytest.mark.nwchem
def test_setup_leaves_the_survey_and_nwchems_version_for_the_first_run(tmp_path):
    """scripts/setup ends with the warm-up on its own: what it keeps is what a job server reads."""
    done = subprocess.run(
        [sys.executable, "-m", "mbpipe.jobserver.warm_up", "nwchem"],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT), "XDG_CACHE_HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    kept = fresh_python(
        """
        import json
        from mbpipe.jobserver import machine_survey
        saved = machine_survey.read_cache(machine_survey.cache_file())
        print(json.dumps({"valid": saved.get("machine") == machine_survey.machine_key(),
                          "cpu": bool(saved.get("cpuinfo")), "versions": saved.get("versions", {})}))
        """,
        tmp_path,
    )  # fmt: skip
    assert kept["valid"] and kept["cpu"]
    assert list(kept["versions"]["nwchem"]) == [which("nwchem")]
