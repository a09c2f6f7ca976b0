"""Every diagnostic pipec can produce from text, one small input each (tests/errors/*.pipe).

Each file starts with its expectations, one per line and in position order::

    # expect: E203 7:7

followed by the input. The expectation lines are not part of the input: LINE and COL count from
the first line after them, so an empty input (a file holding only expectations) can be tested too.
The test compiles the input with :func:`pipec.compile_text` and checks that exactly the expected
diagnostics come out, at those positions, and that each renders well: ``path:LINE:COL``, the source
line, a caret under the reported column, and a help text written as full sentences.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipec
from support import diagnose
from pipec.diagnostics import CODES, ERROR, IMPORT_CODES, PLATFORM_DIFFERENCES, WARNING, render

ERRORS_DIR = Path(__file__).parent / "errors"
FILES = sorted(ERRORS_DIR.glob("*.pipe"))
REFERENCE = Path(__file__).parent.parent / "examples" / "02-reference.pipe"

_EXPECT = re.compile(r"# expect: ([EW]\d{3}) (\d+):(\d+)")


def load(path: Path) -> tuple[list[tuple[str, int, int]], str]:
    """(expectations, input text). The file is decoded as-is, so CRLF line endings survive."""
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    expected = []
    i = 0
    while i < len(lines) and lines[i].startswith("# expect:"):
        m = _EXPECT.fullmatch(lines[i].rstrip("\r\n"))
        assert m, f"{path.name}: malformed expectation line {lines[i]!r}"
        expected.append((m.group(1), int(m.group(2)), int(m.group(3))))
        i += 1
    return expected, "".join(lines[i:])


def triples(diags) -> list[tuple[str, int | None, int | None]]:
    return [(d.code, d.span.line if d.span else None, d.span.column if d.span else None) for d in diags]


def _id(path: Path) -> str:
    return path.stem


def test_folder_covers_every_code():
    assert len(FILES) >= 40
    covered = {code for f in FILES for code, _, _ in load(f)[0]}
    # E001 (file cannot be read) cannot come from text; tests/test_cli.py covers it. E002 (input
    # too large) needs an input of more than 2 MiB: tests/test_limits.py covers it.
    # Import codes are about YAML/JSON inputs: tests/test_import_cli.py covers them. E412 needs a
    # pipeline of hundreds of actions and points at no line: tests/test_build.py covers it.
    # E003 is about pipec.lock, not a .pipe file: tests/test_pin_lock.py covers it.
    # E700 (no ShellCheck for --lint-scripts) is about the machine: tests/test_script_lint.py covers it.
    missing = set(CODES) - {"E001", "E002", "E003", "E412", "E700"} - IMPORT_CODES - covered
    assert not missing, f"codes without an input in tests/errors: {sorted(missing)}"
    unknown = covered - set(CODES)
    assert not unknown, f"expectations name codes pipec does not have: {sorted(unknown)}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_file_is_well_formed(path):
    expected, _text = load(path)
    assert expected, f"{path.name} has no '# expect:' line"
    assert expected == sorted(expected, key=lambda t: (t[1], t[2], t[0])), "expectations out of order"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_expected_diagnostics(path):
    expected, text = load(path)
    platform = any(code in PLATFORM_DIFFERENCES for code, _, _ in expected)
    diags = diagnose(text, str(path), platform_warnings=platform)
    assert triples(diags) == expected
    for d in diags:
        assert d.code in CODES
        assert d.severity == (ERROR if d.code.startswith("E") else WARNING)
        assert d.file == str(path)
        assert d.message.strip()


def _full_sentences(text: str) -> bool:
    text = text.strip()
    # "pipec" is the tool's name and is always written in lower case.
    return bool(re.match(r"""["'A-Z]|pipec\b""", text)) and bool(re.search(r"""[.?!]["')]?$""", text))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_rendering(path):
    _expected, text = load(path)
    name = f"tests/errors/{path.name}"
    source_lines = text.splitlines() or [""]
    for d in diagnose(text, name):
        out = render(d, text)
        assert out.startswith(f"{d.severity}[{d.code}]: {d.message}")
        line, col = d.span.line, d.span.column
        assert f"{name}:{line}:{col}" in out
        src = source_lines[line - 1].replace("\t", " ")
        rendered = out.splitlines()
        gutter = f"{line} | "
        where = [i for i, ln in enumerate(rendered) if ln == gutter + src or ln == gutter.rstrip() + src]
        assert where, f"source line {line} not shown:\n{out}"
        caret = rendered[where[0] + 1]
        assert "^" in caret, f"no caret line:\n{out}"
        pad = " " * len(str(line)) + " | "
        assert caret.startswith(pad)
        assert caret.index("^") - len(pad) == col - 1, f"caret not under column {col}:\n{out}"
        assert "= help: " in out
        help_text = out.split("= help: ", 1)[1]
        assert help_text.strip() and help_text == d.help
        assert _full_sentences(d.help), f"help is not written as full sentences: {d.help!r}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_crlf_line_endings_change_nothing(path):
    """The same input with CRLF line endings gives the same diagnostics at the same positions."""
    _expected, text = load(path)
    lf = text.replace("\r\n", "\n")
    crlf = lf.replace("\n", "\r\n")

    def outcome(source):
        try:
            return triples(diagnose(source, str(path)))
        except Exception as exc:  # compared, not hidden: test_expected_diagnostics reports crashes
            return type(exc).__name__

    assert outcome(crlf) == outcome(lf)


