"""Reading CodeBuild actions: the project, its buildspec, and what the AWS target added to it.

:class:`CodeBuildReaderMixin` finds the project an action runs, reads its buildspec (a file under
the source root, or the text inline), and makes the build's spec: inputs with the primary source
first, environment variables and secrets as CodeBuild layers them (buildspec, project, action),
phases, artifacts, cache paths, reports. It removes what the AWS target adds (the pipeline
variables passed to every action, the appspec copy into an EC2 revision and the ``appspec.yml`` in
its files, which it records for :mod:`.read_codedeploy`), and hands a Lambda deployer's buildspec
to :mod:`.read_codedeploy`. A part of the reader in :mod:`pipec.targets.aws.read`; the emit side is
:mod:`.codebuild` with :mod:`pipec.targets.aws.buildspec`.
"""

from __future__ import annotations

import json
import re

import yaml

from pipec import plan
from pipec.targets.aws import cfn
from pipec.targets.aws.read_common import Action, as_bool, as_list
from pipec.targets.aws.read_batch import BatchReader

_SECRET_TYPES = {"PARAMETER_STORE": "ssm", "SECRETS_MANAGER": "secrets-manager"}
#: the first line of pipec's Lambda deployer buildspec names the deploy action
_DEPLOYER = re.compile(r"^#.*\(CodeDeploy deployer for Lambda action (?P<name>.+?)\)")
#: the first two lines of the AWS target's own last post_build command that copies the appspecs into
#: EC2 revisions (pipec.targets.aws.codedeploy.appspec_copy_command; tests/test_aws.py holds them equal)
APPSPEC_COPY_LABEL = ("# pipec: CodeDeploy reads appspec.yml at the root of the revision; "
                      "copied after a successful build only")
APPSPEC_COPY_IF = 'if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then'
#: one copy of an EC2 appspec into the revision (a line of that command)
_APPSPEC_COPY = re.compile(r'cp "\$CODEBUILD_SRC_DIR/(?P<src>[^"]+)" "\$CODEBUILD_SRC_DIR/(?P<dest>[^"]+)"')


def _dest(base: str | None) -> str:
    """Where pipec's copy puts ``appspec.yml`` in a revision with base directory ``base``."""
    return f"{base.strip('/')}/appspec.yml" if base and base.strip("/") else "appspec.yml"


