"""A build's phases read back (the inverse of :mod:`pipec.targets.github.phases`, only in the
forms it writes). Used by :mod:`.builds`. Both forms run the commands in bash without -e and
pipefail (:data:`PHASE_SHELL`), or under GitHub's default ``bash -e {0}`` where -e cannot change
a command's status (:func:`pipec.shell_state.errexit_neutral`; not in a container job).

**One step a command**: plain ``run:`` steps with ids PHASE, PHASE-2, ... in CodeBuild's phase
order; post_build steps (after build commands) run ``if: ${{ !cancelled() && steps.build.outcome
!= 'skipped' }}`` (the first) or after the previous post_build step succeeded, with
``CODEBUILD_BUILD_SUCCEEDING`` from the last build step's outcome; no other step has ``if`` or
``env``. The artifact steps run when CodeBuild's BUILD phase was reached (:func:`reached_build`).

**One process**: a step that checks out :data:`PHASES_FILE` (whose text must have the SHA-256
this reader knows) into ``.pipec``, then the phases step, whose script is::

    # shellcheck source=/dev/null # ...
    . .pipec/.github/pipec/phases.sh || exit 1   the helpers pipec_start, pipec_check, pipec_end
    rm -rf .pipec
    if pipec_start PHASE WHEN; then           WHEN: success | after-build
    {                                         the commands, { CMD }; pipec_next && { CMD } ...
    CMD                                       (optional)
    }; pipec_next && {
    CMD
    }
    pipec_check
    # PHASE: finally                          the finally commands, the same way (optional)
    ...
    pipec_end PHASE abort|continue
    fi
    ...
    pipec_finish upload                       (with artifacts; else pipec_finish): the step's
                                              status, and whether the artifacts are uploaded
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
#: the SHA-256 of the file of helpers (.github/pipec/phases.sh) whose behaviour this reader knows: install, pre_build and build run while
#: no phase stopped the build; post_build (after-build) when build ran; a failure sets
#: CODEBUILD_BUILD_SUCCEEDING to 0, ends the phase, and stops the build unless it continues. A
#: prelude with other text has behaviour this reader has not been taught: it is refused.
FILE_SHA256 = "4c209decd3a8f33eaf559b1f3f7e960c25597aef0acde7a1158e63e4880f2bf4"
#: the file of helpers, its checkout, and the phases script's first lines
PHASES_FILE = ".github/pipec/phases.sh"
CHECKOUT_PATH = ".pipec"
SOURCE_LINES = ["# shellcheck source=/dev/null # the file is checked out from the workflow's commit",
                f". {CHECKOUT_PATH}/{PHASES_FILE} || exit 1", f"rm -rf {CHECKOUT_PATH}"]
#: the id of a command step: its phase, then -2, -3, ... for the second, third command
COMMAND_ID = re.compile(r"(install|pre_build|build|post_build)(?:-([2-9]|[1-9][0-9]+))?")
CLOSE = ("}", "pipec_check")
#: the line between two commands (targets/github/phases.py SEPARATOR)
SEPARATOR = "}; pipec_next && {"
#: the line where a build without build commands reaches CodeBuild's (empty) BUILD phase
REACHED_BUILD = "pipec_reached_build"
_START = re.compile(r"if pipec_start (install|pre_build|build|post_build) (success|after-build); then")
_END = re.compile(r"pipec_end (install|pre_build|build|post_build) (abort|continue)")


def split_chain(where, lines: list[str]) -> tuple[str, ...]:
    """The commands of ``{ CMD }; pipec_next && { CMD } ...`` then ``pipec_check`` (its lines):
    split at each :data:`SEPARATOR` line (a command whose own text holds such a line reads as two
    commands, which bash runs alike), with the empty line after a trailing ``\\`` removed."""
    if len(lines) < 4 or lines[0] != "{" or tuple(lines[-2:]) != CLOSE:
        _fail(where, f"a list of commands is written '{{', the commands separated by '{SEPARATOR}', '}}' and "
              "'pipec_check'")
    commands, current = [], []
    for line in lines[1:-2] + [SEPARATOR]:
        if line != SEPARATOR:
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
    if lines[:len(SOURCE_LINES)] != SOURCE_LINES:
        _fail(where, "the phases script starts by sourcing the helpers pipec writes: " + "; ".join(SOURCE_LINES))
    body = lines[len(SOURCE_LINES):]
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
        if body[i:] == ["", "pipec_finish"]:
            return (), None, False
        if body[i:] == ["", "pipec_finish upload"]:
            return (), "build-ran", False
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


def reached_build(phases) -> str:
    """The condition under which the artifact steps of a one-step-a-command build run: CodeBuild
    uploads when its BUILD phase was reached, failed or not: the first build step ran (not
    skipped); without build commands, the first post_build step ran, or the last step before
    succeeded."""
    names = [p.name for p in phases]
    if "build" in names:
        return "${{ !cancelled() && steps.build.outcome != 'skipped' }}"
    if "post_build" in names:
        return "${{ !cancelled() && steps.post_build.outcome != 'skipped' }}"
    last = phases[-1]
    n = len(last.commands)
    return f"${{{{ !cancelled() && steps.{last.name if n == 1 else f'{last.name}-{n}'}.outcome == 'success' }}}}"


def read_commands(where, steps) -> tuple:
    """The plan's phases of a build written one step a command (see the module docstring)."""
    found: list[tuple[str, list[str]]] = []
    for at, step in steps:
        m = COMMAND_ID.fullmatch(str(step.get("id")))
        name, n = m.group(1), int(m.group(2) or 1)
        extra = set(step) - {"id", "run", "if", "env"}
        if extra:
            _fail(at, f"a command step has only id, run, if and env, not {', '.join(sorted(extra))}")
        if found and found[-1][0] == name:
            if n != len(found[-1][1]) + 1:
                _fail(at, f"step '{step['id']}' is out of order: the commands of {name} are {name}, {name}-2, ...")
        else:
            if found and model.PHASE_ORDER.index(name) <= model.PHASE_ORDER.index(found[-1][0]):
                _fail(at, f"the {name} steps come after the {found[-1][0]} steps, not in CodeBuild's phase order")
            if n != 1:
                _fail(at, f"the first command of {name} has the id '{name}'")
            found.append((name, []))
        found[-1][1].append(step["run"])
    has_build = any(name == "build" for name, _ in found)
    last_build = None
    if has_build:
        commands = next(c for name, c in found if name == "build")
        last_build = "build" if len(commands) == 1 else f"build-{len(commands)}"
    for at, step in steps:
        name, n = COMMAND_ID.fullmatch(step["id"]).group(1), int(COMMAND_ID.fullmatch(step["id"]).group(2) or 1)
        if name == "post_build" and has_build:
            after = "steps.build.outcome != 'skipped'" if n == 1 else \
                f"steps.{'post_build' if n == 2 else f'post_build-{n - 1}'}.outcome == 'success'"
            want_if = "${{ !cancelled() && " + after + " }}"
            want_env = {"CODEBUILD_BUILD_SUCCEEDING": f"${{{{ steps.{last_build}.outcome == 'success' && '1' || '0' }}}}"}
            if step.get("if") != want_if:
                _fail(at, f"a post_build step runs with if: {want_if} (when CodeBuild runs post_build: the build phase "
                          "ran, and the post_build commands before it succeeded)")
            if step.get("env") != want_env:
                _fail(at, "a post_build step sees CODEBUILD_BUILD_SUCCEEDING from the build steps' outcome, and "
                          "nothing else in its env")
        elif "if" in step or "env" in step:
            _fail(at, "a command step before post_build runs while the steps before it succeeded (no 'if'), "
                      "with the job's env (no 'env')")
    return tuple(plan.Phase(name, tuple(commands), (), "abort",
                            "after-build" if name == "post_build" and has_build else "success")
                 for name, commands in found)


