"""``pipec explain``: a checked pipeline narrated in plain English.

:func:`explain` turns a :class:`pipec.model.Pipeline` into deterministic plain text, stage by
stage: what starts it, what each action runs and where, which artifacts flow where, what a failure
does, what each approval waits for and what each deployment strategy means in practice. Three
voices:

- ``target=None``: platform-neutral, ending with the differences between the CodePipeline and the
  GitHub Actions outputs (the platform-difference diagnostics the targets give, or the errors of a
  target that refuses the pipeline);
- ``target="aws"``: CodePipeline's vocabulary (stages, actions, RunOrder, CodeBuild projects,
  CodeDeploy deployment groups, transitions, V2 triggers, EventBridge rules);
- ``target="github"``: GitHub Actions' vocabulary (workflow, ``on:`` events, jobs, ``needs``,
  steps, environments, concurrency, OIDC roles).

Facts about the outputs come from the targets themselves: both are generated in memory (nothing is
written) and the platform narrations read the generated template and workflow, so the text says
what ``pipec build`` would produce. Facts about strategies are the trade-offs of the deployment
strategy comparison (downtime, rollback speed, extra infrastructure, blast radius), told for the
compute platform at hand. The text is wrapped at :data:`WIDTH` columns.
"""

from __future__ import annotations

import math
import textwrap

from pipec import model, yamlout
from pipec.diagnostics import ERROR, PLATFORM_DIFFERENCES, Diagnostics

WIDTH = 100

PLATFORM_NAMES = {"aws": "CodePipeline", "github": "GitHub Actions"}
#: codes of errors only one target gives, and which
TARGET_OF_ERROR = {"E407": "aws", "E411": "aws", "E408": "github", "E409": "github", "E410": "github"}

PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab", "codecommit": "CodeCommit",
             "s3": "S3"}
COMPUTE = {"small": "2 vCPUs, 3 GB", "medium": "4 vCPUs, 7 GB", "large": "8 vCPUs, 15 GB",
           "2xlarge": "72 vCPUs, 145 GB"}
COMPUTE_TYPES = {"small": "BUILD_GENERAL1_SMALL", "medium": "BUILD_GENERAL1_MEDIUM",
                 "large": "BUILD_GENERAL1_LARGE", "2xlarge": "BUILD_GENERAL1_2XLARGE"}
RUNTIMES = {"nodejs": "Node.js", "python": "Python", "java": "Java", "golang": "Go", "dotnet": ".NET",
            "ruby": "Ruby", "php": "PHP", "android": "Android"}
STORES = {"ssm": "the SSM Parameter Store parameter", "secrets-manager": "the Secrets Manager secret"}
REPORT_KINDS = {"junit": ("JUnit XML", "test"), "cucumber": ("Cucumber JSON", "test"),
                "testng": ("TestNG XML", "test"), "nunit": ("NUnit XML", "test"),
                "nunit3": ("NUnit 3 XML", "test"), "trx": ("Visual Studio TRX", "test"),
                "clover": ("Clover XML", "coverage"), "cobertura": ("Cobertura XML", "coverage"),
                "jacoco": ("JaCoCo XML", "coverage"), "simplecov": ("SimpleCov JSON", "coverage"),
                "lcov": ("LCOV", "coverage")}
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MODES = {
    "superseded": "superseded: when a newer run reaches a stage that an older run is waiting to enter, "
                  "the newer run overtakes it and the older one is dropped",
    "queued": "queued: runs go through one at a time, in the order they started; a new run waits for "
              "the one in progress",
    "parallel": "parallel: every run is independent; several can be in the same stage at once",
}


# ----------------------------------------------------------------------------- text helpers


