"""Diagnostics for other tools: SARIF 2.1.0 (``--format sarif``) and GitHub Actions workflow
commands (``--format github``).

``pipec check --format json`` prints :meth:`Diagnostic.to_dict` as it is and ``--format text``
prints :func:`pipec.diagnostics.render_all`; the two formats here are made from the same
:class:`~pipec.diagnostics.Diagnostic` objects, and nothing else in pipec builds them.

**SARIF** (OASIS Static Analysis Results Interchange Format 2.1.0, errata 01; what GitHub code
scanning uploads): one run whose ``tool.driver`` is pipec with one rule per code that occurs (its
title from :data:`~pipec.diagnostics.CODES` and its entry of docs/diagnostics.md as help), and one
result per diagnostic. pipec's :class:`~pipec.diagnostics.Span` counts lines and columns from 1
and its end column is the span's *last* character; a SARIF region counts from 1 as well but its
``endColumn`` is the column *after* the region (SARIF 2.1.0, 3.30.2 and 3.30.7), hence the ``+ 1``.
Columns count Unicode code points, as pipec's lexer does (``run.columnKind``). File names become
URIs relative to the working directory (``uriBaseId`` ``%SRCROOT%``), with forward slashes and
percent-escapes; a file outside the working directory gets an absolute ``file:`` URI; a
diagnostic about standard input (``-``) has no location.

**GitHub workflow commands**: one line per diagnostic,
``::error file=F,line=L,endLine=L2,col=C,endColumn=C2,title=CODE::MESSAGE`` (``::warning`` for
warnings), which a job's log turns into annotations on the file
(https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands, "Setting an
error message"). Values are escaped as actions/toolkit does (packages/core/src/command.ts,
``escapeData`` and ``escapeProperty``): ``%``, CR and LF become ``%25``, ``%0D``, ``%0A`` in the
message, and in a property ``:`` and ``,`` also become ``%3A`` and ``%2C``. Columns are given only
for a span on one line: actions/toolkit's ``AnnotationProperties`` (packages/core/src/core.ts) says
``startColumn`` and ``endColumn`` cannot be sent when the start and end lines differ. ``endColumn``
is the span's last column, as pipec's own text shows it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from pipec.diagnostics import CODES, ERROR, WARNING, Diagnostic

SARIF_VERSION = "2.1.0"
#: the schema a SARIF log names (the OASIS standard, errata 01); tests validate against a copy
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"

_LEVELS = {ERROR: "error", WARNING: "warning"}


# ----------------------------------------------------------------------------- docs links


def docs_anchor(code: str) -> str:
    """The anchor of ``code``'s entry in docs/diagnostics.md, as GitHub makes it from the heading
    ``## E201: unknown artifact``: lower case, punctuation other than ``-`` and ``_`` dropped,
    spaces turned into ``-`` (``e201-unknown-artifact``)."""
    heading = f"{code}: {CODES[code]}"
    slug = re.sub(r"[^\w\- ]", "", heading.lower())
    return slug.replace(" ", "-")


def project_url() -> str | None:
    """The project's repository on GitHub, from the installed package's ``Project-URL`` metadata
    (``[project.urls]`` in pyproject.toml); None when it names none."""
    from importlib import metadata

    try:
        urls = metadata.metadata("pipec").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    found = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        found[label.strip().lower()] = url.strip().rstrip("/")
    for label in ("repository", "source", "source code", "homepage"):
        url = found.get(label, "")
        if re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
            return url
    return None


def docs_url(code: str, repository: str | None) -> str | None:
    """Where ``code`` is explained on the web: its anchor in docs/diagnostics.md of ``repository``."""
    if repository is None:
        return None
    return f"{repository}/blob/HEAD/docs/diagnostics.md#{docs_anchor(code)}"


def _docs_entry(code: str) -> str | None:
    """The Markdown of ``code``'s entry in docs/diagnostics.md, without its heading."""
    from pipec.diagnostics import _docs_file

    path = _docs_file()
    if path is None:
        return None
    m = re.search(rf"^## {code}: .*?\n(.*?)(?=^## |\Z)", path.read_text(encoding="utf-8"), re.S | re.M)
    return m.group(1).strip() if m else None


# ----------------------------------------------------------------------------- SARIF


def relative_path(path: str, cwd: str | None = None) -> str | None:
    """``path`` relative to ``cwd`` (default: the working directory) with forward slashes, or
    None when it is outside."""
    cwd = os.path.abspath(cwd or os.getcwd())
    full = os.path.abspath(path)
    if os.path.splitdrive(full)[0] != os.path.splitdrive(cwd)[0]:
        return None
    rel = os.path.relpath(full, cwd)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return Path(rel).as_posix()


