"""The figures only the device machine gives (16 cores, a GPU), in order of value, the small cases
first: each one runs when what it needs is installed there (bench/device_env.sh) and its expected time
fits what is left of this call's budget, and is remembered as done (in $DEVICE_KIT) so that the next
call on the same warm machine goes on with the rest.  The benchmarks print their own raw output; this
script adds the machine, the load average before and after each figure, and why a figure was left out.

    source bench/device_env.sh && python3 bench/device_figures.py --budget 320 2>&1 | tee $OUT/device-1.log
    python3 bench/device_figures.py --list                  # the figures, what each needs, its expected time
    python3 bench/device_figures.py --cores 2 --scale small  # the same figures, small, on this machine

docs/performance.md ("Device figures") gives the calls in order, each with the part of the kit it carries.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Figure:
    name: str
    needs: str  # "nwchem", "pyscf" or "gpu"
    expected_s: float  # on the 16-core machine, from the last figures measured there
    what: str
    command: tuple[str, ...]  # a benchmark under bench/ and its arguments ({cores}: the cores asked for)


MP2 = ("--method", "mp2", "--basis", "6-31g*")
WATER10 = ("--nwaters", "10", "--bsse", "nocp")
B3LYP = ("--nwaters", "6", "--bsse", "nocp", "--method", "b3lyp", "--basis", "def2-svp", "--driver", "gradient")
PRODUCTION = ("--nwaters", "10", "--bsse", "nocp", "--method", "mp2", "--basis", "aug-cc-pvdz")
AGAINST_SEQUENTIAL = "pipeline against the sequential computer"

FIGURES = (
    Figure("nwchem-mp2", "nwchem", 190, f"water-10 3-body nocp MP2/6-31G* NWChem: {AGAINST_SEQUENTIAL}",
           ("speedup.py", "--cores", "{cores}", *WATER10, *MP2, "--repeats", "1")),
    Figure("nwchem-mixed", "nwchem", 120, "water-10 3-body cp+nocp MP2/6-31G* NWChem: levels against longest-first",
           ("load_balance.py", "--cores", "{cores}", "--nwaters", "10", "--bsse", "nocp", "cp", *MP2)),
    Figure("pyscf-mp2", "pyscf", 70, f"water-10 3-body nocp MP2/6-31G* PySCF: {AGAINST_SEQUENTIAL}",
           ("speedup.py", "--cores", "{cores}", *WATER10, *MP2, "--program", "pyscf", "--repeats", "1")),
    Figure("cpu-b3lyp", "pyscf", 90, "water-6 3-body nocp B3LYP/def2-SVP gradient, PySCF on the CPU, pipeline only",
           ("load_balance.py", "--cores", "{cores}", *B3LYP, "--program", "pyscf")),
    Figure("gpu-b3lyp", "gpu", 130, f"the same expansion on pyscf-gpu: {AGAINST_SEQUENTIAL}",
           ("speedup.py", "--cores", "{cores}", *B3LYP, "--program", "pyscf-gpu", "--repeats", "1",
            "--snakemake-args", "--resources gpu=1")),
    Figure("fixed-cost", "nwchem", 110, "the fixed cost of a small run on 2 quiet cores, mbpipe run and snakemake",
           ("fixed_cost.py", "--cores", "2", "--repeats", "3")),
    Figure("nwchem-production", "nwchem", 200, "water-10 3-body nocp MP2/aug-cc-pVDZ NWChem, pipeline only",
           ("load_balance.py", "--cores", "{cores}", *PRODUCTION)),
    Figure("pyscf-production", "pyscf", 150, "the same on PySCF",
           ("load_balance.py", "--cores", "{cores}", *PRODUCTION, "--program", "pyscf")),
)  # fmt: skip

# --scale small: the same figures on a few waters and a small basis, to try the script on a small machine.
SMALL_WATERS, SMALL_BASES = {"10": "4", "6": "3"}, {"aug-cc-pvdz": "6-31g"}


def installed(needs: str) -> bool:
    if needs == "nwchem":
        return shutil.which("nwchem") is not None and importlib.util.find_spec("snakemake") is not None
    if needs == "pyscf":
        return importlib.util.find_spec("pyscf") is not None
    return importlib.util.find_spec("gpu4pyscf") is not None and shutil.which("nvidia-smi") is not None


def command_of(figure: Figure, cores: int, small: bool) -> list[str]:
    arguments = [argument.format(cores=cores) for argument in figure.command]
    if small:
        arguments = [
            SMALL_WATERS.get(argument, argument) if before == "--nwaters" else SMALL_BASES.get(argument, argument)
            for before, argument in zip(["", *arguments], arguments, strict=False)
        ]
    command = [sys.executable, str(BENCH / arguments[0]), *arguments[1:]]
    return ["taskset", "-c", "0,1", *command] if figure.name == "fixed-cost" else command


def run_within(command: list[str], seconds: float) -> int | str:
    """Run *command* (its output to this one's); its exit status, or why it was stopped: at the end of
    *seconds* it is killed with every process it started, so that the call's output comes back."""
    benchmark = subprocess.Popen(command, start_new_session=True)
    try:
        return benchmark.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(benchmark.pid, signal.SIGKILL)
        benchmark.wait()
        return "stopped at the end of the budget"


def describe_machine() -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {os.cpu_count()} CPUs; load {_load()}")
    if shutil.which("nvidia-smi"):
        subprocess.run(["nvidia-smi", "-L"], check=False)
    for package in ("snakemake", "qcengine", "qcmanybody", "pyscf", "gpu4pyscf"):
        spec = importlib.util.find_spec(package)
        print(f"  {package}: {'at ' + str(Path(spec.origin).parent) if spec and spec.origin else 'not installed'}")
    print(flush=True)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", nargs="*", help="only these (default: all, in this order)")
    parser.add_argument("--budget", type=float, default=540, help="seconds this call may spend")
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--scale", choices=["device", "small"], default="device")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        for figure in FIGURES:
            print(f"{figure.name:18} needs {figure.needs:7} ~{figure.expected_s:4.0f} s  {figure.what}")
        return 0
    unknown = set(args.figures) - {figure.name for figure in FIGURES}
    if unknown:
        parser.error(f"no figure {', '.join(sorted(unknown))}; --list names them")

    deadline = time.monotonic() + args.budget
    done_file = Path(os.environ.get("DEVICE_KIT", "/tmp/device-kit")) / f"figures-done-{args.scale}"
    done = set(done_file.read_text().split()) if done_file.exists() else set()
    describe_machine()
    failed = 0
    for figure in FIGURES:
        if (args.figures and figure.name not in args.figures) or figure.name in done:
            continue
        left = deadline - time.monotonic()
        if not installed(figure.needs):
            print(f"== {figure.name}: left for a later call, {figure.needs} is not installed yet\n", flush=True)
            continue
        if args.scale == "device" and figure.expected_s > left:
            print(f"== {figure.name}: left for a later call, ~{figure.expected_s:.0f} s expected, {left:.0f} s left\n")
            continue
        command = command_of(figure, args.cores, args.scale == "small")
        print(f"== {figure.name}: {figure.what}\n$ {' '.join(command)}\nload before {_load()}", flush=True)
        started = time.monotonic()
        status = run_within(command, max(left, 1))
        took = time.monotonic() - started
        print(f"== {figure.name}: exit {status} after {took:.0f} s; load after {_load()}\n", flush=True)
        if status == 0:
            done.add(figure.name)
            done_file.parent.mkdir(parents=True, exist_ok=True)
            done_file.write_text("\n".join(sorted(done)) + "\n")
        else:
            failed += 1
    left_over = [figure.name for figure in FIGURES if figure.name not in done]
    print(f"done: {' '.join(sorted(done)) or 'none'}; still to run: {' '.join(left_over) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
