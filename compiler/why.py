"""``pipec why FILE.pipe LOG``: from a failure's log back to the ``.pipe`` line that caused it.

LOG is what a platform printed when a run failed, as text or JSON:

- a **CodeBuild log** (or the phase context a console shows):
  ``COMMAND_EXECUTION_ERROR ... Error while executing command: CMD. Reason: exit status N`` or
  ``Command did not exit successfully CMD exit status N`` names the command, which is found
  among the pipeline's build commands (the phase narrows it down); ``CLIENT_ERROR ... no matching
  artifact paths found`` points at the artifact whose files were expanded; ``YAML_FILE_ERROR``
  at the build whose buildspec CodeBuild could not read;
- **CodeDeploy** lifecycle-event errors (``aws deploy get-deployment``,
  ``get-deployment-target``/``list-deployment-instances`` output, the console's text):
  ``ScriptFailed``/``ScriptMissing``/``ScriptTimedOut`` with the script's location name the hook
  (the lifecycle event picks among hooks that share a script); a failed lifecycle event of ECS
  or Lambda names the hook by its event; every deployment error code
  (:data:`pipec.why_codes.DEPLOYMENT_ERRORS`) the deployment, at the statement the code is about
  (by ``deploymentGroupName``, which is the action's name unless ``aws { deployment_group }``
  renames it);
- **CodePipeline** (``aws codepipeline get-pipeline-state``): each action whose
  ``latestExecution.status`` is ``Failed`` (a source action by the source's name), with its
  ``errorDetails`` read as above; a disabled inbound transition; a failed stage;
- a **GitHub job log** (:mod:`pipec.github_log`: timestamps and ``gh``'s prefixes come off):
  pipec's phases step's ``Phase X failed with exit status N``, narrowed to a command by what the
  phase printed; in a step of the user's own, the last traced command (``+ CMD``) before
  ``##[error]Process completed with exit code N``;
- what ``pipec simulate`` prints (its gutter of line numbers is ignored);
- failures about files and parameters (:mod:`pipec.why_files`): GitHub's "Collect artifact NAME"
  step, CodeBuild's ``Decrypted Variables Error`` for an SSM parameter, CodeDeploy's "a specified
  file already exists at this location".

Each finding says what failed, what the error code means (the CodeBuild and CodeDeploy API
references, cited in :mod:`pipec.simulate_logs`) and how to fix it.
"""

from __future__ import annotations

import json
import re

from pipec import github_log, model, why_codes, why_files
from pipec.node import Node, node
from pipec.templates import pipeline_line


@node
class Finding(Node):
    line: int | None
    action: str | None
    what: str
    meaning: str
    fix: str
    evidence: str


MEANINGS = {
    "COMMAND_EXECUTION_ERROR": "a command of the buildspec exited with a non-zero status; CodeBuild skipped the "
                               "rest of its phase",
    # the same failure in a GitHub job: pipec's phases step stops a phase at its first failing
    # command as CodeBuild does (targets/github/phases.py); a step of its own fails the step
    "GITHUB_PHASE": "a command of the build exited with a non-zero status; pipec's phases step ran none of the "
                    "phase's later commands (as CodeBuild would) and failed the job",
    "GITHUB_STEP": "a step's command exited with a non-zero status; the step failed, and the job's later steps "
                   "did not run (except those that run on failure)",
    "CLIENT_ERROR": "no file matched the artifact's file patterns when CodeBuild collected the artifacts",
    "YAML_FILE_ERROR": "CodeBuild could not read the buildspec: it is missing at the path the project names, or "
                       "it is not valid YAML",
    "ScriptFailed": "the hook script ran and exited with a non-zero status",
    "ScriptMissing": "the hook script is not at the location the AppSpec file gives, inside the revision",
    "ScriptTimedOut": "the hook script did not finish within its timeout",
    "ScriptNotExecutable": "the hook script is not a file the instance can execute",
    "HEALTH_CONSTRAINTS": "the deployment failed on too many instances to meet the deployment configuration's "
                          "minimum of healthy instances",
    "ALARM_ACTIVE": "a CloudWatch alarm of the deployment group went into ALARM, and CodeDeploy stopped the "
                    "deployment",
    "HOOK_EXECUTION_FAILURE": "a lifecycle hook function reported Failed (or did not report in time)",
}

_GUTTER = re.compile(r"^\s*\d*\s\| ?")
_CMD_ERROR = re.compile(r"Error while executing command: (?P<cmd>.*?)\. Reason: exit status (?P<n>\d+)", re.S)
_CMD_FAILED = re.compile(r"Command did not exit successfully (?P<cmd>.*?) exit status (?P<n>\d+)\s*$", re.M)
_PHASE = re.compile(r"(?:Entering phase|Phase complete:|Phase:) ?(?P<phase>INSTALL|PRE_BUILD|BUILD|POST_BUILD)\b")
_SCRIPT_FAILED = re.compile(r"Script at specified location: (?P<script>\S+)(?: run as user (?P<user>\S+))? "
                            r"failed with exit code (?P<n>\d+)")
