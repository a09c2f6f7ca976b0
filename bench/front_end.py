"""Where parsing and checking a large pipeline goes, stage by stage (a measurement, never a test).

    python bench/front_end.py [--actions 2500] [--runs 7]

In process, CPU time (``time.process_time``) of each stage of ``pipec.compile_text`` on
bench/perf.py's pipeline of ``--actions`` actions, best of ``--runs`` calls, with the collector
paused as compile_text pauses it: lexing and LALR parsing into lark's tree, the tree into
pipec.ast, the whole of pipec.parser.parse, template expansion, pipec.semantic.analyze (its own
CPU: ``bash -n`` runs in a child, shown apart), and two of analyze's parts, the secret scan and
the import placeholders. To compare with another checkout, run this file with that checkout's
package first on the path (``PYTHONPATH=SITE``, a copy made as perf.py's ``make_site`` makes it);
the first line says which package was measured.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import generate_pipe  # noqa: E402


def best(fn, runs: int) -> tuple[float, float]:
    """(least CPU seconds of ``runs`` calls, the children's CPU seconds of that call)."""
    from pipec.gc_pause import paused

    least, children = float("inf"), 0.0
    for _ in range(runs):
        gc.collect()
        with paused():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.process_time()
            fn()
            spent = time.process_time() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if spent < least:
            least = spent
            children = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return least, children


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actions", type=int, default=2500)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)

    import pipec
    from pipec import placeholders, secretscan, semantic
    from pipec.parser import _parser, parse
    from pipec.templates import expand
    from pipec.transformer import shared

    text = generate_pipe(args.actions)
    lark, post = _parser()

    def lark_parse():
        post.reset()
        return lark.parse(text)

    tree = lark_parse()
    module = expand(parse(text, "bench.pipe"), False, True)
    rows = {
        "lexing and LALR parsing into lark's tree (Lark.parse)": best(lark_parse, args.runs),
        "the tree into pipec.ast (ToAst.transform)": best(lambda: shared().transform(tree), args.runs),
        "pipec.parser.parse": best(lambda: parse(text, "bench.pipe"), args.runs),
        "template expansion (pipec.templates.expand)": best(lambda: expand(module, False, True), args.runs),
        "pipec.semantic.analyze": best(lambda: semantic.analyze(module), args.runs),
        "  of which secretscan.check": best(lambda: secretscan.check(module), args.runs),
        "  of which placeholders.check": best(lambda: placeholders.check(text, "bench.pipe"), args.runs),
    }
    print(f"{pipec.__file__}: {args.actions} actions, {len(text):,} characters; CPU ms, best of {args.runs}")
    for label, (own, children) in rows.items():
        extra = f"  (+{children * 1e3:.1f} ms in child processes)" if children else ""
        print(f"{label:56s} {own * 1e3:8.1f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
