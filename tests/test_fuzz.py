"""Fuzzing the front end: no input makes pipec fail with anything but diagnostics.

(a) random text from an alphabet weighted towards the language (keywords, braces, quotes, newlines,
``!``, ``=``, ``#``, digits, ``%``, unicode and control characters), and (b) random token-level
mutations of the example files must each either compile / format cleanly or raise
:class:`pipec.diagnostics.Diagnostics`, whose diagnostics have a known code and, when they point
somewhere, a line that exists (and the rendered message shows that line). A sample of mutated
files also goes through ``pipec check`` (and ``pipec fmt --check``) in-process: exit status 0
or 1, never an internal error or a traceback.

Example counts scale with the Hypothesis profile (tests/conftest.py): ~300 per property by
default, 15,000 with ``PIPEC_DEEP=1``.
"""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import strategies as S
from hypothesis import currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

import pipec
from pipec import cli
from pipec.diagnostics import CODES, Diagnostics, render, source_lines
from pipec.formatter import format_text

ROOT = Path(__file__).resolve().parent.parent
# the examples, and the exercise that defines and uses templates in one file (shared definitions)
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in [*sorted((ROOT / "examples").glob("*.pipe")),
                                                          ROOT / "examples" / "exercises" / "12-python-checks-template.pipe"]]

