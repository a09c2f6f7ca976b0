"""The language server's incremental parse (pipec.reparse) against a parse from scratch: random
edits of every example and of a generated pipeline of 150 actions, replayed one after another on
one :class:`Reparser`; after each, the tree (every span included), the comments and the syntax
error are those of :func:`pipec.parser.parse`, and the diagnostics are ``pipec check --format
json``'s, with the server's ``bash -n`` verdicts (pipec.shell_state.Verdicts) kept across the
edits. The replay is shown to catch a stale chunk, an unshifted span and a stale verdict
(monkeypatched bugs)."""

from __future__ import annotations

import io
import json
import os
import random
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from pipec import ast, cli, lsp_check, reparse, secretscan, shell_state
from pipec.diagnostics import Diagnostics, Span
from pipec.parser import parse
from pipec.reparse import Reparser, chunks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
sys.path.insert(0, str(ROOT / "bench"))
from perf import generate_pipe  # noqa: E402


_FIELDS: dict[type, list[str]] = {}


def tree(v):
    """A node as nested tuples of every field, spans included (node equality leaves spans out)."""
    if isinstance(v, tuple):
        return tuple(tree(x) for x in v)
    if isinstance(v, Span):
        return ("Span", v.line, v.column, v.end_line, v.end_column, v.start_pos, v.end_pos)
    if isinstance(v, ast.Node):
        cls = type(v)
        if cls not in _FIELDS:
            _FIELDS[cls] = [s for k in cls.__mro__ for s in getattr(k, "__slots__", ()) if not s.startswith("__")]
        return (cls.__name__, *((n, tree(getattr(v, n))) for n in _FIELDS[cls]))
    return v


def outcome(parser, text: str):
    try:
        m = parser(text, "doc.pipe")
    except Diagnostics as exc:
        return ("error", [d.to_dict() for d in exc.diagnostics])
    return ("ok", tree(m.pipeline), tree(m.uses), tree(m.templates), tree(m.comments), m.source == text)


_INSERTS = ["x", " ", "\n", "{", "}", '"', "#", '"""', "  env A = 1\n", "  # note\n", "}\n", "stage s {\n",
            "build b {\n", "-", "7", "\r\n"]


def edits(text: str, rng: random.Random, n: int):
    """``n`` successive texts: letters typed in strings, blank and comment lines, insertions,
    deletions and replacements at random places (a line start half the time), going back to the
    original now and then so that valid texts recur."""
    base = text
    for _ in range(n):
        if rng.random() < 0.3:
            text = base
        lines = text.split("\n")
        if rng.random() < 0.5:
            i = sum(len(x) + 1 for x in lines[:rng.randrange(len(lines))])
        else:
            i = rng.randrange(len(text) + 1)
        op = rng.random()
        strings = [m.start() + 1 for m in re.finditer(r'"[^"\n]*"', text)]
        if op < 0.3 and strings:  # a letter typed in a string: the text stays valid
            k = rng.choice(strings)
            text = text[:k] + rng.choice("abz") + text[k:]
        elif op < 0.35:  # a blank line or a comment line: nothing but lines and offsets move
            text = text[:i] + rng.choice(["\n", "  # note\n"]) + text[i:]
        elif op < 0.6:
            text = text[:i] + rng.choice(_INSERTS) + text[i:]
        elif op < 0.8:
            text = text[:i] + text[i + rng.randint(1, 12):]
        else:
            text = text[:i] + rng.choice("abz019_ ") + text[i + 1:]
        yield text


def replay(text: str, seed: int, n: int, until_bad: bool = False) -> tuple[int, int]:
    """Replays ``n`` edits; returns (edits where chunks were reused, mismatches). With
    ``until_bad``, stops at the first mismatch (a test that only needs one)."""
    r = Reparser()
    assert outcome(r.parse, text) == outcome(parse, text)
    reused = bad = 0
    for new in edits(text, random.Random(seed), n):
        got = outcome(r.parse, new)
        reused += r.reused > 0
        if got != outcome(parse, new):
            bad += 1
            if until_bad:
                break
    return reused, bad


#: edits replayed on each example: 30 in the suite (it runs in CI under a 10-minute cap), 60 in a
#: deep run (PIPEC_DEEP=1)
EXAMPLE_EDITS = 60 if os.environ.get("PIPEC_DEEP") == "1" else 30


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_random_edits_of_each_example_parse_as_from_scratch(path):
    reused, bad = replay(path.read_text(encoding="utf-8"), seed=int(path.name[:2]), n=EXAMPLE_EDITS)
    assert bad == 0
    assert reused >= 5  # the replay exercised the reuse, not only the fallback