_SCRIPT_MISSING = re.compile(r"Script does not exist at specified location: (?P<script>\S+)")
_SCRIPT_NAME = re.compile(r"Script ?Name\W+(?P<script>\S+)")
_EVENT_FAILED = re.compile(r"^\s*(?P<event>[A-Z][A-Za-z]+)\s+Failed\b(?P<rest>.*)$", re.M)
_LIFECYCLE_EVENT = re.compile(r"LifecycleEvent - (?P<event>[A-Z][A-Za-z]+)")
_NAMED = re.compile(r"(?:build log of |GitHub job |Deployment group of |\"(?:projectName|project-name|deploymentGroupName|actionName)\":\s*\")(?P<name>[A-Za-z0-9_.-]+)")
_GROUP = re.compile(r"(?:Deployment group of |\"deploymentGroupName\":\s*\")(?P<name>[A-Za-z0-9_.-]+)")
_EXPANDING = re.compile(r"Expanding (?P<path>\S+)\s*$", re.M)
_GITHUB_ERROR = re.compile(r"##\[error\]Process completed with exit code (?P<n>\d+)")
_ECS_ROLLOUT = re.compile(
    re.escape(github_log.ECS_ROLLOUT_FAILED).replace(r"\{new\}", r".+?").replace(r"\{service\}", r"(?P<service>\S+)")
    + "|" + re.escape(github_log.ECS_ROLLED_BACK).replace(r"\{service\}", r"(?P<service2>\S+)")
    .replace(r"\{taskdef\}", r"\S+"))
#: an error code as get-deployment's JSON, the console or pipec simulate give it
_ERROR_CODE = re.compile(r"(?:\"code\"\s*:\s*\"|\berrorInformation: code |\bError code\W+)(?P<code>[A-Z][A-Z0-9_]+)")
#: CodeBuild's message when an artifact's base-directory matches nothing (aws/aws-cdk issue 28519)
_NO_BASE = re.compile(r"no matching base directory path found for (?P<base>[^\s\"'\\]+)")
_JOB_TIMED_OUT = re.compile(r"has exceeded the maximum execution time of \d+ minutes")
#: the buildspec CodeBuild read, as its log's DOWNLOAD_SOURCE phase prints it ("[Container] ... YAML
#: location is /codebuild/output/src390121250/src/buildspec.yml", as published logs show it, e.g.
#: aws/aws-codebuild-docker-images issue 102); pipec writes one buildspec per action at
#: aws/PIPELINE/buildspec/ACTION.yml (targets/aws/emit.py), so the path names the build
_YAML_LOCATION = re.compile(r"YAML location is \S*?(?:^|/)aws/(?P<pipeline>[A-Za-z0-9_.-]+)/buildspec/"
                            r"(?P<name>[A-Za-z0-9_.-]+)\.ya?ml\b")
_PHASE_NAMES = {"INSTALL": "install", "PRE_BUILD": "pre_build", "BUILD": "build", "POST_BUILD": "post_build"}


def _norm(cmd: str) -> str:
    return " ".join(cmd.split())


class _Index:
    """The pipeline's commands, hooks, artifacts and actions, with their lines."""

    def __init__(self, pipeline: model.Pipeline, text: str):
        from pipec.simulate_logs import Source

        self.p = pipeline
        self.src = Source(pipeline, text)
        self.commands = []  # (normalised text, action, phase, line, text)
        for a in pipeline.actions():
            if not isinstance(a, model.Build):
                continue
            for login in a.codeartifact:
                self.commands.append((_norm(model.codeartifact_login(login)), a, "install",
                                      self.src.find(a, "codeartifact") or _line(a), model.codeartifact_login(login)))
            for ph in a.phases:
                for c in (*ph.commands, *ph.finally_commands):
                    self.commands.append((_norm(c.text), a, ph.name, _line(c) or _line(a), c.text))

    def deploys(self, kind=None):
        return [a for a in self.p.actions() if isinstance(a, model.Deploy) and (kind is None or kind(a))]

    def builds(self):
        return [a for a in self.p.actions() if isinstance(a, model.Build)]


def _line(node) -> int | None:
    return pipeline_line(getattr(node, "span", None))  # a template's node: the line of its use


# ----------------------------------------------------------------------------- reading the input


def _texts(log: str) -> list[str]:
    """The text fragments to read: the log itself (gutters removed), or every string of its JSON."""
    stripped = log.strip()
    if stripped[:1] in "{[":
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if data is not None:
            return [json.dumps(data)] + list(_json_strings(data))
    return ["\n".join(_GUTTER.sub("", line) for line in log.splitlines())]


def _json_strings(data):
    if isinstance(data, dict):
        for v in data.values():
            yield from _json_strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _json_strings(v)
    elif isinstance(data, str):
        yield data


def _obj(value) -> dict:
    """``value`` when it is a JSON object, else an empty one: the JSON is the user's, of any shape."""
    return value if isinstance(value, dict) else {}


def _text(value) -> str:
    """``value`` when it is a JSON string, else empty."""
    return value if isinstance(value, str) else ""


def _json_events(data, out):
    """Failed lifecycle events found anywhere in ``data``."""
    if isinstance(data, dict):
        if data.get("status") == "Failed" and isinstance(data.get("lifecycleEventName"), str):
            out.append(("event", data["lifecycleEventName"], _obj(data.get("diagnostics"))))
        for v in data.values():
            _json_events(v, out)
    elif isinstance(data, list):
        for v in data:
            _json_events(v, out)


# ----------------------------------------------------------------------------- finding


