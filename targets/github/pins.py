"""The pinned actions: ``actions.json`` (each action's release tag, commit SHA and how it was
confirmed), ``uses:`` values pinned to a full SHA, and the ``# vX.Y.Z`` comment written beside
each pin. Every part of the workflow that uses an action asks :func:`uses`.

The repository's ``pipec.lock`` (:mod:`.pin_lock`) wins over the shipped table: the GitHub
target's entry point puts its pins in :data:`LOCKED` for the time it emits (:func:`locked`).
"""

from __future__ import annotations


import contextlib
import contextvars
import functools
import json
from pathlib import Path

from pipec import yamlout


#: the pin table shipped with the package
PINS_PATH = Path(__file__).resolve().parent / "actions.json"


#: the pins of the repository's pipec.lock while a workflow is emitted: (action, version, sha)
LOCKED: contextvars.ContextVar[tuple] = contextvars.ContextVar("pipec_locked_pins", default=())


@functools.lru_cache(maxsize=1)
def bundled() -> dict[str, dict]:
    """action -> {version, sha, runs, confirmed}: the table in ``actions.json``."""
    with open(PINS_PATH, encoding="utf-8") as fh:
        return json.load(fh)["actions"]


def pins() -> dict[str, dict]:
    """The pins in effect: the shipped table, with the repository's locked pins over it."""
    return _table(LOCKED.get())


@functools.lru_cache(maxsize=8)
def _table(locked: tuple) -> dict[str, dict]:
    table = bundled()
    if not locked:
        return table
    table = dict(table)
    for action, version, sha in locked:
        table[action] = {**table[action], "version": version, "sha": sha}
    return table


@functools.lru_cache(maxsize=8)
def _versions(locked: tuple) -> dict[str, str]:
    """SHA -> release tag, for the pins in effect with ``locked``."""
    return {row["sha"]: row["version"] for row in _table(locked).values()}


@contextlib.contextmanager
def locked(entries: tuple):
    """Emit with ``entries`` ((action, version, sha) from pipec.lock) in effect."""
    token = LOCKED.set(tuple(entries))
    try:
        yield
    finally:
        LOCKED.reset(token)


def uses(action: str) -> str:
    """``owner/name@SHA`` for ``action`` (a sub-action such as ``actions/cache/save`` is pinned
    with its repository's SHA); the ``# vX.Y.Z`` comment is added by :func:`commented_pin`."""
    repo = "/".join(action.split("/")[:2])
    return f"{action}@{pins()[repo]['sha']}"


def commented_pin(step: dict) -> dict:
    """``step`` with its pinned ``uses:`` carrying the release tag as a comment (``# vX.Y.Z``),
    so that a reader of the workflow sees which release the SHA is. The comment is part of the
    data :mod:`pipec.yamlout` writes, never added to the text."""
    action = step.get("uses")
    if isinstance(action, str) and "@" in action:
        version = _versions(LOCKED.get()).get(action.rsplit("@", 1)[1])
        if version:
            step = {**step, "uses": yamlout.Commented(action, version)}
    return step
