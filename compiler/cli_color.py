"""Colour in the terminal: whether diagnostics are coloured, and how.

``--color auto`` (the default) colours what goes to a terminal and nothing else. The environment
is read as Python 3.13 reads it for its own tracebacks (``_colorize.can_colorize``): ``NO_COLOR``
set to anything but the empty string turns colour off (https://no-color.org), else ``FORCE_COLOR``
set to anything but the empty string turns it on (https://force-color.org), else ``TERM=dumb``
turns it off, else the stream decides (a terminal gets colour, a pipe or a file does not).
``--color always`` and ``--color never`` win over all of these.

The palette is rustc's: the severity and its code bold red (error) or yellow (warning), the
message bold, the gutter (line number, bars, arrow) bold blue, the caret in the severity's colour.
The quoted source line is never coloured: it is the user's text.
"""

from __future__ import annotations

import os
import sys

CHOICES = ("auto", "always", "never")

#: SGR parameters of each role :func:`pipec.diagnostics.render` paints
PALETTE = {
    "error": "1;31",
    "warning": "1;33",
    "message": "1",
    "gutter": "1;34",
    "label": "1",
}

_choice = "auto"


def configure(choice: str | None) -> None:
    """Remember ``--color`` for this run (``None``: the option was not given, ``auto``)."""
    global _choice
    _choice = choice or "auto"


def wanted(stream=None, choice: str | None = None, environ=None) -> bool:
    """Whether output to ``stream`` (default standard error) is coloured."""
    choice = choice or _choice
    if choice != "auto":
        return choice == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def paint(role: str, text: str) -> str:
    """``text`` in the colour of ``role`` (:data:`PALETTE`), reset after it."""
    sgr = PALETTE.get(role)
    return f"\x1b[{sgr}m{text}\x1b[0m" if sgr and text else text


def painter(stream=None):
    """The ``paint`` argument of :func:`pipec.diagnostics.render_all` for ``stream``."""
    from pipec.diagnostics import plain

    return paint if wanted(stream) else plain
