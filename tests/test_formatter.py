"""The formatter (``pipec fmt``): round trips, idempotence, comments and the canonical layout.

Properties (hypothesis, trees from tests/strategies.py):

* ``parse(format_pipeline(tree)).pipeline == tree`` for every tree the grammar can express;
* formatting is idempotent: ``format_text(format_pipeline(t)) == format_pipeline(t)``;
* comments and blank lines added anywhere to formatted source survive another formatting, in
  order, trailing comments stay trailing, and the tree does not change;
* mutated example files that still parse also round trip.

Plus every file in examples/ through ``pipec fmt``, and example-based tests of the layout.
"""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import strategies as S
from hypothesis import Phase, event, find, given, settings
from hypothesis.errors import NoSuchExample
from hypothesis import strategies as st

from pipec import ast, cli
from pipec.diagnostics import Diagnostics
from pipec.formatter import format_module, format_pipeline, format_text, value
from pipec.parser import keywords, parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))


def _comment_texts(text: str) -> list[str]:
    return [c.text for c in parse(text).comments]


def _layout_invariants(out: str):
    """Layout rules that hold for any formatted text (script contents aside)."""
    assert out.endswith("\n") and not out.endswith("\n\n"), "exactly one final newline"
    assert "\r" not in out
    lines = out[:-1].split("\n")
    _, inside = _script_lines(lines)
    for c in parse(out).comments:  # keep the code part of each line
        lines[c.line - 1] = lines[c.line - 1][: c.column - 1].rstrip() or "#"
    code = [(i, line) for i, line in enumerate(lines) if i not in inside]
    assert code[0][1] != "", "no blank line at the start"
    for (i, line), (j, nxt) in zip(code, code[1:]):
        if j == i + 1:
            assert not (line == "" and nxt == ""), f"two blank lines in a row at line {j + 1}"
            assert not (line.endswith("{") and nxt == ""), f"blank line after an opening brace at line {j + 1}"
            assert not (line == "" and nxt.strip() == "}"), f"blank line before a closing brace at line {j + 1}"
        assert line == "" or line == line.rstrip(), f"trailing whitespace on line {i + 1}"
        assert not line.startswith(" ") or (len(line) - len(line.lstrip(" "))) % 2 == 0, \
            f"odd indentation on line {i + 1}"


# ----------------------------------------------------------------------------- generated trees


@given(S.pipelines)
def test_format_then_parse_gives_the_same_tree(tree):
    for label in sorted(S.variants(tree)):
        event(label)
    out = format_pipeline(tree)
    assert parse(out).pipeline == tree


@given(S.pipelines)
def test_formatting_is_idempotent(tree):
    out = format_pipeline(tree)
    assert format_text(out) == out
    _layout_invariants(out)


def _script_lines(lines: list[str]) -> tuple[set[int], set[int]]:
    """(lines that open a script, lines inside a script including its closing line). The
    formatter writes a script as ``... \"\"\"`` ending a line and ``\"\"\"`` on a line of its own,
    and no quoted value can produce three quotes in a row, so counting them is enough."""
    opening, inside = set(), set()
    in_script = False
    for i, line in enumerate(lines):
        if in_script:
            inside.add(i)
        if '"""' in line:
            if not in_script:
                opening.add(i)
            in_script = not in_script
    return opening, inside


_comment_text = st.text(S._LINE_CHARS, max_size=20)


@st.composite
def commented_sources(draw):
    """A generated tree and its formatted source with comments (full-line and trailing) and blank
    lines added where they are allowed (never inside a script).
    Returns (tree, source, [(comment text, is trailing)...])."""
    tree = draw(S.pipelines)
    lines = format_pipeline(tree).rstrip("\n").split("\n")
    opening, inside = _script_lines(lines)
    out: list[str] = []
    expected: list[tuple[str, bool]] = []
    for i in range(len(lines) + 1):
        if i not in inside:
            for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
                if draw(st.booleans()):
                    out.append(draw(st.sampled_from(["", "  ", "\t"])))
                else:
                    text = draw(_comment_text)
                    out.append(draw(st.sampled_from(["", "  ", "    ", "\t"])) + "#" + text)
                    expected.append((text.rstrip(), False))
        if i == len(lines):
            break
        line = lines[i]
        if (line.strip() and i not in opening and (i not in inside or line.strip() == '"""')
                and draw(st.integers(0, 3)) == 0):
            text = draw(_comment_text)
            line += draw(st.sampled_from([" ", "  ", "\t"])) + "#" + text
            expected.append((text.rstrip(), True))
        out.append(line)
    return tree, "\n".join(out) + "\n", expected


def _comments_with_kind(text: str) -> list[tuple[str, bool]]:
    lines = text.split("\n")
    return [(c.text, lines[c.line - 1][: c.column - 1].strip() != "") for c in parse(text).comments]


@given(commented_sources())
def test_comments_and_blank_lines_survive_formatting(case):
    tree, source, expected = case
    assert _comments_with_kind(source) == expected  # the test's own premise
    out = format_text(source)
    assert parse(out).pipeline == tree
    assert _comments_with_kind(out) == expected, "comments kept, in order, trailing ones trailing"
    assert format_text(out) == out
    _layout_invariants(out)