def test_random_edits_of_a_file_with_crlf_line_ends_parse_as_from_scratch():
    text = EXAMPLES[1].read_text(encoding="utf-8").replace("\n", "\r\n")
    assert chunks(text) is not None
    reused, bad = replay(text, seed=4, n=EXAMPLE_EDITS)
    assert bad == 0
    assert reused >= 5


def test_random_edits_of_a_large_pipeline_parse_as_from_scratch():
    # each edit is parsed twice from scratch (0.5 s at 150 actions): 30 edits in the suite, 60 in
    # a deep run (PIPEC_DEEP=1)
    reused, bad = replay(generate_pipe(150), seed=1, n=60 if os.environ.get("PIPEC_DEEP") == "1" else 30)
    assert bad == 0
    assert reused >= 5


def test_an_edit_inside_one_stage_parses_that_stage_only():
    text = generate_pipe(300)
    r = Reparser()
    r.parse(text, "doc.pipe")
    i = text.index("      install")
    edited = text[:i] + "      env EXTRA = 1\n" + text[i:]  # every later stage moves (lines, offsets)
    got = r.parse(edited, "doc.pipe")
    assert (r.parsed, r.reused) == (1, len(chunks(edited)[1]) - 1)
    assert tree(got.pipeline) == tree(parse(edited, "doc.pipe").pipeline)


def test_unsure_texts_are_parsed_whole():
    assert chunks("pipeline p { }\n") is None  # the body's brace shares a line
    assert chunks("\ufeffpipeline p {\n}\n") is None
    assert chunks("stage s {\n}\n") is None  # no pipeline
    assert chunks('pipeline p {\n  stage s {\n  } mode queued\n}\n') is None  # not alone on its line


@pytest.mark.parametrize("bug", ["stale", "unshifted"])
def test_the_replay_catches_a_wrong_cache(monkeypatch, bug):
    """The comparison has teeth: a chunk reused whatever its text (keyed by its line instead), or
    reused without moving its spans, makes the replay report mismatches."""
    if bug == "unshifted":
        monkeypatch.setattr(reparse._Chunk, "moved", lambda self, pos, line, origins: self)
    else:
        real = Reparser._parse

        def by_line(self, text, filename, body, spans, tail):
            # the bug: a chunk whose line has a cached chunk is taken for unchanged
            lines = {c.line: c for c in self._cache.values()}
            line = text.count("\n", 0, body) + 1
            for start, end in spans:
                old = lines.get(line)
                if old is not None and old.text != text[start:end]:
                    self._cache[text[start:end]] = old
                line += text.count("\n", start, end)
            return real(self, text, filename, body, spans, tail)

        monkeypatch.setattr(Reparser, "_parse", by_line)
    for text in (EXAMPLES[1].read_text(encoding="utf-8"), generate_pipe(60)):
        _, bad = replay(text, seed=3, n=60, until_bad=True)
        assert bad > 0


def check_json(text: str, tmp: Path) -> list[dict]:
    path = tmp / "doc.pipe"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["check", "--format", "json", str(path)])
    return json.loads(out.getvalue())


@pytest.mark.parametrize("path", [EXAMPLES[1], EXAMPLES[7], EXAMPLES[-1]], ids=lambda p: p.stem)
def test_the_servers_check_after_each_edit_is_pipec_checks(path, tmp_path):
    """End to end: lsp_check.check with the document's Reparser gives ``pipec check --format
    json``'s diagnostics after every edit."""
    r, verdicts = Reparser(), shell_state.Verdicts()
    kept = secretscan.Kept(r.origin)  # as the server makes it: moved statements keep their findings
    doc = str(tmp_path / "doc.pipe")
    for text in edits(path.read_text(encoding="utf-8"), random.Random(7), 25):
        got = [d.to_dict() for d in lsp_check.check(text, doc, r.parse, verdicts, kept).diagnostics]
        assert got == check_json(text, tmp_path)


#: what typing in a command can leave for bash to refuse (E210) or read again
_BASH_EDITS = ["'", "(", ")", ";;", "|", "&&", "if ", "fi", "<<EOF ", "$(", "`", "x", "\\n", "{ ",
               " --password=hunter2x", " AKIAZ7QW4RT5YU6IO8PX"]  # and secrets (W503)


_PHASE_LINE = re.compile(r"^[\t ]*(install|pre_build|build|post_build)[\t ]+\"[^\n]*", re.M)
_COMMAND = re.compile(r'"([^"\\\n]*)"')


def command_edits(text: str, rng: random.Random, n: int):
    """``n`` successive texts, each with something typed into a random command (or one character
    of it removed), going back to the original now and then: E210 comes and goes, and most
    commands keep their text."""
    base = text
    for _ in range(n):
        if rng.random() < 0.2:
            text = base
        found = [c for line in _PHASE_LINE.finditer(text)
                 for c in _COMMAND.finditer(text, line.end(1), line.end())]
        m = rng.choice(found)
        k = rng.randrange(m.start(1), m.end(1) + 1)
        if rng.random() < 0.25 and k < m.end(1):
            text = text[:k] + text[k + 1:]
        else:
            text = text[:k] + rng.choice(_BASH_EDITS) + text[k:]
        yield text


