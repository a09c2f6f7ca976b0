"""pipec patterns as CodePipeline trigger filter patterns, and a model of CodePipeline's matcher.

What the AWS documentation says
-------------------------------

CodePipeline describes its trigger patterns on one page, "Working with glob patterns in syntax"
(https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html): "For triggers, you
can specify filters. You can use glob patterns to specify filters." Its examples are ``*.java``
("a path that represents a file name ending in .java"), ``*.*`` ("file names containing a
dot"), ``*.{java,class}`` ("file names ending with .java or .class") and ``foo.?`` ("file names
starting with foo. and a single character extension"), and its rules are:

    * To specify zero or more characters of a name component in directory boundaries, use ``*``.
    * To specify zero or more characters of a name component crossing directory boundaries, use ``**``.
    * To specify one character of a name component, use ``?``.
    * To escape characters that would otherwise be interpreted as special characters, use the
      backslash character (``\\``).
    * To specify a single character out of a set of characters, use ``[ ]``.
    * To specify all files, use ``"**"``; all files and directories in a directory named
      ``directory``, ``"directory/**"``; all files in it but not in its subdirectories,
      ``"directory/*"``.
    * Within a bracket expression, the ``*``, ``?`` and ``\\`` characters match themselves. The
      hyphen (``-``) matches itself if it is the first character within the brackets, or the first
      character after the ``!`` if negating.
    * The ``{ }`` characters are a group of subpatterns, where the group matches if any subpattern
      in the group matches. The ``,`` character separates the subpatterns. Groups cannot be nested.

(The search tool returned the English page cut off after the bullet on single files; the last
bullets are read from the Chinese and Korean versions of the same page, which carry all of them.)
The page reproduces, nearly word for word, the "glob" rules of Java's
``FileSystem.getPathMatcher``, where ``[ ]`` matches "a single character of a name component",
``[!a-c]`` negates, and leading dots are ordinary characters.

The lists (CodePipeline API reference, GitBranchFilterCriteria, GitFilePathFilterCriteria and
GitTagFilterCriteria: https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GitBranchFilterCriteria.html,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GitFilePathFilterCriteria.html,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GitTagFilterCriteria.html):
``includes`` and ``excludes`` each have "Minimum number of 1 item. Maximum number of 8 items" and
each pattern "Minimum length of 1. Maximum length of 255." Excludes win: "The branchesExcludes
takes priority over the branchesIncludes" (and likewise for tags and file paths; AWS CDK
reference, https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_codepipeline/GitPushFilter.html).
A source action has one trigger configuration with at most 3 push and 3 pull-request filters
(https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GitConfiguration.html); pull
request events are ``OPEN``, ``UPDATED`` and ``CLOSED``
(https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GitPullRequestFilter.html).

The model
---------

:func:`codepipeline_regex` and :func:`filter_matches` implement those rules and share no code with
:mod:`pipec.patterns`: ``\\c`` is a literal ``c``; ``**`` is any text, ``/`` included, wherever
it stands, so ``**/x`` needs a ``/`` and does not match a root-level ``x``, and ``a/**/b`` does not
match ``a/b``; ``*`` is any text without ``/``; ``?`` one character other than ``/``; ``[...]`` one
character of the set (``!`` first negates; ``-`` first, or first after ``!``, is literal; ``x-y``
is a range), never ``/``; ``{p,q}`` matches what ``p`` or ``q`` matches; everything else is itself.
A value matches a filter when it matches an include and no exclude. What the page leaves open is
a ValueError, so the model never claims a meaning AWS did not document: ``***``, a ``-`` in a set
that is neither first nor part of a range, a reversed range, a ``/`` in a set, ``[]``, an
unclosed ``[`` or ``{``, a stray ``]`` or ``}``, a ``,`` outside a group, an empty subpattern
(``{,a}``), a nested group, a trailing ``\\``, and a filter without includes.

Assumed, not stated by AWS (each follows Java's rules, which the page copies): ``**`` never
matches "zero directories" (Java turns ``**/x`` into the regex ``.*/x``); a set never matches
``/``; subpatterns of a group may hold ``*``, ``**``, ``?``, sets and ``/``; ``*`` matches a
leading ``.``; matching is case-sensitive and covers the whole branch name, tag name or path; and
branch and tag names are matched with the same rules as paths (``feature/*`` does not match
``feature/a/b``). The trigger semantics are assumed too: a ``FilePaths`` filter matches a push or
pull request when at least one changed file matches it (an include and no exclude), which is what
pipec's language defines.

Translation
-----------

:func:`translate` turns a pipec filter into CodePipeline lists that select exactly the values
pipec's filter matches (tests/test_trigger_equivalence.py checks it against :mod:`pipec.patterns`,
by examples and as a property, and the model against the documentation's examples). pipec and CodePipeline agree on ``*``, ``**`` (other than
``**/``), ``?`` (one character other than ``/`` on both), sets (pipec's hold no ``/``), ``+`` and
every other literal, and on excludes winning. They differ in three places, which the translation
handles:

1. ``**/`` at the start of a pattern or right after a ``/`` is "zero or more whole directories"
   in pipec and "one or more" on CodePipeline: each such ``**/`` is written twice, with and
   without it (``**/*.md`` becomes ``**/*.md`` and ``*.md``; ``a/**/b`` becomes ``a/**/b`` and
   ``a/b``). ``**/**/`` is ``**/`` and ``**/**`` is ``**`` first, which pipec reads the same way.
2. pipec expands ``{...}`` before it reads ``**/`` (``{a/,}**/x`` is ``a/**/x`` or ``**/x``) and
   allows empty alternatives. A pattern whose groups hold only non-empty literal alternatives and
   touch no ``**`` is kept with its groups; any other is written as its alternatives, empty ones
   dropped (they match no branch, tag or path).
3. In a pipec set, ``-`` is literal unless it joins two characters of one group (``[Z-a]`` is
   ``Z``, ``-`` and ``a``; ``[.-_]`` is three characters); CodePipeline documents a literal ``-``
   only at the start. Sets are rewritten with ``-`` first and only pipec's ranges as ranges.

When the result has more than :data:`MAX_PATTERNS` patterns, every pattern is written out as its
brace-free alternatives and these are packed into groups (``{**/*.md,*.md}``) of at most
:data:`MAX_LENGTH` characters. :class:`Untranslatable` is raised when even that needs more than
:data:`MAX_PATTERNS` patterns, when every include alternative is empty (the filter matches
nothing and CodePipeline's ``Includes`` cannot be empty), and for an alternative that spells
``***`` once its braces are expanded (``{**,}*``, which pipec's matcher refuses).
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Iterable, Sequence

from pipec import patterns as P

#: Patterns per Includes or Excludes list (CodePipeline API reference).
MAX_PATTERNS = 8
#: Characters per pattern (CodePipeline API reference).
MAX_LENGTH = 255
#: The most patterns the translation writes out for one list before it gives up.
MAX_WRITTEN = 4096

#: Characters with a meaning in a CodePipeline pattern outside a set.
_SPECIAL = frozenset("\\*?[]{},")


class Untranslatable(P.Untranslatable):
    """A pipec pattern that CodePipeline trigger filters cannot express with the same meaning."""

    writes_as = "a CodePipeline trigger filter"


# ----------------------------------------------------------------------------- CodePipeline's matcher


def _set_regex(p: str, i: int) -> tuple[str, int]:
    """The regex of the set starting at ``p[i] == '['`` and the index after its ``]``."""
    j = i + 1
    negate = j < len(p) and p[j] == "!"
    if negate:
        j += 1
    members: list[str] = []
    if j < len(p) and p[j] == "-":
        members.append(re.escape("-"))
        j += 1
    while True:
        if j >= len(p):
            raise ValueError("'[' is not closed by ']'")
        c = p[j]
        if c == "]":
            break
        if c == "/":
            raise ValueError("a '/' inside [...] is not documented (a set matches one character of a name)")
        if c == "-":
            raise ValueError("a '-' in a set is documented only first, or as a range")
        if j + 2 < len(p) and p[j + 1] == "-" and p[j + 2] != "]":
            hi = p[j + 2]
            if hi == "/" or hi < c:
                raise ValueError(f"'{c}-{hi}' is not a range")
            members.append(f"{re.escape(c)}-{re.escape(hi)}")
            j += 3
        else:
            members.append(re.escape(c))
            j += 1
    if not members:
        raise ValueError("an empty set is not documented")
    # a set matches "one character of a name component": never '/', even within a range
    return ("[^/" if negate else "(?!/)[") + "".join(members) + "]", j + 1


@functools.lru_cache(maxsize=4096)
def codepipeline_regex(pattern: str) -> re.Pattern[str]:
    """A regex for one CodePipeline trigger pattern, matching whole values only (anchored).
    ValueError for what the documentation does not define (see the module docstring)."""
    p = pattern
    if not p:
        raise ValueError("an empty pattern is not documented (the minimum length is 1)")
    out: list[str] = []
    group: list[list[str]] | None = None  # the subpatterns of the open group, as regex pieces

    def emit(piece: str) -> None:
        (group[-1] if group is not None else out).append(piece)

    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            if i + 1 == len(p):
                raise ValueError("a '\\' at the end escapes nothing")
            emit(re.escape(p[i + 1]))
            i += 2
        elif c == "*":
            if p.startswith("***", i):
                raise ValueError("'***' is not documented")
            if p.startswith("**", i):
                emit(".*")  # crossing directory boundaries, wherever it stands
                i += 2
            else:
                emit("[^/]*")
                i += 1
        elif c == "?":
            emit("[^/]")
            i += 1
        elif c == "[":
            piece, i = _set_regex(p, i)
            emit(piece)
        elif c == "]":
            raise ValueError("']' without '['")
        elif c == "{":
            if group is not None:
                raise ValueError("groups cannot be nested")
            group = [[]]
            i += 1
        elif c == ",":
            if group is None:
                raise ValueError("',' outside {...} is not documented")
            group.append([])
            i += 1
        elif c == "}":
            if group is None:
                raise ValueError("'}' without '{'")
            if any(not sub for sub in group):
                raise ValueError("an empty subpattern in {...} is not documented")
            out.append("(?:" + "|".join("".join(sub) for sub in group) + ")")
            group = None
            i += 1
        else:
            emit(re.escape(c))
            i += 1
    if group is not None:
        raise ValueError("'{' is not closed by '}'")
    return re.compile(r"\A(?:" + "".join(out) + r")\Z", re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    """Whether CodePipeline's ``pattern`` matches ``value`` (a branch or tag name, or a path)."""
    return codepipeline_regex(pattern).fullmatch(value) is not None


