"""The phases step read back: its one bash script split into phases, their commands and what
CodeBuild's transitions make of them (the inverse of :mod:`pipec.targets.github.phases`, only in
the form it writes). Used by :mod:`.builds`.

The script is::

    PRELUDE                                   the helpers pipec_start, pipec_check, pipec_end
                                              (checked against the SHA-256 of the text whose
                                              behaviour this reader knows)
    if pipec_start PHASE WHEN; then           WHEN: success | after-build
    {                                         the commands, { CMD } && { CMD } ... (optional)
    CMD
    } && {
    CMD
    }
    pipec_check
    # PHASE: finally                          the finally commands, the same way (optional)
    ...
    pipec_end PHASE abort|continue
    fi
    ...
    if [ ... ]; then echo "upload-artifacts=true" >> "$GITHUB_OUTPUT"; fi     (with artifacts)
    exit "$pipec_status"
"""

from __future__ import annotations


import functools
import hashlib
import re

from pipec import model, plan
from pipec.targets.github.read.common import _fail


#: the shell of the phases step (targets/github/phases.py SHELL)
PHASE_SHELL = "bash --noprofile --norc {0}"
#: the phases step's id and name
STEP_ID = "phases"
STEP_NAME = "Run the phases: "
#: the SHA-256 of the prelude whose helpers this reader knows: install, pre_build and build run while
#: no phase stopped the build; post_build (after-build) when build ran; a failure sets
#: CODEBUILD_BUILD_SUCCEEDING to 0, ends the phase, and stops the build unless it continues. A
#: prelude with other text has behaviour this reader has not been taught: it is refused.
PRELUDE_SHA256 = "9851e6ced08ce70a431851e9c5aab940011066ed22e6e55faf31bd363008b797"
PRELUDE_LINES = 22
CLOSE = ("}", "pipec_check")
UPLOAD = {
    '[ "$pipec_build_ran" = 1 ]': "build-ran",
}
#: the line where a build without build commands reaches CodeBuild's (empty) BUILD phase
REACHED_BUILD = 'if [ "$pipec_stopped" = 0 ]; then pipec_build_ran=1; fi  # the (empty) build phase'
_START = re.compile(r"if pipec_start (install|pre_build|build|post_build) (success|after-build); then")
_END = re.compile(r"pipec_end (install|pre_build|build|post_build) (abort|continue)")
_UPLOAD = re.compile(r'if (.+); then echo "upload-artifacts=true" >> "\$GITHUB_OUTPUT"; fi')


def split_chain(where, lines: list[str]) -> tuple[str, ...]:
    """The commands of ``{ CMD } && { CMD } ...`` then ``pipec_check`` (its lines): split at each
    ``} && {`` line (a command whose own text holds such a line reads as two commands, which bash
    runs alike), with the empty line after a trailing ``\\`` removed."""
    if len(lines) < 4 or lines[0] != "{" or tuple(lines[-2:]) != CLOSE:
        _fail(where, "a list of commands is written '{', the commands separated by '} && {', '}' and 'pipec_check'")
    commands, current = [], []
    for line in lines[1:-2] + ["} && {"]:
        if line != "} && {":
            current.append(line)
            continue
        if current and current[-1] == "" and len(current) > 1 and current[-2].endswith("\\"):
            current = current[:-1]
        elif current and current[-1].endswith("\\"):
            _fail(where, "a command ending in '\\' is followed by an empty line (it would join the brace)")
        if len(current) > 1 and current[-1] == ":" and all(
                not line.strip() or line.lstrip().startswith("#") for line in current[:-1]):
            current = current[:-1]  # the no-op after a command of comments only (bash runs both alike)
        if not current:
            _fail(where, "an empty command between braces")
        commands.append("\n".join(current))
        current = []
    return tuple(commands)