class Phases:
    """A build's phases."""

    def phases(self, where, located) -> tuple:
        """The build phases of the job's command steps or phases step, and the condition its
        artifact steps must have (targets/github/phases.py ``phase_steps`` and
        ``last_phase_condition``)."""
        commands = [(at, step) for at, role, step in located if role == "command"]
        steps = [(at, step) for at, role, step in located if role == "phases"]
        if commands:
            if steps:
                _fail(where, "a build job has command steps or one phases step, not both")
            from pipec.shell_state import errexit_neutral

            windows = {step.get("shell") for _, step in commands} == {"powershell"}  # .matrix
            for at, step in commands:
                shell = step.get("shell")
                if windows:
                    continue
                if shell is None and (not errexit_neutral(step["run"]) or self.container):
                    _fail(at, f"a command whose status bash -e could change runs with shell: {PHASE_SHELL}"
                              + (" (and every command of a container job)" if self.container else ""))
                if shell is not None and shell != PHASE_SHELL:
                    _fail(at, f"a command runs in bash without -e and pipefail (shell: {PHASE_SHELL}), as on CodeBuild")
            phases = read_commands(where, [(at, {k: v for k, v in step.items() if k != "shell"})
                                           for at, step in commands])
            from pipec.shell_state import independent

            if not windows and not independent([c for p in phases for c in p.commands]):
                _fail(where, "the commands leave shell state (a cd, a variable, an option...) that later ones read, "
                             "which needs one bash process for all of them, as on CodeBuild: one step a command "
                             "loses it")
            self.upload_rule = "steps"  # the artifact steps' own condition says it
            self.upload_condition = reached_build(phases)
            return phases
        if len(steps) != 1:
            _fail(where, "a build job has command steps or one phases step")
        at, step = steps[0]
        if step.get("id") != STEP_ID:
            _fail(at, f"the phases step's id must be '{STEP_ID}' (the artifact steps read its outputs)")
        rules = [i for i, (_, role, _s) in enumerate(located) if role == "phase-rules"]
        here = next(i for i, (_, role, _s) in enumerate(located) if role == "phases")
        if rules != [here - 1]:
            _fail(at, f"the phases step comes right after the step that checks out {PHASES_FILE} into {CHECKOUT_PATH}")
        path = self.out / PHASES_FILE
        if not path.is_file():
            _fail(at, f"needs {PHASES_FILE}, which is missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != FILE_SHA256:
            _fail(at, f"{PHASES_FILE} is not the file of helpers pipec writes (pipec_start, pipec_check, pipec_end): "
                      "their behaviour is unknown to this reader")
        env = step.get("env") or {}
        if not isinstance(env, dict) or any(not str(k).startswith("CODEBUILD_SRC_DIR_") for k in env):
            _fail(at, "the phases step's env holds only CODEBUILD_SRC_DIR_*; other variables belong in the job's env")
        if "if" in step or "continue-on-error" in step:
            _fail(at, "the phases step runs whenever the job runs: no 'if' or 'continue-on-error'")
        if step.get("shell") != PHASE_SHELL:
            _fail(at, f"the phases step runs in bash without -e and pipefail: shell: {PHASE_SHELL}")
        read, upload = read_script(at, step["run"])
        self.upload_rule = upload
        self.upload_condition = f"${{{{ !cancelled() && steps.{STEP_ID}.outputs.upload-artifacts == 'true' }}}}"
        return tuple(plan.Phase(name, commands, fin, on_failure, when)
                     for name, commands, fin, on_failure, when in read)
