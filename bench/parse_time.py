"""Time the Snakefile parse that every cluster job repeats, for a plan of about 10 000 fragments.

    python bench/parse_time.py [WORKDIR]

Plans bench/water-40-nocp.yaml once (QCManyBody, 10 700 fragment inputs, the cost estimates), then
times `snakemake --list-rules`, which parses the Snakefile (config validation, plan and cost files
read) and does nothing else, and a dry run of one fragment job started the way a cluster job starts
it (`--target-jobs`, `--allowed-rules`, `--force`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow" / "Snakefile")]
CONFIG = REPO / "bench" / "water-40-nocp.yaml"


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="mbpipe-parse-"))
    workdir.mkdir(parents=True, exist_ok=True)
    base = [*SNAKEMAKE, "--directory", str(workdir), "--configfile", str(CONFIG)]
    first = timed([*base, "--list-rules"], workdir)
    plan = json.loads(next(workdir.glob("results/*/plan.json")).read_text())
    nfragments = sum(len(labels) for labels in plan["levels"].values())
    parses = [timed([*base, "--list-rules"], workdir) for _ in range(3)]
    startup = timed([sys.executable, "-m", "snakemake", "--version"], workdir)
    label = plan["levels"]["1"][0]
    target = ["--target-jobs", f"fragment:level=1,label={label}", "--allowed-rules", "fragment", "--force"]
    job = timed([*base, "--cores", "1", "--dry-run", *target], workdir)
    print(f"fragments in plan: {nfragments}")
    print(f"first parse (plans with QCManyBody, writes inputs, estimates costs): {first:.1f} s")
    print(f"parse with the plan current (snakemake --list-rules), best of 3: {min(parses):.2f} s")
    print(f"  of which Python + Snakemake start-up (snakemake --version): {startup:.2f} s")
    print(f"one fragment job as a cluster job starts it (--target-jobs, dry run): {job:.2f} s")


if __name__ == "__main__":
    main()