def filter_matches(includes: Sequence[str], excludes: Sequence[str], value: str) -> bool:
    """Whether a CodePipeline filter criteria (``Includes``, ``Excludes``) selects ``value``: it
    matches at least one include and no exclude (excludes take priority)."""
    if isinstance(includes, str) or isinstance(excludes, str):
        raise TypeError("includes and excludes must be lists of patterns, not strings")
    if not includes:
        raise ValueError("a filter without Includes is not documented")
    if len(includes) > MAX_PATTERNS or len(excludes) > MAX_PATTERNS:
        raise ValueError(f"CodePipeline accepts at most {MAX_PATTERNS} includes and {MAX_PATTERNS} excludes")
    return any(matches(p, value) for p in includes) and not any(matches(p, value) for p in excludes)


def paths_match(includes: Sequence[str], excludes: Sequence[str], changed_files: Iterable[str]) -> bool:
    """A ``FilePaths`` filter selects an event when at least one changed file matches it (assumed:
    the documentation does not say how a filter applies to several files)."""
    return any(filter_matches(includes, excludes, f) for f in changed_files)


# ----------------------------------------------------------------------------- translation


def _literal(c: str) -> str:
    return "\\" + c if c in _SPECIAL else c


def _set_text(ranges: tuple[tuple[str, str], ...]) -> str:
    """A pipec set as a CodePipeline set: a literal '-' first, then pipec's ranges and the other
    characters, so that no '-' can be read as a range CodePipeline would see and pipec does not."""
    dash = ("-", "-") in ranges
    rest = dict.fromkeys(lo if lo == hi else f"{lo}-{hi}" for lo, hi in ranges if (lo, hi) != ("-", "-"))
    return "[" + ("-" if dash else "") + "".join(rest) + "]"


