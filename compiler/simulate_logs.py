"""What each platform would show for a simulated run (:mod:`pipec.simulate_run`): the console
(CodePipeline stages and actions; GitHub jobs), the CodeBuild log of a failed build, the GitHub
step log, and CodeDeploy's lifecycle events and error information. Every line carries the
``.pipe`` line it comes from (``line``, None when it has none) and every block is labelled as
simulated: no AWS or GitHub call is made.

The formats, and where they come from:

- CodeBuild log lines (``[Container] DATE TIME Entering phase INSTALL``, ``Running command X``,
  ``Command did not exit successfully X exit status 1``, ``Phase complete: BUILD State: FAILED``,
  ``Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command:
  X. Reason: exit status 1``) follow published CodeBuild logs: aws/aws-codebuild-docker-images
  issue 102 (https://github.com/aws/aws-codebuild-docker-images/issues/102) and aws/copilot-cli
  issue 3553 (https://github.com/aws/copilot-cli/issues/3553); the ``State:`` form of "Phase
  complete" is today's (https://openillumi.com/?p=116190 quotes ``Phase complete: BUILD State:
  SUCCEEDED``). Phase names and statuses are the API's BuildPhase values
  (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BuildPhase.html). The clock
  is simulated: one second per line from 2026/01/01 00:00:00.
- post_build runs after a failed build with CODEBUILD_BUILD_SUCCEEDING=0, and UPLOAD_ARTIFACTS
  "is always attempted, even if the BUILD phase fails"
  (https://docs.aws.amazon.com/codebuild/latest/userguide/view-build-details-phases.html);
  CodeBuild does not print the variable: the log shows it as a pipec note.
- CodeDeploy lifecycle events and their order per compute platform: the AppSpec 'hooks' section
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html);
  event statuses Succeeded, Failed, Skipped
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_LifecycleEvent.html); the
  script error code ScriptFailed (the Diagnostics type's LifecycleErrorCode,
  https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_Diagnostics.html); the
  deployment error codes HEALTH_CONSTRAINTS ("The deployment failed on too many instances ...")
  and the ErrorCode values ALARM_ACTIVE and HOOK_EXECUTION_FAILURE
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html); the
  HEALTH_CONSTRAINTS message as ``get-deployment`` prints it (alantech/iasql issue 1807,
  https://github.com/alantech/iasql/issues/1807); the rollback events DEPLOYMENT_FAILURE and
  DEPLOYMENT_STOP_ON_ALARM (AWS::CodeDeploy::DeploymentGroup AutoRollbackConfiguration).
- GitHub: job conclusions success, failure, skipped; a step's log as the runner prints it, from
  the step the generated workflow holds (:mod:`pipec.github_log` has the formats and their
  sources).
- What pipec itself adds to the files (a buildspec's copy of appspec.yml, the workflow's steps) is
  read from the files ``pipec build`` writes, generated in memory (:meth:`Source.generated`).
"""

from __future__ import annotations

import re

from pipec import github_log, model
from pipec.resource_names import transition_reason
from pipec.simulate_run import PLATFORM_NAMES, Run, job_results
from pipec.templates import pipeline_line
from pipec.timeline import traffic_at

CLOCK = "2026/01/01 00:00:{:02d}"
PHASE_TYPES = {"install": "INSTALL", "pre_build": "PRE_BUILD", "build": "BUILD", "post_build": "POST_BUILD"}
HEALTH_CONSTRAINTS_MESSAGE = ("The overall deployment failed because too many individual instances failed deployment, "
                              "too few healthy instances are available for deployment, or some instances in your "
                              "deployment group are experiencing problems.")

