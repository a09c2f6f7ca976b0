"""docs/tutorial.md stays true to the examples, the exercises and what pipec generates.

- Every exercise solution in examples/exercises/ passes ``pipec check --strict`` (no errors, no
  warnings) and builds for both targets.
- Every solution is linked from the tutorial, and every file the tutorial links or names exists.
- The lessons are the topics of a CI/CD course, in the course's order, one ``## Lesson N:``
  heading each, and each lesson has what the tutorial promises: its example, the commands, its
  exercise, and (lessons 1 to 9) excerpts of the template and of the workflow.
- Every excerpt (a fenced block preceded by a line "From `PATH`") is really in PATH: the
  block, cut at its ``...`` lines, is a sequence of pieces found in the file in that order. Every
  ```yaml block is such an excerpt, of a golden file.
- The troubleshooting lesson's output is what ``pipec check`` really prints for its broken file,
  and lesson 9's warnings are what pipec gives for its first attempt.
- When pipec.graph exists, every ```mermaid block is ``pipec.graph.render(example, "mermaid")``
  of its lesson's example.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import pipec
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
EXERCISES = ROOT / "examples" / "exercises"
SOLUTIONS = sorted(EXERCISES.glob("*.pipe"))

# The topics of the course (the seed module's sections), in its order: (heading words, exercise).
TOPICS = [
    ("CI/CD fundamentals", "01-"),
    ("Source stage and triggers", "02-"),
    ("Builds and the buildspec", "03-"),
    ("CodeDeploy and the appspec", "04-"),
    ("Pipelines and approvals", "05-"),
    ("Deployment strategies", "06-"),
    ("GitHub Actions vs CodePipeline", "07-"),
    ("Artifacts and CodeArtifact", "08-"),
    ("Best practices", "09-"),
    ("Troubleshooting failed runs", "10-"),
    ("Many accounts and Regions", "11-"),  # issue 27, beyond the seed module's sections
    ("Shared definitions", "12-"),  # issue 26: templates kept in a library
]

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_LESSON = re.compile(r"^## Lesson (\d+): (.+?)\s*$", re.M)
_FROM = re.compile(r"From `([^`]+)`")


def _text() -> str:
    return TUTORIAL.read_text(encoding="utf-8")


def lessons(text: str) -> list[tuple[int, str, str]]:
    """(number, title, body) of every ``## Lesson N: title`` section, in document order."""
    heads = list(_LESSON.finditer(text))
    out = []
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        nxt = re.search(r"^## ", text[m.end():end], re.M)  # a later non-lesson '## ' heading
        body = text[m.end(): m.end() + nxt.start()] if nxt else text[m.end():end]
        out.append((int(m.group(1)), m.group(2), body))
    return out


def blocks(text: str) -> list[tuple[str, str, str | None]]:
    """(info string, body, path) of every fenced block; path is the last "From `PATH`" of the
    paragraph just before the block (the lines since the previous blank line), or None."""
    out = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").split("\n\n")[-1]
        if before.lstrip().startswith("```"):  # the block right after another block
            before = ""
        named = _FROM.findall(" ".join(before.split()))
        out.append((m.group(1), m.group(2), named[-1] if named else None))
    return out


def excerpt_problem(excerpt: str, whole: str) -> str | None:
    """None when ``excerpt``, cut at its ``...`` lines, is pieces of ``whole`` in that order;
    else the first piece that is not found (after the previous one)."""
    pieces, current = [], []
    for line in excerpt.splitlines(keepends=True):
        if line.strip() == "...":
            pieces.append("".join(current))
            current = []
        else:
            current.append(line)
    pieces.append("".join(current))
    pos = 0
    for piece in pieces:
        if not piece.strip():
            continue
        # a piece stands for whole lines: it must start at the start of a line of the file
        found = -1
        start = pos
        while True:
            i = whole.find(piece, start)
            if i < 0 or i == 0 or whole[i - 1] == "\n":
                found = i
                break
            start = i + 1
        if found < 0:
            return piece
        pos = found + len(piece)
    return None