def why(pipeline: model.Pipeline, text: str, log: str) -> list[Finding]:
    """Every failure ``log`` shows, each with the ``.pipe`` line it comes from (None when the log
    names something this pipeline does not have), in the order found, without duplicates."""
    idx = _Index(pipeline, text)
    found: list[Finding] = []
    for n, raw in enumerate(_texts(log)):
        found += _github(idx, raw)  # reads gh's job prefix, so before the prefixes are taken off
        fragment = github_log.plain(raw)
        found += _codebuild(idx, fragment)
        found += _codedeploy(idx, fragment, whole=n == 0)
        found += _timeouts(idx, raw)
        if n == 0:  # JSON: its whole text, where the action's name is beside the message
            found += why_files.findings(idx, fragment, raw)
        found += _simulated(idx, fragment)
    stripped = log.strip()
    if stripped[:1] in "{[":
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        events: list = []
        _json_events(data, events)
        for _kind, name, details in events:
            found += _lifecycle(idx, name, details, stripped)
        found += _pipeline_state(idx, data)
    out, seen = [], set()
    for f in found:
        key = (f.line, f.action, f.what)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _pipeline_state(idx: _Index, data) -> list[Finding]:
    """``aws codepipeline get-pipeline-state``: each stage's ``inboundTransitionState`` (a disabled
    transition holds runs before the stage), each action whose ``latestExecution.status`` is
    ``Failed`` (a source action by the source's name) with its ``errorDetails``, and a stage whose
    ``latestExecution.status`` is ``Failed`` without a failed action in the output
    (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GetPipelineState.html:
    StageState, TransitionState, ActionState, ActionExecution, ErrorDetails)."""
    stages = data.get("stageStates") if isinstance(data, dict) else None
    if not isinstance(stages, list):
        return []
    by_stage = {st.name: st for st in idx.p.stages}
    sources = {s.name: s for s in idx.p.sources}
    out = []
    for state in (x for x in stages if isinstance(x, dict)):
        name = _text(state.get("stageName"))
        stage = by_stage.get(name)
        inbound = _obj(state.get("inboundTransitionState"))
        if inbound.get("enabled") is False:
            reason = _text(inbound.get("disabledReason"))
            enable = (f"Enable it when ready (aws codepipeline enable-stage-transition --stage-name {name} "
                      "--transition-type Inbound)")
            if stage is not None and stage.disabled_reason is None:
                # disabled by hand (TransitionState.lastChangedBy): the .pipe does not disable it
                who = _text(inbound.get("lastChangedBy")) or "someone"
                out.append(Finding(_line(stage), None, f"the transition into stage {name} was disabled by {who}"
                                   + (f": {reason}" if reason else "") + "; the .pipe does not disable it",
                                   "a disabled transition holds every run before the stage until someone enables it",
                                   enable + ". To keep it disabled on purpose, write it in the stage "
                                   "('transition disabled \"REASON\"'), so that the pipeline says so.",
                                   f"inboundTransitionState.enabled false ({name})"))
            else:
                line = (idx.src.find(stage, "transition") or _line(stage)) if stage else None
                out.append(Finding(line, None, f"the transition into stage {name} is disabled" +
                                   (f": {reason}" if reason else ""),
                                   "a disabled transition holds every run before the stage until someone enables it",
                                   enable + "; the .pipe line disables it again whenever the stack is deployed.",
                                   f"inboundTransitionState.enabled false ({name})"))
        failed_here = False
        actions = state.get("actionStates")
        for action in (x for x in (actions if isinstance(actions, list) else ()) if isinstance(x, dict)):
            latest = _obj(action.get("latestExecution"))
            if latest.get("status") != "Failed":
                continue
            failed_here = True
            aname = _text(action.get("actionName"))
            details = _obj(latest.get("errorDetails"))
            message, code = _text(details.get("message")), _text(details.get("code"))
            inner = (_codebuild(idx, message) + _codedeploy(idx, message) +
                     why_files.findings(idx, message, names={aname}))
            if inner:
                out += inner
                continue
            node = idx.src.actions.get(aname) or sources.get(aname)
            special = _failed_action(node, aname, latest, message, code)
            if special is not None:
                out.append(special)
                continue
            kind = "source" if aname in sources else "action"
            out.append(Finding(_line(node), aname if node else None,
                               f"CodePipeline {kind} {aname} failed" + (f" ({code})" if code else "") +
                               (f": {message}" if message else ""),
                               "the source action could not read the repository or object (a connection that is "
                               "not available, a branch or object that is not there, missing permissions)"
                               if kind == "source" else "the action's execution failed; its errorDetails say why",
                               "Check the connection, the repository and branch the source names."
                               if kind == "source" else
                               "Open the action's details (its log link) or pass that log to pipec why.",
                               f"{aname}: {code or 'Failed'}"))
        if not failed_here and _obj(state.get("latestExecution")).get("status") == "Failed":
            out.append(Finding(_line(stage) if stage else None, None, f"stage {name} failed",
                               "an action of the stage failed", "Look at the stage's actions' details.",
                               f"{name}: Failed"))
    return out


#: a CodeDeploy deployment's id (CodeDeploy API, DeploymentInfo.deploymentId: d-, then 9 characters)
_DEPLOYMENT_ID = re.compile(r"\bd-[A-Z0-9]{9}\b")


def _failed_action(node, aname: str, latest: dict, message: str, code: str) -> Finding | None:
    """The finding of a failed action of get-pipeline-state whose errorDetails say less than a log:
    an approval (rejected by a reviewer, or not answered in time: ActionExecution.summary holds the
    reviewer's comment, updatedBy the reviewer) and a CodeDeploy deployment (the errorDetails name
    the deployment, whose own record says which instance and hook failed); None otherwise."""
    evidence = f"{aname}: {code or 'Failed'}"
    if isinstance(node, model.Approval):
        by, summary = _text(latest.get("updatedBy")), _text(latest.get("summary"))
        return Finding(_line(node), aname, f"approval {aname} was not given" + (f" by {by}" if by else "") +
                       (f": {summary}" if summary else "") + (f" ({message})" if message else ""),
                       "a reviewer rejected the approval, or it waited longer than its timeout; the run stops there",
                       "Address what the reviewer wrote, then start a new run (a rejected run does not go on); if it "
                       "timed out, approve sooner or raise the approval's 'timeout'.", evidence)
    deployment = _DEPLOYMENT_ID.search(message)
    if isinstance(node, model.Deploy) and node.uses_codedeploy and "already deploying" in message:
        # CodeDeploy runs one deployment at a time per deployment group
        # (CreateDeployment: DeploymentLimitExceededException)
        return Finding(_line(node), aname, f"CodeDeploy deployment of {aname} did not start" +
                       (f" ({code})" if code else "") + f": {message}",
                       "another deployment to the same deployment group was still in progress, and CodeDeploy "
                       "runs one at a time per group",
                       "Wait for it to end (aws deploy list-deployments --include-only-statuses InProgress "
                       "Queued ...), then retry the stage; if the other deployment is stuck, stop it with aws deploy "
                       "stop-deployment.", evidence)
    if isinstance(node, model.Deploy) and node.uses_codedeploy:
        ask = (f"aws deploy get-deployment --deployment-id {deployment.group(0)}" if deployment
               else "aws deploy list-deployments (then get-deployment)")
        return Finding(_line(node), aname, f"CodeDeploy deployment of {aname} failed" +
                       (f" ({code})" if code else "") + (f": {message}" if message else ""),
                       "the deployment failed or was stopped; its own record says which target and lifecycle "
                       "event failed, and why",
                       f"Run {ask} and pass its output to pipec why, which points at the hook or setting.", evidence)
    return None


