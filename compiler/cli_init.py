"""``pipec init``: a starting ``.pipe`` file, from a few answers or from the pipeline files a
repository already has.

- ``pipec init [FILE] --source github --repository my-org/app --runtime python:3.12
  --test-command "pytest" --deploy ecs --strategy canary``: the answers as flags. On a terminal,
  with no answer given as a flag, pipec asks each question instead (Enter keeps the default).
- ``pipec init --from DIR [FILE]``: the GitHub workflows, buildspecs, appspecs, CodePipeline
  templates and ``.gitlab-ci.yml`` under DIR (found as ``pipec import --audit`` finds them),
  imported with the existing importers (:mod:`pipec.importer`) into one starting pipeline:
  a CodePipeline template first (with the buildspecs and appspecs its actions use), else a
  workflow, else a buildspec with the appspecs that deploy its artifact, else a GitLab CI file.
  The import's findings and the files it did not use head the file as comments.

Either way the file is new: pipec never overwrites one (the file is created exclusively), and
what it writes passes ``pipec check`` (values it cannot know are ``REPLACE-ME`` placeholders,
which ``pipec check`` reports as W601 until they are replaced).
"""

from __future__ import annotations

import os
import re
import sys

from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE

PROVIDERS = ("github", "bitbucket", "gitlab", "codecommit", "s3")
RUNTIMES = ("android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby")
DEPLOYS = ("none", "ec2", "ecs", "lambda", "cloudformation", "s3")
#: the strategies of each deployment platform, the first the default (docs/language.md, "Strategies")
STRATEGIES = {
    "ec2": ("rolling", "all-at-once", "blue-green"),
    "ecs": ("rolling", "blue-green", "canary", "linear"),
    "lambda": ("canary", "linear", "all-at-once"),
}
#: how each strategy is written, with the values pipec starts from
STRATEGY_TEXT = {
    "all-at-once": "all-at-once",
    "rolling": "rolling",
    "blue-green": "blue-green terminate_after 1h",
    "canary": "canary 10% then rest after 5m",
    "linear": "linear 10% every 1m",
}
PLACEHOLDER = "REPLACE-ME"


class InitError(Exception):
    """An answer pipec cannot use (exit status 2); the message says which and why."""


