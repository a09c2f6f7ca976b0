"""Time and peak memory of the largest inputs pipec accepts (a measurement, never a test).

    python bench/limits.py [--json OUT]

pipec reads at most ``pipec.files.MAX_INPUT_BYTES`` (2 MiB) of any input (E002 above it). This
script writes inputs of just under that size in four shapes and runs ``pipec check`` and
``pipec build --target all`` on each, every run in a fresh child process that reports its own
peak resident set size with ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` when it ends:

- ``2500-actions``: bench/perf.py's generated pipeline of 2,500 actions (about 480 kB), the size
  the limit is measured against;
- ``actions``: the same generator grown to the limit (about 11,000 actions; the build stops with
  E412, CloudFormation's 500-resource quota, after generating the templates);
- ``stages``: one small build per stage, as many stages as fit (about 33,000);
- ``command``: one build whose command is a single string of 2 MiB full of escapes (the input
  that took 117 s and 14.2 GB before the lexer was made linear);
- ``script``: one build whose script block is 2 MiB of short lines.

Each row: bytes, exit status of check and build, wall seconds and peak RSS (MiB) of each.
docs/language.md ("Size limit") quotes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import perf  # noqa: E402  (bench/perf.py: the generator of large pipelines)

CHILD = """
import resource, sys
from pipec.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, status, file=sys.__stdout__)
"""


def _stages(n: int) -> str:
    out = ["pipeline many-stages {", '  source app github "o/r" {', "    branch main", "  }"]
    for i in range(n):
        out.append(f'  stage s{i} {{\n    build b{i} {{\n      build "make"\n    }}\n  }}')
    return "\n".join(out + ["}"]) + "\n"


def _one_build(body: str) -> str:
    return ("pipeline long-command {\n  source app github \"o/r\" {\n    branch main\n  }\n  stage s {\n"
            f"    build b {{\n      {body}\n    }}\n  }}\n}}\n")


def _command(n: int) -> str:
    return _one_build('build "' + 'a\\"b' * n + '"')


def _script(n: int) -> str:
    return _one_build('build """\n' + 'echo "step"\n' * n + '      """')


def _largest(make, limit: int) -> str:
    """``make(n)`` for the largest n whose text is at most ``limit`` bytes."""
    lo, hi = 1, 2
    while len(make(hi).encode()) <= limit:
        lo, hi = hi, hi * 2
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if len(make(mid).encode()) <= limit:
            lo = mid
        else:
            hi = mid
    return make(lo)


def run_child(argv: list[str], cwd: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of ``pipec ARGV`` in a fresh interpreter."""
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD, *argv], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    rss_kib, status = p.stdout.strip().splitlines()[-1].split()
    return wall, int(rss_kib) / 1024, int(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = ap.parse_args()
    from pipec.files import MAX_INPUT_BYTES

    limit = MAX_INPUT_BYTES
    shapes = {
        "2500-actions": perf.generate_pipe(2500),
        "actions": _largest(perf.generate_pipe, limit),
        "stages": _largest(_stages, limit),
        "command": _largest(_command, limit),
        "script": _largest(_script, limit),
    }
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"limit {limit:,} bytes")
    print(f"{'shape':14} {'bytes':>10} {'check':>6} {'s':>6} {'MiB':>7} {'build':>6} {'s':>6} {'MiB':>7}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pipec-limits-") as tmp:
        for name, text in shapes.items():
            src = Path(tmp) / f"{name}.pipe"
            src.write_text(text, encoding="utf-8")
            c_wall, c_rss, c_status = run_child(["check", str(src)], tmp)
            b_wall, b_rss, b_status = run_child(["build", "--target", "all", "-o", str(Path(tmp) / f"out-{name}"),
                                                 str(src)], tmp)
            row = {"shape": name, "bytes": len(text.encode()), "check_exit": c_status, "check_s": round(c_wall, 2),
                   "check_rss_mib": round(c_rss, 1), "build_exit": b_status, "build_s": round(b_wall, 2),
                   "build_rss_mib": round(b_rss, 1)}
            rows.append(row)
            print(f"{name:14} {row['bytes']:>10,} {c_status:>6} {c_wall:>6.2f} {c_rss:>7.1f} {b_status:>6} "
                  f"{b_wall:>6.2f} {b_rss:>7.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