def _codebuild(idx: _Index, text: str) -> list[Finding]:
    out = []
    phases = [m["phase"] for m in _PHASE.finditer(text)]
    commands = [(m["cmd"], m["n"], m.group(0)) for m in _CMD_ERROR.finditer(text)]
    if not commands:
        commands = [(m["cmd"], m["n"], m.group(0)) for m in _CMD_FAILED.finditer(text)]
    for cmd, status, evidence in commands:
        before = text[:text.find(evidence)]
        phase_seen = [m["phase"] for m in _PHASE.finditer(before)]
        phase = _PHASE_NAMES.get(phase_seen[-1] if phase_seen else (phases[-1] if phases else ""), None)
        out.append(_command_finding(idx, cmd, status, phase, evidence, "COMMAND_EXECUTION_ERROR", _named(text)))
    for m in _NO_BASE.finditer(text):  # CLIENT_ERROR: the artifact's base directory is not there
        out.append(_base_finding(idx, m["base"], m.group(0)))
    if "no matching artifact paths found" in text:
        paths = [m["path"] for m in _EXPANDING.finditer(text)]
        out.append(_artifact_finding(idx, paths))
    if "YAML_FILE_ERROR" in text:
        builds = idx.builds()
        one = builds[0] if len(builds) == 1 else None
        out.append(Finding(_line(one), one.name if one else None,
                           "CodeBuild could not read the buildspec (YAML_FILE_ERROR)" +
                           ("" if one else f"; this pipeline has {len(builds)} builds: the log does not say which"),
                           MEANINGS["YAML_FILE_ERROR"],
                           "pipec writes each build's buildspec: run 'pipec build' again and commit the file at the "
                           "path the CodeBuild project names; do not edit it by hand.",
                           "YAML_FILE_ERROR"))
    return out


def _named(text: str) -> set[str]:
    """The action names a log gives (a build project, job, deployment group or action name, or the
    build whose buildspec CodeBuild says it read)."""
    return {m["name"] for m in _NAMED.finditer(text)} | {m["name"] for m in _YAML_LOCATION.finditer(text)}


def _command_finding(idx: _Index, cmd: str, status: str, phase: str | None, evidence: str, code: str,
                     named: set = frozenset()) -> Finding:
    want = _norm(cmd)
    hits = [c for c in idx.commands if c[0] == want]
    if len(hits) > 1 and named:  # an action's name, or its CodeBuild project's (PIPELINE-ACTION)
        hits = [c for c in hits if c[1].name in named or f"{idx.p.name}-{c[1].name}" in named] or hits
    if len(hits) > 1 and phase:
        hits = [c for c in hits if c[2] == phase] or hits
    short = cmd.split("\n")[0] + (" ..." if "\n" in cmd else "")
    if not hits:
        own = _own_command(idx, want, status, evidence)
        if own is not None:
            return own
        return Finding(None, None, f"the command {short!r} failed with exit status {status}, but this pipeline has "
                       "no such command", MEANINGS[code],
                       "Check that the log comes from this pipeline's build, and that 'pipec build' output is "
                       "deployed.", evidence.split("\n")[0])
    _norm_text, act, ph, line, _text = hits[0]
    also = f" (also in {', '.join(h[1].name for h in hits[1:])})" if len(hits) > 1 else ""
    fix = _status_fix(status)
    return Finding(line, act.name, f"{ph} command {short!r} of {act.name} exited with status {status}{also}",
                   MEANINGS[code], fix, evidence.split("\n")[0])


#: the output folder in the path of a generated appspec (pipec build -o): any folder matches
_OUT_DIR = re.compile(r"(?<=\$CODEBUILD_SRC_DIR)/(?:[^\s\"]*/)?appspec/")


def _own_command(idx: _Index, want: str, status: str, evidence: str) -> Finding | None:
    """A command pipec adds to a buildspec (the copy of an EC2 deployment's appspec.yml into its
    revision, in post_build): the deployment it serves."""
    for b in idx.builds():
        for phase in model.PHASE_ORDER:
            for text in idx.src.buildspec_extras(b.name, phase):
                if _OUT_DIR.sub("/appspec/", _norm(text)) != _OUT_DIR.sub("/appspec/", want):
                    continue
                deploy = re.search(r"/appspec/(?P<name>[A-Za-z0-9_-]+)\.yml", text)
                d = idx.src.actions.get(deploy["name"]) if deploy else None
                arts = [o for o in b.outputs if d is not None and d.inputs and o.name == d.inputs[0]]
                where = f" (artifact {arts[0].name}'s base, {arts[0].base}/)" if arts and arts[0].base else ""
                return Finding(_line(d) or _line(b), (d or b).name,
                               f"the command pipec adds to {b.name}'s {phase} (the appspec.yml of "
                               f"{d.name if d else '?'} into its revision) exited with status {status}",
                               MEANINGS["COMMAND_EXECUTION_ERROR"],
                               f"The copy fails when the revision's folder{where} does not exist: make the build "
                               "write it (its own commands failed, or wrote elsewhere), or fix the artifact's base.",
                               evidence.split("\n")[0])
    return None


