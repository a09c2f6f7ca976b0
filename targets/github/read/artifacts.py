"""Artifacts between jobs read back: an artifact packed into one tar file by its collection step
(targets/github/artifacts.py) is downloaded beside the job's work and unpacked where CodeBuild
puts an input; :func:`unpacked` turns each such pair of steps into the one download the other
readers know, at the place it is unpacked to.
"""

from __future__ import annotations

import re

from pipec.targets.github.read.common import _fail

#: the last line of a collection step that packs the staged folder (modes kept)
PACK = 'tar -cf "$dest.tar" -C "$dest" .'
_UNPACK = re.compile(r'(?:mkdir -p "(?P<made>[^"]+)" && )?tar -xpf "\$RUNNER_TEMP/pipec-artifacts/(?P<name>[^/"]+)/'
                     r'(?P=name)\.tar" --no-same-owner -C "(?P<into>[^"]+)"')


def unpacked(located: list) -> list:
    """``located`` ((where, role, step) of a job's steps) with each download of a packed artifact
    and its unpack step made one download into the unpack step's folder (no ``path``: the
    working directory)."""
    out = []
    i = 0
    while i < len(located):
        at, role, step = located[i]
        if role == "unpack":
            _fail(at, "an artifact is unpacked without being downloaded just before")
        nxt = located[i + 1] if i + 1 < len(located) else None
        if role == "download" and nxt is not None and nxt[1] == "unpack":
            with_ = step.get("with") or {}
            name = with_.get("name")
            m = _UNPACK.fullmatch(nxt[2]["run"])
            if m and m.group("made") != (None if m.group("into") == "." else m.group("into")):
                m = None  # the folder is made first, unless it is the working directory
            if not m or m.group("name") != name or with_.get("path") != f"${{{{ runner.temp }}}}/pipec-artifacts/{name}":
                _fail(nxt[0], f"artifact {name!r} is not unpacked from the tar file it was downloaded into")
            into = m.group("into").replace("$RUNNER_TEMP", "${{ runner.temp }}")
            merged = {**step, "with": {"name": name, **({} if into == "." else {"path": into})}}
            out.append((at, "download", merged))
            i += 2
            continue
        out.append(located[i])
        i += 1
    return out
