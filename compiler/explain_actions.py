"""Each action narrated: builds, deployments, approvals, invokes, and the order inside a stage.

:class:`Facts` answers questions about the whole pipeline (who uses an artifact, which stages run
on a platform); :class:`Narrator` tells one action in the vocabulary of a voice (``None`` for the
neutral one, ``"aws"`` or ``"github"``); :func:`order_sentence` says how a stage's run-order
groups follow each other. The voices that call it: :mod:`pipec.explain_neutral`,
:mod:`pipec.explain_aws`, :mod:`pipec.explain_github`.
"""

from __future__ import annotations

from pipec import model
from pipec.explain_strategies import rollback_text, strategy_text
from pipec.explain_text import (COMPUTE, REPORT_KINDS, RUNTIMES, STORES, Doc, commands_text, join_words,
                                minutes_text, quoted, seconds_text)


def _kind_word(a) -> str:
    if isinstance(a, model.Build):
        return "test" if a.kind == "test" else "build"
    if isinstance(a, (model.Deploy, model.StackDeploy, model.BucketDeploy)):
        return "deployment"
    if isinstance(a, model.Approval):
        return "approval"
    return "Lambda invocation"


class Facts:
    """What the narrations share: who consumes each artifact, which stages each platform runs."""

    def __init__(self, pipeline: model.Pipeline):
        self.p = pipeline
        self.consumers: dict[str, list[tuple[str, str]]] = {}
        for stage in pipeline.stages:
            for a in stage.actions:
                for name in a.inputs:
                    self.consumers.setdefault(name, []).append((stage.name, a.name))

    def used_by(self, artifact: str) -> str:
        users = self.consumers.get(artifact, [])
        if not users:
            return "no later action reads it"
        return "read by " + join_words([f"{a} (stage {s})" for s, a in users])

    def stages_on(self, platform: str | None):
        return [s for s in self.p.stages if platform is None or s.platform in (None, platform)]


