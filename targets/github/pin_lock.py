"""Action pins the user commits: ``pipec.lock`` at the source root.

pipec pins every action it uses to a full commit SHA from the table it ships
(``actions.json``, :mod:`.pins`). A repository that lets Dependabot or Renovate bump those pins
in the generated workflow needs pipec to write the bumped pin on the next build, or
``pipec build --check`` fails until pipec's own table catches up. ``pipec.lock`` holds the pins
the repository has chosen, and wins over the shipped table::

    {
      "actions": {
        "actions/checkout": {"version": "v7.0.2", "sha": "0123...89ab"}
      }
    }

``pipec pins --accept WORKFLOW...`` records the pins a bot wrote into a generated workflow;
``pipec pins --update`` moves every entry that is older than the shipped table up to it. Only
actions pipec uses may be listed; a SHA is 40 lower-case hex digits and a version ``vN[.N[.N]]``.
The lock is read, never written, by ``pipec build``; its problems are error E003 at the line
and column of the bad entry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipec.diagnostics import ERROR, Diagnostic, Diagnostics, Span

#: the lock's file name, at the source root
LOCK_NAME = "pipec.lock"
_SHA = re.compile(r"[0-9a-f]{40}")
_VERSION = re.compile(r"v\d+(\.\d+){0,2}")
#: a pinned ``uses:`` line as pipec writes it: action, SHA, version comment
_USES = re.compile(r"^\s*(?:- )?uses: (?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(?P<sub>/[^@\s]*)?@(?P<sha>\S+)"
                   r"(?: # (?P<version>\S+))?\s*$")


def lock_path(root: Path) -> Path:
    return Path(root) / LOCK_NAME


def load(path: Path, known: dict) -> tuple[tuple[str, str, str], ...]:
    """The pins of the lock at ``path`` as sorted (action, version, sha), () when there is no
    lock. ``known``: the shipped table (an action not in it is an error). Raises Diagnostics
    (E003) for a lock that is not JSON or not in the form above."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise Diagnostics([_problem(str(path), text="", what=f"pipec.lock cannot be read: {exc}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Diagnostics([_problem(str(path), text, f"pipec.lock is not valid JSON: {exc.msg}", exc.pos)]) from None
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, dict) or set(data) - {"actions", "_about"}:
        raise Diagnostics([_problem(str(path), text, 'pipec.lock must be {"actions": {...}}', 0)])
    out = []
    for action, entry in actions.items():
        pos = _find(text, f'"{action}"')
        if action not in known:
            raise Diagnostics([_problem(str(path), text, f"pipec does not use the action '{action}'", pos,
                                        "List only actions of 'pipec pins' (the shipped table).")])
        if not isinstance(entry, dict) or set(entry) != {"version", "sha"}:
            raise Diagnostics([_problem(str(path), text, f"the pin of '{action}' must be "
                                        '{"version": "vX.Y.Z", "sha": "<40 hex digits>"}', pos)])
        if not isinstance(entry["sha"], str) or not _SHA.fullmatch(entry["sha"]):
            raise Diagnostics([_problem(str(path), text, f"the SHA of '{action}' is not 40 lower-case hex digits",
                                        _find(text, json.dumps(entry["sha"]), pos))])
        if not isinstance(entry["version"], str) or not _VERSION.fullmatch(entry["version"]):
            raise Diagnostics([_problem(str(path), text, f"the version of '{action}' is not vN, vN.N or vN.N.N",
                                        _find(text, json.dumps(entry["version"]), pos))])
        out.append((action, entry["version"], entry["sha"]))
    return tuple(sorted(out))


def dump(pins: dict[str, tuple[str, str]]) -> str:
    """The lock's text for ``{action: (version, sha)}``: sorted, two-space indented, one line per pin."""
    lines = [f'    {json.dumps(a)}: {{"version": {json.dumps(v)}, "sha": {json.dumps(s)}}}'
             for a, (v, s) in sorted(pins.items())]
    return '{\n  "actions": {\n' + ",\n".join(lines) + "\n  }\n}\n"


def workflow_pins(text: str) -> dict[str, tuple[str, str]]:
    """{action: (version, sha)} of the pinned ``uses:`` lines of a workflow (sub-actions such as
    ``actions/cache/save`` count for their repository)."""
    found: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        m = _USES.match(line)
        if m and _SHA.fullmatch(m.group("sha")):
            found[m.group("action")] = (m.group("version") or "", m.group("sha"))
    return found


