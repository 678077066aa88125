"""What a local run pays for the cluster executor plugins installed beside mbpipe.

Snakemake imports every installed executor plugin when it builds its command line; the SLURM plugin
then asks `sinfo`, `sacct` and `scontrol` about the cluster.  Here the cluster is SLURM's own tools
with a slurm.conf whose controller does not answer (an address nothing listens on): a login node
whose controller is down, or a workstation with a stale SLURM install.  Times, alternated, medians:
  snakemake -n   plain Snakemake's dry run of a water-trimer config
  mbpipe run -n  the same through `mbpipe run`
and the same two without the slurm.conf.  Needs SLURM's client tools (scripts/setup installs them).

    .venv/bin/python bench/cluster_tools.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import ENV, machine, median, snakemake_command, timed, water_run

# An address in TEST-NET-1 (RFC 5737): nothing answers there, so each request waits out its timeout.
SLURM_CONF = """ClusterName=unanswered
SlurmctldHost=controller(192.0.2.1)
MessageTimeout=3
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES State=UP
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("scontrol"):
        sys.exit("SLURM's client tools (scontrol) are not installed")
    scratch = Path(tempfile.mkdtemp(prefix="mbpipe-cluster-tools-"))
    config = water_run(scratch, 3, max_nbody=2, program="mopac", method="pm7", basis=None)
    (scratch / "slurm.conf").write_text(SLURM_CONF)
    commands = {
        "snakemake -n": (snakemake_command(config, scratch / "run", 2, "-n"), scratch),
        "mbpipe run -n": ([sys.executable, "-m", "mbpipe", "run", str(config), "-n"], scratch / "run"),
    }
    (scratch / "run").mkdir()
    print(f"dry run of a water-trimer config, {args.repeats} alternated repetitions; {machine()}")
    for cluster, conf in (("controller not answering", str(scratch / "slurm.conf")), ("no slurm.conf", None)):
        times = {label: [] for label in commands}
        for _ in range(args.repeats):
            for label, (command, cwd) in commands.items():
                ENV.pop("SLURM_CONF", None)
                if conf:
                    ENV["SLURM_CONF"] = conf
                run = timed(command, cwd=cwd)
                if run.returncode:
                    sys.exit(f"{label} failed:\n{run.output[-2000:]}")
                times[label].append(run.wall_s)
        line = "   ".join(f"{label} {median(values):6.2f} s" for label, values in times.items())
        print(f"  {cluster:26s} {line}")
    ENV.pop("SLURM_CONF", None)
    shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    os.environ.pop("SLURM_CONF", None)
    raise SystemExit(main())
