"""``pipec build``: generate every target's files for the given .pipe files and write them as one
transaction (:mod:`pipec.build`), or with ``--check`` compare them with what is on disk.
Called by :mod:`pipec.cli`, which owns the parser and the exit codes.

``--format json`` prints one JSON object on standard output instead of the text lines (its shape
is :data:`JSON_KEYS`, documented in README.md, "Build summary as JSON"); usage errors (exit 2)
print nothing there, only their reason on standard error.
"""

from __future__ import annotations

import os
import sys

from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, _emit, _options, _read_or_report

#: the keys of ``build --format json``, in order; every key is always present
JSON_KEYS = ("version", "output", "check", "result", "written", "unchanged", "removed", "missing", "differs",
             "stale", "kept", "diagnostics")
#: ``result``: what the build did (or, with --check, found)
RESULTS = ("written", "up to date", "out of date", "failed")


class _Report:
    """What the build says: text lines as it goes (the default), or with ``--format json`` one
    object at the end. ``--quiet`` drops the summary lines, never a diagnostic or a finding."""

    def __init__(self, fmt: str, quiet: bool, check: bool):
        self.json = fmt == "json"
        self.quiet = quiet
        self.data: dict = {key: [] for key in JSON_KEYS}
        self.data.update(version=1, output=None, check=check, result="failed")

    def diagnostics(self, diags, sources) -> None:
        _emit(diags, sources, "json" if self.json else "text", self.data["diagnostics"])

    def files(self, key: str, out: str, rels, text: str | None = None) -> None:
        """Record ``rels`` (relative to ``out``) under ``key``; in text, print ``text`` (a
        format with ``{path}``) for each."""
        for rel in rels:
            path = os.path.join(out, rel)
            self.data[key].append(path)
            if text is not None and not self.json:
                print(text.format(path=path))

    def summary(self, text: str) -> None:
        if not self.json and not self.quiet:
            print(text)

    def line(self, text: str) -> None:
        if not self.json:
            print(text)

    def finish(self, status: int, result: str | None = None) -> int:
        if result is not None:
            self.data["result"] = result
        if self.json:
            import json

            self.data["diagnostics"] = [d.to_dict() for d in self.data["diagnostics"]]
            print(json.dumps(self.data, indent=2))
        return status


def cmd_build(args) -> int:
    """``pipec build``, with Python's cyclic collector paused for all of it (pipec.gc_pause): run
    by stage, the collector walked everything the previous stage left each time it came back on
    (a 21 ms collection between the two targets and 8 ms after the checker, for 2,500 actions)."""
    from pipec.gc_pause import paused

    with paused():
        return _build(args)


def _build(args) -> int:
    from pipec import compile_text
    from pipec.build import BuildError, context_for, generate_by_target, source_key
    from pipec.diagnostics import ERROR, Diagnostics
    from pipec.ignores import FileFilter, unchecked_codes
    from pipec.templates import library_diagnostics

    if args.diff:  # --diff shows what --check finds: it writes nothing either
        args.check = True
    fmt = getattr(args, "format", "text")
    if fmt == "json" and args.diff:
        print("pipec: error: --diff prints a diff, not JSON; give one of --diff and --format json", file=sys.stderr)
        return EXIT_USAGE
    report = _Report(fmt, getattr(args, "quiet", False), bool(args.check))
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
    report.data["output"] = by_path[args.files[0]].output
    for path in args.files:
        opts = by_path[path]
        names, output = list(opts.targets), opts.output
        text = _read_or_report(path, "json" if report.json else "text", report.data["diagnostics"])
        if text is None:
            status = EXIT_INPUT
            continue
        ignores = FileFilter(text, path, opts.selection)
        try:
            pipeline, warnings = compile_text(text, path, getattr(args, "allow_outside_uses", False))
        except Diagnostics as exc:
            library = library_diagnostics(exc.diagnostics)  # a file of templates: nothing to write
            report.diagnostics(ignores.keep(exc.diagnostics if library is None else library), {path: text})
            kept = ignores.keep(library) if library is not None else None
            if library is None or any(d.severity == ERROR for d in kept) or (opts.strict and kept):
                status = EXIT_INPUT
            continue
        warnings = ignores.keep(warnings)
        report.diagnostics(warnings, {path: text})
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
            report.diagnostics(exc.diagnostics, {path: text})
            status = EXIT_INPUT
            continue
        late = [*ignores.keep(ctx.warnings), *ignores.unused(unchecked_codes(names))]
        report.diagnostics(late, {path: text})
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
        return report.finish(status, "failed")
    return _write_or_compare(args, report, by_path[args.files[0]].output, by_source, everything)