def example_of(body: str) -> Path:
    """The lesson's example: the first examples/NN-*.pipe it links (not an exercise), or a
    pipeline of a folder example (examples/NN-name/FILE.pipe)."""
    m = re.search(r"\]\(\.\./(examples/\d\d-[\w-]+(?:/[\w-]+)?\.pipe)\)", body)
    assert m, "the lesson links no example"
    return ROOT / m.group(1)


# ----------------------------------------------------------------------------- the solutions


def test_there_is_one_solution_per_lesson():
    assert [p.name[:3] for p in SOLUTIONS] == [prefix for _title, prefix in TOPICS]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_passes_check_strict(path):
    try:
        _pipeline, warnings = pipec.compile_file(str(path))
    except Diagnostics as exc:
        pytest.fail("\n".join(f"{d.code} {d.span.line if d.span else ''}: {d.message}" for d in exc.diagnostics))
    assert not warnings, [f"{d.code}: {d.message}" for d in warnings]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_builds_for_both_targets(path):
    pipeline, _ = pipec.compile_file(str(path))
    try:
        files = generate(pipeline, EmitContext(source=path.name, prefix=""), ["aws", "github"])
    except Diagnostics as exc:
        pytest.fail("\n".join(f"{d.code}: {d.message}" for d in exc.diagnostics))
    names = list(files)
    assert any(n.startswith("aws/") and n.endswith(".template.yaml") for n in names), names
    assert any(n.startswith(".github/workflows/") for n in names), names


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_differs_from_every_example(path):
    """A solution is a change, not a copy: its pipeline is not any example's."""
    mine = _strip_comments(path.read_text(encoding="utf-8"))
    for example in sorted((ROOT / "examples").glob("*.pipe")):
        assert mine != _strip_comments(example.read_text(encoding="utf-8")), f"{path.name} is {example.name}"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#")[0].rstrip() for line in text.splitlines() if line.split("#")[0].strip())


# ----------------------------------------------------------------------------- links


def test_every_solution_is_linked():
    text = _text()
    for path in SOLUTIONS:
        assert f"(../examples/exercises/{path.name})" in text, f"docs/tutorial.md never links {path.name}"


def test_every_linked_or_named_file_exists():
    text = _text()
    targets = re.findall(r"\]\((\.\./[^)#\s]+|[\w.-]+\.md)(?:#[^)]*)?\)", text)
    named = [p for _info, _body, p in blocks(text) if p]
    assert len(targets) > 30 and len(named) > 20
    missing = [t for t in targets if not (TUTORIAL.parent / t).exists()]
    missing += [p for p in named if not (ROOT / p).exists()]
    assert not missing, missing


# ----------------------------------------------------------------------------- the lessons


def test_lessons_follow_the_course():
    found = [(n, title) for n, title, _body in lessons(_text())]
    assert [n for n, _ in found] == list(range(1, len(TOPICS) + 1)), found
    for (n, title), (topic, _prefix) in zip(found, TOPICS):
        assert title == topic, f"lesson {n} is {title!r}; the course's topic {n} is {topic!r}"


def test_table_of_contents_lists_the_lessons():
    text = _text()
    for n, title, _body in lessons(text):
        anchor = re.sub(r"[^\w\- ]", "", f"lesson {n}: {title}".lower()).replace(" ", "-")
        assert f"(#{anchor})" in text, f"no link to #{anchor}"


@pytest.mark.parametrize("n,topic,prefix", [(i + 1, t, p) for i, (t, p) in enumerate(TOPICS)])
def test_lesson_has_its_parts(n, topic, prefix):
    body = {num: b for num, _title, b in lessons(_text())}[n]
    assert "**Goal.**" in body
    example = example_of(body)
    assert example.exists()
    assert f"**Exercise {n}.**" in body
    assert re.search(rf"\(\.\./examples/exercises/{prefix}[\w-]+\.pipe\)", body), "no link to the solution"
    for command in ("pipec check", "pipec build", "pipec explain"):
        assert command in body, f"lesson {n} does not show '{command}'"
    named = [p for info, _b, p in blocks(body) if p and info != "text"]
    if n <= 9:
        stem = example.stem
        assert any(p.startswith(f"tests/golden/{stem}/aws/") and p.endswith(".template.yaml") for p in named), \
            f"lesson {n} has no excerpt of {stem}'s template"
        assert any(p.startswith(f"tests/golden/{stem}/.github/workflows/") for p in named), \
            f"lesson {n} has no excerpt of {stem}'s workflow"
        assert any(info in ("pipe", "pipe-snippet") for info, _b, _p in blocks(body)), "no .pipe source"