def _name(text: str) -> str:
    """A pipeline or action name from free text (a folder name): letters, digits and dashes."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}" if name else "my-app"
    return name


def _article(word: str) -> str:
    """'a' or 'an' before ``word`` as it is read aloud (an ecs, an ec2, an s3, a lambda)."""
    return "an" if word[:1] in "aeios" else "a"


def _q(text: str) -> str:
    """``text`` as a .pipe string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _runtime(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    name, sep, version = value.replace(" ", ":", 1).partition(":")
    if not sep or not version or name not in RUNTIMES:
        raise InitError(f"--runtime {value!r}: give NAME:VERSION with NAME one of {', '.join(RUNTIMES)} "
                        "(for example python:3.12, nodejs:20, java:corretto21)")
    return name, version


def scaffold(*, name: str, source: str = "github", repository: str | None = None, branch: str = "main",
             runtime: str | None = None, build_command: str | None = None, test_command: str | None = None,
             deploy: str = "none", strategy: str | None = None) -> str:
    """The text of a starting pipeline from the answers (raises :class:`InitError` on a bad one)."""
    if source not in PROVIDERS:
        raise InitError(f"--source {source!r}: choose one of {', '.join(PROVIDERS)}")
    if deploy not in DEPLOYS:
        raise InitError(f"--deploy {deploy!r}: choose one of {', '.join(DEPLOYS)}")
    if strategy and deploy not in STRATEGIES:
        raise InitError(f"--strategy goes with --deploy {', '.join(STRATEGIES)}; {_article(deploy)} {deploy} "
                        "deployment has none")
    if deploy in STRATEGIES:
        strategy = strategy or STRATEGIES[deploy][0]
        if strategy not in STRATEGIES[deploy]:
            raise InitError(f"--strategy {strategy}: {_article(deploy)} {deploy} deployment takes "
                            f"{', '.join(STRATEGIES[deploy])}")
    if source == "s3" and (deploy in ("ec2", "lambda") or (deploy == "ecs" and strategy != "rolling")):
        raise InitError(f"{_article(deploy)} {deploy} deployment by CodeDeploy reads the appspec pipec generates from the source's "
                        "repository, and an s3 source has none (E407): choose a Git source, or --deploy ecs "
                        "--strategy rolling, cloudformation or s3")
    rt = _runtime(runtime)
    todo: list[str] = []
    git = source in ("github", "bitbucket", "gitlab")
    if not repository:
        repository = "OWNER/REPO" if git else f"{PLACEHOLDER}-{'bucket' if source == 's3' else 'repository'}"
        todo.append(f"replace {repository} with the {'repository' if source != 's3' else 'bucket'} to build")
    elif git and not re.fullmatch(r"[\w.-]+/[\w./-]+", repository):
        raise InitError(f"--repository {repository!r}: a {source} repository is written OWNER/NAME")
    for flag, value in (("--build-command", build_command), ("--test-command", test_command),
                        ("--repository", repository), ("--branch", branch)):
        if value and any(ord(c) < 32 or ord(c) == 127 for c in value):  # a line break, a tab, an escape
            raise InitError(f"{flag} {value!r}: one line of text, without control characters; put a longer "
                            "script in a file of the repository and give the command that runs it")
    build_command = build_command or "make build"
    test_command = test_command or "make test"
    ships = deploy in ("ec2", "ecs", "cloudformation", "s3")

    out = [f"# Started by pipec init: {', '.join(_describe(source, deploy, strategy))}.",
           "# Next: pipec check on this file, then pipec build on it with -o and an output folder."]
    out += [f"# To do: {t}." for t in todo]
    out.append(f"pipeline {name} {{")
    out.append(f"  source app {source} {_q(repository)} {{")
    if source == "s3":
        out.append(f"    key {_q('source.zip')}")
        out.append("    on push")
    else:
        out.append(f"    branch {_q(branch)}")
        # CodeCommit starts on pushes to its branch only, without filters (E309)
        out.append(f"    on push branches {_q(branch)}" if git else "    on push")
        if git and deploy == "none":
            out.append(f"    on pull_request opened updated into {_q(branch)}")
    out.append("  }")
    out.append("")
    # only a github source can start GitHub Actions (E408): other sources run on CodePipeline only
    via = "" if source == "github" else " via aws"
    if via:
        out.append("  # Only a github source starts GitHub Actions: the stages run on CodePipeline ('via aws').")
    out.append(f"  stage build{via} {{")
    out.append("    build package {")
    if rt:
        out.append(f"      runtime {rt[0]} {rt[1]}")
    out.append(f"      build {_q(build_command)}")
    if ships:
        out.append(f"      artifact {'revision' if deploy == 'ec2' else 'release'} files {_q('**/*')}")
    out.append("    }")
    out.append("    test unit {")
    if rt:
        out.append(f"      runtime {rt[0]} {rt[1]}")
    out.append(f"      build {_q(test_command)}")
    out.append("    }")
    out.append("  }")
    if deploy != "none":
        out.append("")
        out.append(f"  stage production{via} {{")
        out.append("    approve release {")
        out.append(f"      message {_q('Deploy this version to production?')}")
        out.append("    }")
        out += [f"    {line}" for line in _deploy(name, deploy, strategy)]
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def _describe(source: str, deploy: str, strategy: str | None) -> list[str]:
    parts = [f"source {source}", "a build and a test"]
    if deploy != "none":
        parts.append(f"a deployment to {deploy}" + (f" ({strategy})" if strategy else "") + " after an approval")
    return parts


def _deploy(name: str, deploy: str, strategy: str | None) -> list[str]:
    alarm = f"    rollback on failure alarm {_q(f'{PLACEHOLDER}-{name}-alarm')}"
    body: list[str] = []
    if deploy == "ec2":
        body.append("  from revision")
        if strategy == "blue-green":
            body += [f"  autoscaling {_q(f'{PLACEHOLDER}-asg')}", f"  target_group {_q(f'{PLACEHOLDER}-tg')}"]
        else:
            body.append(f"  instances tag Application = {name}")
    elif deploy == "ecs":
        body += ["  from release", f"  cluster {PLACEHOLDER}-cluster", f"  service {name}"]
        if strategy != "rolling":
            arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/REPLACE-ME/0/0"
            body += ["  container app port 8080", f"  listener {_q(arn)}",
                     f"  target_groups {PLACEHOLDER}-blue {PLACEHOLDER}-green"]
    elif deploy == "lambda":
        body += [f"  function {_q(f'{PLACEHOLDER}-function')}", "  alias live"]
    elif deploy == "cloudformation":
        body += ["  from release", f"  stack {name}", f"  template {_q('template.yaml')}",
                 "  capabilities iam auto-expand"]
    elif deploy == "s3":
        body += ["  from release", f"  bucket {PLACEHOLDER}-bucket", "  extract"]
    if strategy:
        text = "rolling one-at-a-time" if (deploy, strategy) == ("ec2", "rolling") else STRATEGY_TEXT[strategy]
        body.append(f"  strategy {text}")
        body.append(alarm[2:])
    # the action is named after the pipeline, unless another name of the scaffold has that name
    action = name if name not in ("app", "package", "unit", "release", "revision") else f"{name}-service"
    return [f"deploy {action} to {deploy} {{", *body, "}"]


# ----------------------------------------------------------------------------- questions

QUESTIONS = (
    ("source", "Source provider", PROVIDERS),
    ("repository", "Repository (OWNER/NAME; a name for codecommit, a bucket for s3)", None),
    ("runtime", "Runtime (NAME:VERSION, such as python:3.12; empty for none)", None),
    ("build_command", "Build command", None),
    ("test_command", "Test command", None),
    ("deploy", "Deploy to", DEPLOYS),
    ("strategy", "Deployment strategy", None),
)


def ask(answers: dict, read=input, write=None) -> dict:
    """Ask each question whose answer is not in ``answers`` (Enter keeps the default shown)."""
    write = write or (lambda text: print(text, end="", file=sys.stderr, flush=True))
    out = dict(answers)
    for key, prompt, choices in QUESTIONS:
        if out.get(key) is not None:
            continue
        if key == "strategy":
            choices = STRATEGIES.get(out.get("deploy") or "none")
            if not choices:
                continue
        default = {"source": "github", "deploy": "none", "build_command": "make build",
                   "test_command": "make test"}.get(key, choices[0] if choices else "")
        while True:
            shown = f" ({'/'.join(choices)})" if choices else ""
            write(f"{prompt}{shown} [{default}]: ")
            try:
                value = read().strip() or default
            except EOFError:  # Ctrl-D, or input that ends before the last question
                write("\n")
                raise InitError("the questions ended before every answer was given (end of input); nothing "
                                "was written. Answer them all, or give the answers as flags (pipec init --help)")
            if not choices or value in choices:
                break
            write(f"  choose one of {', '.join(choices)}\n")
        out[key] = value or None
    return out


# ----------------------------------------------------------------------------- --from DIR

#: which kind of file starts the pipeline, first to last
_ORDER = ("pipeline-template", "workflow", "buildspec", "gitlab-ci", "appspec")


def from_repository(folder: str, repository: str | None = None):
    """(text, summary line) of a starting pipeline imported from the pipeline files under
    ``folder``; raises :class:`InitError` when there is none or none imports."""
    from pipec import importer
    from pipec.files import InputError

    found: dict[str, list[str]] = {kind: [] for kind in _ORDER}
    for path in importer.audit_files(folder):
        try:
            _text, _data, kind = importer.read_input(str(path))
        except InputError:
            continue
        found.setdefault(kind, []).append(str(path))
    everything = [p for kind in _ORDER for p in found.get(kind, ())]
    if not everything:
        raise InitError(f"{folder} has no GitHub workflow, buildspec, appspec, CodePipeline template or "
                        ".gitlab-ci.yml to start from; run pipec init without --from to scaffold one")
    tried = []
    for kind in _ORDER:
        for path in found.get(kind, ()):
            attempts = [[path]]
            if kind == "buildspec" and found["appspec"]:
                attempts.insert(0, [path, *found["appspec"]])
            for files in attempts:
                try:
                    result = importer.import_files(files, repository=repository)
                except importer.MergeError:
                    continue
                if result.source is not None:
                    return _with_findings(folder, result, everything), result
                tried.append(f"{_rel(path, folder)}: {result.status}")
    raise InitError(f"none of the pipeline files under {folder} imports ({'; '.join(tried)}); "
                    "pipec import --audit shows why")


def _rel(path: str, folder: str) -> str:
    return os.path.relpath(path, folder).replace(os.sep, "/")


def _with_findings(folder: str, result, everything: list[str]) -> str:
    used = {os.path.abspath(f) for f in result.files}
    lines = [f"# Started by pipec init --from {folder}: imported {', '.join(_rel(f, folder) for f in result.files)} "
             f"({result.kind}, {result.status})."]
    findings = [d for d in result.diagnostics]
    if findings:
        lines.append("# Findings of the import (each also a 'not converted' comment where it applies):")
        for d in findings:
            where = _rel(d.file, folder) + (f":{d.span.line}" if d.span else "") if d.file else ""
            lines.append(f"#   {d.severity} {d.code} {where}: {' '.join(d.message.split())}")
    others = [p for p in everything if os.path.abspath(p) not in used]
    if others:
        lines.append("# Also found, not imported into this file (one pipeline per file: pipec import FILE):")
        lines += [f"#   {_rel(p, folder)}" for p in others]
    return "\n".join(lines) + "\n" + result.source


# ----------------------------------------------------------------------------- the command

def _write_new(path: str, text: str) -> None:
    """Create ``path`` with ``text``; :class:`FileExistsError` when it exists (never overwritten)."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as f:
        f.write(text)


def cmd_init(args) -> int:
    path = args.file
    if path != "-" and (os.path.lexists(path)):
        print(f"pipec: error: {path} already exists; pipec init never overwrites a file: give another FILE",
              file=sys.stderr)
        return EXIT_USAGE
    parent = os.path.dirname(path) if path != "-" else ""
    while parent and not os.path.lexists(parent):  # the nearest folder that exists, or a file in the way
        parent = os.path.dirname(parent)
    if parent and not os.path.isdir(parent):
        print(f"pipec: error: cannot create {path}: {parent} is a file, not a folder", file=sys.stderr)
        return EXIT_USAGE
    flags = {key: getattr(args, key) for key, _p, _c in QUESTIONS}
    try:
        if args.from_dir:
            if any(v is not None for k, v in flags.items() if k != "repository"):
                raise InitError("--from imports what the repository has: give no other answers than --repository")
            if not os.path.isdir(args.from_dir):
                raise InitError(f"--from needs a folder; {args.from_dir} is not one")
            text, _result = from_repository(args.from_dir, flags["repository"])
        else:
            if all(v is None for v in flags.values()) and not args.no_input and sys.stdin.isatty():
                flags = ask(flags)
            name = args.name or _name(os.path.basename(os.path.dirname(os.path.abspath(path))) if path != "-"
                                      else os.path.basename(os.getcwd()))
            text = scaffold(name=_name(name), source=flags["source"] or "github", repository=flags["repository"],
                            branch=args.branch, runtime=flags["runtime"], build_command=flags["build_command"],
                            test_command=flags["test_command"], deploy=flags["deploy"] or "none",
                            strategy=flags["strategy"])
    except InitError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    text = _checked(text, path)
    if text is None:
        return EXIT_INPUT
    if path == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        _write_new(path, text)
    except FileExistsError:
        print(f"pipec: error: {path} already exists; pipec init never overwrites a file", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"pipec: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}; next: pipec check {path}")
    return EXIT_OK


def _checked(text: str, path: str) -> str | None:
    """``text`` in the canonical layout (``pipec fmt``) when it passes ``pipec check`` (the
    language and both targets); else None after printing the errors (an answer pipec could not
    turn into a valid pipeline, such as a branch name no platform accepts)."""
    from pipec import compile_text
    from pipec.cli import _emit, _target_diagnostics
    from pipec.diagnostics import ERROR, Diagnostics
    from pipec.formatter import format_text
    from pipec.targets import TARGETS

    name = path if path != "-" else "pipeline.pipe"
    try:
        text = format_text(text, name)
        pipeline, _warnings = compile_text(text, name)
        diags = _target_diagnostics(pipeline, name, list(TARGETS))
    except Diagnostics as exc:
        diags = exc.diagnostics
    errors = [d for d in diags if d.severity == ERROR]
    if errors:
        _emit(errors, {name: text}, "text", [])
        print("pipec: nothing written: the answers above make a pipeline with errors", file=sys.stderr)
        return None
    return text