class Narrator:
    def __init__(self, pipeline: model.Pipeline, voice: str | None):
        self.p = pipeline
        self.voice = voice  # None, "aws" or "github"
        self.facts = Facts(pipeline)
        self.failure_told = False  # the failure rules are said once, at the first build
        self.stage_platform = {s.name: s.platform for s in pipeline.stages}

    # -- builds

    def build(self, doc: Doc, b: model.Build):
        img = b.image
        if img.kind in ("ubuntu", "amazonlinux"):
            image = ("the managed Ubuntu image" if img.kind == "ubuntu" else "the managed Amazon Linux image")
            if img.ref:
                image += f" (version {img.ref})"
        elif img.kind == "codebuild":
            image = f"the CodeBuild image {img.ref}"
        elif img.kind == "ecr":
            image = f"the custom image {img.ref} from ECR"
        else:
            image = f"the container image {img.ref}"
        if b.os == "windows":
            image = "CodeBuild's Windows Server 2019 image, its commands in PowerShell"
        elif b.arch == "arm64" and img.kind in ("ubuntu", "amazonlinux"):
            image = "the managed Amazon Linux image for arm64 (Graviton)"
        in_codebuild = b.github.has("run_in_codebuild")
        github_only = (b.platform_binding or self.stage_platform.get(b.stage)) == "github"
        if self.voice == "github" and not in_codebuild or github_only and not in_codebuild:
            # a GitHub job without run_in_codebuild runs on the workflow's runner: 'compute'
            # (a CodeBuild compute type) does not apply to it
            runner = {"windows": "on GitHub's Windows runner, its commands in PowerShell"}.get(
                b.os, "on GitHub's arm64 runner" if b.arch == "arm64" else
                "on the workflow's GitHub runner (runs-on decides the machine)")
            env = ("Runs " + (f"in {image} " if img.kind == "docker" else "") + runner)
        else:
            env = f"Runs in {image}, compute {b.compute} ({COMPUTE.get(b.compute, b.compute)})"
        if b.runtimes:
            from pipec.semantic_matrix import axis_reference

            env += ", with " + join_words([
                f"{RUNTIMES.get(n, n)} {v}" if axis_reference(str(v)) is None
                else f"{RUNTIMES.get(n, n)} of the cell's {axis_reference(str(v))}" for n, v in b.runtimes])
        if b.privileged:
            env += "; privileged, so it can run a Docker daemon"
        env += f"; time limit {minutes_text(b.timeout_minutes)}."
        doc.bullet(env)
        if b.matrix is not None:
            doc.bullet(self.matrix_text(b.matrix))
        ins = list(b.inputs)
        text = f"Input: {ins[0]} (the working directory)"
        if len(ins) > 1:
            text += "; also " + join_words(ins[1:]) + ", each in a directory of its own ($CODEBUILD_SRC_DIR_NAME)"
        doc.bullet(text + ".")
        if b.env or b.secrets:
            parts = []
            if b.env:
                parts.append("plain variable" + ("s " if len(b.env) > 1 else " ") + join_words([e.name for e in b.env])
                             + " (visible in the configuration and logs)")
            for s in b.secrets:
                line = f"secret {s.name} from {STORES[s.store]} {s.ref}"
                if s.github_secret and self.voice != "aws":
                    line += f" (on GitHub Actions: from the GitHub secret {s.github_secret})"
                elif self.voice == "github":
                    line += " (fetched through the job's AWS role)"
                parts.append(line)
            doc.bullet("Environment: " + "; ".join(parts) + "." + (
                " Secrets are read when the action starts and masked in logs." if b.secrets else ""))
        for c in b.codeartifact:
            owner = f", owned by account {c.owner}" if c.owner else " (pipec creates them)"
            doc.bullet(f"Before install: logs {c.tool} in to the CodeArtifact domain {c.domain}, "
                       f"repository {c.repository}{owner}.")
        if b.grants:
            doc.bullet("Its role is also allowed: " + "; ".join(
                f"{join_words(list(g.actions))} on {join_words(list(g.resources))}" for g in b.grants) + ".")
        doc.bullet("Phases, in order:")
        for ph in b.phases:
            text = f"{ph.name}: {commands_text(ph.commands)}"
            if ph.finally_commands:
                text += f"; finally, whether they succeed or not: {commands_text(ph.finally_commands)}"
            if ph.on_failure == "continue":
                text += " (on failure: continue with the next phase)"
            doc.bullet(text + ".", 1)
        failure = self.failure(b)
        if failure:
            doc.bullet(failure)
        for o in b.outputs:
            base = f" under {o.base}/" if o.base else ""
            flat = ", flattened into one directory" if o.discard_paths else ""
            doc.bullet(f"Produces the artifact {o.name}: {join_words([quoted(f) for f in o.files])}{base}{flat}; "
                       f"{self.facts.used_by(o.name)}.")
        if b.cache:
            # CodeBuild's local cache "stores a cache locally on a build host that is available to
            # that build host only" (https://docs.aws.amazon.com/codebuild/latest/userguide/caching-local.html):
            # a build that lands on another host starts without it
            if b.aws.first("cache") == "s3":
                where = "kept between runs in S3 (aws { cache s3 })"
            else:
                where = ("kept on the build host, for later builds on that same host only: a build on "
                         "another host starts without it")
            how = {"aws": f"CodeBuild: {where}", "github": "actions/cache restores and saves them",
                   None: f"CodeBuild: {where}; GitHub Actions: actions/cache"}[self.voice]
            doc.bullet(f"Cache: {join_words([quoted(c) for c in b.cache])} ({how}).")
        for r in b.reports:
            fmt, kind = REPORT_KINDS.get(r.format, (r.format, "test"))
            base = f" under {r.base}/" if r.base else ""
            doc.bullet(f"Publishes the {kind} report {r.name} ({fmt}) from {join_words([quoted(f) for f in r.files])}{base}.")

    def matrix_text(self, m: model.Matrix) -> str:
        """The sentence about a build's matrix: its axes, excludes and includes, cells and rules."""
        text = "Runs once per cell of its matrix: " + " x ".join(
            f"{n} {join_words(list(vals))}" for n, vals in m.axes)
        for ex in m.exclude:
            text += ", without " + " ".join(f"{k}={x}" for k, x in ex)
        for inc in m.include:
            text += ", plus " + " ".join(f"{k}={x}" for k, x in inc)
        cells = len(m.cells())
        text += (f": {cells} cell{'s' if cells != 1 else ''}, each with its values as environment variables"
                 f" ({join_words([n for n, _ in m.axes])})")
        how = {"aws": "a CodeBuild batch build, one build per cell",
               "github": "strategy.matrix, one job per cell, named after its values"}.get(self.voice)
        if how:
            text += f"; {how}"
        text += ("; the first failed cell stops the others" if m.fail_fast
                 else "; every cell runs to its end, even when another one fails")
        if m.max_parallel:
            text += f"; at most {m.max_parallel} at once"
        return text + "."

    def failure(self, b: model.Build) -> str | None:
        """The failure rules, said once per pipeline (at its first build), and then only what an
        action does differently (a phase with ``on_failure continue``)."""
        exceptions = [f"a failure in {ph.name} lets the next phases run, but the action still fails at the end"
                      for ph in b.phases if ph.on_failure == "continue"]
        if self.failure_told:
            return ("Unlike the rule above: " + "; ".join(exceptions) + ".") if exceptions else None
        self.failure_told = True
        text = ("If a command fails (non-zero exit status), the rest of its phase is skipped; a failure in "
                "install or pre_build stops the action (the later phases do not run); after a failed build "
                "phase, post_build still runs and the artifacts are still collected; the action fails. A "
                "failed action stops the run: no later action runs. This holds for every build and test "
                "action of this pipeline")
        if exceptions:
            return text + "; here, " + "; ".join(exceptions) + "."
        return text + "."

    # -- deployments

    def deploy(self, doc: Doc, d):
        if isinstance(d, model.Deploy):
            what, trade = strategy_text(d)
            frm = f"Deploys the artifact {d.inputs[0]}. " if d.inputs else ""
            doc.bullet(frm + f"Strategy {self.strategy_name(d.strategy)}: {what}")
            doc.bullet("In practice: " + "; ".join(trade) + ".")
            rb = rollback_text(d)
            if rb:
                doc.bullet(rb)
            if d.strategy.kind in ("canary", "linear") and not d.rollback.alarms:
                doc.bullet("No alarm watches the traffic shift: the rest of the traffic moves on schedule "
                           "unless a hook fails or the deployment fails.")
            t = d.target
            if isinstance(t, model.Ec2Target):
                for src, dst in t.files:
                    what = "the whole revision" if src == "/" else f"{src} from the revision"
                    doc.bullet(f"Copies {what} to {dst} on each instance ({t.os}).")
                for path, owner, group, mode in t.permissions:
                    bits = [f"owner {owner}" if owner else "", f"group {group}" if group else "",
                            f"mode {mode}" if mode else ""]
                    doc.bullet(f"Sets {path} to " + join_words([x for x in bits if x]) + ".")
            for h in d.hooks:
                if d.platform == "ec2":
                    extra = [f"as {h.run_as}" if h.run_as else "",
                             f"timeout {seconds_text(h.timeout_seconds)}" if h.timeout_seconds else ""]
                    extra = [x for x in extra if x]
                    doc.bullet(f"Hook {h.event}: runs the script {h.target} on each instance"
                               + (f" ({', '.join(extra)})" if extra else "") + "; a failing hook fails "
                               "the deployment.")
                else:
                    doc.bullet(f"Hook {h.event}: CodeDeploy calls the Lambda function {h.target}, which "
                               "reports success or failure; a failure fails the deployment.")
        elif isinstance(d, model.StackDeploy):
            params = (", parameters " + join_words([f"{k}={v}" for k, v in d.parameters])) if d.parameters else ""
            caps = (", capabilities " + join_words(d.capabilities)) if d.capabilities else ""
            how = (f"creates the change set {d.change_set}, then executes it" if d.change_set
                   else "creates or updates the stack directly (no change set)")
            doc.bullet(f"CloudFormation deploys the stack {d.stack} from the template {d.template} in the "
                       f"artifact {d.inputs[0]}{params}{caps}: {how}.")
            doc.bullet("If the stack update fails, CloudFormation rolls the stack back to its previous "
                       "state and the action fails.")
        else:
            if d.extract:
                what = f"uploads the files of the artifact {d.inputs[0]} into the bucket {d.bucket}"
            else:
                what = f"uploads the artifact {d.inputs[0]} as one zip, object {d.object_key} in the bucket {d.bucket}"
            cc = f", with Cache-Control {quoted(d.cache_control)}" if d.cache_control else ""
            doc.bullet(f"Copies to S3: {what}{cc}. There is no rollback: a later deployment overwrites "
                       "the objects.")

    @staticmethod
    def strategy_name(s: model.Strategy) -> str:
        if s.kind == "rolling":
            if s.batch == "min_healthy":
                return f"rolling (at least {s.percent}% healthy)"
            return f"rolling ({s.batch})" if s.batch else "rolling"
        if s.kind == "canary":
            return f"canary ({s.percent}%, the rest after {minutes_text(s.interval_minutes)})"
        if s.kind == "linear":
            return f"linear ({s.percent}% every {minutes_text(s.interval_minutes)})"
        if s.kind == "blue-green" and s.terminate_after_minutes is not None:
            return f"blue/green (old fleet kept {minutes_text(s.terminate_after_minutes)})"
        return {"blue-green": "blue/green"}.get(s.kind, s.kind)

    # -- approvals and invokes

    def approval(self, doc: Doc, a: model.Approval):
        doc.bullet("Stops the run until a person approves or rejects it; a rejection stops the run here.")
        if a.message:
            doc.bullet(f"Asks: {quoted(a.message)}")
        if a.url:
            doc.bullet(f"Link for the reviewer: {a.url}.")
        if a.notify_emails:
            doc.bullet("Notifies " + join_words(list(a.notify_emails)) + " by e-mail, through an SNS topic pipec "
                       "creates (each address confirms its subscription once).")
        elif a.topic_arn:
            doc.bullet(f"Notifies the existing SNS topic {a.topic_arn}.")
        else:
            doc.bullet("Notifies nobody: reviewers must look at the pipeline themselves.")
        if self.voice != "github":
            doc.bullet(f"Waits up to {minutes_text(a.timeout_minutes)} on CodePipeline; with no answer by then, "
                       "the approval fails and the run stops.")
        if self.voice == "aws":
            return
        env = a.github.first("environment") or a.name
        who = a.github.get("reviewers") or ()
        text = f"On GitHub Actions: a job in the environment {env}" if self.voice != "github" else \
            f"The job runs in the environment {env}"
        text += (f", approved by {join_words(list(who))}" if who else ", with no reviewers named (the job "
                 "would not wait)")
        wait = a.github.first("wait")
        if wait:
            text += f", after a wait timer of {wait}"
        doc.bullet(text + "; GitHub has no approval timeout setting (a waiting job fails after 30 days).")

    def invoke(self, doc: Doc, i: model.Invoke):
        text = f"Calls the Lambda function {i.function}"
        if i.parameters:
            text += f" with the parameters {quoted(i.parameters)}" if len(i.parameters) <= 72 else \
                f" with a parameter string of {len(i.parameters)} characters"
        doc.bullet(text + "; the function reports success or failure, and a failure stops the run.")
        if i.inputs:
            doc.bullet("Reads " + join_words(list(i.inputs)) + ".")
        for o in i.outputs:
            doc.bullet(f"Produces the artifact {o}; {self.facts.used_by(o)}.")

    def action(self, doc: Doc, a):
        if isinstance(a, model.Build):
            self.build(doc, a)
        elif isinstance(a, model.Approval):
            self.approval(doc, a)
        elif isinstance(a, model.Invoke):
            self.invoke(doc, a)
        else:
            self.deploy(doc, a)


