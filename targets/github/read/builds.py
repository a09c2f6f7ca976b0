"""Build jobs read back: inputs in CodeBuild's order, env and GitHub secrets, runtimes, secrets
fetched through the job's role, caches, collected artifacts, reports and the timeout; and
``run_in_codebuild`` jobs, from the buildspec and the companion template's project. The phases
are :mod:`.phases`.
"""

from __future__ import annotations


import json
import re
import shlex

import yaml

from pipec import model, plan
from pipec.targets.aws import buildspec
from pipec.targets.escape import GITHUB_ENV_DELIMITER, LITERAL_PATHS_DIRECTIVE
from pipec.targets.github.read.artifacts import PACK
from pipec.targets.github.read.matrix import MatrixReader
from pipec.targets.github.read.common import SETUP_ACTIONS, _action_of, _fail, _only, _plain, _text, _unliteral, _Where
from pipec.targets.github.read.phases import STEP_ID


#: GitHub's default job timeout (minutes)
GITHUB_TIMEOUT = 360
#: the two copy lines of an artifact collection step: layout kept, or flattened (discard_paths)
COPY_KEEP = ('for f in "${files[@]}"; do if [ -f "$f" ]; then mkdir -p "$dest/$(dirname -- "$f")" && '
             'cp -p -- "$f" "$dest/$f"; fi; done')
COPY_FLAT = 'for f in "${files[@]}"; do if [ -f "$f" ]; then cp -p -- "$f" "$dest/"; fi; done'


