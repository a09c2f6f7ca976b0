"""What the language server shows on hover, taken from the documents that already say it.

- A keyword or statement: its section of docs/language.md (a heading such as ``### `mode```
  or ``### `env` and `secret```) or its row of a statement table (``| `compute SIZE` | ... |``).
- A setting of an ``aws { }`` or ``github { }`` block: its description in
  :data:`pipec.semantic_tables.PLATFORM_SETTINGS`.
- A diagnostic code: its entry of docs/diagnostics.md (:func:`pipec.diagnostics.explanation`).
- A source, stage, action or artifact: what ``pipec explain`` says about it (its paragraph of the
  narration, :func:`summary`).

docs/language.md is read from the checkout, or from the package data of an installed wheel
(``pipec/docs/``), as docs/diagnostics.md is.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path


def _docs_path(name: str) -> Path | None:
    here = Path(__file__).resolve().parent
    for candidate in (here / "docs" / name, here.parent / "docs" / name):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=1)
def keyword_docs() -> dict[str, str]:
    """keyword -> Markdown: the section whose heading names it alone in backquotes; else the
    statement table row that starts with it, followed by the section whose heading names it with
    others (``### Build environment: `image`, `compute`...``)."""
    path = _docs_path("language.md")
    if path is None:
        return {}
    text = path.read_text(encoding="utf-8")
    sections: dict[str, str] = {}  # a heading about one keyword
    shared: dict[str, str] = {}  # a heading about several
    rows: dict[str, str] = {}
    parts = re.split(r"^(#{2,4} .*)$", text, flags=re.M)
    for heading, body in zip(parts[1::2], parts[2::2]):
        words = re.findall(r"`([a-z_][a-z0-9_\-]*)", heading)
        if words:
            para = body.strip().split("\n\n")
            shown = "\n\n".join(para[:2]).strip()
            for w in words:
                (sections if len(words) == 1 else shared).setdefault(
                    w, f"**{heading.lstrip('#').strip()}**\n\n{shown}")
        for m in re.finditer(r"^\| `([a-z_][a-z0-9_\-]*)([^`]*)`[^|]*\| ([^|]*)\|", body, re.M):
            word, rest, meaning = m.group(1), m.group(2), m.group(3).strip()
            rows.setdefault(word, f"`{word}{rest}`: {meaning}")
    out = dict(shared)
    for word, row in rows.items():
        out[word] = row + (f"\n\n{shared[word]}" if word in shared else "")
    out.update(sections)
    return out


def keyword_hover(word: str) -> str | None:
    return keyword_docs().get(word)


def setting_hover(key: str, where: str, platform: str) -> str | None:
    from pipec.semantic_tables import PLATFORM_SETTINGS

    entry = PLATFORM_SETTINGS.get((where, platform), {}).get(key)
    if entry is None:
        return None
    low, high, description = entry
    count = ("no value" if high == 0 else f"{low} value" + ("s" if low != 1 else "") if low == high
             else f"{low} or more values" if high is None else f"{low} to {high} values")
    return f"**{platform} {{ {key} }}** ({where}): {description} ({count})."


def code_hover(code: str) -> str | None:
    from pipec.diagnostics import CODES, explanation

    code = code.upper()
    if code not in CODES:
        return None
    return f"**{code}: {CODES[code]}**\n\n```text\n{explanation(code)}```"


def summary(narration: str, kind: str, name: str) -> str | None:
    """The part of ``pipec explain``'s narration about one source, stage, action or artifact."""
    paras = narration.split("\n\n")
    if kind == "action":
        for p in paras:
            if p.startswith(f"{name}: "):
                return p
    elif kind == "stage":
        for i, p in enumerate(paras):
            if re.match(rf"Stage \d+ of \d+: {re.escape(name)}\n", p):
                return "\n\n".join(paras[i:i + 1])
    elif kind in ("source", "artifact"):
        lead = f"- Source {name}:" if kind == "source" else None
        for p in paras:
            lines = p.split("\n")
            for i, line in enumerate(lines):
                hit = line.startswith(lead) if lead else re.search(rf"\bartifact {re.escape(name)}\b", line)
                if hit and (lead or line.startswith("- ")):
                    out = [line]
                    for more in lines[i + 1:]:
                        if more.startswith("- "):
                            break
                        out.append(more)
                    return "\n".join(out)
    return None