def _status_fix(status: str) -> str:
    return {"127": "Exit status 127 is the shell's 'command not found': install the tool in 'install', or "
                   "check the command's spelling.",
            "126": "Exit status 126: the file is not executable; chmod +x it, or run it with bash."}.get(
        status, "Run the command locally at the same commit to see its own error; a missing dependency is "
                "installed in 'install' (for example 'npm ci').")


def _artifact_finding(idx: _Index, paths) -> Finding:
    candidates = [(a, o) for a in idx.builds() for o in a.outputs]
    hit = [(a, o) for a, o in candidates if any(p in o.files for p in paths)] or (
        candidates if len(candidates) == 1 else [])
    if not hit:
        return Finding(None, None, "no artifact file matched (CLIENT_ERROR)", MEANINGS["CLIENT_ERROR"],
                       "Check the artifact's files and base: they are relative to the build's working directory.",
                       "CLIENT_ERROR")
    a, o = hit[0]
    return Finding(_line(o) or _line(a), a.name, f"artifact {o.name} of {a.name}: no file matched "
                   f"{', '.join(o.files)}" + (f" under {o.base}" if o.base else ""), MEANINGS["CLIENT_ERROR"],
                   "Make the build write those files (a failed earlier command often means they were never "
                   "made), or fix the patterns and 'base'.", "CLIENT_ERROR: no matching artifact paths found")


def _base_finding(idx: _Index, base: str, evidence: str) -> Finding:
    def norm(path):
        return path.strip().removeprefix("./").rstrip("/") or "."

    hits = [(a, o) for a in idx.builds() for o in a.outputs if o.base and norm(o.base) == norm(base)]
    meaning = (f"the artifact's base directory {base} did not exist when CodeBuild collected the artifacts, so no "
               "file could be uploaded (CLIENT_ERROR)")
    if not hits:
        return Finding(None, None, f"no artifact of this pipeline has the base directory {base} (CLIENT_ERROR)",
                       meaning, "Check that the log comes from this pipeline's build.", evidence)
    a, o = hits[0]
    return Finding(_line(o) or _line(a), a.name, f"artifact {o.name} of {a.name}: its base directory {o.base} was "
                   "not there (CLIENT_ERROR)", meaning,
                   f"Make the build write {o.base} (a failed or skipped build command often means it never ran), "
                   "or fix 'base': it is relative to the build's source directory.", evidence)


def _hook_by_script(idx: _Index, script: str, named: set = frozenset(), event: str | None = None):
    """The deployment and hook that run ``script``; one script may serve several hooks, so the
    lifecycle ``event`` (AppSpec name) the log gives picks among them."""
    from pipec.targets import appspec_event_names

    script = script.rstrip(".,")
    tail = script.split("/deployment-archive/")[-1]
    deploys = idx.deploys()
    deploys = [d for d in deploys if d.name in named] + [d for d in deploys if d.name not in named]
    names = appspec_event_names()
    for d in deploys:
        for h in d.hooks:
            if event is not None and names.get(h.event) != event:
                continue
            t = h.target
            if t in (script, tail) or t.lstrip("/") == tail.lstrip("/") or script.endswith("/" + t.lstrip("/")):
                return d, h
    return None, None