class Builds(MatrixReader):
    """Build and test jobs, and builds run in CodeBuild."""

    def build(self, where, action: str, job: dict, located) -> tuple:
        matrix = self.job_matrix(where, job)
        if any(role == "codebuild" for _, role, _ in located):
            return self.codebuild(where, action, job, located)
        platform = self.job_platform(where, job, located)
        inputs = self.build_inputs(where, located)
        self.container = "container" in job
        env, secrets, given = self.build_env(where, action, job)
        runtimes, cache, outputs, reports = [], set(), [], []
        collected: set[str] = set()
        for at, role, step in located:
            with_ = step.get("with") or {}
            if role == "setup":
                runtime, version = self.runtime(at, step)
                runtimes.append((runtime, self.axis_version(version)))
            elif role == "secrets":
                secrets.extend(self.fetched_secrets(at, step))
            elif role == "cache-restore":
                cache.update(plan.cache_path(_unliteral(at, p, "a cache path")) for p in self.lines(at, with_.get("path"), "path"))
            elif role == "collect":
                outputs.append(self.collect(at, step))
                collected.add(outputs[-1].name)
            elif role == "upload-artifact":
                name = step["name"][len("Upload artifact "):]
                if name not in collected or with_.get("name") != name:
                    _fail(at, f"artifact '{name}' is uploaded without a 'Collect artifact {name}' step before it")
                packed = next(o.modes for o in outputs if o.name == name)
                folder = f"${{{{ runner.temp }}}}/artifacts/{name}"
                if with_.get("path") != (folder + ".tar" if packed else folder):
                    _fail(at, f"artifact '{name}' uploads {with_.get('path')!r}, not what its collection step made")
            elif role == "upload-report":
                reports.append((step["name"][len("Upload report "):],
                                tuple(_unliteral(at, p, "a report path") for p in self.lines(at, with_.get("path"), "path"))))
        uploaded = {step["name"][len("Upload artifact "):] for _, role, step in located if role == "upload-artifact"}
        if collected - uploaded:
            _fail(where, f"artifact {', '.join(sorted(collected - uploaded))} is collected and never uploaded")
        timeout = job.get("timeout-minutes", GITHUB_TIMEOUT)
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            _fail(where, f"timeout-minutes {timeout!r} is not a number of minutes")
        phases = self.phases(where, located)
        expected = "build-ran" if outputs else None
        if self.upload_rule != "steps" and self.upload_rule != expected:
            _fail(where, f"the phases step decides the artifact upload by {self.upload_rule or 'nothing'}; "
                         f"CodeBuild's rule here is {expected or 'none (no artifacts)'}")
        cond = self.upload_condition
        for at, role, step in located:
            if role in ("collect", "upload-artifact") and step.get("if") != cond:
                _fail(at, f"an artifact step runs with if: {cond} (when CodeBuild uploads the artifacts)")
        return plan.spec(inputs=tuple(inputs), shell="powershell" if platform and platform[0] == "windows" else "bash",
                         platform=platform, matrix=matrix, phases=phases, env=tuple(sorted(env)),
                         secrets=tuple(sorted(secrets)), outputs=tuple(outputs), cache=tuple(sorted(cache)),
                         reports=tuple(sorted(reports)), runtimes=tuple(sorted(runtimes)), timeout=timeout,
                         builtins=given, role=self.build_role(where, job, located))

    @staticmethod
    def build_role(where, job: dict, located) -> str | None:
        """The role the commands run as: the role a second credentials step assumes from the job's
        OIDC role (``role-chaining``), which must come before the first phase; None when the job
        has only its own OIDC role (pipec's) or no AWS credentials."""
        creds = [(i, step) for i, (_, role, step) in enumerate(located) if role == "credentials"]
        first_phase = next((i for i, (_, role, _s) in enumerate(located) if role in ("phases", "command")),
                           len(located))
        chained = [(i, step) for i, step in creds if (step.get("with") or {}).get("role-chaining") is True]
        if not chained:
            return None
        if len(creds) != 2 or creds[0][0] != chained[0][0] - 1 or chained[0][0] > first_phase:
            _fail(where, "the build's role is assumed right after the job's OIDC role, before the phases")
        if (job.get("permissions") or {}).get("id-token") != "write":
            _fail(where, "a job that takes an OIDC role needs 'id-token: write'")
        role = (chained[0][1].get("with") or {}).get("role-to-assume")
        if not isinstance(role, str):
            _fail(where, "the chained credentials step names no role-to-assume")
        return role

    @staticmethod
    def lines(where, text, what: str) -> list[str]:
        if not isinstance(text, str) or not text.strip():
            _fail(where, f"'{what}' must list paths, one a line")
        return [line.strip() for line in text.split("\n") if line.strip()]

    def build_inputs(self, where, located) -> list[str]:
        """Input artifacts in CodeBuild's order: the one put in the working directory first, then
        the others (each in $RUNNER_TEMP/inputs/NAME) in the order they are fetched."""
        primary: list[str] = []
        secondary: list[str] = []
        moved = {step["name"][len("Move "):-len(" beside the working directory")]
                 for _, role, step in located if role == "move"}
        for at, role, step in located:
            with_ = step.get("with") or {}
            if not isinstance(with_, dict):
                _fail(at, "'with' must be a mapping")
            if role == "checkout":
                name = self.checkout_name(at, step)
                path = with_.get("path")
                if path is None:
                    primary.append(name)
                elif path == f".pipec-inputs/{name}" and name in moved:
                    secondary.append(name)
                else:
                    _fail(at, f"a checkout into {path!r}: pipec puts the first input in the working directory "
                              "and each other one in $RUNNER_TEMP/inputs/NAME")
            elif role == "download":
                name, path = with_.get("name"), with_.get("path")
                if not isinstance(name, str):
                    _fail(at, "a download of every artifact at once has no pipec equivalent: name the artifact")
                if path is None:
                    primary.append(name)
                elif path == f"${{{{ runner.temp }}}}/inputs/{name}":
                    secondary.append(name)
                else:
                    _fail(at, f"a download into {path!r}: pipec puts the first input in the working directory "
                              "and each other one in $RUNNER_TEMP/inputs/NAME")
            elif role in ("s3-source", "codecommit-source"):
                name = re.fullmatch(r"(?:Fetch source|Clone) (\S+) from (?:S3|CodeCommit)", step["name"]).group(1)
                run = step["run"]
                if role == "s3-source":
                    into_cwd = run.startswith("set -eu\nmkdir -p .\n") and run.endswith("-d .")
                    elsewhere = run.startswith(f'set -eu\nmkdir -p "$RUNNER_TEMP/inputs/{name}"\n')
                else:
                    into_cwd = run.endswith(" .")
                    elsewhere = run.endswith(f' "$RUNNER_TEMP/inputs/{name}"')
                if into_cwd == elsewhere:
                    _fail(at, "cannot tell where the source is put (the working directory, or "
                              f"$RUNNER_TEMP/inputs/{name})")
                (primary if into_cwd else secondary).append(name)
        if len(primary) > 1:
            _fail(where, f"inputs {', '.join(primary)} all go into the working directory; CodeBuild has one "
                         "primary input")
        if secondary and not primary:
            _fail(where, "the job has secondary inputs but none in the working directory")
        return primary + secondary

    def build_env(self, where, action: str, job: dict) -> tuple[list, list, tuple]:
        """(env pairs, GitHub secrets, built-in variables) from the workflow's and the job's
        ``env``: pipeline variables (``${{ inputs.X || 'D' }}``) go to the plan's variables,
        ``${{ secrets.S }}`` to the secrets, and CodeBuild's built-in variables, when they hold
        the value pipec gives them (:mod:`pipec.targets.github.builtins`), to the built-ins with
        their meaning. A plain ``AWS_REGION``/``AWS_DEFAULT_REGION`` reads as the built-in: an
        ``env`` of that name holding a Region cannot be told apart, and reaches the build alike."""
        merged: dict = {}
        for scope, env in (("workflow", self.data.get("env")), ("job", job.get("env"))):
            if env is None:
                continue
            if not isinstance(env, dict):
                _fail(where, f"the {scope}'s 'env' must be a mapping")
            merged.update(env)
        from pipec import builtins
        from pipec.targets.github.builtins import values as builtin_values

        meanings = dict(builtins.provided())
        pairs, secrets, given = [], [], []
        stand_ins = builtin_values(self.pipeline, action, "")
        for name, value in merged.items():
            at = _Where(f"{where}, env {name}")
            if self.axis_env(name, value):
                continue  # a matrix axis (.matrix)
            if name == "CODEBUILD_BUILD_SUCCEEDING" and value == "1":
                continue  # 1 until a command fails, as on CodeBuild (the phases set it to 0)
            if name in builtins.STAND_INS and value == stand_ins.get(name):
                continue  # a stand-in for a job whose commands read it (W521): not a value of the same meaning
            if name in meanings and isinstance(value, str):
                region = name in ("AWS_REGION", "AWS_DEFAULT_REGION") and "${{" not in value and value
                if region or value == builtin_values(self.pipeline, action, "").get(name):
                    given.append((name, meanings[name]))
                    continue
            if isinstance(value, str):
                m = re.fullmatch(r"\$\{\{ inputs\.([A-Za-z_][A-Za-z0-9_-]*) \|\| '((?:[^']|'')*)' \}\}", value)
                if m:  # a pipeline variable: the run's input, else its default
                    if m.group(1) != name:
                        _fail(at, f"a pipeline variable reaches the job under another name ({m.group(1)})")
                    self.variable(at, name, m.group(2).replace("''", "'"))
                    continue
                m = re.fullmatch(r"\$\{\{ secrets\.([A-Za-z_][A-Za-z0-9_]*) \}\}", value)
                if m:
                    secrets.append((str(name), "github", m.group(1)))
                    continue
                pairs.append((str(name), _unliteral(at, value, "the value")))
            else:
                pairs.append((str(name), _plain(at, value, "the value")))
        return pairs, secrets, tuple(sorted(given))

    @staticmethod
    def runtime(where, step) -> tuple[str, str]:
        action = _action_of(step["uses"])
        runtime, key = SETUP_ACTIONS[action]
        with_ = step.get("with") or {}
        version = with_.get(key) if isinstance(with_, dict) else None
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not version:
            _fail(where, f"'{key}' must be a version string (a YAML number such as 3.10 loses digits)")
        if runtime == "java":
            if with_.get("distribution") != "corretto":
                _fail(where, f"Java distribution {with_.get('distribution')!r}: CodeBuild's Java runtimes are "
                             "Amazon Corretto")
            version = "corretto" + version
        return runtime, version

    @staticmethod
    def fetched_secrets(where, step) -> list[tuple[str, str, str]]:
        """(name, store, ref) for each secret the 'Fetch secrets' step reads through the job's role."""
        env = step.get("env") or {}
        lines = step["run"].split("\n")
        if lines[:2] != ["set -euo pipefail", GITHUB_ENV_DELIMITER]:
            _fail(where, "the script must start with 'set -euo pipefail' and choose a random delimiter")
        lines = lines[1:]
        out = []
        pending = None  # (store, ref) of the value line just read
        mask = 'while IFS= read -r line; do echo "::add-mask::$line"; done <<< "$value"'
        for line in lines[1:]:
            ssm = re.fullmatch(r'value=\$\(aws ssm get-parameter --with-decryption --name "\$(\w+)" '
                               r"--query Parameter\.Value --output text\)", line)
            sm = re.fullmatch(r'value=\$\(aws secretsmanager get-secret-value --secret-id "\$(\w+)"'
                              r"((?: --version-(?:stage|id) '[^']*')*) "
                              r"--query SecretString --output text( \| jq -r (.+))?\)", line)
            out_line = re.fullmatch(r"\{ echo \"(\w+)<<\$eof\"; printf '%s\\n' \"\$value\"; echo \"\$eof\"; \} "
                                    r'>> "\$GITHUB_ENV"', line)
            if ssm or sm:
                if pending is not None:
                    _fail(where, "a secret is fetched and never handed to the job")
                var = (ssm or sm).group(1)
                ref = _text(where, env, var)
                if not isinstance(ref, str):
                    _fail(where, f"${var} is not set in the step's env")
                if sm and (ref.count(":") != 6 if ref.startswith("arn:") else ":" in ref):
                    # CodeBuild reads 'ID:KEY[:STAGE[:VERSION]]' (after an ARN's seven fields) as a
                    # JSON key and a version; this step fetches the whole secret by that id instead
                    _fail(where, f"secret id {ref!r} has more ':' fields than a secret "
                                 f"{'ARN' if ref.startswith('arn:') else 'name'}: as a pipec reference it "
                                 "would name a JSON key (and version), which this step does not read")
                if sm:
                    key = ""
                    if sm.group(3):
                        try:
                            words = shlex.split(sm.group(4))
                        except ValueError:
                            words = []
                        if len(words) != 1 or not words[0].startswith("."):
                            _fail(where, f"jq filter {sm.group(4)!r} is not a JSON key pipec writes")
                        try:
                            key = json.loads(words[0][1:])
                        except ValueError:
                            key = None
                        if not isinstance(key, str):
                            _fail(where, f"jq filter {sm.group(4)!r} is not a JSON key pipec writes")
                    versions = dict(re.findall(r"--version-(stage|id) '([^']*)'", sm.group(2)))
                    fields = [key, versions.get("stage", ""), versions.get("id", "")]
                    while fields and not fields[-1]:
                        fields.pop()
                    ref = ":".join([ref, *fields])
                pending = ("ssm" if ssm else "secrets-manager", ref)
            elif line == mask:
                continue
            elif out_line:
                if pending is None:
                    _fail(where, f"{out_line.group(1)} is handed to the job before any value is fetched")
                out.append((out_line.group(1), *pending))
                pending = None
            else:
                _fail(where, f"a line pipec does not write here: {line!r}")
        if pending is not None:
            _fail(where, "a secret is fetched and never handed to the job")
        return out

    def collect(self, where, step) -> plan.Artifact:
        """An artifact from its 'Collect artifact NAME' step (targets/github/phases.py ``upload_steps``)."""
        name = step["name"][len("Collect artifact "):]
        lines = step["run"].split("\n")
        lines = [line for line in lines if line != LITERAL_PATHS_DIRECTIVE]
        head = ["set -eu", "shopt -s globstar dotglob nullglob", f'dest="$RUNNER_TEMP/artifacts/{name}"',
                'mkdir -p "$dest"']
        tail = f'if [ -z "$(ls -A "$dest")" ]; then echo "artifact {name}: no files matched" >&2; exit 1; fi'
        # packed into one tar file (modes kept), or uploaded as a folder (upload-artifact's zip
        # drops the modes)
        modes = lines[-1:] == [PACK]
        if modes:
            lines = lines[:-1]
        if lines[:4] != head or lines[-1] != tail or len(lines) not in (7, 8):
            _fail(where, "the script is not the artifact collection pipec writes")
        base = None
        rest = lines[4:-1]
        try:
            if len(rest) == 3:
                if not rest[0].startswith("cd "):
                    _fail(where, f"unexpected line {rest[0]!r}")
                words = shlex.split(rest[0][3:])
                if len(words) != 1:
                    _fail(where, f"unexpected line {rest[0]!r}")
                base = words[0]
                rest = rest[1:]
            if not (rest[0].startswith("files=(") and rest[0].endswith(")")):
                _fail(where, f"unexpected line {rest[0]!r} (the file globs, 'files=(...)', were expected)")
            files = tuple(shlex.split(rest[0][len("files=("):-1]))
        except ValueError as exc:  # shlex: unbalanced quotes
            _fail(where, f"cannot read the shell words: {exc}")
        if rest[1] not in (COPY_KEEP, COPY_FLAT):
            _fail(where, f"unexpected copy line {rest[1]!r}")
        if not files:
            _fail(where, "the artifact lists no files")
        return plan.Artifact(name, files, base, rest[1] == COPY_FLAT, modes)

    def codebuild(self, where, action: str, job: dict, located) -> tuple:
        """A ``run_in_codebuild`` job: the buildspec beside the workflow, the project's timeout from
        the companion template; the project reads the workflow's repository."""
        at, _, step = _only(where, located, "codebuild")
        project = (step.get("env") or {}).get("PROJECT")
        template = self.companion(at)
        projects = [p for p in template.of_type("AWS::CodeBuild::Project").values()
                    if template.resolve((p.get("Properties") or {}).get("Name")) == project]
        if len(projects) != 1:
            _fail(at, f"the companion template has no CodeBuild project named {project!r}")
        props = projects[0].get("Properties") or {}
        path = self.beside(at, "buildspec", action)
        try:
            data = buildspec.load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            _fail(at, f"{path.relative_to(self.out)} is not valid YAML: {exc}")
        bwhere = _Where(str(path.relative_to(self.out)))
        if not isinstance(data, dict):
            _fail(bwhere, "a buildspec is a mapping")
        for key in data:
            if key not in ("version", "env", "phases", "cache", "reports"):
                _fail(bwhere, f"'{key}' has no equivalent in a job run in CodeBuild from GitHub")
        for key in ("env", "phases", "cache", "reports"):
            if not isinstance(data.get(key) or {}, dict):
                _fail(bwhere, f"'{key}' must be a mapping")
        env, secrets = [], []
        for key, values in (data.get("env") or {}).items():
            if not isinstance(values, dict) and key != "shell":
                _fail(bwhere, f"env.{key} must be a mapping")
            if key == "variables":
                env.extend((str(k), _plain(bwhere, v, f"env.variables.{k}")) for k, v in values.items())
            elif key == "shell" and isinstance(values, str):
                continue
            elif key in ("parameter-store", "secrets-manager"):
                store = "ssm" if key == "parameter-store" else "secrets-manager"
                secrets.extend((str(k), store, str(v)) for k, v in values.items())
            else:
                _fail(bwhere, f"env.{key} has no pipec equivalent")
        from pipec import builtins

        # CodeBuild sets its built-in variables itself; the buildspec's values replace them
        given = builtins.provided(frozenset(n for n, *_ in (*env, *secrets)))
        phases, runtimes = [], []
        spec_phases = data.get("phases") or {}
        for name, ph in spec_phases.items():
            if name not in model.PHASE_ORDER or not isinstance(ph, dict):
                _fail(bwhere, f"phase {name!r} is not a CodeBuild phase")
        present = [n for n in model.PHASE_ORDER
                   if n in spec_phases and (spec_phases[n].get("commands") or spec_phases[n].get("finally"))]
        for name in model.PHASE_ORDER:
            ph = spec_phases.get(name)
            if ph is None:
                continue
            for key in ph:
                if key not in ("commands", "finally", "on-failure", "runtime-versions") or (
                        key == "runtime-versions" and name != "install"):
                    _fail(bwhere, f"phases.{name}.{key} has no pipec equivalent")
            runtimes.extend((str(r), _plain(bwhere, v, f"runtime {r}"))
                            for r, v in (ph.get("runtime-versions") or {}).items())
            on_failure = {None: "abort", "ABORT": "abort", "CONTINUE": "continue"}.get(ph.get("on-failure"))
            if on_failure is None:
                _fail(bwhere, f"phases.{name}.on-failure {ph.get('on-failure')!r} is not ABORT or CONTINUE")
            if name in present:
                phases.append(plan.Phase(name, tuple(ph.get("commands") or ()), tuple(ph.get("finally") or ()),
                                         on_failure, "after-build" if name == "post_build" and "build" in present
                                         else "success"))
        reports = []
        for name, rep in (data.get("reports") or {}).items():
            if not isinstance(rep, dict):
                _fail(bwhere, f"reports.{name} must be a mapping")
            base = rep.get("base-directory")
            reports.append((str(name), tuple(f"{base.rstrip('/')}/{f}" if base else f for f in rep.get("files") or ())))
        timeout = template.resolve(props.get("TimeoutInMinutes", 60))
        if not isinstance(timeout, int):
            _fail(at, f"the CodeBuild project's TimeoutInMinutes {timeout!r} is not a number")
        source = self.need_source(at, "the CodeBuild project reads the workflow's repository")
        shell = (data.get("env") or {}).get("shell")
        role = props.get("ServiceRole")  # aws { role }: an ARN as written; pipec's own: a reference
        from pipec.targets.aws.read_batch import PLATFORMS

        kind = (props.get("Environment") or {}).get("Type", "LINUX_CONTAINER")
        if kind not in PLATFORMS:
            _fail(at, f"the CodeBuild project's environment type {kind!r} is not understood")
        platform = None if PLATFORMS[kind] == ("linux", "x86_64") else PLATFORMS[kind]
        return plan.spec(inputs=(source,), shell=plan.SHELLS.get(shell, str(shell)) if shell else plan.DEFAULT_SHELL,
                         platform=platform, phases=tuple(phases), env=tuple(sorted(env)),
                         secrets=tuple(sorted(secrets)), outputs=(),
                         cache=tuple(sorted(plan.cache_path(p) for p in (data.get("cache") or {}).get("paths") or ())),
                         reports=tuple(sorted(reports)), runtimes=tuple(sorted(runtimes)), timeout=timeout,
                         builtins=given, role=role if isinstance(role, str) else None)
