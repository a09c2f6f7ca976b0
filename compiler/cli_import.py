"""``pipec import``: one pipeline from the given files, or ``--audit DIR`` over a tree
(:mod:`pipec.importer`). Called by :mod:`pipec.cli`, which owns the parser and the exit codes."""

from __future__ import annotations

import os
import sys

from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, _emit, _read


def cmd_import(args) -> int:
    import json

    from pipec import importer
    from pipec.diagnostics import ERROR
    from pipec.files import write_file

    if args.audit:
        if args.files:
            print("pipec: error: give either FILE... or --audit DIR, not both", file=sys.stderr)
            return EXIT_USAGE
        if not os.path.isdir(args.audit):
            print(f"pipec: error: --audit needs a folder; {args.audit} is not one", file=sys.stderr)
            return EXIT_USAGE
        from pipec import progress

        # a bar on a terminal only, never with a machine-readable format (pipec.progress)
        bar = progress.Bar() if args.format == "text" and progress.wanted() else None
        result = importer.audit(args.audit, repository=args.repository, progress=bar)
        markdown = importer.audit_markdown(result)
        data = json.dumps(result.to_dict(), indent=2, sort_keys=False) + "\n"
        if args.output:
            _checked_folder(args.output)
            pipes = {}
            base = os.path.abspath(args.audit)
            for r in result.results:
                if r.source is not None:
                    rel = os.path.relpath(os.path.abspath(r.files[0]), base)
                    pipes[os.path.join("pipelines", rel + ".pipe")] = r.source
            for rel, text in {"audit_summary.md": markdown, "audit_summary.json": data, **pipes}.items():
                path = os.path.join(args.output, rel)
                _checked_folder(os.path.dirname(path))
                write_file(path, text)
            counts = result.to_dict()["statuses"]
            print(f"audited {len(result.results)} pipeline file(s) in {args.audit}: "
                  + ", ".join(f"{n} {s}" for s, n in counts.items())
                  + f"; wrote {os.path.join(args.output, 'audit_summary.md')}, audit_summary.json and "
                  f"{len(pipes)} .pipe file(s) under {os.path.join(args.output, 'pipelines')}")
        elif args.format == "json":
            sys.stdout.write(data)
        elif args.format == "sarif":
            from pipec.report_formats import sarif_text

            sys.stdout.write(sarif_text(d for r in result.results for d in r.diagnostics))
        else:
            sys.stdout.write(markdown)
        return EXIT_INPUT if result.crashed else EXIT_OK

    if not args.files:
        print("pipec: error: give the files to import (or --audit DIR)", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "sarif":
        print("pipec: error: --format sarif goes with --audit DIR (for one import, use --format json)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        result = importer.import_files(args.files, repository=args.repository)
    except importer.MergeError as exc:
        _emit([exc.diagnostic], {}, "text", [])
        print("pipec: nothing written", file=sys.stderr)
        return EXIT_INPUT
    sources = {}
    for f in result.files:
        text, _problem = _read(f)  # '-' is read once: this is the text the importer saw
        if text is not None:
            sources[f] = text
    if args.format == "json":
        payload = result.to_dict()
        payload["source"] = result.source
        print(json.dumps(payload, indent=2))
    else:
        _emit(result.diagnostics, sources, "text", [])
    failed = result.status in (importer.FAILED, importer.UNSUPPORTED) or any(
        d.severity == ERROR for d in result.diagnostics)
    if args.report:
        text = (json.dumps(result.to_dict(), indent=2) + "\n" if args.report.endswith(".json")
                else importer.report_markdown(result))
        write_file(args.report, text)
    if failed:
        print(f"pipec: {result.files[0]}: {result.status}; nothing written", file=sys.stderr)
        return EXIT_INPUT
    if args.format == "json":
        pass
    elif args.output:
        write_file(args.output, result.source)
    else:
        sys.stdout.write(result.source)
    n = len(result.unconverted)
    print(f"pipec: imported {', '.join(result.files)} ({result.kind}): {result.status}"
          + (f", {n} construct(s) not converted" if n else "")
          + (f", {len(result.tasks)} manual task(s)" if result.tasks else "")
          + (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
    return EXIT_OK


def _checked_folder(path: str):
    """``os.makedirs(path, exist_ok=True)``, with one-line errors (:class:`CannotWrite`)."""
    from pipec.files import CannotWrite

    if os.path.exists(path) and not os.path.isdir(path):
        raise CannotWrite(f"cannot create the folder {path}: a file has that name")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CannotWrite(f"cannot create the folder {path}: {exc.strerror or exc}") from None
