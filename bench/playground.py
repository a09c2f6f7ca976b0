"""The playground's edit-to-outputs latency, server side (a measurement, never a test).

    python bench/playground.py [--edits 31] [--file examples/02-reference.pipe] [--json OUT]

Starts ``pipec playground``'s server in this process (pipec.playground_server, its worker
processes as in use) on a free loopback port and, after two warm-up edits, sends ``--edits``
edits of the file to ``POST /api/compile``: each edit changes one character of a comment (so no
result can be reused) and the answer holds what the page shows after an edit, the diagnostics,
every generated file of both targets, the narration and the Mermaid graph.

- **wall**: from sending the request to having read the whole answer (HTTP on the loopback,
  JSON both ways, the worker's compilation), as the page waits for it after its 80 ms debounce;
- **cpu**: the worker's own CPU time (user + system, from /proc/PID/stat, in clock ticks of
  10 ms, so the mean over the edits is shown: the total divided by their number), which waiting
  for a core does not inflate on a shared machine;
- **compile only**: :func:`pipec.playground.compile_all` called in this process, wall and CPU
  (``time.process_time``), without HTTP or JSON.

Medians, with min and max. The goal (issue 16) is a median wall of at most 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu(pid: int) -> float:
    """User + system seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _edits(text: str, n: int):
    """``n`` versions of ``text``, each with a different last comment line."""
    for i in range(n):
        yield text + f"# edit {i:04d}\n"


def _summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values) * 1000, 1), "min_ms": round(min(values) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1), "n": len(values)}


def measure(path: Path, edits: int) -> dict:
    from pipec import playground
    from pipec.playground_server import PlaygroundServer, Workers

    text = path.read_text(encoding="utf-8")
    server = PlaygroundServer("127.0.0.1", 0, workers=Workers(count=1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = server.workers.all[0].process.pid
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    walls, sizes = [], []
    cpu_total = 0.0
    try:
        for i, version in enumerate(_edits(text, edits + 2)):
            body = json.dumps({"source": version, "name": path.name})
            before_cpu = _cpu(worker)
            t0 = time.perf_counter()
            conn.request("POST", "/api/compile", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            wall = time.perf_counter() - t0
            cpu = _cpu(worker) - before_cpu
            answer = json.loads(data)
            assert r.status == 200 and answer["files"], answer
            if i >= 2:
                walls.append(wall)
                cpu_total += cpu
                sizes.append(len(data))
    finally:
        conn.close()
        server.shutdown()
        server.server_close()
    local_wall, local_cpu = [], []
    for i, version in enumerate(_edits(text, edits + 2)):
        c0, t0 = time.process_time(), time.perf_counter()
        playground.compile_all({"source": version, "name": path.name})
        if i >= 2:
            local_wall.append(time.perf_counter() - t0)
            local_cpu.append(time.process_time() - c0)
    return {"file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            "answer_bytes": int(statistics.median(sizes)),
            "server_wall": _summary(walls), "worker_cpu_mean_ms": round(cpu_total / len(walls) * 1000, 1),
            "compile_wall": _summary(local_wall), "compile_cpu": _summary(local_cpu)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=31)
    parser.add_argument("--file", type=Path, default=ROOT / "examples" / "02-reference.pipe")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} core(s), Python {platform.python_version()}, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    result = measure(args.file.resolve(), args.edits)
    print(f"{result['file']}: {args.edits} edits, answers of {result['answer_bytes']:,} bytes")
    print("| what | median | min | max | goal |")
    print("|---|---|---|---|---|")
    for key, label, goal in (("server_wall", "edit to outputs, wall (HTTP + worker)", "<= 100 ms"),
                             ("compile_wall", "compile_all in process, wall", ""),
                             ("compile_cpu", "compile_all in process, CPU", "")):
        s = result[key]
        print(f"| {label} | {s['median_ms']} ms | {s['min_ms']} ms | {s['max_ms']} ms | {goal} |")
    print(f"| the worker's CPU for one edit (mean) | {result['worker_cpu_mean_ms']} ms | | | |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