def test_build_and_deploy_lessons_show_buildspec_and_appspec():
    by_n = {n: body for n, _title, body in lessons(_text())}
    assert any("/buildspec/" in (p or "") for _i, _b, p in blocks(by_n[3]))
    assert any("/appspec/" in (p or "") for _i, _b, p in blocks(by_n[4]))


# ----------------------------------------------------------------------------- excerpts


def _excerpts():
    for n, (info, body, path) in enumerate(blocks(_text())):
        if path:
            yield pytest.param(info, body, path, id=f"{n}-{Path(path).name}")


def test_every_yaml_block_is_a_golden_excerpt():
    text = _text()
    yaml_blocks = [(body, path) for info, body, path in blocks(text) if info == "yaml"]
    assert len(yaml_blocks) >= 20
    for body, path in yaml_blocks:
        assert path, f"a ```yaml block is not preceded by 'From `tests/golden/...`':\n{body[:200]}"
        assert path.startswith("tests/golden/"), path


@pytest.mark.parametrize("info,body,path", list(_excerpts()))
def test_excerpt_is_in_its_file(info, body, path):
    file = ROOT / path
    assert file.is_file(), f"{path} does not exist"
    problem = excerpt_problem(body, file.read_text(encoding="utf-8"))
    assert problem is None, f"not in {path} (in this order):\n{problem}"


def test_excerpt_check_can_fail():
    whole = "a:\n  b: 1\n  c: 2\nd:\n  e: 3\n"
    assert excerpt_problem("  b: 1\n...\n  e: 3\n", whole) is None
    assert excerpt_problem("  e: 3\n...\n  b: 1\n", whole) == "  b: 1\n"  # out of order
    assert excerpt_problem("  b: 2\n", whole) == "  b: 2\n"  # changed
    assert excerpt_problem("b: 1\n", whole) == "b: 1\n"  # not whole lines (indentation lost)


# ----------------------------------------------------------------------------- diagnostics shown


def _lesson(n: int) -> str:
    return {num: body for num, _title, body in lessons(_text())}[n]


def test_troubleshooting_output_is_real(tmp_path, monkeypatch, capsys):
    from pipec.cli import main

    body = _lesson(10)
    fences = [(info, b) for info, b, _p in blocks(body)]
    broken = next(b for info, b in fences if info == "pipe-snippet" and b.startswith("pipeline "))
    shown = next(b for info, b in fences if info == "text" and "error[" in b)
    (tmp_path / "my-app.pipe").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status = main(["check", "my-app.pipe"])
    out, err = capsys.readouterr()
    assert status == 1
    assert shown == err + out, "the output shown in lesson 10 is not what 'pipec check my-app.pipe' prints"
    # every code shown is explained by its fix in the solution
    solution = (EXERCISES / "10-fix-the-pipeline.pipe").read_text(encoding="utf-8")
    for code in re.findall(r"^(?:error|warning)\[(\w+)\]", shown, re.M):
        assert code in solution, f"the solution's comment does not mention {code}"


