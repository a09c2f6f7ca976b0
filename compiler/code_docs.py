"""A diagnostic code's entry in docs/diagnostics.md, for ``pipec explain --code`` and SARIF rules.

Kept apart from :mod:`pipec.diagnostics` (which re-exports both functions) so that
``pipec explain --code`` imports neither attrs nor the diagnostic classes (issue 18: start-up).
"""

from __future__ import annotations

import re


def _docs_file():
    """docs/diagnostics.md: in a wheel it is package data (``pipec/docs/``); in a checkout or an
    editable install it is ``docs/`` beside ``compiler/``."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "docs" / "diagnostics.md", here.parent / "docs" / "diagnostics.md"):
        if candidate.is_file():
            return candidate
    return None


def explanation(code: str) -> str | None:
    """The entry of ``code`` in docs/diagnostics.md, for a terminal: the title, the text, and each
    example labelled (what gives the code, and the corrected version). None for an unknown code."""
    code = code.strip().upper()
    path = _docs_file()
    text = path.read_text(encoding="utf-8") if path is not None else ""
    # the docs list exactly the codes of pipec.diagnostics.CODES (tests/test_docs.py), so a code
    # with its section there is known; the table, and the classes beside it, are imported only
    # when the docs cannot answer
    m = re.search(rf"^## {re.escape(code)}: .*?(?=^## |\Z)", text, re.S | re.M) if code else None
    if m is None:
        from pipec.diagnostics import CODES

        if code not in CODES:
            return None
        if path is None:
            return f"{code}: {CODES[code]}\n\n(docs/diagnostics.md is not installed with this copy of pipec.)\n"
        return f"{code}: {CODES[code]}\n"
    labels = {"pipe-snippet": f"Gives {code}:", "pipe": "Corrected:", "yaml": f"An input that gives {code}:",
              "console": "In a terminal:", "text": "", "": ""}
    out, fence = [], None
    for line in m.group(0).rstrip().splitlines():
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                label = labels.get(fence, "")
                if label:
                    out.append(label)
            else:
                fence = None
                out.append("")
            continue
        if fence is not None:
            out.append("    " + line if line else "")
        elif line.startswith("## "):
            out.append(line[3:])
            out.append("=" * len(line[3:]))
        else:
            out.append(line)
    text = "\n".join(out).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"
