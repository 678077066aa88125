"""The job server's warm-up (mbpipe/jobserver/warm_up.py) in a fresh Python, with this machine's survey
cached and without, alternated; medians side by side.  The warm-up is what the first calculation of
a run waits for (`mbpipe run` starts it beside Snakemake's own start).

    .venv/bin/python bench/warm_up_time.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ENV, machine, median

TIMED = """
import time
t0 = time.perf_counter()
from mbpipe.jobserver.warm_up import warm_up
warm_up({programs!r})
print(time.perf_counter() - t0)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", nargs="*", default=["nwchem", "mopac"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="mbpipe-warm-up-"))
    environment = {**ENV, "XDG_CACHE_HOME": str(cache)}
    code = TIMED.format(programs=args.programs)

    def warm_up_s() -> float:
        done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
        return float(done.stdout.split()[-1])

    print(f"warm-up for {' '.join(args.programs)}; {machine()}; load {os.getloadavg()[0]:.2f}")
    warm_up_s()  # fills the caches (the survey's, and matplotlib's font list)
    times: dict[str, list[float]] = {"cached": [], "surveyed": []}
    for _ in range(args.repeats):
        for survey in times:
            if survey == "surveyed":
                shutil.rmtree(cache / "mbpipe")
            times[survey].append(warm_up_s())
    shutil.rmtree(cache, ignore_errors=True)
    cached, surveyed = median(times["cached"]), median(times["surveyed"])
    print(f"cached   {' '.join(f'{t:.2f}' for t in times['cached'])} s: median {cached:.2f} s")
    print(f"surveyed {' '.join(f'{t:.2f}' for t in times['surveyed'])} s: median {surveyed:.2f} s")
    print(f"saved {surveyed - cached:.2f} s a server ({surveyed / cached:.2f} times); load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
