"""``pipec explain``: the ``patch`` lines, listed after the narration of the generated files.

A patch changes a generated file after pipec has built it (docs/language.md, "Patches"), so the
narration above it tells the unpatched meaning; this section says what each patch changes, in
which file, from which block, and whether reading the patched files back found a difference in
what the pipeline does (W540) or could not read them at all (W541).
"""

from __future__ import annotations

from pipec import model
from pipec.explain_text import PLATFORM_NAMES, Doc

_FILES = {"github": "the workflow", "aws": "the CloudFormation template"}


def _where(act) -> str:
    return "the pipeline's" if act is None else f"{type(act).__name__.lower()} action {act.name}'s"


def _what(p: model.Patch, platform: str, act) -> str:
    path = ".".join(p.path)
    file = _FILES[platform]
    if platform == "aws" and p.path[0] == "buildspec":
        file, path = f"the buildspec of {act.name}", ".".join(p.path[1:])
    elif platform == "github" and act is not None and p.path[0] != "jobs":
        path = f"{path} of the job {act.name}"
    if p.op == "remove":
        return f"removes {path} from {file}"
    value = str(p.value).lower() if isinstance(p.value, bool) else repr(p.value) if isinstance(p.value, str) \
        else str(p.value)
    return f"sets {path} to {value} in {file}"


def section(doc: Doc, pipeline: model.Pipeline, platforms, diffs) -> None:
    """The heading and one bullet per patch of ``platforms`` (nothing when there is none)."""
    found = []
    for platform in platforms:
        found += [(platform, None, p) for p in getattr(pipeline, platform).patches]
        for act in pipeline.actions():
            found += [(platform, act, p) for p in getattr(act, platform).patches]
    if not found:
        return
    by_span = {}
    for d in diffs:
        if d.code in ("W540", "W541") and d.span is not None:
            by_span.setdefault((d.span.line, d.span.column), d)
    doc.heading("Patches to the generated files")
    doc.para("These lines change files after pipec has built them; what is said above is the meaning "
             "without them.")
    for platform, act, p in sorted(found, key=lambda t: (t[2].span.line if t[2].span else 0)):
        line = f"line {p.span.line}: " if p.span else ""
        text = (f"{line}{PLATFORM_NAMES[platform]}, from {_where(act)} {platform} {{ }} block: "
                f"{_what(p, platform, act)}")
        d = by_span.get((p.span.line, p.span.column)) if p.span else None
        if d is not None and d.code == "W540":
            text += f". It changes what the pipeline does there (W540): {d.message.split(': ', 1)[-1]}"
        elif d is not None:
            text += ". pipec cannot read the patched files back (W541), so the equivalence of the platforms is not shown"
        else:
            text += "; reading the patched files back finds no change in what the pipeline does"
        doc.bullet(text + ".")