def _token_text(t: P.Token) -> str:
    if t.kind == P.SET:
        return _set_text(t.ranges)
    if t.kind == P.LITERAL:
        return _literal(t.text)
    return t.text  # '*', '**', '**/' and '?' mean the same on CodePipeline (but see DIRS)


def _simplified(tokens: Sequence[P.Token]) -> list[P.Token]:
    """``**/**/`` is ``**/`` and ``**/**`` is ``**`` in pipec (zero or more directories, twice,
    are zero or more; any text after them is any text): fewer ``**/`` to write twice."""
    out: list[P.Token] = []
    for t in tokens:
        if out and out[-1].kind == P.DIRS and t.kind in (P.DIRS, P.GLOBSTAR):
            out.pop()
        out.append(t)
    return out


def _variants(pieces: Sequence[str | P.Token]) -> list[str]:
    """Texts for ``pieces`` (written text, or tokens): each ``**/`` token is written once with
    and once without it (CodePipeline's ``**/`` needs at least one directory). Empty texts are
    dropped: they match no branch, tag or path."""
    choices = []
    for piece in pieces:
        if isinstance(piece, str):
            choices.append((piece,))
        elif piece.kind == P.DIRS:
            choices.append(("**/", ""))
        else:
            choices.append((_token_text(piece),))
    return [text for text in dict.fromkeys("".join(c) for c in itertools.product(*choices)) if text]