class _Doc:
    def __init__(self):
        self.lines: list[str] = []

    def blank(self):
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def title(self, text: str):
        self.blank()
        self.lines += [text, "=" * len(text)]
        self.lines.append("")

    def heading(self, text: str):
        self.blank()
        self.lines += [text, "-" * len(text)]

    def para(self, text: str):
        self.lines += _wrap(text, "", "")

    def bullet(self, text: str, level: int = 0):
        pad = "  " * level
        self.lines += _wrap(text, pad + "- ", pad + "  ")

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _join(items, word: str = "and") -> str:
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _minutes(m: int) -> str:
    if m >= 1440 and m % 1440 == 0:
        return _plural(m // 1440, "day")
    if m >= 60 and m % 60 == 0:
        return _plural(m // 60, "hour")
    return _plural(m, "minute")


def _seconds(s: int) -> str:
    if s >= 60 and s % 60 == 0:
        return _minutes(s // 60)
    return _plural(s, "second")


def _q(text: str) -> str:
    return f'"{text}"'


def _command(c: model.Command) -> str:
    text = c.text
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if c.script or len(lines) > 1:
        return f"a {len(lines)}-line script starting with {_q(lines[0].strip())}"
    if len(text) <= 72:
        return _q(text)
    return _q(text[:60].rstrip() + "...") + f" ({len(text)} characters)"


def _commands(cs) -> str:
    return _join([_command(c) for c in cs], "then") if len(cs) <= 1 else \
        ", ".join(_command(c) for c in cs[:-1]) + ", then " + _command(cs[-1])


# ----------------------------------------------------------------------------- patterns and triggers


def _literal(s: str) -> bool:
    return not any(c in s for c in "*?[]{},")


def _pattern(p: str, kind: str) -> str:
    """One pipec pattern in words; ``kind`` is branch, tag or path. Falls back to quoting the
    pattern whenever a shape is not one of the simple ones below."""
    noun = {"branch": "any branch", "tag": "any tag", "path": "files"}[kind]
    if p == "**":
        return {"branch": "any branch", "tag": "any tag", "path": "any file"}[kind]
    if "{" in p:
        from pipec.patterns import expand

        alts = expand(p)
        if len(alts) <= 4 and all("{" not in a for a in alts):
            return _join([_pattern(a, kind) for a in alts], "or")
        return f"{noun} matching {_q(p)}"
    if _literal(p):
        return {"branch": p, "tag": f"the tag {p}", "path": f"the file {p}"}[kind]
    if p.endswith("/**") and _literal(p[:-3]):
        return f"{noun} under {p[:-2]}"
    if kind == "path" and p.startswith("**/") and "/" not in p[3:]:
        rest = p[3:]
        if rest.startswith("*.") and _literal(rest[1:]):
            return f"files ending in {rest[1:]} in any directory"
        return f"files matching {_q(rest)} in any directory"
    if p.endswith("*") and not p.endswith("**") and _literal(p[:-1]):
        prefix = p[:-1]
        if prefix.endswith("/"):
            return {"branch": f"any branch directly under {prefix}", "tag": f"any tag directly under {prefix}",
                    "path": f"files directly in {prefix}"}[kind]
        if kind == "path" and "/" not in prefix:
            return f"top-level files whose names start with {_q(prefix)}"
        return f"{noun} whose name starts with {_q(prefix)} (with no further '/')"
    if kind == "path" and "/" not in p and "**" not in p:
        if p.startswith("*.") and _literal(p[1:]):
            return f"top-level files ending in {p[1:]}"
        return f"top-level files matching {_q(p)}"
    return f"{noun} matching {_q(p)}"


def _filter(f: model.Filter, kind: str) -> str:
    includes = f.includes or ("**",)
    words = _join([_pattern(p, kind) for p in includes], "or")
    if f.excludes:
        words += ", except " + _join([_pattern(p, kind) for p in f.excludes], "and")
    return words


def _cron(text: str) -> str:
    """A schedule in words for common shapes; otherwise the cron expression quoted."""
    from pipec.cron import parse

    fallback = f"at the times of the cron expression {_q(text)} (cron, UTC)"
    try:
        sched = parse(text)
    except Exception:
        return fallback
    minute, hour, dom, month, dow = text.split()
    if month != "*" or not minute.isdigit():
        return fallback
    m = int(minute)
    hours = sorted(sched.hours)
    if hour == "*":
        when = f"every hour at {m} minutes past the hour, UTC" if m else "every hour on the hour, UTC"
    elif all(h.isdigit() for h in hour.split(",")) and len(hours) <= 4:
        when = "at " + _join([f"{h:02d}:{m:02d}" for h in hours]) + " UTC"
    elif len(hours) >= 3 and hours == list(range(hours[0], hours[-1] + 1)):
        when = f"every hour from {hours[0]:02d}:{m:02d} to {hours[-1]:02d}:{m:02d} UTC"
    else:
        return fallback
    if dom == "*" and dow == "*":
        days = "every day"
    elif dom == "*":
        wd = sorted(sched.weekdays)
        if len(wd) >= 3 and wd == list(range(wd[0], wd[-1] + 1)):
            days = f"{DAY_NAMES[wd[0]]} to {DAY_NAMES[wd[-1]]}"
        else:
            days = "on " + _join([DAY_NAMES[d] + "s" for d in wd])
    elif dow == "*":
        ds = sorted(sched.days)
        if len(ds) > 4:
            return fallback
        days = "on day " + _join([str(d) for d in ds]) + " of each month"
    else:
        return fallback
    return f"{when}, {days}"


def _via(platform: str | None) -> str:
    return f" ({PLATFORM_NAMES[platform]} only)" if platform else ""


def _trigger(src: model.Source, t) -> str:
    if isinstance(t, model.PushTrigger):
        if src.provider == "s3":
            return f"a new upload of the object {src.object_key} in the bucket {src.bucket}"
        if t.tags is not None:
            return f"a push of {_filter(t.tags, 'tag')}"
        text = f"a push to {_filter(t.branches, 'branch')}"
        if t.paths is not None:
            text += f" that changes {_filter(t.paths, 'path')}"
        return text
    if isinstance(t, model.PullRequestTrigger):
        events = {"opened": "opened", "updated": "updated with new commits", "closed": "closed"}
        text = (f"a pull request into {_filter(t.branches, 'branch')} being "
                f"{_join([events[e] for e in t.events], 'or')}")
        if t.paths is not None:
            text += f", when it changes {_filter(t.paths, 'path')}"
        return text
    if isinstance(t, model.ManualTrigger):
        return "a start by hand"
    return f"a schedule, {_cron(t.cron)}"


def _is_default(src: model.Source, t) -> bool:
    return isinstance(t, model.PushTrigger) and (t.span is None or t.span == src.span)


def _source_where(src: model.Source) -> str:
    if src.provider == "s3":
        return f"the object {src.object_key} in the S3 bucket {src.bucket}"
    kind = PROVIDERS[src.provider]
    what = "repository" if src.provider != "codecommit" else "repository"
    clone = " (a Git clone with its history)" if src.full_clone else ""
    return f"the {kind} {what} {src.repository}, branch {src.branch}{clone}"


# ----------------------------------------------------------------------------- facts about actions


def _kind_word(a) -> str:
    if isinstance(a, model.Build):
        return "test" if a.kind == "test" else "build"
    if isinstance(a, (model.Deploy, model.StackDeploy, model.BucketDeploy)):
        return "deployment"
    if isinstance(a, model.Approval):
        return "approval"
    return "Lambda invocation"


def _outputs(a) -> tuple[str, ...]:
    if isinstance(a, model.Build):
        return tuple(o.name for o in a.outputs)
    if isinstance(a, model.Invoke):
        return a.outputs
    return ()


class _Facts:
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
        return "read by " + _join([f"{a} (stage {s})" for s, a in users])

    def stages_on(self, platform: str | None):
        return [s for s in self.p.stages if platform is None or s.platform in (None, platform)]


# ----------------------------------------------------------------------------- strategies


def _strategy(d: model.Deploy) -> tuple[str, list[str]]:
    """(what happens, [downtime, rollback speed, extra infrastructure, blast radius])."""
    s, plat = d.strategy, d.platform
    t = d.target
    if plat == "ec2":
        where = []
        if t.tags:
            where.append("instances tagged " + _join([f"{k}={v}" for k, v in t.tags], "or"))
        if t.autoscaling_groups:
            where.append("the instances of the Auto Scaling group" + ("s " if len(t.autoscaling_groups) > 1 else " ")
                         + _join(t.autoscaling_groups))
        fleet = _join(where, "and")
        if s.kind == "all-at-once":
            return (f"CodeDeploy installs the new version on every one of the {fleet} at the same time, "
                    "in place.",
                    ["downtime: likely, while the instances stop and restart the application, since none "
                     "keeps serving the old version",
                     "rollback: slow, the previous revision is deployed again to every instance",
                     "extra infrastructure: none",
                     "blast radius: every instance at once"])
        if s.kind == "rolling":
            batch = {"one-at-a-time": "one instance at a time",
                     "half-at-a-time": "up to half of the instances at a time"}.get(
                s.batch, f"in batches that keep at least {s.percent}% of the fleet healthy")
            return (f"CodeDeploy updates the {fleet} in place, {batch}, while the others keep serving.",
                    ["downtime: none, but capacity is reduced while a batch updates, and old and new "
                     "versions serve side by side until the last batch is done",
                     "rollback: medium, the previous revision is deployed again, batch by batch",
                     "extra infrastructure: none",
                     "blast radius: grows batch by batch; instances not yet updated keep the old version "
                     "if the deployment stops"])
        wait = s.terminate_after_minutes if s.terminate_after_minutes is not None else 5
        tg = f" {t.target_group}" if t.target_group else ""
        return (f"CodeDeploy copies {fleet} into a new (green) fleet, installs the new "
                f"version there, moves the target group{tg}'s traffic to it, and terminates the old "
                f"(blue) instances {_minutes(wait)} after success.",
                ["downtime: none",
                 f"rollback: fast, traffic moves back to the blue fleet while it still runs (for "
                 f"{_minutes(wait)} after success)",
                 "extra infrastructure: a second copy of the fleet while both run",
                 "blast radius: all traffic moves to the new version at once"])
    if plat == "ecs":
        svc = f"the service {t.service} in the ECS cluster {t.cluster}"
        if s.kind == "rolling":
            return (f"ECS's own rolling update of {svc} (not CodeDeploy): new tasks from "
                    f"{t.image_file} replace the old ones, paced by the service's minimum and maximum "
                    "healthy percent.",
                    ["downtime: none while the healthy percent keeps tasks running; old and new tasks "
                     "serve side by side during the update",
                     "rollback: not done by CodeDeploy; going back means deploying the previous image "
                     "again (any automatic rollback is up to the ECS service's own deployment settings, "
                     "which pipec does not set)",
                     "extra infrastructure: none beyond the service's maximum percent",
                     "blast radius: grows as tasks are replaced"])
        wait = s.terminate_after_minutes if s.terminate_after_minutes is not None else 5
        blue, green = (t.target_groups + (None, None))[:2]
        start = (f"CodeDeploy starts a new (green) task set of {svc} beside the old (blue) one and "
                 f"moves the production listener's traffic from target group {blue} to {green}")
        if t.test_listener:
            start += " (a test listener reaches the green task set first)"
        if s.kind == "blue-green":
            how, radius = ": all of it at once.", "all traffic moves at once (after the hooks pass)"
        elif s.kind == "canary":
            how = (f": {s.percent}% first, then, if nothing goes wrong for {_minutes(s.interval_minutes)}, "
                   f"the remaining {100 - s.percent}%.")
            radius = f"{s.percent}% of the traffic for {_minutes(s.interval_minutes)}"
        else:
            how = (f": {s.percent}% more every {_minutes(s.interval_minutes)} until all of it has moved "
                   f"({math.ceil(100 / s.percent)} steps).")
            radius = f"grows by {s.percent}% of the traffic every {_minutes(s.interval_minutes)}"
        return (start + how + f" The old task set is terminated {_minutes(wait)} after success.",
                ["downtime: none",
                 f"rollback: fast, traffic moves back to the blue task set, which stays until "
                 f"{_minutes(wait)} after success",
                 "extra infrastructure: a second task set runs beside the old one during the deployment",
                 f"blast radius: {radius}"])
    alias = f"the alias {t.alias} of the Lambda function {t.function}"
    if t.current_version or t.target_version:
        versions = f" from version {t.current_version} to version {t.target_version}"
    else:
        versions = " from its current version to a new version published at deploy time"
    if s.kind == "all-at-once":
        how, radius = "in one step", "every invocation moves to the new version at once"
    elif s.kind == "canary":
        how = (f"{s.percent}% of the invocations first, then, if nothing goes wrong for "
               f"{_minutes(s.interval_minutes)}, the remaining {100 - s.percent}%")
        radius = f"{s.percent}% of the invocations for {_minutes(s.interval_minutes)}"
    else:
        how = (f"{s.percent}% more of the invocations every {_minutes(s.interval_minutes)} until all have "
               f"moved ({math.ceil(100 / s.percent)} steps)")
        radius = f"grows by {s.percent}% of the invocations every {_minutes(s.interval_minutes)}"
    return (f"CodeDeploy moves {alias}{versions}: {how}.",
            ["downtime: none, the alias switches between versions",
             "rollback: fast, CodeDeploy points the alias back at the previous version",
             "extra infrastructure: none (a new function version)",
             f"blast radius: {radius}"])


def _rollback(d: model.Deploy) -> str:
    r = d.rollback
    if d.platform == "ecs" and d.strategy.kind == "rolling":
        return ""
    alarms = _join(list(r.alarms))
    if r.on_failure and r.alarms:
        return (f"Automatic rollback: when the deployment fails, and when the CloudWatch alarm"
                f"{'s' if len(r.alarms) > 1 else ''} {alarms} go{'' if len(r.alarms) > 1 else 'es'} into "
                "ALARM during the deployment (the deployment stops and rolls back).")
    if r.on_failure:
        return "Automatic rollback: when the deployment fails."
    if r.alarms:
        return (f"Automatic rollback: only when the CloudWatch alarm{'s' if len(r.alarms) > 1 else ''} "
                f"{alarms} go{'' if len(r.alarms) > 1 else 'es'} into ALARM during the deployment; a "
                "failed deployment is not rolled back.")
    return "No automatic rollback: a failed deployment stays as it is until the next deployment."


# ----------------------------------------------------------------------------- narration of actions


class _Narrator:
    def __init__(self, pipeline: model.Pipeline, voice: str | None):
        self.p = pipeline
        self.voice = voice  # None, "aws" or "github"
        self.facts = _Facts(pipeline)

    # -- builds

    def build(self, doc: _Doc, b: model.Build):
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
        env = f"Runs in {image}, compute {b.compute} ({COMPUTE.get(b.compute, b.compute)})"
        if b.runtimes:
            env += ", with " + _join([f"{RUNTIMES.get(n, n)} {v}" for n, v in b.runtimes])
        if b.privileged:
            env += "; privileged, so it can run a Docker daemon"
        env += f"; time limit {_minutes(b.timeout_minutes)}."
        if self.voice == "github":
            env += (" On GitHub Actions the runner labels (runs-on) decide the machine; compute applies "
                    "only to jobs run in CodeBuild (run_in_codebuild).")
        doc.bullet(env)
        ins = list(b.inputs)
        text = f"Input: {ins[0]} (the working directory)"
        if len(ins) > 1:
            text += "; also " + _join(ins[1:]) + ", each in a directory of its own ($CODEBUILD_SRC_DIR_NAME)"
        doc.bullet(text + ".")
        if b.env or b.secrets:
            parts = []
            if b.env:
                parts.append("plain variable" + ("s " if len(b.env) > 1 else " ") + _join([e.name for e in b.env])
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
                f"{_join(list(g.actions))} on {_join(list(g.resources))}" for g in b.grants) + ".")
        doc.bullet("Phases, in order:")
        for ph in b.phases:
            text = f"{ph.name}: {_commands(ph.commands)}"
            if ph.finally_commands:
                text += f"; finally, whether they succeed or not: {_commands(ph.finally_commands)}"
            if ph.on_failure == "continue":
                text += " (on failure: continue with the next phase)"
            doc.bullet(text + ".", 1)
        doc.bullet(self.failure(b))
        for o in b.outputs:
            base = f" under {o.base}/" if o.base else ""
            flat = ", flattened into one directory" if o.discard_paths else ""
            doc.bullet(f"Produces the artifact {o.name}: {_join([_q(f) for f in o.files])}{base}{flat}; "
                       f"{self.facts.used_by(o.name)}.")
        if b.cache:
            where = "in S3 (aws { cache s3 })" if b.aws.first("cache") == "s3" else "on the build host"
            how = {"aws": f"CodeBuild keeps them {where}", "github": "actions/cache restores and saves them",
                   None: f"CodeBuild: {where}; GitHub Actions: actions/cache"}[self.voice]
            doc.bullet(f"Cache: {_join([_q(c) for c in b.cache])}, kept between runs ({how}).")
        for r in b.reports:
            fmt, kind = REPORT_KINDS.get(r.format, (r.format, "test"))
            base = f" under {r.base}/" if r.base else ""
            doc.bullet(f"Publishes the {kind} report {r.name} ({fmt}) from {_join([_q(f) for f in r.files])}{base}.")

    def failure(self, b: model.Build) -> str:
        names = [ph.name for ph in b.phases]
        parts = []
        for ph in b.phases:
            if ph.on_failure == "continue":
                parts.append(f"a failure in {ph.name} lets the next phases run, but the action still fails "
                             "at the end")
            elif ph.name in ("install", "pre_build"):
                later = names[names.index(ph.name) + 1:]
                parts.append(f"a failure in {ph.name} stops the action" +
                             (f" ({_join(later)} do{'es' if len(later) == 1 else ''} not run)" if later else ""))
            elif ph.name == "build":
                after = " post_build still runs and" if "post_build" in names else ""
                parts.append(f"after a failed build phase{after} the artifacts are still collected, and "
                             "the action fails")
            else:
                parts.append("a failure in post_build fails the action")
        return ("If a command fails (non-zero exit status), the rest of its phase is skipped: "
                + "; ".join(parts) + ". A failed action stops the run: no later action runs.")

    # -- deployments

    def deploy(self, doc: _Doc, d):
        if isinstance(d, model.Deploy):
            what, trade = _strategy(d)
            frm = f"Deploys the artifact {d.inputs[0]}. " if d.inputs else ""
            doc.bullet(frm + f"Strategy {self.strategy_name(d.strategy)}: {what}")
            doc.bullet("In practice: " + "; ".join(trade) + ".")
            rb = _rollback(d)
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
                    doc.bullet(f"Sets {path} to " + _join([x for x in bits if x]) + ".")
            for h in d.hooks:
                if d.platform == "ec2":
                    extra = [f"as {h.run_as}" if h.run_as else "",
                             f"timeout {_seconds(h.timeout_seconds)}" if h.timeout_seconds else ""]
                    extra = [x for x in extra if x]
                    doc.bullet(f"Hook {h.event}: runs the script {h.target} on each instance"
                               + (f" ({', '.join(extra)})" if extra else "") + "; a failing hook fails "
                               "the deployment.")
                else:
                    doc.bullet(f"Hook {h.event}: CodeDeploy calls the Lambda function {h.target}, which "
                               "reports success or failure; a failure fails the deployment.")
        elif isinstance(d, model.StackDeploy):
            params = (", parameters " + _join([f"{k}={v}" for k, v in d.parameters])) if d.parameters else ""
            caps = (", capabilities " + _join(d.capabilities)) if d.capabilities else ""
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
            cc = f", with Cache-Control {_q(d.cache_control)}" if d.cache_control else ""
            doc.bullet(f"Copies to S3: {what}{cc}. There is no rollback: a later deployment overwrites "
                       "the objects.")

    @staticmethod
    def strategy_name(s: model.Strategy) -> str:
        if s.kind == "rolling":
            if s.batch == "min_healthy":
                return f"rolling (at least {s.percent}% healthy)"
            return f"rolling ({s.batch})" if s.batch else "rolling"
        if s.kind == "canary":
            return f"canary ({s.percent}%, the rest after {_minutes(s.interval_minutes)})"
        if s.kind == "linear":
            return f"linear ({s.percent}% every {_minutes(s.interval_minutes)})"
        if s.kind == "blue-green" and s.terminate_after_minutes is not None:
            return f"blue/green (old fleet kept {_minutes(s.terminate_after_minutes)})"
        return {"blue-green": "blue/green"}.get(s.kind, s.kind)

    # -- approvals and invokes

    def approval(self, doc: _Doc, a: model.Approval):
        doc.bullet("Stops the run until a person approves or rejects it; a rejection stops the run here.")
        if a.message:
            doc.bullet(f"Asks: {_q(a.message)}")
        if a.url:
            doc.bullet(f"Link for the reviewer: {a.url}.")
        if a.notify_emails:
            doc.bullet("Notifies " + _join(list(a.notify_emails)) + " by e-mail, through an SNS topic pipec "
                       "creates (each address confirms its subscription once).")
        elif a.topic_arn:
            doc.bullet(f"Notifies the existing SNS topic {a.topic_arn}.")
        else:
            doc.bullet("Notifies nobody: reviewers must look at the pipeline themselves.")
        if self.voice != "github":
            doc.bullet(f"Waits up to {_minutes(a.timeout_minutes)} on CodePipeline; with no answer by then, "
                       "the approval fails and the run stops.")
        if self.voice == "aws":
            return
        env = a.github.first("environment") or a.name
        who = a.github.get("reviewers") or ()
        text = f"On GitHub Actions: a job in the environment {env}" if self.voice != "github" else \
            f"The job runs in the environment {env}"
        text += (f", approved by {_join(list(who))}" if who else ", with no reviewers named (the job "
                 "would not wait)")
        wait = a.github.first("wait")
        if wait:
            text += f", after a wait timer of {wait}"
        doc.bullet(text + "; GitHub has no approval timeout setting (a waiting job fails after 30 days).")

    def invoke(self, doc: _Doc, i: model.Invoke):
        text = f"Calls the Lambda function {i.function}"
        if i.parameters:
            text += f" with the parameters {_q(i.parameters)}" if len(i.parameters) <= 72 else \
                f" with a parameter string of {len(i.parameters)} characters"
        doc.bullet(text + "; the function reports success or failure, and a failure stops the run.")
        if i.inputs:
            doc.bullet("Reads " + _join(list(i.inputs)) + ".")
        for o in i.outputs:
            doc.bullet(f"Produces the artifact {o}; {self.facts.used_by(o)}.")

    def action(self, doc: _Doc, a):
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
                where.append("EC2 instances tagged " + _join([f"{k}={v}" for k, v in t.tags], "or"))
            if t.autoscaling_groups:
                where.append("the Auto Scaling group" + ("s " if len(t.autoscaling_groups) > 1 else " ")
                             + _join(t.autoscaling_groups))
            return _join(where, "and")
        if isinstance(t, model.EcsTarget):
            return f"the ECS service {t.service} in the cluster {t.cluster}"
        return f"the Lambda function {t.function}, alias {t.alias}"
    if isinstance(d, model.StackDeploy):
        return f"the CloudFormation stack {d.stack}"
    if isinstance(d, model.BucketDeploy):
        return f"the S3 bucket {d.bucket}"
    return ""


def _action_title(a) -> str:
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


def _order_sentence(stage: model.Stage) -> str:
    groups = _groups(stage)
    if len(stage.actions) == 1:
        return ""
    parts = [(g[0].name if len(g) == 1 else _join([a.name for a in g]) + " together") for g in groups]
    if len(groups) == 1:
        return f"{parts[0]}: they start at the same time, and the stage waits for all of them."
    return "Order: " + ", then ".join(parts) + ". Each step starts when the one before has succeeded."


# ----------------------------------------------------------------------------- generating the targets


class _Targets:
    """Both targets generated in memory: files, platform warnings and refusals per target."""

    def __init__(self, pipeline: model.Pipeline):
        from pipec.build import EmitContext
        from pipec.targets import load

        self.files: dict[str, dict[str, str] | None] = {}
        self.warnings: list = []
        self.errors: dict[str, list] = {}
        source = pipeline.filename.replace("\\", "/").rsplit("/", 1)[-1]
        for name in ("aws", "github"):
            ctx = EmitContext(source=source, prefix="")
            try:
                self.files[name] = load(name).emit(pipeline, ctx)
            except Diagnostics as exc:
                self.files[name] = None
                self.errors[name] = [d for d in exc.diagnostics if d.severity == ERROR]
            self.warnings.extend(d for d in ctx.warnings if d.code in PLATFORM_DIFFERENCES)


def _split(platform_warnings) -> tuple[list, dict[str, list]]:
    warns, errors = [], {}
    for d in platform_warnings:
        if d.severity == ERROR:
            errors.setdefault(TARGET_OF_ERROR.get(d.code, "?"), []).append(d)
        else:
            warns.append(d)
    return warns, errors


def _sorted(diags) -> list:
    seen, out = set(), []
    for d in sorted(diags, key=lambda d: d.sort_key()):
        key = (d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# ----------------------------------------------------------------------------- the three voices


def explain(pipeline, warnings=(), target: str | None = None, platform_warnings=None) -> str:
    """Plain-English narration of a checked pipeline (model.Pipeline from pipec.compile_text/compile_file).
    target None: platform-neutral, ending with the differences between the two outputs; "aws" /
    "github": narrate that platform in its own vocabulary. platform_warnings: the target diagnostics
    (W507-W515 etc.) if the caller already has them; when None, compute them by generating both
    targets in memory (nothing is written). Errors among them (a target refusing the pipeline) are
    narrated as such."""
    if target not in (None, "aws", "github"):
        raise ValueError(f"unknown target {target!r}: use None, 'aws' or 'github'")
    gen = None
    if platform_warnings is None or target is not None:
        gen = _Targets(pipeline)
    if platform_warnings is None:
        diffs, refusals = gen.warnings, gen.errors
    else:
        diffs, refusals = _split(platform_warnings)
        if gen is not None:
            for name, errs in gen.errors.items():
                refusals.setdefault(name, errs)
    diffs = _sorted(diffs)
    doc = _Doc()
    if target is None:
        _neutral(doc, pipeline, warnings, diffs, refusals)
    elif target == "aws":
        _aws(doc, pipeline, gen, refusals.get("aws"))
    else:
        _github(doc, pipeline, gen, refusals.get("github"), diffs)
    return doc.text()


def _overview(pipeline: model.Pipeline, stages) -> str:
    n = sum(len(s.actions) for s in stages)
    names = " -> ".join(["Source"] + [s.name for s in stages])
    return (f"{_plural(len(pipeline.sources), 'source')}, {_plural(len(stages), 'stage')} and "
            f"{_plural(n, 'action')}: {names}. Stages run one after another; a stage starts only when "
            "every action of the stage before it has succeeded, and a failed action stops the run.")


def _sources_section(doc: _Doc, pipeline: model.Pipeline, facts: _Facts, platform: str | None):
    for src in pipeline.sources:
        doc.bullet(f"Source {src.name}: {_source_where(src)}. Its files are the artifact {src.name}, "
                   f"{facts.used_by(src.name)}.")
        triggers = [t for t in src.triggers if platform is None or t.platform in (None, platform)]
        if not triggers:
            if src.triggers:
                doc.bullet(f"Starts no run on {PLATFORM_NAMES[platform]}: its triggers belong to the other "
                           "platform.", 1)
            else:
                doc.bullet("Starts no run by itself: it only delivers its latest revision when another "
                           "trigger starts the pipeline.", 1)
        for t in triggers:
            text = "Starts a run on " + _trigger(src, t) + (_via(t.platform) if platform is None else "")
            if _is_default(src, t):
                text += " (the default for a source without 'on' lines)"
            if isinstance(t, model.PushTrigger) and t.paths is not None:
                text += "; a push counts when at least one changed file matches and is not excluded"
            if isinstance(t, model.ScheduleTrigger):
                text += "; every source then delivers its latest revision, changed or not"
            if isinstance(t, model.ManualTrigger):
                text += " (always possible on CodePipeline; the 'Run workflow' button, workflow_dispatch, " \
                        "on GitHub Actions)"
            doc.bullet(text + ".", 1)
    if pipeline.variables:
        for v in pipeline.variables:
            desc = f" ({v.description})" if v.description else ""
            doc.bullet(f"Run variable {v.name}{desc}: chosen when a run starts, default {_q(v.default)}.")


def _neutral(doc: _Doc, p: model.Pipeline, warnings, diffs, refusals):
    n = _Narrator(p, None)
    doc.title(f"Pipeline {p.name}")
    doc.para(_overview(p, p.stages))
    doc.blank()
    doc.para(f"Mode {MODES[p.mode]}.")
    if p.is_hybrid:
        doc.blank()
        only = [f"{s.name} ({PLATFORM_NAMES[s.platform]} only)" for s in p.stages if s.platform]
        if only:
            doc.para("This is a hybrid pipeline: " + _join(only) + " run on one platform; the other "
                     "stages and the unbound triggers apply on both.")
        else:
            doc.para("This is a hybrid pipeline: some triggers start only one platform (marked below); "
                     "every stage runs on both.")
    doc.heading("What starts it")
    _sources_section(doc, p, n.facts, None)
    for i, stage in enumerate(p.stages, 1):
        doc.heading(f"Stage {i} of {len(p.stages)}: {stage.name}")
        _stage_intro(doc, stage, neutral=True)
        for a in stage.actions:
            doc.blank()
            doc.para(_action_title(a))
            n.action(doc, a)
    if warnings:
        doc.heading("Warnings from the checker")
        for d in _sorted(warnings):
            doc.bullet(f"{d.code}: {d.message}.")
    doc.heading("Differences between the two platforms")
    items = []
    for name in ("aws", "github"):
        for d in _sorted(refusals.get(name, [])):
            items.append(f"{PLATFORM_NAMES[name]} cannot express this pipeline: {d.code} {d.message}.")
    for d in _sorted(refusals.get("?", [])):
        items.append(f"A target cannot express this pipeline: {d.code} {d.message}.")
    for d in diffs:
        items.append(f"{d.code}: {d.message}.")
    if not items:
        doc.para("none: both outputs do the same thing for this pipeline.")
    for text in items:
        doc.bullet(text)


def _stage_intro(doc: _Doc, stage: model.Stage, neutral: bool):
    if stage.platform and neutral:
        doc.para(f"Runs on {PLATFORM_NAMES[stage.platform]} only ('via {stage.platform}').")
    if stage.disabled_reason and neutral:
        doc.para(f"Runs stop before this stage until someone enables its transition: "
                 f"{_q(stage.disabled_reason)}.")
    order = _order_sentence(stage)
    if order:
        doc.para(order)


# ----------------------------------------------------------------------------- CodePipeline


def _resolve(template: dict, value):
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        res = template.get("Resources", {}).get(ref)
        if res and "Name" in res.get("Properties", {}):
            return _resolve(template, res["Properties"]["Name"])
        param = template.get("Parameters", {}).get(ref)
        if param and "Default" in param:
            return param["Default"]
        return ref
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


def _aws(doc: _Doc, p: model.Pipeline, gen: _Targets, refusal):
    n = _Narrator(p, "aws")
    doc.title(f"Pipeline {p.name} on AWS CodePipeline")
    files = gen.files.get("aws")
    if files is None:
        doc.para("CodePipeline cannot express this pipeline: " + "; ".join(
            f"{d.code} {d.message}" for d in _sorted(refusal or [])) + ". Nothing would be generated "
            "for AWS; below is what the pipeline means.")
        doc.blank()
        _neutral_body(doc, p, n, "aws")
        return
    tpath = f"aws/{p.name}.template.yaml"
    template = yamlout.load(files[tpath])
    props = template["Resources"]["Pipeline"]["Properties"]
    stages = n.facts.stages_on("aws")
    doc.para(f"The CloudFormation template {tpath} creates a CodePipeline pipeline named {props['Name']} "
             f"(pipeline type {props['PipelineType']}, execution mode {props['ExecutionMode']}: "
             f"{MODES[p.mode].split(': ', 1)[1]}). " + _overview(p, stages))
    doc.blank()
    store = p.artifact_store
    if store.bucket:
        text = f"Artifacts go to your S3 bucket {store.bucket}"
    else:
        text = ("Artifacts go to an S3 bucket the template creates (versioned, public access blocked, TLS "
                "only, artifacts expire after 90 days)")
    text += f", encrypted with the KMS key {store.kms_key}." if store.kms_key else \
        (", encrypted with S3-managed keys." if not store.bucket else ".")
    doc.para(text)
    others = sorted(f for f in files if f != tpath)
    if others:
        doc.blank()
        doc.para(f"Beside the template: {_plural(len(others), 'file')} that CodeBuild and CodeDeploy read "
                 "at run time from the first Git source, so they must be committed: " + _join(others) + ".")

    doc.heading("Stage Source")
    src_stage = props["Stages"][0]
    for act in src_stage["Actions"]:
        src = next(s for s in p.sources if s.name == act["Name"])
        prov = act["ActionTypeId"]["Provider"]
        text = (f"Action {act['Name']} (RunOrder {act.get('RunOrder', 1)}, provider {prov}): "
                f"{_source_where(src)}; output artifact {src.name}, {n.facts.used_by(src.name)}.")
        if prov == "CodeStarSourceConnection":
            c = src.connection
            if c and c.arn:
                text += f" Uses the existing connection {c.arn}."
            else:
                name = c.name if c and c.name else f"{p.name}-{src.provider}"[:32]
                text += f" Uses the CodeConnections connection {name}, created by the stack: authorise it " \
                        "once in the console."
            fmt = act["Configuration"].get("OutputArtifactFormat")
            if fmt:
                text += f" OutputArtifactFormat {fmt}."
        doc.bullet(text)
    doc.heading("What starts it")
    triggers = {t["GitConfiguration"]["SourceActionName"]: t["GitConfiguration"] for t in props.get("Triggers", [])}
    for src in p.sources:
        ts = [t for t in src.triggers if t.platform in (None, "aws")]
        if src.name in triggers:
            doc.bullet(f"Trigger (V2) on the source action {src.name}; with a trigger configuration, only "
                       "these filters start runs:")
            gc = triggers[src.name]
            for kind in ("Push", "PullRequest"):
                for entry in gc.get(kind, []):
                    filt = "; ".join(f"{k} " + " ".join(
                        [f"includes {_join(v['Includes'])}" if v.get("Includes") else "",
                         f"excludes {_join(v['Excludes'])}" if v.get("Excludes") else ""]).strip()
                        for k, v in entry.items() if isinstance(v, dict))
                    events = f"events {_join(entry['Events'])}; " if entry.get("Events") else ""
                    doc.bullet(f"{kind}: {events}{filt}.", 1)
        elif src.provider in ("codecommit", "s3") and any(
                not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger)) for t in ts):
            doc.bullet(f"Source {src.name}: an EventBridge rule on its changes starts the pipeline "
                       "(PollForSourceChanges false).")
        for t in ts:
            if isinstance(t, model.ScheduleTrigger):
                from pipec.cron import eventbridge

                doc.bullet(f"An EventBridge rule with ScheduleExpression {eventbridge(t.cron)} (from the block "
                           f"of {src.name}) starts the pipeline {_cron(t.cron)}, with each source's latest revision.")
        words = [_trigger(src, t) for t in ts
                 if not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger))]
        if words:
            doc.bullet(f"In words, {src.name} starts a run on " + _join(words, "or") + ".")
        if not ts and src.triggers:
            doc.bullet(f"Source {src.name} starts nothing on CodePipeline (its triggers are 'via github').")
    doc.bullet("A run can always be started by hand (Release change), using each source's branch.")
    _sources_vars(doc, p, "CodePipeline pipeline variables, passed to CodeBuild actions as environment variables")

    resources = template["Resources"]
    disabled = {d["StageName"]: d["Reason"] for d in props.get("DisableInboundStageTransitions", [])}
    model_stages = {s.name: s for s in stages}
    for i, st in enumerate(props["Stages"][1:], 1):
        stage = model_stages[st["Name"]]
        doc.heading(f"Stage {i} of {len(props['Stages']) - 1}: {st['Name']}")
        if st["Name"] in disabled:
            doc.para(f"The inbound transition is disabled (DisableInboundStageTransitions): runs wait before "
                     f"this stage until someone enables it. Reason: {_q(disabled[st['Name']])}.")
        else:
            doc.para("The inbound transition is enabled: the stage starts when the stage before succeeds.")
        actions = {a.name: a for a in stage.actions}
        for act in st["Actions"]:
            doc.blank()
            type_ = act["ActionTypeId"]
            ins = [x["Name"] for x in act.get("InputArtifacts", [])]
            outs = [x["Name"] for x in act.get("OutputArtifacts", [])]
            head = (f"RunOrder {act['RunOrder']}: action {act['Name']} ({type_['Category']} / "
                    f"{type_['Provider']})")
            if ins:
                head += ", input artifacts " + _join(ins)
            if outs:
                head += ", output artifacts " + _join(outs)
            doc.para(head + ".")
            conf = act.get("Configuration", {})
            a = actions.get(act["Name"])
            if a is None:  # the change-set half of a CloudFormation deployment
                doc.bullet(f"Creates the change set {conf.get('ChangeSetName')} for the stack "
                           f"{conf.get('StackName')} (ActionMode {conf.get('ActionMode')}); the next action "
                           "executes it.")
                continue
            _aws_action(doc, p, a, conf, resources, template, files)
            n.action(doc, a)


