"""Triggers agree across pipec, CodePipeline and GitHub Actions (docs/equivalence.md, property 2).

- :mod:`pipec.targets.aws.patterns` (the model of CodePipeline's matcher) against the
  examples and rules of CodePipeline's "Working with glob patterns in syntax" page
  (https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html) and of its trigger
  filter pages, with the assumptions the module states marked as such;
- its :func:`translate` by examples, refusals, and a property: on random filters and values, the
  CodePipeline lists decide every value as pipec's filter does;
- **the trigger property**: for random pipelines (a GitHub source with push, tag and pull-request
  triggers) and random events, whether the event starts a run is the same (a) by pipec's rules
  (docs/language.md, "Triggers" and "Patterns", computed with :mod:`pipec.patterns`), (b) on
  CodePipeline, computed from the ``Triggers`` of the generated template text with the model
  above, and (c) on GitHub Actions, computed from the ``on:`` of the generated workflow text with
  :mod:`pipec.targets.github.patterns`' model of GitHub's filters; unless a target refused the
  trigger with its diagnostic (E411, E409), which is recorded as a Hypothesis event;
- each refusal, with its message.

Run with ``--hypothesis-show-statistics`` (or ``PIPEC_DEEP=1``) to see how often each platform
refused and how often events started runs.
"""

from __future__ import annotations

import re
from collections import Counter

import attrs
import pytest
import yaml
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st

import pipec
from pipec import model
from pipec import patterns as P
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import patterns as CP
from pipec.targets.aws.patterns import Untranslatable, codepipeline_regex, translate
from pipec.targets.github.patterns import github_list_matches

PROPERTY = settings(max_examples=max(200, int(settings().max_examples * 1.5)))  # 300 / 15,000
#: The trigger property builds both targets for each example: 200 / 10,000 examples.
TRIGGER_PROPERTY = settings(max_examples=max(200, settings().max_examples))


def cp(pattern, value):
    return CP.matches(pattern, value)


# ----------------------------------------------------------------------------- CodePipeline: the model


@pytest.mark.parametrize("pattern,yes,no", [
    # syntax-glob page, the examples
    ("*.java", ["Foo.java", ".java"], ["src/Foo.java", "Foo.jav"]),
    ("*.*", ["a.b", "a.", ".b"], ["ab", "a/b.c"]),
    ("*.{java,class}", ["A.java", "A.class"], ["A.jar", "A.", "a/A.java"]),
    ("foo.?", ["foo.c", "foo.x"], ["foo.", "foo.cc", "foo./"]),
    # the rules' own examples: a root file, a file in a subdirectory, all files, a directory
    ("my-file.jar", ["my-file.jar"], ["dir/my-file.jar", "my-file.jar2"]),
    ("directory/my-file.jar", ["directory/my-file.jar"], ["my-file.jar"]),
    ("directory/subdirectory/my-file.jar", ["directory/subdirectory/my-file.jar"], ["directory/my-file.jar"]),
    ("**", ["a", "a/b/c.txt", "feature/x"], []),
    ("directory/**", ["directory/a", "directory/a/b"], ["directory", "dir/a"]),
    ("directory/*", ["directory/a"], ["directory/a/b", "directory"]),
    # "to specify one character of a name component": never '/'
    ("a?b", ["axb", "a.b"], ["a/b", "ab"]),
    # sets; "*, ? and \ match themselves" inside; '-' first, or first after '!', is literal
    ("[abc]", ["a", "c"], ["d", "ab"]),
    ("[a-z]x", ["qx"], ["Qx", "/x"]),
    ("[.-a]", [".", "0", "a"], ["/", "b"]),  # a range, but never '/' (assumed, as in Java)
    ("[*?\\]", ["*", "?", "\\"], ["a"]),
    ("[-a]", ["-", "a"], ["b"]),
    ("[!a-c]", ["d", "-", "Z"], ["a", "b", "/"]),
    ("[!-a]", ["b"], ["-", "a"]),
    # '\' escapes
    ("\\*", ["*"], ["a", ""]),
    ("a\\{b\\}", ["a{b}"], ["ab"]),
    # the trigger-filter page's CLI example (pipelines-filter-cli.html)
    ("projectA/**", ["projectA/a", "projectA/x/y.js"], ["projectB/a", "projectA"]),
    ("feature/**", ["feature/a", "feature/a/b"], ["feature", "features/a"]),
    ("release-v0", ["release-v0"], ["release-v01"]),
    # literal characters pipec also treats as literal
    ("c++/**", ["c++/main.cc"], ["c/main.cc", "cc/main.cc"]),
    ("v1.0+build", ["v1.0+build"], ["v1x0+build", "v1.00build"]),
])
def test_codepipeline_documented_examples(pattern, yes, no):
    for value in yes:
        assert cp(pattern, value), f"{pattern!r} should match {value!r}"
    for value in no:
        assert not cp(pattern, value), f"{pattern!r} should not match {value!r}"