def artifact_uri(path: str, cwd: str | None = None) -> tuple[str, bool]:
    """(URI, relative?) of ``path``: relative to ``cwd`` (default: the working directory) with
    forward slashes and percent-escapes, or an absolute ``file:`` URI for a file outside it."""
    rel = relative_path(path, cwd)
    if rel is not None:
        return quote(rel, safe="/"), True
    return Path(os.path.abspath(path)).as_uri(), False


def _rule(code: str, repository: str | None) -> dict:
    if code.startswith("SC"):  # a ShellCheck finding (check --lint-scripts): its wiki page is its help
        url = f"https://www.shellcheck.net/wiki/{code}"
        return {"id": code, "name": code, "shortDescription": {"text": f"ShellCheck {code}"},
                "help": {"text": f"ShellCheck {code}: see {url}"}, "helpUri": url,
                "defaultConfiguration": {"level": "warning"}}
    rule: dict = {"id": code, "name": code, "shortDescription": {"text": CODES[code]}}
    entry = _docs_entry(code)
    if entry:
        from pipec.diagnostics import explanation

        first = entry.split("\n\n", 1)[0].replace("\n", " ")
        rule["fullDescription"] = {"text": first}
        rule["help"] = {"text": explanation(code), "markdown": entry}
    else:
        rule["help"] = {"text": f"{code}: {CODES[code]}. See docs/diagnostics.md."}
    url = docs_url(code, repository)
    if url:
        rule["helpUri"] = url
    severity = "error" if code.startswith("E") else "warning"
    rule["defaultConfiguration"] = {"level": severity}
    rule["properties"] = {"docs": f"docs/diagnostics.md#{docs_anchor(code)}"}
    return rule


def _result(d: Diagnostic, rule_index: int, cwd: str | None) -> dict:
    text = d.message
    if d.help:
        text += f"\n\nhelp: {d.help}"
    for note in d.notes:
        text += f"\nnote: {note}"
    out: dict = {"ruleId": d.code, "ruleIndex": rule_index, "level": _LEVELS.get(d.severity, "note"),
                 "message": {"text": text}}
    if d.file and d.file != "-":
        uri, relative = artifact_uri(d.file, cwd)
        physical: dict = {"artifactLocation": {"uri": uri, **({"uriBaseId": SRCROOT} if relative else {})}}
        s = d.span
        if s is not None:
            physical["region"] = {"startLine": s.line, "startColumn": s.column,
                                  "endLine": s.end_line, "endColumn": s.end_column + 1}
        out["locations"] = [{"physicalLocation": physical}]
    return out


def sarif_log(diags, *, cwd: str | None = None, repository: str | None = None) -> dict:
    """A SARIF 2.1.0 log of ``diags``: one run of pipec. ``repository`` (default: the package's
    project URL, :func:`project_url`) gives ``informationUri`` and each rule's ``helpUri``."""
    from pipec import __version__

    diags = list(diags)
    if repository is None:
        repository = project_url()
    codes = sorted({d.code for d in diags if d.code in CODES or re.fullmatch(r"SC\d+", d.code)})
    index = {code: i for i, code in enumerate(codes)}
    driver: dict = {"name": "pipec", "version": __version__, "semanticVersion": __version__}
    if repository:
        driver["informationUri"] = repository
    driver["rules"] = [_rule(code, repository) for code in codes]
    base = Path(os.path.abspath(cwd or os.getcwd())).as_uri().rstrip("/") + "/"
    run = {"tool": {"driver": driver},
           "originalUriBaseIds": {SRCROOT: {"uri": base}},
           "columnKind": "unicodeCodePoints",
           "results": [_result(d, index.get(d.code, -1), cwd) for d in diags]}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif_text(diags, **kwargs) -> str:
    """:func:`sarif_log` as the JSON a file or standard output gets (ends with a line feed)."""
    return json.dumps(sarif_log(diags, **kwargs), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as actions/toolkit's ``escapeData``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as actions/toolkit's ``escapeProperty``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(d: Diagnostic, cwd: str | None = None) -> str:
    """One diagnostic as a ``::error``/``::warning`` workflow command (one line). The file is
    given relative to ``cwd`` (default: the working directory, which in a job is the checkout)
    when it is inside it, as the annotation needs a path in the repository."""
    props: list[tuple[str, object]] = []
    if d.file and d.file != "-":  # standard input is no file of the repository
        rel = relative_path(d.file, cwd)
        props.append(("file", rel if rel is not None else d.file))
    s = d.span
    if s is not None:
        props += [("line", s.line), ("endLine", s.end_line)]
        if s.end_line == s.line:
            props += [("col", s.column), ("endColumn", s.end_column)]
    props.append(("title", d.code))
    message = d.message + (f"\n{d.help}" if d.help else "")
    command = "error" if d.severity == ERROR else "warning" if d.severity == WARNING else "notice"
    joined = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{command} {joined}::{escape_data(message)}"


def github_lines(diags, cwd: str | None = None) -> str:
    """Every diagnostic as a workflow command, one per line ('' for none)."""
    return "".join(github_command(d, cwd) + "\n" for d in diags)