#: PIPEC_FUZZ_EXAMPLES overrides the count per property (the deep run: 30,000 each, with PIPEC_DEEP=1)
_COUNT = os.environ.get("PIPEC_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_COUNT) if _COUNT else max(1, int(settings().max_examples * 1.5)))  # 300 / 15,000
CLI = settings(max_examples=max(1, settings().max_examples // 4))  # 50 / 2,500


def _event(label: str):
    if currently_in_test_context():  # check_text is also handy outside Hypothesis
        event(label)


def _printable(text: str) -> str:
    """The visible characters (the renderer shows control characters as U+FFFD)."""
    return "".join(c for c in text if c.isprintable() and c != "\ufffd")


def _lines_in(text: str) -> int:
    return text.count("\n") + 1


def assert_clean_or_diagnostics(fn, text: str):
    """``fn(text)`` either returns or raises Diagnostics with well-formed diagnostics."""
    try:
        fn(text)
        _event(f"{fn.__name__}: ok")
    except Diagnostics as exc:
        _event(f"{fn.__name__}: first error {exc.diagnostics[0].code if exc.diagnostics else '-'}")
        assert exc.diagnostics, "Diagnostics raised with no diagnostic in it"
        n = _lines_in(text)
        lines = text.split("\n")
        for d in exc.diagnostics:
            assert d.code in CODES, f"unknown code {d.code}: {d}"
            if d.file not in ("", "<input>"):  # in a file a 'use' line named: rendered from that file
                _event("a diagnostic in a used file")
                continue
            shown = render(d, text)  # must not raise either
            if d.span is not None:
                assert 1 <= d.span.line <= n, f"line {d.span.line} outside 1..{n}: {d}"
                assert d.span.line <= d.span.end_line <= n, f"end line {d.span.end_line} outside: {d}"
                assert d.span.column >= 1, d
                # the excerpt under the message comes from the line the span points at (how
                # control characters in it are shown is not checked)
                gutter = f"{d.span.line} | "
                excerpt = [ln[len(gutter):] for ln in shown.split("\n") if ln.startswith(gutter)]
                want = _printable(lines[d.span.line - 1].replace("\t", " "))
                if want:
                    # a long line is shown as a window, cut with "..." at either end
                    got = _printable(excerpt[0]) if excerpt else ""
                    # (the window is cut by the line's length, control characters included)
                    long = len(source_lines(text)[d.span.line - 1]) > 120
                    cut_start, cut_end = got.startswith("...") and long, got.endswith("...") and long
                    got = got[3 if cut_start else 0:len(got) - 3 if cut_end else len(got)]
                    assert excerpt and (got in want if cut_start else want.startswith(got)), (d, shown)


def check_text(text: str):
    assert_clean_or_diagnostics(pipec.compile_text, text)
    assert_clean_or_diagnostics(format_text, text)


# ----------------------------------------------------------------------------- (a) random text

_PIECES = st.one_of(
    st.sampled_from(S.KEYWORDS).map(lambda k: k + " "),
    st.sampled_from(S.KEYWORDS),
    st.sampled_from(["{", "}", "{\n", "}\n", "\n", "\n", "\n  ", " ", " ", "\t", '"', '"', '"""', '"""\n',
                     "!", "=", "#", "# c\n", "%", "\\", "\\n", '\\"', "\r\n", "\r"]),
    st.sampled_from(["0", "1", "5m", "10%", "3000", "65536", "0s", "99999999999999999999d", "3.12"]),
    st.sampled_from(["web", "main", "my-app", "_x", "a.b", "src/**", "arn:aws:x", "${{ x }}"]),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),  # unicode, controls included
    st.sampled_from(["\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "é", "☃", "𝄞"]),
)

random_texts = st.builds(
    lambda prefix, pieces: prefix + "".join(pieces),
    st.sampled_from(["", "", "pipeline p {\n", "pipeline p {\n  stage s {\n    build b {\n"]),
    st.lists(_PIECES, max_size=60),
)


@FUZZ
@given(random_texts)
# Found by the deep run: line breaks other than \n (\r, \f, U+2028...) inside a comment made the
# end-of-file error point past the last line, and the rendered excerpt show the wrong line
# (str.splitlines() counts lines differently from the lexer).
@example("#\rx")
@example("pipeline p {\n  # a\u2028b\n  bogus\n}\n")
# found by the deep run: a control character in a line just over the window's width
@example("2xlarge min_healthy 2xlargefrom{{{webweb\x082xlarge 2xlarge 2xlarge 2xlarge 2xlarge 2xlarge "
         "before_allow_traffic 2xlarge{{{{")
def test_random_text_gives_a_result_or_diagnostics(text):
    check_text(text)


# ----------------------------------------------------------------------------- (b) mutated examples

mutated_examples = st.builds(
    lambda text, crlf: text.replace("\n", "\r\n") if crlf else text,
    st.sampled_from(EXAMPLE_TEXTS).flatmap(S.mutations),
    st.integers(0, 9).map(lambda n: n == 0),
)


@FUZZ
@given(mutated_examples)
def test_mutated_examples_give_a_result_or_diagnostics(text):
    check_text(text)


@CLI
@given(mutated_examples, st.sampled_from([["check"], ["check", "--format", "json"], ["check", "--strict"],
                                          ["fmt", "--check"]]))
def test_cli_on_mutated_examples_exits_0_or_1(text, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fuzz.pipe")
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = cli.main([*command, path])
        with open(path, encoding="utf-8", newline="") as fh:
            assert fh.read() == text, "fmt --check must not write"
    for stream in (out.getvalue(), err.getvalue()):
        assert "internal error" not in stream, stream
        assert "Traceback" not in stream, stream
    assert status in (0, 1), (status, err.getvalue())


def test_examples_are_not_empty():
    assert EXAMPLE_TEXTS, "examples/*.pipe is what the mutation fuzzer starts from"


# ----------------------------------------------------------------------------- (c) the targets


@FUZZ
@given(mutated_examples)
def test_targets_on_mutated_examples_give_files_or_diagnostics(text):
    """A mutated example that passes the checker must build on every target, or the target must
    refuse it with coded diagnostics (E407-E410); never an internal error."""
    from pipec.build import EmitContext, generate
    from pipec.targets import TARGETS

    try:
        pipeline, _warnings = pipec.compile_text(text, "fuzz.pipe")
    except Diagnostics:
        _event("targets: rejected by the checker")
        return
    try:
        files = generate(pipeline, EmitContext(source="fuzz.pipe", prefix="ci"), list(TARGETS))
    except Diagnostics as exc:
        assert exc.diagnostics and all(d.code in CODES for d in exc.diagnostics)
        _event(f"targets: refused with {exc.diagnostics[0].code}")
        return
    _event("targets: built")
    assert any(path.endswith(".template.yaml") for path in files)
    assert all("Generated by pipec from fuzz.pipe " in text.split("\n", 1)[0] for path, text in files.items()
               if path != ".github/pipec/phases.sh")  # one file for every pipeline of the repository