def read_script(where, run: str) -> tuple[tuple, str | None]:
    """(the plan's phases, when the artifacts are uploaded: ``build-ran`` (when CodeBuild's BUILD
    phase was reached) or None) of a phases step's script."""
    lines = run.split("\n")
    prelude = "\n".join(lines[:PRELUDE_LINES])
    if hashlib.sha256(prelude.encode()).hexdigest() != PRELUDE_SHA256:
        _fail(where, "the phases script does not start with the helpers pipec writes (pipec_start, pipec_check, "
                     "pipec_end): their behaviour is unknown to this reader")
    body = lines[PRELUDE_LINES:]
    n = len(body)

    def chain_ends(i: int):
        """Each j > i with body[j - 1:j + 1] == CLOSE: where a chain from i may end."""
        return [j for j in range(i + 2, n) if (body[j - 1], body[j]) == CLOSE]

    build_at = model.PHASE_ORDER.index("build")

    @functools.lru_cache(maxsize=None)
    def phases_from(i: int, last: int):
        """The phases and upload rule of body[i:], or None when it is not in the written form;
        ``last``: the index in PHASE_ORDER of the phase before (``build_at`` once the empty build
        phase's line was read)."""
        if i + 1 < n and body[i] == "" and body[i + 1] == REACHED_BUILD:
            if last >= build_at:
                return None
            rest = phases_from(i + 2, build_at)
            return None if rest is None else (rest[0], rest[1], True)
        if i + 1 < n and body[i] == "" and _START.fullmatch(body[i + 1]):
            name, when = _START.fullmatch(body[i + 1]).groups()
            if model.PHASE_ORDER.index(name) <= last:
                return None
            for commands, k in chains(i + 2, None):
                for fin, m in chains(k, f"# {name}: finally"):
                    if not (commands or fin) or m + 1 >= n or body[m + 1] != "fi":
                        continue
                    end = _END.fullmatch(body[m])
                    if not end or end.group(1) != name:
                        continue
                    rest = phases_from(m + 2, model.PHASE_ORDER.index(name))
                    if rest is not None:
                        return ((name, commands, fin, end.group(2), when), *rest[0]), rest[1], rest[2]
            return None
        if body[i:] == ['exit "$pipec_status"']:
            return (), None, False
        if body[i:i + 1] == [""] and i + 2 < n and _UPLOAD.fullmatch(body[i + 1]) \
                and body[i + 2:] == ['exit "$pipec_status"']:
            rule = UPLOAD.get(_UPLOAD.fullmatch(body[i + 1]).group(1))
            return ((), rule, False) if rule else None
        return None

    def chains(i: int, header: str | None):
        """(commands, next index) for each way to read an optional chain at i (after ``header``)."""
        start = i
        if header is not None:
            if i < n and body[i] == header:
                start = i + 1
            else:
                yield (), i
                return
        if start < n and body[start] == "{":
            for j in chain_ends(start):
                try:
                    yield split_chain(where, body[start:j + 1]), j + 1
                except ValueError:
                    continue
        if header is None:
            yield (), i

    found = phases_from(0, -1)
    if found is not None:
        phases, upload, reached = found
        has_build = any(p[0] == "build" for p in phases)
        if reached and (has_build or upload is None):
            found = None  # the empty build phase's line belongs to a build without one, with artifacts
        elif upload is not None and not has_build and not reached:
            found = None  # without it, pipec_build_ran never becomes 1: no upload at all
        else:
            found = (phases, upload)
    if found is None:
        _fail(where, "the phases script is not in the form pipec writes ('if pipec_start PHASE WHEN; then', "
                     "the commands in braces, 'pipec_end PHASE ON_FAILURE', 'fi')")
    return found


class Phases:
    """A build's phases."""

    def phases(self, where, located) -> tuple:
        """The build phases of the job's phases step, and the condition its artifact steps must
        have (targets/github/phases.py ``phase_steps`` and ``last_phase_condition``)."""
        steps = [(at, step) for at, role, step in located if role == "phases"]
        if len(steps) != 1:
            _fail(where, "a build job has one phases step")
        at, step = steps[0]
        if step.get("id") != STEP_ID:
            _fail(at, f"the phases step's id must be '{STEP_ID}' (the artifact steps read its outputs)")
        env = step.get("env") or {}
        if not isinstance(env, dict) or any(not str(k).startswith("CODEBUILD_SRC_DIR_") for k in env):
            _fail(at, "the phases step's env holds only CODEBUILD_SRC_DIR_*; other variables belong in the job's env")
        if "if" in step or "continue-on-error" in step:
            _fail(at, "the phases step runs whenever the job runs: no 'if' or 'continue-on-error'")
        read, upload = read_script(at, step["run"])
        self.upload_rule = upload
        return tuple(plan.Phase(name, commands, fin, on_failure, when)
                     for name, commands, fin, on_failure, when in read)