def pin_only_differences(expected: str, actual: str) -> list[tuple[str, tuple[str, str], tuple[str, str]]] | None:
    """When ``actual`` differs from ``expected`` only in pinned ``uses:`` lines (the SHA and its
    version comment), the (action, ours, theirs) pairs that differ; None when anything else differs."""
    ours, theirs = expected.splitlines(), actual.splitlines()
    if len(ours) != len(theirs):
        return None
    out: dict[str, tuple] = {}
    for a, b in zip(ours, theirs):
        if a == b:
            continue
        ma, mb = _USES.match(a), _USES.match(b)
        if not (ma and mb) or (ma.group("action"), ma.group("sub")) != (mb.group("action"), mb.group("sub")) \
                or a[:ma.start("sha")] != b[:mb.start("sha")]:
            return None
        out[ma.group("action")] = ((ma.group("version") or "", ma.group("sha")),
                                   (mb.group("version") or "", mb.group("sha")))
    return [(action, o, t) for action, (o, t) in sorted(out.items())]


def newer(a: str, b: str) -> bool:
    """Whether version ``a`` is newer than ``b`` (vN[.N[.N]], missing parts are 0)."""
    def key(v: str):
        parts = [int(x) for x in v.lstrip("v").split(".")]
        return parts + [0] * (3 - len(parts))
    return key(a) > key(b)


def _find(text: str, needle: str, start: int = 0) -> int:
    at = text.find(needle, start)
    return at if at >= 0 else start


def _problem(path: str, text: str, what: str, pos: int = 0, hint: str = "") -> Diagnostic:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Diagnostic("E003", ERROR, what, Span(line, column, line, column, pos, pos + 1) if text else None,
                      hint or "pipec.lock lists the action pins this repository chose: "
                      '{"actions": {"OWNER/REPO": {"version": "vX.Y.Z", "sha": "<40 hex digits>"}}}. '
                      "'pipec pins --accept WORKFLOW' writes it from a workflow a bot has bumped.", (), path)


# ----------------------------------------------------------------------------- pipec pins, build --check


def explain(rel: str, expected: str, actual: str) -> list[str]:
    """For ``pipec build --check``: when a generated workflow differs from the file on disk only
    in action pins, one line per pin saying both sides and how to settle it; else []."""
    found = pin_only_differences(expected, actual)
    if not found:
        return []
    lines = []
    for action, (ov, osha), (tv, tsha) in found:
        lines.append(f"         {action}: the file pins {tv or '(no version comment)'} ({tsha[:12]}), "
                     f"pipec's pins say {ov} ({osha[:12]})")
    lines.append(f"         only action pins differ: 'pipec pins --accept {rel}' keeps the file's pins (in "
                 f"{LOCK_NAME}); 'pipec build' goes back to pipec's")
    return lines


def command(args) -> int:
    """``pipec pins``: the pins in effect; ``--accept WORKFLOW...`` records a workflow's pins in
    pipec.lock; ``--update`` moves locked pins older than the shipped table up to it."""
    import sys

    from pipec.diagnostics import render_all
    from pipec.files import CannotWrite, write_file
    from pipec.targets.github.pins import bundled

    root = Path(args.source_root)
    path = lock_path(root)
    shipped = bundled()
    try:
        current = {a: (v, s) for a, v, s in load(path, shipped)}
    except Diagnostics as exc:
        text = path.read_text(encoding="utf-8", errors="replace")
        print(render_all(exc.diagnostics, {str(path): text}), file=sys.stderr)
        return 1
    if args.accept and args.update:
        print("pipec: error: give either --accept WORKFLOW... or --update, not both", file=sys.stderr)
        return 2
    changed = dict(current)
    if args.accept:
        for wf in args.accept:
            try:
                text = Path(wf).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"pipec: error: {wf}: {exc}", file=sys.stderr)
                return 1
            for action, (version, sha) in sorted(workflow_pins(text).items()):
                if action not in shipped:
                    continue
                effective = changed.get(action, (shipped[action]["version"], shipped[action]["sha"]))
                if (version, sha) == effective:
                    continue
                if not _VERSION.fullmatch(version or ""):
                    print(f"pipec: error: {wf}: the pin of {action} ({sha[:12]}) has no '# vX.Y.Z' version comment; "
                          "add it (Dependabot and Renovate write one) and run this again", file=sys.stderr)
                    return 1
                changed[action] = (version, sha)
                print(f"locked   {action} {version} ({sha[:12]}), was {effective[0]} ({effective[1][:12]})")
    elif args.update:
        for action, (version, sha) in sorted(current.items()):
            ship = shipped[action]
            if newer(ship["version"], version):
                changed[action] = (ship["version"], ship["sha"])
                print(f"updated  {action} {version} -> {ship['version']} ({ship['sha'][:12]})")
    else:
        for action in sorted(shipped):
            ship = shipped[action]
            lock = current.get(action)
            where = f"{LOCK_NAME}: {lock[0]} ({lock[1][:12]})" if lock else "shipped"
            print(f"{action:42} {ship['version']:9} {where}")
        return 0
    # a locked pin equal to the shipped one says nothing: leave it out
    changed = {a: p for a, p in changed.items() if p != (shipped[a]["version"], shipped[a]["sha"])}
    if changed == current:
        print(f"{path}: nothing to change")
        return 0
    try:
        write_file(str(path), dump(changed))
    except CannotWrite as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}; run pipec build to write the pins into the workflows")
    return 0
