"""docs/targets.md stays true to what pipec generates.

- "The reference workflow and buildspec, block by block" shows the files of example 02 in full:
  under each ``## TITLE, `PATH``` heading, the ```yaml blocks put together are
  ``tests/golden/02-reference/PATH`` byte for byte, and every block has prose before it (the
  sentence that says why it is there). When the goldens change on purpose, ``PIPEC_REGEN=1``
  cuts the new file into the same blocks (each block starts at the line its old text started
  with) and rewrites only the blocks; the sentences are then to be read again.
- Every fenced block elsewhere in the file that a line "From `tests/golden/...`" introduces is
  an excerpt of that golden file (pieces cut at ``...`` lines, in order).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from test_tutorial import excerpt_problem

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "docs" / "targets.md"
GOLDEN = ROOT / "tests" / "golden" / "02-reference"
SECTION = "# The reference workflow and buildspec, block by block"
REGEN = "PIPEC_REGEN=1 .venv/bin/python -m pytest -p no:cacheprovider tests/test_targets_doc.py"

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_FILE_HEADING = re.compile(r"^## [^\n`]*`([^`]+)`\s*$", re.M)


def _section(text: str) -> tuple[int, int]:
    """Where the reference section starts and ends in ``text``: the next ``# `` heading outside a
    fenced block (a YAML comment in a block is not a heading), or the end."""
    start = text.index(SECTION + "\n")
    fenced = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    for m in re.finditer(r"^# ", text[start + len(SECTION):], re.M):
        at = start + len(SECTION) + m.start()
        if not any(a <= at < b for a, b in fenced):
            return start, at
    return start, len(text)


def files_shown(text: str) -> list[tuple[str, list[re.Match], list[str]]]:
    """(path, fence matches, the prose before each fence) of each file the section shows; the
    match offsets are offsets in ``text``."""
    start, end = _section(text)
    heads = [m for m in _FILE_HEADING.finditer(text, start, end)]
    out = []
    for i, head in enumerate(heads):
        stop = heads[i + 1].start() if i + 1 < len(heads) else end
        fences = list(_FENCE.finditer(text, head.end(), stop))
        prose, pos = [], head.end()
        for f in fences:
            prose.append(text[pos:f.start()].strip())
            pos = f.end()
        out.append((head.group(1), fences, prose))
    return out


def recut(blocks: list[str], new: str) -> list[str]:
    """``new`` cut into as many blocks as ``blocks``, each starting at the line the old block
    started with (searched in order); ValueError naming the first line that is gone."""
    lines = new.splitlines(keepends=True)
    starts, pos = [], 0
    for block in blocks:
        first = block.splitlines()[0]
        at = next((k for k in range(pos, len(lines)) if lines[k].rstrip("\n") == first), None)
        if at is None:
            raise ValueError(f"no line {first!r} after line {pos} of the new file")
        starts.append(at)
        pos = at + 1
    if starts[0] != 0:
        raise ValueError("the new file does not start with the first block's first line")
    return ["".join(lines[s:(starts[i + 1] if i + 1 < len(starts) else len(lines))]) for i, s in enumerate(starts)]


def test_the_reference_section_shows_the_workflow_and_the_buildspec():
    paths = [path for path, _, _ in files_shown(TARGETS.read_text(encoding="utf-8"))]
    assert paths == [".github/workflows/my-app.yml", "aws/my-app/buildspec/web.yml"]


@pytest.mark.parametrize("path", [".github/workflows/my-app.yml", "aws/my-app/buildspec/web.yml"])
def test_the_blocks_are_the_golden_file_byte_for_byte(path):
    text = TARGETS.read_text(encoding="utf-8")
    shown = {p: (fences, prose) for p, fences, prose in files_shown(text)}
    fences, prose = shown[path]
    golden = (GOLDEN / path).read_text(encoding="utf-8")
    assert all(f.group(1) == "yaml" for f in fences)
    assert len(fences) >= 5
    if os.environ.get("PIPEC_REGEN") and "".join(f.group(2) for f in fences) != golden:
        blocks = recut([f.group(2) for f in fences], golden)
        for f, block in sorted(zip(fences, blocks), key=lambda fb: -fb[0].start(2)):
            text = text[:f.start(2)] + block + text[f.end(2):]
        TARGETS.write_text(text, encoding="utf-8")
        return
    assert "".join(f.group(2) for f in fences) == golden, (
        f"docs/targets.md, '{SECTION[2:]}', no longer shows tests/golden/02-reference/{path} as it is. "
        f"Run `{REGEN}` to cut the new file into the same blocks, then read the sentence before each "
        "changed block again (and write one for a block that is new).")
    # one or two sentences before each block say why it is there
    for n, words in enumerate(prose):
        assert re.search(r"[a-z].*[.)]$", words, re.S), f"block {n + 1} of {path} has no sentence before it"


def test_recut_follows_the_first_lines_and_refuses_a_lost_one():
    old = ["a: 1\nb: 2\n", "c:\n  d: 3\n", "e: 4\n"]
    new = "a: 1\nb: 5\nnew: 6\nc:\n  d: 3\ne: 4\nf: 7\n"
    assert recut(old, new) == ["a: 1\nb: 5\nnew: 6\n", "c:\n  d: 3\n", "e: 4\nf: 7\n"]
    with pytest.raises(ValueError, match="no line 'c:'"):
        recut(old, "a: 1\ne: 4\n")


def test_the_comparison_fails_when_the_doc_and_the_file_differ():
    text = TARGETS.read_text(encoding="utf-8")
    fences = files_shown(text)[1][1]
    changed = text[:fences[0].start(2)] + "version: 0.1\n" + text[fences[0].end(2):]
    shown = "".join(f.group(2) for f in files_shown(changed)[1][1])
    assert shown != (GOLDEN / "aws/my-app/buildspec/web.yml").read_text(encoding="utf-8")


def _excerpts():
    text = TARGETS.read_text(encoding="utf-8")
    start, end = _section(text)
    for m in _FENCE.finditer(text):
        if start <= m.start() < end:
            continue
        before = text[:m.start()].rstrip().rsplit("\n", 1)[-1]
        found = re.search(r"From `(tests/golden/[^`]+)`", before)
        if found:
            yield pytest.param(m.group(2), found.group(1), id=f"{found.group(1)}@{m.start()}")


def test_the_build_phases_section_shows_both_forms_from_the_goldens():
    paths = [values[1] for values in (p.values for p in _excerpts())]
    assert "tests/golden/02-reference/.github/workflows/my-app.yml" in paths
    assert "tests/golden/09-database-migration/.github/workflows/accounts-api.yml" in paths


@pytest.mark.parametrize("body,path", list(_excerpts()))
def test_excerpts_are_in_their_golden_file(body, path):
    problem = excerpt_problem(body, (ROOT / path).read_text(encoding="utf-8"))
    assert problem is None, f"not in {path} (in this order):\n{problem}"