#: lifecycle events in run order (AppSpec 'hooks' section, "Run order of hooks"); the events
#: CodeDeploy runs itself (no hook may run there) are marked with a leading '*'
LIFECYCLE = {
    "ec2": ("ApplicationStop", "*DownloadBundle", "BeforeInstall", "*Install", "AfterInstall", "ApplicationStart",
            "ValidateService"),
    "ec2-lb": ("BeforeBlockTraffic", "*BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "*DownloadBundle",
               "BeforeInstall", "*Install", "AfterInstall", "ApplicationStart", "ValidateService",
               "BeforeAllowTraffic", "*AllowTraffic", "AfterAllowTraffic"),
    "ec2-bg": ("ApplicationStop", "*DownloadBundle", "BeforeInstall", "*Install", "AfterInstall", "ApplicationStart",
               "ValidateService", "BeforeAllowTraffic", "*AllowTraffic", "AfterAllowTraffic",
               "BeforeBlockTraffic", "*BlockTraffic", "AfterBlockTraffic"),
    "ecs": ("BeforeInstall", "*Install", "AfterInstall", "*AllowTestTraffic", "AfterAllowTestTraffic",
            "BeforeAllowTraffic", "*AllowTraffic", "AfterAllowTraffic"),
    "lambda": ("BeforeAllowTraffic", "*AllowTraffic", "AfterAllowTraffic"),
}


def L(text: str, line: int | None = None, **extra) -> dict:
    """One output line and the ``.pipe`` line it comes from."""
    return {"text": text, "line": line, **extra}


def _line(node) -> int | None:
    return pipeline_line(getattr(node, "span", None))  # a template's node: the line of its use


class Source:
    """Where things are in the ``.pipe`` file: actions, stages, commands and hooks by name."""

    def __init__(self, pipeline: model.Pipeline, text: str):
        self.p = pipeline
        self.lines = text.splitlines()
        self.actions = {a.name: a for a in pipeline.actions()}
        self.stage_of = {a.name: st for st in pipeline.stages for a in st.actions}
        self._generated: dict[str, dict[str, str]] = {}

    def generated(self, target: str) -> dict[str, str]:
        """The files ``pipec build`` writes for ``target`` (in memory, once): what the simulated
        logs show of pipec's own steps and commands comes from them, not from a copy of their
        shape. {} when the target refuses the pipeline (its errors are 'pipec build''s to report)."""
        if target not in self._generated:
            from pipec.build import BuildError, EmitContext, generate_by_target
            from pipec.diagnostics import Diagnostics

            try:
                made = generate_by_target(self.p, EmitContext(source="pipeline.pipe", prefix=""), [target])
                self._generated[target] = made.get(target, {})
            except (Diagnostics, BuildError):
                self._generated[target] = {}
        return self._generated[target]

    def buildspec_phase(self, job: str, phase: str) -> dict:
        """Phase ``phase`` of the generated buildspec of build ``job`` ({} when there is none)."""
        import yaml

        text = self.generated("aws").get(f"aws/{self.p.name}/buildspec/{job}.yml")
        data = yaml.safe_load(text) if text else None
        return ((data or {}).get("phases") or {}).get(phase) or {}

    def buildspec_extras(self, job: str, phase: str) -> list[str]:
        """The commands the generated buildspec runs in ``phase`` after the ``.pipe`` file's (the
        AWS target's copy of appspec.yml into an EC2 revision, in post_build)."""
        b = self.actions[job]
        ph = next((p for p in b.phases if p.name == phase), None)
        own = ([model.codeartifact_login(x) for x in b.codeartifact] if phase == "install" else []) + (
            [c.text for c in ph.commands] if ph else [])
        written = list(self.buildspec_phase(job, phase).get("commands") or [])
        return written[len(own):] if written[:len(own)] == own else []

    def github_job(self, job: str) -> dict | None:
        """Job ``job`` of the generated workflows (None: not there)."""
        import yaml

        for path, text in sorted(self.generated("github").items()):
            if path.startswith(".github/workflows/"):
                found = ((yaml.safe_load(text) or {}).get("jobs") or {}).get(job)
                if found is not None:
                    return found
        return None

    def github_step(self, job: str, step_id: str) -> dict | None:
        """The step ``step_id`` of job ``job`` in the generated workflows (None: not there)."""
        for step in (self.github_job(job) or {}).get("steps") or ():
            if step.get("id") == step_id:
                return step
        return None

    def action_line(self, name: str) -> int | None:
        return _line(self.actions.get(name))

    def command(self, job: str, phase: str, index: int, finally_: bool) -> tuple[str, int | None]:
        """The text and line of the plan command ``index`` of ``phase`` (CodeArtifact logins come
        first in install: they point at the build's ``codeartifact`` line, or the build's)."""
        b = self.actions[job]
        ph = next((p for p in b.phases if p.name == phase), None)
        logins = () if finally_ or phase != "install" else tuple(model.codeartifact_login(x) for x in b.codeartifact)
        if index < len(logins):
            return logins[index], self.find(b, "codeartifact") or _line(b)
        cmd = (ph.finally_commands if finally_ else ph.commands)[index - len(logins)]
        return cmd.text, _line(cmd) or _line(b)

    def find(self, node, *words: str) -> int | None:
        """The first line inside ``node``'s span whose words start with ``words``."""
        span = getattr(node, "span", None)
        if span is None or span.origin:  # written in a template: its lines are in another file
            return None
        for n in range(span.line, span.end_line + 1):
            if self.lines[n - 1].split()[:len(words)] == list(words):
                return n
        return None

    def hook_line(self, deploy: model.Deploy, event: str, target: str | None = None) -> int | None:
        """The line of ``deploy``'s hook for ``event`` (the one running ``target``, on EC2 where an
        event may have several scripts)."""
        span = deploy.span
        if span is not None and not span.origin and target is not None:
            for n in range(span.line, span.end_line + 1):
                words = self.lines[n - 1].split()
                if words[:2] == ["hook", event] and target in self.lines[n - 1]:
                    return n
        return self.find(deploy, "hook", event) or _line(deploy)


