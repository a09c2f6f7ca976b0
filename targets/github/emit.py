"""The GitHub Actions target: the same pipeline as one workflow, plus what it needs on AWS.

From the validated model this emits (paths relative to the output directory)::

    .github/workflows/<workflow>.yml          the workflow (copy or build it to the repository root)
    github/<pipeline>.template.yaml           AWS side: OIDC provider, one role per job that
                                              uses AWS, CodeDeploy, revision bucket, SNS, CodeBuild
    github/<pipeline>/appspec/<action>.yml    one per CodeDeploy deployment
    github/<pipeline>/buildspec/<action>.yml  one per job run in CodeBuild (``run_in_codebuild``)
    github/<pipeline>/environments/<env>.json the REST API body of each environment
    github/<pipeline>/environments/apply.sh   applies them with ``gh api`` (reviewers, timers, branches)

The mapping is documented in docs/targets.md ("GitHub Actions") as a table next to CodePipeline.
In short: each action is a job; ``needs`` reproduces the stage and run-order sequence; a build's
phases are steps whose ``if:`` conditions follow CodeBuild's phase transitions; artifacts are
staged with CodeBuild's file rules and uploaded under the same names; deployments go through the
same CodeDeploy configurations with the same alarms; approvals are jobs in environments.

Secure by default: ``permissions: {}`` at the top and the least each job needs; every ``uses:``
pinned to a full commit SHA from :data:`PINS` (``actions.json``, with where each SHA was
confirmed); no expression inside ``run:`` (values reach scripts through ``env:``); checkouts
keep no credentials; AWS is reached through OIDC roles trusted only for this repository and the
job's environment or triggering refs.

Where GitHub cannot do what CodePipeline does, the build stops with an error (E408-E410) or
goes on with a warning that says exactly what differs (W507-W515); docs/diagnostics.md explains
each code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

import attrs

from troposphere import GetAtt, Output, Ref, Sub, iam
from troposphere import codebuild as cb

from pipec import model, yamlout
from pipec.diagnostics import ERROR, WARNING, Diagnostic, Diagnostics
from pipec.targets.aws import emit as aws
from pipec.targets.aws import appspec
from pipec.targets.aws import security as aws_security
from pipec.targets.aws import buildspec
from pipec.targets.github import account as github_shared
from pipec.targets.github import patterns as gp
from pipec.targets.escape import GITHUB_ENV_DELIMITER, LITERAL_PATHS_DIRECTIVE, expression_string, expression_text, shell_word

#: the pin table shipped with the package
PINS_PATH = Path(__file__).resolve().parent / "actions.json"
DEFAULT_RUNNER = "ubuntu-24.04"
DEFAULT_REGION = "us-east-1"
OIDC_HOST = "token.actions.githubusercontent.com"
#: the shell every phase step runs in: bash without -e, so that each command is checked the way
#: CodeBuild checks it (see _script); no -o pipefail either, like CodeBuild's shell
SHELL = "bash --noprofile --norc {0}"
#: pipec runtime -> (action, input that takes the version, extra inputs)
RUNTIME_ACTIONS = {
    # no implicit package-manager cache: caching is explicit in pipec, as on CodeBuild
    "nodejs": ("actions/setup-node", "node-version", {"package-manager-cache": False}),
    "python": ("actions/setup-python", "python-version", {}),
    "java": ("actions/setup-java", "java-version", {"distribution": "corretto"}),
    "golang": ("actions/setup-go", "go-version", {"cache": False}),  # setup-go caches unless told not to
    "dotnet": ("actions/setup-dotnet", "dotnet-version", {}),
    "ruby": ("ruby/setup-ruby", "ruby-version", {}),
    "php": ("shivammathur/setup-php", "php-version", {}),
}
PR_TYPES = {"opened": "opened", "updated": "synchronize", "closed": "closed"}
#: the commit a run builds: a pull request's head (its source branch, as on CodePipeline), else
#: the pushed commit
HEAD_COMMIT = "${{ github.event.pull_request.head.sha || github.sha }}"
CAPABILITIES = {"iam": "CAPABILITY_IAM", "named-iam": "CAPABILITY_NAMED_IAM",
                "auto-expand": "CAPABILITY_AUTO_EXPAND"}
#: what restores the shell of the earlier phases: CodeBuild runs every command of every phase in
#: one shell, so a `cd` or an `export` carries on; GitHub starts a new shell per step
PHASE_SHELL = "$RUNNER_TEMP/pipec-phase.sh"
PHASE_SHELL_TEXT = "\n".join([
    "# sourced by each phase step: restore the shell the previous phase left (working directory and",
    "# variables), save this one when the step ends, and stop at the first failing command",
    'if [ -f "$RUNNER_TEMP/pipec-shell-state" ]; then . "$RUNNER_TEMP/pipec-shell-state"; fi',
    "pipec_save() {",
    "  local __pipec_n __pipec_d",
    "  for __pipec_n in $(compgen -v); do",
    "    case $__pipec_n in",
    "      BASH*|GITHUB_*|RUNNER_*|ACTIONS_*|INPUT_*|__pipec_*|HOME|PWD|OLDPWD|SHLVL|_|PPID|UID|EUID|GROUPS) continue ;;",
    "      CODEBUILD_BUILD_SUCCEEDING) continue ;;  # each step sets its own",
    "      RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|FUNCNAME|PIPESTATUS|SHELLOPTS|OPTIND|OPTARG|OPTERR) continue ;;",
    "      DIRSTACK|EPOCHREALTIME|EPOCHSECONDS|COLUMNS|LINES|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|IFS|PS[0-9]) continue ;;",
    "    esac",
    '    __pipec_d=$(declare -p "$__pipec_n" 2>/dev/null) || continue',
    "    if [[ $__pipec_d =~ ^declare\\ -[a-zA-Z]*r ]]; then continue; fi  # read-only",
    "    printf '%s\\n' \"$__pipec_d\"",
    '  done > "$RUNNER_TEMP/pipec-shell-state"',
    '  printf \'cd %q\\n\' "$PWD" >> "$RUNNER_TEMP/pipec-shell-state"',
    "}",
    "trap pipec_save EXIT",
    "pipec_check() {  # after each command, as CodeBuild checks each command's exit status",
    "  local __pipec_rc=$?",
    '  if [ "$__pipec_rc" -ne 0 ]; then exit "$__pipec_rc"; fi',
    "}",
])


@functools.lru_cache(maxsize=1)
def pins() -> dict[str, dict]:
    """action -> {version, sha, runs, confirmed}: the table in ``actions.json``."""
    with open(PINS_PATH, encoding="utf-8") as fh:
        return json.load(fh)["actions"]


def uses(action: str) -> str:
    """``owner/name@SHA`` for ``action`` (a sub-action such as ``actions/cache/save`` is pinned
    with its repository's SHA); the ``# vX.Y.Z`` comment is added when the file is written."""
    repo = "/".join(action.split("/")[:2])
    return f"{action}@{pins()[repo]['sha']}"


def _comment_pins(text: str) -> str:
    by_sha = {row["sha"]: row["version"] for row in pins().values()}

    def add(m):
        return f"{m.group(1)}{m.group(2)} # {by_sha[m.group(2)]}"

    return re.sub(r"^(\s*(?:- )?uses: \S+@)([0-9a-f]{40})$", add, text, flags=re.M)


STEP_KEYS = ("name", "id", "if", "uses", "with", "env", "shell", "run", "continue-on-error")
PERMISSION_COMMENTS = {
    "contents: read": "check out the repository",
    "id-token: write": "assume this job's AWS role through OIDC",
}


def _ordered_step(step: dict) -> dict:
    out = {k: step[k] for k in STEP_KEYS if k in step}
    out.update({k: v for k, v in step.items() if k not in out})
    return out


def _comment_permissions(text: str) -> str:
    def add(m):
        return f"{m.group(0)}  # {PERMISSION_COMMENTS[m.group(1).strip()]}"

    return re.sub(r"^\s+(contents: read|id-token: write)$", add, text, flags=re.M)


def job_id(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"


def env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


class _Workflow:
    def __init__(self, p: model.Pipeline, ctx):
        self.p = p
        self.ctx = ctx
        self.problems: list[Diagnostic] = []
        self.notes: list[Diagnostic] = []
        self.stages = [s for s in p.stages if s.platform in (None, "github")]
        git_hub = [s for s in p.sources if s.provider == "github"]
        self.repo = p.github.first("repository") or (git_hub[0].repository if git_hub else None)
        self.repo_source = next((s for s in git_hub if s.repository == self.repo), None)
        self.region = p.github.first("aws_region", DEFAULT_REGION)
        provider = p.github.first("oidc_provider")
        account = provider.split(":")[4] if provider and provider.count(":") >= 5 else ""
        self.account = account or "${{ vars.AWS_ACCOUNT_ID }}"
        self.runs_on = list(p.github.get("runs_on") or (DEFAULT_RUNNER,))
        self.workflow = p.github.first("workflow") or p.name
        self.on_pull_requests = self.repo_source is not None and any(
            isinstance(t, model.PullRequestTrigger) and t.platform in (None, "github")
            for t in self.repo_source.triggers)
        self.jobs: dict[str, dict] = {}
        self.files: dict[str, str] = {}
        self.roles: dict[str, dict] = {}          # job id -> {"statements": [...], "subjects": [...]}
        self.environments: dict[str, dict] = {}   # name -> settings for the setup file
        self.aws_side = None                      # the companion template builder, made on first use
        self.producers: dict[str, model.Build] = {}
        self.out_specs: dict[str, model.OutputArtifact] = {}
        for st in self.stages:
            for act in st.actions:
                for out in getattr(act, "outputs", ()):
                    if isinstance(out, model.OutputArtifact):
                        self.producers[out.name] = act
                        self.out_specs[out.name] = out

    # ------------------------------------------------------------------ diagnostics
    def error(self, code: str, node, message: str, help: str):
        self.problems.append(Diagnostic(code, ERROR, message, getattr(node, "span", None), help=help,
                                        file=self.p.filename))

    def warn(self, code: str, node, message: str, help: str):
        self.notes.append(Diagnostic(code, WARNING, message, getattr(node, "span", None), help=help,
                                     file=self.p.filename))

    # ------------------------------------------------------------------ AWS side
    def aws(self):
        """The companion template: an AWS-target builder reused for CodeDeploy, CodeArtifact,
        CodeBuild and IAM helpers, with its own template and names ending in -github."""
        if self.aws_side is None:


            # the revision bucket is the workflow's own, whatever the pipeline's artifact store is
            gh = attrs.evolve(self.p, name=f"{self.p.name}-github", artifact_store=model.ArtifactStore())
            b = aws._Builder(gh, self.ctx)
            # names written in the .pipe file get "-github", as the names pipec makes get it from
            # the pipeline's name: the AWS target's template may live in the same account
            b.name_suffix = "-github"
            b.ca_arns_by_name = True
            b.t.set_description(f"{self.p.name}: what the GitHub Actions workflow {self.workflow} needs on AWS. "
                                f"Generated by pipec from {self.ctx.source}; do not edit.")
            b.t.set_metadata({"pipec": {"source": self.ctx.source, "pipeline": self.p.name,
                                        "workflow": self.workflow}})
            self.aws_side = b
        return self.aws_side

    def role_name(self, job: str) -> str:
        name = f"{self.p.name}-gh-{job}"
        if len(name) > 64:
            digest = hashlib.sha256(name.encode()).hexdigest()[:8]
            name = f"{name[:55]}-{digest}"
        return name

    def role_arn(self, job: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.role_name(job)}"

    def grant(self, job: str, statements: list[dict]):
        self.roles.setdefault(job, {"statements": []})["statements"].extend(statements)

    def credentials(self, job: str) -> dict:
        return {"name": "AWS credentials (OIDC)", "uses": uses("aws-actions/configure-aws-credentials"),
                "with": {"role-to-assume": self.role_arn(job), "aws-region": self.region,
                         "role-session-name": f"{job[:40]}-${{{{ github.run_id }}}}"}}

    def revisions_bucket(self) -> str:
        """Name of the bucket that holds deployment revisions and large templates."""
        return f"{self.account}-{self.region}-{_bucket_stem(self.p.name)}-gh"

    # ------------------------------------------------------------------ triggers
    def triggers(self) -> dict:
        on: dict = {}
        push_branch, push_tag, prs, schedules = [], [], [], []
        manual = False
        for src in self.p.sources:
            for t in src.triggers:
                if t.platform not in (None, "github"):
                    continue
                if src is not self.repo_source and t.platform is None \
                        and self.p.is_hybrid and not self.read_on_github(src):
                    continue  # in a hybrid pipeline, a source only CodePipeline stages read is theirs
                if src is not self.repo_source:
                    what = (f"another repository ({src.repository})" if src.provider == "github" else
                            f"{'an' if src.provider == 's3' else 'a'} {src.provider} source")
                    self.error("E408", t if t.span else src,
                               f"source '{src.name}' cannot start the GitHub Actions workflow: it is {what}",
                               f"A workflow in {self.repo or 'this repository'} starts only on events of its own "
                               "repository. Add 'via aws' to this trigger (an 'on push via aws' line if the "
                               "source has none) so that only CodePipeline watches it.")
                    continue
                if isinstance(t, model.ManualTrigger):
                    manual = True
                elif isinstance(t, model.ScheduleTrigger):
                    schedules.append((src, t))
                elif isinstance(t, model.PushTrigger):
                    if t.tags is None and t.branches is None:  # the source's own branch


                        t = attrs.evolve(t, branches=model.Filter(includes=(src.branch,)))
                    (push_tag if t.tags is not None else push_branch).append(t)
                else:
                    prs.append(t)

        def patterns(node, f: model.Filter | None, default: str | None = None):
            if f is None:
                return [gp.escape_literal(default)] if default else None
            try:
                return gp.translate(f.includes, f.excludes)
            except gp.Untranslatable as exc:
                self.error("E409", node, f"pattern '{exc.pattern}' has no faithful GitHub Actions equivalent: "
                           f"{exc.reason}", exc.hint)
                return None

        def merge(items, kind):
            """GitHub has one ``on.push`` and one ``on.pull_request``: several pipec triggers of a
            kind merge only when the result selects exactly the same events."""
            if len(items) <= 1:
                return items[0] if items else None
            first = items[0]
            for other in items[1:]:
                if kind == "pr":
                    same = (other.branches, other.paths) == (first.branches, first.paths)
                else:  # branch pushes: the same paths and branch excludes, so includes can add up
                    same = (other.tags is None and first.tags is None and other.paths == first.paths
                            and other.branches.excludes == first.branches.excludes) or (
                        other.tags is not None and first.tags is not None
                        and other.tags.excludes == first.tags.excludes)
                if not same:
                    self.error("E409", other, f"GitHub Actions has one '{'pull_request' if kind == 'pr' else 'push'}' "
                               "filter per workflow, and this trigger's filters differ from the first one's",
                               "On GitHub, the branch, tag and path filters of one event type apply together. "
                               "Merge the two lines into one, or bind one of them to CodePipeline with 'via aws'.")
                    return None


            if kind == "pr":
                return attrs.evolve(first, events=tuple(sorted({e for t in items for e in t.events})))
            field = "tags" if first.tags is not None else "branches"
            includes = tuple(dict.fromkeys(p for t in items for p in getattr(t, field).includes))
            merged = attrs.evolve(getattr(first, field), includes=includes)
            return attrs.evolve(first, **{field: merged})

        branch = merge(push_branch, "push")
        tag = merge(push_tag, "push")
        pr = merge(prs, "pr")
        if branch is not None or tag is not None:
            push: dict = {}
            if branch is not None:
                got = patterns(branch, branch.branches)
                if got is not None:
                    push["branches"] = got
            if tag is not None:
                got = patterns(tag, tag.tags)
                if got is not None:
                    push["tags"] = got
            if branch is not None and branch.paths is not None:
                got = patterns(branch, branch.paths)
                if got is not None:
                    push["paths"] = got
                self.paths_warning(branch, "A push")
            on["push"] = push
        if pr is not None:
            body: dict = {"types": [PR_TYPES[e] for e in ("opened", "updated", "closed") if e in pr.events]}
            got = patterns(pr, pr.branches)
            if got is not None and got != ["**"]:
                body["branches"] = got
            if pr.paths is not None:
                got = patterns(pr, pr.paths)
                if got is not None:
                    body["paths"] = got
                self.paths_warning(pr, "A pull request")
            if "closed" in pr.events:
                self.warn("W511", pr, "'closed' differs between the platforms",
                          "GitHub's pull_request 'closed' fires for merged and unmerged closes alike; CodePipeline "
                          "documents its CLOSED event as 'closed (merged)'. Check github.event.pull_request.merged "
                          "in the commands if only merges should count.")
            on["pull_request"] = body
        if schedules:
            on["schedule"] = [{"cron": t.cron} for _, t in schedules]
            for src, t in schedules:
                self.schedule_warning(src, t)
        if not (push_branch or push_tag or prs or schedules):
            manual = True  # a workflow needs an event: with none, it is started by hand
        self.dispatch_inputs = manual and bool(self.p.variables)
        if manual:
            dispatch: dict = {}
            if self.p.variables:
                dispatch["inputs"] = {
                    v.name: {**({"description": v.description} if v.description else {}),
                             "type": "string", "required": False, "default": v.default}
                    for v in self.p.variables}
            on["workflow_dispatch"] = dispatch or None
        return on

    def schedule_warning(self, src: model.Source, t: model.ScheduleTrigger):
        both = t.platform is None
        self.warn("W515", t, f"GitHub runs the schedule '{t.cron}' on the default branch, and may delay or drop runs",
                  "A scheduled workflow runs on the latest commit of the repository's default branch"
                  + (f", where CodePipeline builds branch '{src.branch}'" if both else "")
                  + f"; the jobs' AWS roles trust branch '{src.branch}', so make it the default branch. GitHub "
                  "may also delay scheduled runs under load (most at the start of an hour) or drop them, and "
                  "disables schedules in public repositories after 60 days without activity"
                  + (", while EventBridge starts CodePipeline on time." if both else "."))

    def paths_warning(self, trigger, what: str):
        self.warn("W509", trigger, "GitHub evaluates path filters on the first 300 changed files only",
                  f"{what} that changes more than 300 files may not start the workflow on GitHub when the "
                  "matching files are not among the first 300; CodePipeline has no such limit.")

    def read_on_github(self, src: model.Source) -> bool:
        return any(src.name in getattr(a, "inputs", ()) for st in self.stages for a in st.actions)

    def trust_subjects(self, job: dict) -> list[str]:
        """The OIDC ``sub`` claims a job's role trusts: its environment when it has one, else the
        refs and events that start the workflow (docs/targets.md, "OIDC")."""
        repo = self.repo
        env = job.get("environment")
        if env:
            name = env["name"] if isinstance(env, dict) else env
            return [f"repo:{repo}:environment:{name}"]
        subjects = []
        for src in [self.repo_source] if self.repo_source else []:
            for t in src.triggers:
                if t.platform not in (None, "github"):
                    continue
                if isinstance(t, model.PullRequestTrigger):
                    subjects.append(f"repo:{repo}:pull_request")
                elif isinstance(t, model.PushTrigger) and t.tags is not None:
                    subjects.extend(f"repo:{repo}:ref:refs/tags/{_iam_glob(p)}" for p in t.tags.includes or ("**",))
                elif isinstance(t, model.PushTrigger) and t.branches is not None:
                    subjects.extend(f"repo:{repo}:ref:refs/heads/{_iam_glob(p)}" for p in t.branches.includes or ("**",))
                else:
                    subjects.append(f"repo:{repo}:ref:refs/heads/{src.branch}")
        return sorted(set(subjects))

    # ------------------------------------------------------------------ job skeleton
    def job(self, act, needs: list[str], stage: model.Stage, first_in_stage: bool) -> dict:
        job: dict = {"name": f"{stage.name} / {act.name}"}
        if needs:
            job["needs"] = list(needs)
        if first_in_stage and stage.disabled_reason:
            var = f"PIPEC_{env_name(self.p.name)}_{env_name(stage.name)}_ENABLED"
            job["if"] = f"vars.{var} == 'true'"
            self.warn("W510", stage, f"the transition into stage '{stage.name}' is disabled: on GitHub the stage's "
                      f"jobs are skipped until the repository variable {var} is 'true'",
                      "CodePipeline holds a run at a disabled transition and lets the newest one through when "
                      "the transition is enabled; GitHub skips the jobs (and everything after them) in runs "
                      f"started while {var} is not 'true'. Set it with: gh variable set {var} --body true")
        runs_on = act.github.get("runs_on") if act.github.has("runs_on") else None
        job["runs-on"] = _one(list(runs_on) if runs_on else self.runs_on)
        job["permissions"] = {}
        if self.p.mode != "parallel":
            job["concurrency"] = {"group": f"{self.workflow}-{job_id(act.name)}", "cancel-in-progress": False}
        return job

    # ------------------------------------------------------------------ inputs
    def checkout(self, src: model.Source, path: str | None) -> dict:
        step = {"name": f"Check out {src.name}", "uses": uses("actions/checkout"),
                "with": {"persist-credentials": False}}
        if src is not self.repo_source:
            step["with"] = {"repository": src.repository, "ref": src.branch, "persist-credentials": False}
        elif self.on_pull_requests:
            # CodePipeline runs a pull request's source-branch commit; GitHub would check out the
            # merge of the pull request into its target branch
            step["with"] = {"ref": HEAD_COMMIT, "persist-credentials": False}
        if src.full_clone:
            step["with"]["fetch-depth"] = 0
        if path:
            step["with"]["path"] = path
        return step

    def input_steps(self, act, jid: str, job: dict) -> tuple[list[dict], dict]:
        """Steps that put each input where CodeBuild would: the first in the working directory,
        every other one in its own directory named by CODEBUILD_SRC_DIR_<name>."""
        steps, env = [], {}
        for i, name in enumerate(act.inputs):
            primary = i == 0
            dest = None if primary else f"${{{{ runner.temp }}}}/inputs/{name}"
            src = next((s for s in self.p.sources if s.name == name), None)
            if not primary:
                env[f"CODEBUILD_SRC_DIR_{name}"] = dest
            if src is None:
                step = {"name": f"Download artifact {name}", "uses": uses("actions/download-artifact"),
                        "with": {"name": name}}
                if dest:
                    step["with"]["path"] = dest
                steps.append(step)
                continue
            if src.provider == "github":
                if primary:
                    steps.append(self.checkout(src, None))
                else:
                    steps.append(self.checkout(src, f".pipec-inputs/{name}"))
                    steps.append({"name": f"Move {name} beside the working directory",
                                  "run": f'mkdir -p "$RUNNER_TEMP/inputs" && mv ".pipec-inputs/{name}" '
                                         f'"$RUNNER_TEMP/inputs/{name}" && rmdir .pipec-inputs'})
                job["permissions"]["contents"] = "read"
            elif src.provider == "s3":
                where = "." if primary else f'"$RUNNER_TEMP/inputs/{name}"'
                steps.append({"name": f"Fetch source {name} from S3",
                              "env": {"BUCKET": src.bucket, "KEY": src.object_key},
                              "run": "\n".join([f"mkdir -p {where}",
                                                'aws s3 cp "s3://$BUCKET/$KEY" "$RUNNER_TEMP/source.zip"',
                                                f'unzip -q "$RUNNER_TEMP/source.zip" -d {where}'])})
                self.grant(jid, [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                                  "Resource": [f"arn:aws:s3:::{src.bucket}/{src.object_key}"]}])
            elif src.provider == "codecommit":
                where = "." if primary else f'"$RUNNER_TEMP/inputs/{name}"'
                steps.append({"name": f"Clone {name} from CodeCommit",
                              "env": {"REPOSITORY": src.repository, "BRANCH": src.branch},
                              "run": "git -c credential.helper='!aws codecommit credential-helper $@' "
                                     "-c credential.UseHttpPath=true clone --depth 1 --branch \"$BRANCH\" "
                                     "\"https://git-codecommit.$AWS_REGION.amazonaws.com/v1/repos/$REPOSITORY\" "
                                     f"{where}"})
                self.grant(jid, [{"Effect": "Allow", "Action": "codecommit:GitPull",
                                  "Resource": [self.arn("codecommit", src.repository)]}])
            else:
                self.error("E408", act, f"'{act.name}' reads source '{name}', which GitHub Actions cannot fetch",
                           f"A {src.provider} source reaches CodePipeline through a CodeConnections connection, "
                           "which only AWS services can use. Bind this stage to CodePipeline with 'via aws', or "
                           "move the files into the GitHub repository.")
        return steps, env

    def needs_aws_for_inputs(self, act) -> bool:
        return any(s.name in act.inputs and s.provider in ("s3", "codecommit") for s in self.p.sources)

    # ------------------------------------------------------------------ build and test
    def build_job(self, b: model.Build, job: dict) -> dict:
        jid = job_id(b.name)
        if b.github.has("run_in_codebuild"):
            return self.codebuild_job(b, job)
        if b.github.first("environment"):
            job["environment"] = b.github.first("environment")
            self.environments.setdefault(job["environment"], {})
        steps: list[dict] = []
        image = b.image
        if image.kind == "docker":
            job["container"] = {"image": image.ref}
            if "@sha256:" not in image.ref:
                self.warn("W514", b, f"'{b.name}' runs in an image given by tag, not by digest",
                          "A tag can be moved to another image at any time, on both platforms; zizmor reports "
                          "it for GitHub (unpinned-images). Write the image as NAME@sha256:DIGEST.")
        elif image.kind == "ecr":
            self.error("E410", b, f"'{b.name}' runs in a private ECR image, which a GitHub job cannot pull "
                       "without passing a registry password between jobs",
                       "Use a public image ('image docker \"public.ecr.aws/...\"') or bind this stage to "
                       "CodePipeline with 'via aws'.")
        elif image.kind != "ubuntu":
            what = f"'{image.ref}'" if image.kind == "codebuild" else "Amazon Linux"
            self.warn("W513", b, f"GitHub-hosted runners have no {what} image: '{b.name}' runs on "
                      f"{_one(job['runs-on']) if isinstance(job['runs-on'], str) else job['runs-on'][0]}",
                      "Tools that the CodeBuild image has and the runner lacks (or that differ, such as yum/dnf) "
                      "must be installed by the commands, or give a container image with 'image docker'.")
        input_steps, input_env = self.input_steps(b, jid, job)
        steps.extend(input_steps)
        uses_aws = bool(b.codeartifact) or any(s.github_secret is None for s in b.secrets) \
            or self.needs_aws_for_inputs(b) or bool(b.grants)
        if b.grants:  # kept as written: an IAM policy variable (${aws:username}) must not become a Sub
            self.grant(jid, [dict(st, Resource=[r.replace("${", "${!") for r in st["Resource"]])
                             for st in aws.grant_statements(b)])
        if uses_aws:
            job["permissions"]["id-token"] = "write"
            steps.insert(0, self.credentials(jid))
        for runtime, version in b.runtimes:
            if runtime not in RUNTIME_ACTIONS:
                self.error("E410", b, f"runtime '{runtime}' has no set-up action on GitHub Actions",
                           "Install it in the install phase (the runner image has the Android SDK), or bind this "
                           "stage to CodePipeline with 'via aws'.")
                continue
            action, key, extra = RUNTIME_ACTIONS[runtime]
            version = re.sub(r"^[a-z]+", "", version) if runtime == "java" else version
            steps.append({"name": f"Set up {runtime} {version}", "uses": uses(action),
                          "with": {**extra, key: str(version)}})
        env: dict = {}
        for v in self.p.variables:
            # the input when the run was started by hand with one; a workflow without
            # workflow_dispatch has no inputs, and its runs use the default, as CodePipeline's
            # runs started by a push or a schedule do
            env[v.name] = (f"${{{{ inputs.{v.name} || {expression_string(v.default)} }}}}" if self.dispatch_inputs
                           else expression_text(v.default))
        for e in b.env:
            env[e.name] = expression_text(str(e.value))
        for s in b.secrets:
            if s.github_secret:
                env[s.name] = f"${{{{ secrets.{s.github_secret} }}}}"
        fetched = [s for s in b.secrets if s.github_secret is None]
        if fetched:
            steps.append(self.secret_step(jid, fetched))
        for login in b.codeartifact:
            self.grant(jid, self.codeartifact_statements(login))
        if b.cache:
            steps.append({"name": "Restore cache", "id": "cache",
                          "uses": uses("actions/cache/restore"),
                          "with": {"path": "\n".join(expression_text(_cache_path(c)) for c in b.cache),
                                   "key": f"pipec-{jid}-${{{{ runner.os }}}}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}",
                                   "restore-keys": f"pipec-{jid}-${{{{ runner.os }}}}-"}})
        steps.extend(self.phase_steps(b, input_env))
        last = self.last_phase_condition(b)
        for out in b.outputs:
            steps.extend(self.upload_steps(b, out, last))
        for rep in b.reports:
            steps.append({"name": f"Upload report {rep.name}", "if": "${{ !cancelled() }}",
                          "uses": uses("actions/upload-artifact"),
                          "with": {"name": f"{b.name}-report-{rep.name}",
                                   "path": "\n".join(expression_text(_under(rep.base, f)) for f in rep.files),
                                   "if-no-files-found": "warn", "include-hidden-files": True}})
        fail = [st for st in steps if st["name"].startswith("Fail the job")]
        steps = [st for st in steps if st not in fail] + fail
        if b.cache:
            # saved when the job succeeds, as actions/cache does by default (whether CodeBuild
            # saves after a failed build is not documented: docs/research/codebuild-vs-actions.md)
            steps.append({"name": "Save cache",
                          "uses": uses("actions/cache/save"),
                          "with": {"path": "\n".join(expression_text(_cache_path(c)) for c in b.cache),
                                   "key": "${{ steps.cache.outputs.cache-primary-key }}"}})
        job["timeout-minutes"] = b.timeout_minutes
        if env:
            job["env"] = env
        job["steps"] = steps
        return job

    def secret_step(self, jid: str, secrets) -> dict:
        """Fetch each secret through the job's role, mask it, and hand it to later steps."""
        lines, env = [], {}
        statements = []
        for s in secrets:
            var = f"PIPEC_REF_{s.name}"
            env[var] = expression_text(s.ref)
            if s.store == "ssm":
                lines.append(f'value=$(aws ssm get-parameter --with-decryption --name "${var}" '
                             "--query Parameter.Value --output text)")
                statements.append({"Effect": "Allow", "Action": "ssm:GetParameter",
                                   "Resource": [aws._parameter_arn(s.ref)]})
            else:
                secret_id, key, stage, version = secret_reference(s.ref)
                env[var] = expression_text(secret_id)
                extra = (f" --version-stage {shell_word(stage)}" if stage else "") + (
                    f" --version-id {shell_word(version)}" if version else "")
                fetch = (f'aws secretsmanager get-secret-value --secret-id "${var}"{extra} '
                         "--query SecretString --output text")
                if key:
                    fetch += f" | jq -r {shell_word('.' + json.dumps(key))}"
                lines.append(f"value=$({fetch})")
                statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                   "Resource": [aws._secret_arn(s.ref)]})
            lines.append('while IFS= read -r line; do echo "::add-mask::$line"; done <<< "$value"')
            lines.append(f'{{ echo "{s.name}<<$eof"; printf \'%s\\n\' "$value"; echo "$eof"; }} >> "$GITHUB_ENV"')
        self.grant(jid, statements)
        return {"name": "Fetch secrets", "env": env, "run": "\n".join(["set -euo pipefail", GITHUB_ENV_DELIMITER, *lines])}

    def codeartifact_statements(self, login) -> list[dict]:
        b = self.aws()
        domain_arn, repo_arn = b.codeartifact(login)
        return [
            {"Effect": "Allow", "Action": "codeartifact:GetAuthorizationToken", "Resource": [domain_arn]},
            {"Effect": "Allow", "Action": ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
             "Resource": [repo_arn]},
            {"Effect": "Allow", "Action": "sts:GetServiceBearerToken", "Resource": ["*"],
             "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}},
        ]

    def phase_steps(self, b: model.Build, input_env: dict) -> list[dict]:
        """The four phases as steps, with CodeBuild's transitions (docs/targets.md, "Phases"):
        install and pre_build run only while everything before them succeeded; build likewise;
        post_build also runs after a failed build; each ``finally`` runs whenever its phase ran;
        a phase with ``on_failure continue`` lets the next phases run and still fails the job."""
        by_name = {p.name: p for p in b.phases}
        steps: list[dict] = [{"name": "Prepare a CodeBuild-style shell (one shell for all phases)",
                              "run": f"cat > \"{PHASE_SHELL}\" <<'PIPEC_EOF'\n{PHASE_SHELL_TEXT}\nPIPEC_EOF"}]
        env = dict(input_env)
        ran: list[str] = []
        done: list[str] = []          # ids of the phase and finally steps so far
        continued: list[str] = []
        logins = [buildspec.codeartifact_login(login) for login in b.codeartifact]
        for name in model.PHASE_ORDER:
            phase = by_name.get(name)
            commands = [c.text for c in phase.commands] if phase else []
            if name == "install":
                commands = logins + commands
            if not commands and not (phase and phase.finally_commands):
                continue
            step: dict = {"name": name, "id": name}
            cond = self.phase_condition(name, ran, continued, done)
            if cond:
                step["if"] = cond
            step_env = dict(env)
            step_env["CODEBUILD_BUILD_SUCCEEDING"] = _succeeding(done)
            step["env"] = step_env
            step["shell"] = SHELL
            step["run"] = _script(commands)
            if phase and phase.on_failure == "continue":
                step["continue-on-error"] = True
                continued.append(name)
            steps.append(step)
            done.append(name)
            if phase and phase.finally_commands:
                fin = {"name": f"{name} (finally)", "id": f"{name}_finally",
                       "if": f"${{{{ !cancelled() && steps.{name}.outcome != 'skipped' }}}}",
                       "env": {**env, "CODEBUILD_BUILD_SUCCEEDING": _succeeding(done)},
                       "shell": SHELL, "run": _script([c.text for c in phase.finally_commands])}
                steps.append(fin)
                done.append(f"{name}_finally")
            ran.append(name)
        if continued:  # last of the job's steps (build_job moves it there)
            steps.append({"name": "Fail the job if a phase failed (on_failure continue)",
                          "if": "${{ " + " || ".join(f"steps.{n}.outcome == 'failure'" for n in continued) + " }}",
                          "run": "echo 'A phase with on_failure continue failed: the build fails, as on CodeBuild.'"
                                 "\nexit 1"})
        return steps

    def phase_condition(self, name: str, ran: list[str], continued: list[str],
                        done: list[str] = ()) -> str | None:
        if name != "post_build" or "build" not in ran:
            if continued and any(c in ran for c in continued):
                # after a continued phase the job is still 'successful' to GitHub: run as CodeBuild
                # would, which stops at a failed phase or finally that was not continued
                blocking = [d for d in done if d.removesuffix("_finally") not in continued]
                parts = ["!cancelled()"] + [f"steps.{r}.outcome == 'success'" for r in blocking]
                parts += [f"steps.{c}.outcome != 'skipped'" for c in continued]
                return "${{ " + " && ".join(parts) + " }}"
            return None
        # post_build runs after the build phase, failed or not, but not when it never started
        return "${{ !cancelled() && steps.build.outcome != 'skipped' }}"

    def last_phase_condition(self, b: model.Build) -> str | None:
        names = {p.name for p in b.phases}
        if "build" in names:
            # CodeBuild attempts UPLOAD_ARTIFACTS after a failed build phase too
            return "${{ !cancelled() && steps.build.outcome != 'skipped' }}"
        return None

    def upload_steps(self, b: model.Build, out: model.OutputArtifact, cond: str | None) -> list[dict]:
        """Stage the artifact's files with CodeBuild's rules (globs relative to the base directory,
        layout kept unless discard_paths), then upload that folder under the artifact's name."""
        stage_dir = f"$RUNNER_TEMP/artifacts/{out.name}"
        lines = ["set -eu", "shopt -s globstar dotglob nullglob", f'dest="{stage_dir}"', 'mkdir -p "$dest"']
        literal = [LITERAL_PATHS_DIRECTIVE] if any(c in "".join((out.base or "", *out.files)) for c in "$`") else []
        if out.base:
            lines += [*literal, f"cd {shell_word(out.base)}"]
        lines += [*literal, "files=(" + " ".join(_glob_word(f) for f in out.files) + ")"]
        if out.discard_paths:
            lines.append('for f in "${files[@]}"; do if [ -f "$f" ]; then cp -p -- "$f" "$dest/"; fi; done')
        else:
            lines.append('for f in "${files[@]}"; do if [ -f "$f" ]; then mkdir -p "$dest/$(dirname -- "$f")" && '
                         'cp -p -- "$f" "$dest/$f"; fi; done')
        lines.append('if [ -z "$(ls -A "$dest")" ]; then echo "artifact ' + out.name +
                     ': no files matched" >&2; exit 1; fi')
        stage = {"name": f"Collect artifact {out.name}", "run": "\n".join(lines)}
        upload = {"name": f"Upload artifact {out.name}", "uses": uses("actions/upload-artifact"),
                  "with": {"name": out.name, "path": f"${{{{ runner.temp }}}}/artifacts/{out.name}",
                           "if-no-files-found": "error", "include-hidden-files": True}}
        if cond:
            stage["if"] = cond
            upload["if"] = cond
        return [stage, upload]

    def codebuild_job(self, b: model.Build, job: dict) -> dict:
        """``run_in_codebuild``: the job starts the build in a CodeBuild project of the companion
        template (the same buildspec as the AWS target) at the workflow's commit, and waits."""
        jid = job_id(b.name)
        if b.inputs and b.inputs[0] != (self.repo_source.name if self.repo_source else None) or len(b.inputs) > 1:
            self.error("E410", b, f"'{b.name}' runs in CodeBuild from GitHub, which gives it the repository only",
                       "A build started by the workflow reads the repository at the workflow's commit; remove "
                       "'run_in_codebuild' or make the repository its only input.")
        if b.outputs:
            self.error("E410", b, f"'{b.name}' runs in CodeBuild from GitHub and cannot hand artifacts to later jobs",
                       "Remove 'run_in_codebuild', or let it produce no artifact.")
        if any(s.github_secret for s in b.secrets):
            self.error("E410", b, f"'{b.name}' runs in CodeBuild, where a GitHub secret cannot reach it",
                       "CodeBuild reads the secret from Parameter Store or Secrets Manager, as on CodePipeline: "
                       "remove the 'secret ... from github' line, or remove 'run_in_codebuild'.")
        path = self.ctx.path("github", self.p.name, "buildspec", f"{b.name}.yml")
        self.files[f"github/{self.p.name}/buildspec/{b.name}.yml"] = buildspec.render(b, self.ctx.source)
        side = self.aws()
        if b.cache and b.aws.first("cache") == "s3" and side.bucket_ref is None:
            # the S3 cache lives in the companion's own bucket (the revision bucket)
            side.pipec_revisions = True
            side.artifact_store()
        project = side.project(b, path)
        project.Source = cb.Source(Type="GITHUB", Location=f"https://github.com/{self.repo}.git",
                                   BuildSpec=path)
        project.Artifacts = cb.Artifacts(Type="NO_ARTIFACTS")
        name = project.Name
        self.grant(jid, [
            {"Effect": "Allow", "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
             "Resource": [self.arn("codebuild", f"project/{name}")]},
            {"Effect": "Allow", "Action": "logs:GetLogEvents",
             "Resource": [self.arn("logs", f"log-group:/aws/codebuild/{name}:*")]},
        ])
        job["permissions"]["id-token"] = "write"
        job["timeout-minutes"] = b.timeout_minutes + 10
        job["steps"] = [
            self.credentials(jid),
            {"name": f"Run {b.name} in CodeBuild", "env": {"PROJECT": name, "COMMIT": HEAD_COMMIT},
             "run": "\n".join([
                 "set -euo pipefail",
                 'ID=$(aws codebuild start-build --project-name "$PROJECT" --source-version "$COMMIT" '
                 "--query build.id --output text)",
                 'echo "CodeBuild build $ID"',
                 "while true; do",
                 '  STATUS=$(aws codebuild batch-get-builds --ids "$ID" --query "builds[0].buildStatus" --output text)',
                 '  case "$STATUS" in',
                 '    SUCCEEDED) echo "build $ID succeeded"; break ;;',
                 '    IN_PROGRESS) sleep 15 ;;',
                 '    *) echo "build $ID: $STATUS" >&2; exit 1 ;;',
                 "  esac",
                 "done"])}]
        return job

    # ------------------------------------------------------------------ deployments
    def deploy_job(self, d: model.Deploy, job: dict) -> dict:
        jid = job_id(d.name)
        env_name_ = d.github.first("environment") or d.stage
        job["environment"] = env_name_
        self.environments.setdefault(env_name_, {})
        job["permissions"]["id-token"] = "write"
        steps = [self.credentials(jid)]
        side = self.aws()
        if d.uses_codedeploy:
            app, group = side.deployment_group(d)
            config = d.strategy.codedeploy_config(d.platform)
            app_name = self.resolved(app)
            group_name = d.aws.first("deployment_group") or d.name
            config_name = config or f"{app_name}-{d.name}"
            if config is None:
                cfg = side.t.resources[side.key(d.name) + "DeploymentConfig"]
                cfg.DeploymentConfigName = config_name
            self.grant(jid, [
                {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                 "Resource": [self.cd_arn(f"deploymentgroup:{app_name}/{group_name}")]},
                {"Effect": "Allow", "Action": ["codedeploy:GetApplicationRevision",
                                               "codedeploy:RegisterApplicationRevision"],
                 "Resource": [self.cd_arn(f"application:{app_name}")]},
                {"Effect": "Allow", "Action": "codedeploy:GetDeploymentConfig",
                 "Resource": [self.cd_arn(f"deploymentconfig:{config_name}")]},
            ])
            spec_rel = f"github/{self.p.name}/appspec/{d.name}.yml"
            self.files[spec_rel] = appspec.render(d, self.ctx.source)
            spec_path = self.ctx.path(spec_rel)
            job["permissions"]["contents"] = "read"
            steps.append({"name": "Check out the generated appspec", "uses": uses("actions/checkout"),
                          "with": {**({"ref": HEAD_COMMIT} if self.on_pull_requests else {}),
                                   "persist-credentials": False, "sparse-checkout": spec_path,
                                   "sparse-checkout-cone-mode": False, "path": ".pipec-repo"}})
            common = {"APPLICATION": app_name, "GROUP": group_name, "CONFIG": config_name}
            if d.platform == "ec2":
                steps.append({"name": f"Download artifact {d.inputs[0]}", "uses": uses("actions/download-artifact"),
                              "with": {"name": d.inputs[0], "path": "revision"}})
                bucket = self.revisions_bucket()
                self.grant(jid, [{"Effect": "Allow", "Action": "s3:PutObject",
                                  "Resource": [f"arn:aws:s3:::{_cfn_bucket(self.p.name, self.region)}/{d.name}/*"]}])
                side.pipec_revisions = True
                steps.append({"name": f"Deploy {d.inputs[0]} with CodeDeploy",
                              "env": {**common, "BUCKET": bucket, "KEY": f"{d.name}/${{{{ github.sha }}}}-${{{{ github.run_attempt }}}}.zip",
                                      "APPSPEC": f".pipec-repo/{spec_path}"},
                              "run": "\n".join([
                                  "set -euo pipefail",
                                  'cp "$APPSPEC" revision/appspec.yml',
                                  'aws deploy push --application-name "$APPLICATION" --s3-location "s3://$BUCKET/$KEY" '
                                  "--source revision --ignore-hidden-files",
                                  'ID=$(aws deploy create-deployment --application-name "$APPLICATION" '
                                  '--deployment-group-name "$GROUP" --deployment-config-name "$CONFIG" '
                                  '--s3-location "bucket=$BUCKET,key=$KEY,bundleType=zip" '
                                  "--query deploymentId --output text)",
                                  *aws.WAIT_FOR_DEPLOYMENT])})
            elif d.platform == "ecs":
                t = d.target
                steps.append({"name": f"Download artifact {d.inputs[0]}", "uses": uses("actions/download-artifact"),
                              "with": {"name": d.inputs[0], "path": "release"}})
                self.grant(jid, self.ecs_statements(t))
                steps.append({"name": "Deploy to ECS through CodeDeploy",
                              "uses": uses("aws-actions/amazon-ecs-deploy-task-definition"),
                              "with": {"task-definition": f"release/{t.task_definition}",
                                       "cluster": t.cluster, "service": t.service,
                                       "codedeploy-appspec": f".pipec-repo/{spec_path}",
                                       "codedeploy-application": app_name,
                                       "codedeploy-deployment-group": group_name,
                                       "codedeploy-deployment-config": config_name,
                                       "wait-for-service-stability": True,
                                       "wait-for-minutes": _wait_minutes(d)}})
            else:
                t = d.target
                function_arn = aws._function_arn(t.function)
                self.grant(jid, [{"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:PublishVersion"],
                                  "Resource": [function_arn, aws._suffix(function_arn, ":*")]}])
                steps.append({"name": f"Shift {t.function}:{t.alias} with CodeDeploy",
                              "env": {**common, "FUNCTION": expression_text(t.function), "ALIAS": expression_text(t.alias),
                                      "APPSPEC": f".pipec-repo/{spec_path}"},
                              "run": "\n".join(["set -euo pipefail", *aws.lambda_deployment_script(
                                  t, '"$APPSPEC"', "$RUNNER_TEMP")])})
        else:
            t = d.target
            steps.append({"name": f"Download artifact {d.inputs[0]}", "uses": uses("actions/download-artifact"),
                          "with": {"name": d.inputs[0], "path": "release"}})
            self.grant(jid, self.ecs_statements(t))
            steps.append({"name": "Rolling update of the ECS service",
                          "env": {"CLUSTER": t.cluster, "SERVICE": t.service,
                                  "IMAGES": f"release/{t.image_file}"},
                          "run": "\n".join([
                              "set -euo pipefail",
                              "# what CodePipeline's ECS action does: the service's task definition with each "
                              "container's image from imagedefinitions.json",
                              'TASKDEF=$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" '
                              '--query "services[0].taskDefinition" --output text)',
                              'aws ecs describe-task-definition --task-definition "$TASKDEF" --query taskDefinition '
                              '> "$RUNNER_TEMP/taskdef.json"',
                              'jq --slurpfile images "$IMAGES" \'(reduce $images[0][] as $i ({}; .[$i.name] = $i.imageUri)) as $m '
                              '| .containerDefinitions |= map(if $m[.name] then .image = $m[.name] else . end) '
                              '| del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, '
                              '.registeredAt, .registeredBy)\' "$RUNNER_TEMP/taskdef.json" > "$RUNNER_TEMP/new.json"',
                              'NEW=$(aws ecs register-task-definition --cli-input-json "file://$RUNNER_TEMP/new.json" '
                              "--query taskDefinition.taskDefinitionArn --output text)",
                              'aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$NEW" '
                              "> /dev/null",
                              'aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"',
                              'echo "service $SERVICE runs $NEW"'])})
        job["steps"] = steps
        return job

    def resolved(self, value) -> str:
        """The plain name behind a Ref to a CodeDeploy application of the companion template."""
        if isinstance(value, Ref):
            res = self.aws().t.resources[value.to_dict()["Ref"]]
            return res.ApplicationName
        return value

    @staticmethod
    def arn(service: str, resource: str) -> str:
        """An ARN in the companion stack's own account and Region (made an Fn::Sub later)."""
        return f"arn:aws:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"

    def cd_arn(self, resource: str) -> str:
        return self.arn("codedeploy", resource)

    def ecs_statements(self, t: model.EcsTarget) -> list[dict]:
        return [
            {"Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
             "Resource": [self.arn("ecs", f"service/{t.cluster}/{t.service}")]},
            *aws_security.ecs_statements(self.arn, "arn:aws:iam::${AWS::AccountId}:role/*"),
        ]

    def stack_job(self, d: model.StackDeploy, job: dict) -> dict:
        jid = job_id(d.name)
        job["environment"] = d.github.first("environment") or d.stage
        self.environments.setdefault(job["environment"], {})
        job["permissions"]["id-token"] = "write"
        side = self.aws()
        role = side.add(iam.Role(side.key(d.name) + "StackRole",
                                 RoleName=self.role_name(f"{job_id(d.name)}-cfn"),
                                 AssumeRolePolicyDocument=aws._trust("cloudformation.amazonaws.com"),
                                 ManagedPolicyArns=[Ref(side.stack_policy_parameter(d))],
                                 Tags=side.tags(), **side.boundary()))
        side.t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                 Description=f"Role CloudFormation uses to deploy stack {d.stack}"))
        stack_arn = self.arn("cloudformation", f"stack/{d.stack}/*")
        statements = [
            {"Effect": "Allow", "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
                                           "cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks",
                                           "cloudformation:ExecuteChangeSet", "cloudformation:GetTemplateSummary"],
             "Resource": [stack_arn]},
            {"Effect": "Allow", "Action": "iam:PassRole",
             "Resource": [f"arn:aws:iam::${{AWS::AccountId}}:role/{self.role_name(job_id(d.name) + '-cfn')}"]},
        ]
        if "auto-expand" in d.capabilities:
            statements.append({"Effect": "Allow", "Action": "cloudformation:CreateChangeSet",
                               "Resource": [f"arn:aws:cloudformation:${{AWS::Region}}:aws:transform/{name}"
                                            for name in aws_security.AWS_TRANSFORMS]})
        self.grant(jid, statements)
        # templates over 51,200 bytes must go through S3: always upload to the revision bucket
        args = ['--template-file "release/$TEMPLATE"', '--stack-name "$STACK"', '--role-arn "$CFN_ROLE"',
                '--s3-bucket "$BUCKET"', '--s3-prefix "$STACK"', "--no-fail-on-empty-changeset"]
        side.pipec_revisions = True
        statements.append({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": [f"arn:aws:s3:::{_cfn_bucket(self.p.name, self.region)}/{d.stack}/*"]})
        if d.capabilities:
            args.append("--capabilities " + " ".join(CAPABILITIES[c] for c in d.capabilities))
        env = {"STACK": expression_text(d.stack), "TEMPLATE": expression_text(d.template), "BUCKET": self.revisions_bucket(),
               "CFN_ROLE": f"arn:aws:iam::{self.account}:role/{self.role_name(job_id(d.name) + '-cfn')}"}
        if d.parameters:
            args.append("--parameter-overrides " + " ".join(f'"{k}=$PARAM_{env_name(k)}"' for k, _ in d.parameters))
            for k, v in d.parameters:
                env[f"PARAM_{env_name(k)}"] = expression_text(v)
        lines = ["set -euo pipefail"]
        if d.change_set:
            # CodePipeline's CHANGE_SET_REPLACE, then CHANGE_SET_EXECUTE (the change set's name is
            # the CLI's own here: 'aws cloudformation deploy' does not take one)
            lines.append("aws cloudformation deploy " + " ".join(args) + " --no-execute-changeset")
            lines.append('CHANGE_SET_ID=$(aws cloudformation list-change-sets --stack-name "$STACK" --query '
                         '"sort_by(Summaries[?Status==\'CREATE_COMPLETE\'], &CreationTime)[-1].ChangeSetId" '
                         "--output text)")
            lines.append('if [ "$CHANGE_SET_ID" = None ]; then echo "no changes to stack $STACK"; exit 0; fi')
            lines.append('aws cloudformation execute-change-set --change-set-name "$CHANGE_SET_ID"')
            lines += [
                "while true; do",
                '  STATUS=$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].StackStatus" '
                "--output text)",
                '  case "$STATUS" in',
                "    *_IN_PROGRESS) sleep 10 ;;",
                '    CREATE_COMPLETE|UPDATE_COMPLETE|IMPORT_COMPLETE) echo "stack $STACK: $STATUS"; break ;;',
                '    *) echo "stack $STACK: $STATUS" >&2; exit 1 ;;',
                "  esac",
                "done",
            ]
            statements[0]["Action"].append("cloudformation:ListChangeSets")
        else:
            lines.append("aws cloudformation deploy " + " ".join(args))
        job["steps"] = [
            self.credentials(jid),
            {"name": f"Download artifact {d.inputs[0]}", "uses": uses("actions/download-artifact"),
             "with": {"name": d.inputs[0], "path": "release"}},
            {"name": f"Deploy stack {d.stack}", "env": env, "run": "\n".join(lines)},
        ]
        return job

    def bucket_job(self, d: model.BucketDeploy, job: dict) -> dict:
        jid = job_id(d.name)
        job["environment"] = d.github.first("environment") or d.stage
        self.environments.setdefault(job["environment"], {})
        job["permissions"]["id-token"] = "write"
        self.grant(jid, [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": [f"arn:aws:s3:::{d.bucket}/*"]}])
        env = {"BUCKET": expression_text(d.bucket)}
        extra = ""
        if d.cache_control:
            env["CACHE_CONTROL"] = expression_text(d.cache_control)
            extra = ' --cache-control "$CACHE_CONTROL"'
        if d.extract:
            run = f'aws s3 cp --recursive release "s3://$BUCKET/"{extra}'
        else:
            env["KEY"] = expression_text(d.object_key)
            run = "\n".join(["set -euo pipefail", '(cd release && zip -q -r -X "$RUNNER_TEMP/artifact.zip" .)',
                             f'aws s3 cp "$RUNNER_TEMP/artifact.zip" "s3://$BUCKET/$KEY"{extra}'])
        job["steps"] = [
            self.credentials(jid),
            {"name": f"Download artifact {d.inputs[0]}", "uses": uses("actions/download-artifact"),
             "with": {"name": d.inputs[0], "path": "release"}},
            {"name": f"Copy to s3://{d.bucket}", "env": env, "run": run},
        ]
        return job

    def invoke_job(self, a: model.Invoke, job: dict) -> dict:
        jid = job_id(a.name)
        job["permissions"]["id-token"] = "write"
        self.grant(jid, [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                          "Resource": [aws._function_arn(a.function)]}])
        self.warn("W512", a, f"'{a.name}' invokes {a.function} with a different event on GitHub",
                  "CodePipeline passes a CodePipeline.job event (UserParameters, artifact locations) and waits for "
                  "PutJobSuccessResult; the workflow calls 'aws lambda invoke' with the parameters as the payload "
                  "and takes the function's own result. The function must handle both.")
        if a.inputs or a.outputs:
            self.error("E410", a, f"'{a.name}' passes artifacts to a Lambda function, which 'aws lambda invoke' "
                       "cannot do", "Remove the artifacts from the invoke, or bind this stage to CodePipeline "
                       "with 'via aws'.")
        env = {"FUNCTION": expression_text(a.function)}
        payload = ""
        if a.parameters is not None:
            env["PAYLOAD"] = expression_text(a.parameters)
            payload = '--cli-binary-format raw-in-base64-out --payload "$PAYLOAD" '

        job["steps"] = [
            self.credentials(jid),
            {"name": f"Invoke {a.function}", "env": env,
             "run": "\n".join(["set -euo pipefail",
                               f'aws lambda invoke --function-name "$FUNCTION" {payload}'
                               '"$RUNNER_TEMP/response.json" > "$RUNNER_TEMP/status.json"',
                               'cat "$RUNNER_TEMP/response.json"; echo',
                               "if jq -e '.FunctionError' \"$RUNNER_TEMP/status.json\" > /dev/null; then exit 1; fi"])},
        ]
        return job

    def approval_jobs(self, a: model.Approval, job: dict) -> list[tuple[str, dict]]:
        """The request job (message, link and notification, while the gate waits) and the gate
        itself: a job in the environment whose reviewers approve."""
        jid = job_id(a.name)
        env_ = a.github.first("environment") or a.name
        settings = self.environments.setdefault(env_, {})
        settings["reviewers"] = list(a.github.get("reviewers") or ())
        if a.github.first("wait"):
            settings["wait_timer"] = int(aws._minutes(a.github.first("wait")))
        if a.github.get("branches"):
            settings["branches"] = list(a.github.get("branches"))
        if not settings["reviewers"]:
            self.warn("W508", a, f"approval '{a.name}' names no reviewers for GitHub",
                      f"Without required reviewers the environment '{env_}' does not stop the job, so nothing waits "
                      "for approval. Add 'reviewers' in the approval's github { } block (pipec writes them to the "
                      "environment setup file).")
        if a.timeout_minutes != 30 * 24 * 60:
            self.warn("W508", a, f"approval '{a.name}' times out after {_human(a.timeout_minutes)} on CodePipeline "
                      "and after 30 days on GitHub",
                      "GitHub has no setting for how long a job waits for its reviewers: a pending job fails after "
                      "30 days. Write 'timeout 30d' to make the platforms agree.")
        out = []
        request = None
        if a.message or a.url or a.notify_emails or a.topic_arn:
            rid = f"{jid}-request"
            request = {"name": job["name"] + " (request)", **{k: job[k] for k in ("needs", "if") if k in job},
                       "runs-on": job["runs-on"], "permissions": {}}
            if "concurrency" in job:
                request["concurrency"] = {"group": f"{self.workflow}-{rid}", "cancel-in-progress": False}
            lines = ["set -euo pipefail",
                     '{ echo "## Approval $ACTION is waiting"; echo; printf \'%s\\n\' "$MESSAGE"; '
                     'if [ -n "$URL" ]; then echo; echo "Review: $URL"; fi; } >> "$GITHUB_STEP_SUMMARY"']
            env = {"ACTION": a.name, "MESSAGE": expression_text(a.message or ""), "URL": expression_text(a.url or "")}
            steps = []
            if a.notify_emails or a.topic_arn:
                request["permissions"]["id-token"] = "write"
                steps.append(self.credentials(rid))
                env["TOPIC"] = expression_text(a.topic_arn) if a.topic_arn else (f"arn:aws:sns:{self.region}:{self.account}:"
                                               f"{self.aws().named(a.aws.first('topic_name')) or f'{self.p.name}-github-{a.name}'}")
                env["RUN_URL"] = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
                lines.append('aws sns publish --topic-arn "$TOPIC" --subject "Approval needed: $ACTION" '
                             '--message "$(printf \'%s\\n\\n%s\\nApprove or reject: %s\\n\' "$MESSAGE" "$URL" "$RUN_URL")" '
                             "> /dev/null")
                topic = self.approval_topic(a)
                self.grant(rid, [{"Effect": "Allow", "Action": "sns:Publish", "Resource": [topic]}])
            steps.append({"name": "Ask for approval", "env": env, "run": "\n".join(lines)})
            request["steps"] = steps
            out.append((rid, request))
            job["needs"] = [rid]
            job.pop("if", None)
        env_block: dict = {"name": env_}
        if a.url:
            env_block["url"] = expression_text(a.url)
        job["environment"] = env_block
        job["steps"] = [{"name": "Approved", "env": {"ACTION": a.name},
                         "run": 'echo "Approval $ACTION was given." >> "$GITHUB_STEP_SUMMARY"'}]
        out.append((jid, job))
        return out

    def approval_topic(self, a: model.Approval) -> str:
        if a.topic_arn:
            return a.topic_arn
        topic = self.aws().approval_topic(a)  # the same topic the AWS target makes, named PIPELINE-github-ACTION
        return self.arn("sns", topic.TopicName)

    # ------------------------------------------------------------------ assembly
    def run(self) -> dict[str, str]:
        if not self.stages:
            return {}
        if self.repo_source is None:
            self.error("E408", self.p.stages[0] if not self.stages else self.stages[0],
                       "the pipeline has stages for GitHub Actions but no GitHub source in the workflow's repository",
                       "Add a 'source NAME github \"OWNER/REPO\"' (or set 'repository' in the pipeline's github { } "
                       "block to one of its GitHub sources), or bind the stages to CodePipeline with 'via aws'.")
            raise Diagnostics(self.problems)
        on = self.triggers()
        if self.p.mode == "queued":
            self.warn("W507", _At(self.p.mode_span), "GitHub Actions has no equivalent of execution mode 'queued'",
                      "Each job gets a concurrency group, as for 'superseded': one run at a time per job and one "
                      "waiting; a third run replaces the waiting one instead of queueing behind it as on "
                      "CodePipeline.")
        prev: list[str] = []
        for stage in self.stages:
            for n, order in enumerate(sorted({a.run_order for a in stage.actions})):
                group: list[str] = []
                for act in (a for a in stage.actions if a.run_order == order):
                    jid = job_id(act.name)
                    job = self.job(act, prev, stage, n == 0)
                    if isinstance(act, model.Build):
                        made = [(jid, self.build_job(act, job))]
                    elif isinstance(act, model.Deploy):
                        made = [(jid, self.deploy_job(act, job))]
                    elif isinstance(act, model.StackDeploy):
                        made = [(jid, self.stack_job(act, job))]
                    elif isinstance(act, model.BucketDeploy):
                        made = [(jid, self.bucket_job(act, job))]
                    elif isinstance(act, model.Approval):
                        made = self.approval_jobs(act, job)
                    else:
                        made = [(jid, self.invoke_job(act, job))]
                    for k, v in made:
                        if k in self.jobs:
                            self.error("E408", act, f"two jobs would be called '{k}'",
                                       "Rename one of the actions.")
                        self.jobs[k] = v
                    group.append(jid)
                prev = group
        if self.problems:
            raise Diagnostics(self.problems)
        for jid, job in self.jobs.items():
            if "id-token" in job["permissions"] or jid in self.roles:
                job["permissions"]["id-token"] = "write"
                self.roles.setdefault(jid, {"statements": []})["subjects"] = self.trust_subjects(job)
            if not job["permissions"]:
                job["permissions"] = {}
            job["permissions"] = dict(sorted(job["permissions"].items()))
        for job in self.jobs.values():
            job["steps"] = [_ordered_step(_literal_text(st)) for st in job["steps"]]
        workflow: dict = {"name": self.workflow, "on": on, "permissions": {}, "jobs": self.jobs}
        wf_path = f".github/workflows/{self.workflow}.yml"
        text = yamlout.header(self.ctx.source, f"GitHub Actions workflow for pipeline {self.p.name}")
        text += f"# Source: {self.repo_source.name} ({self.repo}), the repository this workflow runs in.\n"
        self.files[wf_path] = text + _comment_permissions(_comment_pins(yamlout.dump(workflow)))
        if self.roles or self.aws_side is not None:
            self.files[f"github/{self.p.name}.template.yaml"] = self.companion()
        if self.environments:
            self.files.update(self.environment_files())
        return dict(sorted(self.files.items()))

    def companion(self) -> str:
        side = self.aws()
        t = side.t
        provider_ref = github_shared.oidc_provider(side, self.p.github.first("oidc_provider"), OIDC_HOST)
        github_shared.codeartifact_condition(side)
        if getattr(side, "pipec_revisions", False):
            if side.bucket_ref is None:
                side.artifact_store()
            bucket = t.resources["ArtifactBucket"]
            bucket.BucketName = Sub(_cfn_bucket(self.p.name, self.region))
            t.add_output(Output("RevisionBucketName", Value=bucket.ref(),
                                Description="Bucket for CodeDeploy revisions pushed by the workflow"))
        for jid in sorted(self.roles):
            info = self.roles[jid]
            cond = {"StringEquals": {f"{OIDC_HOST}:aud": "sts.amazonaws.com"}}
            subjects = info.get("subjects") or []
            if any("*" in s or "?" in s for s in subjects):
                cond["StringLike"] = {f"{OIDC_HOST}:sub": subjects}
            else:
                cond["StringEquals"][f"{OIDC_HOST}:sub"] = subjects
            trust = aws._policy([{"Effect": "Allow", "Principal": {"Federated": provider_ref},
                              "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}])
            statements = [_subst(st) for st in info["statements"]]
            kwargs = {}
            if statements:
                kwargs["Policies"] = [iam.Policy(PolicyName="job", PolicyDocument=aws._policy(aws._merge(statements)))]
            role = side.add(iam.Role(side.unique(f"{side.key(jid)}GitHubRole"), RoleName=self.role_name(jid),
                                     AssumeRolePolicyDocument=trust, Description=f"Job {jid} of workflow "
                                     f"{self.workflow} ({self.repo})"[:1000], Tags=side.tags(),
                                     **kwargs, **side.boundary()))
            t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                Description=f"Role of job {jid}"))
        head = yamlout.header(self.ctx.source, f"AWS resources for GitHub workflow {self.workflow}")
        return head + yamlout.dump(aws._ordered(t.to_dict()))

    def environment_files(self) -> dict[str, str]:
        files = {}
        base = f"github/{self.p.name}/environments"
        lines = [
            yamlout.header(self.ctx.source, f"GitHub environments for workflow {self.workflow}").rstrip("\n"),
            "# Creates or updates each environment the workflow uses: required reviewers, wait timer and the",
            "# branches allowed to deploy (PUT /repos/{owner}/{repo}/environments/{name}). Needs the GitHub CLI",
            "# and jq, logged in as a repository administrator. Usage: bash apply.sh [OWNER/REPO]",
            "set -euo pipefail",
            f'repo="${{1:-{self.repo}}}"',
            'here="$(cd "$(dirname "$0")" && pwd)"',
            "reviewer_ids() {  # user logins and org/team slugs -> the API's reviewer objects",
            "  local out=() r",
            "  for r in \"$@\"; do",
            "    if [[ $r == */* ]]; then",
            "      out+=(\"{\\\"type\\\":\\\"Team\\\",\\\"id\\\":$(gh api \"orgs/${r%%/*}/teams/${r#*/}\" --jq .id)}\")",
            "    else",
            "      out+=(\"{\\\"type\\\":\\\"User\\\",\\\"id\\\":$(gh api \"users/$r\" --jq .id)}\")",
            "    fi",
            "  done",
            "  local IFS=,; echo \"[${out[*]}]\"",
            "}",
        ]
        for name in sorted(self.environments):
            s = self.environments[name]
            body: dict = {"wait_timer": s.get("wait_timer", 0), "prevent_self_review": False,
                          "reviewers": [{"type": "Team" if "/" in r else "User", "login": r}
                                        for r in s.get("reviewers", [])],
                          "deployment_branch_policy": None}
            if s.get("branches"):
                body["deployment_branch_policy"] = {"protected_branches": False, "custom_branch_policies": True}
                body["branch_policies"] = [{"name": b, "type": "branch"} for b in s["branches"]]
            files[f"{base}/{name}.json"] = _json_with_header(
                body, f"Generated by pipec from {self.ctx.source} (GitHub environment {name}). Do not edit: "
                "change the .pipe file and run pipec build; apply with apply.sh.")
            logins = " ".join(shell_word(r) for r in s.get("reviewers", []))
            reviewers = f'"$(reviewer_ids {logins})"' if logins else "'[]'"
            lines += [
                "",
                f"# environment {name}",
                f'body=$(jq -c --argjson reviewers {reviewers} '
                "'del(._generated, .branch_policies) | .reviewers = (if ($reviewers | length) > 0 then $reviewers "
                f"else null end)' \"$here/{name}.json\")",
                f'printf \'%s\' "$body" | gh api --method PUT "repos/$repo/environments/{name}" --input - > /dev/null',
            ]
            for b in s.get("branches", []):
                lines.append(f'gh api --method POST "repos/$repo/environments/{name}/deployment-branch-policies" '
                             f"-f name={shell_word(b)} -f type=branch --silent || "
                             f"echo {shell_word('branch policy ' + b + ': not added (it may exist already)')} >&2")
            lines.append(f'echo "environment {name}: applied"')
        files[f"{base}/apply.sh"] = "\n".join(lines) + "\n"
        return files