class CodeBuildReaderMixin(BatchReader):
    """The spec of a CodeBuild action (:meth:`codebuild`): a build, or a Lambda deployment.
    Records the appspec copies it removes in ``self.copies`` for the EC2 deployments."""

    def project(self, a: Action) -> str:
        """The logical ID of the CodeBuild project ``a`` runs."""
        ref = a.raw_config.get("ProjectName")
        if ref is None:
            self.fail(a.where, "has no ProjectName")
        lid = self.resource(ref, "AWS::CodeBuild::Project", a.where, "ProjectName")
        if lid is None:
            self.fail(a.where, f"ProjectName {self.value(ref)!r} is not a CodeBuild project of this template")
        return lid

    def buildspec_text(self, lid: str, where: str) -> str:
        """The buildspec of project ``lid``: inline, or the file its path names under the source root."""
        source = self.props(lid).get("Source") or {}
        if source.get("Type", "CODEPIPELINE") != "CODEPIPELINE":
            self.fail(where, f"project {lid} has Source.Type {source.get('Type')!r}, not CODEPIPELINE")
        spec = source.get("BuildSpec")
        text = "buildspec.yml" if spec is None else self.value(spec)
        if not isinstance(text, str) or isinstance(text, cfn.Unresolved):
            self.fail(where, f"project {lid}: BuildSpec is not text the template decides")
        if "\n" in text or text.lstrip().startswith(("version", "{")):
            return text  # the buildspec itself, inline
        return self.read_file(self.root / text, f"{where} (project {lid})", "the buildspec")

    def load_buildspec(self, text: str, where: str) -> dict:
        """The buildspec ``text`` parsed as CodeBuild parses it."""
        from pipec.targets.aws import buildspec

        try:
            data = buildspec.load(text)
        except yaml.YAMLError as exc:
            self.fail(where, f"the buildspec is not valid YAML: {exc}")
        if not isinstance(data, dict):
            self.fail(where, "the buildspec is not a mapping")
        return data

    def codebuild(self, a: Action) -> tuple[str, tuple]:
        """(job kind, spec) of a CodeBuild action: a build, or the deployment a Lambda deployer runs."""
        lid = self.project(a)
        text = self.buildspec_text(lid, a.where)
        first = text.split("\n", 1)[0]
        m = _DEPLOYER.match(first)
        data = self.load_buildspec(text, f"{a.where} (project {lid})")
        if m:
            if m.group("name") != a.name:
                self.fail(a.where, f"runs the Lambda deployer of action {m.group('name')!r}")
            return "deploy", self.lambda_deploy(a, lid, data, text)
        return "build", self.build_spec(a, lid, data)

    def build_spec(self, a: Action, lid: str, data: dict) -> tuple:
        """The spec of build ``a`` from its project ``lid`` and buildspec ``data``."""
        where = f"{a.where}, buildspec of project {lid}"
        unknown = set(data) - {"version", "env", "phases", "artifacts", "cache", "reports", "batch"}
        if unknown:
            self.fail(where, f"buildspec keys {', '.join(sorted(unknown))} are not understood")
        if str(data.get("version")) != "0.2":
            self.fail(where, f"buildspec version {data.get('version')!r} is not 0.2")
        props = self.props(lid)
        # inputs: the primary source first
        inputs = list(a.inputs)
        primary = self.text(a.raw_config.get("PrimarySource"), a.where, "PrimarySource")
        if primary is not None:
            if primary not in inputs:
                self.fail(a.where, f"PrimarySource {primary!r} is not one of its input artifacts")
            inputs.remove(primary)
            inputs.insert(0, primary)
        env, secrets, builtins = self.environment(a, lid, data.get("env") or {}, where)
        outputs = self.outputs(a, data.get("artifacts"), where)
        self._copied = set()
        phases, runtimes = self.phases(data.get("phases") or {}, where)
        # the AWS target adds appspec.yml (last) to the files of a revision it copies the appspec into
        outputs = tuple(plan.Artifact(o.name, o.files[:-1], o.base, o.flatten)
                        if o.name in self._copied and o.files[-1:] == ("appspec.yml",) else o for o in outputs)
        cache = data.get("cache") or {}
        if set(cache) - {"paths"}:
            self.fail(where, f"cache keys {', '.join(sorted(set(cache) - {'paths'}))} are not understood")
        reports = []
        for rname, r in (data.get("reports") or {}).items():
            if not isinstance(r, dict):
                self.fail(where, f"report {rname!r} is not a mapping")
            base = r.get("base-directory")
            files = tuple(f"{str(base).rstrip('/')}/{f}" if base else str(f) for f in as_list(r.get("files")))
            reports.append((str(rname), files))
        shell = (data.get("env") or {}).get("shell")
        return plan.spec(
            inputs=tuple(inputs),
            shell=plan.SHELLS.get(shell, str(shell)) if shell is not None else plan.DEFAULT_SHELL,
            platform=self.platform(lid),
            matrix=self.matrix(a, lid, data, where),
            phases=phases,
            env=env,
            secrets=secrets,
            outputs=outputs,
            cache=tuple(sorted(plan.cache_path(str(c)) for c in as_list(cache.get("paths")))),
            reports=tuple(sorted(reports)),
            runtimes=runtimes,
            timeout=self.number(props.get("TimeoutInMinutes"), f"project {lid}", "TimeoutInMinutes", 60),
            builtins=builtins,
            role=service_role(props),
        )

    def environment(self, a: Action, lid: str, env: dict, where: str) -> tuple[tuple, tuple, tuple]:
        """(env, secrets, built-in variables) as the build sees them: buildspec, then project,
        then action variables, each overriding the one before, as CodeBuild does ("The value in
        the start build operation call takes highest precedence", CodePipeline's action
        configuration being that call; buildspec reference, env/variables). A pipeline variable
        the AWS target passes to every CodeBuild action is not part of env: it belongs to the
        plan's variables, and the env or secret of that name it replaces is gone. CodeBuild gives
        every build its built-in variables (:func:`pipec.builtins.provided`); the build's own
        values replace them ("Any environment variables you set replace existing environment
        variables")."""
        from pipec import builtins
        unknown = set(env) - {"shell", "variables", "parameter-store", "secrets-manager"}
        if unknown:
            self.fail(where, f"env keys {', '.join(sorted(unknown))} are not understood")
        seen: dict[str, tuple] = {}
        for k, v in (env.get("variables") or {}).items():
            seen[str(k)] = ("plain", str(v))
        for k, v in (env.get("parameter-store") or {}).items():
            seen[str(k)] = ("ssm", str(v))
        for k, v in (env.get("secrets-manager") or {}).items():
            seen[str(k)] = ("secrets-manager", str(v))
        pw = f"project {lid}"
        for v in as_list((self.props(lid).get("Environment") or {}).get("EnvironmentVariables")):
            self.variable(seen, v, pw, type_key="Type", name_key="Name", value_key="Value")
        raw = a.raw_config.get("EnvironmentVariables")
        if raw is not None:
            text = self.text(raw, a.where, "EnvironmentVariables")
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                self.fail(a.where, "EnvironmentVariables is not JSON")
            for v in as_list(items):
                if not isinstance(v, dict):
                    self.fail(a.where, f"EnvironmentVariables entry {v!r} is not an object")
                name = v.get("name")
                if (name in self.variables and v.get("value") == f"#{{variables.{name}}}"
                        and v.get("type", "PLAINTEXT") == "PLAINTEXT"):
                    seen[name] = ("variable", None)  # the AWS target's pass-through of pipeline variables
                    continue
                self.variable(seen, v, a.where, type_key="type", name_key="name", value_key="value")
        env_out = tuple(sorted((k, v) for k, (kind, v) in seen.items() if kind == "plain"))
        secrets = tuple(sorted((k, kind, v) for k, (kind, v) in seen.items() if kind not in ("plain", "variable")))
        return env_out, secrets, builtins.provided(frozenset(seen))

    def variable(self, seen: dict, v, where: str, *, type_key: str, name_key: str, value_key: str):
        """Record environment variable ``v`` (a project's or an action's declaration) in ``seen``."""
        if not isinstance(v, dict):
            self.fail(where, f"environment variable {v!r} is not a mapping")
        name = self.text(v.get(name_key), where, "an environment variable's name")
        value = self.text(v.get(value_key), where, f"the value of environment variable {name}", "")
        kind = self.text(v.get(type_key), where, f"the type of environment variable {name}", "PLAINTEXT")
        if kind == "PLAINTEXT":
            seen[name] = ("plain", value)
        elif kind in _SECRET_TYPES:
            seen[name] = (_SECRET_TYPES[kind], value)
        else:
            self.fail(where, f"environment variable {name} has type {kind!r}, which pipec cannot read")

    def phases(self, phases: dict, where: str) -> tuple[tuple, tuple]:
        """(the plan's phases, the install phase's runtime versions) of a buildspec's ``phases``."""
        from pipec import model

        unknown = set(phases) - set(model.PHASE_ORDER)
        if unknown:
            self.fail(where, f"phases {', '.join(sorted(unknown))} are not understood")
        runtimes = ()
        out = []
        has_build = "build" in phases
        for name in model.PHASE_ORDER:
            p = phases.get(name)
            if p is None:
                continue
            if not isinstance(p, dict):
                self.fail(where, f"phase {name} is not a mapping")
            allowed = {"commands", "finally", "on-failure"} | ({"runtime-versions"} if name == "install" else set())
            bad = set(p) - allowed
            if bad:
                self.fail(where, f"phase {name}: {', '.join(sorted(bad))} not understood")
            if name == "install":
                runtimes = tuple(sorted((str(k), str(v)) for k, v in (p.get("runtime-versions") or {}).items()))
            commands = self.commands(p.get("commands"), where, name)
            if name == "post_build":
                commands = self.strip_copies(commands)
            finally_commands = self.commands(p.get("finally"), where, f"{name} finally")
            failure = str(p.get("on-failure", "ABORT")).upper()
            if failure not in ("ABORT", "CONTINUE"):
                self.fail(where, f"phase {name}: on-failure {p.get('on-failure')!r} is not understood")
            if not commands and not finally_commands:
                continue
            out.append(plan.Phase(name, commands, finally_commands, failure.lower(),
                                  plan.PHASE_WHEN[name] if has_build else "success"))
        return tuple(out), runtimes

    def commands(self, value, where: str, what: str) -> tuple[str, ...]:
        """A phase's commands as text."""
        out = []
        for c in as_list(value):
            if isinstance(c, bool) or not isinstance(c, (str, int, float)):
                self.fail(where, f"{what}: command {c!r} is not text")
            out.append(str(c))
        return tuple(out)

    def strip_copies(self, commands: tuple[str, ...]) -> tuple[str, ...]:
        """``commands`` without the AWS target's own last command that copies EC2 deployments'
        appspecs into the revisions this build produces (:func:`pipec.targets.aws.codedeploy.
        appspec_copy_command`; :meth:`outputs`, which runs first, finds the revisions)."""
        if not commands:
            return commands
        lines = commands[-1].split("\n")
        if len(lines) < 4 or lines[:2] != [APPSPEC_COPY_LABEL, APPSPEC_COPY_IF] or lines[-1] != "fi":
            return commands
        found = []
        for line in lines[2:-1]:
            m = _APPSPEC_COPY.fullmatch(line.removeprefix("  "))
            if not line.startswith("  ") or not m or m.group("dest") not in self._copy_dests:
                return commands
            artifact, deploys = self._copy_dests[m.group("dest")]
            if not any(m.group("src").endswith(f"aws/{self.name}/appspec/{d}.yml") for d in deploys):
                return commands
            found.append((artifact, m.group("src")))
        for artifact, src in found:
            self.copies[artifact] = src
            self._copied.add(artifact)
        return commands[:-1]

    def outputs(self, a: Action, artifacts, where: str) -> tuple:
        """The output artifacts of ``a`` from the buildspec's ``artifacts``; notes where an EC2
        revision's appspec copy would go (for :meth:`strip_copies`)."""
        self._copy_dests = {}
        if not a.outputs:
            if artifacts:
                self.fail(where, "declares artifacts, but the action has no output artifacts")
            return ()
        if not isinstance(artifacts, dict):
            self.fail(where, f"the action has output artifacts {a.outputs} but the buildspec no artifacts")
        secondary = artifacts.get("secondary-artifacts") or {}
        out = []
        for name in a.outputs:
            if len(a.outputs) == 1 and not secondary:
                spec = artifacts
            else:
                spec = secondary.get(name)
                if spec is None and len(a.outputs) == 1:
                    spec = artifacts
                if spec is None:
                    self.fail(where, f"output artifact {name!r} is not among the buildspec's secondary-artifacts")
            unknown = set(spec) - {"files", "base-directory", "discard-paths", "name", "secondary-artifacts"}
            if unknown:
                self.fail(where, f"artifact {name!r}: {', '.join(sorted(unknown))} not understood")
            files = [str(f) for f in as_list(spec.get("files"))]
            base = spec.get("base-directory")
            base = None if base is None else str(base)
            flatten = as_bool(spec.get("discard-paths"), False)
            if flatten is None:
                self.fail(where, f"artifact {name!r}: discard-paths {spec.get('discard-paths')!r} is not yes or no")
            if name in self.ec2_revisions:
                self._copy_dests[_dest(base)] = (name, self.ec2_revisions[name])
            out.append(plan.Artifact(name, tuple(files), base, flatten))
        return tuple(out)


def service_role(props: dict) -> str | None:
    """The role a project's commands run as when it is one the template does not create (an ARN
    written as it is: ``aws { role }``); None for a role of the template (pipec's own)."""
    role = props.get("ServiceRole")
    return role if isinstance(role, str) else None
