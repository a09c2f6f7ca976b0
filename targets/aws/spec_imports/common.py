"""What the buildspec and appspec importers share: YAML scalars as the text a shell or CodeBuild
sees, yes/no switches, one-or-many values, tasks on one line, the name in a block's header.
The importers are :mod:`.buildspecs` and :mod:`.appspecs`.
"""

from __future__ import annotations

from pipec.importer import Doc


def scalar(x) -> str | None:
    """A YAML scalar as the text a shell or CodeBuild sees; None for mappings and lists."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return ""
    if isinstance(x, (str, int, float)):
        return str(x)
    return None


def yes(x) -> bool | None:
    """A yes/no switch (YAML 1.1 meaning); None when it is neither."""
    if isinstance(x, bool):
        return x
    if isinstance(x, str) and x.lower() in ("yes", "true", "on", "y"):
        return True
    if isinstance(x, str) and x.lower() in ("no", "false", "off", "n"):
        return False
    return None


def as_list(x) -> list:
    """A value that may be one item or a list of them."""
    if x is None:
        return []
    if isinstance(x, list):
        return list(x)
    return [x]


def task(ctx, kind: str, text: str) -> None:
    """A manual task, on one line (the header prints each task as a comment line)."""
    ctx.task(kind, " ".join(text.split()))


def header_name(block: Doc) -> str:
    parts = block.header.split()
    return parts[1] if len(parts) > 1 else block.header