# ----------------------------------------------------------------------------- helpers



def _json_with_header(body: dict, header: str) -> str:
    """JSON whose first line carries pipec's header (as the ``_generated`` key), like every
    generated file, so that ``pipec build`` recognises it as its own."""
    inner = json.dumps(body, indent=2).split("\n")[1:]  # drop the opening brace
    return "\n".join([f"{{{json.dumps('_generated')}: {json.dumps(header)},", *inner]) + "\n"


class _At:
    """Something to report at ``span``."""

    def __init__(self, span):
        self.span = span


def _literal_text(step: dict) -> dict:
    """A step whose script and name are free of GitHub expressions, whatever the commands,
    paths and names in them say: pipec writes no expression into either (its own values reach
    scripts through ``env``), so every ``${{`` there is the user's and must stay text."""
    for key in ("name", "run"):
        if key in step:
            step[key] = expression_text(step[key])
    return step


def _one(labels):
    return labels[0] if isinstance(labels, list) and len(labels) == 1 else labels


def _script(commands: list[str]) -> str:
    """A phase's commands as one bash script that behaves like CodeBuild: the shell of earlier
    phases is restored first; each command is checked on its own (CodeBuild stops a phase at the
    first command that exits non-zero, including the first part of ``a && b``, which ``set -e``
    would not); a multi-line script counts as one command, decided by its last line.

    A plain one-line command is written ``COMMAND || exit``. One that would not parse that way
    (a multi-line script, a comment, a trailing ``;``, ``&`` or ``\\``) is written as it is,
    followed by ``pipec_check``, which exits with the command's status when it failed."""
    lines = [f'. "{PHASE_SHELL}"']
    for cmd in commands:
        text = cmd.rstrip("\n")
        if "\n" in text or "#" in text or text.rstrip().endswith((";", "&", "\\")):
            # an empty line ends a trailing line continuation before the check
            lines.append(text + ("\n" if text.endswith("\\") else ""))
            lines.append("pipec_check")
        else:
            lines.append(f"{text} || exit")
    return "\n".join(lines)


