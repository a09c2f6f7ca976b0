"""``pipec build``: generate every target's files for the given .pipe files and write them as one
transaction (:mod:`pipec.build`), or with ``--check`` compare them with what is on disk.
Called by :mod:`pipec.cli`, which owns the parser and the exit codes."""

from __future__ import annotations

import os
import sys

from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, _emit, _options, _read, _read_or_report


def cmd_build(args) -> int:
    from pipec import compile_text
    from pipec.build import (MANIFEST, BuildError, compare, context_for, generate_by_target, plan, recover,
                             source_key, write)
    from pipec.diagnostics import Diagnostics
    from pipec.ignores import FileFilter, unchecked_codes

    if args.diff:  # --diff shows what --check finds: it writes nothing either
        args.check = True
    by_source: dict[str, tuple[str, dict[str, dict[str, str]]]] = {}
    everything: dict[str, str] = {}
    status = EXIT_OK
    by_path = {}
    for path in args.files:  # every file's options first: one build writes one output folder
        opts = by_path[path] = _options(args, path)
        if opts is None:
            return EXIT_USAGE
        if opts.output is None:
            print("pipec: error: build needs an output folder: give -o DIR, or 'output' in [tool.pipec] "
                  "of pyproject.toml or in pipec.toml", file=sys.stderr)
            return EXIT_USAGE
        first = by_path[args.files[0]]
        if (opts.output, opts.source_root, opts.targets) != (first.output, first.source_root, first.targets):
            print(f"pipec: error: {path} has another output folder, source root or targets than {args.files[0]} "
                  "(their configuration files differ); build them separately", file=sys.stderr)
            return EXIT_USAGE
    for path in args.files:
        opts = by_path[path]
        names, output = list(opts.targets), opts.output
        text = _read_or_report(path)
        if text is None:
            status = EXIT_INPUT
            continue
        ignores = FileFilter(text, path, opts.selection)
        try:
            pipeline, warnings = compile_text(text, path)
        except Diagnostics as exc:
            _emit(ignores.keep(exc.diagnostics), {path: text}, "text", [])
            status = EXIT_INPUT
            continue
        warnings = ignores.keep(warnings)
        _emit(warnings, {path: text}, "text", [])
        if opts.strict and warnings:
            status = EXIT_INPUT
            continue
        try:
            ctx = context_for(path, output, opts.source_root)
            by_target = generate_by_target(pipeline, ctx, names)
            files = {rel: text for made in by_target.values() for rel, text in made.items()}
        except BuildError as exc:
            print(f"pipec: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except Diagnostics as exc:
            _emit(exc.diagnostics, {path: text, **_other_sources(exc.diagnostics, path)}, "text", [])
            status = EXIT_INPUT
            continue
        late = [*ignores.keep(ctx.warnings), *ignores.unused(unchecked_codes(names))]
        _emit(late, {path: text}, "text", [])
        if opts.strict and late:
            status = EXIT_INPUT
            continue
        for rel in files:
            # a file every pipeline writes alike (.github/pipec/phases.sh) is written once
            if rel in everything and everything[rel] != files[rel]:
                print(f"pipec: error: two pipelines write {rel}; give them different names", file=sys.stderr)
                return EXIT_USAGE
        everything.update(files)
        key = source_key(path, output)
        if key in by_source:
            print(f"pipec: error: {path} is given twice", file=sys.stderr)
            return EXIT_USAGE
        by_source[key] = (ctx.source, by_target)
    if status != EXIT_OK:
        print("pipec: nothing written (fix the errors above first)", file=sys.stderr)
        return status
    out = by_path[args.files[0]].output
    try:
        if not args.check:  # --check writes nothing, not even a recovery
            recover(out, everything)
        todo = plan(out, by_source)
    except BuildError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def report_kept():
        for rel in todo.edited:
            print(f"kept     {os.path.join(out, rel)} (no longer generated, but edited since pipec wrote it: "
                  "delete it yourself if it is not needed)")
        for rel in todo.unrecorded:
            print(f"kept     {os.path.join(out, rel)} (no longer generated; its header names this source but "
                  f"{MANIFEST} does not list it: delete it yourself if it is not needed)")

    if args.check:
        missing, different = compare(out, todo.files)
        for rel in missing:
            print(f"missing  {os.path.join(out, rel)}")
        from pipec.targets import explain_difference

        for rel in different:
            print(f"differs  {os.path.join(out, rel)}")
            try:
                on_disk = open(os.path.join(out, rel), encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            for line in explain_difference(rel, todo.files[rel], on_disk):
                print(line)
        for rel in todo.stale:
            print(f"stale    {os.path.join(out, rel)}")
        report_kept()
        if args.diff:
            from pipec.cli_diff import build_diff

            sys.stdout.write(build_diff(out, todo.files, missing, different, todo.stale))
        if missing or different or todo.stale:
            print(f"pipec: {len(missing) + len(different) + len(todo.stale)} file(s) out of date; run pipec build",
                  file=sys.stderr)
            return EXIT_INPUT
        print(f"{len(everything)} file(s) up to date in {out}")
        return EXIT_OK
    try:
        written, removed = write(out, todo.files, todo.stale)
    except BuildError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for rel in removed:
        print(f"removed  {os.path.join(out, rel)} (no longer generated)")
    report_kept()
    n_written = len([rel for rel in written if rel != MANIFEST])
    print(f"wrote {n_written} file(s), {len(everything) - n_written} unchanged, removed {len(removed)} "
          f"stale, in {out}")
    return EXIT_OK


def _other_sources(diags, path: str) -> dict[str, str]:
    """The text of each file other than ``path`` that a diagnostic points into (a target's own
    settings file, such as pipec.lock), for the caret."""
    out = {}
    for d in diags:
        if d.file and d.file != path and d.file not in out:
            text, _problem = _read(d.file)
            if text is not None:
                out[d.file] = text
    return out
