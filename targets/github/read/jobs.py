"""One job read back: what each of its steps is (its role: from the action it uses, or from its
name and the command its script runs), which kind of action the job is (build, deploy, stack,
bucket, invoke, approval) and its name; the kinds are read by :mod:`.builds`, :mod:`.deploys`
and :mod:`.approvals`.
"""

from __future__ import annotations


import re

from pipec import model, plan
from pipec.targets.github.read.artifacts import unpacked
from pipec.targets.github.read.common import SETUP_ACTIONS, _action_of, _fail, _Job, _only, _unliteral, _Where
from pipec.targets.github.read.phases import CHECKOUT_PATH, COMMAND_ID, PHASE_SHELL, PHASES_FILE, STEP_NAME


#: the step that does a job's work -> the plan kind of the job
MAIN_ROLES = {
    "phases": "build", "command": "build", "codebuild": "build",
    "ec2-deploy": "deploy", "ecs-codedeploy": "deploy", "lambda-deploy": "deploy", "ecs-rolling": "deploy",
    "stack": "stack", "bucket": "bucket", "invoke": "invoke", "ask": "request", "approved": "approval",
}
#: which other steps each kind of job may have
ALLOWED_ROLES = {
    "build": {"credentials", "checkout", "download", "unpack", "move", "s3-source", "codecommit-source", "setup", "secrets",
              "container-src-dir",
              "cache-restore", "cache-save", "phases", "command", "phase-rules", "collect", "upload-artifact",
              "upload-report"},
    "codebuild": {"credentials", "codebuild"},
    "deploy": {"credentials", "checkout-appspec", "download", "unpack", "ec2-deploy", "ecs-codedeploy", "lambda-deploy",
               "ecs-rolling", "protection"},
    "stack": {"credentials", "download", "unpack", "stack", "protection"},
    "bucket": {"credentials", "download", "unpack", "bucket", "protection"},
    "invoke": {"credentials", "invoke", "protection"},  # placed elsewhere: in its stage's environment
    "request": {"credentials", "ask"},
    "approval": {"approved", "protection"},
}
#: run steps by display name: (regex, role, a command the script must contain)
RUN_STEPS = (
    (r"Fetch secrets", "secrets", "set -euo pipefail"),
    (r"CodeBuild's source directory in the container", "container-src-dir", 'echo "CODEBUILD_SRC_DIR=$GITHUB_WORKSPACE"'),
    (r"Collect artifact (?P<arg>\S+)", "collect", "shopt -s globstar dotglob nullglob"),
    (r"Unpack artifact (?P<arg>\S+)", "unpack", "tar -xpf "),
    (r"Move (?P<arg>\S+) beside the working directory", "move", 'mv ".pipec-inputs/'),
    (r"Fetch source (?P<arg>\S+) from S3", "s3-source", 'aws s3 cp "s3://$BUCKET/$KEY"'),
    (r"Clone (?P<arg>\S+) from CodeCommit", "codecommit-source", "aws codecommit credential-helper"),
    (r"Run (?P<arg>\S+) in CodeBuild", "codebuild", "aws codebuild start-build"),
    (r"Deploy (?P<arg>\S+) with CodeDeploy", "ec2-deploy", "aws deploy push"),
    (r"Shift (?P<arg>\S+) with CodeDeploy", "lambda-deploy", "aws deploy create-deployment"),
    (r"Rolling update of the ECS service", "ecs-rolling", 'bash "$UPDATE"'),
    (r"Deploy stack (?P<arg>\S+)", "stack", "aws cloudformation "),
    (r"Copy to s3://(?P<arg>\S+)", "bucket", "aws s3 cp"),
    (r"Invoke (?P<arg>\S+)", "invoke", "aws lambda invoke"),
    (r"Ask for approval", "ask", '>> "$GITHUB_STEP_SUMMARY"'),
    (r"Approved", "approved", '>> "$GITHUB_STEP_SUMMARY"'),
    (r"Check the protection of environment (?P<arg>\S+)", "protection",
     'gh api "repos/$GITHUB_REPOSITORY/environments/$ENVIRONMENT"'),
)
USES_STEPS = {
    "aws-actions/configure-aws-credentials": "credentials",
    "actions/checkout": "checkout",
    "actions/download-artifact": "download",
    "actions/cache": "cache-restore",
    "actions/cache/restore": "cache-restore",
    "actions/cache/save": "cache-save",
    "aws-actions/amazon-ecs-deploy-task-definition": "ecs-codedeploy",
    **{action: "setup" for action in SETUP_ACTIONS},
}


