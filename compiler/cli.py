"""The ``pipec`` command.

Exit status: 0 when every input is clean (warnings allowed unless ``--strict``), 1 when an input
has errors (or would be reformatted, with ``fmt --check``), 2 for usage errors, 3 for an internal
error (a bug in pipec: it says so in one line and asks for a report; never a traceback).

Imports are lazy: ``pipec --version`` loads nothing but this module, ``pipec --help`` nothing but
argparse, and ``pipec check --no-targets`` loads the parser and the checker, never the targets. ``pipec check`` asks the targets too (their
diagnose modules, which make no file and load neither troposphere nor YAML), so that it reports
every diagnostic ``pipec build`` would.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _version() -> str:
    from pipec import __version__

    return f"pipec {__version__}"


def _read(path: str):
    """(text, None) or (None, Diagnostic E001 or E002): every input goes through
    :func:`pipec.files.read_text`, which bounds its size."""
    from pipec.files import read_or_diagnostic

    return read_or_diagnostic(path)


def _read_or_report(path: str, fmt: str = "text", out_json: list | None = None) -> str | None:
    """The file's text, or None after reporting why it cannot be read (E001)."""
    text, problem = _read(path)
    if problem is not None:
        _emit([problem], {}, fmt, out_json if out_json is not None else [])
    return text


def _emit(diags, sources, fmt: str, out_json: list):
    """Text goes to standard error now; any other format collects the diagnostics in
    ``out_json`` for :func:`_print_collected`, which prints them all at the end."""
    from pipec.cli_color import painter
    from pipec.diagnostics import render_all

    diags = [d.relocated() for d in diags]  # a template's lines are shown from its own file
    sources = {**sources, **{f: t for f, t in _other_sources(diags, sources).items()}}
    if fmt != "text":
        out_json.extend(diags)
    elif diags:
        print(render_all(diags, sources, painter(sys.stderr)), file=sys.stderr)
        print(file=sys.stderr)


def _other_sources(diags, known) -> dict[str, str]:
    """The text of each file a diagnostic points into that ``known`` lacks (a library file of
    templates, a target's own settings file such as pipec.lock), for the caret."""
    out = {}
    for d in diags:
        if d.file and d.file not in known and d.file not in out and d.file not in ("-", "<input>"):
            text, _problem = _read(d.file)
            if text is not None:
                out[d.file] = text
    return out


def _target_diagnostics(pipeline, path: str, names) -> list:
    """What building ``pipeline`` with the targets ``names`` reports, in the order ``pipec build``
    prints it: the targets' errors, or their warnings (platform differences). Nothing is made:
    each target's diagnose module runs the checks its emitter runs (:func:`pipec.build.diagnose_by_target`)."""
    from pipec.build import EmitContext, diagnose_by_target
    from pipec.diagnostics import Diagnostics

    # the source's name and the output folder only change paths written inside the files
    ctx = EmitContext(source=os.path.basename(path) or "pipeline.pipe", prefix="")
    try:
        diagnose_by_target(pipeline, ctx, names)
    except Diagnostics as exc:
        return list(exc.diagnostics)
    return list(ctx.warnings)


def _print_collected(diags: list, fmt: str) -> None:
    """``check``'s diagnostics in a machine-readable format, on standard output: a JSON array
    (``json``), a SARIF log (``sarif``) or GitHub workflow commands (``github``; see
    :mod:`pipec.report_formats`)."""
    if fmt == "json":
        import json

        print(json.dumps([d.to_dict() for d in diags], indent=2))
    elif fmt == "sarif":
        from pipec.report_formats import sarif_text

        sys.stdout.write(sarif_text(diags))
    elif fmt == "github":
        from pipec.report_formats import github_lines

        sys.stdout.write(github_lines(diags))


def _options(args, path: str):
    """The options for ``path``: the flags over the configuration file's (:mod:`pipec.config`), or
    None after saying why they are wrong (the command exits with status 2)."""
    from pipec.config import ConfigError, options
    from pipec.ignores import BadSelection

    try:
        return options(args, path)
    except (ConfigError, BadSelection) as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return None