def test_codepipeline_assumptions():
    """What the model takes from Java's rules, which the glob page copies, without AWS saying so."""
    # '**' is "characters crossing directory boundaries" wherever it stands: '**/x' needs a '/'
    assert cp("**/README.md", "docs/README.md") and not cp("**/README.md", "README.md")
    assert cp("a/**/b", "a/x/b") and not cp("a/**/b", "a/b")
    assert cp("common/**/*.js", "common/x/a.js") and not cp("common/**/*.js", "common/a.js")
    # subpatterns of a group may hold wildcards and '/'
    assert cp("{**/*.md,*.md}", "README.md") and cp("{**/*.md,*.md}", "a/b.md")
    assert not cp("{a/*,b}", "a/b/c")
    # '*' matches a leading '.'; matching is case-sensitive
    assert cp("*", ".gitignore") and not cp("main", "Main")


@pytest.mark.parametrize("pattern", ["", "***", "[]", "[!]", "[a", "a]", "[a-]", "[a-b-c]", "[c-a]",
                                     "[a/b]", "{a", "a}", "{a,{b}}", "a,b", "{,a}", "{a,}", "a\\"])
def test_codepipeline_undocumented_constructs_are_errors(pattern):
    with pytest.raises(ValueError):
        codepipeline_regex(pattern)


def test_codepipeline_filters():
    # CLI page example: branches includes feature/**, release/**, excludes mainline; CDK reference:
    # "The branchesExcludes takes priority over the branchesIncludes"
    inc, exc = ["feature/**", "release/**"], ["mainline"]
    assert CP.filter_matches(inc, exc, "feature/a") and not CP.filter_matches(inc, exc, "mainline")
    assert not CP.filter_matches(["**"], ["main"], "main")
    # file paths: includes projectA/**, common/**/*.js; excludes **/README.md, **/LICENSE
    inc, exc = ["projectA/**", "common/**/*.js"], ["**/README.md", "**/LICENSE"]
    assert CP.paths_match(inc, exc, ["projectA/README.md", "projectA/src/a.py"])
    assert not CP.paths_match(inc, exc, ["projectA/README.md", "other/a.py"])
    assert not CP.paths_match(inc, exc, [])
    with pytest.raises(ValueError):
        CP.filter_matches([], ["x"], "y")  # a filter without Includes is not documented
    with pytest.raises(ValueError):
        CP.filter_matches([f"p{n}" for n in range(9)], [], "p1")  # at most 8 patterns
    with pytest.raises(TypeError):
        CP.filter_matches("main", [], "main")


# ----------------------------------------------------------------------------- translation


@pytest.mark.parametrize("includes,excludes,expected", [
    (["main"], [], (["main"], [])),
    (["release/**", "main"], ["release/old/**"], (["release/**", "main"], ["release/old/**"])),
    ([], ["docs/**"], (["**"], ["docs/**"])),
    # '**/' may match no directory in pipec, never on CodePipeline: written with and without it
    (["**/*.md"], [], (["**/*.md", "*.md"], [])),
    (["main"], ["**/*.md"], (["main"], ["**/*.md", "*.md"])),
    (["a/**/b"], [], (["a/**/b", "a/b"], [])),
    (["**/**/x", "**/**"], [], (["**/x", "x", "**"], [])),  # simplified before doubling
    (["a**/b"], [], (["a**/b"], [])),  # not after '/': any text, the same on both
    # groups of literal alternatives are kept; others are written out
    (["*.{java,class}"], [], (["*.{java,class}"], [])),
    (["{src,lib}/**/*.{js,ts}"], [], (["{src,lib}/**/*.{js,ts}", "{src,lib}/*.{js,ts}"], [])),
    (["v1{,-beta}"], [], (["v1", "v1-beta"], [])),  # an empty alternative
    (["{a/,}**/x"], [], (["a/**/x", "a/x", "**/x", "x"], [])),  # '**/' depends on the alternative
    (["{a,*}*"], [], (["a*", "**"], [])),  # '{a,*}*' is 'a*' or '**' in pipec
    # sets: '-' first; pipec's literal '-' between groups is not a range
    (["[Z-a]x", "[.-_]"], ["[a-]"], (["[-Za]x", "[-._]"], ["[-a]"])),
    (["v[0-9]*"], ["*-rc*"], (["v[0-9]*"], ["*-rc*"])),
    (["c++/**", "?.?"], [], (["c++/**", "?.?"], [])),  # '?' is one character but '/' on both
    (["main"], ["{,}"], (["main"], [])),  # an exclude that matches nothing is left out
])
def test_translate(includes, excludes, expected):
    assert translate(includes, excludes) == expected