# ----------------------------------------------------------------------------- specific messages

HELP_MENTIONS = {
    "e100_yaml_colon": "without a colon",
    "e100_single_quotes": "double quotes",
    "e100_brackets_list": "without brackets",
    "e100_comma_list": "not commas",
    "e101_incomplete_statement": "Expected a value",
    "e101_misspelt_keyword": "Did you mean 'stage'?",
    "e101_quoted_name": "without quotes",
    "e101_action_outside_stage": "'stage'",
    "e101_unknown_deploy_target": "'lambda'",
    "e102_missing_closing_brace": "'}'",
    "e102_empty_file": "'pipeline NAME {'",
    "e103_unterminated_string": '"',
    "e103_unterminated_script": '"""',
    "e104_secret_literal": "secret DB_PASSWORD from ssm",
    "e105_keyword_glued_value": "must be followed by a space",
    "e201_unknown_artifact": "Did you mean 'dist'?",
    "e204_unknown_platform_setting": "Did you mean 'project_name'?",
    "e206_unknown_runtime": "Did you mean 'nodejs'?",
}

MESSAGE_MENTIONS = {
    "e101_incomplete_statement": "incomplete",
    "e102_missing_closing_brace": "'pipeline demo {'",
    "e103_unterminated_script": "unterminated script",
    "e105_keyword_glued_action": "'buildweb'",
    "e105_keyword_glued_value": "'ubuntunoble'",
    "e200_duplicate_stage": "'build'",
    "e201_unknown_artifact": "'dst'",
}


@pytest.mark.parametrize("stem", sorted(HELP_MENTIONS))
def test_help_mentions(stem):
    _expected, text = load(ERRORS_DIR / f"{stem}.pipe")
    (first, *_rest) = diagnose(text, stem)
    assert HELP_MENTIONS[stem] in first.help


@pytest.mark.parametrize("stem", sorted(MESSAGE_MENTIONS))
def test_message_mentions(stem):
    _expected, text = load(ERRORS_DIR / f"{stem}.pipe")
    (first, *_rest) = diagnose(text, stem)
    assert MESSAGE_MENTIONS[stem] in first.message


# ----------------------------------------------------------------------------- layout must not matter


def test_reference_example_is_clean():
    text = REFERENCE.read_text(encoding="utf-8")
    assert diagnose(text, str(REFERENCE)) == []


def _with_tabs(text: str) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        out.append("\t" * ((len(line) - len(stripped)) // 2) + stripped)
    return "".join(out)


@pytest.mark.parametrize("variant", ["tabs", "crlf", "tabs+crlf", "no final newline", "blank lines"])
def test_reference_example_layout_variants(variant):
    text = REFERENCE.read_text(encoding="utf-8")
    if "tabs" in variant:
        text = _with_tabs(text)
        assert "\t" in text
    if "crlf" in variant:
        text = text.replace("\n", "\r\n")
    if variant == "no final newline":
        text = text.rstrip("\n")
    if variant == "blank lines":
        text = "\n\n" + text.replace("{\n", "{\n\n") + "\n\n"
    pipeline, warnings = pipec.compile_text(text, "ref.pipe")
    assert warnings == []
    assert pipeline.name == "my-app"
    assert [s.name for s in pipeline.stages] == ["build", "staging", "approval", "production"]


def test_lone_carriage_return_does_not_start_a_line():
    """Found by the deep fuzz run: the end-of-file diagnostic counted a lone CR as a line end
    while the lexer does not, so it pointed at line 2 of a one-line file."""
    (d,) = diagnose("#\r2xlarge ", "cr.pipe")
    assert (d.code, d.span.line, d.span.column) == ("E100", 1, 2)  # a lone CR is E100 since 0.2
    assert "1 | #\ufffd2xlarge" in render(d, "#\r2xlarge ")  # shown, not obeyed by the terminal


def test_without_bash_on_the_path_the_bash_syntax_check_is_skipped(monkeypatch, tmp_path):
    """E210 runs bash by name (pipec.shell_state.syntax); with none on the PATH the check is
    skipped: no E210 and no error of pipec's own."""
    text = (ERRORS_DIR / "e210_unclosed_heredoc.pipe").read_text(encoding="utf-8")
    assert "E210" in [d.code for d in diagnose(text, "e210.pipe")]
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert "E210" not in [d.code for d in diagnose(text, "e210.pipe")]
