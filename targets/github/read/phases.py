"""Phase steps read back: each phase's script split into its commands (the inverse of
:func:`pipec.targets.github.phases._script`) and its ``if:`` read as CodeBuild's transition
(only the forms :mod:`pipec.targets.github.phases` writes). Used by :mod:`.builds`.
"""

from __future__ import annotations


import functools
import re

from pipec import model, plan
from pipec.targets.github.read.common import _fail


#: the shell of every phase step, and the first line of its script (targets/github/phases.py)
PHASE_SHELL = "bash --noprofile --norc {0}"
PHASE_SOURCE = '. "$RUNNER_TEMP/pipec-phase.sh"'
EXIT_SUFFIX = " || exit"
CHECK_LINE = "pipec_check"


def needs_check(command: str) -> bool:
    """Whether targets/github/phases.py writes ``command`` followed by ``pipec_check`` rather than with
    the `` || exit`` suffix (``_script``)."""
    return "\n" in command or "#" in command or command.rstrip().endswith((";", "&", "\\"))


def split_script(where, run: str) -> tuple[str, ...]:
    """The commands of a phase step's script: the inverse of targets/github/phases.py ``_script``.

    A one-line command is ``COMMAND || exit``; any other is its lines (plus an empty line
    after a trailing ``\\``) followed by ``pipec_check``; no command holds a line that is exactly
    ``pipec_check``. One text can have two readings: ``a || exit``, ``b  # note``,
    ``pipec_check`` is the commands ``a`` and ``b  # note``, and also the one script
    ``a || exit\\nb  # note``. Bash runs both alike; the reader takes each
    ``X || exit`` line that can stand alone as its own command (the emitter's mark of one),
    so the script reading applies only where no other reading exists."""
    lines = run.split("\n")
    if not lines or lines[0] != PHASE_SOURCE:
        _fail(where, f"a phase script must start with {PHASE_SOURCE} (the shell of the earlier phases)")
    body = lines[1:]
    n = len(body)

    def pieces(i: int):
        """(command, next index) for each way to read one command at ``i``, one-line first."""
        line = body[i]
        if line.endswith(EXIT_SUFFIX):
            cmd = line[:-len(EXIT_SUFFIX)]
            if cmd and not needs_check(cmd):
                yield cmd, i + 1
        # a checked command runs to the next 'pipec_check' line
        j = next((k for k in range(i, n) if body[k] == CHECK_LINE), None)
        if j is None or j == i:
            return
        block = body[i:j]
        if block[-1] == "" and len(block) > 1 and block[-2].endswith("\\"):
            block = block[:-1]  # the empty line that ends a trailing continuation
        elif block[-1].endswith("\\"):
            return  # the emitter always adds that empty line
        cmd = "\n".join(block)
        if needs_check(cmd):
            yield cmd, j + 1

    @functools.lru_cache(maxsize=None)
    def reading(i: int) -> tuple[str, ...] | None:
        """The reading of body[i:] (None when there is none)."""
        if i == n:
            return ()
        for cmd, nxt in pieces(i):
            rest = reading(nxt)
            if rest is not None:
                return (cmd, *rest)
        return None

    found = reading(0)
    if found is None:
        _fail(where, "the script is not a list of commands as pipec writes them (each 'COMMAND || exit', "
                     "or a script followed by 'pipec_check')")
    return found


def _conjuncts(where, cond: str, what: str) -> list[str]:
    """The terms of a ``${{ a && b && ... }}`` condition; anything with ``||`` or parentheses
    other than ``cancelled()`` is refused."""
    text = cond.strip()
    if not (text.startswith("${{") and text.endswith("}}")):
        _fail(where, f"{what} {cond!r} is not a '${{{{ ... }}}}' expression pipec writes")
    inner = text[3:-2].strip()
    if "||" in inner or re.search(r"[()]", inner.replace("!cancelled()", "")):
        _fail(where, f"{what} {cond!r} is not one pipec can map")
    return [t.strip() for t in inner.split("&&")]


