"""The steps of one job, in order: when each runs (trailing ``always()`` steps become finally
commands), which are skipped with a finding, and the action's inputs (the source and downloaded
artifacts). ``run`` steps go on to :mod:`.commands`, ``uses`` steps to :mod:`.actions`.
"""

from __future__ import annotations


from pipec.importer import pos_of
from pipec.targets.github.imports.actions import _KNOWN_ACTIONS
from pipec.targets.github.imports.common import SOURCE, _Action, _scalar, _Skip


MAX_INPUTS = 5


class Steps:
    """One job's steps into one action's build phase."""

    def steps(self, a: _Action, key: str, job, jobs):
        ctx = self.ctx
        steps = job["steps"]
        wf_def = self.defaults(self.data)
        job_def = self.defaults(job)
        # trailing steps that run after a failure too: the phase's finally commands
        self.sets_env = any(
            ("run" in st and "GITHUB_ENV" in (_scalar(st["run"]) or "")) or (
                isinstance(st.get("uses"), str) and st["uses"].split("@", 1)[0].strip().lower() not in _KNOWN_ACTIONS)
            for st in steps)
        finals = set()
        whens = [self.when(st, a) for st in steps]
        if getattr(self, "matrix_unknown", False):  # matrix values are not known: neither is the condition
            whens = [None if w == "never" and "matrix." in str(st.get("if")) else w for st, w in zip(steps, whens)]
        for i, w in enumerate(whens):  # decided false at import (runner.os, a literal): documented, no finding
            if w == "never":
                pos = pos_of(steps, i)
                ctx.mapping.setdefault("never", []).append(pos[0] if pos else None)
        for i in range(len(steps) - 1, -1, -1):
            if whens[i] == "always":
                finals.add(i)
            elif whens[i] != "never":
                break
        self.upstream = self.closure(key, jobs)
        a.will_checkout = any(isinstance(st.get("uses"), str) and st["uses"].split("@", 1)[0].strip().lower()
                              == "actions/checkout" for st in steps)
        for i, step in enumerate(steps):
            try:
                self.check_when(a, step, steps, i, whens[i], i in finals)
                if whens[i] == "never":
                    continue
                if "uses" not in step and "run" not in step:
                    raise _Skip("workflow: parallel steps", "parallel step groups and waiting for or cancelling "
                                "background steps have no .pipe equivalent")
                if "uses" in step:
                    self.uses(a, step, steps, i, whens[i])
                else:
                    self.run_step(a, step, steps, i, wf_def, job_def, i in finals)
            except _Skip as exc:
                if not exc.construct:
                    a.phase.comment(f"not converted: step {i + 1}: {exc}")
                    continue
                ctx.skip(a.phase, exc.construct, f"step {i + 1}" + (f" ({step['name']})" if isinstance(
                    step.get("name"), str) else "") + f": {exc}", steps, i)
        pending = list(a.inputs_pending)
        if pending and pending[0][1] is None:
            a.inputs = [pending.pop(0)[0]]
        else:
            a.inputs = [SOURCE]
            a.no_checkout = not a.checkout
        for name, _dest in pending:
            if name in a.inputs:
                continue
            if len(a.inputs) >= MAX_INPUTS:
                ctx.skip(a.phase, "workflow: too many artifacts", f"artifact {name} would be input number "
                         f"{len(a.inputs) + 1}; CodeBuild takes {MAX_INPUTS}", job, "steps")
                continue
            a.inputs.append(name)
        if a.inputs == [SOURCE]:
            a.inputs = []

    @staticmethod
    def defaults(where) -> dict:
        d = where.get("defaults") if isinstance(where, dict) else None
        run = d.get("run") if isinstance(d, dict) else None
        return run if isinstance(run, dict) else {}

    def closure(self, key, jobs) -> set:
        out, todo = set(), [key]
        while todo:
            k = todo.pop()
            for d in self.needs_of(jobs.get(k)):
                if d not in out:
                    out.add(d)
                    todo.append(d)
        return out

    def check_when(self, a: _Action, step, steps, i, when, final):
        cond = step.get("if")
        if when is None:
            # kept, never dropped (issue 25), behind the action's first command, which fails until a
            # person decides when the step runs: never a step that runs in more cases silently
            self.ctx.skip(a.phase, "workflow: step condition", f"step {i + 1} runs only if "
                          f"{' '.join((_scalar(cond) or '').split())!r}, which GitHub decides during the run: it is "
                          "kept, and the action's first command fails until you decide when it runs", steps, i)
            a.step_conditions.append(i + 1)
            return
        if when == "failure":
            raise _Skip("workflow: failure() step", f"runs only after a failure (if: {_scalar(cond)!r})")
        if when == "always" and not final and "run" in step:
            self.ctx.skip(a.phase, "workflow: always() step", f"step {i + 1} runs after failures too on GitHub "
                          f"(if: {_scalar(cond)!r}); here it runs only when the steps before it succeeded",
                          steps, i)