def _apply_ignores(diags, text: str, path: str, selection, names, lint_scripts: bool = False) -> list:
    """``diags`` without the warnings ``selection`` and the file's ignore comments silence, plus W106
    for each ignore comment that silenced nothing."""
    from pipec.diagnostics import Diagnostic
    from pipec.ignores import FileFilter, unchecked_codes

    kept = FileFilter(text, path, selection)
    return sorted([*kept.keep(diags), *kept.unused(unchecked_codes(names, lint_scripts))], key=Diagnostic.sort_key)


class _Usage(Exception):
    """The check cannot go on (exit status 2, as for 'build'); the reason is printed."""


def cmd_check(args) -> int:
    from pipec import compile_text
    from pipec.diagnostics import ERROR, WARNING, Diagnostics
    from pipec.templates import library_diagnostics

    status = EXIT_OK
    out_json: list = []
    totals = {"errors": 0, "warnings": 0}
    for path in args.files:
        opts = _options(args, path)
        if opts is None:
            return EXIT_USAGE
        names, selection, strict = [] if args.no_targets else list(opts.targets), opts.selection, opts.strict
        text = _read_or_report(path, args.format, out_json)
        if text is None:
            totals["errors"] += 1
            status = EXIT_INPUT
            continue
        try:
            pipeline, diags = compile_text(text, path, args.allow_outside_uses)
        except Diagnostics as exc:
            diags, pipeline = exc.diagnostics, None
        library = library_diagnostics(diags) if pipeline is None else None  # a file of templates
        if library is not None:
            diags = library
        if pipeline is not None and names:
            try:
                diags = [*diags, *_target_diagnostics(pipeline, path, names)]
            except _Usage:
                return EXIT_USAGE
        if pipeline is not None and args.lint_scripts:  # ShellCheck over the commands (pipec.script_lint)
            from pipec.script_lint import check as lint_scripts

            diags = [*diags, *lint_scripts(pipeline, path, text)]
        diags = _apply_ignores(diags, text, path, selection, names, args.lint_scripts)
        _emit(diags, {path: text}, args.format, out_json)
        errors = sum(d.severity == ERROR for d in diags)
        warnings = sum(d.severity == WARNING for d in diags)
        totals["errors"] += errors
        totals["warnings"] += warnings
        if errors or (strict and warnings):
            status = EXIT_INPUT
        if args.format == "text" and not args.quiet:
            if library is not None and not errors:
                verdict = "ok" if not warnings else f"ok with {warnings} warning(s)"
                print(f"{path}: {verdict} (a library of templates: checked where a pipeline uses them)")
            elif pipeline is not None and not errors:
                n_actions = sum(len(s.actions) for s in pipeline.stages)
                verdict = ("ok" if not warnings else f"{warnings} warning(s), failing with --strict"
                           if strict else f"ok with {warnings} warning(s)")
                print(f"{path}: {verdict} "
                      f"(pipeline {pipeline.name}: {len(pipeline.sources)} source(s), "
                      f"{len(pipeline.stages)} stage(s), {n_actions} action(s))")
            else:
                print(f"{path}: {errors} error(s), {warnings} warning(s)")
    _print_collected(out_json, args.format)
    return status


def cmd_fmt(args) -> int:
    from pipec.diagnostics import Diagnostics
    from pipec.formatter import format_module
    from pipec.parser import parse

    status = EXIT_OK
    changed = []
    diffs = []
    if args.diff:  # --diff shows what --check would change: it writes nothing either
        args.check = True
    for path in args.files:
        text = _read_or_report(path)
        if text is None:
            status = EXIT_INPUT
            continue
        try:
            module = parse(text, path)
        except Diagnostics as exc:
            _emit(exc.diagnostics, {path: text}, "text", [])
            status = EXIT_INPUT
            continue
        result = format_module(module)
        if args.diff and result != text:
            from pipec.cli_diff import unified

            diffs.append(unified(path, text, result))
        if path == "-":
            if args.check:
                if result != text:
                    changed.append(path)
            else:
                sys.stdout.write(result)
            continue
        if result != text:
            if not args.check:
                from pipec.files import CannotWrite, check_rewritable, write_file

                try:
                    check_rewritable(path)
                    write_file(path, result)
                except CannotWrite as exc:
                    print(f"pipec: error: {exc}", file=sys.stderr)
                    status = EXIT_USAGE
                    continue
            changed.append(path)
    if args.check:
        for path in changed:
            print(f"would reformat {path}")
        sys.stdout.write("".join(diffs))
        if changed:
            status = EXIT_INPUT
        elif status == EXIT_OK and not args.quiet:
            print(f"{len(args.files)} file(s) already formatted")
    elif not args.quiet:
        for path in changed:
            if path != "-":
                print(f"reformatted {path}")
    return status


