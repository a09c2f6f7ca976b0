"""The language server's latency and memory (a measurement, never a test: nothing here asserts a time).

    python bench/lsp.py [--edits 21] [--memory-edits 1000] [--no-large] [--json OUT]

Starts ``pipec lsp`` (this checkout's code, ``python -m pipec lsp``) with ``debounce`` 0, so that
every change is checked at once, and drives it with pygls's LanguageClient over stdio, as an
editor does:

1. **re-check after one edit**: one incremental change (a one-character edit that keeps the
   document valid: ``compute medium`` <-> ``compute large``, or a character of a command in the
   generated pipeline, a new letter each time; and on that pipeline, a character typed into that command and deleted
   again, which moves every later block: "2,500 actions, typing") and the time until the
   server publishes the document's diagnostics; the
   median, min and max over ``--edits`` edits after two warm-up edits, and the server's own CPU
   time per edit (user + system from /proc/PID/stat over those edits, divided by their number: the
   clock ticks are usually 10 ms; on a shared machine it says what the check costs when the wall
   time does not). On
   examples/02-reference.pipe and on a pipeline of 2,500 actions made by bench/perf.py's
   ``generate_pipe``. The time is the editor's: the check itself (the parse of the blocks that
   changed, pipec.reparse; the checker, the targets' diagnose modules, ignore comments) plus
   JSON-RPC on both sides;
2. **memory**: the server's resident set (VmRSS of /proc/PID/status) after the document is opened,
   after 500 and after ``--memory-edits`` edits of examples/02.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import string
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from lsprotocol import types as T  # noqa: E402
from perf import generate_pipe  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Bench:
    def __init__(self):
        self.client = LanguageClient("pipec-bench", "1")
        self.count: dict[str, int] = {}
        self.pid = 0
        self.cpu: list[float] = []  # the server's CPU time per edit (clock ticks, usually 10 ms)

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diags(params):
            self.count[params.uri] = self.count.get(params.uri, 0) + 1

    async def start(self):
        await self.client.start_io(sys.executable, "-m", "pipec", "lsp", cwd=str(ROOT))
        await self.client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities(), initialization_options={"debounce": 0}))
        self.client.initialized(T.InitializedParams())
        self.pid = self.client._server.pid
        return self.pid

    async def stop(self):
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def published(self, uri: str, n: int):
        while self.count.get(uri, 0) < n:
            await asyncio.sleep(0.0005)

    async def open(self, uri: str, text: str):
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri, "pipe", 1, text)))
        await self.published(uri, 1)

    async def edit(self, uri: str, version: int, line: int, col: int, old: str, new: str) -> float:
        n = self.count.get(uri, 0)
        cpu = cpu_seconds(self.pid) if self.pid else 0.0
        start = time.perf_counter()
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [T.TextDocumentContentChangePartial(
                range=T.Range(T.Position(line=line, character=col), T.Position(line=line, character=col + len(old))),
                text=new)]))
        await self.published(uri, n + 1)
        wall = time.perf_counter() - start
        if self.pid:
            self.cpu.append(cpu_seconds(self.pid) - cpu)
        return wall


def toggles(text: str, needle: str, a: str, b: str | None):
    """(line, column, old, new) edits that swap ``a`` and ``b`` after ``needle``'s first line; with
    ``b`` None, that replace ``a`` with a letter each time, none twice in a row of 51 (so that no
    command text comes back, and the server's kept bash -n verdicts cannot serve it)."""
    lines = text.split("\n")
    line = next(i for i, s in enumerate(lines) if needle in s)
    col = lines[line].index(needle) + len(needle)
    state = a
    letters = itertools.cycle(c for c in string.ascii_letters if c != a)
    while True:
        other = next(letters) if b is None else b if state == a else a
        yield line, col, state, other
        state = other


async def latency(bench: Bench, uri: str, text: str, needle: str, a: str, b: str, edits: int) -> dict:
    await bench.open(uri, text)
    gen = toggles(text, needle, a, b)
    times = []
    for i in range(edits + 2):
        line, col, old, new = next(gen)
        t = await bench.edit(uri, i + 2, line, col, old, new)
        if i >= 2:
            times.append(t)
    cpu = bench.cpu[-edits:]
    return {"median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000,
            "max_ms": max(times) * 1000, "edits": edits, "cpu_mean_ms": sum(cpu) / len(cpu) * 1000}


async def main_async(args) -> dict:
    out: dict = {}
    ref = (ROOT / "examples" / "02-reference.pipe").read_text(encoding="utf-8")
    bench = Bench()
    pid = await bench.start()
    try:
        out["02"] = await latency(bench, "file:///bench/02-reference.pipe", ref, "compute ", "medium", "large", args.edits)
        if not args.no_large:
            big = generate_pipe(2500)
            # a digit of the first command: the pipeline stays valid, every check does the whole work
            first = next(s for s in big.split("\n") if '"' in s and "build" in s)
            needle = first[:first.index('"') + 1]
            out["2500"] = await latency(bench, "file:///bench/scale-2500.pipe", big, needle,
                                        first[len(needle)], None, max(5, args.edits // 4))
            out["2500"]["lines"] = big.count("\n") + 1
            # typing: one character in, then out again; every block after it moves
            uri = "file:///bench/scale-2500-typing.pipe"
            out["2500-typing"] = await latency(bench, uri, big, needle, "", "x", max(5, args.edits // 4))
        # memory over many edits of one document
        uri = "file:///bench/memory.pipe"
        await bench.open(uri, ref)
        mem = {"opened": rss_mib(pid)}
        gen = toggles(ref, "compute ", "medium", "large")
        for i in range(args.memory_edits):
            line, col, old, new = next(gen)
            await bench.edit(uri, i + 2, line, col, old, new)
            if i + 1 == args.memory_edits // 2:
                mem[f"after_{i + 1}"] = rss_mib(pid)
        mem[f"after_{args.memory_edits}"] = rss_mib(pid)
        out["memory_mib"] = mem
    finally:
        await bench.stop()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edits", type=int, default=21)
    ap.add_argument("--memory-edits", type=int, default=1000)
    ap.add_argument("--no-large", action="store_true", help="skip the 2,500-action pipeline")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    out = asyncio.run(main_async(args))
    out["machine"] = {"cpus": os.cpu_count(), "load_before": load, "load_after": os.getloadavg(),
                      "python": platform.python_version()}
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
          f"{load[0]:.2f} before, {out['machine']['load_after'][0]:.2f} after")
    print("pipec lsp: re-check after one edit (didChange -> publishDiagnostics, debounce 0)")
    print(f"{'document':<28} {'median':>10} {'min':>10} {'max':>10} {'edits':>6} {'server CPU/edit':>16}")
    for key, label in (("02", "examples/02-reference.pipe"), ("2500", "2,500 actions"),
                       ("2500-typing", "2,500 actions, typing")):
        if key in out:
            r = out[key]
            print(f"{label:<28} {r['median_ms']:>8.1f}ms {r['min_ms']:>8.1f}ms {r['max_ms']:>8.1f}ms {r['edits']:>6} "
                  f"{r['cpu_mean_ms']:>14.1f}ms")
    print("server memory (VmRSS): " + ", ".join(f"{k.replace('_', ' ')} {v:.1f} MiB" for k, v in out["memory_mib"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
