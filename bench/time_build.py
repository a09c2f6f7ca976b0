"""Whole-process time of ``pipec build`` on the reference pipeline (median of N runs).

    .venv/bin/python bench/time_build.py [N]

Each run is a fresh ``python -m pipec build examples/02-reference.pipe -o DIR --source-root DIR``
process; "cold" runs write into an empty directory, "warm" runs into an up-to-date one (nothing
written). ``pipec check`` and ``python -c pass`` are timed the same way for comparison.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "02-reference.pipe"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 11
    py = sys.executable
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        cold = []
        for i in range(n):
            out = Path(tmp) / f"cold{i}"
            out.mkdir()
            cold.append(timed([py, "-m", "pipec", "build", str(REFERENCE), "-o", str(out), "--source-root", str(out)]))
        rows["pipec build (empty output dir)"] = cold
        warm_dir = Path(tmp) / "cold0"
        rows["pipec build (up to date)"] = [
            timed([py, "-m", "pipec", "build", str(REFERENCE), "-o", str(warm_dir), "--source-root", str(warm_dir)])
            for _ in range(n)]
        rows["pipec build --check (up to date)"] = [
            timed([py, "-m", "pipec", "build", str(REFERENCE), "-o", str(warm_dir), "--source-root", str(warm_dir),
                   "--check"]) for _ in range(n)]
        rows["pipec check"] = [timed([py, "-m", "pipec", "check", str(REFERENCE)]) for _ in range(n)]
        rows["python -c pass"] = [timed([py, "-c", "pass"]) for _ in range(n)]
    print(f"{n} runs each, seconds of wall time per process")
    print("| command | median | min | max |\n|---|---:|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
