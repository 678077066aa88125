"""How many fragment files one damaged result costs: after a finished MOPAC PM7 water-n run (3-body
nocp), one result of each level in turn is cut short, deleted, given a wrong energy or a wrong input
hash; `mbpipe run` then runs until it succeeds (at most three times).  For each fault: the runs it
took, the fragment files those runs rewrote (bytes or modification time changed; the damaged one
included), and whether the damaged result holds its first energy again.

    .venv/bin/python bench/faults.py --waters 10 --cores 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import machine, mbpipe_run_command, run_name, timed, water_run

FAULTS = ("truncate", "delete", "wrong energy", "wrong input hash")


def snapshot(results: Path) -> dict[Path, tuple[int, bytes]]:
    return {
        path: (path.stat().st_mtime_ns, path.read_bytes())
        for path in results.glob("fragments/n*/*.json")
        if not path.name.endswith(".error.json")
    }


def damage(path: Path, fault: str) -> None:
    if fault == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif fault == "delete":
        path.unlink()
    else:
        result = json.loads(path.read_text())
        if fault == "wrong energy":
            result["return_result"] += 1e-3
            result["properties"]["return_energy"] += 1e-3
        else:
            result["extras"]["mbpipe"]["input_sha256"] = "0" * 64
        path.write_text(json.dumps(result))


def energy(path: Path) -> float | None:
    try:
        return json.loads(path.read_text())["properties"]["return_energy"]
    except (OSError, ValueError, KeyError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waters", type=int, default=10)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--levels", type=int, nargs="*", default=[1, 2, 3])
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = water_run(folder, args.waters, program="mopac", method="pm7", basis=None)
        results = folder / "results" / run_name(config)
        first = timed(mbpipe_run_command(config, args.cores), cwd=folder)
        assert first.returncode == 0, first.output[-3000:]
        print(f"water-{args.waters} 3-body nocp PM7: {len(snapshot(results))} fragment results, {first.wall_s:.0f} s")
        print("level  fault              runs  rewritten  restored")
        for level in args.levels:
            for fault in FAULTS:
                before = snapshot(results)
                damaged = sorted(p for p in before if p.parent.name == f"n{level}")[0]
                damage(damaged, fault)
                # the runs it took to end in success (None: three were not enough)
                command = mbpipe_run_command(config, args.cores)
                runs = next((n for n in range(1, 4) if timed(command, cwd=folder).returncode == 0), None)
                after = snapshot(results)
                rewritten = sum(after.get(path) != state for path, state in before.items())
                restored = energy(damaged) == json.loads(before[damaged][1])["properties"]["return_energy"]
                print(f"{level:>5}  {fault:<17}  {runs!s:>4}  {rewritten:>9}  {restored}")


if __name__ == "__main__":
    main()
