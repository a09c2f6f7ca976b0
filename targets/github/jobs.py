"""Jobs: the skeleton every job shares (name, needs, runner, permissions, concurrency), the steps
that fetch a job's inputs as CodeBuild lays them out, build and test jobs (image, runtimes, env,
secrets, CodeArtifact, caches, reports); builds run in CodeBuild (``run_in_codebuild``) are
:mod:`.codebuild_run`. A build's phases are :mod:`.phases`, its artifact uploads :mod:`.artifacts`; deployments :mod:`.deploys`.
"""

from __future__ import annotations


import json
import re

from pipec import builtins, model
from pipec.runner_labels import runs_bash_by_default
from pipec.targets.aws import emit as aws
from pipec.targets.escape import GITHUB_ENV_DELIMITER, expression_string, expression_text, shell_word
from pipec.targets.github.artifacts import download_steps
from pipec.targets.github.builtins import values as builtin_values
from pipec.targets.github.checks import RUNTIME_ACTIONS, env_name, job_id, takes_credentials

__all__ = ["Jobs", "RUNTIME_ACTIONS", "env_name", "job_id"]  # env_name and job_id: imported from here too
from pipec.targets.github.pins import uses


#: pipec runtime -> the lock files whose content decides a cache's key (the files each ecosystem's
#: package manager writes to pin what it installs; the setup-* actions key their own caches on
#: the same files)
LOCK_FILES = {
    "nodejs": ("**/package-lock.json", "**/npm-shrinkwrap.json", "**/yarn.lock", "**/pnpm-lock.yaml",
               "!**/node_modules/**"),
    "python": ("**/requirements*.txt", "**/poetry.lock", "**/Pipfile.lock", "**/uv.lock"),
    "java": ("**/pom.xml", "**/*.gradle*", "**/gradle-wrapper.properties"),
    "golang": ("**/go.sum",),
    "dotnet": ("**/packages.lock.json",),
    "ruby": ("**/Gemfile.lock",),
    "php": ("**/composer.lock",),
}
#: the name of the step that gives a container job CodeBuild's source directory as the container sees it
CONTAINER_SRC_DIR = "CodeBuild's source directory in the container"
#: the commit a run builds: a pull request's head (its source branch, as on CodePipeline), else
#: the pushed commit
HEAD_COMMIT = "${{ github.event.pull_request.head.sha || github.sha }}"