def test_translate_packs_into_groups_when_the_list_is_too_long():
    includes = [f"**/x{n}.md" for n in range(8)]  # 16 patterns once every '**/' is doubled
    inc, exc = translate(includes, [])
    assert len(inc) <= CP.MAX_PATTERNS and all(len(p) <= CP.MAX_LENGTH for p in inc) and not exc
    assert inc == ["{" + ",".join(f"{d}x{n}.md" for n in range(8) for d in ("**/", "")) + "}"]
    for value in ("x3.md", "a/b/x7.md", "x8.md", "a/x3.mdx"):
        assert CP.filter_matches(inc, [], value) == P.filter_matches(includes, [], value), value


def test_translate_refusals():
    with pytest.raises(Untranslatable) as exc:
        translate(["**/{a,b}/**/{c,d}/**/{e,f}/**/*.{g,h}"], [])
    assert exc.value.pattern == "**/{a,b}/**/{c,d}/**/{e,f}/**/*.{g,h}"
    assert "takes 256 CodePipeline patterns" in exc.value.reason
    assert exc.value.hint.startswith("Use fewer '**/'")
    assert exc.value.reason.endswith(".") and exc.value.hint.endswith(".")
    with pytest.raises(Untranslatable, match="matches no branch"):
        translate(["{,}"], [])
    with pytest.raises(Untranslatable, match=re.escape("'***'")):
        translate(["{**,}*"], [])
    assert translate(["{a,b}" * 11], []) == (["{a,b}" * 11], [])  # literal groups are kept
    with pytest.raises(Untranslatable, match="2048"):
        translate(["x{a,.*}" * 11], [])  # more alternatives than pipec's matcher expands
    with pytest.raises(Untranslatable):
        translate(["main"], ["**/{a,b}/**/{c,d}/**/{e,f}/**/*.{g,h}"])  # excludes too
    with pytest.raises(P.PatternError):
        translate(["a b"], [])
    with pytest.raises(TypeError):
        translate("main", [])


#: Pieces of random pipec patterns: the brief's alphabet, plus alternatives that are empty, end
#: with '/' or hold a '*', and a set whose '-' is literal in pipec and a range in Java's syntax.
PIECES = ["a", "b", "+", ".", "-", "/", "*", "**", "**/", "[ab]", "{a,b}", "{,b}", "{a/,b}", "{a,*}", "[.-a]"]
SEGMENT_CHARS = "ab+.-x"
#: Characters a value may be mutated to: also some that fall in a Java-style range '.-a' only.
MUTATION_CHARS = SEGMENT_CHARS + "/0A_"


def _fix(text: str) -> str:
    while "***" in text:
        text = text.replace("***", "**")
    return "a" + text if text.startswith("/") else text


@st.composite
def pipec_patterns(draw, max_pieces=5, pieces=tuple(PIECES)):
    # '**/' first more often: where pipec and CodePipeline differ most
    first = draw(st.sampled_from(pieces + ("**/",) * 3))
    return _fix(first + "".join(draw(st.lists(st.sampled_from(pieces), max_size=max_pieces - 1))))


def _valid_name(value: str) -> bool:
    """A branch, tag or path: non-empty segments separated by single '/'."""
    return bool(value) and all(value.split("/"))


segments = st.text(alphabet=SEGMENT_CHARS, min_size=1, max_size=3)
names = st.lists(segments, min_size=1, max_size=3).map("/".join)


