"""Third-party actions whose documented effect is a few commands (issue 25 item 4): the action
becomes those commands, so that its step is mapped rather than only reported. Each mapping says
what it relies on (the action's own README, action.yml or code, read through the project's
``search`` tool) and refuses, with a finding, every input whose meaning it does not keep.

- ``aws-actions/aws-codebuild-run-build``: "Execute CodeBuild::startBuild for the current repo",
  "Wait for completion and error on anything but a SUCCEEDED build" (its README). Its code
  (code-build.js) starts the project's build with ``sourceVersion`` the commit of the run (the
  pull request's head commit for a pull request), ``sourceTypeOverride`` ``GITHUB`` and
  ``sourceLocationOverride`` ``https://github.com/OWNER/REPO.git`` (unless
  ``disable-source-override``), the buildspec, image, compute type, environment type and
  image-pull-credentials overrides given, and every ``GITHUB_*`` variable of the step (unless
  ``disable-github-env-vars``) plus those named in ``env-vars-for-codebuild`` as plain-text
  variables; it polls ``BatchGetBuilds`` every ``update-interval`` seconds (30), and stops the
  build on the signals of ``stop-on-signals`` (``SIGINT``, which GitHub sends when a run is
  cancelled). The commands: ``aws codebuild start-build`` with the same overrides (the commit
  is ``$CODEBUILD_RESOLVED_SOURCE_VERSION``, which the GitHub target sets to the pull request's
  head commit or ``github.sha``, the same choice), a ``trap`` that runs ``aws codebuild
  stop-build``, and a loop on ``aws codebuild batch-get-builds`` that fails unless the status is
  ``SUCCEEDED``. The IAM actions it needs (``codebuild:StartBuild``, ``codebuild:BatchGetBuilds``,
  ``codebuild:StopBuild``, resource ``arn:aws:codebuild:REGION:ACCOUNT:project/NAME``: the
  CodeBuild permissions reference) are the action's ``aws { allow }``. Normalisation: the build's
  log stays in CloudWatch Logs (the action copies it into the step's log); the command prints the
  build's id.
- ``aws-actions/setup-sam`` with ``use-installer: true``: its code (lib/setup.js) downloads
  ``https://github.com/aws/aws-sam-cli/releases/latest/download/aws-sam-cli-linux-x86_64.zip``
  (``releases/download/vX.Y.Z/`` for a ``version``), extracts it and adds its ``dist`` folder to
  ``PATH``; when the download fails it only warns. The commands do the same (``curl``, ``unzip``,
  ``export PATH``). ``token`` only authenticates its look-up of the latest version; ``python`` is
  unused with the installer. On an ARM runner, or without the installer (a pip install into a
  virtual environment), the step stays a finding.
- ``aws-actions/amazon-ecr-login`` (private registry of the job's account, the default): its code
  (index.js) calls ECR's GetAuthorizationToken and runs ``docker login`` with user ``AWS`` to the
  token's ``proxyEndpoint``, whose host is the ``registry`` output. The commands: ``aws ecr
  get-authorization-token`` for the endpoint (kept in ``STEPS_<ID>_REGISTRY``, which
  ``steps.<id>.outputs.registry`` reads) and ``aws ecr get-login-password | docker login``; IAM:
  ``ecr:GetAuthorizationToken`` on ``*`` (pipec.aws_calls). Its post-job logout is left out (a
  build's machine is not reused). Other accounts, ECR Public and proxies stay findings.
- ``docker/login-action`` to a registry that is not ECR: its code (src/docker.ts, loginStandard)
  runs ``docker login --password-stdin --username USER REGISTRY`` (Docker Hub without a registry)
  with the password on standard input; the command does the same with ``printf '%s'``. Its
  post-job logout is left out. ECR registries (signed in with the job's AWS credentials) and
  values only GitHub has (``github.actor``) stay findings.
- ``Swatinem/rust-cache``: its README caches "``~/.cargo`` (installed binaries, the cargo
  registry, cache, and git dependencies)" and "``./target``", keyed by the toolchain and the
  lock files, and "automatically sets ``CARGO_INCREMENTAL=0``". The mapping: ``cache`` of
  ``~/.cargo/registry``, ``~/.cargo/git``, ``~/.cargo/bin`` (unless ``cache-bin: false``) and
  ``target`` (unless ``cache-targets: false``), and ``export CARGO_INCREMENTAL=0``; its key inputs
  need nothing (a ``.pipe`` cache is pipec's to key). Other workspaces or directories: a finding.
- ``actions-rs/cargo``: its code (src/main.ts, src/input.ts) runs the program ``cargo`` with the
  arguments ``+TOOLCHAIN`` (when ``toolchain`` is given, a leading ``+`` dropped), ``command``, and
  ``args`` split by string-argv, directly, not through a shell; it prints ``::add-matcher::`` for
  GitHub's log annotations and sets an output ``stdout``. string-argv is not a shell's split
  (:func:`string_argv`): ``--features="a b"`` stays one argument with its quotes, ``"a b"c`` is two.
  The command: ``cargo`` with each argument as string-argv makes it, as one shell-quoted word
  (nothing expanded, as in the action); a whole argument ``${{ matrix.AXIS }}`` is the cell's value
  as one word. ``use-cross: true`` (an install of ``cross`` from a fixed commit), arguments with
  other expressions or with whitespace other than ASCII's (which string-argv's pattern splits at),
  and the ``stdout`` output stay findings. The step's ``env`` is the
  program's environment: assignments in front of the command (``NAME=VALUE cargo ...``), which
  set it for that command only. (The other mappings here do not carry a step's ``env``: a finding.)
"""

