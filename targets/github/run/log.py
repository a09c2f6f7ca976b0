"""act's ``--json`` log, one JSON object a line, as events ``pipec run`` shows and counts.

The fields read (act 0.2.89, ``pkg/runner/logger.go`` and ``pkg/common/executor``): ``jobID``;
``stage`` (``Pre``, ``Main``, ``Post``), ``step`` (the step's name) and ``stepID`` (a list: one
element for a step of the job, more for a step inside a composite action); ``raw_output`` (a
line the step printed, in ``msg``); ``command`` and ``arg`` (a workflow command such as
``::group::NAME``); ``stepResult`` and ``jobResult`` (``success``, ``failure``, ``skipped``);
``level``. Lines that are not JSON are act's own messages (its final ``Error: ...``).
"""

from __future__ import annotations

import json

from pipec.node import Node, node

#: act's warnings that say nothing about the pipeline (a repository without commits or remote,
#: no Docker in host mode)
NOISE = ("unable to get git", "Couldn't get a valid docker connection", "Unable to get git",
         "unable to get default branch")


@node
class Event(Node):
    """``kind`` is one of: ``step`` (a job's step started; ``text`` its name), ``phase`` (a
    ``::group::`` started inside a step; ``text`` its title), ``output`` (a line a step printed),
    ``step-result`` (``text`` is success/failure/skipped; ``detail`` the step's name),
    ``job-result`` (success or failure), ``warning``/``error`` (a workflow command or act's own
    message), ``act`` (a line of act's that is not JSON)."""

    kind: str
    job: str | None
    text: str
    detail: str = ""


def parse(line: str) -> Event | None:
    """The event of one line of act's output (None for what is not worth showing)."""
    line = line.rstrip("\n")
    if not line.startswith("{"):
        return Event("act", None, line) if line.strip() else None
    try:
        entry = json.loads(line)
    except ValueError:
        return Event("act", None, line)
    if not isinstance(entry, dict):
        return Event("act", None, line)
    job = entry.get("jobID")
    msg = str(entry.get("msg", ""))
    top = len(entry.get("stepID") or ()) <= 1 and entry.get("stage", "Main") == "Main"
    if "jobResult" in entry:
        return Event("job-result", job, str(entry["jobResult"]))
    if entry.get("raw_output"):
        return Event("output", job, msg.rstrip("\n"))
    command = entry.get("command")
    if command:
        if command == "group":
            return Event("phase", job, str(entry.get("arg", "")))
        if command in ("warning", "error"):
            return Event(command, job, str(entry.get("arg", "")))
        return None
    if "stepResult" in entry:
        if not top:
            return None
        return Event("step-result", job, str(entry["stepResult"]), str(entry.get("step", "")))
    level = entry.get("level")
    if level in ("warning", "error", "fatal"):
        if any(n in msg for n in NOISE):
            return None
        return Event("error" if level != "warning" else "warning", job, msg)
    if top and msg.startswith("\u2b50 Run Main "):  # "⭐ Run Main NAME"
        return Event("step", job, str(entry.get("step", "")))
    return None
