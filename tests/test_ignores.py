"""Per-code control of warnings (pipec.ignores): ``--select``/``--ignore`` on ``check`` and
``build``, inline ``# pipec: ignore[CODE]`` comments, and W106 for a comment that silences nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipec.cli import main
from pipec.ignores import BadSelection, FileFilter, Selection

REFERENCE = Path(__file__).parent.parent / "examples" / "02-reference.pipe"
# examples/02-reference.pipe gives W509 on line 7 and W508 on line 41


def _codes(err: str) -> list[str]:
    import re

    return re.findall(r"warning\[(W\d+)\]", err)


def _copy(tmp_path, edit=None) -> Path:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    if edit:
        for number, comment in edit.items():
            lines[number - 1] = lines[number - 1].rstrip("\n") + "  " + comment + "\n"
    path = tmp_path / "p.pipe"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_reference_warnings_as_the_tests_assume(capsys):
    assert main(["check", str(REFERENCE)]) == 0
    assert sorted(_codes(capsys.readouterr().err)) == ["W508", "W509"]


@pytest.mark.parametrize("options,shown", [
    (["--ignore", "W508"], ["W509"]),
    (["--ignore", "W508,W509"], []),
    (["--ignore", "W50"], []),
    (["--select", "W509"], ["W509"]),
    (["--select", "E,W5"], ["W508", "W509"]),
    # the more specific selector wins (ruff's rule)
    (["--select", "W5", "--ignore", "W508"], ["W509"]),
    (["--ignore", "W5", "--select", "W508"], ["W508"]),
    # the same prefix in both: --ignore wins
    (["--select", "W508", "--ignore", "W508"], []),
])
def test_select_and_ignore_on_check(capsys, options, shown):
    assert main(["check", str(REFERENCE), *options]) == 0
    assert sorted(_codes(capsys.readouterr().err)) == shown


def test_ignored_warnings_do_not_fail_strict(capsys, tmp_path):
    assert main(["check", "--strict", str(REFERENCE)]) == 1
    assert main(["check", "--strict", "--ignore", "W508,W509", str(REFERENCE)]) == 0
    path, out = _copy(tmp_path), tmp_path / "out"
    assert main(["build", "--strict", str(path), "-o", str(out)]) == 1
    assert not out.exists()
    capsys.readouterr()
    assert main(["build", "--strict", "--ignore", "W508,W509", str(path), "-o", str(out)]) == 0
    assert _codes(capsys.readouterr().err) == []
    assert main(["build", "--check", "--ignore", "W509", str(path), "-o", str(out)]) == 0
    assert _codes(capsys.readouterr().err) == ["W508"]


@pytest.mark.parametrize("value", ["E201", "E", "W508,E2"])
def test_errors_cannot_be_ignored(capsys, value):
    assert main(["check", str(REFERENCE), "--ignore", value]) == 2
    err = capsys.readouterr().err
    assert "errors cannot be ignored" in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--ignore", "--select"])
def test_unknown_code_is_a_usage_error(capsys, option, tmp_path):
    assert main(["build", str(_copy(tmp_path)), "-o", str(tmp_path / "out"), option, "W9"]) == 2
    assert "W9 is no diagnostic code" in capsys.readouterr().err


def test_select_never_hides_errors():
    sel = Selection.from_options("W508", None)
    assert sel.reports("E201") and sel.reports("W508") and not sel.reports("W509")
    with pytest.raises(BadSelection):
        Selection.from_options(None, "E")


def test_inline_comment_silences_its_line(capsys, tmp_path):
    path = _copy(tmp_path, {41: "# pipec: ignore[W508]"})
    assert main(["check", "--strict", "--ignore", "W509", str(path)]) == 0
    assert _codes(capsys.readouterr().err) == []
    out = tmp_path / "out"
    assert main(["build", "--strict", "--ignore", "W509", str(path), "-o", str(out)]) == 0
    assert _codes(capsys.readouterr().err) == []


def test_inline_comment_on_another_line_silences_nothing(capsys, tmp_path):
    path = _copy(tmp_path, {40: "# pipec: ignore[W508]"})
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert sorted(_codes(err)) == ["W106", "W508", "W509"]
    assert "no W508 on this line" in err and f"{path}:40:" in err


def test_unused_comment_reported_by_build_and_fails_strict(capsys, tmp_path):
    path = _copy(tmp_path, {7: "# pipec: ignore[W509, W500]"})
    assert main(["build", "--strict", str(path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert sorted(_codes(err)) == ["W106", "W508"]
    assert "no W500 on this line" in err


def test_unused_not_judged_for_targets_that_did_not_run(capsys, tmp_path):
    path = _copy(tmp_path, {41: "# pipec: ignore[W508]"})
    assert main(["check", "--no-targets", str(path)]) == 0
    assert "W106" not in capsys.readouterr().err
    assert main(["check", "--target", "aws", str(path)]) == 0
    assert "W106" not in capsys.readouterr().err
    # but a teaching warning the checker gives is judged either way
    path = _copy(tmp_path, {41: "# pipec: ignore[W500]"})
    assert main(["check", "--no-targets", str(path)]) == 0
    assert "W106" in capsys.readouterr().err


def test_ignore_w106_turns_the_report_off(capsys, tmp_path):
    path = _copy(tmp_path, {40: "# pipec: ignore[W508]"})
    assert main(["check", "--ignore", "W106", str(path)]) == 0
    assert "W106" not in capsys.readouterr().err


def test_comment_inside_a_script_or_string_is_not_an_ignore():
    text = 'pipeline p {\n  x "a # pipec: ignore[W508]"\n  y """\n# pipec: ignore[W508]\n"""  # pipec: ignore[W509]\n}\n'
    f = FileFilter(text, "p.pipe")
    assert sorted(f.comments) == [5]


def test_a_file_without_an_ignore_comment_is_not_lexed_again(monkeypatch):
    """Finding the comments lexes the whole file; without the words '# pipec: ignore' (in any
    case, any spacing) anywhere, there is nothing to find."""
    import pipec.lexer

    def lex(text):
        raise AssertionError("lexed")

    monkeypatch.setattr(pipec.lexer, "comments", lex)
    text = 'pipeline p {\n  # a comment\n  x "# pipec ignores nothing here"\n}\n'
    assert FileFilter(text, "p.pipe").comments == {}
    monkeypatch.undo()
    for spelled in ("# pipec: ignore[W508]", "#PIPEC:IGNORE[W508]", "#  Pipec:\tIgnore [W508]"):
        assert sorted(FileFilter(text.replace("# a comment", spelled), "p.pipe").comments) == [2], spelled


def test_error_code_in_comment_is_reported(capsys, tmp_path):
    path = _copy(tmp_path, {41: "# pipec: ignore[E201, W508]"})
    assert main(["check", "--format", "json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the error E201, which cannot be ignored" in out
