"""The GitHub target's diagnostics (E408-E410 and the platform differences W508-W516, W519), as
checks of the model that import neither troposphere nor YAML.

:class:`Checks` is a part of the workflow builder (:class:`pipec.targets.github.emit._Workflow`
inherits it): the builder calls each check where it makes the job the check is about. The
diagnose path (:mod:`.diagnose`) inherits the same class and calls the same checks without making
any job, so that ``pipec check`` and the language server report what ``pipec build`` does without
loading the emitter. Each check has this one implementation, and :meth:`Checks.setup` the state
they read.
"""

from __future__ import annotations

import re

from pipec import deploy_time, model
from pipec.diagnostics import ERROR, WARNING, Diagnostic

DEFAULT_RUNNER = "ubuntu-24.04"

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


def job_id(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"


def env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def _one(labels):
    return labels[0] if isinstance(labels, list) and len(labels) == 1 else labels


def _human(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day{'s' if minutes != 1440 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
    return f"{minutes} minutes"


class Checks:
    """What the GitHub target reports about the pipeline, one method per check."""

    def setup(self, p: model.Pipeline) -> None:
        """The state the checks read: the pipeline, its GitHub stages, the workflow's repository
        and its source, the default runners; and the findings, ``problems`` and ``notes``."""
        self.p = p
        self.problems: list[Diagnostic] = []
        self.notes: list[Diagnostic] = []
        self.stages = [s for s in p.stages if s.platform in (None, "github")]
        git_hub = [s for s in p.sources if s.provider == "github"]
        self.repo = p.github.first("repository") or (git_hub[0].repository if git_hub else None)
        self.repo_source = next((s for s in git_hub if s.repository == self.repo), None)
        self.runs_on = list(p.github.get("runs_on") or (DEFAULT_RUNNER,))

    def error(self, code: str, node, message: str, help: str):
        self.problems.append(Diagnostic(code, ERROR, message, getattr(node, "span", None), help=help,
                                        file=self.p.filename))

    def warn(self, code: str, node, message: str, help: str):
        self.notes.append(Diagnostic(code, WARNING, message, getattr(node, "span", None), help=help,
                                     file=self.p.filename))

    def no_repository_source(self):
        """E408: GitHub stages and no GitHub source in the workflow's repository."""
        self.error("E408", self.p.stages[0] if not self.stages else self.stages[0],
                   "the pipeline has stages for GitHub Actions but no GitHub source in the workflow's repository",
                   "Add a 'source NAME github \"OWNER/REPO\"' (or set 'repository' in the pipeline's github { } "
                   "block to one of its GitHub sources), or bind the stages to CodePipeline with 'via aws'.")

    def runs_on_of(self, act):
        """The ``runs-on`` of ``act``'s job (:meth:`labels_of`, one label as a string)."""
        return _one(self.labels_of(act))

    def labels_of(self, act) -> list:
        """The runner labels of ``act``'s job: its own ``runs_on``; for a build on another system or
        architecture than Linux x86_64, GitHub's runner for it (:data:`.matrix.RUNNERS`; not for
        ``run_in_codebuild``, whose job only starts the build); else the pipeline's. The one place
        that decides a job's runner, and so its shell (:mod:`pipec.runner_labels`)."""
        from pipec.targets.github.matrix import RUNNERS

        if act.github.has("runs_on") and act.github.get("runs_on"):
            return list(act.github.get("runs_on"))
        platform = (getattr(act, "os", "linux"), getattr(act, "arch", "x86_64"))
        if isinstance(act, model.Build) and platform != ("linux", "x86_64") and not act.github.has("run_in_codebuild"):
            return [RUNNERS[platform]]
        return list(self.runs_on)

    def disabled_transition(self, stage: model.Stage) -> str:
        """W510 for a stage whose transition is disabled; returns the repository variable that
        enables its jobs."""
        var = f"PIPEC_{env_name(self.p.name)}_{env_name(stage.name)}_ENABLED"
        self.warn("W510", stage, f"the transition into stage '{stage.name}' is disabled: on GitHub the stage's "
                  f"jobs are skipped until the repository variable {var} is 'true'",
                  "CodePipeline holds a run at a disabled transition and lets the newest one through when "
                  "the transition is enabled; GitHub skips the jobs (and everything after them) in runs "
                  f"started while {var} is not 'true'. Set it with: gh variable set {var} --body true")
        return var

    def unfetchable_source(self, act, name: str, src: model.Source) -> None:
        """E408: an input from a source that only AWS services can fetch."""
        self.error("E408", act, f"'{act.name}' reads source '{name}', which GitHub Actions cannot fetch",
                   f"A {src.provider} source reaches CodePipeline through a CodeConnections connection, "
                   "which only AWS services can use. Bind this stage to CodePipeline with 'via aws', or "
                   "move the files into the GitHub repository.")

    def image_checks(self, b: model.Build, runs_on) -> None:
        """W514 (an image by tag), E410 (a private ECR image), W513 (no such image on the runner)."""
        image = b.image
        if image.kind == "docker":
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
                      f"{_one(runs_on) if isinstance(runs_on, str) else runs_on[0]}",
                      "Tools that the CodeBuild image has and the runner lacks (or that differ, such as yum/dnf) "
                      "must be installed by the commands, or give a container image with 'image docker'.")

    def runtime_available(self, b: model.Build, runtime: str) -> bool:
        """Whether a set-up action installs ``runtime``; E410 when none does."""
        if runtime in RUNTIME_ACTIONS:
            return True
        self.error("E410", b, f"runtime '{runtime}' has no set-up action on GitHub Actions",
                   "Install it in the install phase (the runner image has the Android SDK), or bind this "
                   "stage to CodePipeline with 'via aws'.")
        return False

    def codebuild_checks(self, b: model.Build) -> None:
        """E410 for what a build run in CodeBuild from the workflow cannot have."""
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

    def deployment_time(self, d: model.Deploy, labels) -> None:
        """W516 when the strategy needs more time than a job on ``labels`` may run."""
        limit = deploy_time.job_limit(labels)
        needed = min(deploy_time.needed_minutes(d), deploy_time.aws_wait(d)) if d.uses_codedeploy else 0
        if needed > limit:
            hosted = limit == deploy_time.GITHUB_HOSTED_JOB_MINUTES
            self.warn("W516", d.strategy if d.strategy.span else d,
                      f"'{d.name}' needs up to {needed} minutes, and its GitHub job may run for {limit}",
                      f"CodePipeline waits {deploy_time.aws_wait(d)} minutes for this deployment; the GitHub job "
                      f"stops waiting after {limit} and fails while CodeDeploy carries on shifting traffic. "
                      "Shorten the strategy (a shorter interval, or a larger percentage per step) so that it "
                      f"shifts within {limit - deploy_time.ALLOWANCE_MINUTES} minutes"
                      + (", run the job on a self-hosted runner (github { runs_on self-hosted ... }), where a job "
                         "may run for 5 days," if hosted else "")
                      + " or bind this stage to CodePipeline with 'via aws'.")

    def approval_checks(self, a: model.Approval, env_: str, reviewers) -> None:
        """W508: an approval without reviewers, or with another timeout than GitHub's 30 days."""
        if not reviewers:
            self.warn("W508", a, f"approval '{a.name}' names no reviewers for GitHub",
                      f"Without required reviewers the environment '{env_}' does not stop the job, so the approval's "
                      "job fails (it checks the environment first) until the environment has reviewers. Add "
                      "'reviewers' in the approval's github { } block (pipec writes them to the environment setup "
                      "file, applied with apply.sh).")
        if a.timeout_minutes != 30 * 24 * 60:
            self.warn("W508", a, f"approval '{a.name}' times out after {_human(a.timeout_minutes)} on CodePipeline "
                      "and after 30 days on GitHub",
                      "GitHub has no setting for how long a job waits for its reviewers: a pending job fails after "
                      "30 days. Write 'timeout 30d' to make the platforms agree.")

    def invoke_checks(self, a: model.Invoke) -> None:
        """W512 (another event than CodePipeline's), E410 (artifacts)."""
        self.warn("W512", a, f"'{a.name}' invokes {a.function} with a different event on GitHub",
                  "CodePipeline passes a CodePipeline.job event (UserParameters, artifact locations) and waits for "
                  "PutJobSuccessResult; the workflow calls 'aws lambda invoke' with the parameters as the payload "
                  "and takes the function's own result. The function must handle both.")
        if a.inputs or a.outputs:
            self.error("E410", a, f"'{a.name}' passes artifacts to a Lambda function, which 'aws lambda invoke' "
                       "cannot do", "Remove the artifacts from the invoke, or bind this stage to CodePipeline "
                       "with 'via aws'.")

    def unseen_pushes_warning(self) -> None:
        """W519, once, at the first tag trigger both platforms watch: GitHub creates no event when
        more than three tags are pushed at once, and CodePipeline starts for each (docs/targets.md
        "Events only CodePipeline sees"). The other pushes GitHub does not run ([skip ci] in the
        head commit, pushes with a workflow's GITHUB_TOKEN) concern every pipeline on both
        platforms alike, whatever its file says; docs/targets.md and the warning's help name them,
        but they alone do not raise it: a warning on every pipeline would say nothing."""
        if self.repo_source is None:
            return
        shared = [t for t in self.repo_source.triggers
                  if isinstance(t, model.PushTrigger) and t.platform is None and t.tags is not None]
        if not shared:
            return
        self.warn("W519", shared[0], "some tag pushes start CodePipeline but not the GitHub workflow",
                  "GitHub creates no push event when more than three tags are pushed at once; CodePipeline starts "
                  "for each tag. Push at most three tags at a time, or bind the trigger to one platform ('via aws' "
                  "or 'via github'). GitHub also starts no run for a head commit whose message contains [skip ci], "
                  "[ci skip], [no ci], [skip actions] or [actions skip] or ends with 'skip-checks: true', nor for a "
                  "push made with a workflow's GITHUB_TOKEN: keep those words out of commit messages and push from "
                  "workflows with a GitHub App or personal access token.")


def needs_aws_for_inputs(p: model.Pipeline, act) -> bool:
    """Whether ``act``'s job fetches an input from AWS (an S3 or CodeCommit source)."""
    return any(s.name in act.inputs and s.provider in ("s3", "codecommit") for s in p.sources)


def takes_credentials(p: model.Pipeline, b: model.Build) -> bool:
    """Whether the job of build ``b`` (not run in CodeBuild) takes AWS credentials, with a role of
    its own in the companion template (:mod:`.build_credentials`): for CodeArtifact, secrets
    fetched from AWS, inputs from S3 or CodeCommit, ``allow`` lines, or ``aws { role }`` (its
    commands run as that role)."""
    return bool(b.codeartifact) or any(s.github_secret is None for s in b.secrets) \
        or needs_aws_for_inputs(p, b) or bool(b.grants) or b.aws.has("role")