def _count(pieces: Sequence[str | P.Token]) -> int:
    return 2 ** sum(1 for p in pieces if not isinstance(p, str) and p.kind == P.DIRS)


_GROUP = re.compile(r"(\{[^{}]*\})")


def _keeps_groups(pattern: str) -> bool:
    """Whether ``pattern``'s groups can be written as CodePipeline groups unchanged: each
    alternative is non-empty and literal (no ``*``, ``?`` or set), and no ``**`` touches a group
    (``{a/,b}**/x`` reads ``**/`` differently in each alternative)."""
    if "}**" in pattern or "**{" in pattern:
        return False
    for part in _GROUP.findall(pattern):
        if any(not alt or any(c in "*?[]" for c in alt) for alt in part[1:-1].split(",")):
            return False
    return True


def _too_many(written: str, count: int) -> Untranslatable:
    return Untranslatable(
        written,
        f"pipec's '**/' also matches no directory and CodePipeline's always needs one, so each '**/' "
        f"is written twice (with and without it) and the {{...}} groups around it are written out; "
        f"this filter takes {count} CodePipeline patterns, more than fit in the {MAX_PATTERNS} "
        f"patterns of at most {MAX_LENGTH} characters a CodePipeline filter holds.",
        "Use fewer '**/' and {...} alternatives in one filter, or split the trigger into several "
        "'on' lines.")


def _triple_star(pattern: str) -> Untranslatable:
    return Untranslatable(
        pattern,
        "Once its {...} alternatives are written out, one of them holds '***', which is not a "
        "pattern operator.",
        "Write '**' to match across directories, and keep a '*' at the edge of an alternative "
        "away from a '*' next to the group.")


def _pieces_with_groups(pattern: str) -> list[str | P.Token]:
    """``pattern`` (which :func:`_keeps_groups`) as written group texts and pipec tokens."""
    pieces: list[str | P.Token] = []
    for part in _GROUP.split(pattern):
        if part.startswith("{"):
            pieces.append("{" + ",".join("".join(_literal(c) for c in alt) for alt in part[1:-1].split(",")) + "}")
        elif part:
            # no '**' touches a group, so a '**/' is "whole directories" here exactly when it is in
            # every alternative of the whole pattern (at its start or right after a '/')
            pieces.extend(_simplified(P.tokenize(part)))
    return pieces