def _codedeploy(idx: _Index, text: str, whole: bool = True) -> list[Finding]:
    """CodeDeploy's errors in ``text`` (``whole``: the whole log, not one string of its JSON, where
    a script's lifecycle event may be elsewhere)."""
    from pipec.targets import appspec_event_names

    events = {v: k for k, v in appspec_event_names().items()}
    out = []
    scripts = [(m["script"], "ScriptFailed", m.group(0)) for m in _SCRIPT_FAILED.finditer(text)]
    scripts += [(m["script"], "ScriptMissing", m.group(0)) for m in _SCRIPT_MISSING.finditer(text)]
    if not scripts:
        scripts = [(m["script"], "ScriptMissing" if "ScriptMissing" in text else "ScriptTimedOut"
                    if "ScriptTimedOut" in text else "ScriptFailed", m.group(0)) for m in _SCRIPT_NAME.finditer(text)]
    for script, code, evidence in scripts:
        event = _event_before(text, evidence, set(events))
        d, h = _hook_by_script(idx, script, _named(text), event)
        if h is None and event is not None:
            d, h = _hook_by_script(idx, script, _named(text))
        shared = [(d2, h2) for d2 in idx.deploys() for h2 in d2.hooks if h is not None and h2.target == h.target]
        user = _SCRIPT_FAILED.match(evidence)["user"] if _SCRIPT_FAILED.match(evidence) else None
        if event is None and len(shared) > 1 and user:
            # the agent's message names the user the script ran as ('run as user root'): the hook
            # whose 'as USER' is that user, when only one of the hooks sharing the script has it
            as_user = [(d2, h2) for d2, h2 in shared if h2.run_as == user]
            if len(as_user) == 1:
                (d, h), shared = as_user[0], as_user
        if event is None and len(shared) > 1:  # one script, several hooks: the log does not say which
            if whole:
                out.append(Finding(_line(d), d.name, f"hook script {h.target} of {d.name} failed ({code}); it runs "
                                   f"in {', '.join(h2.event for _d, h2 in shared)} and the log does not say which "
                                   "lifecycle event", MEANINGS[code], "Pass the instance's lifecycle events "
                                   "(aws deploy get-deployment-target) to pipec why.", evidence))
            continue
        if h is None:
            m = _LIFECYCLE_EVENT.search(text)
            out.append(Finding(None, None, f"hook script {script} failed ({code}); this pipeline has no hook "
                               "running it" + (f" (lifecycle event {m['event']})" if m else ""), MEANINGS[code],
                               "Check that the deployment comes from this pipeline.", evidence))
            continue
        fix = why_codes.previous_revision_fix(h) or {
            "ScriptMissing": f"Put {h.target} in the revision (the artifact the deployment reads), at that "
                             "path relative to its root.",
            "ScriptTimedOut": "Make the script finish sooner, or raise the hook's timeout (at most 3600s).",
        }.get(code, f"Run {h.target} on an instance to see why it fails; its log tail is in the "
                    "deployment's lifecycle event.")
        out.append(Finding(idx.src.hook_line(d, h.event, h.target), d.name, f"hook {h.event} ({h.target}) of {d.name}: "
                           f"{code}", MEANINGS[code], fix, evidence))
    for m in _EVENT_FAILED.finditer(text):
        event = events.get(m["event"])
        if not event or "Script" in m["rest"]:
            continue
        fn = re.search(r"hook function (\S+)", m["rest"])
        for d in idx.deploys():
            for h in d.hooks:
                if h.event == event and (fn is None or fn.group(1) == h.target):
                    out.append(Finding(idx.src.hook_line(d, h.event, h.target), d.name, f"hook {h.event} ({h.target}) of "
                                       f"{d.name} failed", MEANINGS["HOOK_EXECUTION_FAILURE"],
                                       f"See the logs of the function {h.target}; it must call "
                                       "PutLifecycleEventHookExecutionStatus with Succeeded.", m.group(0).strip()))
    group = _GROUP.search(text)
    named = idx.src.actions.get(group["name"]) if group else None
    if "ALARM_ACTIVE" in text or re.search(r"in ALARM|went into ALARM", text):
        for d in idx.deploys(lambda a: a.rollback.alarms):
            if (named is None or named is d) and (any(al in text for al in d.rollback.alarms) or named is d):
                mine = [al for al in d.rollback.alarms if al in text]
                named_alarms = (", ".join(mine) if mine else
                                "the log names none of its alarms: " + ", ".join(d.rollback.alarms))
                out.append(Finding(idx.src.find(d, "rollback") or _line(d), d.name, f"an alarm stopped {d.name} "
                                   f"({named_alarms})",
                                   MEANINGS["ALARM_ACTIVE"], "Look at the alarm's metric at the time it fired: "
                                   "the new version is the likely cause; the rollback already restored the old one.",
                                   "ALARM_ACTIVE"))
    if "HEALTH_CONSTRAINTS" in text and not scripts:
        ec2 = idx.deploys(lambda a: a.platform == "ec2")
        pick = [named] if named in ec2 else ec2 if len(ec2) == 1 else []
        for d in pick:
            out.append(Finding(_line(d), d.name, f"deployment {d.name} failed on too many instances "
                               "(HEALTH_CONSTRAINTS)", MEANINGS["HEALTH_CONSTRAINTS"],
                               "Look at the instances' lifecycle events (aws deploy list-deployment-instances, then "
                               "get-deployment-instance) for the hook that failed, and pass that output to pipec why.",
                               "HEALTH_CONSTRAINTS"))
        if not pick:
            out.append(Finding(None, None, "a deployment failed on too many instances (HEALTH_CONSTRAINTS)" +
                               (f"; this pipeline has {len(ec2)} EC2 deployments and the output names none of "
                                "them" if ec2 else "; this pipeline has no EC2 deployment"),
                               MEANINGS["HEALTH_CONSTRAINTS"], "Pass the instances' lifecycle events to pipec why.",
                               "HEALTH_CONSTRAINTS"))
    handled = {"ALARM_ACTIVE", "HEALTH_CONSTRAINTS"} | (
        {"HOOK_EXECUTION_FAILURE"} if any(f.what.startswith("hook ") for f in out) else set())
    for code in dict.fromkeys(m["code"] for m in _ERROR_CODE.finditer(text)):
        if code in why_codes.DEPLOYMENT_ERRORS and code not in handled:
            out.append(_deployment_error(idx, code, named))
    return out


def _event_before(text: str, evidence: str, events: set) -> str | None:
    """The lifecycle event a script error belongs to: the last AppSpec event name before it in the
    log (``LifecycleEvent - NAME``, ``"lifecycleEventName": "NAME"``, a row of the lifecycle
    events starting with it), else the first after it."""
    at = text.find(evidence)
    names = "|".join(sorted(events, key=len, reverse=True))
    found = [m["e"] for m in re.finditer(rf"\b(?P<e>{names})\b", text[:at + len(evidence)])]
    if found:
        return found[-1]
    after = re.search(rf"\b(?P<e>{names})\b", text[at:])
    return after["e"] if after else None


def _deployment_error(idx: _Index, code: str, named) -> Finding:
    """A CodeDeploy deployment error code: the deployment the output names (or the only one that
    uses CodeDeploy), at the statement the code is about."""
    meaning, fix, where = why_codes.DEPLOYMENT_ERRORS[code]
    deploys = idx.deploys(lambda a: a.uses_codedeploy)
    d = named if named in deploys else deploys[0] if len(deploys) == 1 else None
    if d is None:
        return Finding(None, None, f"a CodeDeploy deployment failed ({code}); the output names none of this "
                       f"pipeline's {len(deploys)} deployments", meaning, fix, code)
    line = None
    for word in where:
        if word == "hook":
            line = idx.src.hook_line(d, d.hooks[0].event, d.hooks[0].target) if len(d.hooks) == 1 else None
        else:
            line = idx.src.find(d, word)
        if line:
            break
    return Finding(line or _line(d), d.name, f"deployment {d.name} failed ({code})", meaning, fix, code)


