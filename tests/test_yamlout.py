"""The fast YAML dumper (compiler/yamlout.py) writes exactly what PyYAML's safe dumper writes with
pipec's string rule (literal blocks for multi-line text), for any plain data: it builds nodes
directly and memoises the emitter's implicit-tag checks, and must never change a byte."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from pipec import yamlout

_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Reference(_Base):
    """The dumper as it was before the fast path: PyYAML's representers, no memo."""

    def ignore_aliases(self, data):
        return True


def _str(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=yamlout._str_style(value))


Reference.add_representer(str, _str)


def reference(data) -> str:
    return yaml.dump(data, Dumper=Reference, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=100_000, indent=2)


TRICKY = ["", " ", "on", "yes", "No", "~", "null", "true", "0755", "1.0", "1e3", "0x1F", "-", "- a", "a: b",
          "#x", "x #y", "@a", "`a`", "'q'", '"q"', "%x", "*a", "&a", "!a", "a\nb", "a \nb", "line\n", "\ttab",
          "é", "${{ github.sha }}", "[a]", "{a: 1}", "?", ":", "a,b", "2024-01-01", "12:30", ".inf", "<<"]

LINES = ["", " ", "x", " x", "  indented", "x ", "# note", "- item", "key: value", "'q'", '"q"', "\t", "é",
         "echo \"$A\" | tr a b", "...", "---", "|", ">"]
multiline = st.lists(st.sampled_from(LINES), min_size=2, max_size=6).map("\n".join)
scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12), multiline, st.integers(-10**6, 10**6),
                    st.floats(), st.sampled_from([0.2, 0.0, -1.5, 1e17, 1e-7, 12345678901234567890.0]),
                    st.booleans(), st.none())
data = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), kids, max_size=4)), max_leaves=25)


@given(data)
def test_fast_dumper_writes_what_pyyaml_writes(value):
    assert yamlout.dump(value) == reference(value)


def test_pipec_shapes_take_the_fast_path():
    """The documents pipec writes never fall back to PyYAML's slow path."""
    doc = {"on": {"push": {"branches": ["main"]}}, "jobs": {"b": {"steps": [
        {"name": "Build", "run": "set -e\nmake\n"}, {"uses": "actions/checkout@0123", "with": {"fetch-depth": 0}}],
        "needs": [], "env": {}}}, "version": "0.2", "yes": "on", "x": None, "y": True, "n": 7}
    assert yamlout._Fast().document(doc) == reference(doc)
    buildspec = {"version": 0.2, "phases": {"build": {"commands": ["make"]}}}  # a float, not a string
    appspec = {"version": 0.0, "os": "linux", "files": [{"source": "/", "destination": "/srv"}]}
    for doc in (buildspec, appspec):
        assert yamlout._Fast().document(doc) == reference(doc)


def test_shared_objects_are_written_out_again():
    shared = {"a": [1, 2]}
    text = yamlout.dump({"x": shared, "y": shared})
    assert "&" not in text and "*" not in text and text == reference({"x": shared, "y": shared})


def test_simple_words_take_the_shortcut_and_agree():
    words = ["main", "actions/checkout", "my-app.v2", "a-", "a.", "1.0", "0755", "true", "on", "null", "1e3",
             "0x1F", "12_000", "v1.2.3", "_x", "x/y/z", "2024-01-01"]
    for w in words:
        assert yamlout.dump({w: [w]}) == reference({w: [w]}), w


# values of every kind under plain keys: the fast path writes them all itself (a string it does
# not write is rendered by PyYAML alone and put in place), and the text is PyYAML's
plain_keys = st.sampled_from(["a", "run", "with", "k1", "env"])
valued = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, min_size=1, max_size=4),
    st.dictionaries(plain_keys, kids, min_size=1, max_size=4)), max_leaves=25)


@given(st.dictionaries(plain_keys, valued, min_size=1, max_size=4), st.text(max_size=30))
def test_fast_path_writes_any_string_value_as_pyyaml_does(doc, text):
    doc = {**doc, "deep": {"list": [text, {"x": [text]}], "v": text}}
    assert yamlout._Fast().document(doc) == reference(doc)


def test_quoted_multi_line_strings_are_placed_at_their_indentation():
    for value in ["a \nb", "x\x85y\nz", "tab\t \n  next", "é\u2028f", "\U0001F600\nq"]:
        doc = {"jobs": {"j": {"steps": [{"run": value}, value]}}}
        assert yamlout._Fast().document(doc) == reference(doc), repr(value)
        assert yaml.safe_load(yamlout.dump(doc)) == doc


def test_comments_are_written_beside_their_value_only():
    doc = {"steps": [{"uses": yamlout.Commented("actions/checkout@0123", "v4.2.2")},
                     {"run": "cat <<EOF\n  contents: read\nEOF\n"}],
           "permissions": {"contents": yamlout.Commented("read", "check out the repository", gap="  ")}}
    text = yamlout.dump(doc)
    assert "- uses: actions/checkout@0123 # v4.2.2\n" in text
    assert "  contents: read  # check out the repository\n" in text
    assert "\n      contents: read\n" in text  # the script's line, untouched
    assert yaml.safe_load(text) == {"steps": [{"uses": "actions/checkout@0123"},
                                              {"run": "cat <<EOF\n  contents: read\nEOF\n"}],
                                    "permissions": {"contents": "read"}}


_EMITTER = yaml.emitter.Emitter(None, allow_unicode=True)


def _pyyaml_analysis(value: str):
    a = _EMITTER.analyze_scalar(value)
    return a.multiline, a.allow_block_plain, a.allow_single_quoted, a.allow_block


# the characters the analysis looks at: indicators, whitespace it counts around them, breaks,
# characters on both sides of each printable range, the byte order mark and a lone surrogate
ANALYSED = " \t\r\n\0#:-?,[]{}&*!|>'\"%@`.ab\x1f\x7f\x85\x9f\xa0\u2028\u2029\ud7ff\ud800\ue000\ufeff\ufffd\ufffe"


@given(st.one_of(st.sampled_from(TRICKY + LINES), multiline,
                 st.text(alphabet=st.sampled_from(ANALYSED), max_size=12), st.text(max_size=20)))
def test_scalar_analysis_decides_as_pyyaml_does(value):
    """yamlout's regular expressions decide what PyYAML's emitter decides, character loop and all."""
    assert yamlout._analysis(value) == _pyyaml_analysis(value)


def test_scalar_analysis_on_every_short_string_of_the_analysed_characters():
    import itertools

    for n in (1, 2, 3):
        for chars in itertools.product(ANALYSED, repeat=n):
            value = "".join(chars)
            assert yamlout._analysis(value) == _pyyaml_analysis(value), repr(value)