# ----------------------------------------------------------------------------- consoles


def console(r: Run, src: Source) -> list[dict]:
    return _codepipeline(r, src) if r.platform == "aws" else _github(r, src)


def _execution_status(results: dict) -> str:
    if any(v == "failed" for v in results.values()):
        return "Failed"
    if any(v == "held" for v in results.values()):
        return "stopped at a disabled transition"
    return "Succeeded"


def _codepipeline(r: Run, src: Source) -> list[dict]:
    results = job_results(r)
    ids = {j.id for j in r.plan.jobs}
    out = [L(f"CodePipeline console (simulated): pipeline {r.plan.pipeline}, execution "
             f"{_execution_status(results)}")]
    out.append(L("  Source                      Succeeded"))
    for s in src.p.sources:
        out.append(L(f"    {s.name:<26}Succeeded", _line(s)))
    status_word = {"succeeded": "Succeeded", "failed": "Failed", "skipped": "(did not run)",
                   "held": "(did not run)", "not-run": "(did not run)"}
    for st in src.p.stages:
        acts = [a for a in st.actions if a.name in ids]
        if not acts:
            continue
        mine = [results[a.name] for a in acts]
        if any(v == "held" for v in mine):
            reason = transition_reason(st.disabled_reason) or st.disabled_reason  # as the console shows it
            # the 'transition disabled' statement's line, where why points too
            out.append(L(f"  -- transition into {st.name} disabled: {reason}", src.find(st, "transition") or _line(st)))
        stage = ("Failed" if "failed" in mine else "Succeeded" if all(v == "succeeded" for v in mine)
                 else "InProgress" if "succeeded" in mine and any(v == "not-run" for v in mine) else "(not reached)")
        out.append(L(f"  {st.name:<28}{stage}", _line(st)))
        for a in acts:
            out.append(L(f"    {a.name:<26}{status_word[results[a.name]]}", _line(a)))
    return out