from __future__ import annotations

import re
import shlex

from pipec.importer import q
from pipec.targets.github.imports import runner_files, shells
from pipec.targets.github.imports.common import _Action, _scalar, _Skip

_CODEBUILD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,254}")
#: aws-codebuild-run-build inputs -> the start-build option each one is (None: handled apart)
_RUN_BUILD_OPTIONS = {
    "project-name": None, "buildspec-override": "--buildspec-override", "image-override": "--image-override",
    "compute-type-override": "--compute-type-override",
    "environment-type-override": "--environment-type-override",
    "image-pull-credentials-type-override": "--image-pull-credentials-type-override",
    "source-version-override": None, "source-type-override": None, "source-location-override": None,
    "disable-source-override": None, "disable-github-env-vars": None, "env-vars-for-codebuild": None,
    "update-interval": None, "update-back-off": None, "hide-cloudwatch-logs": None, "stop-on-signals": None,
    "artifacts-type-override": None,
}
#: action -> the text its commands always hold (bench/roundtrip.py finds the step by it)
AS_COMMANDS = {"aws-actions/aws-codebuild-run-build": "aws codebuild start-build --project-name",
               "aws-actions/setup-sam": "aws-sam-cli-linux-x86_64.zip",
               "aws-actions/amazon-ecr-login": "aws ecr get-login-password | docker login",
               "docker/login-action": "| docker login --password-stdin",
               "swatinem/rust-cache": "CARGO_INCREMENTAL=0", "actions-rs/cargo": "cargo "}
#: (the step's env of actions-rs/cargo: assignments in front of its command; of the others: a finding)
_SIGNALS = {"SIGINT": "INT", "SIGTERM": "TERM", "SIGHUP": "HUP", "SIGQUIT": "QUIT"}

#: string-argv 0.3.1's pattern, as bundled in actions-rs/cargo's dist/index.js (JavaScript's
#: ``[^\3]`` is the character U+0003, not a back-reference; ``\s`` of ASCII: :func:`string_argv`)
_STRING_ARGV = re.compile(r"""([^\s'"]([^\s'"]*(['"])([^\x03]*?)\3)+[^\s'"]*)|[^\s'"]+|(['"])([^\x05]*?)\5""",
                          re.ASCII)


def string_argv(text: str) -> list[str]:
    """The arguments string-argv makes of ``text`` (its ``parseArgsStringToArgv``): each match of
    its pattern, as its first group (a word with quoted parts: quotes kept), else its sixth (a word
    that is one quoted string: quotes dropped), else the whole match; a quote with no partner is
    skipped. Not a shell's split: ``--features="a b"`` is one argument with its quotes."""
    return [next(g for g in (m.group(1), m.group(6), m.group(0)) if g is not None)
            for m in _STRING_ARGV.finditer(text)]