def _sources_vars(doc: _Doc, p: model.Pipeline, what: str):
    for v in p.variables:
        doc.bullet(f"Variable {v.name} (default {_q(v.default)}): one of the {what}.")


def _aws_action(doc, p, a, conf, resources, template, files):
    if isinstance(a, model.Build):
        proj = _resolve(template, conf.get("ProjectName"))
        res = next((r for r in resources.values() if r.get("Type") == "AWS::CodeBuild::Project"
                    and r["Properties"].get("Name") == proj), None)
        env = res["Properties"]["Environment"] if res else {}
        text = (f"CodeBuild project {proj}: image {_resolve(template, env.get('Image'))}, compute type "
                f"{env.get('ComputeType')}, TimeoutInMinutes {res['Properties'].get('TimeoutInMinutes') if res else '?'}")
        spec = f"aws/{p.name}/buildspec/{a.name}.yml"
        bs = res["Properties"]["Source"].get("BuildSpec") if res else None
        if isinstance(bs, str) and "\n" in bs:
            text += f"; the buildspec is inline in the project (a copy is written to {spec})"
        elif spec in files:
            text += f"; buildspec {spec}"
        role = a.aws.first("role")
        text += f"; service role {role}" if role else "; a service role of its own, allowed only what it needs"
        doc.bullet(text + ".")
    elif isinstance(a, model.Deploy):
        if a.uses_codedeploy:
            app = a.aws.first("application") or f"{p.name}-{a.platform}"
            group = a.aws.first("deployment_group") or a.name
            config = a.strategy.codedeploy_config(a.platform) or \
                "a custom deployment configuration created in the template"
            text = f"CodeDeploy application {app}, deployment group {group}, deployment configuration {config}"
            if a.platform == "lambda":
                text += ("; the action is a CodeBuild 'deployer' project that starts the CodeDeploy "
                         "deployment and waits for it")
            if a.platform in ("ec2", "ecs", "lambda") and f"aws/{p.name}/appspec/{a.name}.yml" in files:
                text += f"; appspec aws/{p.name}/appspec/{a.name}.yml"
            doc.bullet(text + ".")
        else:
            doc.bullet(f"The ECS deploy action updates the service from {a.target.image_file}; no CodeDeploy "
                       "deployment group.")
    elif isinstance(a, model.StackDeploy):
        doc.bullet(f"ActionMode {conf.get('ActionMode')}, stack {conf.get('StackName')}.")
    elif isinstance(a, model.Approval):
        topic = a.aws.first("topic_name") or f"{p.name}-{a.name}"
        note = (f"; notifications through the SNS topic {topic}" if a.notify_emails else
                f"; notifications to the SNS topic {a.topic_arn}" if a.topic_arn else "")
        doc.bullet(f"Manual approval action, TimeoutInMinutes {a.timeout_minutes}{note}.")


