"""Python's cyclic garbage collector, paused while pipec builds a large tree of objects.

Parsing, checking and emitting allocate many small objects that live until the work is done (the
parser's tree, the syntax tree, the model, the targets' data), and few cycles among them. Each
allocation counts towards the collector's thresholds, so a 2,500-action pipeline makes it walk
the growing, all-live heap again and again: about a fifth of that file's check, for nothing
found. :func:`paused` turns the collector off for the length of the work and back on after it,
when whatever cycles the work left are collected as usual; nested uses leave it to the outermost.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """The collector off inside the block (unless it already was), on again after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
