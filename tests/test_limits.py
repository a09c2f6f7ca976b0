"""Bounded resources (issue 23, items 9 and 10): one bounded reader for every input (E002 above
2 MiB), lexing in linear time and memory, and diagnostics that cut long source lines."""

from __future__ import annotations

import io
import sys
import time
import tracemalloc

import pytest
from lark import Lark

from pipec import compile_text
from pipec.cli import main
from pipec.diagnostics import SOURCE_WIDTH, Diagnostics, render_all
from pipec.files import MAX_INPUT_BYTES
from pipec.parser import _grammar_text, _parser, parse

SMALL = """\
pipeline p {
  source app github "o/r" {
    branch main
  }
  stage s {
    build b {
      BODY
    }
  }
}
"""


def pipe(body: str) -> str:
    return SMALL.replace("BODY", body)


def run(capsys, monkeypatch, *argv, stdin: bytes | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


# ----------------------------------------------------------------------------- linear lexing


def _lex(text: str) -> int:
    """Tokenise ``text`` with the real lexer, driven by the real parser (no size check)."""
    lark, post = _parser()
    post.reset()
    return sum(1 for _ in lark.parse_interactive(text).iter_parse())


HOSTILE = {
    # a string of escapes: one loop iteration per escape in the old pattern (610 MB for 5 MB)
    "string": lambda n: pipe('build "' + 'a\\"b' * (n // 4) + '"'),
    # a script with a quote on every line
    "script": lambda n: pipe('build """\n' + 'echo "x"\n' * (n // 9) + '"""'),
    # blank lines, CR LF
    "newlines": lambda n: pipe("\r\n  " * (n // 4) + 'build "make"'),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_lexing_time_grows_linearly(shape):
    """4 MB takes about four times as long as 1 MB (bounded by 8: shared machines are noisy)."""
    small, large = HOSTILE[shape](1_000_000), HOSTILE[shape](4_000_000)

    def best(text):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            _lex(text)
            times.append(time.perf_counter() - start)
        return min(times)

    t_small, t_large = best(small), best(large)
    assert t_large / t_small < 8, (t_small, t_large)
    assert t_large < 2.0


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_lexing_memory_is_linear_and_small(shape):
    """The old patterns kept a backtracking entry per loop iteration (about 100 bytes per
    character); the possessive unrolled ones keep none: the peak is the token's own copy."""
    text = HOSTILE[shape](4_000_000)
    tracemalloc.start()
    try:
        _lex(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(text), f"{peak:,} bytes traced for {len(text):,} characters"


def test_grammar_terminals_are_linear_too():
    """grammar/pipe.lark's own terminal patterns (what lark would compile) match a hostile
    string without a backtracking stack either."""
    lark = Lark(_grammar_text(), parser="lalr", lexer="basic")
    subjects = {"STRING": '"' + 'a\\"' * 300_000 + '"', "VALUE": '"' + 'a\\"' * 300_000 + '"',
                "SCRIPT": '"""' + 'a"' * 300_000 + 'a"""', "_NL": "\r\n \n" * 300_000}
    import re

    for name, subject in subjects.items():
        pattern = re.compile(lark.get_terminal(name).pattern.to_regexp())
        tracemalloc.start()
        try:
            m = pattern.match(subject)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert m is not None and m.end() == len(subject), name
        assert peak < 100_000, f"{name}: {peak:,} bytes traced"


def test_a_long_string_compiles_quickly():
    text = pipe('build "' + 'a\\"b\\\\' * 300_000 + '"')  # 1.8 MB, under the limit
    start = time.perf_counter()
    pipeline, _ = compile_text(text, "big.pipe")
    assert time.perf_counter() - start < 10
    assert pipeline.name == "p"


# ----------------------------------------------------------------------------- the size limit


def test_the_limit_is_well_above_a_2500_action_pipeline():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent.parent / "bench"))
    try:
        import perf
    finally:
        sys.path.pop(0)
    size = len(perf.generate_pipe(2500).encode("utf-8"))
    assert 4 * size < MAX_INPUT_BYTES


def _padded(size: int) -> str:
    """A valid pipeline of exactly ``size`` bytes (comment lines fill it)."""
    base = pipe('build "make"')
    filler = size - len(base)
    lines, left = [], filler
    while left > 0:
        n = min(left, 1000)
        lines.append("#" + "x" * (n - 2) + "\n" if n >= 2 else "\n")
        left -= n
    return "".join(lines) + base


def test_an_input_of_exactly_the_limit_is_accepted(tmp_path, capsys, monkeypatch):
    text = _padded(MAX_INPUT_BYTES)
    assert len(text.encode()) == MAX_INPUT_BYTES
    f = tmp_path / "big.pipe"
    f.write_text(text)
    status, out, err = run(capsys, monkeypatch, "check", str(f))
    assert status == 0, err
    status, out, err = run(capsys, monkeypatch, "check", "-", stdin=text.encode())
    assert status == 0, err


@pytest.mark.parametrize("command", [
    ["check"], ["build", "-o", "OUT"], ["fmt"], ["fmt", "--check"], ["explain"], ["graph"], ["import"],
])
def test_one_byte_over_the_limit_is_E002_for_every_command(tmp_path, capsys, monkeypatch, command):
    f = tmp_path / "big.pipe"
    f.write_text(_padded(MAX_INPUT_BYTES + 1))
    argv = [a.replace("OUT", str(tmp_path / "out")) for a in command] + [str(f)]
    status, out, err = run(capsys, monkeypatch, *argv)
    assert status == 1
    assert "error[E002]: the input is too large" in err
    assert f.read_text() == _padded(MAX_INPUT_BYTES + 1)  # fmt did not touch it
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["check"], ["fmt"], ["import"]])
def test_standard_input_is_bounded_too(capsys, monkeypatch, command):
    status, out, err = run(capsys, monkeypatch, *command, "-", stdin=b" " * (MAX_INPUT_BYTES + 10))
    assert status == 1
    assert "error[E002]" in err


@pytest.mark.parametrize("command", [["check"], ["import"], ["build", "-o", "OUT"]])
def test_dev_zero_is_refused_at_once(tmp_path, command):
    """`check /dev/zero` raised MemoryError (exit 3) and `import /dev/zero` was killed."""
    import subprocess

    argv = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pipec", *argv, "/dev/zero"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1, p.stderr
    assert "error[E002]" in p.stderr and "Traceback" not in p.stderr
    assert time.perf_counter() - start < 30


def test_parse_refuses_a_text_over_the_limit():
    with pytest.raises(Diagnostics) as info:
        parse("#" * (MAX_INPUT_BYTES + 1), "api.pipe")
    assert [d.code for d in info.value.diagnostics] == ["E002"]


# ----------------------------------------------------------------------------- long source lines


def test_a_syntax_error_on_a_long_line_shows_a_window_not_the_line():
    """A 1.5 MB one-line file made E101 echo the word in the message, the line and the caret."""
    word = "x" * 1_500_000
    text = "pipeline p { " + word + " }\n"
    with pytest.raises(Diagnostics) as info:
        compile_text(text, "long.pipe")
    out = render_all(info.value.diagnostics, {"long.pipe": text})
    assert len(out) < 1500, len(out)
    assert "(1,500,000 characters)" in out
    source_line = next(line for line in out.splitlines() if line.startswith("1 | "))
    assert source_line.endswith("...") and len(source_line) <= SOURCE_WIDTH + 10


@pytest.mark.parametrize("column", [1, 60, 5000, 9990])
def test_the_caret_stays_under_the_reported_character(column):
    from pipec.diagnostics import ERROR, Diagnostic, Span, render

    line = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    d = Diagnostic("E101", ERROR, "m", Span(1, column, 1, column + 2), file="f.pipe")
    out = render(d, line + "\n").splitlines()
    shown, caret = out[3][len("1 | "):], out[4][len("  | "):]
    at = caret.index("^")
    assert shown[at:at + 3] == line[column - 1:column + 2]
    assert caret.count("^") == 3
    assert len(shown) <= SOURCE_WIDTH + 6
    assert shown.startswith("...") == (column > SOURCE_WIDTH // 3 + 1)


def test_a_short_line_is_shown_whole():
    from pipec.diagnostics import ERROR, Diagnostic, Span, render

    line = "    build 'x'"
    out = render(Diagnostic("E100", ERROR, "m", Span.point(1, 11), file="f.pipe"), line + "\n").splitlines()
    assert out[3] == "1 | " + line and out[4] == "  | " + " " * 10 + "^"


def test_compile_file_uses_the_bounded_reader(tmp_path):
    from pipec import compile_file

    f = tmp_path / "big.pipe"
    f.write_text(_padded(MAX_INPUT_BYTES + 1))
    with pytest.raises(Diagnostics) as info:
        compile_file(str(f))
    assert [d.code for d in info.value.diagnostics] == ["E002"]
    with pytest.raises(Diagnostics) as info:
        compile_file(str(tmp_path / "missing.pipe"))
    assert [d.code for d in info.value.diagnostics] == ["E001"]