@st.composite
def value_for(draw, pattern):
    """A name ``pattern`` matches, most of the time (then mutated, sometimes); any name when
    the pattern has no meaning or the drawn value is not a valid name."""
    try:
        alternatives = [a for a in P.expand(pattern) if a]
        tokens = P.tokenize(draw(st.sampled_from(alternatives))) if alternatives else ()
    except P.PatternError:
        return draw(names)
    free = st.text(alphabet=SEGMENT_CHARS, max_size=2)
    out = []
    for t in tokens:
        if t.kind == P.STAR:
            out.append(draw(free))
        elif t.kind == P.GLOBSTAR:
            out.append(draw(st.one_of(free, names)))
        elif t.kind == P.DIRS:  # no directory half of the time: where the platforms differ
            out.append("".join(d + "/" for d in draw(st.lists(segments, max_size=2) | st.just([]))))
        elif t.kind == P.SET:
            lo, hi = draw(st.sampled_from(t.ranges))
            out.append(chr(draw(st.integers(ord(lo), ord(hi)))))
        elif t.kind == P.ONE:
            out.append(draw(st.sampled_from(SEGMENT_CHARS)))
        else:
            out.append(t.text)
    value = "".join(out)
    if value and draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(value) - 1))
        value = value[:i] + draw(st.sampled_from(MUTATION_CHARS)) + value[i + 1:]
    return value if _valid_name(value) else draw(names)


@PROPERTY
@given(st.data())
def test_translation_decides_every_value_like_pipec(data):
    # with '?' too, which GitHub cannot express but CodePipeline can
    patterns = pipec_patterns(pieces=(*PIECES, "?"))
    includes = data.draw(st.lists(patterns, max_size=3), label="includes")
    excludes = data.draw(st.lists(patterns, max_size=3), label="excludes")
    try:
        inc, exc = translate(includes, excludes)
    except Untranslatable as refusal:
        event(f"refused: {refusal.reason.split(',')[0]}")
        # refused only where pipec's matcher has no meaning, or the lists do not fit
        assert "'***'" in refusal.reason or "CodePipeline patterns" in refusal.reason \
            or "matches no branch" in refusal.reason
        return
    event("translated")
    assert inc and len(inc) <= CP.MAX_PATTERNS and len(exc) <= CP.MAX_PATTERNS
    assert all(0 < len(p) <= CP.MAX_LENGTH for p in inc + exc)
    values = data.draw(st.lists(st.one_of(names, st.text(alphabet="ab/.+-", min_size=1, max_size=6)),
                                min_size=1, max_size=3), label="values")
    for p in [*includes, *excludes]:  # values each pattern matches, most of the time
        values += data.draw(st.lists(value_for(p), min_size=2, max_size=3), label=f"values for {p}")
    for value in values:
        expected = P.filter_matches(includes, excludes, value)
        event(f"pipec filter matches: {expected}")
        assert CP.filter_matches(inc, exc, value) == expected, (value, inc, exc)


# ----------------------------------------------------------------------------- pipelines and events


@attrs.frozen
class Trig:
    """One generated ``on`` line: kind push (branches), tag or pr; filters as (includes, excludes)."""

    kind: str
    branches: tuple | None = None
    tags: tuple | None = None
    paths: tuple | None = None
    events: tuple = ()
    via: str | None = None

    def line(self) -> str:
        words = ["on", "pull_request" if self.kind == "pr" else "push"]
        words += list(self.events)
        for keyword, f in (("tags", self.tags), ("into" if self.kind == "pr" else "branches", self.branches),
                           ("paths", self.paths)):
            if f is not None:
                words.append(keyword)
                words += [f'"{p}"' for p in f[0]] + [f'!"{p}"' for p in f[1]]
        if self.via:
            words += ["via", self.via]
        return " ".join(words)


@attrs.frozen
class Spec:
    branch: str
    triggers: tuple

    def text(self) -> str:
        lines = "".join(f"    {t.line()}\n" for t in self.triggers)
        return (f'pipeline gen {{\n  source app github "o/r" {{\n    branch "{self.branch}"\n{lines}  }}\n'
                '  stage build {\n    build web {\n      build "make"\n    }\n  }\n}\n')


@attrs.frozen
class Event:
    kind: str  # push, tag, pr
    ref: str  # the branch pushed to, the tag, or the pull request's target branch
    files: tuple = ()
    action: str | None = None  # pr: opened, updated, closed (merged)


SHORT_PATTERNS = pipec_patterns(max_pieces=4)


