"""W601: a placeholder that ``pipec import`` wrote is still in the pipeline (issue 25).

Where an input does not say a value that ``.pipe`` needs (a repository, a deployment group's
instances, a cluster), the importer writes a clearly named placeholder and a ``# To do`` line:
``OWNER/REPO``, ``REPLACE-ME`` and ``REPLACE-ME-*`` values, and commands that fail with a
``pipec import: ...`` message where the work itself could not be converted. Each is valid
``.pipe`` (so the import checks and builds), and each draws this warning, so that
``pipec build --strict`` refuses the pipeline until a person has replaced every one.
"""

from __future__ import annotations

import re

from pipec.diagnostics import WARNING, Diagnostic, Span

#: what the importers write (compiler/importer.py, targets/*/imports): one pattern
PLACEHOLDER = re.compile(r"REPLACE-ME[A-Za-z0-9-]*|\bOWNER/REPO\b|pipec import: [^'\"]*")
#: the text each of PLACEHOLDER's alternatives starts with: a file without any has no placeholder
_WORDS = ("REPLACE-ME", "OWNER/REPO", "pipec import: ")


def check(source: str, filename: str) -> list[Diagnostic]:
    """One W601 per source line that holds a placeholder (comment lines aside)."""
    out: list[Diagnostic] = []
    if not any(word in source for word in _WORDS):  # issue 18: 10 ms of regex search on 2,500 actions
        return out
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = PLACEHOLDER.search(line)
        if m is None:
            continue
        what = m.group(0)
        message = (f"the import placeholder '{what}' is still here" if not what.startswith("pipec import:")
                   else "this command is an import placeholder that fails until it is replaced")
        out.append(Diagnostic(
            "W601", WARNING, message, Span.point(number, m.start() + 1),
            "pipec import wrote it where the input did not say what belongs here (see the '# To do' lines "
            "at the top of the imported file). Replace it with the real value or commands; "
            "'pipec build --strict' refuses the pipeline until then.", (), filename))
    return out