def verdict_replay(text: str, tmp_path: Path, n: int, verdicts, kept=None) -> tuple[int, int, int, int]:
    """(edits whose diagnostics differ from ``pipec check --format json``'s, edits with an E210,
    edits where bash was asked about at most one command, edits with a W503 where the secret scan
    reused a statement's findings) over ``n`` command edits."""
    r = Reparser()
    kept = kept or secretscan.Kept(r.origin)
    doc = str(tmp_path / "doc.pipe")
    bad = with_e210 = saved = secrets = 0
    for text in command_edits(text, random.Random(11), n):
        got = [d.to_dict() for d in lsp_check.check(text, doc, r.parse, verdicts, kept).diagnostics]
        want = check_json(text, tmp_path)
        bad += got != want
        with_e210 += any(d["code"] == "E210" for d in want)
        saved += verdicts.asked <= 1
        secrets += any(d["code"] == "W503" for d in want) and kept.scanned < len(kept.by_item)
    return bad, with_e210, saved, secrets


@pytest.mark.parametrize("text", [EXAMPLES[1].read_text(encoding="utf-8"), generate_pipe(60)],
                         ids=["02-reference", "60-actions"])
def test_kept_bash_verdicts_give_pipec_checks_e210(text, tmp_path):
    """Commands typed into, E210 coming and going: the server's check with its kept verdicts (a
    small table, so that it also fills up and starts again) is ``pipec check``'s after every edit,
    and most edits ask bash about one command at most."""
    bad, with_e210, saved, secrets = verdict_replay(text, tmp_path, 30, shell_state.Verdicts(limit=400))
    assert bad == 0
    assert with_e210 >= 5  # the edits made bash refuse commands, not only read them
    assert saved >= 10
    assert secrets >= 3  # W503 found, findings kept


class _FirstWord(dict):
    """The bug: verdicts looked up by a command's first word, so an edited command gets the
    verdict of its old text."""

    def _key(self, text):
        return text.split(" ", 1)[0]

    def __contains__(self, text):
        return super().__contains__(self._key(text))

    def __getitem__(self, text):
        return super().__getitem__(self._key(text))

    def get(self, text, default=None):
        return super().get(self._key(text), default)

    def __setitem__(self, text, verdict):
        super().__setitem__(self._key(text), verdict)


def test_the_replay_catches_a_stale_verdict(tmp_path):
    verdicts = shell_state.Verdicts()
    verdicts.known = _FirstWord()
    bad, *_ = verdict_replay(EXAMPLES[1].read_text(encoding="utf-8"), tmp_path, 30, verdicts)
    assert bad > 0


def test_the_replay_catches_stale_findings(monkeypatch, tmp_path):
    """The bug: a statement's findings filed by its kind and name, so a statement whose text
    changed gets the findings of its old text."""
    monkeypatch.setattr(secretscan, "_key", lambda item: (type(item).__name__, getattr(item, "name", None)))
    monkeypatch.setattr(secretscan, "_same", lambda hit, item, filename: hit is not None)
    bad, *_ = verdict_replay(generate_pipe(60), tmp_path, 30, shell_state.Verdicts())
    assert bad > 0


def test_moved_statements_keep_their_secret_findings_moved(tmp_path):
    """Typing in the first stage moves every later block: the W503 of a later stage is taken from
    the last check, moved by the shift (not scanned again), and is ``pipec check``'s; a Kept that
    took them unmoved (the bug) points at the old place."""
    from pipec.reparse import _Shift

    text = generate_pipe(120)
    k = text.rindex("env PART = ")  # in the last stage: a secret written as a plain value
    text = text[:k] + 'env TOKEN = "ghp_' + "a1B2" * 9 + '"\n        ' + text[k:]
    i = text.index('"npm run build') + 1
    typed = text[:i] + "x" + text[i:]
    doc = str(tmp_path / "doc.pipe")
    for broken in (False, True):
        r = Reparser()

        def origin(item, r=r):
            hit = r.origin(item)
            return hit if hit is None or not broken else (hit[0], _Shift(0, 0))

        kept = secretscan.Kept(origin)
        lsp_check.check(text, doc, r.parse, None, kept)
        got = [d.to_dict() for d in lsp_check.check(typed, doc, r.parse, None, kept).diagnostics]
        want = check_json(typed, tmp_path)
        assert any(d["code"] == "W503" for d in want)
        assert kept.scanned <= 2  # the stage typed in, not the others
        assert (got == want) is not broken