def test_strategies_cover_every_node_class_and_variant():
    """Every node class of pipec.ast and every listed field variant comes out of ``pipelines``
    within a few thousand (deterministic) examples, and the first tree using each round trips."""
    labels = {c.__name__ for c in S.NODE_CLASSES} | set(S.REQUIRED_VARIANTS)
    first: dict[str, ast.Pipeline] = {}

    def saw_everything(tree):
        for label in S.variants(tree):
            first.setdefault(label, tree)
        return labels <= first.keys()

    quick = settings(max_examples=3000, phases=[Phase.generate], database=None, derandomize=True)
    try:
        find(S.pipelines, saw_everything, settings=quick)
    except NoSuchExample:
        pass
    assert not labels - first.keys(), f"never generated: {sorted(labels - first.keys())}"

    failures = []
    for label in sorted(labels):
        tree = first[label]
        out = format_pipeline(tree)
        try:
            back = parse(out).pipeline
        except Diagnostics as exc:
            failures.append(f"{label}: does not parse ({exc.diagnostics[0].message}):\n{out}")
        else:
            if back != tree:
                failures.append(f"{label}: parses to a different tree:\n{out}")
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------------------- mutated examples


@given(st.sampled_from(EXAMPLES).flatmap(lambda p: S.mutations(p.read_text(encoding="utf-8"))))
def test_mutated_examples_that_parse_round_trip(text):
    try:
        module = parse(text)
    except Diagnostics:
        return
    out = format_module(module)
    assert parse(out).pipeline == module.pipeline
    assert _comment_texts(out) == [c.text for c in module.comments]
    assert format_text(out) == out


