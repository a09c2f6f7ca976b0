"""pipec's trigger patterns: the normative matcher of docs/language.md, "Patterns".

This module *is* the meaning of a pattern. docs/language.md states the rules in prose; the
functions here implement exactly those rules and nothing else, so that every target can be tested
against one reference (the GitHub Actions translation in :mod:`pipec.targets.github.patterns`
is checked against :func:`filter_matches` by a property test).

The rules, as implemented:

1. **Alternatives first** (:func:`expand`): each ``{a,b}`` group is replaced by each of its
   alternatives (groups are not nested; an alternative may be empty). A value matches a pattern
   when it matches at least one of the resulting alternatives.
2. **Segments** (:func:`tokenize`): a ``**`` followed by ``/`` at the start of an alternative or
   right after a ``/`` matches zero or more whole directories (empty, or any text ending with
   ``/``); any other ``**`` matches any text, ``/`` included.
3. ``*`` matches any text without ``/``; ``?`` exactly one character other than ``/``; ``[...]``
   one character of the set. None of them matches ``/``; all of them match a leading ``.``.
4. In a set, a ``-`` between two characters of the same group (``a-z``, ``A-Z``, ``0-9``) forms a
   range written low to high; any other ``-`` is literal. Sets hold letters, digits, ``_``, ``.``
   and ``-``; there is no negation.

Everything else is itself, literally. Matching is case-sensitive and always covers the whole
value. :func:`check_pattern` is the E308 check of :mod:`pipec.semantic` (which imports it from
here); the matcher additionally refuses, with :class:`PatternError`, an alternative that spells
``***`` once its braces are expanded (``{**,}*``) and a pattern with more than
:data:`MAX_ALTERNATIVES` alternatives.

Filters (docs/language.md, "Filters: includes and excludes"): :func:`filter_matches` is true when
the value matches at least one include and no exclude (no includes means every value is
included); :func:`paths_match` is true when at least one changed file matches the filter.
"""

from __future__ import annotations

import functools
import itertools
import math
import re

from pipec.lazy_regex import lazy
from typing import Iterable, NamedTuple

#: The longest pattern (characters), CodePipeline's limit.
MAX_LENGTH = 255
#: The most alternatives one pattern may expand to before the matcher refuses it.
MAX_ALTERNATIVES = 1024

_PATTERN_CHARS = re.compile(r"[A-Za-z0-9_.\-/*?\[\]{},@+=~#%:]+")
_SET_CHARS = lazy(r"[A-Za-z0-9_.\-]+")
_GROUPS = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")
_ALNUM = frozenset("".join(_GROUPS))

# Token kinds of one alternative (see :func:`tokenize`).
LITERAL = "literal"  #: one character, itself
STAR = "*"  #: any text without '/'
GLOBSTAR = "**"  #: any text, '/' included
DIRS = "**/"  #: zero or more whole directories (rule 2)
ONE = "?"  #: exactly one character other than '/'
SET = "[]"  #: one character of a set


class Token(NamedTuple):
    """One operator or literal character of a brace-free alternative."""

    kind: str
    #: the pattern text this token was written as
    text: str
    #: for :data:`SET`: the members as (low, high) pairs, (c, c) for a single character
    ranges: tuple[tuple[str, str], ...] = ()