def _github(r: Run, src: Source) -> list[dict]:
    results = job_results(r)
    conclusion = {"succeeded": "success", "failed": "failure", "skipped": "skipped", "held": "skipped",
                  "not-run": "skipped"}
    overall = "failure" if "failed" in results.values() else "success"
    name = src.p.github.first("workflow") or src.p.name
    out = [L(f"GitHub Actions run (simulated): workflow {name}, conclusion {overall}")]
    for st in src.p.stages:
        for a in st.actions:
            if a.name not in results:
                continue
            word = conclusion[results[a.name]]
            if word == "failure" and isinstance(a, model.Build) and _timed_out(r, a.name):
                word = "cancelled"  # "the maximum number of minutes to let a job run before GitHub automatically cancels it"
            mark = {"success": "✓", "failure": "X", "skipped": "-", "cancelled": "X"}[word]
            note = ""
            if results[a.name] == "held":
                note = f"  (transition into {st.name} disabled: the job's condition is false, W510)"
            out.append(L(f"  {mark} {a.name:<28}{word}{note}", _line(a)))
    return out


def _timed_out(r: Run, job: str) -> bool:
    return any(line.startswith(f"{job} ") and line.endswith(" timed out") for line in r.trace)


# ----------------------------------------------------------------------------- logs


def logs(r: Run, src: Source) -> list[dict]:
    """A log block per job that failed: ``{"action", "kind", "title", "lines"}``."""
    results = job_results(r)
    out = []
    for f_action in dict.fromkeys(f.action for f in r.failures):
        if results.get(f_action) != "failed":
            continue
        act = src.actions[f_action]
        fails = [f for f in r.failures if f.action == f_action]
        if isinstance(act, model.Build):
            if r.platform == "aws":
                out.append(_block(f_action, "codebuild", f"CodeBuild build log of {f_action} (simulated)",
                                  codebuild_log(r, src, f_action)))
            else:
                one_step = src.github_step(f_action, github_log.PHASES_STEP_ID) is not None
                out.append(_block(f_action, "github-step",
                                  f"GitHub job {f_action}, " + ("step phases" if one_step else "its command steps")
                                  + " (simulated)", github_build_log(r, src, f_action)))
        elif isinstance(act, model.Deploy) and act.uses_codedeploy:
            out.append(_block(f_action, "codedeploy", f"CodeDeploy deployment of {f_action} (simulated)",
                              codedeploy_events(act, fails[0], src, r)))
        else:
            out.append(_block(f_action, "action", f"{f_action} (simulated)", action_failure(act, fails[0], src, r)))
    return out


def _block(action, kind, title, lines) -> dict:
    return {"action": action, "kind": kind, "title": title, "lines": lines}


def _build_steps(r: Run, job: str):
    """(phase, kind, index) in the order the trace ran them: kind 'command', 'finally' or
    'succeeding' (index then holds the value)."""
    prefix = f"{job} "
    for line in r.trace:
        if not line.startswith(prefix):
            continue
        words = line[len(prefix):].split()
        if len(words) == 2 and words[1].startswith("#"):
            yield words[0], "command", int(words[1][1:])
        elif len(words) == 3 and words[1] == "finally":
            yield words[0], "finally", int(words[2][1:])
        elif len(words) == 2 and words[1].startswith("succeeding="):
            yield words[0], "succeeding", int(words[1].split("=")[1])
        elif words[0] == "upload":
            yield "", "upload", words[1]
        elif words[1:] == ["timed", "out"]:
            yield words[0], "timeout", None