def cmd_build(args) -> int:
    from pipec.cli_build import cmd_build as run

    return run(args)


def cmd_import(args) -> int:
    from pipec.cli_import import cmd_import as run

    return run(args)


def cmd_pins(args) -> int:
    from pipec.targets import command

    return command("pins")(args)


def _compile_or_report(path: str):
    """(pipeline, warnings, text) of a .pipe file, or None after printing its diagnostics."""
    from pipec import compile_text
    from pipec.diagnostics import Diagnostics

    text = _read_or_report(path)
    if text is None:
        return None
    try:
        pipeline, warnings = compile_text(text, path)
    except Diagnostics as exc:
        _emit(exc.diagnostics, {path: text}, "text", [])
        return None
    return pipeline, warnings, text


def cmd_explain(args) -> int:
    if args.code:
        from pipec.code_docs import explanation  # not pipec.diagnostics: no attrs for this (issue 18)

        if args.file:
            print("pipec: error: give either FILE or --code CODE, not both", file=sys.stderr)
            return EXIT_USAGE
        entry = explanation(args.code)
        if entry is None:
            from pipec.diagnostics import CODES

            near = sorted(c for c in CODES if c[:2] == args.code.strip().upper()[:2])[:8]
            print(f"pipec: error: no diagnostic code {args.code!r}"
                  + (f" (codes like it: {', '.join(near)})" if near else "") + "; docs/diagnostics.md lists them all",
                  file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.write(entry)
        return EXIT_OK
    if not args.file:
        print("pipec: error: give a .pipe file to explain (or --code CODE)", file=sys.stderr)
        return EXIT_USAGE
    compiled = _compile_or_report(args.file)
    if compiled is None:
        return EXIT_INPUT
    pipeline, warnings, _text = compiled
    from pipec.explain import explain

    sys.stdout.write(explain(pipeline, warnings, target=args.target, brief=args.brief))
    return EXIT_OK


def cmd_graph(args) -> int:
    compiled = _compile_or_report(args.file)
    if compiled is None:
        return EXIT_INPUT
    pipeline, _warnings, _text = compiled
    from pipec.graph import GraphError, render

    try:
        out = render(pipeline, args.format)
    except GraphError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    data = out if isinstance(out, bytes) else out.encode("utf-8")
    if args.output:
        from pipec.files import write_file

        write_file(args.output, data)
    elif isinstance(out, bytes) and sys.stdout.isatty():
        print(f"pipec: error: --format {args.format} is binary; give -o FILE", file=sys.stderr)
        return EXIT_USAGE
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    return EXIT_OK


def cmd_simulate(args) -> int:
    from pipec.simulate_cli import cmd_simulate as run

    return run(args)


def cmd_run(args) -> int:
    from pipec.run import cmd_run as run

    return run(args)


def cmd_why(args) -> int:
    compiled = _compile_or_report(args.file)
    if compiled is None:
        return EXIT_INPUT
    pipeline, _warnings, text = compiled
    from pipec.files import InputError, read_log

    try:
        log, note = read_log(args.log)
    except InputError as exc:
        _emit([exc.diagnostic], {}, "text", [])
        return EXIT_INPUT
    if note:
        print(f"pipec why: note: {note}", file=sys.stderr)
    from pipec.why import render, why

    findings = why(pipeline, text, log)
    if args.format == "json":
        import json

        print(json.dumps([{"location": f"{args.file}:{f.line}" if f.line else None, "line": f.line,
                           "action": f.action, "what": f.what, "meaning": f.meaning, "fix": f.fix,
                           "evidence": f.evidence} for f in findings], indent=2))
    else:
        sys.stdout.write(render(findings, args.file))
    return EXIT_OK if any(f.line for f in findings) else EXIT_INPUT


def _path(value: str) -> str:
    """An output path option: an empty one (``-o ""``) is a usage error, never "the current folder"."""
    if not value.strip():
        import argparse

        raise argparse.ArgumentTypeError("an empty path; give a file or folder name (use . for the current folder)")
    return value


def _add_selection_options(command) -> None:
    command.add_argument("--select", metavar="CODES",
                         help="report only these warnings: codes or prefixes, comma-separated (W5, W508); "
                         "errors are always reported")
    command.add_argument("--ignore", metavar="CODES",
                         help="do not report these warnings (codes or prefixes, comma-separated, such as "
                         "W508,W509); they do not fail --strict. Errors cannot be ignored")


def _add_uses_and_strict(command, strict: str) -> None:
    """The options ``check`` and ``build`` share."""
    import argparse  # already imported by build_parser
    command.add_argument("--allow-outside-uses", action="store_true",
                         help="let 'use' lines read library files outside the project (E801)")
    command.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                         help=f"{strict}; --no-strict overrides 'strict = true' of [tool.pipec]")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. Given ``command``, only that sub-command gets its options (and its
    function); the others are listed by name and help, as ``pipec --help`` and an unknown command's
    error show them. Adding the 110 options of all sub-commands took 2 ms of every start (issue 18)."""
    import argparse  # here, not at the top: ``pipec --version`` is answered without it
    import functools

    class HelpFormatter(argparse.HelpFormatter):
        """argparse's, as wide as the terminal (:func:`_terminal_columns`)."""

        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
            width = _terminal_columns() - 2 if width is None else width
            super().__init__(prog, indent_increment, max_help_position, width)

    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="pipec",
        description="Compile a .pipe pipeline into AWS CodePipeline (CloudFormation, buildspec.yml, "
        "appspec.yml) and GitHub Actions (workflows), or import existing files into .pipe.",
        epilog="Exit status: 0 clean, 1 errors in the input, 2 usage error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=functools.partial(argparse.ArgumentParser, formatter_class=HelpFormatter))
    sub.required = True

    check = sub.add_parser("check", help="parse and check .pipe files, reporting every problem",
                           description="Parse and check .pipe files. Prints every error and warning "
                           "with its code, position and a hint.")
    if command in (None, "check"):
        check.add_argument("files", nargs="+", metavar="FILE", help=".pipe files or folders (searched recursively, "
                           "skipping what git ignores); '-' reads standard input")
        check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                           help="diagnostics as text (default, on stderr), or on stdout as a JSON array, a SARIF "
                           "2.1.0 log (code scanning) or GitHub Actions annotations (::error file=...::...)")
        _add_uses_and_strict(check, "treat warnings as errors (exit 1)")
        _add_selection_options(check)
        from pipec.targets import TARGETS as _TARGETS  # the registry only: no target module is imported here

        check.add_argument("--target", choices=("all", *_TARGETS),
                           help="whose diagnostics to include, as 'build --target' (default: all)")
        check.add_argument("--no-targets", action="store_true",
                           help="check the language only: skip the targets' diagnostics (E407-E410 and the platform "
                           "differences W508-W515), "
                           "which 'build' reports; faster")
        check.add_argument("--lint-scripts", action="store_true",
                           help="also run ShellCheck on every command and script, its findings as warnings SC#### at "
                           "their .pipe line (needs pip install 'pipec[lint]')")
        check.set_defaults(func=cmd_check)

    build = sub.add_parser("build", help="generate the files of each target",
                           description="Generate CloudFormation, buildspec and appspec files (layout in "
                           "docs/targets.md). All files are generated before any is written; on an error "
                           "the output directory is left as it was.")
    if command in (None, "build"):
        build.add_argument("files", nargs="+", metavar="FILE",
                           help=".pipe files or folders (searched recursively, skipping what git ignores)")
        build.add_argument("-o", "--output", metavar="DIR", type=_path,
                           help="the output directory (required unless [tool.pipec] gives 'output')")
        from pipec.targets import TARGETS  # the registry only: no target module is imported here

        build.add_argument("--target", choices=("all", *TARGETS), help="which target (default: all)")
        build.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 listing every file that is missing, differs or is stale")
        build.add_argument("--diff", action="store_true",
                           help="with --check (which it implies): also print a unified diff of what a build would change")
        build.add_argument("--source-root", metavar="DIR",
                           help="the repository root as CodeBuild sees it (default: the .pipe file's directory); "
                           "generated paths in the template are relative to it")
        _add_uses_and_strict(build, "treat warnings as errors")
        build.add_argument("--format", choices=("text", "json"), default="text",
                           help="json: one object on standard output saying what was written, unchanged and removed "
                           "(or, with --check, missing, different and stale), with the diagnostics (README.md, "
                           "'Build summary as JSON')")
        _add_selection_options(build)
        build.set_defaults(func=cmd_build)

    pins = sub.add_parser("pins", help="show the action pins in effect, or keep the pins a bot bumped (pipec.lock)",
                          description="Show the pinned actions the GitHub target writes: the shipped table, "
                          "and the repository's pipec.lock, which wins over it. --accept records the pins of "
                          "workflows that Dependabot or Renovate bumped; --update moves locked pins older than "
                          "the shipped table up to it.")
    if command in (None, "pins"):
        pins.add_argument("--source-root", default=".", metavar="DIR", help="where pipec.lock is (default: .)")
        pins.add_argument("--accept", nargs="+", metavar="WORKFLOW", help="record these workflows' pins in pipec.lock")
        pins.add_argument("--update", action="store_true", help="move locked pins up to the shipped table's")
        pins.set_defaults(func=cmd_pins)

    fmt = sub.add_parser("fmt", help="rewrite .pipe files in the canonical layout",
                         description="Rewrite .pipe files in the canonical layout, keeping comments. "
                         "'-' formats standard input to standard output.")
    if command in (None, "fmt"):
        fmt.add_argument("files", nargs="+", metavar="FILE",
                         help=".pipe files or folders (searched recursively, skipping what git ignores)")
        fmt.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 and list the files that would change")
        fmt.add_argument("--diff", action="store_true",
                         help="with --check (which it implies): also print a unified diff of each change")
        fmt.set_defaults(func=cmd_fmt)

    imp = sub.add_parser(
        "import", help="turn GitHub workflows, buildspecs, appspecs or CodePipeline templates into .pipe",
        description="Import existing pipeline files into one formatted .pipe file. Each input is recognised "
        "by its content: a GitHub Actions workflow, a buildspec, an appspec (YAML or JSON), or a "
        "CloudFormation template with an AWS::CodePipeline::Pipeline (given with the buildspecs and appspecs "
        "its actions use, or finding them beside it). What cannot be converted stays visible as a "
        "'not converted' comment and a W600 warning. See docs/migration.md.")
    if command in (None, "import"):
        imp.add_argument("files", nargs="*", metavar="FILE", help="the files to import into one pipeline")
        imp.add_argument("-o", "--output", metavar="OUT", type=_path,
                         help="write the .pipe here (default: standard output); with --audit, a folder for "
                         "audit_summary.md, audit_summary.json and the converted pipelines")
        imp.add_argument("--report", metavar="FILE", type=_path,
                         help="also write what was not converted and the manual tasks (JSON when FILE ends in "
                         ".json, Markdown otherwise)")
        imp.add_argument("--repository", metavar="OWNER/NAME",
                         help="the GitHub repository of a workflow or buildspec (default: a placeholder to fill in)")
        imp.add_argument("--audit", metavar="DIR",
                         help="import every pipeline file under DIR on its own and summarise: per file Successful, "
                         "Partial, Unsupported or Failed, the constructs not converted, the manual tasks left")
        imp.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                         help="json: the result (or the audit) as JSON on standard output; sarif (with --audit): "
                         "the audit's diagnostics as a SARIF 2.1.0 log")
        imp.set_defaults(func=cmd_import)

    exp = sub.add_parser(
        "explain", help="narrate a pipeline in plain English, or explain a diagnostic code",
        description="Narrate what a .pipe pipeline does, stage by stage: what starts it, what each action "
        "runs, where artifacts go, what failures do, what approvals wait for, what each deployment strategy "
        "means in practice, and how the CodePipeline and GitHub Actions outputs differ. With --code, print "
        "the documentation of a diagnostic code (docs/diagnostics.md).")
    if command in (None, "explain"):
        exp.add_argument("file", nargs="?", metavar="FILE", help="the .pipe file")
        exp.add_argument("--target", choices=("aws", "github"),
                         help="narrate one platform in its own vocabulary (default: both, then their differences)")
        exp.add_argument("--brief", action="store_true", help="about a screen: each fact once")
        exp.add_argument("--code", metavar="CODE", help="explain a diagnostic code, for example E201 or W500")
        exp.set_defaults(func=cmd_explain)

    gr = sub.add_parser(
        "graph", help="draw a pipeline as a Mermaid or Graphviz graph",
        description="Draw the pipeline: sources and triggers, stages as groups, actions by kind, artifact "
        "edges, approvals as gates, deployments with their strategy. Mermaid renders in GitHub Markdown; "
        "svg and png need the Graphviz program dot.")
    if command in (None, "graph"):
        gr.add_argument("file", metavar="FILE", help="the .pipe file")
        gr.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid",
                        help="mermaid (default), dot, or svg/png rendered with Graphviz")
        gr.add_argument("-o", "--output", metavar="OUT", type=_path, help="write here (default: standard output)")
        gr.set_defaults(func=cmd_graph)

    sim = sub.add_parser(
        "simulate", help="simulate one run for an event, with injected failures, as each platform would show it",
        description="Simulate a run (nothing runs on AWS or GitHub): which triggers fire for the event, which "
        "actions run in order, and, with --fail, what each platform would show: the CodePipeline console or the "
        "GitHub jobs, the CodeBuild log of a failed build, CodeDeploy's lifecycle events and error codes. Every "
        "line points to the .pipe line it comes from.")
    if command in (None, "simulate"):
        sim.add_argument("file", metavar="FILE", help="the .pipe file")
        sim.add_argument("--event", metavar="EVENT",
                         help="push:BRANCH[:PATH...], pull_request[.opened|.updated|.closed]:TARGET[:PATH...], tag:TAG, "
                         "manual, schedule or object (default: a push to the first source's branch)")
        sim.add_argument("--source", metavar="NAME", help="the source the event happens to (default: the first)")
        sim.add_argument("--fail", metavar="POINT", action="append",
                         help="ACTION.PHASE[N] (N from 1), ACTION.PHASE.finally[N], ACTION.hook:EVENT, "
                         "ACTION.alarm@MINUTES, APPROVAL:reject or ACTION; repeatable")
        sim.add_argument("--target", choices=("aws", "github"), help="one platform (default: both)")
        sim.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
        sim.add_argument("--json", action="store_true", help="the same as --format json")
        sim.add_argument("--compare-strategies", metavar="ACTION",
                         help="put the deployment strategies that apply to this deployment side by side for one failure "
                         "(ACTION.alarm@MINUTES in --fail says when it is noticed; default minute 3)")
        sim.add_argument("--notice", type=int, metavar="MINUTES",
                         help="for --compare-strategies: minutes after the deployment starts that the bad version is "
                         "noticed (default 3, or the minute of an ACTION.alarm@MINUTES failure)")
        sim.add_argument("--fleet", type=int, help="instances or tasks, for --compare-strategies (default 4)")
        sim.add_argument("--batch-minutes", type=int,
                         help="minutes one batch takes, for --compare-strategies (default 2)")
        sim.set_defaults(func=cmd_simulate)

    wh = sub.add_parser(
        "why", help="map a failure's log (CodeBuild, CodeDeploy, CodePipeline, GitHub) back to the .pipe line",
        description="Read what a failed run printed (a CodeBuild log, aws deploy get-deployment or lifecycle "
        "event output, aws codepipeline get-pipeline-state, a GitHub job log, or pipec simulate's output) and "
        "say which line of the .pipe file produced the failing command, hook or action, what the error means "
        "and how to fix it. Exit 1 when nothing in the log points to the pipeline.")
    if command in (None, "why"):
        wh.add_argument("file", metavar="FILE", help="the .pipe file")
        wh.add_argument("log", metavar="LOG", help="the log or JSON output ('-' for standard input)")
        wh.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
        wh.set_defaults(func=cmd_why)
    run = sub.add_parser(
        "run", help="run a pipeline on this machine with act, before pushing it",
        description="Build the GitHub Actions workflow into a temporary run folder and run it with act "
        "(pip install 'pipec[run]'), offline, against the working tree. Build and test actions run for real; "
        "deployments, approvals, invokes and AWS credentials only print what they would do. Exit status: 0 "
        "every action that ran succeeded, 1 one failed (or the file has errors), 2 usage, 3 internal error.")
    if command in (None, "run"):
        run.add_argument("file", metavar="FILE", help="the .pipe file")
        run.add_argument("--source-root", metavar="DIR",
                         help="the repository root the actions see (default: the .pipe file's directory)")
        run.add_argument("--stage", action="append", metavar="S",
                         help="run this stage's actions (and the actions whose artifacts they read); repeatable")
        run.add_argument("--action", action="append", metavar="A",
                         help="run this action (and the actions whose artifacts it reads); repeatable")
        run.add_argument("--event", choices=("push", "pull_request", "manual", "schedule"), default="push",
                         help="the event the run starts with (default: push)")
        run.add_argument("--secret", action="append", metavar="NAME=VALUE",
                         help="the value of a secret variable (never printed; but a command line is visible in "
                         "the process list and shell history: prefer --secret-file); repeatable")
        run.add_argument("--secret-file", metavar="F", help="NAME=VALUE lines, one secret variable a line")
        run.add_argument("--docker", action="store_true",
                         help="run jobs in containers (act's container mode; needs Docker and the runner image "
                         "already pulled) instead of on this machine")
        run.add_argument("--keep", metavar="DIR", type=_path,
                         help="use DIR (new or empty) as the run folder and keep it afterwards")
        run.set_defaults(func=cmd_run)

    _add_init(sub, command in (None, "init"))
    from pipec.cli_playground import add_parser as _add_playground  # its options only

    _add_playground(sub, command in (None, "playground"))
    lsp = sub.add_parser("lsp", help="run the language server for editors (LSP over standard input and output)",
                         description="Run pipec's language server: diagnostics, completion, hover, navigation, "
                         "renaming and formatting for .pipe files in any editor that speaks the Language Server "
                         "Protocol (docs/editors.md). Needs the 'lsp' extra: pip install 'pipec[lsp]'.")
    if command in (None, "lsp"):
        lsp.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default)")
        lsp.set_defaults(func=_cmd_lsp)

    comp = sub.add_parser(
        "completion", help="print a shell completion script for bash, zsh or fish",
        description="Print a completion script for pipec's commands, options and choices, generated from "
        "its argument parser. Install it as the shell expects, for example: pipec completion bash > "
        "~/.local/share/bash-completion/completions/pipec")
    if command in (None, "completion"):
        comp.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")
        comp.set_defaults(func=cmd_completion)
    _add_output_options(sub, command, quiet=(check, build, fmt))
    return parser


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``COLUMNS``, else the width of the terminal on
    standard output, else 80. Without importing shutil, which argparse does for each help formatter
    it makes (one per option added) when not given a width: with the compression modules shutil
    imports, 1.6 ms of every start (issue 18)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _command_in(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is not an option (``pipec`` itself has no
    option that takes a value), or None."""
    return next((a for a in argv if not a.startswith("-")), None)


def _add_init(sub, full: bool) -> None:
    init = sub.add_parser(
        "init", help="start a .pipe file: from answers (flags, or questions on a terminal) or from a repository",
        description="Write a starting .pipe file that passes 'pipec check': from the answers given as flags "
        "(on a terminal, with none given, pipec asks), or with --from DIR from the GitHub workflows, "
        "buildspecs, appspecs, CodePipeline templates or .gitlab-ci.yml under DIR, imported with the "
        "findings as comments. Never overwrites a file.")
    if not full:
        return
    from pipec.cli_init import DEPLOYS, PROVIDERS, STRATEGY_TEXT, cmd_init

    init.add_argument("file", nargs="?", default="pipeline.pipe", metavar="FILE",
                      help="the file to create (default: pipeline.pipe; '-' prints it)")
    init.add_argument("--from", dest="from_dir", metavar="DIR", help="import the pipeline files under DIR")
    init.add_argument("--name", help="the pipeline's name (default: the folder's)")
    init.add_argument("--source", choices=PROVIDERS, help="the source provider (default: github)")
    init.add_argument("--repository", metavar="LOCATION",
                      help="OWNER/NAME (github, bitbucket, gitlab), a repository name (codecommit) or a bucket (s3)")
    init.add_argument("--branch", default="main", help="the branch to build (default: main)")
    init.add_argument("--runtime", metavar="NAME:VERSION", help="for example python:3.12 or nodejs:20")
    init.add_argument("--build-command", metavar="CMD", help="the build command (default: make build)")
    init.add_argument("--test-command", metavar="CMD", help="the test command (default: make test)")
    init.add_argument("--deploy", choices=DEPLOYS, help="where to deploy, after an approval (default: none)")
    init.add_argument("--strategy", choices=tuple(STRATEGY_TEXT), help="how an ec2, ecs or lambda deployment "
                      "replaces the old version (default: rolling for ec2 and ecs, canary for lambda)")
    init.add_argument("--no-input", action="store_true", help="never ask, even on a terminal")
    init.set_defaults(func=cmd_init)


def _add_output_options(sub, command: str | None, quiet) -> None:
    """``--color`` on every command that prints diagnostics (:mod:`pipec.cli_color`), and
    ``-q``/``--quiet`` on the commands in ``quiet`` (of those, ``command`` alone when given)."""
    from pipec.cli_color import CHOICES

    for name, parser in sub.choices.items():
        if command not in (None, name):
            continue
        if name not in ("completion", "lsp"):  # the language server prints no diagnostics
            parser.add_argument("--color", choices=CHOICES, default="auto",
                                help="colour diagnostics: auto (default: on a terminal, unless NO_COLOR is set; "
                                "FORCE_COLOR forces it), always or never")
        if parser in quiet:
            parser.add_argument("-q", "--quiet", action="store_true",
                                help="print diagnostics and findings only, no summary lines")
def _cmd_lsp(args) -> int:
    from pipec.cli_lsp import cmd_lsp

    return cmd_lsp(args)


def cmd_completion(args) -> int:
    from pipec.cli_completion import completion_script

    sys.stdout.write(completion_script(build_parser(), args.shell))
    return EXIT_OK


#: commands that do one piece of work and exit: the collector stays paused from start-up to the end
#: (pipec.gc_pause; the exit's collection was 25-40 ms of a 0.2 s build). The others serve (lsp,
#: playground), run act (run) or read folders of files (import, init) with it on.
_ONE_SHOT = frozenset({"check", "build", "fmt", "explain", "graph", "why", "simulate", "pins", "completion"})


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        # the commonest probe (scripts, pre-commit, bug reports) is answered before argparse and
        # the sub-commands' parsers are made: about 6 ms of the 30 ms it took; same output
        print(_version())
        return EXIT_OK
    from pipec.gc_pause import freeze_for_exit, paused

    program = argv is None  # run as the program (the console script, python -m pipec), not called by a test
    argv = sys.argv[1:] if argv is None else argv
    # start-up (the parser's tables, the classes, the imports) allocates much and leaves few cycles:
    # the collector's 34 passes were 3.5 ms of a check of the reference (issue 18)
    with paused():
        args = _arguments(argv)
        if isinstance(args, int) or args.command in _ONE_SHOT:
            status = args if isinstance(args, int) else _run(args)
            if program:  # the process exits next: no collection over what it leaves (pipec.gc_pause)
                freeze_for_exit()
            return status
    return _run(args)


def _arguments(argv: list[str]):
    """The parsed arguments, each folder in ``files`` replaced by the .pipe files under it; or an
    exit status."""
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    from pipec.cli_color import configure

    configure(getattr(args, "color", None))
    if args.command in ("check", "fmt", "build"):  # a folder stands for the .pipe files under it
        from pipec.cli_paths import NoPipeFiles, expand

        try:
            args.files = expand(args.files)
        except NoPipeFiles as exc:
            print(f"pipec: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if args.command != "fmt" and any(f.endswith(".pipe") for f in args.files):
            from pipec.templates import with_dependents  # a library: the pipelines it changes too

            args.files = with_dependents(args.files)
    return args


def _run(args) -> int:
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:  # a build in progress was rolled back before this
        print("pipec: interrupted", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        from pipec.files import CannotWrite

        if isinstance(exc, CannotWrite):  # an output path pipec cannot write: one line, exit 2
            print(f"pipec: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("PIPEC_TRACEBACK"):  # for pipec's developers
            raise
        # a bug in pipec: one line, never a traceback
        print(f"pipec: internal error ({type(exc).__name__}: {exc}). This is a bug in pipec; please "
              "report it with the input that caused it.", file=sys.stderr)
        return EXIT_INTERNAL