def _deploy_target(d) -> str:
    if isinstance(d, model.Deploy):
        t = d.target
        if isinstance(t, model.Ec2Target):
            where = []
            if t.tags:
                where.append("EC2 instances tagged " + join_words([f"{k}={v}" for k, v in t.tags], "or"))
            if t.autoscaling_groups:
                where.append("the Auto Scaling group" + ("s " if len(t.autoscaling_groups) > 1 else " ")
                             + join_words(t.autoscaling_groups))
            return join_words(where, "and")
        if isinstance(t, model.EcsTarget):
            return f"the ECS service {t.service} in the cluster {t.cluster}"
        return f"the Lambda function {t.function}, alias {t.alias}"
    if isinstance(d, model.StackDeploy):
        return f"the CloudFormation stack {d.stack}"
    if isinstance(d, model.BucketDeploy):
        return f"the S3 bucket {d.bucket}"
    return ""


def action_title(a) -> str:
    kind = _kind_word(a)
    target = _deploy_target(a)
    return f"{a.name}: {kind}" + (f" to {target}" if target else "")


def _groups(stage: model.Stage):
    groups: list[list] = []
    for a in stage.actions:
        if groups and groups[-1][0].run_order == a.run_order:
            groups[-1].append(a)
        else:
            groups.append([a])
    return groups


def order_sentence(stage: model.Stage) -> str:
    groups = _groups(stage)
    if len(stage.actions) == 1:
        return ""
    parts = [(g[0].name if len(g) == 1 else join_words([a.name for a in g]) + " together") for g in groups]
    if len(groups) == 1:
        return f"{parts[0]}: they start at the same time, and the stage waits for all of them."
    return "Order: " + ", then ".join(parts) + ". Each step starts when the one before has succeeded."
