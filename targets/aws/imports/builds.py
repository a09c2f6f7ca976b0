"""CodeBuild actions (``build`` and ``test``): the project of the template (image, compute,
privileged mode, timeouts, role, cache, variables) and its buildspec, whose body
:func:`pipec.targets.aws.spec_imports.build_body` writes, its errors turned into findings
(a buildspec is one part of the template). Where the buildspec comes from (inline, a companion,
a file next to the template) is :mod:`.specs`.
"""

from __future__ import annotations

from pathlib import Path

import json
import re

from pipec.targets.escape import failing_command
from pipec import importer
from pipec.importer import Doc, q, v

_COMPUTE = {"BUILD_GENERAL1_SMALL": "small", "BUILD_GENERAL1_MEDIUM": "medium",
            "BUILD_GENERAL1_LARGE": "large", "BUILD_GENERAL1_2XLARGE": "2xlarge"}

_SECRET_TYPES = {"PARAMETER_STORE": "ssm", "SECRETS_MANAGER": "secrets-manager"}
_PHASES = ("install", "pre_build", "build", "post_build")
_ECR = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


class Builds:
    """CodeBuild actions and the projects they run."""

    def codebuild(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        word = "test" if category == "Test" else "build"
        raw, name, b = self.open_action(parent, a, cfg, word + " {}", "CodeBuild", stage_raw, stage_name)
        inputs = self.inputs(b, a, raw)
        primary = self.text(self.get(cfg, "PrimarySource"), b, cfg, "PrimarySource", "PrimarySource")
        if primary and self.artifacts.get(primary) in inputs:
            inputs.remove(self.artifacts[primary])
            inputs.insert(0, self.artifacts[primary])
        if len(inputs) > 5:
            ctx.skip(b, "template: too many inputs", f"action {raw} reads {len(inputs)} artifacts; .pipe builds "
                     "read at most 5", a, "InputArtifacts")
            inputs = inputs[:5]
        if inputs:
            b.stmt("from", *inputs)
        outs_cp = [o.get("Name") for o in self.items(a.get("OutputArtifacts"))
                   if isinstance(o, dict) and isinstance(o.get("Name"), str)]
        outs = {o: self.new_artifact(o) for o in outs_cp}
        project = self.get(cfg, "ProjectName", b)
        lid = self.lid_of(project, "AWS::CodeBuild::Project") if project is not None else None
        spec_data, spec_path = None, None
        if lid is None:
            pname = self.ev.resolve(project)
            spec_path = "buildspec.yml"
            # a project of another stack: its settings are unknown, but a buildspec given with the
            # template (buildspec.yml, or the only one given) is its buildspec (issue 25: not E603)
            unused = [k for k, c in ctx.companions.items() if c[2] == "buildspec" and k not in ctx.used_companions]
            found = self.find_companion(spec_path, "buildspec")
            given = spec_path if found is not None else unused[0] if len(unused) == 1 else None
            ctx.skip(b, "template: CodeBuild project not in the template",
                     f"action {raw} runs CodeBuild project {pname!s}, which the template does not define; its "
                     "settings are unknown" + (f", its buildspec is taken to be {Path(str(given)).name}"
                                               if given else " and so is its buildspec"), cfg, "ProjectName")
            if given is not None:
                spec_data, spec_path = self.buildspec_file(b, given, cfg, "ProjectName")
        else:
            spec_data, spec_path = self.project(b, lid, raw)
        written: list[str] = []
        if spec_data is not None:
            written, spec_data = self.fill_build(b, spec_data, list(outs.values()), raw, a)
        self.project_env(b, lid, cfg, raw)
        if not self._has_phase(b):
            if spec_data is not None:
                ctx.skip(b, "template: buildspec without commands",
                         f"the buildspec of action {raw} gives no command pipec could import", a, "Name")
            path = spec_path or "buildspec.yml"
            b.comment("Placeholder: this build fails until its buildspec is imported.")
            b.stmt("build", q(failing_command(f"buildspec {path} was not imported: run pipec import "
                                                       f"{self.file.name} {path}")))
        made = []
        for cp_name, pipe in outs.items():
            if pipe in written:
                made.append((cp_name, pipe))
            elif spec_data is None or not self._has_artifact(b, pipe):
                if spec_data is not None:
                    ctx.skip(b, "template: output artifact not in the buildspec",
                             f"action {raw} declares output artifact {cp_name}, which its buildspec does not "
                             "produce", a, "OutputArtifacts")
                b.stmt("artifact", pipe, "files", q("**/*"))
                made.append((cp_name, pipe))
            else:
                made.append((cp_name, pipe))
        return made

    def fill_build(self, b: Doc, data, names: list[str], raw: str, a):
        """spec_import.build_body into ``b``, its errors turned into findings (a buildspec is one part of
        the template): (artifact names written, data or None when nothing could be imported)."""
        from pipec.targets.aws import spec_imports as spec_import

        ctx = self.ctx
        base = self.spec_base
        orig_skip, orig_error = ctx.skip, ctx.error
        errors: list[tuple] = []

        def shifted(where, key):
            pos = importer.pos_of(where, key) if where is not None else None
            if base is None:
                return where, key
            fake = importer.YDict()
            fake.kpos, fake.vpos = {}, {}
            if base[0] == "block" and pos is not None:
                fake.pos = (base[1] + pos[0], pos[1] + base[2])
            else:
                fake.pos = base[1]
            return fake, None

        def skip(doc, construct, message, where=None, key=None, hint=""):
            w, k = shifted(where, key)
            return orig_skip(doc, construct, message, w, k, hint)

        def error(message, where=None, key=None, hint="", code="E602"):
            errors.append((message, where, key))

        def run(arts):
            errors.clear()
            before = list(b.items)
            ctx.skip, ctx.error = skip, error
            try:
                out = list(spec_import.build_body(ctx, b, data, arts) or [])
            finally:
                ctx.skip, ctx.error = orig_skip, orig_error
            if errors:
                b.items[:] = before
            return out

        if names and isinstance(data, dict) and "artifacts" not in data:
            written = run(None)
        else:
            written = run(names or None)
            if errors and names:
                written = run(None)
        if errors:
            for message, where, key in errors[:1]:
                w, k = shifted(where, key)
                orig_skip(b, "template: buildspec not valid", f"the buildspec of action {raw}: {message}", w, k)
            return [], None
        if names and not set(written) <= set(names):
            b.items[:] = [(kind, item) for kind, item in b.items
                          if not (kind == "stmt" and item.startswith("artifact ") and
                                  item.split(" ", 2)[1] in written)]
            written = []
        return [w for w in written if w in names], data

    @staticmethod
    def _has_phase(b: Doc) -> bool:
        for kind, item in b.items:
            if kind == "stmt" and item.split(" ", 1)[0] in _PHASES:
                return True
            if kind == "block" and item.header.split(" ", 1)[0] in _PHASES:
                return True
        return False

    @staticmethod
    def _has_artifact(b: Doc, name: str) -> bool:
        return any(kind == "stmt" and item.startswith(f"artifact {name} ") for kind, item in b.items)

    def project(self, b: Doc, lid: str, raw: str):
        """Writes the project's environment; returns (buildspec data or None, buildspec path or None)."""
        ctx = self.ctx
        props = self.props(lid)
        env = self.get(props, "Environment", b)
        if isinstance(env, dict):
            self.environment(b, env, lid)
        timeout = self.number(self.get(props, "TimeoutInMinutes"), b, props, "TimeoutInMinutes",
                              "the build timeout") if "TimeoutInMinutes" in props else None
        if timeout is not None:
            if 5 <= timeout <= 2160:
                b.stmt("timeout", f"{timeout}m")
            else:
                ctx.skip(b, "template: build timeout", f"project {lid}: TimeoutInMinutes {timeout} is outside "
                         "5 minutes to 36 hours", props, "TimeoutInMinutes")
        aws_lines = []
        queued = self.number(self.get(props, "QueuedTimeoutInMinutes"), b, props, "QueuedTimeoutInMinutes",
                             "the queued timeout") if "QueuedTimeoutInMinutes" in props else None
        if queued is not None:
            if 5 <= queued <= 480:
                aws_lines.append(f"queued_timeout {queued}m")
            else:
                ctx.skip(b, "template: build timeout", f"project {lid}: QueuedTimeoutInMinutes {queued}", props,
                         "QueuedTimeoutInMinutes")
        role = self.get(props, "ServiceRole")
        if role is not None and not self.lid_of(role, "AWS::IAM::Role"):
            r = self.text(role, b, props, "ServiceRole", "the build role")
            if r and r.startswith("arn:"):
                aws_lines.append(f"role {q(r)}")
            elif r:
                b.comment(f"The build role {r} is named, not given by ARN: pipec creates the build's role.")
        ignored = {"Name", "Description", "Tags", "LogsConfig", "ServiceRole", "Environment", "TimeoutInMinutes",
                   "QueuedTimeoutInMinutes", "Source", "Artifacts", "EncryptionKey", "BadgeEnabled",
                   "Visibility", "ResourceAccessRole", "ConcurrentBuildLimit"}
        for k in props:
            if k == "Cache":
                cache = self.get(props, "Cache")
                ctype = self.ev.resolve(cache.get("Type")) if isinstance(cache, dict) else None
                if ctype == "S3":
                    aws_lines.append("cache s3")
                elif ctype not in (None, "NO_CACHE", "LOCAL"):
                    ctx.skip(b, "template: CodeBuild project property", f"project {lid}: Cache type {ctype}",
                             props, k)
            elif k == "EncryptionKey":
                b.comment(f"Project {lid}'s EncryptionKey: pipec's builds use the artifact store's key.")
            elif k not in ignored:
                ctx.skip(b, "template: CodeBuild project property", f"project {lid}: {k}", props, k)
        if aws_lines:
            blk = b.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return self.buildspec(b, lid, props, raw)

    def environment(self, b: Doc, env, lid: str):
        ctx = self.ctx
        image = self.text(self.get(env, "Image"), b, env, "Image", "the build image", required=True,
                          placeholder="aws/codebuild/standard:7.0")
        if image:
            m = re.fullmatch(r"aws/codebuild/standard:(\d+\.\d+)", image)
            m2 = re.fullmatch(r"aws/codebuild/amazonlinux-x86_64-standard:(\d+\.\d+)", image)
            if image == "aws/codebuild/standard:7.0":
                b.stmt("image", "ubuntu")
            elif m:
                b.stmt("image", "ubuntu", v(m.group(1)))
            elif image == "aws/codebuild/amazonlinux-x86_64-standard:5.0":
                b.stmt("image", "amazonlinux")
            elif m2:
                b.stmt("image", "amazonlinux", v(m2.group(1)))
            elif image.startswith("aws/codebuild/"):
                b.stmt("image", "codebuild", q(image))
            elif _ECR.match(image) or ".dkr.ecr." in image:
                b.stmt("image", "ecr", q(image))
            else:
                b.stmt("image", "docker", q(image))
        ctype = self.text(self.get(env, "Type"), b, env, "Type", "the environment type")
        if ctype not in (None, "LINUX_CONTAINER"):
            ctx.skip(b, "template: CodeBuild environment type",
                     f"project {lid}: environment type {ctype}; pipec builds run in LINUX_CONTAINER", env, "Type")
        compute = self.text(self.get(env, "ComputeType"), b, env, "ComputeType", "the compute type")
        if compute in _COMPUTE:
            if compute != "BUILD_GENERAL1_SMALL":
                b.stmt("compute", _COMPUTE[compute])
        elif compute is not None:
            ctx.skip(b, "template: CodeBuild compute type", f"project {lid}: compute type {compute}", env,
                     "ComputeType")
        if self.flag(self.get(env, "PrivilegedMode"), b, env, "PrivilegedMode", "PrivilegedMode"):
            b.stmt("privileged")
        for k in env:
            if k in ("Image", "Type", "ComputeType", "PrivilegedMode", "EnvironmentVariables"):
                continue
            if k == "ImagePullCredentialsType":
                continue  # pipec picks SERVICE_ROLE for ECR images, CodeBuild's own otherwise
            ctx.skip(b, "template: CodeBuild environment", f"project {lid}: Environment.{k}", env, k)

    def project_env(self, b: Doc, lid, cfg, raw):
        """Project variables, then the action's (each overriding what comes before, as in CodeBuild)."""
        if lid is not None:
            env = self.get(self.props(lid), "Environment")
            if isinstance(env, dict):
                for var in self.items(env.get("EnvironmentVariables"), b, env, "EnvironmentVariables"):
                    if isinstance(var, dict):
                        self.env_var(b, var, var.get("Name"), var.get("Value"), var.get("Type"), var, "Name")
        raw_env = self.get(cfg, "EnvironmentVariables")
        if raw_env is None:
            return
        text = self.text(raw_env, b, cfg, "EnvironmentVariables", f"the variables of action {raw}")
        if text is None:
            return
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            self.ctx.skip(b, "template: action variables JSON", f"action {raw}: EnvironmentVariables is not JSON",
                          cfg, "EnvironmentVariables")
            return
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                self.env_var(b, cfg, item.get("name"), item.get("value"), item.get("type"), cfg,
                             "EnvironmentVariables", resolved=True)

    def env_var(self, b: Doc, container, name, value, type_, where, key, resolved=False):
        ctx = self.ctx
        if resolved:
            vname, vval, vtype = name, value, type_ or "PLAINTEXT"
            if isinstance(vval, str) and "#{" in vval:
                m = re.fullmatch(r"#\{variables\.([A-Za-z0-9_\-]+)\}", vval)
                if m and m.group(1) == vname:
                    return  # pipec passes every pipeline variable to CodeBuild actions under its own name
                ctx.skip(b, "template: pipeline variable reference",
                         f"variable {vname} is set from CodePipeline variables ({vval})", where, key)
                return
        else:
            vname = self.text(name, None, container, "Name", "a variable name")
            vval = self.text(value, b, container, "Value", f"the value of {vname}", required=True)
            vtype = self.text(type_, None, container, "Type", "a variable type") or "PLAINTEXT"
        if not isinstance(vname, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", vname):
            ctx.skip(b, "template: environment variable", f"variable name {vname!r} cannot be written in .pipe",
                     where, key)
            return
        vval = "" if vval is None else str(vval)
        if vtype == "PLAINTEXT":
            stmt = f"env {vname} = {q(vval)}"
        elif vtype in _SECRET_TYPES:
            if not vval:
                ctx.skip(b, "template: environment variable", f"secret {vname} has no reference", where, key)
                return
            stmt = f"secret {vname} from {_SECRET_TYPES[vtype]} {q(vval)}"
        else:
            ctx.skip(b, "template: environment variable", f"variable {vname} of type {vtype}", where, key)
            return
        rx = re.compile(rf"^(env|secret) {re.escape(vname)}( |=)")
        for i, (kind, item) in enumerate(b.items):
            if kind == "stmt" and rx.match(item):
                b.items[i] = ("stmt", stmt)
                return
        b.stmt(stmt)
