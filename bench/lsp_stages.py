"""Where a language-server re-check of a large pipeline goes, stage by stage (a measurement, never a test).

    python bench/lsp_stages.py [--edits 7] [--actions 2500]

In process, the calls the server makes for one ``didChange`` (pipec.lsp_check.check and
PipeServer.publish, taken apart): the parse (the document's pipec.reparse.Reparser; a whole
parse in a checkout without it), template expansion, the checker, each target's diagnostics, the
ignore comments and the conversion to LSP diagnostics. The document is bench/perf.py's pipeline
of ``--actions`` actions, and each edit changes one character of its first command,
each edit a letter no earlier edit wrote there (so no verdict kept from an earlier edit serves the
changed command), or with ``--typing`` types a character there and deletes it again; medians over ``--edits`` edits, in ms of wall and of this process's CPU time. To compare with another checkout, run this file
with that checkout's package first on the path.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import string
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lsprotocol import types as T  # noqa: E402
from perf import generate_pipe  # noqa: E402
from pygls.workspace import Workspace  # noqa: E402

import pipec  # noqa: E402
from pipec import lsp_check, secretscan, shell_state  # noqa: E402
from pipec.cli import _apply_ignores, _target_diagnostics  # noqa: E402
from pipec.gc_pause import paused  # noqa: E402
from pipec.lsp_server import make_server  # noqa: E402
from pipec.semantic import analyze  # noqa: E402
from pipec.templates import expand  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edits", type=int, default=7)
    ap.add_argument("--actions", type=int, default=2500)
    ap.add_argument("--typing", action="store_true",
                    help="each edit types a character into the first command or deletes it again, which "
                         "moves every later block (bench/lsp.py's '2,500 actions, typing')")
    args = ap.parse_args(argv)
    if (Path(pipec.__file__).parent / "reparse.py").exists():
        from pipec.reparse import Reparser

        parser = Reparser().parse
    else:  # an older checkout: the whole text each time
        from pipec.parser import parse as parser
    big = generate_pipe(args.actions)
    path = str(HERE / f"scale-{args.actions}.pipe")  # never written: the name the diagnostics carry
    uri = Path(path).as_uri()
    i = big.index('"npm run build') + 1
    # a new text each edit (no command text comes back, so no cached verdict serves it)
    letters = string.ascii_letters.replace("n", "") * (args.edits // 51 + 1)
    texts = [big[:i] + c + big[i + 1:] for c in letters[:args.edits]]
    if args.typing:
        texts = [big[:i] + "x" + big[i:] if n % 2 == 0 else big for n in range(args.edits)]
    parser(big, path)
    opts, _ = lsp_check._options(path)
    names = list(opts.targets)
    server = make_server()  # its workspace as initialize makes it, without a client
    server.protocol._workspace = Workspace(None, T.TextDocumentSyncKind.Incremental, [], T.PositionEncodingKind.Utf16)
    times: dict[str, list[float]] = {}

    cpu: dict[str, list[float]] = {}

    def timed(stage, fn):
        start, used = time.perf_counter(), time.process_time()
        out = fn()
        times.setdefault(stage, []).append((time.perf_counter() - start) * 1000)
        cpu.setdefault(stage, []).append((time.process_time() - used) * 1000)
        return out

    # what the server keeps across checks (bash -n's verdicts, W503 by statement), when it does
    verdicts = shell_state.Verdicts() if hasattr(shell_state, "Verdicts") else None
    kept = None
    if hasattr(secretscan, "Kept"):
        origin = getattr(getattr(parser, "__self__", None), "origin", None)  # the Reparser's, when it has one
        kept = secretscan.Kept(origin) if origin is not None else secretscan.Kept()
    keeping = getattr(lsp_check, "keeping", lambda v, k: contextlib.nullcontext())
    for n in range(args.edits):
        text = texts[n]
        start, used = time.perf_counter(), time.process_time()
        with paused(), keeping(verdicts, kept):  # as pipec.compile_text; lsp_check.check
            module = timed("parse", lambda: parser(text, path))
            expanded = timed("templates (expand)", lambda: expand(module, False, True))
            pipeline, warnings = timed("analysis (checker, secretscan, bash -n)", lambda: analyze(expanded))
        found = []
        for name in names:
            found += timed(f"target {name}", lambda: _target_diagnostics(pipeline, path, [name]))
        diags = timed("ignore comments", lambda: _apply_ignores([*warnings, *found], text, path, opts.selection, names))
        server.workspace.put_text_document(T.TextDocumentItem(uri, "pipe", n, text))
        doc = server.doc(uri)
        timed("diagnostics to LSP", lambda: [server.diagnostic(uri, d, doc.lines) for d in diags])
        times.setdefault("total", []).append((time.perf_counter() - start) * 1000)
        cpu.setdefault("total", []).append((time.process_time() - used) * 1000)
    print(f"{args.actions} actions, {args.edits} edits, load average {os.getloadavg()[0]:.2f}; median ms per stage "
          "(wall; CPU of this process, without the bash child):")
    for stage, ts in times.items():
        print(f"  {stage:42} {statistics.median(ts):8.1f} {statistics.median(cpu[stage]):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