def secret_reference(ref: str) -> tuple[str, str | None, str | None, str | None]:
    """A Secrets Manager reference as CodeBuild reads it, ``secret-id:json-key:version-stage:
    version-id`` (the id may be an ARN, itself 7 colon-separated fields): (id, key, stage, version),
    empty parts None."""
    parts = ref.split(":")
    head = 7 if ref.startswith("arn:") else 1
    rest = parts[head:] + [""] * 3
    return ":".join(parts[:head]), rest[0] or None, rest[1] or None, rest[2] or None


def _succeeding(step_ids: list[str]) -> str:
    """CODEBUILD_BUILD_SUCCEEDING for a step after ``step_ids``: 1 while all of them succeeded."""
    if not step_ids:
        return "1"
    ok = " && ".join(f"steps.{i}.outcome == 'success'" for i in step_ids)
    return f"${{{{ {ok} && '1' || '0' }}}}"


def _cache_path(path: str) -> str:
    """A CodeBuild cache path for actions/cache: ``dir/**/*`` (everything below) is ``dir``."""
    return path[:-5] if path.endswith("/**/*") else path


def _under(base: str | None, path: str) -> str:
    return f"{base.rstrip('/')}/{path}" if base else path


def _glob_word(pattern: str) -> str:
    """A CodeBuild artifact glob as a bash glob word (globstar on): quoted literal parts, bare
    wildcards. ``**/*`` means every file below, as in CodeBuild."""
    out = []
    for part in re.split(r"([*?\[\]])", pattern):
        if part in ("*", "?", "[", "]") or re.fullmatch(r"[A-Za-z0-9._/@%+=:,-]*", part):
            out.append(part)
        else:
            out.append(shell_word(part))
    return "".join(out)