@st.composite
def filters(draw, min_includes=0):
    inc = draw(st.lists(SHORT_PATTERNS, min_size=min_includes, max_size=2))
    exc = draw(st.lists(SHORT_PATTERNS, min_size=0 if inc else 1, max_size=2))
    return tuple(inc), tuple(exc)


FILTERS = filters()
OPTIONAL_FILTERS = st.none() | FILTERS
TAG_FILTERS = filters(min_includes=1)
EVENT_NAMES = st.lists(st.sampled_from(["opened", "updated", "closed"]), unique=True, max_size=3)
vias = st.sampled_from([None, None, None, None, "aws", "github"])


@st.composite
def specs(draw) -> Spec:
    branch = draw(st.sampled_from(["main", "a", "a/b", "b+.x"]))
    n_push = draw(st.integers(0, 3))
    n_tag = draw(st.integers(0, min(2, 3 - n_push)))
    n_pr = draw(st.integers(0, 2))
    triggers = []
    first = None
    for _ in range(n_push):
        if first is not None and draw(st.booleans()):
            # same paths and branch excludes: GitHub can merge these into one 'push' filter
            extra = draw(st.lists(SHORT_PATTERNS, min_size=1, max_size=2))
            t = attrs.evolve(first, branches=(tuple(extra), first.branches[1]) if first.branches else None,
                             via=draw(vias))
        else:
            t = Trig("push", branches=draw(OPTIONAL_FILTERS), paths=draw(OPTIONAL_FILTERS), via=draw(vias))
        first = first or t
        triggers.append(t)
    tag_first = None
    for _ in range(n_tag):
        tags = draw(TAG_FILTERS)
        if tag_first is not None and draw(st.booleans()):
            tags = (tags[0], tag_first.tags[1])
        t = Trig("tag", tags=tags, via=draw(vias))
        tag_first = tag_first or t
        triggers.append(t)
    pr_first = None
    for _ in range(n_pr):
        events = draw(EVENT_NAMES)
        events = tuple(e for e in ("opened", "updated", "closed") if e in events)
        if pr_first is not None and draw(st.booleans()):
            t = attrs.evolve(pr_first, events=events, via=draw(vias))
        else:
            t = Trig("pr", events=events, branches=draw(OPTIONAL_FILTERS), paths=draw(OPTIONAL_FILTERS),
                     via=draw(vias))
        pr_first = pr_first or t
        triggers.append(t)
    return Spec(branch, tuple(draw(st.permutations(triggers))))


def _patterns_of(spec: Spec, field: str, side: int) -> list[str]:
    """The include (``side`` 0) or exclude (1) patterns of every trigger's ``field``."""
    return [p for t in spec.triggers if getattr(t, field) is not None for p in getattr(t, field)[side]]


def events_for(spec: Spec):
    """Events for ``spec``, mostly of the kinds it has triggers for, their names drawn often
    from its own patterns (includes twice as often as excludes) so that both outcomes occur.
    The strategy is built once per pipeline."""
    def from_patterns(field, *others):
        includes = [value_for(p) for p in _patterns_of(spec, field, 0)]
        excludes = [value_for(p) for p in _patterns_of(spec, field, 1)]
        return st.one_of(names, *others, *includes, *includes, *excludes)

    branches = from_patterns("branches", st.just(spec.branch), st.just(spec.branch))
    tags = from_patterns("tags", st.just("v1"))
    files = st.lists(from_patterns("paths"), min_size=1, max_size=3).map(tuple)
    actions = st.sampled_from(["opened", "updated", "closed"])
    by_kind = {
        "push": st.builds(Event, st.just("push"), branches, files),
        "tag": st.builds(Event, st.just("tag"), tags),
        "pr": st.builds(Event, st.just("pr"), branches, files, actions),
    }
    present = {t.kind for t in spec.triggers} or {"push"}
    return st.one_of(*[by_kind[k] for k in sorted(present)] * 3, *by_kind.values())


# ----------------------------------------------------------------------------- (a) pipec's rules


def _pipec_filter(f, value) -> bool:
    return P.filter_matches(f[0], f[1], value)