def _alternatives(pattern: str) -> list[list[P.Token]]:
    """The non-empty alternatives of ``pattern`` as simplified token lists."""
    count = P.count_alternatives(pattern)  # PatternError if E308 refuses the pattern
    if count > P.MAX_ALTERNATIVES:
        raise _too_many(pattern, count)
    try:
        return [_simplified(P.tokenize(alt)) for alt in P.expand(pattern) if alt]
    except P.PatternError:  # only '***' is left once check_pattern has passed the pattern
        raise _triple_star(pattern) from None


def written_out(pattern: str) -> list[str]:
    """Brace-free CodePipeline patterns that together match exactly what ``pattern`` matches."""
    alternatives = _alternatives(pattern)
    count = sum(_count(a) for a in alternatives)
    if count > MAX_WRITTEN:
        raise _too_many(pattern, count)
    return list(dict.fromkeys(v for a in alternatives for v in _variants(a)))


def translate_pattern(pattern: str) -> list[str]:
    """CodePipeline patterns that together match exactly the values ``pattern`` matches (none
    for a pattern whose every alternative is empty), keeping its ``{...}`` groups where they mean
    the same on CodePipeline. Raises :class:`Untranslatable` and, for a pattern pipec's checker
    refuses (E308), :class:`pipec.patterns.PatternError`."""
    problem = P.check_pattern(pattern)
    if problem:
        raise P.PatternError(pattern, problem)
    if _keeps_groups(pattern):
        pieces = _pieces_with_groups(pattern)
        if _count(pieces) <= MAX_PATTERNS:
            return _variants(pieces)
    return written_out(pattern)


def _pack(patterns: list[str]) -> list[str]:
    """Brace-free patterns packed into as few ``{p,q,...}`` groups of at most MAX_LENGTH
    characters as greedy packing in order gives; a group of one is written bare."""
    packs: list[list[str]] = []
    for p in patterns:
        if packs and len(",".join(packs[-1] + [p])) + 2 <= MAX_LENGTH:
            packs[-1].append(p)
        else:
            packs.append([p])
    return [pack[0] if len(pack) == 1 else "{" + ",".join(pack) + "}" for pack in packs]


def translate_list(patterns: Iterable[str], written: str | None = None) -> list[str]:
    """One CodePipeline ``Includes`` or ``Excludes`` list that matches exactly the values that at
    least one of the pipec ``patterns`` matches (possibly empty). ``written`` names the filter in
    an :class:`Untranslatable`."""
    patterns = list(patterns)
    written = written or " ".join(patterns)
    out = list(dict.fromkeys(t for p in patterns for t in translate_pattern(p)))
    if len(out) <= MAX_PATTERNS and all(len(t) <= MAX_LENGTH for t in out):
        return out
    flat = list(dict.fromkeys(t for p in patterns for t in written_out(p)))
    if len(flat) > MAX_WRITTEN or any(len(t) > MAX_LENGTH for t in flat):
        raise _too_many(written, len(flat))
    packed = _pack(flat)
    if len(packed) > MAX_PATTERNS:
        raise _too_many(written, len(flat))
    return packed


def translate(includes: Iterable[str], excludes: Iterable[str]) -> tuple[list[str], list[str]]:
    """CodePipeline ``(Includes, Excludes)`` that select exactly the values the pipec filter
    matches. No includes means ``**`` (pipec's rule). ``Excludes`` may come back empty: leave it
    out of the template then. Raises :class:`Untranslatable` (see the module docstring) and
    :class:`pipec.patterns.PatternError` for a pattern pipec's checker refuses."""
    if isinstance(includes, str) or isinstance(excludes, str):
        raise TypeError("includes and excludes must be lists of patterns, not strings")
    includes, excludes = list(includes) or ["**"], list(excludes)
    written = " ".join([*includes, *("!" + p for p in excludes)])
    inc = translate_list(includes, written)
    if not inc:
        raise Untranslatable(
            written,
            "Every alternative of its include patterns is empty, so the filter matches no branch, tag "
            "or path, and a CodePipeline filter needs at least one include pattern.",
            "Remove the empty {...} alternatives, or write the names the filter should match.")
    return inc, translate_list(excludes, written)