class Jobs:
    """A job's steps and kind."""

    def job(self, key: str, job: dict) -> _Job:
        where = _Where(self.where.file, key)
        for k in ("uses", "continue-on-error"):  # strategy and defaults: build jobs (.matrix)
            if k in job:
                _fail(where, f"'{k}' on a job has no pipec equivalent")
        needs = job.get("needs") or []
        if isinstance(needs, str):
            needs = [needs]
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            _fail(where, f"'needs' must be a list of job ids, not {needs!r}")
        held, manual_branch, skips = self.condition(where, job.get("if"))
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            _fail(where, "the job has no steps")
        steps = [self.text_of(where.step_at(i, s), s) for i, s in enumerate(steps)]
        roles = [self.role(where.step_at(i, s), s) for i, s in enumerate(steps)]
        kinds = {MAIN_ROLES[r] for r in roles if r in MAIN_ROLES}
        if not kinds and roles == ["protection"] and needs and job.get("environment") is not None:
            kinds = {"approval"}  # the gate after a request job: its only step checks the environment
        if not kinds:
            _fail(where, "no step does anything pipec maps to an action (a build phase, a deployment, an approval "
                         "or an invoke)")
        if len(kinds) > 1:
            _fail(where, f"the job does the work of several actions ({', '.join(sorted(kinds))}); pipec maps one "
                         "action to one job")
        kind = kinds.pop()
        allowed = ALLOWED_ROLES["codebuild" if "codebuild" in roles else kind]
        for i, (role, step) in enumerate(zip(roles, steps)):
            if role not in allowed:
                _fail(where.step_at(i, step), f"a {role} step does not belong in a {kind} job as pipec writes it")
        located = unpacked([(where.step_at(i, s), r, s) for i, (r, s) in enumerate(zip(roles, steps))])
        if kind == "request":
            made = self.request_job(where, key, job, needs, held, located)
            made.manual_branch, made.skips_pull_requests = manual_branch, skips
            return made
        action = self.action_name(where, key, job)
        if kind != "build":
            if "strategy" in job:
                _fail(where, f"'strategy' on a {kind} job has no pipec equivalent")
            from pipec.targets.github.read.matrix import check_defaults

            check_defaults(where, job, container_ok=False)
        place = self.job_place(located) if kind in ("deploy", "stack", "bucket", "invoke") else None
        if kind == "build":
            spec = self.build(where, action, job, located)
        elif kind in ("deploy", "stack", "bucket", "invoke"):
            # where it runs: another account's role, another Region (.places)
            with self.at_place(where, place):
                spec = {"deploy": lambda: self.deploy(where, action, located, job),
                        "stack": lambda: self.stack(where, located), "bucket": lambda: self.bucket(where, located),
                        "invoke": lambda: self.invoke(where, located)}[kind]()
            spec = self.placed_spec(spec, place)
        else:
            # an approval: completed with its request job in assemble(); without one, its own
            # step holds the message and link
            spec = plan.spec(gate=self.gate(where, located), **self.asked(where, located))
            action = self.approval_name(where, job, located)
        made = _Job(key, action, kind, needs, held, spec)
        made.manual_branch, made.skips_pull_requests = manual_branch, skips
        return made

    @staticmethod
    def action_name(where, key: str, job: dict) -> str:
        from pipec.targets.github.read.matrix import action_of

        name = job.get("name")
        if isinstance(name, str) and " / " in name:
            return action_of(name.split(" / ", 1)[1])
        return key

    def approval_name(self, where, job: dict, located) -> str:
        if not any(role == "approved" for _, role, _ in located):  # after a request job: its name
            action = self.action_name(where, str(where.job), job)
        else:
            at, _, step = _only(where, located, "approved")
            action = (step.get("env") or {}).get("ACTION")
            if not isinstance(action, str):
                _fail(at, "the approval step names no ACTION")
        env = job.get("environment")
        if not (isinstance(env, dict) and env.get("name")) and not isinstance(env, str):
            _fail(where, "an approval job waits in an environment, and this job has none")
        return action

    @staticmethod
    def asked(where, located) -> dict:
        """The message and link an approval job without a request job records (its "Approved"
        step's MESSAGE and URL), as the request job's would be read; nothing after a request job."""
        if not any(role == "approved" for _, role, _ in located):
            return {}
        at, _, step = _only(where, located, "approved")
        env = step.get("env") or {}
        if not {"MESSAGE", "URL"} & set(env):
            return {}
        return {"message": _unliteral(at, env.get("MESSAGE", ""), "the message") or None,
                "url": _unliteral(at, env.get("URL", ""), "the URL") or None}

    @staticmethod
    def condition(where, cond) -> tuple[bool, str | None, bool]:
        """A job's ``if:`` as (held, manual branch, skipped on pull requests): the parts the
        emitter joins with ``&&`` (targets/github/guards.py ``all_of``) are ``vars.NAME == 'true'``
        (a disabled transition, W510), the branch guard of runs started by hand, and ``github.
        event_name != 'pull_request'``; nothing else is read."""
        if cond is None:
            return False, None, False
        text = str(cond).strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2].strip()
        held, branch, skips = False, None, False
        for part in _conjuncts(text):
            m = re.fullmatch(r"github\.event_name != 'workflow_dispatch' \|\| github\.ref == "
                             r"'refs/heads/((?:[^']|'')+)'", part)
            if re.fullmatch(r"vars\.[A-Za-z_][A-Za-z0-9_]* == 'true'", part) and not held:
                held = True
            elif m and branch is None:
                branch = m.group(1).replace("''", "'")
            elif part == "github.event_name != 'pull_request'" and not skips:
                skips = True
            else:
                _fail(where, f"job condition {cond!r} is not one pipec writes (a repository variable == 'true' "
                             "for a disabled transition, the branch guard of runs started by hand, or no "
                             "pull-request runs, joined with &&)")
        return held, branch, skips

    def gate(self, where, located) -> str:
        """``closed`` when the approval's job checks, before it says "Approved", that its
        environment has required reviewers (a job in an environment without them would pass at
        once); ``open`` otherwise."""
        for at, role, step in located:
            if role == "approved":
                return "open"
            if role == "protection" and "reviewers" in str((step.get("env") or {}).get("REQUIRE", "")).split():
                return "closed"
        return "open"

    @staticmethod
    def text_of(where, step):
        """The step with its name and script as the user wrote them: the emitter writes every
        ``${{`` there as a literal (targets/escape.py), which this undoes."""
        if not isinstance(step, dict):
            return step
        return {**step, **{k: _unliteral(where, step[k], f"the step's {k}") for k in ("name", "run")
                           if isinstance(step.get(k), str)}}

    def role(self, where, step) -> str:
        """What a step is, from its action or, for a script, its name and the command it runs."""
        if not isinstance(step, dict):
            _fail(where, "a step is a mapping")
        for key in ("with", "env"):
            if key in step and not isinstance(step[key], dict):
                _fail(where, f"'{key}' must be a mapping")
        uses, run = step.get("uses"), step.get("run")
        if (uses is None) == (run is None):
            _fail(where, "a step has either 'uses' or 'run'")
        name = step.get("name")
        if uses is not None:
            action = _action_of(str(uses))
            if action == "actions/upload-artifact":
                if isinstance(name, str) and name.startswith("Upload report "):
                    return "upload-report"
                if isinstance(name, str) and name.startswith("Upload artifact "):
                    return "upload-artifact"
                _fail(where, "an upload-artifact step must be named 'Upload artifact NAME' (after its "
                             "'Collect artifact NAME' step) or 'Upload report NAME'")
            if action == "actions/checkout" and isinstance(step.get("with"), dict) \
                    and step["with"].get("sparse-checkout") == PHASES_FILE:
                if step["with"] != {"persist-credentials": False, "sparse-checkout": PHASES_FILE,
                                    "sparse-checkout-cone-mode": False, "path": CHECKOUT_PATH}:
                    _fail(where, f"the checkout of {PHASES_FILE} is a sparse checkout into {CHECKOUT_PATH}, nothing more")
                return "phase-rules"
            if action == "actions/checkout" and isinstance(step.get("with"), dict) \
                    and "sparse-checkout" in step["with"]:
                return "checkout-appspec"
            if action in USES_STEPS:
                return USES_STEPS[action]
            _fail(where, f"action '{action}' is not one pipec maps")
        if not isinstance(run, str):
            _fail(where, f"'run' must be a script, not {run!r}")
        if isinstance(name, str) and name.startswith(STEP_NAME) and step.get("shell", PHASE_SHELL) == PHASE_SHELL:
            return "phases"
        if name is None and COMMAND_ID.fullmatch(str(step.get("id"))):
            return "command"
        for pattern, role, command in RUN_STEPS:
            if isinstance(name, str) and re.fullmatch(pattern, name):
                if command not in run:
                    _fail(where, f"a '{name}' step whose script does not run {command!r} is not one pipec writes")
                return role
        first = run.strip().split("\n", 1)[0]
        _fail(where, f"a script step pipec does not recognise (name {name!r}, script starting {first[:60]!r})")


def _conjuncts(text: str) -> list[str]:
    """``text`` split at each ``&&`` outside quotes and parentheses, each part without the
    parentheses around it."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        c = text[i]
        if c == "'":
            quoted = not quoted
        elif not quoted and c in "()":
            depth += 1 if c == "(" else -1
        elif not quoted and depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i = i + 2
            continue
        i += 1
    parts.append(text[start:])
    out = []
    for p in (p.strip() for p in parts):
        if p.startswith("(") and p.endswith(")"):
            p = p[1:-1].strip()
        out.append(p)
    return out
