"""CodeBuild's built-in environment variables, as a build that CodePipeline starts sees them, and
the warnings for commands that read one the platforms do not give alike (W521, W522).

The list and the meanings come from the CodeBuild User Guide, "Environment variables in build
environments" (https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html):

- ``CODEBUILD_SRC_DIR`` is "the directory path that CodeBuild uses for the build";
  ``CODEBUILD_RESOLVED_SOURCE_VERSION`` is, for CodePipeline, "the source revision provided by
  CodePipeline" (the commit of a Git source); ``CODEBUILD_BUILD_NUMBER`` is "the current build
  number for the project"; ``AWS_REGION`` and ``AWS_DEFAULT_REGION`` are the Region the build
  runs in. The GitHub Actions target gives each a value of the same meaning (:data:`SAME`).
- ``CODEBUILD_BUILD_ARN``, ``CODEBUILD_BUILD_ID``, ``CODEBUILD_INITIATOR`` ("If CodePipeline
  started the build, this is the pipeline's name (for example, codepipeline/my-demo-pipeline)"),
  ``CODEBUILD_SOURCE_VERSION`` and ``CODEBUILD_SOURCE_REPO_URL`` ("If a build originates from
  CodePipeline, this environment variable may be empty") name AWS things a GitHub run does not
  have: the target gives a documented stand-in (:data:`STAND_INS`), and a command that reads one
  gets W521. ``CODEBUILD_BUILD_IMAGE``, ``CODEBUILD_KMS_KEY_ID``, ``CODEBUILD_LOG_PATH`` and
  ``CODEBUILD_START_TIME`` have neither a same-meaning value nor an expression GitHub can give a
  job's ``env`` (:data:`NOT_ON_GITHUB`): unset there, W521 too.
- ``CODEBUILD_WEBHOOK_*`` are set for builds "triggered by a webhook", which a build CodePipeline
  starts never is; ``CODEBUILD_BATCH_BUILD_IDENTIFIER`` only in batch builds and
  ``CODEBUILD_PUBLIC_BUILD_URL`` only with public builds, neither of which pipec creates. They are
  empty on both platforms: a command that reads one gets W522 (:data:`NEVER_SET`).
- ``CODEBUILD_BUILD_SUCCEEDING`` belongs to the phases (docs/targets.md, "Build phases").

Reads are found with a word scan for ``$NAME`` and ``${NAME...}`` in the command's text (a read
inside single quotes is reported too: such a command names the variable on purpose).
"""

from __future__ import annotations

import re

from pipec import model
from pipec.diagnostics import WARNING, Diagnostic, Span

#: name -> meaning, for the variables both platforms give with a value of the same meaning
SAME = {
    "AWS_DEFAULT_REGION": "region",
    "AWS_REGION": "region",
    "CODEBUILD_BUILD_NUMBER": "run number",
    "CODEBUILD_RESOLVED_SOURCE_VERSION": "commit",
    "CODEBUILD_SRC_DIR": "source directory",
}
#: name -> (what it holds on CodeBuild, the stand-in on GitHub Actions)
STAND_INS = {
    "CODEBUILD_BUILD_ARN": ("the build's ARN", "the URL of the workflow run"),
    "CODEBUILD_BUILD_ID": ("the build's ID, PROJECT:UUID",
                           "PIPELINE-ACTION:RUN_ID-RUN_ATTEMPT, the same shape"),
    "CODEBUILD_INITIATOR": ("codepipeline/PIPELINE", "github-actions/WORKFLOW"),
    "CODEBUILD_SOURCE_REPO_URL": ("the input's URL, which may be empty for a build CodePipeline starts",
                                  "the repository's clone URL"),
    "CODEBUILD_SOURCE_VERSION": ("the input artifact's version", "the commit being built"),
}
#: name -> what it holds on CodeBuild; a GitHub job has no value of that meaning for its env
NOT_ON_GITHUB = {
    "CODEBUILD_BUILD_IMAGE": "the build image's identifier",
    "CODEBUILD_KMS_KEY_ID": "the KMS key that encrypts the build's output artifact",
    "CODEBUILD_LOG_PATH": "the build's CloudWatch Logs stream name",
    "CODEBUILD_START_TIME": "the build's start time",
}
#: names (or, ending in ``_``, prefixes) CodeBuild never sets on a build CodePipeline starts
NEVER_SET = ("CODEBUILD_WEBHOOK_", "CODEBUILD_BATCH_BUILD_IDENTIFIER", "CODEBUILD_PUBLIC_BUILD_URL")

