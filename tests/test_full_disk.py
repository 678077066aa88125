"""A disk that fills up during a run: the run ends with one line that names the folder and says to free
space and run again, no file is left cut short, and the same command, once space is freed, finishes
and verifies.  The run's folder is a small tmpfs of its own (mounting one needs root, as CI has)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers_failures import MOLECULES, PM7, fragment_results, mbpipe_run, write_config

from mbpipe.base.jsonio import write_text_atomic

NAME = "full"
# Room for Snakemake's records and a result or two once the plan is written: the disk fills mid-run.
LEFT_FREE_BYTES = 48 * 1024


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs mounted at a folder of the test's, unmounted afterwards."""
    folder = tmp_path / "disk"
    folder.mkdir()
    reason = "mounting a tmpfs needs root" if os.geteuid() != 0 else _mount_tmpfs(folder, "4m")
    if reason:
        if os.environ.get("MBPIPE_REQUIRE_PROGRAMS") == "1" and os.geteuid() == 0:
            pytest.fail(f"{reason}, and CI runs as root, where it must work")
        pytest.skip(reason)
    yield folder
    subprocess.run(["umount", "--lazy", str(folder)], check=True)


def _mount_tmpfs(folder: Path, size: str) -> str | None:
    """None once a tmpfs is mounted at *folder*, otherwise why not."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    return f"mount -t tmpfs is not permitted here ({mounted.stderr.strip()})" if mounted.returncode else None


def fill(disk: Path, leave_bytes: int) -> Path:
    """A file that takes all the free space of *disk* but *leave_bytes*."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(stats.f_bavail * stats.f_frsize - leave_bytes, 0))
    return filler


def test_a_file_that_does_not_fit_is_not_written_and_names_itself(small_disk):
    result = small_disk / "result.json"
    result.write_text('{"whole": true}\n')
    fill(small_disk, 8 * 1024)
    with pytest.raises(OSError) as refused:
        write_text_atomic(result, "x" * 64 * 1024)
    assert refused.value.errno == errno.ENOSPC
    assert refused.value.filename == str(result)
    assert result.read_text() == '{"whole": true}\n'  # the old file, untouched
    assert sorted(path.name for path in small_disk.iterdir()) == ["filler", "result.json"]  # no temporary left


@pytest.mark.slow
@pytest.mark.mopac
def test_a_run_that_fills_its_disk_says_so_in_one_line_and_the_rerun_verifies(tmp_path, small_disk):
    config = write_config(
        tmp_path,
        name=NAME,
        molecule=str(MOLECULES / "water-trimer.xyz"),
        bsse_type=["nocp"],
        max_nbody=3,
        model_chemistries={"pm7": PM7},
    )
    message = (
        f"mbpipe: no space left on device for {small_disk}: free space on its disk, then run the same command "
        "again (every result written so far is whole and is kept)"
    )
    filler = fill(small_disk, 8 * 1024)
    unplanned = mbpipe_run(small_disk, config)  # full while the fragments' inputs are written
    assert unplanned.returncode == 1
    assert "Traceback" not in unplanned.stdout + unplanned.stderr
    assert unplanned.stderr.splitlines()[-1] == message

    filler.unlink()
    planned = mbpipe_run(small_disk, config, "-n")
    assert planned.returncode == 0, planned.stderr
    filler = fill(small_disk, LEFT_FREE_BYTES)
    full = mbpipe_run(small_disk, config)  # full once a fragment or two have finished
    assert full.returncode == 1
    assert "Traceback" not in full.stdout + full.stderr
    assert full.stderr.splitlines()[-1] == message
    assert len(fragment_results(small_disk, NAME)) < 7
    for path in (small_disk / "results").rglob("*.json"):
        json.loads(path.read_text())  # whole, or not there
    assert not list(small_disk.rglob("*.tmp"))

    filler.unlink()
    rerun = mbpipe_run(small_disk, config)
    assert rerun.returncode == 0, rerun.stderr
    assert len(fragment_results(small_disk, NAME)) == 7
    assert json.loads((small_disk / f"results/{NAME}/verification.json").read_text())["passed"] is True
