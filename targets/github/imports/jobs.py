"""Jobs and stages: the ``needs`` graph becomes one stage per longest-path level, a job one
``build``/``test`` action (or one per matrix combination, :mod:`.matrices`) with its runner,
container, timeout, env and environment; :meth:`Jobs.emit` writes an action's ``.pipe`` block.
A job's steps are :mod:`.steps`.
"""

from __future__ import annotations


import re
from pathlib import Path

from pipec.targets.escape import failing_command
from pipec import importer
from pipec.runner_labels import runner_platform
from pipec.targets.github.imports.grants import display_name, report_environment_url, report_permissions
from pipec.importer import Doc, q, v
from pipec.targets.github.imports.common import _Action, _scalar
from pipec.targets.github.imports import shells


GITHUB_TIMEOUT = 360
_TESTISH = re.compile(r"test|lint|check", re.I)


#: characters a .pipe file cannot hold (E100)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")



class Jobs:
    """Stages from the needs graph, and each job as actions."""

    def jobs_and_stages(self, p: Doc):
        ctx, data = self.ctx, self.data
        jobs = data["jobs"]
        level = self.levels(jobs)
        closure: dict[str, set] = {}

        def close(k):
            if k not in closure:
                out = set()
                for d in self.needs_of(jobs[k]):
                    out.add(d)
                    out |= close(d)
                closure[k] = out
            return closure[k]

        mapping_jobs: dict[str, list[str]] = {}
        ctx.mapping["jobs"] = mapping_jobs
        by_level: dict[int, list[str]] = {}
        for k in jobs:
            by_level.setdefault(level[k], []).append(k)
        imported_at: dict[int, list[str]] = {}
        stage_names: set = {"source"}
        stages_map: list[list[str]] = []
        for lv in sorted(by_level):
            stage = Doc("stage x")
            groups: list[tuple[str, list[_Action], bool]] = []
            for k in by_level[lv]:
                actions, sequential = self.job(stage, str(k), jobs[k], jobs)
                if actions and sum(len(x) for _, x, _ in groups) + len(actions) > 50:
                    ctx.skip(stage, "workflow: stage too large", f"job '{k}' would make its stage hold more than "
                             "50 actions, CodePipeline's limit (E303); it is not imported", jobs, k)
                    actions = []
                for a in actions:
                    for gh, n in a.uploads:
                        self.produced.setdefault(gh, (k, n))
                        self.job_artifacts.setdefault(k, {}).setdefault(gh, n)
                mapping_jobs[str(k)] = [a.name for a in actions]
                if actions:
                    groups.append((str(k), actions, sequential))
                    imported_at.setdefault(lv, []).append(k)
                    before = {j for L, js in imported_at.items() if L < lv for j in js}
                    extra = sorted(str(x) for x in before - close(k))
                    if extra:
                        ctx.skip(stage, "workflow: ordering made stricter", f"job '{k}' also waits for "
                                 f"{', '.join(extra)} (stages run one after another), which GitHub does not make "
                                 "it wait for", jobs, k)
            total = sum(len(acts) for _, acts, _ in groups)
            if not total:
                if stage.items:
                    p.items.extend(("comment", c) for kind, c in stage.items if kind == "comment")
                continue
            stage.header = f"stage {importer.unique(importer.name(groups[0][0], 'stage'), stage_names)}"
            names: list[str] = []
            if total == 1:
                a = groups[0][1][0]
                self.emit(stage, a)
                names.append(a.name)
            elif len(groups) == 1 and groups[0][2]:
                for a in groups[0][1]:
                    self.emit(stage, a)
                    names.append(a.name)
            else:
                par = stage.block("parallel")
                for key, acts, sequential in groups:
                    if sequential:
                        ctx.skip(par, "workflow: max-parallel", f"job '{key}' runs its matrix one at a time "
                                 "(max-parallel 1) beside other jobs; here its combinations run in parallel",
                                 jobs[key].get("strategy"), "max-parallel")
                    for a in acts:
                        self.emit(par, a)
                        names.append(a.name)
            p.items.append(("block", stage))
            stages_map.append(names)
        ctx.mapping["stages"] = stages_map
        ctx.mapping["placeholders"] = sorted(self.placeholders)
        converted = [n for names in stages_map for n in names if n not in self.placeholders]
        if not stages_map:
            # every job was left out (runs only after failures, never runs): the pipeline keeps one
            # action that fails with a message, so that what is written still checks and builds
            a = self.placeholder_action("jobs", "workflow: nothing to import", "no job of the workflow is "
                                        "imported (see the other findings); one placeholder action stands for "
                                        "them", data, "jobs")
            if isinstance(data.get("env"), dict) and data["env"]:
                ctx.skip(a.notes, "workflow: nothing to import", "the workflow's env (" + ", ".join(
                    str(k) for k in data["env"]) + ") is for its jobs, and no job is imported", data, "env")
            stage = p.block(f"stage {importer.unique('jobs', stage_names)}")
            self.emit(stage, a)
            stages_map.append([a.name])
            ctx.mapping["placeholders"] = sorted(self.placeholders)
        elif not converted and not any(ctx.mapping.get("triggers", {}).values()):
            ctx.skip(p, "workflow: nothing to import", "neither a trigger nor a step of the workflow could be "
                     "converted (see the other findings): the pipeline keeps its shape, with actions that fail "
                     "until they are written", data, "jobs")

    def emit(self, parent: Doc, a: _Action):
        d = parent.block(a.doc.header)
        d.items.extend(a.notes.items)
        for line in a.image:
            d.stmt(line)
        if a.timeout:
            d.stmt("timeout", a.timeout)
        if a.matrix:
            m = d.block("matrix")
            for line in a.matrix:
                m.stmt(line)
        for name, version in a.runtimes.items():
            d.stmt("runtime", name, v(version))
        for name, value in a.env.items():
            d.stmt("env", name, "=", v(value))
        for name, secret in a.secrets.items():
            d.stmt("secret", name, "from", "ssm", q(f"/{self.pipeline}/{secret}"))
        if a.inputs:
            d.stmt("from", *a.inputs)
        d.items.extend(it for it in a.phase.items if it[0] == "comment")
        ph = d.block("build")
        ph.items.extend(it for it in a.phase.items if it[0] != "comment")
        has_run = any(kind == "stmt" and text.startswith("run ") for kind, text in a.phase.items)
        for c in a.final:
            ph.stmt("finally" if has_run else "run", c)
        d.items.extend(a.artifact_docs)
        if a.cache:
            d.stmt("cache", *[v(c) for c in a.cache])
        if a.allow:
            aws = d.block("aws")
            for *actions, resource in dict.fromkeys(a.allow):
                aws.stmt("allow", *[q(x) for x in actions], "on", q(resource))
        if a.github or a.secrets:
            g = d.block("github")
            for line in a.github:
                g.stmt(line)
            for name, secret in a.secrets.items():
                g.stmt("secret", name, "from", "github", v(secret))

    # ------------------------------------------------------------------ one job
    def job(self, stage: Doc, key: str, job, jobs) -> tuple[list[_Action], bool]:
        ctx = self.ctx
        if "uses" in job:
            a = self.placeholder_action(key, "workflow: reusable workflow call", f"job '{key}' calls the reusable "
                                        f"workflow {_scalar(job.get('uses'))!r}; import that workflow on its own "
                                        "and put its actions here", jobs, key)
            return [a], False
        when = self.when(job, None, job_level=True)
        self.job_guard = None
        if when == "failure":
            ctx.skip(stage, "workflow: job runs after failures", f"job '{key}' runs only after a failure "
                     f"({_scalar(job.get('if'))!r}); pipec actions run when their stage does, so the job is not "
                     "imported", job, "if")
            return [], False
        if when is None:
            # Kept, with its work converted, behind a first command that fails: the condition is
            # GitHub's to decide during a run, and running the job in more cases than GitHub did
            # (a deployment on every pull request, say) must never happen silently.
            self.job_guard = (_scalar(job.get("if")) or "").strip()
            when = "normal"
        if when == "never":
            ctx.skip(stage, "workflow: job condition", f"job '{key}' never runs here (if: {_scalar(job.get('if'))!r})",
                     job, "if")
            return [], False
        self.job_when = when
        strategy = job.get("strategy")
        combos: list = [None]
        sequential = False
        self.matrix_unknown = False
        self.matrix_lines = self.faithful(job, strategy) if strategy is not None else None
        self.matrix_axes = [ln.split()[1] for ln in self.matrix_lines or () if ln.startswith("axis ")]
        if self.matrix_lines is not None:
            # one action with a matrix block (.matrices); its commands read the axes as variables
            if isinstance(strategy, dict) and strategy.get("max-parallel") is not None:
                # E317: CodeBuild's concurrent build limit fails the builds over it, so the pipeline
                # (both platforms) cannot say it; here every combination may run at once
                self.ctx.skip(stage, "workflow: max-parallel", f"job '{key}' runs at most "
                              f"{strategy['max-parallel']} combinations at once; a pipeline for both platforms "
                              "cannot say so (E317: CodeBuild fails the builds over a project's limit), so here "
                              "they may all run at once (write 'max_parallel' in a stage 'via github')",
                              strategy, "max-parallel")
        elif strategy is not None:
            combos = self.matrix(stage, key, job, strategy)
            if combos is None:
                # degrade, never drop (issue 25): the job once, behind a command that fails until a
                # person writes the combinations out (see the finding the matrix reader made)
                combos, self.matrix_unknown = [None], True
            if isinstance(strategy, dict):
                mp = strategy.get("max-parallel")
                sequential = mp == 1 and len(combos) > 1
                for k in strategy:
                    if k not in ("matrix", "fail-fast", "max-parallel"):
                        ctx.skip(stage, "workflow: strategy", f"strategy setting '{k}' of job '{key}' is unknown",
                                 strategy, k)
        actions = []
        for combo in combos:
            a = self.action(stage, key, job if combo is None else self.substitute(job, combo), combo, jobs)
            if a is not None:
                actions.append(a)
        return actions, sequential

    def action(self, stage: Doc, key: str, job, combo, jobs) -> _Action | None:
        ctx = self.ctx
        base = importer.name(key, "job")
        if combo:
            vals = [_scalar(x) for x in combo.values() if not isinstance(x, (dict, list))]
            base = importer.name("-".join([key] + [x for x in vals if x]), "job")
        kind = "test" if _TESTISH.search(key) else "build"
        a = _Action(importer.unique(base, self.taken), kind)
        notes = a.notes
        known = {"name", "needs", "runs-on", "environment", "outputs", "env", "defaults", "if", "steps",
                 "timeout-minutes", "strategy", "continue-on-error", "container", "services", "permissions",
                 "concurrency"}
        for k in job:
            if k not in known:
                ctx.skip(notes, "workflow: job setting", f"job setting '{k}' has no .pipe equivalent", job, k)
        self.combo = combo
        if self.job_when == "always":
            ctx.skip(notes, "workflow: job runs after failures", f"job '{key}' runs even when the jobs it needs "
                     f"failed (if: {_scalar(job.get('if'))!r}); here it runs only after they succeed", job, "if")
        display_name(notes, job)
        report_permissions(ctx, notes, job, "permissions", f"job '{key}'")
        report_environment_url(ctx, notes, job)
        self.runner(a, key, job)
        self.container(a, job)
        if self.matrix_lines is not None:
            a.matrix = list(self.matrix_lines)
        if "services" in job:
            ctx.skip(notes, "workflow: service containers", "service containers (databases and the like beside "
                     "the job) have no CodeBuild equivalent", job, "services")
        t = job.get("timeout-minutes", GITHUB_TIMEOUT)
        if isinstance(t, int) and not isinstance(t, bool):
            if t < 5 or t > 2160:
                ctx.skip(notes, "workflow: timeout out of range", f"timeout {t} minutes is outside CodeBuild's "
                         "5 to 2160 minutes; the nearest is used", job, "timeout-minutes")
            a.timeout = f"{min(max(t, 5), 2160)}m"
        else:
            ctx.skip(notes, "workflow: timeout", f"timeout-minutes {t!r} is not a whole number of minutes; "
                     "pipec's default (60m) applies", job, "timeout-minutes")
        env = self.job_env(notes, job)
        for name, (what, value) in env.items():
            if what == "env":
                a.env[name] = value
        for name, (what, value) in env.items():
            if what == "secret":
                self.add_secret(a, name, value)
        envname = job.get("environment")
        if envname is not None:
            ename = envname.get("name") if isinstance(envname, dict) else envname
            ename = _scalar(ename) if not isinstance(ename, (dict, list)) else None
            if ename and "${{" not in ename:
                a.github.append(f"environment {v(ename)}")
                ctx.task("reviewers", f"check the protection rules (reviewers, wait timer, branches) of the GitHub "
                                      f"environment {ename}")
                ctx.skip(notes, "workflow: environment protection", f"environment '{ename}': on CodePipeline the "
                         "action runs without the environment's protection rules; add an approve action before it "
                         "if they gate a deployment", job, "environment")
            else:
                ctx.skip(notes, "workflow: environment", "the job's environment is given by an expression", job,
                         "environment")
        for k, construct, what in (("outputs", "workflow: job outputs", "job outputs (read by later jobs through "
                                    "needs.*) have no .pipe equivalent"),
                                   ("continue-on-error", "workflow: continue-on-error", "a failure of this job "
                                    "does not fail the run on GitHub; here it stops the pipeline"),
                                   ("concurrency", "workflow: job concurrency", "job-level concurrency has no "
                                    ".pipe equivalent")):
            if k in job and not (k == "continue-on-error" and job[k] is False):
                ctx.skip(notes, construct, what, job, k)
        self.current_key = key
        self.steps(a, key, job, jobs)
        if a.commands and self.job_guard is not None:
            cond = " ".join(self.job_guard.split())
            ctx.skip(a.notes, "workflow: job condition", f"job '{key}' runs only if {cond!r}, which GitHub decides "
                     "during the run: its first command fails until you decide when this action should run "
                     "(a stage via one platform, a separate pipeline, or delete the line)", job, "if")
            self.guard(a, f"pipec import: on GitHub job {key} ran only if a condition held; decide when it runs "
                       "here (see the comment above), then delete this command")
            self.ctx.mapping.setdefault("guards", []).append(a.name)
        if a.commands and a.step_conditions and self.job_guard is None:
            nums = ", ".join(str(n) for n in a.step_conditions)
            self.guard(a, f"pipec import: on GitHub step(s) {nums} of job {key} ran only if a condition held; "
                       "decide when they run here (see the comments above), then delete this command")
            self.ctx.mapping.setdefault("guards", []).append(a.name)
        if a.commands and self.matrix_unknown:
            self.guard(a, f"pipec import: on GitHub job {key} ran once per combination of a matrix that is not "
                       "imported; write the combinations out (see the comment above), then delete this command")
            ctx.task("resource", f"{a.name}: write out the matrix combinations of job '{key}' (one action each) "
                     "and delete its first command")
        if not a.commands:
            # Keep the job's place, settings and findings, with one command that fails loudly: the
            # pipeline's shape converts, its work is left to a person (never a job that passes
            # without doing anything).
            ctx.skip(a.notes, "workflow: job with nothing to run", f"job '{key}' has no step that could be "
                     "converted; its one command fails until you replace it", jobs, key)
            a.phase.stmt("run", q(failing_command(f"job {key} of {Path(ctx.file).name} was not "
                                                           "converted; see the comments above")))
            a.placeholder = True
            self.placeholders.add(a.name)
        if a.no_checkout:
            ctx.skip(a.notes, "workflow: job without checkout", "the job does not check the repository out "
                     "on GitHub; here it starts in a copy of the source", job, "steps")
        return a

    @staticmethod
    def guard(a: _Action, message: str) -> None:
        """Put before the action's commands one that prints ``message`` to standard error and fails,
        until a person decides what the message asks. In the shell the commands run in: bash, or
        Windows PowerShell for an ``os windows`` build (where bash's ``>&2`` and ``&&`` do not
        parse, so the command failed without saying why)."""
        if a.image == ["os windows"]:
            from pipec.targets.escape import powershell_string

            command = f"[Console]::Error.WriteLine({powershell_string(message)}); exit 1"
        else:
            command = failing_command(message.removeprefix("pipec import: "))
        a.phase.items.insert(0, ("stmt", f"run {q(command)}"))

    def placeholder_action(self, key: str, construct: str, message: str, where, wkey) -> _Action:
        """A job that cannot be converted at all keeps its place as an action whose one command
        fails with a message until a person replaces it (never a job dropped, never one that passes)."""
        a = _Action(importer.unique(importer.name(key, "job"), self.taken), "build")
        self.ctx.skip(a.notes, construct, message, where, wkey)
        a.phase.stmt("run", q(failing_command(f"job {key} of {Path(self.ctx.file).name} was not "
                                                       "converted; see the comments above")))
        a.placeholder = True
        self.placeholders.add(a.name)
        return a

    def drop(self, a: _Action, stage: Doc | None = None):
        self.taken.discard(a.name.lower())
        if stage is not None:
            stage.items.extend(a.notes.items)
            stage.items.extend(it for it in a.phase.items if it[0] == "comment")
        return None

    def job_env(self, notes, job) -> dict:
        env = dict(self.wf_env)
        container = job.get("container")
        env.update(self.env_values(notes, job, "env"))
        if isinstance(container, dict) and "env" in container:
            env.update(self.env_values(notes, container, "env"))
        return env

    def runner(self, a: _Action, key, job):
        ctx = self.ctx
        ro = job.get("runs-on")
        self.os = "linux"
        if isinstance(ro, str):
            labels = [ro]
        elif isinstance(ro, list) and all(isinstance(x, str) for x in ro):
            labels = list(ro)
        else:
            labels = None
        if not labels or any("${{" in x for x in labels):
            self.os = "unknown"
            ctx.skip(a.notes, "workflow: runner expression", f"runs-on {ro!r} is not a list of labels; the "
                     "default runner is used", job, "runs-on" if "runs-on" in job else None)
            a.image.append("image ubuntu")
            return
        a.image.append("image ubuntu")
        lower = [x.lower() for x in labels]
        if lower == ["ubuntu-latest"]:
            return
        a.github.append("runs_on " + " ".join(v(x) for x in labels))
        system, arch = runner_platform(labels)
        if len(lower) == 1 and lower[0].startswith("ubuntu-") and arch in (None, "x86_64"):
            return
        if any(x.startswith("windows") for x in lower):
            self.os = "windows"
            if self.windows_build(job):  # PowerShell as written: an 'os windows' build (.commands)
                a.image = ["os windows"]
                if lower == ["windows-2022"]:  # the target's own runner for 'os windows'
                    a.github.remove("runs_on " + " ".join(v(x) for x in labels))
                self.ctx.skip(a.notes, "workflow: PowerShell version", f"runs-on {' '.join(labels)}: the "
                              "commands run in Windows PowerShell 5.1 on both platforms (CodeBuild's "
                              "powershell.exe; GitHub's shell: powershell), where GitHub's default on Windows "
                              "is PowerShell 7 (pwsh)", job, "runs-on")
                return
        elif any(x.startswith("macos") for x in lower):
            self.os = "macos"
        elif not any(x.startswith("ubuntu") for x in lower):
            self.os = "unknown"
        if system in ("windows", "macos") or arch not in (None, "x86_64"):
            # a Linux x86_64 build cannot keep a runner of another system or architecture (E316):
            # the job runs on GitHub's Ubuntu runner, as on CodeBuild's Ubuntu image
            a.github.remove("runs_on " + " ".join(v(x) for x in labels))
            ctx.skip(a.notes, "workflow: non-Ubuntu runner", f"runs-on {' '.join(labels)}: the job becomes a "
                     "Linux x86_64 build, which runs on Ubuntu on both platforms (GitHub's ubuntu-24.04 runner, "
                     "CodeBuild's standard image); a build cannot keep a runner of another system or "
                     "architecture (E316)", job, "runs-on")
            return
        ctx.skip(a.notes, "workflow: non-Ubuntu runner", f"runs-on {' '.join(labels)}: the GitHub job keeps its "
                 "runner, but CodeBuild runs the commands on its Ubuntu image", job, "runs-on")

    def windows_build(self, job) -> bool:
        """Whether a Windows job can be an ``os windows`` build whose PowerShell steps are its
        commands as written: only checkout, artifact steps (one input: the checkout or one download), setup
        actions of a runtime CodeBuild's Windows image has (:meth:`windows_setup`) and ``run``
        steps in PowerShell (the default, ``pwsh`` or ``powershell``) without their own working
        directory or an expression; no container or services. A step's condition decided at
        import and its own env of plain values are allowed (:meth:`windows_step_ok`). Anything else
        keeps the job on pipec's default image with a finding per PowerShell step."""
        steps = job.get("steps")
        if not isinstance(steps, list) or "container" in job or "services" in job:
            return False
        shell_default = (self.defaults(job).get("shell") or self.defaults(self.data).get("shell"))
        downloads = 0
        runs = 0
        for st in steps:
            if not self.windows_step_ok(st):
                return False
            if self.when(st, None) == "never":  # decided false at import: left out (Steps.steps), not a command
                continue
            uses = str(st.get("uses", "")).split("@")[0].strip().lower()
            if "uses" in st:
                if uses == "actions/download-artifact":
                    downloads += 1
                elif uses not in ("actions/checkout", "actions/upload-artifact") and not self.windows_setup(st):
                    return False
                continue
            body = st.get("run")
            if not isinstance(body, str) or "${{" in body or '"""' in body or _CONTROL_CHARS.search(body):
                return False
            if st.get("shell", shell_default) not in (None, "pwsh", "powershell"):
                return False
            runs += 1
        checkouts = sum(1 for st in steps if str(st.get("uses", "")).split("@")[0].strip().lower() == "actions/checkout")
        # a Windows build reads one input artifact (E316): the repository or one download, not both
        return runs > 0 and downloads + min(checkouts, 1) <= 1

    @staticmethod
    def windows_setup(st) -> bool:
        """Whether ``st`` is a setup action (setup-node, setup-python...) whose literal version is
        one an ``os windows`` build may take (semantic_tables.WINDOWS_RUNTIMES, E316): the version
        CodeBuild's Windows image selects in runtime-versions and the action installs on GitHub.
        Not a version the image lacks (``node-version: 20``: it has 20.18), a range, an expression
        or no version (the runner's own, which the two platforms' Windows images do not share)."""
        from pipec.semantic_tables import WINDOWS_RUNTIMES
        from pipec.targets.github.imports.actions import setup_version
        from pipec.targets.github.read import SETUP_ACTIONS

        spec = SETUP_ACTIONS.get(str(st.get("uses", "")).split("@")[0].strip().lower())
        with_ = st.get("with")
        if spec is None or not isinstance(with_, dict):
            return False
        runtime, key = spec
        version = with_.get(key)
        text = setup_version(runtime, _scalar(version) if not isinstance(version, (dict, list)) else None)
        return text in WINDOWS_RUNTIMES.get(runtime, ())

    def windows_step_ok(self, st) -> bool:
        """Whether a step's settings can be kept by an ``os windows`` build. Besides its name, id,
        action and inputs, script and shell: a ``run`` step's own ``env`` of plain values
        (:func:`.shells.windows_step_env`, set around its script by :func:`.shells.powershell_env`); a
        condition that is decided at import, true (``success()``,
        ``runner.os == 'Windows'``: the step runs as if it had none) or false (it never runs on this
        runner: left out, as on Linux); ``continue-on-error: false`` (the default written out); and
        its own ``timeout-minutes`` (a finding says that only the action's timeout applies, as on
        Linux). Not a condition GitHub decides during the run, nor ``always()`` or ``failure()``:
        the guard command and the finally commands that carry them on Linux are bash, and a
        Windows build has no finally (E316)."""
        if not isinstance(st, dict) or set(st) - {"name", "id", "uses", "with", "run", "shell", "if",
                                                  "continue-on-error", "timeout-minutes", "env"}:
            return False
        if shells.continue_on_error(st) is not False:
            return False
        if "env" in st and (shells.windows_step_env(st) is None or "uses" in st
                            or not shells.powershell_wrappable(_scalar(st.get("run")) or "")):
            return False
        if "if" in st:
            # self.os is 'windows' here (runner), so runner.os is known; a matrix that is not
            # imported leaves matrix.* undecided, as in Steps.steps
            if getattr(self, "matrix_unknown", False) and "matrix." in str(st.get("if")):
                return False
            return self.when(st, None) in ("normal", "never")
        return True

    def container(self, a: _Action, job):
        ctx = self.ctx
        c = job.get("container")
        if c is None:
            return
        image = c.get("image") if isinstance(c, dict) else c
        if not isinstance(image, str) or not image or "${{" in image:
            ctx.skip(a.notes, "workflow: container", "the job's container image is not a plain image name; the "
                     "commands run on the runner's image instead", job, "container")
            return
        a.image = [f"image docker {q(image)}"]
        if isinstance(c, dict):
            for k in c:
                if k not in ("image", "env"):
                    ctx.skip(a.notes, "workflow: container option", f"container setting '{k}' has no .pipe "
                             "equivalent", c, k)
