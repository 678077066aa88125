"""What the benchmarks share: a water-cluster run in a scratch folder, the pipeline and QCManyBody's
sequential ManyBodyComputer run on it as fresh processes, their wall times and peak memory."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mbpipe.molecules.water_cluster import water_cluster_xyz  # noqa: E402

SNAKEFILE = REPO / "workflow" / "Snakefile"
# The fragment jobs run with PYTHONHASHSEED=0 (see mbpipe/run/jobs.py); so does the baseline.
# The checkout first on Python's path, ahead of what the caller's path holds (packages installed
# into a folder of their own, as on a machine without network).
PYTHONPATH = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
ENV = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": PYTHONPATH}


@dataclass
class Timed:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    output: str
    started: float = 0.0  # epoch seconds


def timed(command: list[str], cwd: Path | None = None) -> Timed:
    """Run *command*; its wall time and the peak resident memory of the process (children that it
    waited for included), read from wait4."""
    started, t0 = time.time(), time.perf_counter()
    with open(os.devnull if cwd is None else cwd / "bench-last.log", "w+") as log:
        process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - t0
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    return Timed(wall, usage.ru_maxrss / 1024, process.returncode, output, started)


def water_run(
    folder: Path,
    nwaters: int,
    *,
    max_nbody: int = 3,
    bsse_type: tuple[str, ...] = ("nocp",),
    program: str = "nwchem",
    method: str = "hf",
    basis: str | None = "6-31g",
    driver: str = "energy",
    seed: int = 2024,
) -> Path:
    """Write a water-*nwaters* cluster and an mbpipe config for it into *folder*; the config's path.
    The pipeline's own verification is off: the benchmarks run the sequential computer themselves."""
    folder.mkdir(parents=True, exist_ok=True)
    molecule = folder / f"water-{nwaters}.xyz"
    molecule.write_text(water_cluster_xyz(nwaters, seed=seed))
    name = f"water{nwaters}-{max_nbody}b-{'-'.join(bsse_type)}-{program}-{method}-{basis or 'none'}".replace("*", "s")
    config = {
        "name": name,
        "molecule": molecule.name,
        "driver": driver,
        "bsse_type": list(bsse_type),
        "max_nbody": max_nbody,
        "model_chemistries": {"mc": {"program": program, "method": method, "basis": basis}},
        "verify": "off",
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake_command(config: Path, workdir: Path, cores: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", *snakemake_args(config, workdir, cores, *extra)]


def snakemake_args(config: Path, workdir: Path, cores: int, *extra: str, snakefile: Path = SNAKEFILE) -> list[str]:
    """Snakemake's command line for *config* in *workdir*, by default on this checkout's Snakefile."""
    return [
        "--snakefile", str(snakefile),
        "--configfile", str(config),
        "--directory", str(workdir),
        "--cores", str(cores),
        *extra,
    ]  # fmt: skip


def mbpipe_run_command(config: Path, cores: int, *extra: str) -> list[str]:
    """`mbpipe run CONFIG --cores N`, what a user runs on a workstation: results in the folder it runs in."""
    return [sys.executable, "-m", "mbpipe", "run", str(config), "--cores", str(cores), *extra]


def calculation_window(fragments: list[dict]) -> tuple[float, float]:
    """The first calculation's start and the last one's end (epoch seconds), from the fragment
    results' own timestamps."""
    started = [datetime.fromisoformat(f["extras"]["mbpipe"]["started"]).timestamp() for f in fragments]
    finished = [datetime.fromisoformat(f["extras"]["mbpipe"]["finished"]).timestamp() for f in fragments]
    return min(started), max(finished)


def fixed_cost(run: Timed, fragments: list[dict]) -> tuple[float, float]:
    """Seconds from the command's start to the first calculation's start, and from the last
    calculation's end to the command's end."""
    first, last = calculation_window(fragments)
    return first - run.started, run.started + run.wall_s - last


def add_expansion_arguments(parser, nwaters: int, method: str, basis: str) -> None:
    """The options of a water cluster's expansion (water_run_of) and of the pipeline runs on it."""
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--nwaters", type=int, default=nwaters)
    parser.add_argument("--max-nbody", type=int, default=3)
    parser.add_argument("--bsse", nargs="+", default=["nocp", "cp"])
    parser.add_argument("--program", default="nwchem")
    parser.add_argument("--method", default=method)
    parser.add_argument("--basis", default=basis, help="'none' for semiempirical methods")
    parser.add_argument("--driver", default="energy")
    parser.add_argument("--scratch", type=Path, help="folder for the runs (default: a temporary one, removed)")
    parser.add_argument("--snakemake-args", default="", help="extra Snakemake options, one string")


def water_run_of(args, folder: Path) -> Path:
    """water_run with the options add_expansion_arguments added."""
    return water_run(
        folder, args.nwaters, max_nbody=args.max_nbody, bsse_type=tuple(args.bsse), program=args.program,
        method=args.method, basis=None if args.basis.lower() == "none" else args.basis, driver=args.driver,
    )  # fmt: skip


def run_name(config: Path) -> str:
    return yaml.safe_load(config.read_text())["name"]


def median(values: list[float]) -> float:
    return statistics.median(values)


def total_jobs(snakemake_output: str) -> int:
    """The number of jobs in Snakemake's job table (-1 without one)."""
    for line in snakemake_output.splitlines():
        if line.startswith("total"):
            return int(line.split()[1])
    return -1


def machine() -> str:
    return f"{platform.node()}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, " + (
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