def test_shared_definitions_output_is_real(tmp_path, monkeypatch, capsys):
    """Lesson 12's misspelt argument, put into the example's billing.pipe beside its library,
    gives what the lesson shows."""
    import shutil

    from pipec.cli import main

    fences = [(info, b) for info, b, _p in blocks(_lesson(12))]
    use = next(b for info, b in fences if info == "pipe-snippet" and "pyhton_version" in b)
    shown = next(b for info, b in fences if info == "text" and "error[" in b)
    example = ROOT / "examples" / "15-shared-template"
    (tmp_path / ".git").mkdir()
    shutil.copytree(example / "lib", tmp_path / "lib")
    good = (example / "billing.pipe").read_text(encoding="utf-8")
    start = good.index("  use python-service {")
    end = good.index("  }\n", start) + len("  }\n")
    (tmp_path / "billing.pipe").write_text(good[:start] + use + good[end:], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "billing.pipe"]) == 1
    out, err = capsys.readouterr()
    assert shown == err + out, "the output shown in lesson 12 is not what 'pipec check billing.pipe' prints"


def test_best_practice_warnings_are_real():
    body = _lesson(9)
    fences = [(info, b) for info, b, _p in blocks(body)]
    attempt = next(b for info, b in fences if info == "pipe-snippet" and b.startswith("  stage production"))
    shown = next(b for info, b in fences if info == "text")
    base = (ROOT / "examples" / "06-parallel-tests.pipe").read_text(encoding="utf-8").rstrip()
    assert base.endswith("}")
    text = base[:-1] + "\n" + attempt + "}\n"
    _pipeline, warnings = pipec.compile_text(text, "search-api.pipe")
    headlines = [f"warning[{d.code}]: {d.message}" for d in warnings]
    assert headlines == shown.strip().splitlines()


# ----------------------------------------------------------------------------- graphs


def _mermaid_blocks():
    for n, _title, body in lessons(_text()):
        for i, (info, block, _p) in enumerate(blocks(body)):
            if info == "mermaid":
                yield pytest.param(n, block, id=f"lesson{n}-{i}")


@pytest.mark.skipif(importlib.util.find_spec("pipec.graph") is None, reason="pipec.graph does not exist yet")
@pytest.mark.parametrize("n,block", list(_mermaid_blocks()))
def test_graph_is_rendered_by_pipec(n, block):
    from pipec.graph import render

    example = example_of(_lesson(n))
    pipeline, _ = pipec.compile_file(str(example))
    expected = render(pipeline, "mermaid")
    assert block.strip() == expected.strip(), f"lesson {n}: regenerate the graph of {example.name}"


# ----------------------------------------------------------------------------- simulate and why


_SHOWN_COMMAND = re.compile(r"`(pipec (?:simulate|why) [^`]+)`")


def _shown_outputs():
    """(command, block) for every ```text block whose paragraph names a 'pipec simulate' or
    'pipec why' command: the last one named is the one whose output the block shows."""
    text = _text()
    for m in _FENCE.finditer(text):
        if m.group(1) != "text":
            continue
        before = text[: m.start()].rstrip("\n").split("\n\n")[-1]
        commands = _SHOWN_COMMAND.findall(" ".join(before.split()))
        if commands:
            yield commands[-1], m.group(2)


SHOWN = list(_shown_outputs())


def test_the_troubleshooting_lessons_show_simulate_and_why():
    commands = [c for c, _b in SHOWN]
    assert sum(c.startswith("pipec simulate") for c in commands) >= 6
    assert sum(c.startswith("pipec why") for c in commands) >= 2
    assert any("--compare-strategies" in c for c in commands)


@pytest.mark.parametrize("command,block", SHOWN, ids=[c for c, _b in SHOWN])
def test_simulate_and_why_output_is_real(command, block, tmp_path, monkeypatch, capsys):
    """Each block is an excerpt (pieces in order, cut at '...') of what the command prints."""
    import shlex

    from pipec.cli import main

    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    if "run.log" in args:  # the lesson saves the first simulate output as run.log
        main(shlex.split(next(c for c, _b in SHOWN if c.startswith("pipec simulate examples/02-reference.pipe")
                              and "pre_build" in c))[1:])
        (tmp_path / "run.log").write_text(capsys.readouterr().out, encoding="utf-8")
        args = [str(tmp_path / "run.log") if a == "run.log" else a for a in args]
    status = main(args)
    out = capsys.readouterr().out
    assert status == 0, out
    problem = excerpt_problem(block, out)
    assert problem is None, f"not in the output of {command!r} (in this order):\n{problem}"
