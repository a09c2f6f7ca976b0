"""What the command line prints around the diagnostics (issue 28, item 8): colour on terminals
(``--color``, ``NO_COLOR``, ``FORCE_COLOR``), ``--quiet``, and ``pipec build --format json``,
whose shape README.md documents ("Build summary as JSON")."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipec.cli import main
from pipec.cli_build import JSON_KEYS, RESULTS
from pipec.cli_color import wanted

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "examples" / "02-reference.pipe"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# one error (E203, the compute size given twice at line 7) and nothing else
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
# valid, with one warning (W503, a secret-looking plain variable)
WARNS = BAD.replace("      compute small\n      compute large\n", "      env API_TOKEN = \"abc\"\n")


@pytest.fixture
def reference(tmp_path):
    """The reference example copied into the test's folder (the output must be under its root)."""
    copy = tmp_path / "02-reference.pipe"
    copy.write_text(REFERENCE.read_text())
    return str(copy)


@pytest.fixture
def env(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _check(tmp_path, capsys, text, *flags):
    f = tmp_path / "p.pipe"
    f.write_text(text)
    code = main(["check", "--no-targets", str(f), *flags])
    return code, capsys.readouterr()


# -- colour ---------------------------------------------------------------------------------------

def test_no_colour_when_not_a_terminal(tmp_path, capsys, env):
    code, out = _check(tmp_path, capsys, BAD)
    assert code == 1
    assert "error[E203]" in out.err and "\x1b[" not in out.err


def test_force_color_colours_like_rustc(tmp_path, capsys, env):
    env.setenv("FORCE_COLOR", "1")
    code, out = _check(tmp_path, capsys, BAD)
    assert code == 1
    err = out.err
    assert "\x1b[1;31merror[E203]\x1b[0m\x1b[1m: " in err  # severity and code bold red, message bold
    assert "\x1b[1;34m-->\x1b[0m" in err  # the gutter bold blue
    assert re.search(r"\x1b\[1;31m\^+\x1b\[0m", err)  # the caret in the severity's colour
    assert "\x1b[1;34m=\x1b[0m \x1b[1mhelp\x1b[0m: " in err
    # the source line itself is never painted, and without the colour the text is the plain one
    assert "\x1b[1;34m7\x1b[0m \x1b[1;34m|\x1b[0m       compute large\n" in err
    plain_code, plain = _check(tmp_path, capsys, BAD, "--color", "never")
    assert ANSI.sub("", err) == plain.err and plain_code == code


def test_warning_is_yellow(tmp_path, capsys, env):
    code, out = _check(tmp_path, capsys, WARNS, "--color", "always")
    assert code == 0
    assert "\x1b[1;33mwarning[W503]\x1b[0m" in out.err
    assert re.search(r"\x1b\[1;33m\^+\x1b\[0m", out.err)
    assert "\x1b[" not in out.out  # only the diagnostics are coloured, not the summary line


def test_no_color_beats_force_color_and_the_flag_beats_both(tmp_path, capsys, env):
    env.setenv("FORCE_COLOR", "1")
    env.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _check(tmp_path, capsys, BAD)[1].err
    assert "\x1b[" in _check(tmp_path, capsys, BAD, "--color", "always")[1].err
    env.delenv("NO_COLOR")
    assert "\x1b[" not in _check(tmp_path, capsys, BAD, "--color", "never")[1].err


def test_empty_variables_are_not_set():
    class Tty:
        def isatty(self):
            return True

    assert wanted(Tty(), "auto", {"NO_COLOR": ""}) is True
    assert wanted(Tty(), "auto", {"NO_COLOR": "x"}) is False
    assert wanted(Tty(), "auto", {"TERM": "dumb"}) is False
    assert wanted(Tty(), "auto", {"TERM": "dumb", "FORCE_COLOR": "1"}) is True
    assert wanted(object(), "auto", {"FORCE_COLOR": ""}) is False  # no isatty at all: a pipe


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX")
def test_colour_on_a_real_pseudo_terminal_only(tmp_path):
    """The real command with its standard error on a pseudo-terminal: coloured; on a pipe: not."""
    import pty

    f = tmp_path / "bad.pipe"
    f.write_text(BAD)
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    cmd = [sys.executable, "-m", "pipec", "check", "--no-targets", str(f)]
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(cmd, stderr=follower, stdout=subprocess.DEVNULL, env=environ, timeout=60)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    on_tty = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert "\x1b[1;31merror[E203]" in on_tty
    piped = subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=60)
    assert piped.returncode == 1 and "error[E203]" in piped.stderr and "\x1b[" not in piped.stderr


# -- --quiet --------------------------------------------------------------------------------------

def test_quiet_check_prints_diagnostics_only(tmp_path, capsys, env):
    code, out = _check(tmp_path, capsys, WARNS, "-q")
    assert (code, out.out) == (0, "") and "warning[W503]" in out.err
    code, out = _check(tmp_path, capsys, BAD, "--quiet")
    assert (code, out.out) == (1, "") and "error[E203]" in out.err
    code, out = _check(tmp_path, capsys, WARNS)
    assert out.out.startswith(f"{tmp_path / 'p.pipe'}: ok with 1 warning(s)")