_READ = re.compile(r"\$\{?#?!?((?:CODEBUILD|AWS)_[A-Z0-9_]*[A-Z0-9])")


def provided(overridden=frozenset()) -> tuple[tuple[str, str], ...]:
    """(name, meaning) of every built-in variable both platforms give a build with a value of the
    same meaning (:data:`SAME`), without the names the build's own values replace (``overridden``:
    its ``env``, secrets and the pipeline's variables, which win over a built-in on both). The
    stand-ins (:data:`STAND_INS`) are not among them: their values differ by design (W521), and
    the GitHub target gives one only to a job whose commands name it."""
    return tuple(sorted((n, m) for n, m in SAME.items() if n not in overridden))


def never_set(name: str) -> bool:
    return any(name.startswith(p) if p.endswith("_") else name == p for p in NEVER_SET)


def reads(text: str):
    """(name, line index in ``text``) of each built-in variable read."""
    for i, line in enumerate(text.split("\n")):
        for m in _READ.finditer(line):
            yield m.group(1), i


def check(b: model.Build, filename: str, source: str, on_github: bool) -> list[Diagnostic]:
    """W522 for each read of a variable no CodePipeline-started build has; with ``on_github``
    (the build also runs as a GitHub Actions job), W521 for each read of one whose GitHub value
    is a stand-in or missing. A name the build sets itself (``env``, ``secret``) is its own."""
    own = {e.name for e in b.env} | {s.name for s in b.secrets}
    out = []
    for ph in b.phases:
        for c in (*ph.commands, *ph.finally_commands):
            for name, line in reads(c.text):
                if name in own:
                    continue
                if never_set(name):
                    out.append(Diagnostic(
                        "W522", WARNING, f"'{name}' is never set in a build that CodePipeline starts",
                        _span(c, line, name, source),
                        "CodeBuild sets it only for builds started by a webhook, a batch build or a public "
                        "build project, none of which pipec creates; the command reads an empty value on "
                        "both platforms. Use CODEBUILD_RESOLVED_SOURCE_VERSION for the commit, or pass the "
                        "value in with a 'variable' or an 'env' line.", (), filename))
                elif on_github and (name in STAND_INS or name in NOT_ON_GITHUB):
                    if name in STAND_INS:
                        aws, gh = STAND_INS[name]
                        what = f"on CodeBuild it is {aws}; on GitHub Actions pipec sets {gh}"
                    else:
                        what = f"on CodeBuild it is {NOT_ON_GITHUB[name]}; a GitHub Actions job has no such value and pipec leaves it unset"
                    out.append(Diagnostic(
                        "W521", WARNING, f"'{name}' has no value of the same meaning on GitHub Actions",
                        _span(c, line, name, source),
                        f"{what[0].upper()}{what[1:]} (docs/targets.md, \"Built-in variables\"). If the "
                        "command needs the same value on both platforms, give it one with an 'env' line; "
                        "for the commit use CODEBUILD_RESOLVED_SOURCE_VERSION, which both platforms set.",
                        (), filename))
    return out


def _span(c: model.Command, line: int, name: str, source: str) -> Span | None:
    """The position of the read: on its own line in a script, where the source shows it."""
    span = c.span
    if span is None or not source:
        return span
    lines = source.split("\n")
    at = span.line + line + (1 if c.script and _opens_on_own_line(source, span) else 0)
    if not 1 <= at <= len(lines):
        return span
    text = lines[at - 1].rstrip("\r")
    hit = next((m for m in _READ.finditer(text, span.column - 1 if at == span.line else 0)
                if m.group(1) == name), None)
    if hit is None:
        return span
    offset = sum(len(s) + 1 for s in lines[:at - 1])
    return Span(at, hit.start() + 1, at, hit.end(), offset + hit.start(), offset + hit.end())


def _opens_on_own_line(source: str, span: Span) -> bool:
    """Whether a script's text starts on the line after its opening quotes."""
    rest = source[span.start_pos + 3:].split("\n", 1)[0]
    return not rest.strip()