def _write_or_compare(args, report: _Report, out: str, by_source, everything: dict[str, str]) -> int:
    """The second half of a build: every input compiled; write the files, or compare them."""
    from pipec.build import MANIFEST, BuildError, compare, plan, recover, write

    try:
        if not args.check:  # --check writes nothing, not even a recovery
            recover(out, everything)
        todo = plan(out, by_source)
    except BuildError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def report_kept():
        for rel in todo.edited:
            report.data["kept"].append({"path": os.path.join(out, rel), "reason": "edited"})
            report.line(f"kept     {os.path.join(out, rel)} (no longer generated, but edited since pipec wrote it: "
                        "delete it yourself if it is not needed)")
        for rel in todo.unrecorded:
            report.data["kept"].append({"path": os.path.join(out, rel), "reason": "unrecorded"})
            report.line(f"kept     {os.path.join(out, rel)} (no longer generated; its header names this source but "
                        f"{MANIFEST} does not list it: delete it yourself if it is not needed)")

    if args.check:
        all_missing, all_different = missing, different = compare(out, todo.files)
        if [r for r in (*missing, *different) if r != MANIFEST] or todo.stale:
            # pipec's own record follows the generated files: it is out of date because they are,
            # and is listed only when it alone differs (a build's summary does not list it either);
            # --diff still shows it, so that the diff applied is the whole change
            missing = [r for r in missing if r != MANIFEST]
            different = [r for r in different if r != MANIFEST]
        report.files("missing", out, missing, "missing  {path}")
        from pipec.targets import explain_difference

        for rel in different:
            report.files("differs", out, [rel], "differs  {path}")
            if report.json:
                continue
            try:
                on_disk = open(os.path.join(out, rel), encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            for line in explain_difference(rel, todo.files[rel], on_disk):
                print(line)
        report.files("stale", out, todo.stale, "stale    {path}")
        report.files("unchanged", out, sorted(set(everything) - set(missing) - set(different)))
        report_kept()
        if args.diff:
            from pipec.cli_diff import build_diff

            sys.stdout.write(build_diff(out, todo.files, all_missing, all_different, todo.stale))
        if missing or different or todo.stale:
            print(f"pipec: {len(missing) + len(different) + len(todo.stale)} file(s) out of date; run pipec build",
                  file=sys.stderr)
            return report.finish(EXIT_INPUT, "out of date")
        report.summary(f"{len(everything)} file(s) up to date in {out}")
        return report.finish(EXIT_OK, "up to date")
    try:
        written, removed = write(out, todo.files, todo.stale)
    except BuildError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not report.quiet:
        report.files("removed", out, removed, "removed  {path} (no longer generated)")
    else:
        report.files("removed", out, removed)
    report_kept()
    made = [rel for rel in written if rel != MANIFEST]
    report.files("written", out, sorted(made))
    report.files("unchanged", out, sorted(set(everything) - set(made)))
    report.summary(f"wrote {len(made)} file(s), {len(everything) - len(made)} unchanged, removed {len(removed)} "
                   f"stale, in {out}")
    return report.finish(EXIT_OK, "written")
