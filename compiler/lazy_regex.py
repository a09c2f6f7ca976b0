"""Regular expressions compiled when first used, for module-level patterns that most runs never use.

Python compiles a pattern in tens to hundreds of microseconds; pipec's modules on the
``pipec check`` path compiled 85 patterns at import, and a check of examples/02-reference.pipe
used 28 of them: the other 57 cost 3.6 ms of CPU time at every start (issue 18). ``lazy(...)``
stands for ``re.compile(...)`` and compiles on the first method call (``fullmatch``, ``sub``, …);
``pattern`` is there without compiling. It is not an ``re.Pattern`` (no
``isinstance``), and ``re.sub(LAZY, ...)`` does not take it: call its methods.
"""

from __future__ import annotations

import re


class LazyRegex:
    """``re.compile(pattern, flags)`` on first use; every attribute of the compiled pattern."""

    __slots__ = ("pattern", "_flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern, self._flags, self._compiled = pattern, flags, None

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    def __getattr__(self, name):
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags})"


def lazy(pattern: str, flags: int = 0) -> LazyRegex:
    """A pattern compiled when first used."""
    return LazyRegex(pattern, flags)