class Jobs:
    """Job skeletons, inputs, build and test jobs."""


    # ------------------------------------------------------------------ job skeleton
    def job(self, act, needs: list[str], stage: model.Stage, first_in_stage: bool) -> dict:
        job: dict = {"name": f"{stage.name} / {act.name}"}
        if needs:
            job["needs"] = list(needs)
        if first_in_stage and stage.disabled_reason:
            job["if"] = f"vars.{self.disabled_transition(stage)} == 'true'"
        job["runs-on"] = self.runs_on_of(act)
        if not runs_bash_by_default(self.labels_of(act)):
            # GitHub's default shell is PowerShell on Windows and unknown on a runner whose labels
            # do not name its system; pipec's steps are bash ("defaults.run.shell")
            job["defaults"] = {"run": {"shell": "bash"}}
        job["permissions"] = {}
        return job  # the workflow's concurrency group is the run's lock (.guards)

    # ------------------------------------------------------------------ inputs
    def checkout(self, src: model.Source, path: str | None) -> dict:
        # the workflow's own repository goes unnamed (the workflow's first line names its source);
        # another repository's checkout is named for its source, which nothing else in it says
        step = {"uses": uses("actions/checkout"), "with": {"persist-credentials": False}}
        if src is not self.repo_source:
            step = {"name": f"Check out {src.name}", **step}
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
                steps.extend(download_steps(name, dest))
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
                              "run": "\n".join(["set -eu", f"mkdir -p {where}",
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
                self.unfetchable_source(act, name, src)
        return steps, env

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
            job["container"] = {"image": expression_text(image.ref)}
            # run steps in a container run in sh unless they name a shell (GitHub docs, "Running
            # jobs in a container"); pipec's own steps are bash scripts (arrays, shopt, <<<)
            job["defaults"] = {"run": {"shell": "bash"}}
        self.image_checks(b, job["runs-on"])
        input_steps, input_env = self.input_steps(b, jid, job)
        steps.extend(input_steps)
        if b.grants:  # kept as written: an IAM policy variable (${aws:username}) must not become a Sub
            self.grant(jid, [dict(st, Resource=[r.replace("${", "${!") for r in st["Resource"]])
                             for st in aws.grant_statements(b)])
        if takes_credentials(self.p, b):  # .build_credentials
            steps[:0] = self.build_credentials(b, jid, job)
        for runtime, version in b.runtimes:
            if not self.runtime_available(b, runtime):
                continue
            action, key, extra = RUNTIME_ACTIONS[runtime]
            version = re.sub(r"^[a-z]+", "", version) if runtime == "java" else version
            steps.append({"uses": uses(action),  # its id (setup-node...) and inputs say what it sets up
                          "with": {**extra, key: expression_text(str(version))}})
        # the values the build sees (docs/language.md, "Values a build sees"), as on CodeBuild: a
        # pipeline variable wins over the build's env and secrets of the same name (CodePipeline
        # passes it when it starts the build, which overrides the project and the buildspec), and
        # those replace CodeBuild's built-in variables
        variables = {v.name for v in self.p.variables}
        env: dict = {}
        self.shared_env(b)
        own_src_dir = any(e.name == "CODEBUILD_SRC_DIR" for e in b.env) or "CODEBUILD_SRC_DIR" in variables
        if image.kind == "docker" and not own_src_dir:
            # ${{ github.workspace }} is the runner's path, not the container's (actions/runner
            # issue 2058): inside the container the runner sets GITHUB_WORKSPACE to the mounted one
            steps.append({"name": CONTAINER_SRC_DIR, "run": 'echo "CODEBUILD_SRC_DIR=$GITHUB_WORKSPACE" >> "$GITHUB_ENV"'})
        read = {name for ph in b.phases for c in (*ph.commands, *ph.finally_commands)
                for name, _ in builtins.reads(c.text)}
        for name, value in builtin_values(self.p.name, b.name, self.region).items():
            # a stand-in (no value of the same meaning on GitHub, W521) only for a job whose
            # commands name it; the built-ins of the same meaning are the workflow's env
            if name in builtins.STAND_INS and name in read and name not in variables:
                env[name] = value
        for e in b.env:
            if e.name not in variables:
                env[e.name] = expression_text(str(e.value))
        for s in b.secrets:
            if s.github_secret and s.name not in variables:
                env[s.name] = f"${{{{ secrets.{s.github_secret} }}}}"
        fetched = [s for s in b.secrets if s.github_secret is None and s.name not in variables]
        if fetched:
            steps.append(self.secret_step(jid, fetched))
        for login in b.codeartifact:
            self.grant(jid, self.codeartifact_statements(login))
        cache = self.cache_steps(b, jid) if b.cache else ()
        if cache:
            steps.append(cache[0])
        phase_steps = self.phase_steps(b, input_env)
        if any("uses" in st for st in phase_steps):  # the checkout of the phase rules
            job["permissions"]["contents"] = "read"
        steps.extend(phase_steps)
        last = self.last_phase_condition(b, phase_steps)
        for out in b.outputs:
            steps.extend(self.upload_steps(b, out, last))
        for rep in b.reports:
            steps.append({"name": f"Upload report {rep.name}", "if": "${{ !cancelled() }}",
                          "uses": uses("actions/upload-artifact"),
                          "with": {"name": f"{b.name}-report-{rep.name}",
                                   "path": "\n".join(expression_text(_under(rep.base, f)) for f in rep.files),
                                   "if-no-files-found": "warn", "include-hidden-files": True}})
        if cache:  # saved when the job succeeds, as actions/cache does
            steps.append(cache[1])
        job["timeout-minutes"] = b.timeout_minutes
        if env:
            job["env"] = env
        job["steps"] = steps
        if image.kind == "docker":
            # every run step of a container job runs inside the container (GitHub docs, "Running
            # jobs in a container"); CodeBuild fetches secrets and sources itself, outside the image
            in_image = [st["name"] for st in steps if "name" in st and "run" in st and re.search(r"(^|\s|\()aws ", st["run"])]
            if in_image:
                self.warn("W524", b, f"'{b.name}' runs in '{image.ref}' on GitHub, where the AWS CLI of that image "
                          f"runs pipec's own steps ({'; '.join(in_image)})",
                          "CodeBuild reads the build's secrets and sources itself, outside the image; a GitHub job in "
                          "a container runs every step inside it. Use an image that has the AWS CLI version 2 (then write "
                          "'# pipec: ignore[W524]' on this line), or bind this stage to CodePipeline with 'via aws'.")
        return job

    def shared_env(self, b: model.Build) -> None:
        """Put what every build job's env holds alike into the workflow's ``env``, once: CodeBuild's
        built-in variables whose GitHub value has the same meaning (:data:`pipec.builtins.SAME`,
        :mod:`.builtins`), ``CODEBUILD_BUILD_SUCCEEDING`` (1 until a command fails: the phases
        set it to 0 where CodeBuild does), and the pipeline's variables (the run's input, else
        the default; a variable wins over a build's env and secrets of the same name, which the
        jobs then leave out, as CodePipeline's start of the build overrides the project)."""
        values = builtin_values(self.p.name, b.name, self.region)
        variables = {v.name for v in self.p.variables}
        for name in builtins.SAME:
            if name not in variables:
                self.workflow_env.setdefault(name, values[name])
        self.workflow_env.setdefault("CODEBUILD_BUILD_SUCCEEDING", "1")
        for v in self.p.variables:
            # the input when the run was started by hand with one; a workflow without
            # workflow_dispatch has no inputs, and its runs use the default, as CodePipeline's
            # runs started by a push or a schedule do
            self.workflow_env[v.name] = (f"${{{{ inputs.{v.name} || {expression_string(v.default)} }}}}"
                                         if self.dispatch_inputs else expression_text(v.default))

    def cache_steps(self, b: model.Build, jid: str) -> tuple[dict, dict]:
        """The restore and save steps of the build's cache paths, keyed on the lock files of its
        runtimes (:data:`LOCK_FILES`): an unchanged lock file restores the cache and saves
        nothing; a changed one restores the job's newest entry (``restore-keys``) and saves a new
        one when the job succeeds. CodeBuild's cache has no key: it restores the last saved copy
        and saves at the end (docs/targets.md, "Caches")."""
        runtimes = [r for r, _ in b.runtimes if r in LOCK_FILES] or list(LOCK_FILES)
        globs = list(dict.fromkeys(g for r in runtimes for g in LOCK_FILES[r] if not g.startswith("!")))
        globs += list(dict.fromkeys(g for r in runtimes for g in LOCK_FILES[r] if g.startswith("!")))
        files = ", ".join(f"'{g}'" for g in globs)
        path = "\n".join(expression_text(_cache_path(c)) for c in b.cache)
        restore = {"name": "Restore cache", "id": "cache", "uses": uses("actions/cache/restore"),
                   # no lock file at all: a key per run, saved after every run, as CodeBuild saves
                   "with": {"path": path,
                            "key": f"{jid}-${{{{ runner.os }}}}-${{{{ hashFiles({files}) || github.run_id }}}}",
                            "restore-keys": f"{jid}-${{{{ runner.os }}}}-"}}
        save = {"name": "Save cache", "if": "${{ steps.cache.outputs.cache-hit != 'true' }}",
                "uses": uses("actions/cache/save"),
                "with": {"path": path, "key": "${{ steps.cache.outputs.cache-primary-key }}"}}
        return restore, save

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




def secret_reference(ref: str) -> tuple[str, str | None, str | None, str | None]:
    """A Secrets Manager reference as CodeBuild reads it, ``secret-id:json-key:version-stage:
    version-id`` (the id may be an ARN, itself 7 colon-separated fields): (id, key, stage, version),
    empty parts None."""
    parts = ref.split(":")
    head = 7 if ref.startswith("arn:") else 1
    rest = parts[head:] + [""] * 3
    return ":".join(parts[:head]), rest[0] or None, rest[1] or None, rest[2] or None


def _cache_path(path: str) -> str:
    """A CodeBuild cache path for actions/cache: ``dir/**/*`` (everything below) is ``dir``."""
    return path[:-5] if path.endswith("/**/*") else path


def _under(base: str | None, path: str) -> str:
    return f"{base.rstrip('/')}/{path}" if base else path