def pipec_decides(spec: Spec, platform: str, ev: Event) -> bool:
    """docs/language.md, "Triggers": any trigger bound to ``platform`` (or to none) matches; a
    source without any ``on`` line starts on pushes to its branch."""
    triggers = [t for t in spec.triggers if t.via in (None, platform)]
    if not spec.triggers:
        triggers = [Trig("push")]
    for t in triggers:
        if t.kind == "push" and ev.kind == "push":
            branches = t.branches or ((spec.branch,), ())  # watches the source's branch
            if _pipec_filter(branches, ev.ref) and (
                    t.paths is None or P.paths_match(t.paths[0], t.paths[1], ev.files)):
                return True
        elif t.kind == "tag" and ev.kind == "tag":
            if _pipec_filter(t.tags, ev.ref):
                return True
        elif t.kind == "pr" and ev.kind == "pr":
            if ev.action in (t.events or ("opened", "updated")) and _pipec_filter(t.branches or (("**",), ()), ev.ref) \
                    and (t.paths is None or P.paths_match(t.paths[0], t.paths[1], ev.files)):
                return True
    return False


def model_decides(pipeline: model.Pipeline, platform: str, ev: Event) -> bool:
    """The same decision from the checked model (pipec.semantic's reading of the file)."""
    for t in pipeline.sources[0].triggers:
        if t.platform not in (None, platform):
            continue
        if isinstance(t, model.PushTrigger) and t.tags is not None:
            hit = ev.kind == "tag" and P.filter_matches(t.tags.includes, t.tags.excludes, ev.ref)
        elif isinstance(t, model.PushTrigger):
            hit = ev.kind == "push" and P.filter_matches(t.branches.includes, t.branches.excludes, ev.ref) and (
                t.paths is None or P.paths_match(t.paths.includes, t.paths.excludes, ev.files))
        elif isinstance(t, model.PullRequestTrigger):
            hit = ev.kind == "pr" and ev.action in t.events and P.filter_matches(
                t.branches.includes, t.branches.excludes, ev.ref) and (
                t.paths is None or P.paths_match(t.paths.includes, t.paths.excludes, ev.files))
        else:
            hit = False
        if hit:
            return True
    return False


# ----------------------------------------------------------------------------- (b) CodePipeline


CP_EVENTS = {"opened": "OPEN", "updated": "UPDATED", "closed": "CLOSED"}


def _cp_filter(criteria: dict, value: str) -> bool:
    assert set(criteria) <= {"Includes", "Excludes"}, criteria
    return CP.filter_matches(criteria["Includes"], criteria.get("Excludes", []), value)


def load_yaml(text: str):
    """The YAML text as data, every scalar a string (all that triggers hold; the fast loader)."""
    return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))


def codepipeline_decides(template_text: str | dict, ev: Event) -> bool:
    """CodePipeline's decision, from the template text: the source action's trigger
    configuration (at most 3 push and 3 pull-request filters; OR between filters, AND within
    one); without one, a source that detects changes starts on pushes to its BranchName."""
    template = load_yaml(template_text) if isinstance(template_text, str) else template_text
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    props = pipeline["Properties"]
    action = props["Stages"][0]["Actions"][0]
    assert action["Name"] == "app"
    config = action["Configuration"]
    triggers = [t for t in props.get("Triggers", []) if t["GitConfiguration"]["SourceActionName"] == "app"]
    assert len(triggers) <= 1  # one trigger configuration per source action
    if not triggers:
        return config["DetectChanges"] == "true" and ev.kind == "push" and ev.ref == config["BranchName"]
    assert config["DetectChanges"] == "true"
    git = triggers[0]["GitConfiguration"]
    assert len(git.get("Push", [])) <= 3 and len(git.get("PullRequest", [])) <= 3
    for f in git.get("Push", []):
        # valid filter combinations: tags, or branches, or branches and file paths
        assert set(f) in ({"Tags"}, {"Branches"}, {"Branches", "FilePaths"}), f
        if ev.kind == "tag" and "Tags" in f and _cp_filter(f["Tags"], ev.ref):
            return True
        if ev.kind == "push" and "Branches" in f and _cp_filter(f["Branches"], ev.ref) and (
                "FilePaths" not in f or any(_cp_filter(f["FilePaths"], x) for x in ev.files)):
            return True
    for f in git.get("PullRequest", []):
        assert set(f) <= {"Events", "Branches", "FilePaths"} and f["Events"], f
        if ev.kind == "pr" and CP_EVENTS[ev.action] in f["Events"] and (
                "Branches" not in f or _cp_filter(f["Branches"], ev.ref)) and (
                "FilePaths" not in f or any(_cp_filter(f["FilePaths"], x) for x in ev.files)):
            return True
    return False


# ----------------------------------------------------------------------------- (c) GitHub Actions


GH_TYPES = {"opened": "opened", "updated": "synchronize", "closed": "closed"}