def _lifecycle(idx: _Index, event_name: str, diagnostics: dict, raw: str) -> list[Finding]:
    from pipec.targets import appspec_event_names

    event = {v: k for k, v in appspec_event_names().items()}.get(event_name)
    script = _text(diagnostics.get("scriptName"))
    code = _text(diagnostics.get("errorCode")) or "HOOK_EXECUTION_FAILURE"
    if script:
        d, h = _hook_by_script(idx, script, _named(raw), event_name)
        if h is not None:
            return [Finding(idx.src.hook_line(d, h.event, h.target), d.name, f"hook {h.event} ({h.target}) of {d.name}: "
                            f"{code}", MEANINGS.get(code, code),
                            why_codes.previous_revision_fix(h) or f"Run {h.target} on an instance to see why.",
                            f"{event_name} {code}")]
    group = _GROUP.search(raw)
    for d in idx.deploys():
        if group and group["name"] != d.name:
            continue
        for h in d.hooks:
            if h.event == event:
                return [Finding(idx.src.hook_line(d, h.event, h.target), d.name, f"hook {h.event} ({h.target}) of {d.name} "
                                "failed", MEANINGS.get(code, code),
                                why_codes.previous_revision_fix(h) or f"See {h.target}'s own log.", event_name)]
    return []


def _github(idx: _Index, raw: str) -> list[Finding]:
    text = github_log.plain(raw)
    marked = list(re.finditer(r"^# pipec: (?P<cmd>(?:(?!# pipec:).)*?) exits with status (?P<n>\d+)$", text,
                             re.M | re.S))
    if marked:  # pipec simulate names the failing command
        return [_command_finding(idx, m["cmd"], m["n"], None, m.group(0), "GITHUB_STEP", _named(text))
                for m in marked]
    phases = github_log.phase_failures(raw)
    if phases:  # pipec's phases step: the job, the phase and the status (docs/simulate.md)
        return [_phase_finding(idx, f, _named(text)) for f in phases]
    out = []
    for job, script, status, evidence in github_log.step_failures(raw):
        # a command step: its script is the command (targets/github/phases.py, one step a command)
        body = "\n".join(line.strip() for line in script).strip()
        want = {github_log.action_of_job(job)} if job else _named(text)
        hits = [c for c in idx.commands if body and "\n".join(x.strip() for x in c[4].splitlines()).strip() == body]
        hits = [c for c in hits if c[1].name in want] or hits
        if hits:  # without a job name, a command two jobs share says so ("also in"), as for CodeBuild
            out.append(_command_finding(idx, hits[0][4], status, hits[0][2], evidence, "GITHUB_STEP",
                                        want))
    if out:
        return out
    for m in _GITHUB_ERROR.finditer(text):  # a step of the user's own that traces its commands (set -x)
        traced = re.findall(r"^\+ (.*)$", text[:m.start()], re.M)
        if traced:
            out.append(_command_finding(idx, traced[-1], m["n"], None, m.group(0), "GITHUB_STEP",
                                        _named(text)))
    return out


_BASH_LINE = re.compile(r"^\S+: line (?P<n>\d+): (?P<rest>.*)$")
_NOT_FOUND = re.compile(r"(?:^|: )(?P<word>[^\s:]+): (?:command not found|No such file or directory)$")


def _phase_finding(idx: _Index, f, named: set) -> Finding:
    """A phase of a GitHub build job failed (``Phase X failed with exit status N``): the build by
    the job's name, the command by what the phase printed (bash's ``line N:`` of the step's script
    as the log header repeats it, or the word bash could not run), else the phase itself."""
    builds = [b for b in idx.builds() if any(p.name == f.phase for p in b.phases) or
              (f.phase == "install" and b.codeartifact)]
    want = {github_log.action_of_job(f.job)} if f.job else set(named)
    picked = [b for b in builds if b.name in want]
    if not picked and f.script:  # a job's own log: the step header repeats the script, commands and all
        script = {line.strip() for line in f.script}
        picked = [b for b in builds if all(line.strip() in script for c in idx.commands if c[1] is b
                                           for line in c[4].splitlines() if line.strip())]
    if len(picked) != 1:
        picked = [b for b in picked if b.name in want] or (builds if len(builds) == 1 else picked[:0])
    if not picked:
        names = ", ".join(b.name for b in builds) or "none"
        return Finding(None, None, f"phase {f.phase} of a GitHub build job failed with exit status {f.status}; the log "
                       f"does not say which build (builds with that phase: {names})",
                       MEANINGS["GITHUB_PHASE"], "Pass the log with its job name (gh run view --log "
                       "prints it), or the job's own log.", f.evidence)
    b = picked[0]
    cmds = [c for c in idx.commands if c[1] is b and c[2] == f.phase]
    hit = None
    for out in reversed(f.output):
        m = _BASH_LINE.match(out.strip())
        if m and f.script and 0 < int(m["n"]) <= len(f.script):
            line = f.script[int(m["n"]) - 1].strip()
            hit = next((c for c in cmds if line and line in c[4].splitlines()), None) or hit
        m = _NOT_FOUND.search(out.strip())
        if hit is None and m:
            hit = next((c for c in cmds if m["word"] in c[4].split()[:1] or m["word"] in c[4].split()), None)
        if hit is not None:
            break
    if hit is None and len(cmds) == 1:
        hit = cmds[0]
    if hit is not None:
        return _command_finding(idx, hit[4], f.status, f.phase, f.evidence, "GITHUB_PHASE", {b.name})
    phase = next((p for p in b.phases if p.name == f.phase), None)
    return Finding(_line(phase) or idx.src.find(b, f.phase) or _line(b), b.name, f"phase {f.phase} of {b.name} failed with exit status "
                   f"{f.status}: one of its {len(cmds)} commands; GitHub does not echo them, the phase's output "
                   "in the log says which", MEANINGS["GITHUB_PHASE"],
                   _status_fix(f.status), f.evidence)