# ----------------------------------------------------------------------------- GitHub Actions


def _github(doc: _Doc, p: model.Pipeline, gen: _Targets, refusal, diffs):
    n = _Narrator(p, "github")
    wf_name = p.github.first("workflow") or p.name
    doc.title(f"Pipeline {p.name} on GitHub Actions")
    files = gen.files.get("github")
    if files is None:
        doc.para("GitHub Actions cannot express this pipeline: " + "; ".join(
            f"{d.code} {d.message}" for d in _sorted(refusal or [])) + ". No workflow would be "
            "generated; below is what the pipeline means.")
        doc.blank()
        _neutral_body(doc, p, n, "github")
        return
    path = f".github/workflows/{wf_name}.yml"
    if path not in files:
        doc.para("No workflow is generated: every stage of this pipeline is bound to CodePipeline "
                 "('via aws').")
        return
    wf = yamlout.load(files[path])
    on = wf.get("on", wf.get(True, {})) or {}
    jobs = wf.get("jobs", {})
    stages = n.facts.stages_on("github")
    doc.para(f"The workflow {path} (name {wf.get('name')}) does the pipeline's job. " + _overview(p, stages)
             + " On GitHub each action is a job named 'STAGE / ACTION'; 'needs' orders them.")
    doc.blank()
    if p.mode == "parallel":
        doc.para("Concurrency: none (mode parallel): runs are independent.")
    else:
        doc.para("Concurrency: every job has a concurrency group (WORKFLOW-JOB) without cancel-in-progress: "
                 "one run at a time per job, and a newer waiting run replaces an older waiting one"
                 + (" (mode queued has no exact equivalent, W507)." if p.mode == "queued" else
                    ", close to CodePipeline's superseded mode."))
    doc.blank()
    doc.para("Permissions: 'permissions: {}' at the top; each job gets contents: read only when it checks "
             "out the repository and id-token: write only when it assumes an AWS role.")
    companion = f"github/{p.name}.template.yaml"
    if companion in files:
        doc.blank()
        doc.para(f"AWS side: the companion template {companion} holds the GitHub OIDC provider, one IAM role "
                 f"per job that uses AWS (named {p.name}-gh-JOB) and the CodeDeploy, SNS and other "
                 "resources the jobs use. Deploy it once, and set the repository variable AWS_ACCOUNT_ID"
                 + (" (or give github { oidc_provider })" if not p.github.first("oidc_provider") else
                    " (not needed: the account comes from oidc_provider)") + "."
                 + (" An account holds one GitHub OIDC provider: for every stack after the first that "
                    "creates it, give its ARN as the parameter GitHubOidcProviderArn."
                    if not p.github.first("oidc_provider") else ""))
    envs = sorted(f for f in files if "/environments/" in f and f.endswith(".json"))
    if envs:
        doc.blank()
        doc.para("Environments (reviewers, wait timers, branch policies) are set through GitHub's API, not "
                 f"the workflow: run github/{p.name}/environments/apply.sh once. Environment files: "
                 + _join(envs) + ".")

    doc.heading("on: (what starts the workflow)")
    for event in ("push", "pull_request", "workflow_dispatch", "schedule"):
        if event not in on:
            continue
        spec = on[event] or {}
        if event == "schedule":
            for item in spec:
                doc.bullet(f"schedule: cron {_q(item['cron'])}, {_cron(item['cron'])}; runs on the latest "
                           "commit of the default branch.")
            continue
        if event == "workflow_dispatch":
            inputs = (spec or {}).get("inputs", {})
            text = "workflow_dispatch: the 'Run workflow' button"
            if inputs:
                text += ", asking for " + _join(sorted(inputs))
            doc.bullet(text + ".")
            continue
        parts = [f"{k} {_join([str(x) for x in v])}" for k, v in spec.items() if isinstance(v, list)]
        doc.bullet(f"{event}: " + ("; ".join(parts) if parts else "any") + ".")
    for src in p.sources:
        ts = [t for t in src.triggers if t.platform in (None, "github")
              and not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger))]
        if ts and any(event in on for event in ("push", "pull_request")):
            doc.bullet(f"In words ({src.name}): a run starts on " + _join([_trigger(src, t) for t in ts], "or") + ".")
    if not on:
        doc.bullet("No event: the workflow never starts by itself.")

    by_name: dict[str, list[tuple[str, dict]]] = {}
    for jid, job in jobs.items():
        stage_name, _, rest = str(job.get("name", jid)).partition(" / ")
        action = rest.split(" (", 1)[0]
        by_name.setdefault(f"{stage_name} / {action}", []).append((jid, job))
    for i, stage in enumerate(stages, 1):
        doc.heading(f"Stage {i} of {len(stages)}: {stage.name}")
        if stage.disabled_reason:
            doc.para(f"GitHub has no disabled transitions: this stage's first jobs run only when a repository "
                     f"variable says so (W510). Reason given: {_q(stage.disabled_reason)}.")
        order = _order_sentence(stage)
        if order:
            doc.para(order)
        for a in stage.actions:
            doc.blank()
            doc.para(_action_title(a))
            for jid, job in by_name.get(f"{stage.name} / {a.name}", []):
                doc.bullet(_job_line(jid, job))
            n.action(doc, a)
    if diffs:
        doc.heading("Where GitHub Actions differs from CodePipeline here")
        for d in diffs:
            doc.bullet(f"{d.code}: {d.message}.")


