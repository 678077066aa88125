"""QCManyBody's sequential ManyBodyComputer on an mbpipe config, as one fresh process: the baseline
the benchmarks time.  Usage: python bench/sequential.py CONFIG RESULT_JSON [NCORES MEMORY_MB]"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mbpipe.base.jsonio import write_model_atomic  # noqa: E402
from mbpipe.config.load import load_config  # noqa: E402
from mbpipe.config.manybody_input import manybody_input  # noqa: E402
from mbpipe.pipeline.verify import sequential_result  # noqa: E402

if __name__ == "__main__":
    config, result = Path(sys.argv[1]), Path(sys.argv[2])
    ncores, memory_mb = (int(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (1, 2000.0)
    write_model_atomic(result, sequential_result(manybody_input(load_config(config)), ncores, memory_mb))
