"""The documentation stays true to the code.

- docs/diagnostics.md has exactly one ``## CODE: title`` section per code of
  :data:`pipec.diagnostics.CODES` (with the same title) and no other; in each section the example
  that is a whole file triggers that code, and the corrected ```pipe file does not.
- Every ```pipe block of docs/*.md and README.md is a whole file that compiles without errors
  (```pipe-snippet blocks are parts of files and are not compiled).
- docs/language.md documents every key of :data:`pipec.semantic.PLATFORM_SETTINGS` in the table
  for its block, every statement and block keyword of the grammar, and every other keyword.
- The pattern examples in docs/language.md agree with the normative definition in the same file
  (restated below as a small matcher) and are valid patterns for the checker.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from support import diagnose, language_pattern_table
from pipec.diagnostics import CODES, ERROR, PLATFORM_DIFFERENCES
from pipec.semantic import PLATFORM_SETTINGS, check_pattern

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
LANGUAGE = DOCS / "language.md"
DIAGNOSTICS = DOCS / "diagnostics.md"
GRAMMAR = ROOT / "grammar" / "pipe.lark"

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_HEADING = re.compile(r"^## ([A-Z]\d{3}): (.*?)\s*$", re.M)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _fences(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block."""
    return [(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def _is_whole_file(body: str) -> bool:
    """A block is a whole file when its first line that is not a comment or blank is ``pipeline``,
    or the ``use`` line or template that starts a file of shared definitions."""
    for line in body.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.startswith(("pipeline ", "use \"", "template stage ", "template action "))
    return False


def _code_text(markdown: str) -> str:
    """The text of every fenced block and every inline code span."""
    fenced = "\n".join(body for _info, body in _fences(markdown))
    prose = _FENCE.sub("", markdown)
    inline = "\n".join(re.findall(r"`([^`\n]+)`", prose))
    return fenced + "\n" + inline


# ----------------------------------------------------------------------------- diagnostics.md


def _diagnostic_sections() -> dict[str, list[tuple[str, str]]]:
    """code -> [(title, section text)], one entry per ``## CODE: title`` heading."""
    text = _read(DIAGNOSTICS)
    heads = list(_HEADING.finditer(text))
    sections: dict[str, list[tuple[str, str]]] = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        nxt = re.search(r"^## ", text[m.end():end], re.M)  # a later non-code '## ' heading
        body = text[m.end(): m.end() + nxt.start()] if nxt else text[m.end():end]
        sections.setdefault(m.group(1), []).append((m.group(2), body))
    return sections


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_one_section(code):
    sections = _diagnostic_sections()
    assert code in sections, f"docs/diagnostics.md has no '## {code}: {CODES[code]}' section"
    assert len(sections[code]) == 1, f"docs/diagnostics.md has {len(sections[code])} sections for {code}"
    title = sections[code][0][0]
    assert title == CODES[code], f"## {code}: {title!r} should be titled {CODES[code]!r}"


def test_no_section_for_an_unknown_code():
    unknown = sorted(set(_diagnostic_sections()) - set(CODES))
    assert not unknown, f"docs/diagnostics.md has sections for codes pipec does not have: {unknown}"


def _section_examples():
    for code, entries in sorted(_diagnostic_sections().items()):
        for _title, body in entries:
            for n, (info, block) in enumerate(_fences(body)):
                if info in ("pipe", "pipe-snippet") and _is_whole_file(block):
                    yield pytest.param(code, info, block, id=f"{code}-{n}-{info}")


@pytest.mark.parametrize("code,info,block", list(_section_examples()))
def test_diagnostic_examples(code, info, block):
    codes = [d.code for d in diagnose(block, f"{code}.pipe", platform_warnings=code in PLATFORM_DIFFERENCES)]
    if info == "pipe-snippet":
        assert code in codes, f"the {code} example does not trigger {code}; it gives {codes}"
    else:
        assert code not in codes, f"the corrected {code} example still gives {code}"


# ----------------------------------------------------------------------------- ```pipe blocks


def _pipe_blocks():
    paths = sorted(DOCS.glob("*.md"))
    readme = ROOT / "README.md"
    if readme.exists():
        paths.append(readme)
    for path in paths:
        for n, (info, body) in enumerate(_fences(_read(path))):
            if info == "pipe":
                yield pytest.param(path.name, body, id=f"{path.name}-{n}")


def test_docs_have_pipe_examples():
    assert sum(1 for _ in _pipe_blocks()) >= 20


@pytest.mark.parametrize("name,body", list(_pipe_blocks()))
def test_pipe_blocks_compile(name, body):
    assert _is_whole_file(body), (
        f"a ```pipe block in {name} is not a whole file; mark parts of files as ```pipe-snippet")
    errors = [d for d in diagnose(body, name) if d.severity == ERROR]
    assert not errors, "\n".join(f"{d.code} {d.span.line if d.span else ''}: {d.message}" for d in errors)


# ----------------------------------------------------------------------------- language.md: settings


_WHERE = {
    "pipeline": "the pipeline",
    "stage": "`stage`",
    "build": "`build`",
    "deploy": "`deploy`",
    "approve": "`approve`",
    "invoke": "`invoke`",
}


def _settings_section(where: str, platform: str) -> str:
    text = _read(LANGUAGE)
    heading = re.compile(rf"^#+ `{platform} \{{ \}}` in {re.escape(_WHERE[where])}.*$", re.M)
    m = heading.search(text)
    assert m, f"docs/language.md has no heading for the {platform} {{ }} block in {where}"
    nxt = re.search(r"^#", text[m.end():], re.M)
    return text[m.end(): m.end() + nxt.start()] if nxt else text[m.end():]


@pytest.mark.parametrize("where,platform", sorted(PLATFORM_SETTINGS))
def test_platform_settings_tables(where, platform):
    section = _settings_section(where, platform)
    table = PLATFORM_SETTINGS[(where, platform)]
    if not table:
        assert "No settings" in section
    for key, (_lo, _hi, description) in table.items():
        row = re.search(rf"^\| `{re.escape(key)}` \|.*$", section, re.M)
        assert row, f"the {platform} {{ }} table for {where} has no row for '{key}'"
        assert description in row.group(), f"the row for '{key}' ({where}) should say: {description}"


def test_every_platform_setting_key_is_in_language_md():
    code = _code_text(_read(LANGUAGE))
    words = set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_\-]*", code))
    keys = {key for table in PLATFORM_SETTINGS.values() for key in table}
    assert not sorted(keys - words)


# ----------------------------------------------------------------------------- language.md: keywords


def _grammar_rules() -> dict[str, list[str]]:
    """Lower-case rule name -> its alternatives (text), from grammar/pipe.lark."""
    text = re.sub(r"//[^\n]*", "", _read(GRAMMAR))
    rules: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^[?!]?([a-z_][a-z0-9_]*)\s*:(.*)$", line)
        if m:
            current = m.group(1)
            rules[current] = m.group(2)
        elif current and line[:1].isspace() and line.strip():
            rules[current] += " " + line.strip()
        elif not line.strip():
            continue
        else:
            current = None
    return {name: [alt.strip() for alt in body.split("|")] for name, body in rules.items()}


def _literals(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def _statement_keywords() -> set[str]:
    """The keyword that starts each *_stmt rule, and the keyword(s) that start each block."""
    rules = _grammar_rules()
    out: set[str] = set()
    for name, alternatives in rules.items():
        is_block = any('"{"' in alt for alt in alternatives)
        if not (name.endswith("_stmt") or is_block):
            continue
        for alt in alternatives:
            first = alt.split()[0] if alt.split() else ""
            if first.startswith('"'):
                out.add(first.strip('"'))
            elif first.lstrip("?!") in rules:  # a block starting with a rule, such as phase_name
                for sub in rules[first.lstrip("?!")]:
                    out.update(_literals(sub))
    return out


def _all_keywords() -> set[str]:
    """Every keyword and enumerated value: the literals of the rules, and the terminals defined
    as one literal word (``DISCARD: "discard_paths"``)."""
    words = {w for alts in _grammar_rules().values() for alt in alts for w in _literals(alt)}
    text = re.sub(r"//[^\n]*", "", _read(GRAMMAR))
    words |= set(re.findall(r'^[A-Z_][A-Z0-9_]*(?:\.\d+)?\s*:\s*"([^"]+)"\s*$', text, re.M))
    return {w for w in words if re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", w)}


def test_grammar_reading_finds_the_statements():
    found = _statement_keywords()
    for kw in ("pipeline", "source", "stage", "parallel", "build", "test", "deploy", "approve",
               "invoke", "aws", "github", "branch", "strategy", "hook", "install", "post_build"):
        assert kw in found


@pytest.mark.parametrize("keyword", sorted(_statement_keywords()))
def test_statement_keyword_is_documented(keyword):
    words = set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_\-]*", _code_text(_read(LANGUAGE))))
    assert keyword in words, f"docs/language.md never shows the statement keyword '{keyword}'"


def test_every_keyword_is_documented():
    words = set(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_\-]*", _code_text(_read(LANGUAGE))))
    missing = sorted(_all_keywords() - words)
    assert not missing, f"keywords of the grammar that docs/language.md never shows: {missing}"


# ----------------------------------------------------------------------------- language.md: patterns


def _expand(pattern: str) -> list[str]:
    """Rule 1 of "Patterns": replace each {a,b} group by each alternative."""
    parts = re.split(r"(\{[^{}]*\})", pattern)
    options = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(choice) for choice in itertools.product(*options)]


def _regex(pattern: str) -> str:
    """Rules 2 to 4 of "Patterns", for a pattern without {}."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
                out.append("(?:.*/)?")  # zero or more whole directories
                i += 3
            else:
                out.append(".*")
                i += 2
            continue
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            close = pattern.index("]", i)
            out.append("[" + pattern[i + 1:close] + "]")
            i = close + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def matches(pattern: str, value: str) -> bool:
    """A value matches a pattern: an executable restatement of docs/language.md, "Patterns"."""
    return any(re.fullmatch(_regex(p), value) for p in _expand(pattern))


def test_pattern_table_is_found():
    assert len(list(language_pattern_table())) >= 10


@pytest.mark.parametrize("pattern,yes,no", list(language_pattern_table()))
def test_pattern_examples(pattern, yes, no):
    assert check_pattern(pattern) is None, f"{pattern!r}: {check_pattern(pattern)}"
    for value in yes:
        assert matches(pattern, value), f"{pattern!r} should match {value!r}"
    for value in no:
        assert not matches(pattern, value), f"{pattern!r} should not match {value!r}"


def test_pattern_rules_from_the_text():
    # the examples the normative text itself gives
    assert [matches("**/x", v) for v in ("x", "a/x", "a/b/x")] == [True, True, True]
    assert matches("docs/**", "docs/a/b") and not matches("docs/**", "docs")
    assert matches("{src,lib}/*.{js,ts}", "lib/a.ts") and not matches("{src,lib}/*.{js,ts}", "src/a/b.js")
    assert matches("v1{,-beta}", "v1") and matches("v1{,-beta}", "v1-beta")
    assert matches("*.md", ".md") and matches("*", ".gitignore") and not matches("?", "/")


# ----------------------------------------------------------------------------- examples/README.md


def test_examples_readme_grammar_coverage_is_current():
    """The coverage table lists, for every rule of the grammar that becomes a parse-tree node,
    exactly the examples whose parse trees contain it, and no rule is left uncovered."""
    from pipec.parser import _parser

    lark, post = _parser()
    covered: dict[str, set[str]] = {}
    folders = sorted((ROOT / "examples").glob("[0-9][0-9]-*/**/*.pipe"))  # a folder example and its lib/
    for path in [*sorted((ROOT / "examples").glob("*.pipe")), *folders]:
        post.reset()
        number = path.relative_to(ROOT / "examples").as_posix()[:2]
        for tree in lark.parse(path.read_text(encoding="utf-8")).iter_subtrees():
            if tree.data != "start":  # the root, around the pipeline
                covered.setdefault(tree.data, set()).add(number)
    text = _read(ROOT / "examples" / "README.md")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z_0-9]+)` \| .*? \| ([0-9, ]+) \|$", text, re.M)}
    # what a parse tree can hold: rule names and their aliases ('-> name'), helpers excluded
    names = {str(r.alias or r.origin.name).lstrip("!") for r in lark.rules}
    names = {n for n in names if not n.startswith("_") and n != "start"}
    assert len(rows) >= 100
    assert set(rows) <= names, f"rows for names the grammar does not have: {sorted(set(rows) - names)}"
    assert set(covered) <= set(rows), f"nodes the examples use, missing from the table: {sorted(set(covered) - set(rows))}"
    wrong = {rule: (listed, ", ".join(sorted(covered.get(rule, ()))))
             for rule, listed in rows.items() if listed != ", ".join(sorted(covered.get(rule, ())))}
    assert not wrong, f"rule: (listed, actual): {wrong}"
    count = re.search(r"(\d+) rules, (\d+)\s+covered, none missing", text)
    assert count and int(count.group(1)) == int(count.group(2)) == len(rows)