def _job_line(jid: str, job: dict) -> str:
    text = f"Job {jid} ({job.get('name')})"
    needs = job.get("needs")
    if needs:
        needs = [needs] if isinstance(needs, str) else needs
        text += ", needs " + _join(list(needs))
    runs_on = job.get("runs-on")
    if runs_on:
        text += ", runs-on " + (_join(runs_on) if isinstance(runs_on, list) else str(runs_on))
    if job.get("container"):
        c = job["container"]
        text += ", container " + (c if isinstance(c, str) else str(c.get("image")))
    env = job.get("environment")
    if env:
        text += ", environment " + (env if isinstance(env, str) else env.get("name"))
    if job.get("timeout-minutes"):
        text += f", timeout-minutes {job['timeout-minutes']}"
    if job.get("if"):
        text += f", if: {job['if']}"
    roles = [s["with"]["role-to-assume"].rsplit("/", 1)[-1] for s in job.get("steps", [])
             if isinstance(s.get("with"), dict) and "role-to-assume" in s["with"]]
    if roles:
        text += f", OIDC role {roles[0]}"
    steps = [str(s.get("name")) for s in job.get("steps", []) if s.get("name")]
    if steps:
        text += ". Steps: " + "; ".join(steps)
    return text + "."


def _neutral_body(doc: _Doc, p: model.Pipeline, n: _Narrator, platform: str):
    doc.heading("What starts it")
    _sources_section(doc, p, n.facts, platform)
    stages = n.facts.stages_on(platform)
    for i, stage in enumerate(stages, 1):
        doc.heading(f"Stage {i} of {len(stages)}: {stage.name}")
        _stage_intro(doc, stage, neutral=True)
        for a in stage.actions:
            doc.blank()
            doc.para(_action_title(a))
            n.action(doc, a)
