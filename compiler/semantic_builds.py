"""Build and test actions: image, compute, runtimes, env and secrets, phases, artifacts, caches, reports.

Every default of a build is applied here (``image ubuntu``, ``compute small``, 60 minutes), and
the commands are checked for AWS calls the role is not granted (W520, :mod:`pipec.aws_calls`) and
for CodeBuild built-in variables the platforms do not give alike (W521, W522, :mod:`pipec.builtins`).
"""

from __future__ import annotations

import functools
import re

from pipec import ast, aws_calls, builtins, dependencies, model, shell_state
from pipec.diagnostics import did_you_mean
from pipec.lazy_regex import lazy
from pipec.semantic_matrix import MatrixChecks
from pipec.semantic_tables import RUNTIMES, SECRETISH
from pipec.templates import carried, source_of

#: an ECR image URI as the AWS target takes it apart: the account before the first dot, the Region
#: after ``.dkr.ecr.``, the repository after the first slash (``ci/builder`` in ``...com/ci/builder:1``)
_ECR_IMAGE = lazy(r"[^./]+\.dkr\.ecr\.[^./]+\.[^/]+/[^/:@][^:@]*(?:[:@].*)?")


class BuildChecks(MatrixChecks):
    """Build and test actions into :class:`pipec.model.Build`."""

    @functools.cached_property
    def pipeline_variables(self) -> tuple[str, ...]:
        """The names of the pipeline's variables, found once per analysis, not once per build
        (issue 18: the pipeline's body was scanned for each of 1,300 builds)."""
        return tuple(v.name for v in self.module.pipeline.body if isinstance(v, ast.VariableStmt))

    def build(self, a: ast.BuildAction, st, index, order, sources) -> model.Build:
        seen: dict = {}
        image = model.Image()
        compute, privileged, timeout = "small", False, 60
        runtimes: dict[str, tuple] = {}
        env: list[model.EnvVar] = []
        secrets: list[ast.SecretStmt] = []
        var_names: dict = {}
        phases: dict[str, model.Phase] = {}
        outputs: list[model.OutputArtifact] = []
        cache: list[str] = []
        reports: list[model.Report] = []
        ca: list[model.CodeArtifactLogin] = []
        blocks: list[ast.PlatformBlock] = []
        from_stmt = None
        matrix = None
        platform = {"os": "linux", "arch": "x86_64"}
        for item in a.body:
            if isinstance(item, ast.ImageStmt):
                if self.once(seen, "image", item, "the image"):
                    if item.kind in ("ecr", "docker", "codebuild") and not item.ref:
                        example = {"ecr": '"123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:1"',
                                   "docker": '"public.ecr.aws/docker/library/node:20"',
                                   "codebuild": '"aws/codebuild/standard:7.0"'}[item.kind]
                        self.err("E205", f"'image {item.kind}' needs the image's name", item.span,
                                 f"Write, for example: image {item.kind} {example}.")
                    # the shape the AWS target reads the account, Region and repository from
                    # (targets/aws/codebuild.py): ACCOUNT.dkr.ecr.REGION.DOMAIN/REPO[:TAG|@DIGEST]
                    if item.kind == "ecr" and item.ref and not _ECR_IMAGE.fullmatch(item.ref):
                        self.err("E206", f"'{item.ref}' is not an ECR image URI", item.span,
                                 "An ECR image looks like ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG; "
                                 "for other registries use 'image docker'.")
                    image = model.Image(item.kind, item.ref)
            elif isinstance(item, ast.ComputeStmt):
                if self.once(seen, "compute", item, "the compute size"):
                    compute = item.size
            elif isinstance(item, ast.Flag):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    privileged = True
            elif isinstance(item, ast.TimeoutStmt):
                if self.once(seen, "timeout", item, "the timeout"):
                    m = self.minutes(item.duration, "a build timeout", "E306")
                    if m is not None:
                        if not 5 <= m <= 2160:
                            self.err("E306", f"build timeout {item.duration} is out of range", item.span,
                                     "CodeBuild accepts 5 minutes to 36 hours (2160 minutes).")
                        timeout = m
            elif isinstance(item, ast.RuntimeStmt):
                if item.name not in RUNTIMES:
                    self.err("E206", f"unknown runtime '{item.name}'", item.span,
                             f"Runtimes: {', '.join(RUNTIMES)}.{did_you_mean(item.name, RUNTIMES)}")
                elif item.name in runtimes:
                    self.err("E203", f"runtime '{item.name}' is given more than once", item.span,
                             "Choose one version per runtime.")
                else:
                    runtimes[item.name] = (item.name, item.version)
            elif isinstance(item, ast.EnvStmt):
                if self._var_name(var_names, item):
                    env.append(model.EnvVar(item.name, item.value))
                    if SECRETISH.search(item.name):
                        self.warn("W503", f"'{item.name}' looks like a secret but is a plain variable",
                                  item.span,
                                  "Plain variables are written into the build's configuration and logs in "
                                  f"clear text. Keep the value in Parameter Store or Secrets Manager and "
                                  f"write 'secret {item.name} from ssm \"/path\"'.")
            elif isinstance(item, ast.SecretStmt):
                if item.store == "github":
                    self.err("E207", "a GitHub secret belongs in the action's github { } block", item.span,
                             f"Write 'secret {item.name} from ssm|secrets-manager \"...\"' here, and "
                             f"'github {{ secret {item.name} from github \"NAME\" }}' to use a GitHub "
                             "secret on GitHub Actions instead.")
                elif self._var_name(var_names, item):
                    secrets.append(item)
            elif isinstance(item, ast.FromStmt):
                if self.once(seen, "from", item, "the input list"):
                    from_stmt = item
            elif isinstance(item, ast.Phase):
                if self.once(seen, f"phase:{item.name}", item, f"the {item.name} phase"):
                    if not item.commands:
                        self.err("E205", f"the {item.name} phase has no commands", item.span,
                                 "CodeBuild needs at least one command in a phase: add a 'run' line "
                                 "or remove the phase.")
                    phases[item.name] = model.Phase(
                        item.name, tuple(model.Command(c.text, c.script, span=c.span) for c in item.commands),
                        tuple(model.Command(c.text, c.script, span=c.span) for c in item.finally_commands),
                        item.on_failure or "abort")
            elif isinstance(item, ast.ArtifactStmt):
                if any(o.name == item.name for o in outputs):
                    self.err("E200", f"artifact '{item.name}' is produced twice", item.span,
                             "Give each output artifact its own name.")
                else:
                    self.check_name(item.name, item.span, "artifact")
                    outputs.append(model.OutputArtifact(item.name, item.files, item.base, item.discard_paths,
                                                        span=item.span))
            elif isinstance(item, ast.CacheStmt):
                cache.extend(p for p in item.paths if p not in cache)
            elif isinstance(item, ast.ReportStmt):
                if any(r.name == item.name for r in reports):
                    self.err("E200", f"report '{item.name}' is defined twice", item.span,
                             "Give each report its own name.")
                else:
                    reports.append(model.Report(item.name, item.format, item.files, item.base))
            elif isinstance(item, ast.CodeArtifactStmt):
                if any(c.tool == item.tool for c in ca):
                    self.err("E203", f"CodeArtifact login for {item.tool} is given twice", item.span,
                             "Log each tool in once.")
                else:
                    ca.append(model.CodeArtifactLogin(item.tool, item.domain, item.repository, item.owner))
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
            elif isinstance(item, ast.MatrixBlock):
                if self.once(seen, "matrix", item, "the matrix"):
                    matrix = self.matrix(item, a.kind, a.name)
                    limit = next((f for f in item.body if isinstance(f, ast.Field) and f.keyword == "max_parallel"),
                                 None)
                    if matrix is not None and limit is not None and st.via != "github":
                        # CodeBuild: "If the build project has a concurrent build limit set, builds
                        # return an error if the number of running builds reaches" it ("Builds in
                        # AWS CodeBuild"): the cells over the limit would fail, not wait
                        self.err("E317", f"max_parallel {limit.value}: CodeBuild has no way to run a batch's "
                                 "builds a few at a time", limit.span,
                                 "A CodeBuild project's concurrent build limit makes the builds over it fail "
                                 "rather than wait, so the cells of a batch all start at once on CodePipeline. "
                                 "Remove max_parallel, or bind the stage to GitHub Actions with 'via github', "
                                 "where 'strategy.max-parallel' queues them.")
            elif isinstance(item, ast.Field) and item.keyword in platform:
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    platform[item.keyword] = item.value
        if platform["os"] == "windows" and "compute" not in seen:
            compute = "medium"  # CodeBuild has no small Windows environment (semantic_matrix, E316)
        grants: list[model.Grant] = []
        aws, github, gh_secrets = self.settings(blocks, "build", grants)
        secret_models = []
        overrides = {}
        for s in gh_secrets:
            if s.store != "github":
                self.err("E207", f"secrets from {s.store} are written outside the github block", s.span,
                         "Inside github { } a secret maps an action secret to a GitHub secret: "
                         f"'secret {s.name} from github \"SECRET_NAME\"'.")
            elif s.name not in {x.name for x in secrets}:
                self.err("E206", f"the github block maps '{s.name}', which is not a secret of this action",
                         s.span, f"Declare it first: 'secret {s.name} from ssm \"/path\"' (used on "
                         "CodePipeline), then map it to a GitHub secret here.")
            elif s.name in overrides:
                self.err("E203", f"'{s.name}' is mapped twice", s.span, "Map each secret once.")
            else:
                overrides[s.name] = s.ref
        for s in secrets:
            secret_models.append(model.Secret(s.name, s.store, s.ref, overrides.get(s.name)))
        if not phases and not any(isinstance(i, ast.Phase) for i in a.body):
            self.err("E205", f"{a.kind} action '{a.name}' has no commands", a.span,
                     'Add at least one phase, for example: build "make".')
        queued = aws.first("queued_timeout")
        if queued is not None:
            m = re.fullmatch(r"([0-9]+)([mhd])", queued)
            minutes = int(m.group(1)) * {"m": 1, "h": 60, "d": 1440}[m.group(2)] if m else None
            if minutes is None or not 5 <= minutes <= 480:
                self.err("E206", f"queued_timeout '{queued}' is not a duration from 5m to 8h", a.span,
                         "CodeBuild lets a build wait in the queue 5 minutes to 8 hours; write, say, 1h.")
        if aws.first("cache") not in (None, "local", "s3"):
            self.err("E206", f"cache location '{aws.first('cache')}' is not local or s3", a.span,
                     "Write 'cache local' (on the build host) or 'cache s3' (in the artifact bucket).")
        inputs = self.inputs(from_stmt, index, order, True, sources)
        if len(inputs) > 5:
            self.err("E206", f"{a.kind} action '{a.name}' has {len(inputs)} inputs", seen["from"].span,
                     "CodeBuild accepts at most 5 input artifacts.")
        if len(outputs) > 5:
            self.err("E206", f"{a.kind} action '{a.name}' has {len(outputs)} output artifacts", outputs[5].span,
                     "A CodeBuild action in CodePipeline produces at most 5 output artifacts; put related files "
                     "in one artifact.")
        build = model.Build(
            name=a.name, kind=a.kind, stage=st.name, run_order=order, inputs=inputs, image=image,
            compute=compute, privileged=privileged, timeout_minutes=timeout,
            runtimes=tuple(runtimes.values()), env=tuple(env), secrets=tuple(secret_models),
            phases=tuple(phases[p] for p in model.PHASE_ORDER if p in phases),
            outputs=tuple(outputs), cache=tuple(cache), reports=tuple(reports),
            codeartifact=tuple(ca), aws=aws, github=github, platform_binding=st.via,
            grants=tuple(grants), os=platform["os"], arch=platform["arch"], matrix=matrix, span=a.span)
        self.matrix_uses(a, build, self.pipeline_variables)
        self.platform_checks(a, build, seen)
        if build.os == "windows":  # PowerShell commands: the bash readings below do not apply
            return build
        file, source = source_of(self.module, a.span)  # an expanded template's build: its file's text
        self.diags.extend(carried(aws_calls.check(build, file, source), a.span))
        self.diags.extend(carried(shell_state.check(build, file, source), a.span))
        self.diags.extend(carried(dependencies.check(build, file, source), a.span))
        # W521/W522: built-in variables the platforms do not give alike; the build runs as a
        # GitHub Actions job too when its stage is not bound to CodePipeline and a GitHub
        # repository holds the workflow
        on_github = st.via != "aws" and any(s.provider == "github" for s in sources)
        self.diags.extend(carried(builtins.check(build, file, source, on_github), a.span))
        return build

    def _var_name(self, names: dict, item) -> bool:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item.name):
            self.err("E208", f"'{item.name}' cannot be an environment variable name", item.span,
                     "Shells accept only letters, digits and '_' in variable names (not starting with a "
                     f"digit); write, for example, {item.name.replace('-', '_').upper()}.")
            return False
        if item.name in names:
            self.err("E200", f"variable '{item.name}' is set twice in this action", item.span,
                     f"A name can be a plain variable or a secret, once; the first is at "
                     f"{self.at(names[item.name].span)}.")
            return False
        names[item.name] = item
        return True