def _iam_glob(pattern: str) -> str:
    """A pipec branch or tag pattern for an IAM StringLike condition: IAM's ``*`` also crosses
    ``/``, so the condition is never stricter than the trigger."""
    text = re.sub(r"\{[^}]*\}", "*", pattern)
    text = re.sub(r"\[[^\]]*\]", "?", text)
    return re.sub(r"\*+", "*", text)


def _bucket_stem(pipeline: str) -> str:
    """The pipeline's part of the revision bucket's name: S3 allows lowercase letters, digits
    and hyphens, 63 characters in all (12 for the account, up to 14 for the Region)."""
    return re.sub(r"[^a-z0-9-]+", "-", pipeline.lower()).strip("-")[:30].rstrip("-") or "pipeline"


def _cfn_bucket(pipeline: str, region: str) -> str:
    return f"${{AWS::AccountId}}-{region}-{_bucket_stem(pipeline)}-gh"


def _subst(statement: dict) -> dict:
    """Resources written with ``${AWS::AccountId}`` become Fn::Sub in the template."""
    def conv(v):
        if isinstance(v, str) and "${" in v:
            return Sub(v.replace("arn:aws:", "arn:${AWS::Partition}:"))
        if isinstance(v, str) and v.startswith("arn:aws:"):
            return Sub(v.replace("arn:aws:", "arn:${AWS::Partition}:"))
        return v

    out = dict(statement)
    out["Resource"] = [conv(r) for r in statement["Resource"]]
    return out


def _human(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day{'s' if minutes != 1440 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
    return f"{minutes} minutes"


def _wait_minutes(d: model.Deploy) -> int:
    s = d.strategy
    shifting = (s.interval_minutes or 0) * (1 if s.kind == "canary" else
                                           -(-100 // (s.percent or 100)) if s.kind == "linear" else 0)
    return min(360, 30 + shifting + (s.terminate_after_minutes or 5))


def emit(pipeline: model.Pipeline, ctx) -> dict[str, str]:
    """Every file of the GitHub Actions target for ``pipeline``: relative path -> text. Warnings
    (platform differences) go to ``ctx.warnings``; errors are raised as :class:`Diagnostics`."""
    wf = _Workflow(pipeline, ctx)
    try:
        return wf.run()
    finally:
        report = getattr(ctx, "warnings", None)
        if report is not None:
            report.extend(wf.notes)


def read(out_dir, pipeline: str | None = None):
    """The read side: the :class:`pipec.plan.Plan` of the workflow (and its companion files) that
    :func:`emit` wrote under ``out_dir``, parsed from disk (implemented in
    :mod:`pipec.targets.github.read`)."""
    from pipec.targets.github.read import read as _read

    return _read(out_dir, pipeline)