def _gh_ref(body: dict, key: str, value: str) -> bool:
    assert f"{key}-ignore" not in body  # pipec writes '!' patterns, never *-ignore lists
    return key not in body or github_list_matches(body[key], value)


def _gh_paths(body: dict, files) -> bool:
    assert "paths-ignore" not in body
    # GitHub evaluates only the first 300 changed files (the events here change fewer)
    return "paths" not in body or any(github_list_matches(body["paths"], f) for f in list(files)[:300])


def github_decides(workflow_text: str | dict, ev: Event) -> bool:
    """GitHub's decision, from the workflow text ("Workflow syntax for GitHub Actions",
    ``on.push`` and ``on.pull_request``): branch pushes need ``branches`` to match and, with
    ``paths``, a changed file to match; tag pushes need ``tags`` and ignore ``paths``; a push
    filter with only tags never runs on branch pushes, and only branches never on tag pushes;
    pull requests filter on ``types`` (default opened, synchronize, reopened), the base branch
    and ``paths``."""
    workflow = load_yaml(workflow_text) if isinstance(workflow_text, str) else workflow_text
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 loaders read an unquoted 'on' as True
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    on = on or {}
    if ev.kind in ("push", "tag"):
        if "push" not in on:
            return False
        body = on["push"] or {}
        has_branches = "branches" in body or "branches-ignore" in body
        has_tags = "tags" in body or "tags-ignore" in body
        if ev.kind == "push":
            return not (has_tags and not has_branches) and _gh_ref(body, "branches", ev.ref) \
                and _gh_paths(body, ev.files)
        return not (has_branches and not has_tags) and _gh_ref(body, "tags", ev.ref)
    if "pull_request" not in on:
        return False
    body = on["pull_request"] or {}
    types = body.get("types", ["opened", "synchronize", "reopened"])
    return GH_TYPES[ev.action] in types and _gh_ref(body, "branches", ev.ref) and _gh_paths(body, ev.files)


# ----------------------------------------------------------------------------- the property


#: Outcomes over every run of :func:`test_triggers_agree` in this session (see the next test).
STATS: Counter = Counter()
REFUSAL_CODES = {"aws": "E411", "github": "E409"}


def _build(pipeline, target: str):
    """The target's files, or the Diagnostics it refused with (never anything else)."""
    try:
        return generate(pipeline, EmitContext(source="gen.pipe", prefix=""), [target])
    except Diagnostics as exc:
        return exc


def _meaningless(spec: Spec, platform: str) -> bool:
    """Whether a pattern of a trigger ``platform`` sees has no meaning in pipec (``***`` once its
    braces are expanded): the checker lets it through; the matcher and the targets refuse it."""
    for t in spec.triggers:
        if t.via not in (None, platform):
            continue
        for f in (t.branches, t.tags, t.paths):
            for p in (f[0] + f[1]) if f else ():
                try:
                    P.to_regex(p)
                except P.PatternError:
                    return True
    return False


@TRIGGER_PROPERTY
@given(spec=specs(), data=st.data())
def test_triggers_agree(spec, data):
    text = spec.text()
    try:
        pipeline, _warnings = pipec.compile_text(text, "gen.pipe")
    except Diagnostics:
        reject()  # pipec check refuses the file (too many triggers or patterns)
    built = {}
    for platform in ("aws", "github"):
        out = _build(pipeline, platform)
        if isinstance(out, Diagnostics):
            codes = {d.code for d in out.diagnostics}
            assert codes == {REFUSAL_CODES[platform]}, [(d.code, d.message) for d in out.diagnostics]
            assert all(d.message and d.help and d.span for d in out.diagnostics)
            event(f"{platform}: refused ({REFUSAL_CODES[platform]})")
            STATS[f"{platform} refused"] += 1
        else:
            event(f"{platform}: built")
            # the generated text, read as the platform reads it (once per pipeline)
            built[platform] = load_yaml(out["aws/gen.template.yaml" if platform == "aws" else
                                           ".github/workflows/gen.yml"])
    for platform in ("aws", "github"):
        if _meaningless(spec, platform):
            assert platform not in built, f"{platform} accepted a pattern that has no meaning in pipec"
            event(f"{platform}: a pattern has no meaning in pipec")
    platforms = [p for p in ("aws", "github") if not _meaningless(spec, p)]
    evs = data.draw(st.lists(events_for(spec), min_size=6, max_size=12), label="events")
    for ev in evs:
        for platform in platforms:
            expected = pipec_decides(spec, platform, ev)
            assert model_decides(pipeline, platform, ev) == expected, (platform, ev)
            if platform not in built:
                continue
            decides = codepipeline_decides if platform == "aws" else github_decides
            got = decides(built[platform], ev)
            assert got == expected, (platform, ev, text)
            outcome = "starts a run" if expected else "does not start"
            event(f"{platform}: an event {outcome}")
            STATS[f"{platform} {outcome}"] += 1
            STATS[f"{platform} {ev.kind} {outcome}"] += 1
    for platform in built:
        STATS[f"{platform} compared"] += 1


