"""The ``pipec`` command line: exit statuses, where output goes, and that files are only written
when they should be. Most tests call :func:`pipec.cli.main` in-process; a handful run the real
``python -m pipec`` and the ``pipec`` console script as subprocesses."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pipec
from pipec.cli import build_parser, main
from pipec.diagnostics import CODES

REFERENCE = Path(__file__).parent.parent / "examples" / "02-reference.pipe"
CONSOLE_SCRIPT = Path(sys.executable).parent / ("pipec.exe" if os.name == "nt" else "pipec")

# The compute size is given twice (line 7, column 7): one error, E203.
BAD = """\
pipeline demo {
  source app github "o/r"
  stage build {
    build web {
      build "make"
      compute small
      compute large
      artifact dist files "**/*"
    }
  }
}
"""

# Valid, but a secret-looking plain variable: one warning, W503.
WARNS = """\
pipeline demo {
  source app github "o/r"
  stage build {
    build web {
      build "make"
      env API_TOKEN = "abc"
    }
  }
}
"""

# Valid, in a layout the formatter changes (indentation).
UGLY = """\
pipeline demo {
      source app github "o/r"
  stage build {
   build web {
 build "make"
        }
}
}
"""

# A syntax error (the stage block is never closed properly): E102.
BROKEN = """\
pipeline demo {
  source app github "o/r"
  stage build {
    build web {
      build "make"
    }
"""

# Container port 70000 (line 14, column 26): E206, found while building the syntax tree.
PORT = """\
pipeline demo {
  source app github "o/r"
  stage build {
    build web {
      build "make"
      artifact dist files "**/*"
    }
  }
  stage staging {
    deploy svc to ecs {
      from dist
      cluster main
      service web
      container web port 70000
    }
  }
}
"""

OLD = 1_000_000_000  # a fixed old mtime (2001): any write by pipec moves it


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run pipec in-process; (exit status, stdout, stderr). argparse's SystemExit counts as a status."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    return status, out, err


def write(path: Path, text: str, *, old_mtime: bool = False) -> Path:
    path.write_bytes(text.encode("utf-8"))
    if old_mtime:
        os.utime(path, (OLD, OLD))
    return path


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def canonical(text: str) -> str:
    """The formatter's output for ``text`` (through the command line, from standard input)."""
    from pipec.formatter import format_module
    from pipec.parser import parse

    return format_module(parse(text, "-"))


def position_re(path) -> re.Pattern:
    return re.compile(re.escape(str(path)) + r":\d+:\d+")


# ----------------------------------------------------------------------------- check


def test_check_reference_example_exits_0(capsys):
    status, out, err = run(capsys, "check", "--no-targets", str(REFERENCE))
    assert status == 0
    assert f"{REFERENCE}: ok" in out
    assert err == ""


def test_check_reports_the_targets_warnings_as_build_does(capsys):
    """Issue 22, item 17: 'check' gave no target diagnostics, so 'check --strict' passed the
    reference example that 'build --strict' refuses (W508, W509)."""
    status, out, err = run(capsys, "check", str(REFERENCE))
    assert status == 0
    assert "ok with 2 warning(s)" in out
    assert "warning[W509]" in err and f"{REFERENCE}:7:5" in err
    assert "warning[W508]" in err and f"{REFERENCE}:41:5" in err
    assert run(capsys, "check", "--strict", str(REFERENCE))[0] == 1
    assert run(capsys, "check", "--strict", "--target", "aws", str(REFERENCE))[0] == 0
    assert run(capsys, "check", "--strict", "--no-targets", str(REFERENCE))[0] == 0


def test_check_reports_what_build_reports_for_every_example(capsys, tmp_path):
    """The same codes at the same positions, in the same order, as 'build' prints them."""
    examples = sorted(REFERENCE.parent.glob("*.pipe"))
    status, out, _err = run(capsys, "check", "--format", "json", *map(str, examples))
    from_check = [(d["file"], d["code"], d["line"], d["column"]) for d in json.loads(out)]
    status_b, _out, err = run(capsys, "build", "--source-root", str(tmp_path), "-o", str(tmp_path / "out"),
                              *map(str, examples))
    from_build = [(m.group(2), m.group(1), int(m.group(3)), int(m.group(4))) for m in re.finditer(
        r"^(?:warning|error)\[(\w\d+)\]: .*\n +--> (.+):(\d+):(\d+)$", err, flags=re.M)]
    assert from_check == from_build and from_check
    assert {c for _, c, _, _ in from_check} >= {"W508", "W509"}


def test_check_error_exits_1_with_positioned_diagnostic_on_stderr(capsys, tmp_path):
    bad = write(tmp_path / "bad.pipe", BAD)
    status, out, err = run(capsys, "check", str(bad))
    assert status == 1
    assert "error[E203]" in err
    assert f"{bad}:7:7" in err
    assert "compute large" in err and "^" in err and "= help:" in err
    assert "E203" not in out  # diagnostics go to stderr; stdout has the one-line summary
    assert f"{bad}: 1 error(s)" in out


def test_check_reads_standard_input(capsys, monkeypatch):
    status, out, _err = run(capsys, "check", "-", stdin=REFERENCE.read_text(encoding="utf-8"),
                            monkeypatch=monkeypatch)
    assert status == 0
    assert "-: ok" in out


def test_check_several_files_reports_each_and_fails_if_one_fails(capsys, tmp_path):
    bad = write(tmp_path / "bad.pipe", BAD)
    good = write(tmp_path / "good.pipe", REFERENCE.read_text(encoding="utf-8"))
    status, out, err = run(capsys, "check", "--no-targets", str(bad), str(good))
    assert status == 1
    assert f"{bad}: 1 error(s)" in out
    assert f"{good}: ok" in out
    assert out.index(str(bad)) < out.index(str(good))
    assert position_re(bad).search(err)
    assert str(good) not in err


def test_check_warning_exits_0_and_strict_makes_it_1(capsys, tmp_path):
    warns = write(tmp_path / "warns.pipe", WARNS)
    status, out, err = run(capsys, "check", str(warns))
    assert status == 0
    assert "warning[W503]" in err and position_re(warns).search(err)
    assert "ok with 1 warning(s)" in out
    status, _out, err = run(capsys, "check", "--strict", str(warns))
    assert status == 1
    assert "warning[W503]" in err


def test_check_strict_on_clean_file_exits_0(capsys):
    assert run(capsys, "check", "--strict", "--no-targets", str(REFERENCE))[0] == 0


JSON_KEYS = {"code", "severity", "message", "file", "line", "column", "help"}


def test_check_json_lists_diagnostics_on_stdout(capsys, tmp_path):
    bad = write(tmp_path / "bad.pipe", BAD)
    warns = write(tmp_path / "warns.pipe", WARNS)
    status, out, err = run(capsys, "check", "--format", "json", str(bad), str(warns))
    assert status == 1
    assert err == ""
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 2
    for item in data:
        assert JSON_KEYS <= set(item)
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
        assert item["help"]
    assert [(d["code"], d["severity"], d["file"]) for d in data] == [
        ("E203", "error", str(bad)), ("W503", "warning", str(warns))]
    assert (data[0]["line"], data[0]["column"]) == (7, 7)


def test_check_json_clean_file_is_empty_array(capsys):
    status, out, err = run(capsys, "check", "--format", "json", "--no-targets", str(REFERENCE))
    assert status == 0
    assert json.loads(out) == []
    assert err == ""


def test_check_missing_file_is_e001(capsys, tmp_path):
    missing = tmp_path / "nope.pipe"
    status, out, err = run(capsys, "check", str(missing))
    assert status == 1
    assert "error[E001]" in err and str(missing) in err
    assert "= help:" in err
    status, out, _err = run(capsys, "check", "--format", "json", str(missing))
    assert status == 1
    (item,) = json.loads(out)
    assert item["code"] == "E001" and item["file"] == str(missing)
    assert item["line"] is None and item["help"]


def test_check_non_utf8_file_is_e001(capsys, tmp_path):
    latin1 = tmp_path / "latin1.pipe"
    latin1.write_bytes(WARNS.replace("abc", "caf\u00e9").encode("latin-1"))
    status, _out, err = run(capsys, "check", str(latin1))
    assert status == 1
    assert "error[E001]" in err and str(latin1) in err
    assert "UTF-8" in err


def test_check_missing_file_does_not_stop_the_others(capsys, tmp_path):
    status, out, err = run(capsys, "check", "--no-targets", str(tmp_path / "nope.pipe"), str(REFERENCE))
    assert status == 1
    assert "E001" in err
    assert f"{REFERENCE}: ok" in out


def test_check_accepts_utf8_byte_order_mark(capsys, tmp_path):
    """Editors on Windows often save UTF-8 with a byte order mark; it is not part of the text."""
    bom = tmp_path / "bom.pipe"
    bom.write_bytes(b"\xef\xbb\xbf" + REFERENCE.read_bytes())
    status, out, err = run(capsys, "check", "--no-targets", str(bom))
    assert (status, err) == (0, "")
    assert f"{bom}: ok" in out


def test_check_crlf_file(capsys, tmp_path):
    crlf = tmp_path / "crlf.pipe"
    crlf.write_bytes(REFERENCE.read_bytes().replace(b"\n", b"\r\n"))
    status, out, err = run(capsys, "check", "--no-targets", str(crlf))
    assert (status, err) == (0, "")


def test_transformer_error_is_a_diagnostic_not_an_internal_error(capsys, tmp_path):
    """An out-of-range port is found while building the tree; it must still be an E206 (exit 1),
    never 'internal error' (exit 3)."""
    bad = write(tmp_path / "port.pipe", PORT)
    status, _out, err = run(capsys, "check", str(bad))
    assert "internal error" not in err
    assert status == 1
    assert "error[E206]" in err and f"{bad}:14:26" in err


# ----------------------------------------------------------------------------- usage


@pytest.mark.parametrize("argv", [
    [],                                   # no command
    ["--bogus"],                          # unknown top-level flag
    ["check", "--bogus", "x.pipe"],       # unknown flag of a subcommand
    ["frobnicate", "x.pipe"],             # unknown subcommand
    ["check"],                            # no files
    ["fmt"],
    ["check", "--format", "yaml", "x.pipe"],
], ids=["no-command", "unknown-flag", "unknown-check-flag", "unknown-command", "check-no-files",
        "fmt-no-files", "bad-format"])
def test_usage_errors_exit_2(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert "usage: pipec" in err
    assert out == ""


def test_version(capsys):
    status, out, _err = run(capsys, "--version")
    assert status == 0
    assert out.strip() == f"pipec {pipec.__version__}"


@pytest.mark.parametrize("argv,mentions", [
    (["--help"], ["check", "fmt", "--version", "Exit status"]),
    (["-h"], ["check", "fmt"]),
    (["check", "--help"], ["--format", "--strict", "FILE"]),
    (["fmt", "--help"], ["--check", "FILE"]),
], ids=["top", "top-short", "check", "fmt"])
def test_help(capsys, argv, mentions):
    status, out, err = run(capsys, *argv)
    assert status == 0
    assert out.startswith("usage: pipec")
    for word in mentions:
        assert word in out
    assert err == ""


# ----------------------------------------------------------------------------- fmt


def test_fmt_check_lists_file_and_writes_nothing(capsys, tmp_path):
    ugly = write(tmp_path / "ugly.pipe", UGLY, old_mtime=True)
    before = snapshot(ugly)
    status, out, _err = run(capsys, "fmt", "--check", str(ugly))
    assert status == 1
    assert f"would reformat {ugly}" in out
    assert snapshot(ugly) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ugly.pipe"]  # no temporary files left


def test_fmt_check_formatted_file_exits_0(capsys, tmp_path):
    tidy = write(tmp_path / "tidy.pipe", canonical(UGLY), old_mtime=True)
    before = snapshot(tidy)
    status, out, _err = run(capsys, "fmt", "--check", str(tidy))
    assert status == 0
    assert "would reformat" not in out
    assert snapshot(tidy) == before


def test_fmt_rewrites_in_place(capsys, tmp_path):
    ugly = write(tmp_path / "ugly.pipe", UGLY, old_mtime=True)
    status, out, _err = run(capsys, "fmt", str(ugly))
    assert status == 0
    assert f"reformatted {ugly}" in out
    text = ugly.read_text(encoding="utf-8")
    assert text != UGLY
    assert "\n  stage build {\n    build web {\n      build \"make\"\n    }\n  }\n" in text
    assert text == canonical(UGLY)
    # the result is itself formatted, and means the same
    assert run(capsys, "fmt", "--check", str(ugly))[0] == 0
    pipeline, _ = pipec.compile_text(text, str(ugly))
    assert [s.name for s in pipeline.stages] == ["build"]


def test_fmt_leaves_formatted_file_alone(capsys, tmp_path):
    tidy = write(tmp_path / "tidy.pipe", canonical(UGLY), old_mtime=True)
    before = snapshot(tidy)
    status, out, _err = run(capsys, "fmt", str(tidy))
    assert status == 0
    assert "reformatted" not in out
    assert snapshot(tidy) == before


def test_fmt_stdin_to_stdout(capsys, monkeypatch, tmp_path):
    status, out, err = run(capsys, "fmt", "-", stdin=UGLY, monkeypatch=monkeypatch)
    assert status == 0
    assert out == canonical(UGLY)
    assert "\n    build web {\n" in out
    assert err == ""
    status, out, _err = run(capsys, "fmt", "--check", "-", stdin=UGLY, monkeypatch=monkeypatch)
    assert status == 1
    assert "would reformat -" in out
    assert list(tmp_path.iterdir()) == []


def test_fmt_syntax_error_exits_1_and_changes_nothing(capsys, tmp_path):
    broken = write(tmp_path / "broken.pipe", BROKEN, old_mtime=True)
    before = snapshot(broken)
    for argv in (["fmt", str(broken)], ["fmt", "--check", str(broken)]):
        status, out, err = run(capsys, *argv)
        assert status == 1
        assert "error[E102]" in err and position_re(broken).search(err)
        assert snapshot(broken) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.pipe"]


def test_fmt_several_files_one_bad(capsys, tmp_path):
    broken = write(tmp_path / "broken.pipe", BROKEN, old_mtime=True)
    ugly = write(tmp_path / "ugly.pipe", UGLY, old_mtime=True)
    before = snapshot(broken)
    status, out, err = run(capsys, "fmt", str(broken), str(ugly))
    assert status == 1
    assert position_re(broken).search(err)
    assert f"reformatted {ugly}" in out
    assert ugly.read_text(encoding="utf-8") == canonical(UGLY)
    assert snapshot(broken) == before


def test_fmt_missing_file_is_e001(capsys, tmp_path):
    status, _out, err = run(capsys, "fmt", str(tmp_path / "nope.pipe"))
    assert status == 1
    assert "E001" in err
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- real processes


def _proc(argv, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stdout and "Traceback" not in proc.stderr
    return proc


def test_subprocess_module_check_ok(tmp_path):
    proc = _proc([sys.executable, "-m", "pipec", "check", str(REFERENCE)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


def test_subprocess_module_check_error_and_json(tmp_path):
    bad = write(tmp_path / "bad.pipe", BAD)
    proc = _proc([sys.executable, "-m", "pipec", "check", "bad.pipe"], tmp_path)
    assert proc.returncode == 1
    assert re.search(r"bad\.pipe:7:7", proc.stderr), proc.stderr
    proc = _proc([sys.executable, "-m", "pipec", "check", "--format", "json", str(bad)], tmp_path)
    assert proc.returncode == 1
    (item,) = json.loads(proc.stdout)
    assert item["code"] == "E203" and item["file"] == str(bad)


def test_subprocess_module_usage_error(tmp_path):
    proc = _proc([sys.executable, "-m", "pipec"], tmp_path)
    assert proc.returncode == 2
    assert "usage: pipec" in proc.stderr


def test_console_script_version_and_fmt_stdin(tmp_path):
    assert CONSOLE_SCRIPT.exists(), f"the pipec console script is not installed at {CONSOLE_SCRIPT}"
    proc = _proc([str(CONSOLE_SCRIPT), "--version"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"pipec {pipec.__version__}"
    proc = _proc([str(CONSOLE_SCRIPT), "fmt", "-"], tmp_path, stdin=UGLY)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == canonical(UGLY)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- explain --code


@pytest.mark.parametrize("code", sorted(CODES))
def test_explain_code_prints_its_documentation(code, capsys):
    assert main(["explain", "--code", code.lower()]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{code}: {CODES[code]}\n")
    assert len(out.splitlines()) > 4  # the explanation, not only the title
    if code not in ("E001", "E303", "E699"):  # every other entry shows an example
        assert "Gives " in out or "An input that gives" in out or "In a terminal:" in out


def test_explain_unknown_code_is_a_usage_error(capsys):
    assert main(["explain", "--code", "E999"]) == 2
    assert "no diagnostic code 'E999'" in capsys.readouterr().err


def test_graph_output_that_cannot_be_written_is_a_usage_error(tmp_path, capsys):
    assert main(["graph", str(REFERENCE), "-o", str(tmp_path)]) == 2
    assert "cannot write" in capsys.readouterr().err


def _subparsers(parser):
    return next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices


def test_the_parser_of_one_command_is_the_full_parsers_part():
    """main builds only the named sub-command's options (issue 18: 2 ms of every start); its help,
    the top-level help and what it parses are those of the full parser."""
    full = build_parser()
    assert set(_subparsers(full)) >= {"check", "build", "init", "playground", "lsp", "completion"}
    for name, whole in _subparsers(full).items():
        alone = build_parser(name)
        assert alone.format_help() == full.format_help()
        assert _subparsers(alone)[name].format_help() == whole.format_help(), name
        others = [p for n, p in _subparsers(alone).items() if n != name]
        assert all(len(p._actions) == 1 for p in others), name  # -h only
    assert vars(build_parser("check").parse_args(["check", "a.pipe", "--no-targets"])) == \
        vars(full.parse_args(["check", "a.pipe", "--no-targets"]))


@pytest.mark.parametrize("columns", [None, "0", "x", "57", "203"])
def test_help_is_as_wide_as_shutil_says(monkeypatch, columns):
    """The help formatter's width is shutil.get_terminal_size's, without importing shutil."""
    import shutil

    from pipec.cli import _terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _terminal_columns() == shutil.get_terminal_size().columns
    assert build_parser()._get_formatter()._width == shutil.get_terminal_size().columns - 2
