"""Patterns: pipec's reference matcher, the model of GitHub's matcher, and the translation.

- :mod:`pipec.patterns` against every row of the two tables under "### Examples" in
  docs/language.md, "Patterns", and the rules the normative text states;
- :mod:`pipec.targets.github.patterns` (the model) against the examples of GitHub's "Filter
  pattern cheat sheet" and its branch, tag and path filter sections
  (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax);
- :func:`translate` by examples, refusals, and a property: on random filters and values, the
  GitHub list decides every value as pipec's filter does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st

from support import language_pattern_table
from pipec import patterns as P
from pipec import semantic
from pipec.patterns import PatternError, expand, filter_matches, matches, paths_match, to_regex, tokenize
from pipec.targets.github.patterns import (
    MAX_GITHUB_PATTERNS,
    Untranslatable,
    escape_literal,
    github_list_matches,
    github_regex,
    translate,
    translate_pattern,
)

LANGUAGE = Path(__file__).parent.parent / "docs" / "language.md"
PROPERTY = settings(max_examples=max(1, int(settings().max_examples * 1.5)))  # 300 / 15,000

# ----------------------------------------------------------------------------- pipec: the reference


def test_the_pattern_table_is_read_whole():
    assert len(list(language_pattern_table())) == 16


@pytest.mark.parametrize("pattern,yes,no", list(language_pattern_table()))
def test_language_md_pattern_examples(pattern, yes, no):
    assert yes or pattern == "**"
    for value in yes:
        assert matches(pattern, value), f"{pattern!r} should match {value!r}"
    for value in no:
        assert not matches(pattern, value), f"{pattern!r} should not match {value!r}"


@pytest.mark.parametrize("includes,excludes,files,expected", [
    # language.md, the filter table under "### Examples", row by row
    (["main", "release/**"], ["release/old/**"], ["release/2.0"], True),
    (["main", "release/**"], ["release/old/**"], ["release/old/1.0"], False),  # an exclude wins
    ([], ["docs/**"], ["docs/a.md", "src/b.ts"], True),  # matches through src/b.ts
    ([], ["docs/**"], ["docs/a.md"], False),
])
def test_language_md_filter_examples(includes, excludes, files, expected):
    assert paths_match(includes, excludes, files) is expected
    if len(files) == 1:
        assert filter_matches(includes, excludes, files[0]) is expected


def test_rules_stated_in_the_text():
    assert expand("{src,lib}/*.{js,ts}") == ("src/*.js", "src/*.ts", "lib/*.js", "lib/*.ts")
    assert expand("v1{,-beta}") == ("v1", "v1-beta")
    assert expand("{a,a}") == ("a",)
    assert [matches("**/x", v) for v in ("x", "a/x", "a/b/x")] == [True, True, True]
    assert matches("docs/**", "docs/a/b") and not matches("docs/**", "docs")
    assert matches("*.md", ".md") and matches("*", ".gitignore")
    assert not matches("?", "/") and not matches("*", "a/b") and not matches("[a-z]", "/")
    assert matches("**", "a/b/c.txt")
    # '**/' only at the start or after '/': elsewhere '**' is any text
    assert matches("a**/b", "ax/y/b") and not matches("a**/b", "ab")
    # after expansion: '{a/,}**/x' is 'a/**/x' or '**/x'
    assert matches("{a/,}**/x", "x") and matches("{a/,}**/x", "a/x") and not matches("{b,}**/x", "bx")
    assert not matches("main", "Main")  # case-sensitive


def test_sets():
    assert [matches("[a-f]", c) for c in "afgA"] == [True, True, False, False]
    assert matches("[0-5]", "5") and not matches("[0-5]", "6")
    assert matches("[-a]", "-") and matches("[a-]", "-") and not matches("[a-]", "b")
    assert matches("[_.]", "_") and matches("[_.]", ".") and not matches("[_.]", "x")
    # a '-' between characters of different groups is literal
    assert [matches("[Z-a]", c) for c in "Z-aM"] == [True, True, True, False]
    assert tokenize("x[a-c.]")[1].ranges == (("a", "c"), (".", "."))


@pytest.mark.parametrize("pattern", ["", "/a", "***", "[]", "[!a]", "[^a]", "[a", "a]", "{a", "a}",
                                     "{a,{b}}", "a,b", "a b", "a\\b", "[c-a]", "x" * 256,
                                     "{**,}*"])  # the last spells '***' once expanded
def test_invalid_patterns_are_refused(pattern):
    with pytest.raises(PatternError):
        to_regex(pattern)


def test_alternatives_are_bounded():
    assert len(expand("{a,b}" * 10)) == 1024
    with pytest.raises(PatternError, match="2048 alternatives"):
        expand("{a,b}" * 11)


def test_filters():
    assert filter_matches([], [], "anything")
    assert filter_matches([], ["docs/**"], "src/a") and not filter_matches([], ["docs/**"], "docs/a")
    assert not filter_matches(["src/**"], [], "lib/a")
    assert not paths_match(["**"], [], [])  # a push that changes no file does not match
    with pytest.raises(TypeError):
        filter_matches("main", [], "main")


def test_regexes_are_cached_and_anchored():
    assert to_regex("src/**") is to_regex("src/**")
    assert to_regex("a").search("ba") is None and to_regex("a").match("ab") is None


def test_the_checker_uses_this_module():
    assert semantic.check_pattern is P.check_pattern


# ----------------------------------------------------------------------------- GitHub: the model


def gh(patterns, value):
    return github_list_matches(patterns, value)


@pytest.mark.parametrize("pattern,yes,no", [
    # the cheat sheet's bullet list
    ("Octo*", ["Octocat", "Octo"], ["Octo/cat"]),
    ("[CB]at", ["Cat", "Bat"], ["Hat", "at"]),
    ("[1-2]00", ["100", "200"], ["300"]),
    ("[0-9a-z]", ["7", "q"], ["Q", "-"]),
    # "Patterns to match branches and tags"
    ("feature/*", ["feature/my-branch", "feature/your-branch"], ["feature/a/b"]),
    ("feature/**", ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"], []),
    ("main", ["main"], ["main2"]),
    ("releases/mona-the-octocat", ["releases/mona-the-octocat"], []),
    ("*", ["main", "releases"], ["all/the/branches"]),
    ("**", ["all/the/branches", "every/tag"], []),
    ("*feature", ["mona-feature", "feature", "ver-10-feature"], []),
    ("v2*", ["v2", "v2.0", "v2.9"], []),
    ("v[12].[0-9]+.[0-9]+", ["v1.10.1", "v2.0.0"], ["v3.0.0", "v1.0.", "v1x0.0"]),
    # "Patterns to match file paths"
    ("*", ["README.md", "server.rb"], ["a/b"]),
    ("*.jsx?", ["page.js", "page.jsx"], ["page.jsxx"]),
    ("**", ["all/the/files.md"], []),
    ("*.js", ["app.js", "index.js"], ["js/index.js"]),
    ("**.js", ["index.js", "js/index.js", "src/js/app.js"], []),
    ("docs/*", ["docs/README.md", "docs/file.txt"], ["docs/a/b.md"]),
    ("docs/**", ["docs/README.md", "docs/mona/octocat.txt"], []),
    ("docs/**/*.md", ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"], []),
    ("**/docs/**", ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"], []),
    ("**/README.md", ["README.md", "js/README.md"], ["README.mdx"]),
    ("**/*src/**", ["a/src/app.js", "my-src/code/js/app.js"], []),
    ("**/*-post.md", ["my-post.md", "path/their-post.md"], []),
    ("**/migrate-*.sql", ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"], []),
    # on.push.<branches|tags>: 'releases/**' and 'v1.*'
    ("releases/**", ["releases/10"], []),
    ("v1.*", ["v1.9.1", "v1.9"], ["v1"]),
    # escaping with '\' (on.push.<branches|tags>)
    ("c\\+\\+", ["c++"], ["c", "cc"]),
])
def test_github_documented_examples(pattern, yes, no):
    for value in yes:
        assert gh([pattern], value), f"{pattern!r} should match {value!r}"
    for value in no:
        assert not gh([pattern], value), f"{pattern!r} should not match {value!r}"


def test_github_lists_are_ordered():
    # cheat sheet, paths: '*.md', '!README.md' -> hello.md; not README.md nor docs/hello.md
    assert gh(["*.md", "!README.md"], "hello.md")
    assert not gh(["*.md", "!README.md"], "README.md") and not gh(["*.md", "!README.md"], "docs/hello.md")
    # ... then 'README*' re-includes: hello.md, README.md, README.doc
    assert all(gh(["*.md", "!README.md", "README*"], v) for v in ("hello.md", "README.md", "README.doc"))
    # on.push.branches: 'releases/**', '!releases/**-alpha'
    lst = ["releases/**", "!releases/**-alpha"]
    assert gh(lst, "releases/10") and gh(lst, "releases/beta/mona")
    assert not gh(lst, "releases/10-alpha") and not gh(lst, "releases/beta/3-alpha")
    # on.push.paths: 'sub-project/**', '!sub-project/docs/**'
    lst = ["sub-project/**", "!sub-project/docs/**"]
    assert gh(lst, "sub-project/index.js") and gh(lst, "sub-project/src/index.js")
    assert not gh(lst, "sub-project/docs/readme.md")
    # "you must also define at least one branch without the ! character"
    with pytest.raises(ValueError):
        gh(["!docs/**"], "src/a")


@pytest.mark.parametrize("pattern", ["", "!a", "***", "?a", "*?", "a??", "a+?", "[a_]", "[a.]", "[]",
                                     "[a-]", "[a-Z]", "[z-a]", "[a", "a]", "a\\"])
def test_github_undocumented_constructs_are_errors(pattern):
    with pytest.raises(ValueError):
        github_regex(pattern)


def test_github_quantifiers_apply_to_the_preceding_atom():
    assert [gh(["ab?c"], v) for v in ("ac", "abc", "abbc")] == [True, True, False]
    assert [gh(["ab+c"], v) for v in ("ac", "abc", "abbc")] == [False, True, True]
    assert gh(["\\!a"], "!a") and gh(["a!"], "a!")


# ----------------------------------------------------------------------------- translation


@pytest.mark.parametrize("includes,excludes,expected", [
    (["main"], [], ["main"]),
    (["release/**", "main"], ["release/old/**"], ["release/**", "main", "!release/old/**"]),
    ([], ["docs/**"], ["**", "!docs/**"]),
    (["c++/**"], [], ["c\\+\\+/**"]),
    (["{src,lib}/**/*.{js,ts}"], [], ["src/**/*.js", "src/**/*.ts", "lib/**/*.js", "lib/**/*.ts"]),
    (["v1{,-beta}"], [], ["v1", "v1-beta"]),
    (["v[0-9]*"], ["*-rc*"], ["v[0-9]*", "!*-rc*"]),
    (["a**/b"], [], ["a*/**/b"]),  # '**/' only where GitHub documents it
    (["x[a-c._]"], [], ["x[a-c]", "x.", "x_"]),  # GitHub sets hold only letters and digits
    (["[.]x"], [], [".x"]),
    (["a{,b}", "{a,ab}"], ["{,c}"], ["a", "ab", "!c"]),  # repeats and empty alternatives dropped
])
def test_translate(includes, excludes, expected):
    assert translate(includes, excludes) == expected


def test_translate_refusals():
    with pytest.raises(Untranslatable) as exc:
        translate(["v?.*"], [])
    assert exc.value.pattern == "v?.*"
    assert "zero or one of the preceding character" in exc.value.reason
    assert exc.value.hint.startswith("Write the set of characters you mean")
    assert exc.value.reason.endswith(".") and exc.value.hint.endswith(".")
    with pytest.raises(Untranslatable):
        translate(["main"], ["v?"])  # excludes too
    with pytest.raises(Untranslatable, match="matches no branch"):
        translate(["{,}"], [])
    with pytest.raises(Untranslatable, match="takes 1024 patterns"):
        translate_pattern("{a,b}" * 10)
    with pytest.raises(Untranslatable, match="takes 2048 patterns"):
        translate_pattern("{a,b}" * 11)  # more than the reference matcher expands, not a crash
    with pytest.raises(Untranslatable, match="takes 512 patterns"):
        translate_pattern("[a.]" * 9)  # set members GitHub cannot hold multiply too
    with pytest.raises(Untranslatable, match=re.escape("'***'")):
        translate(["{**,}*"], [])  # passes check_pattern, spells '***' once expanded
    with pytest.raises(Untranslatable):
        translate(["{a,b,c,d}" * 4 + f"/{n}" for n in range(2)], [])  # 256 each, 512 together
    assert len(translate_pattern("{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}")) == MAX_GITHUB_PATTERNS
    with pytest.raises(PatternError):
        translate(["a b"], [])
    with pytest.raises(TypeError):
        translate("main", [])


@pytest.mark.parametrize("name", ["main", "feature/a+b", "!important", "a*b?[c]\\d", "v1.0", "+x"])
def test_escape_literal(name):
    pattern = escape_literal(name)
    assert gh([pattern], name)
    assert not gh([pattern], name + "x") and not gh([pattern], "x" + name)


@PROPERTY
@given(st.text(alphabet="ab/.+*?[]\\!-_", min_size=1, max_size=8), st.text(alphabet="ab/.+*?[]\\!-_", max_size=8))
def test_escape_literal_matches_only_the_name(name, other):
    assert gh([escape_literal(name)], other) == (name == other)


# ----------------------------------------------------------------------------- the property

#: Pieces of random pipec patterns: the brief's alphabet, plus sets that GitHub cannot hold
#: whole and alternatives that are empty or end with '/'.
PIECES = ["a", "b", "0", "1", "/", ".", "-", "+", "*", "**", "**/", "[ab]", "{a,b}",
          "[a.-]", "[0-1_]", "{,b/}", "{a,**}"]
VALUE_CHARS = "ab01/.-+_x"


@st.composite
def pipec_patterns(draw):
    pattern = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6)))
    try:
        for alt in expand(pattern):
            tokenize(alt)
    except PatternError:
        reject()
    return pattern


@st.composite
def value_for(draw, pattern):
    """A value that ``pattern`` matches, most of the time (then mutated, sometimes)."""
    free = st.text(alphabet=VALUE_CHARS.replace("/", ""), max_size=3)
    out = []
    for t in tokenize(draw(st.sampled_from(expand(pattern)))):
        if t.kind == P.STAR:
            out.append(draw(free))
        elif t.kind == P.GLOBSTAR:
            out.append(draw(st.text(alphabet=VALUE_CHARS, max_size=4)))
        elif t.kind == P.DIRS:
            out.append("".join(d + "/" for d in draw(st.lists(free, max_size=2))))
        elif t.kind == P.SET:
            lo, hi = draw(st.sampled_from(t.ranges))
            out.append(chr(draw(st.integers(ord(lo), ord(hi)))))
        elif t.kind == P.ONE:
            out.append(draw(st.sampled_from(VALUE_CHARS.replace("/", ""))))
        else:
            out.append(t.text)
    value = "".join(out)
    if draw(st.integers(0, 3)) == 0 and value:
        i = draw(st.integers(0, len(value) - 1))
        value = value[:i] + draw(st.sampled_from(VALUE_CHARS)) + value[i + 1:]
    return value


@PROPERTY
@given(st.data())
def test_translation_decides_every_value_like_pipec(data):
    includes = data.draw(st.lists(pipec_patterns(), max_size=2), label="includes")
    excludes = data.draw(st.lists(pipec_patterns(), max_size=2), label="excludes")
    try:
        github = translate(includes, excludes)
    except Untranslatable:
        reject()
    sources = [value_for(p) for p in [*includes, *excludes]]
    values = data.draw(st.lists(st.one_of(st.text(alphabet=VALUE_CHARS, min_size=1, max_size=8), *sources),
                                min_size=1, max_size=8), label="values")
    for value in values:
        if not value:
            continue  # no branch, tag or path is empty
        expected = filter_matches(includes, excludes, value)
        event(f"pipec filter matches: {expected}")
        assert github_list_matches(github, value) == expected, (value, github)
