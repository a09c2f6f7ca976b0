"""pipec patterns as GitHub Actions filter patterns, and a model of GitHub's matcher.

GitHub documents its filters in "Workflow syntax for GitHub Actions", section "Filter pattern
cheat sheet" (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#filter-pattern-cheat-sheet):

    You can use special characters in path, branch, and tag filters.

    * ``*``: Matches zero or more characters, but does not match the ``/`` character. For
      example, ``Octo*`` matches ``Octocat``.
    * ``**``: Matches zero or more of any character.
    * ``?``: Matches zero or one of the preceding character.
    * ``+``: Matches one or more of the preceding character.
    * ``[]`` Matches one alphanumeric character listed in the brackets or included in ranges.
      Ranges can only include ``a-z``, ``A-Z``, and ``0-9``. For example, the range ``[0-9a-z]``
      matches any digit or lowercase letter. For example, ``[CB]at`` matches ``Cat`` or ``Bat``
      and ``[1-2]00`` matches ``100`` and ``200``.
    * ``!``: At the start of a pattern makes it negate previous positive patterns. It has no
      special meaning if not the first character.

and, for ``branches`` and ``tags`` (same page, ``on.push.<branches|tags|...>``): "If a name
contains any of these characters and you want a literal match, you need to escape each of these
special characters with ``\\``". On lists (same page, ``paths`` and ``branches``): "If you define
a branch with the ``!`` character, you must also define at least one branch without the ``!``
character", and "The order that you define patterns matters: A matching negative pattern
(prefixed with ``!``) after a positive match will exclude the Git ref. A matching positive
pattern after a negative match will include the Git ref again."

The cheat sheet's one-line rules are refined by its example tables, which this model takes as
normative too: ``'**/README.md'`` matches ``README.md`` (so a ``**/`` at the start matches zero
directories, although "zero or more of any character" followed by ``/`` would need a ``/``),
``docs/**/*.md`` matches ``docs/README.md`` (the same after a ``/``), ``'**/docs/**'`` matches
``docs/hello.md``, ``'*.jsx?'`` matches ``page.js`` and ``page.jsx``, and
``v[12].[0-9]+.[0-9]+`` matches ``v1.10.1`` (``+`` repeats a preceding set too).

The model (:func:`github_regex`, :func:`github_list_matches`) is written from that text alone and
shares no code with :mod:`pipec.patterns`: ``\\c`` is a literal ``c``; ``**/`` at the start or
right after a ``/`` is zero or more whole directories; any other ``**`` is any text; ``*`` is any
text without ``/``; ``?`` and ``+`` quantify the preceding character or set; ``[...]`` holds
letters, digits and ranges within ``a-z``, ``A-Z`` or ``0-9``; everything else is literal. A
value is selected when the last pattern of the list that matches it is positive. What the
documentation leaves open (``***``, a ``?`` or ``+`` with nothing to repeat, a set holding other
characters, a stray ``]``, a trailing ``\\``) is a ValueError, so the model never claims a
meaning GitHub did not document.

:func:`translate` turns a pipec filter into a GitHub list that selects exactly the values pipec's
filter matches; tests/test_patterns.py checks
``filter_matches(inc, exc, v) == github_list_matches(translate(inc, exc), v)`` on random filters
and values. It expands ``{a,b}``; escapes ``+`` (and, in :func:`escape_literal`, every special
character and a leading ``!``); writes a set's ``_``, ``.`` and ``-`` members as separate
patterns (``x[a-c.]`` is ``x[a-c]`` and ``x.``), since GitHub sets hold only alphanumerics;
writes a ``**/`` that pipec does not read as "whole directories" (``a**/b``) as ``a*/**/b``, so
that ``**/`` appears only where GitHub documents it; and puts every ``!`` pattern after every
positive one. It refuses (:class:`Untranslatable`) a ``?`` (GitHub's means something else and
GitHub has nothing for "exactly one character"), a filter that would take more than
:data:`MAX_GITHUB_PATTERNS` patterns, a filter whose includes are all empty alternatives, and an
alternative that spells ``***`` once expanded.

Taken as given although the documentation does not say it: ``\\`` escapes in ``paths`` as in
``branches`` and ``tags`` (the cheat sheet applies to all three; escaping is documented for
branch and tag names only); matching is case-sensitive; ``*`` matches a leading ``.``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import string
from typing import Iterable, Sequence

from pipec import patterns as pipec_patterns

#: The most GitHub patterns pipec writes for one filter (braces and set members multiply).
MAX_GITHUB_PATTERNS = 256

#: Characters with a meaning in a GitHub pattern; ``!`` only as the first character.
_SPECIAL = frozenset("\\*?+[]")
_ALNUM = frozenset(string.ascii_letters + string.digits)
_RANGE_GROUPS = (frozenset(string.ascii_lowercase), frozenset(string.ascii_uppercase), frozenset(string.digits))


class Untranslatable(pipec_patterns.Untranslatable):
    """A pipec pattern that GitHub Actions filters cannot express with the same meaning."""

    writes_as = "a GitHub Actions filter"


# ----------------------------------------------------------------------------- GitHub's matcher


def _github_set(body: str) -> str:
    if not body:
        raise ValueError("'[]' lists no character")
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c not in _ALNUM:
            raise ValueError(f"a GitHub set holds only alphanumeric characters and ranges; {c!r} is neither")
        if i + 1 < len(body) and body[i + 1] == "-":
            hi = body[i + 2] if i + 2 < len(body) else ""
            if not any(c in g and hi in g for g in _RANGE_GROUPS) or c > hi:
                raise ValueError(f"'{body[i:i + 3]}' is not a range within a-z, A-Z or 0-9")
            out.append(f"{c}-{hi}")
            i += 3
        else:
            out.append(c)
            i += 1
    return "[" + "".join(out) + "]"


@functools.lru_cache(maxsize=4096)
def github_regex(gh_pattern: str) -> re.Pattern[str]:
    """A regex for one GitHub filter pattern, written without its leading ``!``, matching whole
    values only (anchored). ValueError for what the cheat sheet does not define."""
    p = gh_pattern
    if not p:
        raise ValueError("an empty pattern is not documented")
    if p.startswith("!"):
        raise ValueError("a leading '!' negates the pattern within a list; use github_list_matches")
    out: list[str] = []  # one regex atom per pattern atom
    repeatable = False  # the last atom is a character or a set, not yet followed by '?' or '+'
    after_slash = False  # the pattern text just before is '/'
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            if i + 1 == len(p):
                raise ValueError("a '\\' at the end escapes nothing")
            out.append(re.escape(p[i + 1]))
            repeatable, after_slash = True, p[i + 1] == "/"
            i += 2
        elif c == "*":
            if p.startswith("***", i):
                raise ValueError("'***' is not documented")
            if p.startswith("**/", i) and (i == 0 or after_slash):
                out.append("(?:.*/)?")  # '**/README.md' matches 'README.md'
                after_slash = True
                i += 3
            elif p.startswith("**", i):
                out.append(".*")
                after_slash = False
                i += 2
            else:
                out.append("[^/]*")
                after_slash = False
                i += 1
            repeatable = False
        elif c in "?+":
            if not repeatable:
                raise ValueError(f"'{c}' must follow a character or a set")
            out[-1] += c
            repeatable = after_slash = False
            i += 1
        elif c == "[":
            close = p.find("]", i + 1)
            if close == -1:
                raise ValueError("'[' is not closed by ']'")
            out.append(_github_set(p[i + 1:close]))
            repeatable, after_slash = True, False
            i = close + 1
        elif c == "]":
            raise ValueError("']' without '['")
        else:
            out.append(re.escape(c))
            repeatable, after_slash = True, c == "/"
            i += 1
    return re.compile(r"\A(?:" + "".join(out) + r")\Z", re.DOTALL)


def github_list_matches(patterns: Sequence[str], value: str) -> bool:
    """Whether a GitHub ``branches``/``tags``/``paths`` list selects ``value``: the last pattern
    that matches it decides, selected if it is positive. A list needs a positive pattern."""
    if isinstance(patterns, str):
        raise TypeError(f"patterns must be a list, not the string {patterns!r}")
    patterns = list(patterns)
    if not any(not p.startswith("!") for p in patterns):
        raise ValueError("a GitHub filter with '!' patterns needs at least one pattern without '!'")
    selected = False
    for p in patterns:
        negative = p.startswith("!")
        if github_regex(p[1:] if negative else p).fullmatch(value):
            selected = not negative
    return selected


def escape_literal(value: str) -> str:
    """A GitHub pattern that matches ``value`` and nothing else (a branch name, for example)."""
    if not value:
        raise ValueError("an empty name has no GitHub pattern")
    out = "".join("\\" + c if c in _SPECIAL else c for c in value)
    return "\\" + out if out.startswith("!") else out


# ----------------------------------------------------------------------------- translation


def _set_choices(ranges: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """GitHub pieces that together match one character of a pipec set: one set of its letters,
    digits and ranges, plus one literal per other member ('_', '.', '-'), as GitHub sets hold
    only alphanumerics."""
    alnum = "".join(dict.fromkeys(lo if lo == hi else f"{lo}-{hi}" for lo, hi in ranges if lo in _ALNUM))
    others = tuple(dict.fromkeys(escape_literal(lo) for lo, _ in ranges if lo not in _ALNUM))
    if not alnum:
        return others
    return (alnum if len(alnum) == 1 else f"[{alnum}]",) + others


def _too_many(pattern: str, count: int) -> Untranslatable:
    return Untranslatable(
        pattern,
        f"GitHub has no {{a,b}} alternatives and its [...] sets hold only letters and digits, so "
        f"writing this for GitHub takes {count} patterns; pipec writes at most {MAX_GITHUB_PATTERNS} "
        f"for one filter.",
        "Use fewer {...} alternatives and fewer '_', '.' or '-' inside [...], or split the trigger "
        "into several 'on' lines.")


def translate_pattern(pattern: str) -> tuple[str, ...]:
    """Positive GitHub patterns that together match exactly the values ``pattern`` matches
    (nothing for a pattern whose every alternative is empty: it matches no branch, tag or path).

    Raises :class:`Untranslatable` for a ``?``, for more than :data:`MAX_GITHUB_PATTERNS` GitHub
    patterns, and for an alternative that spells ``***`` once expanded (``{**,}*``, which
    :func:`pipec.patterns.check_pattern` lets through); :class:`pipec.patterns.PatternError` for a
    pattern ``check_pattern`` refuses (E308)."""
    count = pipec_patterns.count_alternatives(pattern)  # PatternError if E308 refuses the pattern
    if count > MAX_GITHUB_PATTERNS:
        raise _too_many(pattern, count)
    try:
        alternatives = [(alt, pipec_patterns.tokenize(alt)) for alt in pipec_patterns.expand(pattern) if alt]
    except pipec_patterns.PatternError:  # only '***' is left once check_pattern has passed it
        raise Untranslatable(
            pattern,
            "Once its {...} alternatives are written out, one of them holds '***', which is not a "
            "pattern operator.",
            "Write '**' to match across directories, and keep a '*' at the edge of an alternative "
            "away from a '*' next to the group.") from None
    per_alternative: list[list[tuple[str, ...]]] = []
    for alt, tokens in alternatives:  # an empty alternative matches no branch, tag or path
        choices: list[tuple[str, ...]] = []
        for k, t in enumerate(tokens):
            if t.kind == pipec_patterns.ONE:
                raise Untranslatable(
                    pattern,
                    "GitHub's '?' means 'zero or one of the preceding character'; pipec's '?' means "
                    "exactly one character other than '/', and GitHub has no operator for that.",
                    "Write the set of characters you mean, such as [0-9] or [a-z], or use '*' if any "
                    "number of characters will do.")
            if t.kind == pipec_patterns.GLOBSTAR and k + 1 < len(tokens) and tokens[k + 1].text == "/":
                # 'a**/b' (any text, then '/b'): GitHub documents '**/' only at the start or after
                # a '/', so write the same set of values as 'a*/**/b'
                choices.append(("*/**",))
            elif t.kind in (pipec_patterns.STAR, pipec_patterns.GLOBSTAR, pipec_patterns.DIRS):
                choices.append((t.text,))
            elif t.kind == pipec_patterns.SET:
                choices.append(_set_choices(t.ranges))
            else:
                choices.append((escape_literal(t.text),))
        per_alternative.append(choices)
    count = sum(math.prod(len(c) for c in choices) for choices in per_alternative)
    if count > MAX_GITHUB_PATTERNS:
        raise _too_many(pattern, count)
    return tuple(dict.fromkeys("".join(piece) for choices in per_alternative
                               for piece in itertools.product(*choices)))


def translate(includes: Iterable[str], excludes: Iterable[str]) -> list[str]:
    """The GitHub pattern list that selects exactly the values the pipec filter matches.

    Positive patterns come first and ``!`` patterns last, so that any matching exclude is the last
    matching pattern and wins, whatever the order pipec's patterns were written in. A filter with
    only excludes starts with ``'**'``. Raises :class:`Untranslatable` (see
    :func:`translate_pattern`) and :class:`pipec.patterns.PatternError`.
    """
    if isinstance(includes, str) or isinstance(excludes, str):
        raise TypeError("includes and excludes must be lists of patterns, not strings")
    includes, excludes = list(includes), list(excludes)
    positives = list(dict.fromkeys(g for p in (includes or ["**"]) for g in translate_pattern(p)))
    negatives = list(dict.fromkeys("!" + g for p in excludes for g in translate_pattern(p)))
    written = " ".join([*includes, *("!" + p for p in excludes)])
    if not positives:
        raise Untranslatable(
            written,
            "Every alternative of its include patterns is empty, so the filter matches no branch, tag "
            "or path, and a GitHub filter needs at least one pattern that includes something.",
            "Remove the empty {...} alternatives, or write the names the filter should match.")
    if len(positives) + len(negatives) > MAX_GITHUB_PATTERNS:
        raise _too_many(written, len(positives) + len(negatives))
    return positives + negatives
