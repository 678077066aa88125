"""What a fork of the warm job server costs per job: the server's warm-up (mbpipe/jobserver/warm_up.py)
for the given programs, then forks whose child ends at once, timed from fork to the parent's wait
returning (what a warm worker that takes jobs without forking would save per job).

    .venv/bin/python bench/fork_cost.py                       # NWChem and MOPAC loaded
    .venv/bin/python bench/fork_cost.py --programs nwchem pyscf
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

from common import machine

from mbpipe.jobserver.warm_up import warm_up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", nargs="*", default=["nwchem", "mopac"])
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()
    warm_up(args.programs)
    gc.freeze()  # as the server does after its warm-up
    times = []
    for _ in range(args.forks):
        t0 = time.perf_counter()
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)
        times.append(time.perf_counter() - t0)
    with open("/proc/self/status") as status:
        rss = next(line.split()[1] for line in status if line.startswith("VmRSS"))
    loaded = f"{' '.join(args.programs)} loaded ({int(rss) / 1024:.0f} MB resident)"
    print(f"{loaded}; {machine()}; load {os.getloadavg()[0]:.2f}")
    print(f"fork to wait, {args.forks} forks: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
