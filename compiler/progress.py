"""A one-line progress bar for long commands (``pipec import --audit`` over a large tree).

Drawn on standard error only when it is a terminal (and ``TERM`` is not ``dumb``), redrawn in
place with a carriage return, at most every tenth of a second, and erased when the work is done,
so that nothing of it is left in the terminal's scrollback, a pipe, a file or a CI log. It is a
few lines rather than a library such as rich: one bar does not need a new dependency.
"""

from __future__ import annotations

import os
import shutil
import sys
import time


def wanted(stream=None, environ=None) -> bool:
    """Whether ``stream`` (default standard error) shows a progress bar: a terminal, not a dumb one."""
    stream = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Bar:
    """``bar(done, total, label)`` redraws ``[#####.....] done/total label`` in place;
    ``done == total`` erases it."""

    def __init__(self, stream=None, every: float = 0.1, clock=time.monotonic):
        self.stream = sys.stderr if stream is None else stream
        self.every = every
        self.clock = clock
        self.last = None
        self.shown = False

    def __call__(self, done: int, total: int, label: str = "") -> None:
        if done >= total:
            if self.shown:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self.shown = False
            return
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        self.stream.write("\r\x1b[2K" + line(done, total, label, shutil.get_terminal_size((80, 24)).columns))
        self.stream.flush()
        self.shown = True


def line(done: int, total: int, label: str, columns: int) -> str:
    """The bar's text, cut to ``columns - 1`` characters (a full line would wrap on some terminals)."""
    width = 20
    filled = width * done // total if total else width
    text = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"
    label_room = columns - 1
    return text if len(text) <= label_room else text[:max(0, label_room - 3)] + "..."