def codebuild_log(r: Run, src: Source, job: str) -> list[dict]:
    failing = {f.point for f in r.failures}
    clock = iter(range(60 * 60))
    b = src.actions[job]
    bl = _line(b)

    def c(text, line=bl, **extra):
        return L(f"[Container] {CLOCK.format(next(clock) % 60)} {text}", line, **extra)

    out: list[dict] = []
    current = None
    phase_failed: dict[str, tuple] = {}

    def own_commands(phase):
        """The commands the generated buildspec adds to ``phase`` after the user's (they run only
        when none of the user's failed: the first failure ends the phase)."""
        if phase_failed.get(phase):
            return
        for text in src.buildspec_extras(job, phase):
            deploy = re.search(r"/appspec/(?P<name>[A-Za-z0-9_-]+)\.yml", text)
            line = src.action_line(deploy["name"]) if deploy and deploy["name"] in src.actions else bl
            out.append(L(f"# pipec: a command pipec adds to the buildspec"
                         f"{' (the appspec.yml of ' + deploy['name'] + ' into its revision)' if deploy else ''}", line))
            out.append(c(f"Running command {text}", line))

    def close(phase):
        if phase is None:
            return
        own_commands(phase)
        failed = phase_failed.get(phase)
        out.append(c(f"Phase complete: {PHASE_TYPES[phase]} State: {'FAILED' if failed else 'SUCCEEDED'}"))
        if failed:
            text, line = failed
            out.append(c(f"Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
                         f"command: {text}. Reason: exit status 1", line, failed=True))
        else:
            out.append(c("Phase context status code:  Message: "))

    uploads = []
    steps = list(_build_steps(r, job))
    ran = {p for p, kind, _ in steps if kind != "upload"}
    succeeding = int(not any(f.action == job for f in r.failures))
    for phase, kind, index in steps:
        if kind == "upload":
            uploads.append(index)
            continue
        if phase != current:
            close(current)
            current = phase
            out.append(c(f"Entering phase {PHASE_TYPES[phase]}"))
        if kind == "succeeding":
            out.append(L(f"# pipec: CODEBUILD_BUILD_SUCCEEDING={index} in {phase}", bl))
            succeeding = index
            continue
        if kind == "timeout":
            tl = src.find(b, "timeout") or bl
            out.append(L(f"# pipec: the build's timeout ({b.timeout_minutes} minutes) runs out here", tl))
            out.append(c(f"Phase complete: {PHASE_TYPES[phase]} State: TIMED_OUT", tl, failed=True))
            out.append(L("# pipec: CodeBuild stops the build (status TIMED_OUT); the simulation runs nothing more "
                         "of it", tl))
            return out
        text, line = src.command(job, phase, index, kind == "finally")
        out.append(c(f"Running command {text}", line))
        if (kind, job, phase, index) in failing:
            out.append(c(f"Command did not exit successfully {text} exit status 1", line, failed=True))
            phase_failed.setdefault(phase, (text, line))
    close(current)
    if uploads and "post_build" not in ran and src.buildspec_extras(job, "post_build"):
        # a post_build phase only the generated buildspec has: CodeBuild runs it once BUILD was reached
        out.append(c("Entering phase POST_BUILD"))
        out.append(L(f"# pipec: CODEBUILD_BUILD_SUCCEEDING={succeeding} in post_build", bl))
        current = "post_build"
        close(current)
    if uploads or any(p == "build" for p, _, _ in steps):
        out.append(c("Entering phase UPLOAD_ARTIFACTS"))
        for name in uploads:
            art = next((o for o in b.outputs if o.name == name), None)
            out.append(L(f"# pipec: artifact {name} uploaded", _line(art) or bl))
        out.append(c("Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED"))
    return out


def github_build_log(r: Run, src: Source, job: str) -> list[dict]:
    """The log of the build job's phases step as the runner prints it: the step header (``Run``
    and the script's first line; the runner repeats the whole script, which the simulation only
    counts), a group per phase that ran, ``##[error]`` :data:`pipec.github_log.PHASE_FAILED` for a
    phase that failed, and the step's exit status. The commands are not echoed (the step runs
    without ``set -x``): the simulation notes each one where its output would be."""
    failing = {f.point for f in r.failures}
    bl = src.action_line(job)
    step = src.github_step(job, github_log.PHASES_STEP_ID)
    if step is None and src.github_job(job) is not None:
        return _github_command_steps_log(r, src, job)
    out: list[dict] = [L(text, bl) for text in github_log.step_header(step)]
    current = None
    failed_in: dict[str, int | None] = {}

    def close(phase):
        if phase is None:
            return
        out.append(L("##[endgroup]", bl))
        if phase in failed_in:
            out.append(L("##[error]" + github_log.PHASE_FAILED.format(phase=phase, status=1), failed_in[phase],
                         failed=True))

    for phase, kind, index in _build_steps(r, job):
        if kind == "upload":
            continue
        if phase != current:
            close(current)
            current = phase
            out.append(L(f"##[group]{phase}", bl))
        if kind == "succeeding":
            out.append(L(f"# pipec: CODEBUILD_BUILD_SUCCEEDING={index} in {phase}", bl))
            continue
        if kind == "timeout":
            b = src.actions[job]
            minutes = (src.github_job(job) or {}).get("timeout-minutes", b.timeout_minutes)
            out.append(L(github_log.JOB_TIMED_OUT.format(minutes=minutes), src.find(b, "timeout") or bl,
                         failed=True))
            return out
        text, line = src.command(job, phase, index, kind == "finally")
        if (kind, job, phase, index) in failing:
            out.append(L(f"# pipec: {text} exits with status 1", line, failed=True))
            failed_in.setdefault(phase, line)
        else:
            out.append(L(f"# pipec: {text} runs here (GitHub prints its output, not the command)", line))
    close(current)
    failed = next((f for f in r.failures if f.action == job), None)
    line = src.command(job, failed.point[2], failed.point[3], failed.point[0] == "finally")[1] if failed else bl
    out.append(L(github_log.PROCESS_FAILED.format(status=1), line, failed=True))
    return out