def _timeouts(idx: _Index, raw: str) -> list[Finding]:
    """A build that ran past its timeout: CodeBuild's ``State: TIMED_OUT`` (the BuildPhase status),
    GitHub's "has exceeded the maximum execution time"; the build the log names (the job ``gh run
    view --log`` prints before the timeout line, the buildspec CodeBuild read), or the only one."""
    text = github_log.plain(raw)
    if not (re.search(r"State: TIMED_OUT\b", text) or _JOB_TIMED_OUT.search(text)):
        return []
    builds = idx.builds()
    jobs = {github_log.action_of_job(job) for job, line in github_log.lines(raw)
            if job and _JOB_TIMED_OUT.search(line)}
    named = jobs or _named(text)
    picked = [b for b in builds if b.name in named or f"{idx.p.name}-{b.name}" in named] or (
        builds if len(builds) == 1 else [])
    meaning = "the build ran longer than its timeout, and the platform stopped it"
    if not picked:
        return [Finding(None, None, "a build ran past its timeout; the log does not say which", meaning,
                        "Pass the log with the build's name (its CodeBuild project or GitHub job).", "TIMED_OUT")]
    b = picked[0]
    return [Finding(idx.src.find(b, "timeout") or _line(b), b.name, f"build {b.name} ran past its timeout "
                    f"({b.timeout_minutes} minutes)", meaning,
                    "Find the slow command in the log (a test waiting on a network, a missing cache); raise "
                    "'timeout' if the build really needs longer (CodeBuild takes 5 to 2160 minutes; a GitHub job "
                    "on a hosted runner at most 360).", "TIMED_OUT")]


def _simulated(idx: _Index, text: str) -> list[Finding]:
    """The lines of ``pipec simulate`` that name an action rather than a command or hook."""
    out = []
    for m in re.finditer(r"Manual approval (\S+): Failed: no response within|Environment review for job (\S+): "
                         r"nobody reviewed it in time", text):
        name = m.group(1) or m.group(2)
        a = idx.src.actions.get(name)
        out.append(Finding((idx.src.find(a, "timeout") or _line(a)) if a else None, name if a else None,
                           f"approval {name} timed out", "nobody approved or rejected it before its timeout",
                           "Start a new run, and make sure the reviewers are notified (the approval's 'notify').",
                           m.group(0)))
    for m in re.finditer(r"Install\s+Failed\s+the replacement task set's tasks do not pass the health checks", text):
        group = _GROUP.search(text)
        d = idx.src.actions.get(group["name"]) if group else None
        if d is not None:
            out.append(Finding(_line(d), d.name, f"the new tasks of {d.name} failed their health checks",
                               "the replacement task set's tasks never became healthy in the target group",
                               "Look at the stopped tasks' reasons and the target group's health check (path, port, "
                               "the container's own start-up time).", m.group(0)))
    for m in re.finditer(r"Manual approval (\S+): Rejected|Environment review for job (\S+): rejected", text):
        name = m.group(1) or m.group(2)
        a = idx.src.actions.get(name)
        out.append(Finding(_line(a), name, f"approval {name} was rejected", "a reviewer rejected the approval",
                           "Read the reviewer's comment; fix what it asks and start a new run.", m.group(0)))
    for m in re.finditer(r"(?:Amazon ECS action|CloudFormation stack|S3 deployment|Lambda invoke) (\S+): Failed", text):
        a = idx.src.actions.get(m.group(1))
        out.append(Finding(_line(a), m.group(1), f"{m.group(1)} failed", "the action failed as a whole",
                           "Open the action's details in the console for the service's own error.", m.group(0)))
    for m in _ECS_ROLLOUT.finditer(text):  # pipec's ECS rolling-update step on GitHub
        service = m["service"] or m["service2"]
        for d in idx.deploys(lambda a: not a.uses_codedeploy and a.platform == "ecs"):
            if getattr(d.target, "service", None) == service:
                out.append(Finding(_line(d), d.name, f"the ECS rolling update of {d.name} (service {service}) failed",
                                   "the deployment circuit breaker stopped the new tasks (they did not reach a "
                                   "steady state), or the service was rolled back",
                                   "Look at the service's events and the stopped tasks' reasons in the ECS console.",
                                   m.group(0)))
    if re.search(r"Failed\s+the revision does not install", text):
        group = _GROUP.search(text)
        d = idx.src.actions.get(group["name"]) if group else None
        if d is not None:
            out.append(Finding(_line(d), d.name, f"deployment {d.name} failed on its instances",
                               MEANINGS["HEALTH_CONSTRAINTS"], "Look at the instances' lifecycle events.",
                               "HEALTH_CONSTRAINTS"))
    return out


def render(findings: list[Finding], path: str) -> str:
    if not findings:
        return "pipec why: nothing in the log points to this pipeline.\n"
    out = []
    for f in findings:
        where = f"{path}:{f.line}" if f.line else f"{path}: (no line)"
        out += [f"{where}: {f.what}", f"  log:     {f.evidence}", f"  meaning: {f.meaning}", f"  fix:     {f.fix}"]
    return "\n".join(out) + "\n"
