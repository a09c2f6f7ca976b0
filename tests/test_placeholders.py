"""W601 (pipec.placeholders): the quick test for a file without placeholders never hides one."""

from __future__ import annotations

from pipec import placeholders


def test_every_alternative_of_the_pattern_starts_with_one_of_the_words():
    # check() skips the line-by-line search when none of _WORDS is in the text: each alternative
    # of PLACEHOLDER must need one of them, or a placeholder could go unreported
    alternatives = placeholders.PLACEHOLDER.pattern.split("|")
    assert len(alternatives) == len(placeholders._WORDS)
    for alt, word in zip(alternatives, placeholders._WORDS):
        assert alt.removeprefix(r"\b").startswith(word), (alt, word)


def test_each_placeholder_is_found_on_its_line():
    text = ('pipeline p {\n  # OWNER/REPO in a comment is not one\n  source app github "OWNER/REPO" {\n'
            '  }\n  x REPLACE-ME-CLUSTER\n  build "echo \'pipec import: no step\' && exit 1"\n}\n')
    found = [(d.code, d.span.line, d.span.column) for d in placeholders.check(text, "p.pipe")]
    assert found == [("W601", 3, 22), ("W601", 5, 5), ("W601", 6, 16)]
    assert placeholders.check(text.replace("OWNER/REPO", "o/r").replace("REPLACE-ME", "x")
                              .replace("pipec import:", "x"), "p.pipe") == []
