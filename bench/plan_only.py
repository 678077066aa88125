"""Plan an mbpipe config in the current folder and print the number of calculations (for bench/scale.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mbpipe.config.load import load_config  # noqa: E402
from mbpipe.pipeline.plan import ensure_plan  # noqa: E402

if __name__ == "__main__":
    print("calculations", ensure_plan(load_config(sys.argv[1])).nfragment_calculations)