def _github_command_steps_log(r: Run, src: Source, job: str) -> list[dict]:
    """The log of a build job whose commands are one step each (targets/github/phases.py): per
    command that ran, its step's header (``Run`` and the command, its shell, its env) and where
    its output would be; the failing step ends with the runner's ``Process completed with exit
    code``. GitHub skips the steps after it, except the post_build steps, which run when the
    build phase ran (the trace lists what ran)."""
    failing = {f.point for f in r.failures}
    bl = src.action_line(job)
    out: list[dict] = []
    counts: dict[str, int] = {}
    for phase, kind, index in _build_steps(r, job):
        if kind in ("upload", "succeeding"):
            continue
        if kind == "timeout":
            b = src.actions[job]
            minutes = (src.github_job(job) or {}).get("timeout-minutes", b.timeout_minutes)
            out.append(L(github_log.JOB_TIMED_OUT.format(minutes=minutes), src.find(b, "timeout") or bl,
                         failed=True))
            return out
        counts[phase] = counts.get(phase, 0) + 1
        step_id = phase if counts[phase] == 1 else f"{phase}-{counts[phase]}"
        step = src.github_step(job, step_id)
        text, line = src.command(job, phase, index, kind == "finally")
        out += [L(h, line) for h in github_log.step_header(step)]
        if (kind, job, phase, index) in failing:
            out.append(L(f"# pipec: {text} exits with status 1", line, failed=True))
            out.append(L(github_log.PROCESS_FAILED.format(status=1), line, failed=True))
        else:
            out.append(L(f"# pipec: {text} runs here (GitHub prints its output, not the command)", line))
    return out


def lifecycle_of(d: model.Deploy) -> tuple[str, ...]:
    if d.platform == "ec2":
        if d.strategy.kind == "blue-green":
            return LIFECYCLE["ec2-bg"]
        return LIFECYCLE["ec2-lb"] if d.target.target_group else LIFECYCLE["ec2"]
    return LIFECYCLE[d.platform]


def _in_termination_wait(d: model.Deploy, minute) -> int:
    """The termination wait (minutes) when an alarm at ``minute`` comes after the traffic has moved
    but before the original fleet or task set is terminated (0 otherwise): the deployment is still
    in progress then (:func:`pipec.timeline.deployment_end`)."""
    from pipec.timeline import deployment_end, termination_wait

    wait = termination_wait(d.strategy, d.platform)
    end = deployment_end(d.strategy, d.platform)
    return wait if wait and minute is not None and end - wait < minute <= end else 0


def _before_traffic(d: model.Deploy, minute) -> bool:
    """Whether an alarm at ``minute`` comes while the replacement task set or fleet of a
    traffic-shifting deployment is still starting (:func:`pipec.timeline.replacement_ready`)."""
    from pipec.timeline import replacement_ready

    return minute is not None and minute < replacement_ready(d.strategy, d.platform)