class ThirdParty:
    """The third-party actions :mod:`.actions` maps to commands, one method each."""

    def third_party(self, a: _Action, step, with_, action: str) -> bool:
        """Map ``action`` (lower case, no ref) into ``a``; False when it is not one of these."""
        if step.get("env") is not None and action in AS_COMMANDS and action != "actions-rs/cargo":
            # the step's env is the action's environment only: these mappings do not carry it
            raise _Skip("workflow: action inputs", f"{action} with its own env: pipec does not map the action's "
                        "environment")
        if action == "aws-actions/aws-codebuild-run-build":
            self.codebuild_run_build(a, step, with_)
            return True
        if action == "aws-actions/setup-sam" and str(with_.get("use-installer")).lower() == "true":
            self.setup_sam(a, with_)
            return True
        if action == "aws-actions/amazon-ecr-login":
            self.ecr_login(a, step, with_)
            return True
        if action == "docker/login-action":
            self.docker_login(a, with_)
            return True
        if action == "swatinem/rust-cache":
            self.rust_cache(a, with_)
            return True
        if action == "actions-rs/cargo":
            self.rust_cargo(a, step, with_)
            return True
        return False

    def rust_cargo(self, a: _Action, step, with_):
        # the step's env is cargo's environment only: assignments in front of the one command
        env = step.get("env")
        if env is not None and not isinstance(env, dict):
            raise _Skip("workflow: env expression", "the step's env is an expression")
        prefix = []
        for name, value in (env or {}).items():
            text = _scalar(value) if not isinstance(value, (dict, list)) else None
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)) or text is None:
                raise _Skip("workflow: env expression", f"env {name} is not a shell name with a plain value")
            prefix.append(f"{name}={self.shell_value(a, text, str(name))}")
        values = {}
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k == "use-cross" and text is not None and text.strip().lower() == "false":
                continue
            if k not in ("command", "args", "toolchain") or text is None:
                raise _Skip("workflow: action inputs", f"actions-rs/cargo input '{k}' is not one pipec maps"
                            + (" (cross is installed from a fixed commit of its repository)" if k == "use-cross"
                               else ""))
            values[k] = self.literal(a, {}, text) if "${{" in text else text
            if values[k] is None:
                values[k] = text
        command = (values.get("command") or "").strip()
        toolchain = (values.get("toolchain") or "").strip().removeprefix("+")
        words = []
        for text in ([f"+{toolchain}"] if toolchain else []) + [command]:
            if not text or "${{" in text or any(c.isspace() for c in text):
                raise _Skip("workflow: action inputs", "actions-rs/cargo: the command or toolchain is missing or "
                            "computed by GitHub")
            words.append(shlex.quote(text))
        args = values.get("args") or ""
        if any(c.isspace() and not c.isascii() or c == "\ufeff" for c in args):
            raise _Skip("workflow: action inputs", "actions-rs/cargo args with whitespace other than spaces, tabs "
                        "and line breaks, where string-argv splits them")
        exprs = re.findall(r"\$\{\{.*?\}\}", args)
        for n, e in enumerate(exprs):  # each expression one token while splitting (GitHub substitutes first)
            args = args.replace(e, f"@@{n}@@", 1)
        for word in string_argv(args):
            word = re.sub(r"@@(\d+)@@", lambda m: exprs[int(m.group(1))], word)
            axis = re.fullmatch(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", word)
            if axis and axis.group(1) in (getattr(self, "matrix_axes", None) or ()):
                words.append(f'"${{{axis.group(1)}}}"')
            elif "${{" in word:
                raise _Skip("workflow: action inputs", f"actions-rs/cargo argument {word!r} is computed by GitHub")
            else:
                words.append(shlex.quote(word))
        # continue-on-error: true: a failing cargo fails neither the job on GitHub nor the build here
        tolerant = shells.continue_on_error(step) is True
        self.commands_for(a, [" ".join(prefix + ["cargo"] + words) + (" || true" if tolerant else "")])

    def rust_cache(self, a: _Action, with_):
        keyed = {"key", "shared-key", "prefix-key", "env-vars", "add-job-id-key", "add-rust-environment-hash-key",
                 "cache-on-failure", "save-if", "cache-all-crates", "cache-provider", "lookup-only"}
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k in keyed or (k in ("cache-targets", "cache-bin") and text in ("true", "false")):
                continue
            raise _Skip("workflow: action inputs", f"rust-cache input '{k}' is not one pipec maps")
        paths = ["~/.cargo/registry", "~/.cargo/git"]
        if str(with_.get("cache-bin", "true")).lower() == "true":
            paths.append("~/.cargo/bin")
        if str(with_.get("cache-targets", "true")).lower() == "true":
            paths.append("target")
        for p in paths:
            if p not in a.cache:
                a.cache.append(p)
        self.commands_for(a, ["export CARGO_INCREMENTAL=0"])

    def ecr_login(self, a: _Action, step, with_):
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k in ("mask-password", "skip-logout") or (k == "registry-type" and text == "private"):
                continue
            raise _Skip("workflow: action inputs", f"amazon-ecr-login input '{k}' ({text!r}) is not one pipec maps "
                        "(other accounts' registries, ECR Public, a proxy)")
        step_id = step.get("id") if isinstance(step.get("id"), str) and step["id"].strip() else "ecr-login"
        var = runner_files.output_variable(step_id, "registry")
        self.commands_for(a, [
            f"{var}=$(aws ecr get-authorization-token --query 'authorizationData[0].proxyEndpoint' --output text "
            "| sed 's|^https://||')",
            f'aws ecr get-login-password | docker login --username AWS --password-stdin "${{{var}:?}}"'])
        a.outputs[(step_id, "registry")] = var
        a.allow.append(("ecr:GetAuthorizationToken", "*"))

    def docker_login(self, a: _Action, with_):
        values = {}
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k not in ("registry", "username", "password", "ecr", "logout") or text is None:
                raise _Skip("workflow: action inputs", f"docker/login-action input '{k}' is not one pipec maps")
            values[k] = text.strip()
        registry = values.get("registry", "")
        if "${{" in registry:
            registry = self.literal(a, {}, registry) or registry
        if values.get("ecr", "auto").lower() == "true" or "${{" in registry or \
                re.search(r"\.dkr\.ecr\.|public\.ecr\.aws", registry):
            raise _Skip("workflow: action inputs", "docker/login-action to ECR signs in with the job's AWS "
                        "credentials (or the registry is computed): use amazon-ecr-login's commands")
        if not values.get("username") or not values.get("password"):
            raise _Skip("workflow: action inputs", "docker/login-action without a username and a password")
        user = self.shell_value(a, values["username"], "DOCKER_USERNAME")
        password = self.shell_value(a, values["password"], "DOCKER_PASSWORD")
        if re.search(r"\$\{?(GITHUB|RUNNER)_", user + password):
            raise _Skip("workflow: action inputs", "docker/login-action signs in with a value only GitHub has "
                        "(github.actor, the job's token)")
        self.commands_for(a, [f"printf '%s' {password} | docker login --password-stdin --username {user}"
                              + (f" {shlex.quote(registry)}" if registry else "")])

    def commands_for(self, a: _Action, commands: list[str]):
        """``commands`` as the action's, each recorded for the round trip (bench/roundtrip.py) as
        standing for a uses step."""
        for c in commands:
            a.phase.stmt("run", '"""\n' + c + '\n"""' if "\n" in c else q(c))
            a.commands += 1
            self.ctx.mapping.setdefault("action_commands", []).append(c)

    def setup_sam(self, a: _Action, with_):
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k not in ("use-installer", "version", "token", "python") or text is None or (
                    k in ("version", "use-installer") and "${{" in text):
                raise _Skip("workflow: action inputs", f"setup-sam input '{k}' is not one pipec maps")
        version = (_scalar(with_.get("version")) or "").strip()
        if version and not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise _Skip("workflow: action inputs", f"setup-sam version {version!r} is not x.y.z, which the "
                        "installer needs")
        if any("arm" in line for line in a.github if line.startswith("runs_on")):
            raise _Skip("workflow: action inputs", "setup-sam on an ARM runner: CodeBuild's image is x86-64")
        url = (f"https://github.com/aws/aws-sam-cli/releases/download/v{version}/aws-sam-cli-linux-x86_64.zip"
               if version else "https://github.com/aws/aws-sam-cli/releases/latest/download/"
               "aws-sam-cli-linux-x86_64.zip")
        self.commands_for(a, [
            "sam_dir=$(mktemp -d)",
            f'curl -fsSL {url} -o "$sam_dir/sam.zip" && unzip -q "$sam_dir/sam.zip" -d "$sam_dir" || '
            "echo 'setup-sam: the SAM CLI download failed; the sam already on PATH is used' >&2",
            'export PATH="$sam_dir/dist:$PATH"'])

    def codebuild_run_build(self, a: _Action, step, with_):
        values = {}
        for k, val in with_.items():
            text = _scalar(val) if not isinstance(val, (dict, list)) else None
            if k not in _RUN_BUILD_OPTIONS:
                raise _Skip("workflow: action inputs", f"aws-codebuild-run-build input '{k}' is not one pipec knows")
            if text is None or "${{" in text or "\n" in text.strip():
                raise _Skip("workflow: action inputs", f"aws-codebuild-run-build input '{k}' is computed by GitHub")
            values[k] = text.strip()
        project = values.get("project-name", "")
        if not _CODEBUILD_NAME.fullmatch(project):
            raise _Skip("workflow: action inputs", f"aws-codebuild-run-build project-name {project!r} is not a "
                        "CodeBuild project name")
        interval = values.get("update-interval", "30")
        if not interval.isdigit() or int(interval) < 1:
            raise _Skip("workflow: action inputs", f"aws-codebuild-run-build update-interval {interval!r} is not "
                        "a number of seconds")
        start = ["aws codebuild start-build --project-name", shlex.quote(project)]
        if values.get("disable-source-override") != "true":
            location = values.get("source-location-override") or f"https://github.com/{self.repo}.git"
            start += ["--source-type-override", shlex.quote(values.get("source-type-override") or "GITHUB"),
                      "--source-location-override", shlex.quote(location), "--source-version",
                      shlex.quote(values["source-version-override"]) if values.get("source-version-override")
                      else '"$CODEBUILD_RESOLVED_SOURCE_VERSION"']
        for k, option in _RUN_BUILD_OPTIONS.items():
            if option and values.get(k):
                start += [option, shlex.quote(values[k])]
        if values.get("artifacts-type-override"):
            start += ["--artifacts-override", shlex.quote(f"type={values['artifacts-type-override']}")]
        names = [n.strip() for n in values.get("env-vars-for-codebuild", "").split(",") if n.strip()]
        if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names):
            raise _Skip("workflow: action inputs", "aws-codebuild-run-build env-vars-for-codebuild is not a list "
                        "of variable names")
        github_vars = values.get("disable-github-env-vars") != "true"
        if github_vars or names:
            # the step's GITHUB_* variables and the named ones, as the action passes them (a JSON
            # list, so that values with commas and spaces arrive intact; python3 writes it, which
            # CodeBuild's standard images and GitHub's Ubuntu runners have)
            test = " or ".join((['k.startswith("GITHUB_")'] if github_vars else [])
                               + ([f"k in {tuple(names)!r}"] if names else []))
            start += ["--environment-variables-override",
                      "\"$(python3 -c 'import json, os; print(json.dumps([{\"name\": k, \"value\": v, \"type\": "
                      f"\"PLAINTEXT\"}} for k, v in sorted(os.environ.items()) if {test}]))')\""]
        start += ["--query build.id --output text"]
        # one option (and its value) per line
        words, start = start, []
        for w in words:
            if w.startswith("--") and start:
                start[-1] += " \\"
                start.append("  " + w)
            elif start:
                start[-1] += " " + w
            else:
                start.append(w)
        signals = [s.strip().upper() for s in values.get("stop-on-signals", "SIGINT").split(",") if s.strip()]
        if any(s not in _SIGNALS for s in signals):
            raise _Skip("workflow: action inputs", f"aws-codebuild-run-build stop-on-signals {signals!r} names a "
                        "signal pipec does not map")
        timeout = step.get("timeout-minutes")
        deadline = isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0
        if "timeout-minutes" in step and not deadline:
            raise _Skip("workflow: step timeout", f"timeout-minutes {timeout!r} is not a whole number of minutes")
        lines = ["(", "set -eo pipefail"]
        senv = step.get("env")
        if senv is not None:
            if not isinstance(senv, dict):
                raise _Skip("workflow: env expression", "the step's env is an expression")
            for name, value in senv.items():
                text = _scalar(value)
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)) or text is None:
                    raise _Skip("workflow: env expression", f"env {name} is not a plain variable")
                lines.append(f"export {name}={self.shell_value(a, text, str(name))}")
        lines += [f"id=$({start[0]}", *start[1:-1], f"{start[-1]})"] if len(start) > 1 else [f"id=$({start[0]})"]
        if signals:
            lines.append(f"trap 'aws codebuild stop-build --id \"$id\" > /dev/null' "
                         f"{' '.join(_SIGNALS[s] for s in signals)}")
        lines.append('echo "CodeBuild build $id started; its log is in CloudWatch Logs"')
        if deadline:  # the step's own timeout, which fails the step on GitHub
            lines.append(f"deadline=$((SECONDS + {timeout * 60}))")
        wait = ["while status=$(aws codebuild batch-get-builds --ids \"$id\" --query 'builds[0].buildStatus' "
                "--output text) && [ \"$status\" = IN_PROGRESS ]"]
        if deadline:
            wait.append('&& [ "$SECONDS" -lt "$deadline" ]')
        lines += [" ".join(wait) + "; do", f"  sleep {int(interval)}", "done",
                  'echo "CodeBuild build $id: $status"', '[ "$status" = SUCCEEDED ]', ")"]
        a.phase.stmt("run", '"""\n' + "\n".join(lines) + '\n"""')
        # for the round trip (bench/roundtrip.py): commands that stand for a uses step
        self.ctx.mapping.setdefault("action_commands", []).append("\n".join(lines))
        a.commands += 1
        a.allow.append(("codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild",
                        f"arn:aws:codebuild:*:*:project/{project}"))