class PatternError(ValueError):
    """A pattern that is not valid pipec (see :func:`check_pattern`); the matcher refuses it."""

    def __init__(self, pattern: str, reason: str):
        super().__init__(f"invalid pattern {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason



class Untranslatable(Exception):
    """A pipec pattern that a platform cannot express with the same meaning (each target's
    pattern module has its own subclass naming the platform in :attr:`writes_as`).

    ``reason`` says what differs and ``hint`` what to write instead; both are full sentences
    meant for the user.
    """

    writes_as = "a platform filter"

    def __init__(self, pattern: str, reason: str, hint: str):
        super().__init__(f"'{pattern}' cannot be written as {self.writes_as}: {reason}")
        self.pattern = pattern
        self.reason = reason
        self.hint = hint

def _group(c: str) -> int | None:
    return next((n for n, group in enumerate(_GROUPS) if c in group), None)


def _set_ranges(body: str) -> tuple[tuple[str, str], ...]:
    """The members of a set ``[body]`` as (low, high) pairs; ValueError with the E308 reason.

    ``X-Y`` with X and Y letters or digits is read first, left to right; it is a range when both
    are of the same group and must then be written low to high. ``X-Y`` across groups is three
    literal characters (but ``Y`` below ``X`` is reported as reversed all the same).
    """
    if not body:
        raise ValueError("'[]' matches nothing")
    if body.startswith(("!", "^")):
        raise ValueError("negated character classes ('[!...]') are not supported on GitHub")
    if not _SET_CHARS.fullmatch(body):
        raise ValueError("a character class may hold letters, digits, '_', '.', '-' and ranges a-z, A-Z, 0-9")
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        lo = body[i]
        if i + 2 < len(body) and body[i + 1] == "-" and lo in _ALNUM and body[i + 2] in _ALNUM:
            hi = body[i + 2]
            if lo > hi:
                raise ValueError(f"the range '{lo}-{hi}' is reversed; write '{hi}-{lo}'")
            if _group(lo) == _group(hi):
                out.append((lo, hi))
            else:
                out.extend(((lo, lo), ("-", "-"), (hi, hi)))
            i += 3
        else:
            out.append((lo, lo))
            i += 1
    return tuple(out)


def check_pattern(text: str) -> str | None:
    """Why ``text`` is not a valid pipec pattern, or None. See docs/language.md, "Patterns"."""
    if not text:
        return "a pattern cannot be empty"
    if len(text) > MAX_LENGTH:
        return f"a pattern has at most {MAX_LENGTH} characters, this one has {len(text)}"
    if text.startswith("/"):
        return "patterns are relative to the repository root and never start with '/'"
    if not _PATTERN_CHARS.fullmatch(text):
        bad = next(c for c in text if not _PATTERN_CHARS.fullmatch(c))
        return f"the character {bad!r} is not allowed in a pattern"
    if "***" in text:
        return "'***' is not a pattern operator; use '**' to match across directories"
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "[":
            close = text.find("]", i + 1)
            if close == -1:
                return "'[' is not closed by ']'"
            try:
                _set_ranges(text[i + 1:close])
            except ValueError as exc:
                return str(exc)
            i = close + 1
            continue
        if c == "]":
            return "']' without '['"
        if c == "{":
            if depth:
                return "'{...}' alternatives cannot be nested"
            depth = 1
        elif c == "}":
            if not depth:
                return "'}' without '{'"
            depth = 0
        elif c == "," and not depth:
            return "',' is only allowed inside '{...}' alternatives"
        i += 1
    if depth:
        return "'{' is not closed by '}'"
    return None


def _groups(pattern: str) -> list[list[str]]:
    problem = check_pattern(pattern)
    if problem:
        raise PatternError(pattern, problem)
    # a valid pattern has no '{' inside a set and no nested groups
    parts = re.split(r"(\{[^{}]*\})", pattern)
    return [part[1:-1].split(",") if part.startswith("{") else [part] for part in parts]


def count_alternatives(pattern: str) -> int:
    """How many alternatives :func:`expand` would give, repeats included, without expanding."""
    return math.prod(len(o) for o in _groups(pattern))


@functools.lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[str, ...]:
    """The alternatives of ``pattern`` (rule 1), in written order, without repeats.

    ``expand("{src,lib}/*.{js,ts}")`` is ``("src/*.js", "src/*.ts", "lib/*.js", "lib/*.ts")``;
    ``expand("v1{,-beta}")`` is ``("v1", "v1-beta")``. Raises :class:`PatternError` for an
    invalid pattern or one with more than :data:`MAX_ALTERNATIVES` alternatives.
    """
    options = _groups(pattern)
    count = math.prod(len(o) for o in options)
    if count > MAX_ALTERNATIVES:
        raise PatternError(pattern, f"its {{...}} groups give {count} alternatives; pipec matches at "
                                    f"most {MAX_ALTERNATIVES}")
    return tuple(dict.fromkeys("".join(choice) for choice in itertools.product(*options)))


@functools.lru_cache(maxsize=4096)
def tokenize(alternative: str) -> tuple[Token, ...]:
    """The tokens of one alternative of :func:`expand` (rules 2 to 4); PatternError if invalid."""
    if not _PATTERN_CHARS.fullmatch(alternative or "a") or any(c in "{}," for c in alternative):
        raise PatternError(alternative, "not one alternative of a valid pattern")
    out: list[Token] = []
    i = 0
    while i < len(alternative):
        c = alternative[i]
        if alternative.startswith("**", i):
            if alternative.startswith("***", i):
                raise PatternError(alternative, "'***' is not a pattern operator; use '**' to match "
                                                "across directories")
            if alternative.startswith("**/", i) and (i == 0 or alternative[i - 1] == "/"):
                out.append(Token(DIRS, "**/"))
                i += 3
            else:
                out.append(Token(GLOBSTAR, "**"))
                i += 2
            continue
        if c == "[":
            close = alternative.find("]", i + 1)
            if close == -1:
                raise PatternError(alternative, "'[' is not closed by ']'")
            try:
                ranges = _set_ranges(alternative[i + 1:close])
            except ValueError as exc:
                raise PatternError(alternative, str(exc)) from None
            out.append(Token(SET, alternative[i:close + 1], ranges))
            i = close + 1
            continue
        if c == "]":
            raise PatternError(alternative, "']' without '['")
        out.append(Token(STAR if c == "*" else ONE if c == "?" else LITERAL, c))
        i += 1
    return tuple(out)


def _token_regex(token: Token) -> str:
    if token.kind == DIRS:
        return "(?:.*/)?"
    if token.kind == GLOBSTAR:
        return ".*"
    if token.kind == STAR:
        return "[^/]*"
    if token.kind == ONE:
        return "[^/]"
    if token.kind == SET:
        return "[" + "".join(re.escape(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in token.ranges) + "]"
    return re.escape(token.text)


@functools.lru_cache(maxsize=4096)
def to_regex(pattern: str) -> re.Pattern[str]:
    """A compiled regex that matches exactly the values ``pattern`` matches, whole values only
    (anchored with ``\\A`` and ``\\Z``, so ``match``, ``fullmatch`` and ``search`` agree).
    Raises :class:`PatternError` for an invalid pattern."""
    alternatives = ("".join(_token_regex(t) for t in tokenize(alt)) for alt in expand(pattern))
    return re.compile(r"\A(?:" + "|".join(alternatives) + r")\Z", re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    """True when ``value`` (a branch or tag name, or a file path) matches ``pattern``."""
    return to_regex(pattern).fullmatch(value) is not None


def _patterns(patterns: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(patterns, str):
        raise TypeError(f"{what} must be a list of patterns, not the string {patterns!r}")
    return tuple(patterns)


def filter_matches(includes: Iterable[str], excludes: Iterable[str], value: str) -> bool:
    """A filter matches ``value`` when it matches at least one include and no exclude; with no
    includes every value is included (``paths !"docs/**"`` is ``paths "**" !"docs/**"``)."""
    includes = _patterns(includes, "includes")
    excludes = _patterns(excludes, "excludes")
    if includes and not any(matches(p, value) for p in includes):
        return False
    return not any(matches(p, value) for p in excludes)


def paths_match(includes: Iterable[str], excludes: Iterable[str], changed_files: Iterable[str]) -> bool:
    """A ``paths`` filter matches an event when at least one changed file matches the filter; an
    event that changes no file does not match."""
    includes = _patterns(includes, "includes")
    excludes = _patterns(excludes, "excludes")
    return any(filter_matches(includes, excludes, f) for f in _patterns(changed_files, "changed_files"))