class Phases:
    """A build's phases."""

    def phases(self, where, located) -> tuple:
        """The build phases from the phase steps, with what CodeBuild's transitions make of their
        conditions (targets/github/phases.py ``phase_steps`` and ``phase_condition``)."""
        phases: list[plan.Phase] = []
        ran: list[str] = []        # the phases so far
        done: list[str] = []       # the ids of the phase and finally steps so far
        continued: list[str] = []
        fail_step = None
        for at, role, step in located:
            if role == "fail-continued":
                fail_step = (at, step)
                continue
            if role not in ("phase", "finally"):
                continue
            name = step["name"]
            env = step.get("env") or {}
            if not isinstance(env, dict) or any(k != "CODEBUILD_BUILD_SUCCEEDING" and not str(k).startswith(
                    "CODEBUILD_SRC_DIR_") for k in env):
                _fail(at, "a phase step's env holds only CODEBUILD_BUILD_SUCCEEDING and CODEBUILD_SRC_DIR_*; "
                          "other variables belong in the job's env")
            commands = split_script(at, step["run"])
            if role == "finally":
                phase = name[:-len(" (finally)")]
                if not phases or phases[-1].name != phase or phases[-1].finally_commands:
                    _fail(at, f"a finally step must come right after the '{phase}' phase step")
                expected = f"${{{{ !cancelled() && steps.{phase}.outcome != 'skipped' }}}}"
                if step.get("if") != expected or "continue-on-error" in step:
                    _fail(at, f"a finally step runs with if: {expected} (whenever its phase ran)")
                if step.get("id") != f"{phase}_finally":
                    _fail(at, f"the finally step's id must be {phase}_finally")
                last = phases[-1]
                phases[-1] = plan.Phase(last.name, last.commands, commands, last.on_failure, last.when)
                done.append(step["id"])
                continue
            if step.get("id") != name:
                _fail(at, f"the phase step's id must be '{name}' (later conditions refer to it)")
            if any(p.name == name for p in phases) or (
                    phases and model.PHASE_ORDER.index(name) < model.PHASE_ORDER.index(phases[-1].name)):
                _fail(at, f"phase '{name}' is out of CodeBuild's order (install, pre_build, build, post_build)")
            cont = step.get("continue-on-error", False)
            if cont not in (True, False):
                _fail(at, f"continue-on-error {cont!r} is not true or false")
            when = self.when(at, name, step.get("if"), ran, done, continued)
            phases.append(plan.Phase(name, commands, (), "continue" if cont else "abort", when))
            ran.append(name)
            done.append(name)
            if cont:
                continued.append(name)
        if continued:
            expected = "${{ " + " || ".join(f"steps.{n}.outcome == 'failure'" for n in continued) + " }}"
            if fail_step is None or fail_step[1].get("if") != expected:
                _fail(where, f"phases {', '.join(continued)} continue on failure, and the job must then fail at the "
                             f"end: a 'Fail the job if a phase failed' step with if: {expected} is missing")
        elif fail_step is not None:
            _fail(fail_step[0], "no phase continues on failure")
        if not phases:
            _fail(where, "the job has no phase step")
        # a phase with no command and no finally command does not exist in a buildspec
        return tuple(p for p in phases if p.commands or p.finally_commands)

    @staticmethod
    def when(where, name: str, cond, ran: list[str], done: list[str], continued: list[str]) -> str:
        """``success`` (runs only while every earlier phase and its finally commands succeeded;
        a phase that continues on failure does not stop it) or ``after-build`` (post_build:
        whenever the build phase ran). ``ran``: the earlier phases; ``done``: the ids of the
        earlier phase and finally steps."""
        if cond is None:
            return "success"  # GitHub's success(): every earlier step succeeded (or continued)
        if not isinstance(cond, str):
            _fail(where, f"condition {cond!r} is not an expression")
        terms = _conjuncts(where, cond, "phase condition")
        after_build = ["!cancelled()", "steps.build.outcome != 'skipped'"]
        if name == "post_build" and "build" in ran and terms == after_build:
            return "after-build"
        # after a phase that continued on failure (targets/github/phases.py phase_condition): every earlier
        # phase and finally step of a phase that did not continue succeeded, and each continued
        # phase ran
        success = {"!cancelled()"} \
            | {f"steps.{d}.outcome == 'success'" for d in done if d.removesuffix("_finally") not in continued} \
            | {f"steps.{c}.outcome != 'skipped'" for c in continued}
        if done and len(terms) == len(set(terms)) and set(terms) == success:
            return "success"
        _fail(where, f"phase condition {cond!r} is neither of the forms pipec writes here (after the phases "
                     f"{', '.join(ran) or 'none'}): pipec will not guess when the phase runs")