def codedeploy_events(d: model.Deploy, failure, src: Source, r: Run) -> list[dict]:
    from pipec.targets import appspec_event_names

    EVENTS = appspec_event_names()

    dl = _line(d)
    hooks: dict = {}
    for h in d.hooks:  # an EC2 event may run several scripts: the first one fails
        hooks.setdefault(EVENTS[h.event], h)
    failing_event = EVENTS.get(failure.hook) if failure.hook else None
    if failure.point[0] == "deploy" and not failure.hook:
        failing_event = "*Install"  # EC2: the instances fail to install the revision
    out = [L(f"Deployment group of {d.name}: compute platform {d.platform}, "
             f"configuration {d.strategy.codedeploy_config(d.platform) or _custom(d)}", dl)]
    stopped = False
    alarm = failure.point[0] == "alarm"
    names = [e.lstrip("*") for e in lifecycle_of(d)]
    alarm_event = "AllowTraffic" if "AllowTraffic" in names else names[-1]
    waiting = alarm and _in_termination_wait(d, failure.minute)
    if waiting:  # the traffic has moved and every event passed; the original fleet still runs
        alarm_event = None
    starting = alarm and _before_traffic(d, failure.minute) and "Install" in names
    if starting:  # the replacement is still starting: CodeDeploy stops the event in progress
        alarm_event = "Install"
    for event in lifecycle_of(d):
        name = event.lstrip("*")
        hook = hooks.get(name)
        line = src.hook_line(d, hook.event, hook.target) if hook else dl
        if stopped:
            out.append(L(f"  {name:<24}Skipped", line))
            continue
        if alarm and name == alarm_event:
            pct = traffic_at(d.strategy, d.platform, failure.minute)
            what = (f"the replacement {'task set' if d.platform == 'ecs' else 'fleet'} is starting, no traffic on "
                    "it yet" if starting else f"{pct}% of traffic on the new version")
            out.append(L(f"  {name:<24}Failed   alarm {d.rollback.alarms[0]} in ALARM at minute "
                         f"{failure.minute}: {what}", src.find(d, "rollback") or dl, failed=True))
            stopped = True
            continue
        if event == failing_event or name == failing_event:
            if d.platform == "ec2" and hook:
                user = hook.run_as or "root"
                out.append(L(f"  {name:<24}Failed   ScriptFailed: Script at specified location: {hook.target} "
                             f"run as user {user} failed with exit code 1", line, failed=True))
            elif hook:
                out.append(L(f"  {name:<24}Failed   hook function {hook.target} reported Failed "
                             "(PutLifecycleEventHookExecutionStatus)", line, failed=True))
            elif d.platform == "ecs":  # --fail ACTION.health
                groups = " or ".join(d.target.target_groups[1:] or d.target.target_groups) or "its target group"
                out.append(L(f"  {name:<24}Failed   the replacement task set's tasks do not pass the health checks "
                             f"of target group {groups}", dl, failed=True))
            else:
                out.append(L(f"  {name:<24}Failed   the revision does not install on the instances", dl, failed=True))
            stopped = True
            continue
        what = f"hook {hook.target}" if hook else ""
        out.append(L(f"  {name:<24}Succeeded{('   ' + what) if what else ''}", line))
    if waiting:
        original = "task set is" if d.platform == "ecs" else "instances are"
        out.append(L(f"  alarm {d.rollback.alarms[0]} in ALARM at minute {failure.minute}, during the "
                     f"{waiting}-minute wait before the original {original} terminated: 100% of traffic on "
                     "the new version", src.find(d, "rollback") or dl, failed=True))
    if alarm:
        # CodeDeploy's own wording (as get-deployment prints it in published outputs)
        code, message = "ALARM_ACTIVE", ("One or more alarms have been activated according to the Amazon "
                                         "CloudWatch metrics you selected, and the affected deployments have been "
                                         f"stopped. Activated alarms: <{d.rollback.alarms[0]}>")
        event = "DEPLOYMENT_STOP_ON_ALARM"
    elif d.platform == "ec2":
        code, message, event = "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE, "DEPLOYMENT_FAILURE"
    elif failure.cause == "health":
        code, message, event = None, "the replacement task set did not become healthy", "DEPLOYMENT_FAILURE"
    else:
        # CodeDeploy's wording (CodeDeploy User Guide, "Troubleshoot ECS deployment issues")
        code, message = "HOOK_EXECUTION_FAILURE", ("The deployment failed because one or more of the lifecycle "
                                                   "event validation functions failed.")
        event = "DEPLOYMENT_FAILURE"
    rollback_line = src.find(d, "rollback") or dl
    if code is None:  # the code and message depend on how the tasks fail: not simulated
        out.append(L(f"errorInformation: {message} (simulated: the code and message depend on how the tasks fail; "
                     "the service's events list the failed health checks)", dl, failed=True))
    else:
        out.append(L(f"errorInformation: code {code}: {message}", dl, failed=True, code=code))
    rolled = any(line == f"{d.name} rollback" for line in r.trace)
    if rolled:
        original = {"ec2": "instances", "ecs": "task set", "lambda": "version"}[d.platform]
        how = ("CodeDeploy redeploys the last successful revision" if d.platform == "ec2" and
               d.strategy.kind != "blue-green" else
               f"all traffic stayed on the original {original}; the replacement is removed"
               if alarm and _before_traffic(d, failure.minute) else f"traffic goes back to the original {original}")
        out.append(L(f"rollbackInfo: automatic rollback ({event}): {how}", rollback_line))
    else:
        out.append(L(f"rollbackInfo: none ({event} is not a rollback event of this deployment group)",
                     rollback_line))
    return out