# ----------------------------------------------------------------------------- example files


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_formats_to_an_equal_tree_keeping_comments(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    module = parse(text, str(path))
    out = format_text(text, str(path))
    assert parse(out).pipeline == module.pipeline
    assert format_text(out) == out
    assert _comment_texts(out) == [c.text for c in module.comments]
    _layout_invariants(out)

    # the same through the command line, on a copy
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        assert cli.main(["fmt", str(copy)]) == 0, err.getvalue()
        assert cli.main(["fmt", "--check", str(copy)]) == 0, err.getvalue()
    assert copy.read_text(encoding="utf-8") == out


# ----------------------------------------------------------------------------- canonical layout


def test_indentation_spacing_and_blank_line_between_top_level_blocks():
    src = (
        "pipeline   demo{\n"
        "mode queued\n"
        "variable   V = x\n"
        "  source app github \"o/r\" {\n"
        "      branch  main\n"
        "  }\n"
        "  source lib github \"o/lib\"\n"
        "  stage build {\n"
        "build web {\n"
        "        image ubuntu\n"
        "}\n"
        "  }\n"
        "  aws {\n"
        "  role \"arn:x\"\n"
        "  }\n"
        "}\n"
    )
    assert format_text(src) == (
        "pipeline demo {\n"
        "  mode queued\n"
        "  variable V = x\n"
        "\n"
        "  source app github \"o/r\" {\n"
        "    branch main\n"
        "  }\n"
        "\n"
        "  source lib github \"o/lib\"\n"
        "\n"
        "  stage build {\n"
        "    build web {\n"
        "      image ubuntu\n"
        "    }\n"
        "  }\n"
        "\n"
        "  aws {\n"
        "    role \"arn:x\"\n"
        "  }\n"
        "}\n"
    )


def test_blank_lines_inside_blocks_are_kept_at_most_one():
    src = (
        "pipeline p {\n"
        "  stage s {\n"
        "\n"
        "    build b {\n"
        "      image ubuntu\n"
        "\n\n\n"
        "      compute small\n"
        "      privileged\n"
        "\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    assert format_text(src) == (
        "pipeline p {\n"
        "  stage s {\n"
        "    build b {\n"
        "      image ubuntu\n"
        "\n"
        "      compute small\n"
        "      privileged\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def _build(lines: str) -> str:
    body = "".join(f"      {line}\n" for line in lines.split("\n"))
    return "pipeline p {\n  stage s {\n    build b {\n" + body + "    }\n  }\n}\n"


def test_phase_inline_unless_finally_on_failure_or_too_long():
    src = _build(
        "install {\n"
        "run \"npm ci\"\n"
        "}\n"
        "pre_build \"a\" \"b\"\n"
        "build {\n"
        "run \"make\"\n"
        "finally \"cleanup\"\n"
        "}\n"
        "post_build {\n"
        "run \"x\"\n"
        "on_failure continue\n"
        "}\n"
        + "install " + " ".join(f'"command-number-{i}"' for i in range(6))
    )
    long_cmds = "".join(f'        run "command-number-{i}"\n' for i in range(6))
    assert format_text(src) == (
        "pipeline p {\n  stage s {\n    build b {\n"
        "      install \"npm ci\"\n"
        "      pre_build \"a\" \"b\"\n"
        "      build {\n"
        "        run \"make\"\n"
        "        finally \"cleanup\"\n"
        "      }\n"
        "      post_build {\n"
        "        run \"x\"\n"
        "        on_failure continue\n"
        "      }\n"
        "      install {\n" + long_cmds + "      }\n"
        "    }\n  }\n}\n"
    )


def test_script_blocks_are_reindented():
    src = _build(
        'build """\n'
        "            set -e\n"
        "              make   \n"
        "\n"
        "            echo \"done\"\n"
        '  """'
    )
    out = format_text(src)
    assert out == (
        "pipeline p {\n  stage s {\n    build b {\n"
        '      build """\n'
        "        set -e\n"
        "          make\n"
        "\n"
        '        echo "done"\n'
        '      """\n'
        "    }\n  }\n}\n"
    )
    phase = parse(out).pipeline.body[0].body[0].body[0]
    assert phase.commands == (ast.Command('set -e\n  make\n\necho "done"', script=True),)


def test_values_are_quoted_only_when_needed():
    assert value("main") == "main"
    assert value("ubuntu-24.04") == "ubuntu-24.04"
    assert value("3.12") == "3.12"
    assert value("build") == '"build"'  # a keyword
    assert value("a b") == '"a b"'
    assert value("") == '""'
    assert value("src/**") == '"src/**"'
    assert value('say "hi"\n\t\\') == r'"say \"hi\"\n\t\\"'
    assert all(value(k).startswith('"') for k in keywords())

    src = ('pipeline p {\n  source app github "o/r" {\n    branch "main"\n'
           '    on push branches "release" "tags" "a b" !"x"\n  }\n}\n')
    assert format_text(src) == (
        'pipeline p {\n  source app github "o/r" {\n    branch main\n'
        '    on push branches release "tags" "a b" !x\n  }\n}\n'
    )


def test_strings_are_always_quoted():
    src = ('pipeline p {\n  stage s {\n    approve a {\n      message "ok"\n      url "u"\n    }\n'
           '    transition disabled "why"\n  }\n}\n')
    assert format_text(src) == src


def test_trailing_comments_stay_on_their_line():
    src = (
        "pipeline p {  # the pipeline\n"
        "  mode queued    # how runs overlap\n"
        "  stage s {\n"
        "    build b {\n"
        "      image ubuntu  #\tubuntu image\n"
        "    }  # end of build\n"
        "  }\n"
        "}  # end\n"
    )
    out = format_text(src)
    assert out == (
        "pipeline p {  # the pipeline\n"
        "  mode queued  # how runs overlap\n"
        "\n"
        "  stage s {\n"
        "    build b {\n"
        "      image ubuntu  #\tubuntu image\n"
        "    }  # end of build\n"
        "  }\n"
        "}  # end\n"
    )


def test_trailing_comment_on_the_pipeline_line_adds_no_blank_line():
    """No blank line after an opening brace, whether or not a comment ends its line (the blank
    line between top-level blocks is *between* blocks)."""
    src = (
        "pipeline p {  # the pipeline\n"
        "  stage s {  # the stage\n"
        "    approve a {\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    assert format_text(src) == src


def test_comments_around_on_failure_stay_in_place():
    """``on_failure`` is the one line of a phase block without a node of its own; comments on it
    and before it must still stay where they are (and formatting stay idempotent)."""
    trailing = _build(
        "install {\n"
        "  run \"x\"\n"
        "  on_failure abort  # why we stop\n"
        "}"
    )
    assert format_text(trailing) == trailing
    leading = _build(
        "install {\n"
        "  run \"x\"\n"
        "  # about on_failure\n"
        "  on_failure abort\n"
        "}"
    )
    assert format_text(leading) == leading
    assert format_text(format_text(leading)) == format_text(leading)


def test_comment_before_closing_brace_and_around_the_pipeline_are_kept():
    src = (
        "# header\n"
        "\n"
        "pipeline p {\n"
        "  stage s {\n"
        "    build b {\n"
        "      image ubuntu\n"
        "        # last words of the build\n"
        "    }\n"
        "  # last words of the stage\n"
        "  }\n"
        "}\n"
        "# footer\n"
    )
    assert format_text(src) == (
        "# header\n"
        "\n"
        "pipeline p {\n"
        "  stage s {\n"
        "    build b {\n"
        "      image ubuntu\n"
        "      # last words of the build\n"
        "    }\n"
        "    # last words of the stage\n"
        "  }\n"
        "}\n"
        "# footer\n"
    )


def test_crlf_input_is_normalised():
    src = (
        "pipeline p {\n"
        "  stage s {  # c\n"
        "    build b {\n"
        '      build """\n'
        "        make\n"
        "          all\n"
        '      """\n'
        "    }\n"
        "  }\n"
        "}\n"
    )
    crlf = src.replace("\n", "\r\n")
    out = format_text(crlf)
    assert "\r" not in out
    assert out == format_text(src) == src
    assert parse(crlf).pipeline == parse(src).pipeline
    assert [c.text for c in parse(crlf).comments] == [" c"]