def test_quiet_build_and_fmt(tmp_path, capsys, env, reference):
    out = tmp_path / "out"
    assert main(["build", reference, "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["build", reference, "-o", str(out), "--check", "-q"]) == 0
    assert capsys.readouterr().out == ""
    victim = next(p for p in sorted(out.rglob("*.yml")))
    victim.write_text(victim.read_text() + "# edited\n")
    assert main(["build", reference, "-o", str(out), "--check", "-q"]) == 1
    assert f"differs  {victim}" in capsys.readouterr().out  # a finding is not a summary
    f = tmp_path / "w.pipe"
    f.write_text(WARNS.replace("  source", "      source"))
    assert main(["fmt", str(f), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["fmt", "--check", str(f), "-q"]) == 0
    assert capsys.readouterr().out == ""


# -- build --format json --------------------------------------------------------------------------

def _build_json(capsys, *argv):
    code = main(["build", *argv, "--format", "json"])
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert tuple(data) == JSON_KEYS and data["version"] == 1 and data["result"] in RESULTS
    return code, data, out.err


def test_build_json_written_unchanged_removed(tmp_path, capsys, reference):
    out = tmp_path / "out"
    code, data, err = _build_json(capsys, reference, "-o", str(out))
    generated = sorted(str(p) for p in out.rglob("*") if p.is_file() and p.name != "pipec-manifest.json")
    assert code == 0 and err == ""
    assert (data["result"], data["check"], data["output"]) == ("written", False, str(out))
    assert sorted(data["written"]) == generated and data["unchanged"] == [] and data["removed"] == []
    assert all(d["severity"] == "warning" for d in data["diagnostics"])  # the reference builds with warnings

    code, again, _err = _build_json(capsys, reference, "-o", str(out))
    assert code == 0 and again["written"] == [] and sorted(again["unchanged"]) == generated

    code, checked, _err = _build_json(capsys, reference, "-o", str(out), "--check")
    assert (code, checked["result"], checked["check"]) == (0, "up to date", True)
    assert sorted(checked["unchanged"]) == generated and checked["differs"] == checked["missing"] == []


def test_build_json_check_lists_what_differs(tmp_path, capsys, reference):
    out = tmp_path / "out"
    assert main(["build", reference, "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "pipec-manifest.json")
    files[0].write_text("edited\n")
    files[1].unlink()
    code, data, err = _build_json(capsys, reference, "-o", str(out), "--check")
    assert code == 1 and data["result"] == "out of date"
    assert data["differs"] == [str(files[0])] and data["missing"] == [str(files[1])]
    assert "out of date" in err  # the one-line reason stays on standard error


def test_build_json_removed_stale_file(tmp_path, capsys):
    src = tmp_path / "p.pipe"
    src.write_text(WARNS)
    out = tmp_path / "out"
    assert main(["build", str(src), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    before = {str(p) for p in out.rglob("*") if p.is_file()}
    src.write_text(WARNS.replace("pipeline demo", "pipeline other"))
    code, data, _err = _build_json(capsys, str(src), "-o", str(out))
    after = {str(p) for p in out.rglob("*") if p.is_file()}
    assert code == 0 and data["removed"] and set(data["removed"]) == before - after


def test_build_json_failure_carries_the_diagnostics(tmp_path, capsys):
    src = tmp_path / "bad.pipe"
    src.write_text(BAD)
    code, data, err = _build_json(capsys, str(src), "-o", str(tmp_path / "out"))
    assert code == 1 and data["result"] == "failed" and data["written"] == []
    assert [(d["code"], d["line"], d["file"]) for d in data["diagnostics"]] == [("E203", 7, str(src))]
    assert "error[E203]" not in err and "nothing written" in err
    assert not (tmp_path / "out").exists()
    code, data, _err = _build_json(capsys, str(tmp_path / "missing.pipe"), "-o", str(tmp_path / "out"))
    assert code == 1 and [d["code"] for d in data["diagnostics"]] == ["E001"]


def test_build_json_strict_warning_fails(tmp_path, capsys):
    src = tmp_path / "w.pipe"
    src.write_text(WARNS)
    code, data, _err = _build_json(capsys, str(src), "-o", str(tmp_path / "out"), "--strict")
    assert code == 1 and data["result"] == "failed" and data["diagnostics"][0]["code"] == "W503"


def test_build_json_usage_error_prints_no_json(tmp_path, capsys, reference):
    assert main(["build", reference, "--format", "json"]) == 2  # no output folder
    out = capsys.readouterr()
    assert out.out == "" and "output folder" in out.err
    assert main(["build", reference, "-o", str(tmp_path), "--format", "json", "--diff"]) == 2


def test_readme_documents_the_json_keys():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Build summary as JSON", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert tuple(documented) == JSON_KEYS
    for result in RESULTS:
        assert f"`{result}`" in section


def test_build_check_does_not_count_pipecs_own_record(tmp_path, capsys):
    """A renamed pipeline leaves its files stale and new ones missing; the manifest follows them,
    so it is not listed as a file that differs (the build's own summary never lists it)."""
    src = tmp_path / "p.pipe"
    src.write_text(WARNS)
    out = tmp_path / "out"
    assert main(["build", str(src), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    src.write_text(WARNS.replace("pipeline demo", "pipeline other"))
    code, data, err = _build_json(capsys, str(src), "-o", str(out), "--check")
    assert code == 1 and data["result"] == "out of date"
    assert not [p for p in data["differs"] + data["missing"] if p.endswith("pipec-manifest.json")]
    assert data["missing"] and data["stale"]
    (out / "pipec-manifest.json").write_text("{}\n")  # the record alone differs: said
    src.write_text(WARNS)
    code, data, _err = _build_json(capsys, str(src), "-o", str(out), "--check")
    assert code == 1 and [p for p in data["differs"] if p.endswith("pipec-manifest.json")]