def test_the_trigger_property_is_not_vacuous():
    """Both outcomes occur often on both platforms, for every kind of event, and so do the
    refusals; nothing is decided by default."""
    if not STATS:
        test_triggers_agree()
    for platform in ("aws", "github"):
        compared = STATS[f"{platform} compared"]
        assert compared >= 0.25 * settings().max_examples, STATS
        started, not_started = STATS[f"{platform} starts a run"], STATS[f"{platform} does not start"]
        assert min(started, not_started) >= 0.15 * (started + not_started), STATS
        for kind in ("push", "tag", "pr"):
            assert STATS[f"{platform} {kind} starts a run"] >= 10, (kind, STATS)
            assert STATS[f"{platform} {kind} does not start"] >= 10, (kind, STATS)
        assert STATS[f"{platform} refused"] >= 1, STATS


# ----------------------------------------------------------------------------- refusals


def _refusal(text: str, target: str):
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    with pytest.raises(Diagnostics) as exc:
        generate(pipeline, EmitContext(source="demo.pipe", prefix=""), [target])
    (d,) = exc.value.diagnostics
    assert d.help.endswith(".") and d.span is not None
    return d


def _pipeline(*trigger_lines: str) -> str:
    lines = "".join(f"    {line}\n" for line in trigger_lines)
    return ('pipeline demo {\n  source app github "my-org/app" {\n    branch main\n' + lines + "  }\n"
            '  stage build {\n    build web {\n      build "make"\n    }\n  }\n}\n')


@pytest.mark.parametrize("line,says", [
    ('on push branches main paths "**/{api,web}/**/{src,test}/**/generated/**/*.{ts,js}" via aws',
     "this filter takes 128 CodePipeline patterns"),
    ('on push branches "{,}" via aws', "matches no branch, tag or path"),
    ('on push tags "{**,}*" via aws', "holds '***'"),
    ('on pull_request into main paths "src/**" !"**/{a,b}/**/{c,d}/**/{e,f}/**/*.{g,h}" via aws',
     "this filter takes 256 CodePipeline patterns"),
])
def test_aws_refusals_are_E411(line, says):
    d = _refusal(_pipeline(line), "aws")
    assert d.code == "E411" and d.span.line == 4 and d.span.column == 5
    assert "has no faithful CodePipeline equivalent" in d.message and says in d.message


@pytest.mark.parametrize("lines,says", [
    (['on push tags "v?.*" via github'], "zero or one of the preceding character"),
    (['on push branches "{,}" via github'], "matches no branch, tag or path"),
    (['on push tags "{**,}*" via github'], "holds '***'"),
    (['on push branches main paths "src/**" via github', 'on push branches dev paths "docs/**" via github'],
     "this trigger's filters differ from the first one's"),
    (['on pull_request into main via github', 'on pull_request into dev paths "x/**" via github'],
     "this trigger's filters differ from the first one's"),
])
def test_github_refusals_are_E409(lines, says):
    d = _refusal(_pipeline(*lines), "github")
    assert d.code == "E409" and says in d.message


def test_the_same_pipeline_builds_on_the_other_platform():
    """A refusal is the platform's: the other target builds the same trigger."""
    text = _pipeline('on push branches main paths "**/{api,web}/**/{src,test}/**/generated/**/*.{ts,js}"')
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    files = generate(pipeline, EmitContext(source="demo.pipe", prefix=""), ["github"])
    assert github_decides(files[".github/workflows/demo.yml"],
                          Event("push", "main", ("generated/x.ts",))) is False
    assert github_decides(files[".github/workflows/demo.yml"],
                          Event("push", "main", ("api/src/generated/x.ts",))) is True
    assert isinstance(_build(pipeline, "aws"), Diagnostics)