def _custom(d: model.Deploy) -> str:
    """A deployment configuration pipec writes itself, with what it says (a minimum of healthy
    hosts, a canary's or linear shift's steps)."""
    from pipec.timeline import strategy_text

    return f"custom ({strategy_text(d.strategy, d.platform)})"


def action_failure(act, failure, src: Source, r: Run) -> list[dict]:
    line = _line(act)
    if isinstance(act, model.Approval):
        if failure.point[0] == "timeout":
            tl = src.find(act, "timeout") or line
            if r.platform == "aws":
                m = act.timeout_minutes
                span = f"{m // 1440} days" if m % 1440 == 0 else f"{m // 60} hours" if m % 60 == 0 else f"{m} minutes"
                return [L(f"Manual approval {act.name}: Failed: no response within its timeout ({span}); the "
                          "execution fails", tl, failed=True)]
            return [L(f"Environment review for job {act.name}: nobody reviewed it in time; the job does not run", tl,
                      failed=True)]
        if r.platform == "aws":
            return [L(f"Manual approval {act.name}: Rejected (the action fails, and the execution with it)", line,
                      failed=True)]
        return [L(f"Environment review for job {act.name}: rejected; the job does not run", line, failed=True)]
    if isinstance(act, model.Deploy):  # an ECS rolling update
        why = " (its new tasks fail their health checks)" if failure.cause == "health" else ""
        if r.platform == "aws":
            return [L(f"Amazon ECS action {act.name}: Failed: service {act.target.service} in cluster "
                      f"{act.target.cluster} does not reach a steady state{why}", line, failed=True)]
        step = src.github_step(act.name, github_log.DEPLOY_STEP_ID)
        return [*(L(text, line) for text in github_log.step_header(step)),
                L(github_log.ECS_ROLLOUT_FAILED.format(new="<the new task definition's ARN>",
                                                       service=act.target.service), line, failed=True),
                L(github_log.PROCESS_FAILED.format(status=1), line, failed=True)]
    what = {model.StackDeploy: "CloudFormation stack", model.BucketDeploy: "S3 deployment",
            model.Invoke: "Lambda invoke"}.get(type(act), "action")
    return [L(f"{what} {act.name}: Failed", line, failed=True)]


def title(r: Run) -> str:
    return PLATFORM_NAMES[r.platform]
