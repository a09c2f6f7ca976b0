"""One GitLab job as ``build``/``test`` actions: ``parallel`` (a number or a matrix) expanded into
one action per instance; ``before_script`` and ``script`` as the build phase's commands (one
shell, as GitLab's runner runs them), ``after_script`` as its ``finally`` commands; ``image``;
``variables`` (literal values as ``env``, values that refer to other variables as an ``export`` the
shell expands, as GitLab does); variables the job reads but the file never sets (CI/CD settings,
masked or not) as secrets with a task; GitLab's predefined variables pipec can give; ``timeout``;
``artifacts`` (paths, ``name``, JUnit and Cobertura reports); ``cache``; ``environment``; and the
keys that do not map as findings.
"""

from __future__ import annotations

import itertools
import re
import shlex

from pipec import importer
from pipec.importer import Doc, q, v
from pipec.targets.gitlab.imports.common import Action, scalar

KNOWN = {"script", "before_script", "after_script", "image", "services", "variables", "stage", "needs",
         "dependencies", "rules", "only", "except", "when", "allow_failure", "artifacts", "cache", "environment",
         "parallel", "timeout", "retry", "interruptible", "tags", "resource_group", "coverage", "extends",
         "inherit", "trigger", "secrets", "id_tokens", "hooks", "release", "pages", "start_in",
         "manual_confirmation", "dast_configuration", "identity", "run"}
#: keys that are findings when set: key -> (construct, why)
FINDINGS = {
    "services": ("gitlab: services", "service containers (databases and the like beside the job) have no CodeBuild "
                 "equivalent; a Docker-in-Docker service becomes 'privileged' (CodeBuild's own Docker daemon)"),
    "retry": ("gitlab: retry", "GitLab retries the job when it fails; pipec actions run once"),
    "allow_failure": ("gitlab: allow_failure", "a failure of this job does not stop the pipeline on GitLab; here "
                      "it stops the run"),
    "tags": ("gitlab: runner tags", "runner tags choose a GitLab runner; here the job runs on the action's image"),
    "resource_group": ("gitlab: resource_group", "GitLab runs one job of the resource group at a time across "
                       "pipelines; pipec's 'mode' applies to whole runs"),
    "coverage": ("gitlab: coverage", "the coverage regular expression reads the log on GitLab; publish a coverage "
                 "report instead"),
    "id_tokens": ("gitlab: id_tokens", "OIDC tokens for other services: pipec gives each action an AWS role instead"),
    "hooks": ("gitlab: hooks", "runner hooks have no .pipe equivalent"),
    "release": ("gitlab: release", "GitLab creates a release; add a command that does (for example with gh)"),
    "pages": ("gitlab: pages", "GitLab publishes the job's public/ folder as GitLab Pages"),
    "start_in": ("gitlab: delayed job", "GitLab starts the job after a delay"),
    "dast_configuration": ("gitlab: unknown key", "DAST configuration has no .pipe equivalent"),
    "identity": ("gitlab: id_tokens", "GitLab's identity federation has no .pipe equivalent"),
    "run": ("gitlab: unknown key", "CI/CD steps ('run') have no .pipe equivalent"),
    "manual_confirmation": ("gitlab: manual job", "the confirmation message of a manual job is read as its "
                            "approval's message"),
}
_TESTISH = re.compile(r"test|lint|check", re.I)
_TIMEOUT = re.compile(r"(\d+)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)\b", re.I)
_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)([:}\-=?+#%/]?)|([A-Za-z_][A-Za-z0-9_]*))")
_ASSIGNED = re.compile(r"(?:^|[\s;&|(])(?:export\s+|local\s+|declare\s+(?:-\w+\s+)*|readonly\s+)?"
                       r"([A-Za-z_][A-Za-z0-9_]*)\+?=|(?:for|read(?:\s+-\w+)*|export|local|unset)\s+([A-Za-z_][A-Za-z0-9_]*)")
#: GitLab's predefined variables pipec can give, as the shell text of their value
PREDEFINED = {"CI_PROJECT_DIR": '"$CODEBUILD_SRC_DIR"', "CI_COMMIT_SHA": '"$CODEBUILD_RESOLVED_SOURCE_VERSION"',
              "CI_COMMIT_SHORT_SHA": '"${CODEBUILD_RESOLVED_SOURCE_VERSION:0:8}"', "CI": "true"}
#: set by the shell or by common build images, never by CI/CD settings
ENVIRONMENT = {"HOME", "PATH", "PWD", "OLDPWD", "USER", "SHELL", "HOSTNAME", "IFS", "RANDOM", "SECONDS", "LINENO",
               "UID", "EUID", "PPID", "TERM", "LANG", "LC_ALL", "TMPDIR", "BASH_SOURCE", "BASHPID", "OSTYPE",
               "FUNCNAME", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "HOSTTYPE", "JAVA_HOME", "GOPATH", "GOROOT",
               "GOBIN", "ANDROID_HOME", "ANDROID_SDK_ROOT", "VIRTUAL_ENV", "DOCKER_HOST", "DOCKER_TLS_CERTDIR",
               "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "DOCKER_DRIVER", "MAVEN_HOME", "GRADLE_HOME", "CARGO_HOME",
               "RUSTUP_HOME", "NODE_VERSION", "PYTHON_VERSION", "AWS_REGION", "AWS_DEFAULT_REGION", "MAKEFLAGS",
               "CC", "CXX", "CFLAGS", "CXXFLAGS", "LDFLAGS", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "DEBIAN_FRONTEND"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_INSTANCES = 50      # CodePipeline's actions per stage
AWS_KEYS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}


def github_secret(name: str) -> str:
    """The GitHub secret for variable ``name``: GitHub refuses secret names that start with
    ``GITHUB_``, so those get a ``GL_`` in front."""
    return f"GL_{name}" if name.upper().startswith("GITHUB_") else name


class Jobs:
    """Jobs of the file being imported, as actions."""

    def instances(self, key: str, job) -> list[dict]:
        """The variables of each instance of a ``parallel`` job ([{}] for a plain job)."""
        ctx = self.ctx
        par = job.get("parallel")
        if par is None:
            return [{}]
        if isinstance(par, int) and not isinstance(par, bool) and 1 <= par <= 200:
            combos = [{"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(par)} for i in range(1, par + 1)]
        elif isinstance(par, dict) and isinstance(par.get("matrix"), list):
            combos = []
            for entry in par["matrix"]:
                if not isinstance(entry, dict):
                    continue
                names = [str(k) for k in entry]
                values = [[scalar(x) for x in (entry[k] if isinstance(entry[k], list) else [entry[k]])] for k in entry]
                if any(x is None for vals in values for x in vals):
                    ctx.skip(self.notes, "gitlab: parallel matrix", f"a matrix value of job '{key}' is not a plain "
                             "value; that entry is left out", par, "matrix")
                    continue
                combos += [dict(zip(names, c)) for c in itertools.product(*values)]
            if not combos:
                return [{}]
        else:
            ctx.skip(self.notes, "gitlab: parallel matrix", f"'parallel' of job '{key}' is neither a number nor a "
                     "matrix; the job runs once", job, "parallel")
            return [{}]
        if len(combos) > MAX_INSTANCES:
            ctx.skip(self.notes, "gitlab: parallel matrix", f"job '{key}' has {len(combos)} instances; the first "
                     f"{MAX_INSTANCES} are imported (CodePipeline's actions per stage)", job, "parallel")
            combos = combos[:MAX_INSTANCES]
        return combos

    def matrix_of(self, job) -> tuple[list[str], list[str]] | None:
        """(lines of a ``matrix { }`` block, the axes) for a ``parallel: matrix`` job that one
        .pipe matrix means the same as, or None (the job is expanded into instances): every entry
        names the same shell variables with plain values; the cells (each entry's product, in
        order) are distinct, at most 256, and the ones the axes' product lacks at most 50 (they
        become excludes); the job keeps no artifact files or cache (E315), names no image with a
        variable, and its scripts do not read CI_NODE_INDEX or CI_NODE_TOTAL. A failed instance
        does not cancel the others on GitLab: fail_fast off."""
        par = job.get("parallel")
        if not (isinstance(par, dict) and set(par) == {"matrix"} and isinstance(par["matrix"], list) and par["matrix"]):
            return None
        arts = job.get("artifacts")
        if job.get("cache") is not None or (arts is not None and not (isinstance(arts, dict) and set(arts) <= {"reports"})):
            return None
        img = job.get("image")
        name = img.get("name") if isinstance(img, dict) else img
        if isinstance(name, str) and "$" in name:
            return None
        if "CI_NODE_" in str(job.get("script")) + str(job.get("before_script")) + str(job.get("after_script")):
            return None
        axes: dict[str, list[str]] = {}
        cells: list[tuple] = []
        for entry in par["matrix"]:
            if not isinstance(entry, dict) or not entry:
                return None
            names = [str(k) for k in entry]
            if (axes and names != list(axes)) or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names):
                return None
            values = [[scalar(x) for x in (entry[k] if isinstance(entry[k], list) else [entry[k]])] for k in entry]
            if any(x is None or x == "" for vals in values for x in vals):
                return None
            for n, vals in zip(names, values):
                for x in vals:
                    if x not in axes.setdefault(n, []):
                        axes[n].append(x)
            cells += list(itertools.product(*values))
        product = list(itertools.product(*axes.values()))
        missing = [c for c in product if c not in cells]
        if len(set(cells)) != len(cells) or len(cells) > 256 or len(missing) > 50:
            return None
        lines = [" ".join(["axis", n, *(v(x) for x in vals)]) for n, vals in axes.items()]
        lines += [" ".join(["exclude", *(f"{n}={v(x)}" for n, x in zip(axes, c))]) for c in missing]
        lines.append("fail_fast off")
        return lines, list(axes)

    def action(self, key: str, job, combo: dict, stage: str) -> Action:
        ctx = self.ctx
        shown = [x for k, x in combo.items() if x and k != "CI_NODE_TOTAL"]
        base = "-".join([key] + shown)
        a = Action(key, importer.unique(importer.name(base, "job"), self.taken), "test" if _TESTISH.search(key)
                   else "build")
        notes = a.notes
        for k in job:
            if k not in KNOWN:
                ctx.skip(notes, "gitlab: unknown key", f"job key '{k}' is not a GitLab keyword pipec knows", job, k)
            elif k in FINDINGS and not (k == "allow_failure" and job[k] is False):
                construct, why = FINDINGS[k]
                ctx.skip(notes, construct, why, job, k)
        self.timeout(a, job)
        self.env(a, key, job, combo)
        self.image(a, job)
        scripts = {k: self.script(a, job, k) for k in ("before_script", "script", "after_script")}
        first = getattr(self, "not_bash", {}).get(key)   # pipeline.read_jobs: one bash -n per file
        if first is not None:
            # the runner's shell is the runner's setting, not the file's: a script bash cannot read
            # (PowerShell on a Windows runner, say) means the job's commands are for another shell
            # altogether, so none of them is written (a .pipe runs its commands in bash)
            ctx.skip(notes, "gitlab: script not bash", f"bash cannot read the command {first.splitlines()[0][:60]!r} of "
                     f"job '{key}': its runner runs another shell (PowerShell on Windows, say); the job's commands "
                     "are not converted and its one command fails until you write them for bash", job,
                     "script" if "script" in job else None)
            scripts = {k: [] for k in scripts}
            a.placeholder = True
        body = scripts["before_script"] + scripts["script"]
        a.scripts_mapped = len(body) + len(scripts["after_script"])
        used = self.reads(body + scripts["after_script"] + a.commands + list(a.env.values()))
        self.predefined(a, job, used, key, stage)
        self.settings_variables(a, job, used, body + scripts["after_script"])
        a.commands += body
        a.final = scripts["after_script"]
        if scripts["after_script"]:
            ctx.skip(notes, "gitlab: after_script", "after_script runs in a new shell on GitLab and its failure does "
                     "not fail the job; here its commands are the build's finally commands, in the build's shell",
                     job, "after_script")
        if any(len([x for x in c.splitlines() if x.strip()]) > 1 and not c.rstrip().endswith("\\") for c in body):
            ctx.skip(notes, "gitlab: multi-line command", "the runner stops at the first failing line of a multi-line "
                     "command; in a .pipe phase a multi-line script is one command, decided by its last line",
                     job, "script")
        svc = job.get("services")
        names = [x.get("name") if isinstance(x, dict) else x for x in (svc if isinstance(svc, list) else [svc])]
        if any(isinstance(n, str) and "dind" in n for n in names):
            a.privileged = True   # Docker-in-Docker: CodeBuild runs a Docker daemon in privileged mode
        self.artifacts(a, job)
        self.cache(a, job)
        self.secrets_key(a, job)
        return a

    # ------------------------------------------------------------------ settings
    def image(self, a: Action, job):
        img = job.get("image")
        name = img.get("name") if isinstance(img, dict) else img
        if img is None:
            return
        if isinstance(name, str) and "$" in name:
            # the job's own literal variables (and its matrix values), as GitLab expands them
            name = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                          lambda m: a.env.get(m.group(1), m.group(0)) if "$" not in a.env.get(m.group(1), "$")
                          else m.group(0), name)
        if not isinstance(name, str) or not name or "$" in name:
            self.ctx.skip(a.notes, "gitlab: image", f"the image {scalar(name) if not isinstance(name, (dict, list)) else name!r}"
                          " is not a plain image name; the action uses the default image", job, "image")
            return
        a.image = f"image docker {q(name)}"
        if isinstance(img, dict):
            for k in img:
                if k not in ("name",):
                    self.ctx.skip(a.notes, "gitlab: image option", f"image setting '{k}' has no .pipe equivalent",
                                  img, k)

    def timeout(self, a: Action, job):
        t = job.get("timeout")
        if t is None:
            return
        text = scalar(t) or ""
        parts = _TIMEOUT.findall(text)
        if not parts or _TIMEOUT.sub("", text).strip(" ,and"):
            self.ctx.skip(a.notes, "gitlab: timeout", f"timeout {text!r} is not a duration pipec reads; the default "
                          "(60m) applies", job, "timeout")
            return
        unit = {"d": 1440, "h": 60, "m": 1, "s": 1 / 60}
        minutes = sum(int(n) * unit[u[0].lower()] for n, u in parts)
        whole = int(-(-minutes // 1))
        if whole < 5 or whole > 2160:
            self.ctx.skip(a.notes, "gitlab: timeout", f"timeout {text!r} is outside CodeBuild's 5 to 2160 minutes; "
                          "the nearest is used", job, "timeout")
        a.timeout = f"{min(max(whole, 5), 2160)}m"

    def env(self, a: Action, key: str, job, combo: dict):
        ctx = self.ctx
        inherit = job.get("inherit") if isinstance(job.get("inherit"), dict) else {}
        take = inherit.get("variables", True)
        values: dict = {}
        glob = self.config.get("variables") if isinstance(self.config.get("variables"), dict) else {}
        for name in glob:
            if (take is True or (isinstance(take, list) and name in take)) and name not in self.pipeline_variables:
                values[str(name)] = (glob, name)
        own = job.get("variables")
        if own is not None and not isinstance(own, dict):
            ctx.skip(a.notes, "gitlab: variables", f"the variables of job '{key}' are not a mapping", job, "variables")
        for name in own if isinstance(own, dict) else ():
            values[str(name)] = (own, name)
        exports = []
        for name, (where, k) in values.items():
            raw = where[k]
            expand = True
            if isinstance(raw, dict):
                expand = raw.get("expand", True) is not False
                raw = raw.get("value", "")
            text = scalar(raw)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or text is None or _CONTROL.search(text):
                ctx.skip(a.notes, "gitlab: variables", f"variable {name!r} is not a plain name and value", where, k)
                continue
            if expand and "$" in text and "$(" not in text and "`" not in text and "\n" not in text:
                # GitLab expands $VAR in values; the shell does the same with a double-quoted export
                exports.append(f'export {name}="' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
                a.exported.add(name)
            else:
                if expand and "$" in text:
                    ctx.skip(a.notes, "gitlab: variable expansion", f"variable {name} refers to other variables in a "
                             "way the shell would run differently; it is written literally", where, k)
                a.env[name] = text
        for name, value in combo.items():
            a.env.pop(name, None)
            a.env[name] = value
        a.commands += exports

    def reads(self, texts) -> set[str]:
        out = set()
        for t in texts:
            for m in _REF.finditer(t):
                name = m.group(1) or m.group(3)
                if m.group(2) in ("-", "=", "?", "+") or (m.group(2) == ":" and re.match(
                        r"[-=?+]", t[m.end():m.end() + 1])):
                    continue   # ${X:-default}, ${X-...}: the script copes without it
                out.add(name)
        return out

    def predefined(self, a: Action, job, used: set, key: str, stage: str):
        given = {"CI_JOB_NAME": shlex.quote(key),
                 "CI_JOB_STAGE": shlex.quote(stage), **PREDEFINED}
        mapped = sorted(n for n in used if n in given and n not in a.env and n not in a.exported)
        if mapped:
            a.commands.insert(0, "export " + " ".join(f"{n}={given[n]}" for n in mapped))
        other = sorted(n for n in used if (n.startswith(("CI_", "GITLAB_")) or n == "GITLAB_CI")
                       and n not in given and n not in a.env and n not in a.exported
                       and n not in self.pipeline_variables)
        if other:
            self.ctx.skip(a.notes, "gitlab: predefined variable", f"the job reads GitLab's predefined variables "
                          f"{', '.join(other)}, which neither CodeBuild nor GitHub Actions sets under these names",
                          job, "script" if "script" in job else None)

    def settings_variables(self, a: Action, job, used: set, commands: list[str]):
        """Variables the job reads that the file never sets: CI/CD settings of the project or group
        (masked or not), read here as secrets from SSM with a task to create each."""
        assigned = set()
        for c in commands:
            for m in _ASSIGNED.finditer(c):
                assigned.add(m.group(1) or m.group(2))
        keys = sorted(used & AWS_KEYS - set(a.env) - a.exported - assigned)
        if keys:
            self.ctx.skip(a.notes, "gitlab: AWS keys", f"the job reads AWS keys from the CI/CD settings ({', '.join(keys)});"
                          " pipec gives each action an AWS role instead, so they are not carried over", job, "script")
            self.ctx.task("resource", "pipec creates the AWS roles of its actions: give them the rights of the AWS keys "
                                      "the GitLab CI/CD settings held")
        for name in sorted(used - AWS_KEYS):
            if (not re.fullmatch(r"[A-Z][A-Z0-9_]*", name) or name in a.env or name in assigned or name in a.exported
                    or name in self.pipeline_variables or name in ENVIRONMENT or name in PREDEFINED
                    or name.startswith(("CI_", "GITLAB_", "CODEBUILD_", "CI_NODE_")) or name in ("CI", "GITLAB_CI")):
                continue
            if name not in a.secrets:
                a.secrets.append(name)
            self.ctx.task("secret", f"create the SSM parameter /{self.pipeline}/{name} (SecureString) and the GitHub "
                                    f"secret {github_secret(name)} with the value of the GitLab CI/CD variable {name}")

    def secrets_key(self, a: Action, job):
        sec = job.get("secrets")
        if not isinstance(sec, dict):
            return
        for name in sec:
            name = str(name)
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in a.env and name not in a.secrets:
                a.secrets.append(name)
                self.ctx.task("secret", f"create the SSM parameter /{self.pipeline}/{name} (SecureString) and the "
                                        f"GitHub secret {github_secret(name)} with the value of the external secret "
                                        f"{name}")
        self.ctx.skip(a.notes, "gitlab: external secrets", "GitLab reads these secrets from an external store (Vault, "
                      "a cloud secret manager); here each is a secret from SSM and GitHub (see the tasks); a "
                      "'file' secret becomes a value, not a file path", job, "secrets")

    # ------------------------------------------------------------------ scripts
    @staticmethod
    def script_items(job, key: str) -> list:
        """The items of a script as written (nested lists flattened), converted or not."""
        out: list = []

        def walk(x, depth):
            if isinstance(x, list) and depth < 10:
                for y in x:
                    walk(y, depth + 1)
            elif x is not None and not (isinstance(x, str) and not x.strip()):
                out.append(x)

        walk(job.get(key) if isinstance(job, dict) else None, 0)
        return out

    def script(self, a: Action, job, key: str) -> list[str]:
        raw = job.get(key)
        if raw is None:
            return []
        out: list[str] = []

        def walk(x, depth):
            if isinstance(x, list) and depth < 10:
                for y in x:
                    walk(y, depth + 1)
                return
            text = scalar(x)
            if text is None:
                self.ctx.skip(a.notes, "gitlab: script", f"an item of {key} of job '{a.key}' is not a command (a "
                              "mapping or list: "
                              "YAML reads 'word: value' as a key unless the line is quoted)", job, key)
            elif _CONTROL.search(text):
                self.ctx.skip(a.notes, "gitlab: control character", f"a command of {key} of job '{a.key}' holds a "
                              "control character "
                              "(an escape sequence written raw), which a .pipe file cannot; write it as $'\\e' "
                              "or printf '\\033'", job, key)
            elif text.strip():
                out.append(text.rstrip("\n"))

        walk(raw, 0)
        return out

    # ------------------------------------------------------------------ artifacts and cache
    def artifacts(self, a: Action, job):
        ctx = self.ctx
        art = job.get("artifacts")
        if art is None:
            return
        if not isinstance(art, dict):
            ctx.skip(a.notes, "gitlab: artifacts", "the artifacts are not a mapping", job, "artifacts")
            return
        for k in art:
            if k in ("paths", "name", "reports"):
                continue
            if k == "expire_in":
                ctx.skip(a.notes, "gitlab: artifact expiry", f"artifacts expire_in {scalar(art[k])!r}: pipec's "
                         "artifact store keeps artifacts by its own lifecycle rule (docs/targets.md)", art, k)
            elif k == "when" and scalar(art[k]) in ("on_success", None):
                continue
            else:
                ctx.skip(a.notes, "gitlab: artifact option", f"artifacts option '{k}' has no .pipe equivalent", art, k)
        paths = art.get("paths")
        files, guessed = [], False
        for p in paths if isinstance(paths, list) else ([paths] if isinstance(paths, str) else []):
            p = scalar(p) or ""
            p = p[2:] if p.startswith("./") else p
            if not p or "$" in p or p.startswith(("/", "~")) or ".." in p.split("/"):
                ctx.skip(a.notes, "gitlab: artifact path", f"artifact path {p!r} is computed or outside the "
                         "project folder", art, "paths")
                continue
            if p.endswith("/") or (not set(p) & set("*?[{") and "." not in p.rsplit("/", 1)[-1]):
                guessed |= not p.endswith("/")
                p = p.rstrip("/") + "/**/*" if p.rstrip("/") not in ("", ".") else "**/*"
            files.append(p)
        if guessed:
            ctx.skip(a.notes, "gitlab: artifact file or directory", "an artifact path without a file extension is "
                     "taken as a folder (everything below it)", art, "paths")
        if files:
            label = scalar(art.get("name")) if "name" in art else None
            if label and "$" in label:
                ctx.skip(a.notes, "gitlab: artifact name", f"the artifact name {label!r} is computed; the artifact "
                         "is named after the job", art, "name")
                label = None
            stem = importer.name(label or f"{a.name}_files", "artifact").replace("-", "_")
            name, n = stem, 2
            while name.lower() in self.taken:
                name = f"{stem[:60]}_{n}"
                n += 1
            self.taken.add(name.lower())
            a.artifact = name
            a.artifact_line = " ".join(["artifact", name, "files"] + [v(f) for f in files])
        reports = art.get("reports")
        if isinstance(reports, dict):
            for k, val in reports.items():
                if k == "junit":
                    fmt, where = "junit", val
                elif k == "coverage_report" and isinstance(val, dict) and val.get("coverage_format") in (
                        "cobertura", "jacoco"):
                    fmt, where = val["coverage_format"], val.get("path")
                else:
                    ctx.skip(a.notes, "gitlab: artifact report", f"report '{k}' is read by GitLab's merge request "
                             "widgets; it has no .pipe equivalent", reports, k)
                    continue
                pats = [scalar(x) for x in (where if isinstance(where, list) else [where])]
                if not pats or any(not x or "$" in x for x in pats):
                    ctx.skip(a.notes, "gitlab: artifact report", f"the files of report '{k}' are computed", reports, k)
                    continue
                rname = importer.name(k.replace("_report", ""), "report")
                a.reports.append(" ".join(["report", rname, fmt, "files"] + [v(x) for x in pats]))

    def cache(self, a: Action, job):
        ctx = self.ctx
        raw = job.get("cache")
        if raw is None:
            return
        for c in raw if isinstance(raw, list) else [raw]:
            if not isinstance(c, dict):
                ctx.skip(a.notes, "gitlab: cache", "a cache is not a mapping", job, "cache")
                continue
            for k in c:
                if k in ("paths", "key", "fallback_keys", "unprotect"):
                    continue
                if k == "policy" and scalar(c[k]) in ("pull-push", None):
                    continue
                ctx.skip(a.notes, "gitlab: cache option", f"cache option '{k}' has no .pipe equivalent (pipec "
                         "restores and saves every cache)", c, k)
            paths = c.get("paths")
            for p in paths if isinstance(paths, list) else ([paths] if isinstance(paths, str) else []):
                p = scalar(p) or ""
                p = p[2:] if p.startswith("./") else p
                if not p or "$" in p:
                    ctx.skip(a.notes, "gitlab: cache", f"cache path {p!r} is computed", c, "paths")
                elif p not in a.cache:
                    a.cache.append(p.rstrip("/") or ".")

    # ------------------------------------------------------------------ writing
    def emit(self, parent: Doc, a: Action):
        d = parent.block(f"{a.kind} {a.name}")
        d.items.extend(a.notes.items)
        d.stmt(a.image or "image ubuntu")
        if a.privileged:
            d.stmt("privileged")
        if a.timeout:
            d.stmt("timeout", a.timeout)
        if a.matrix:
            m = d.block("matrix")
            for line in a.matrix:
                m.stmt(line)
        for name, value in a.env.items():
            d.stmt("env", name, "=", v(value))
        for name in a.secrets:
            d.stmt("secret", name, "from", "ssm", q(f"/{self.pipeline}/{name}"))
        if a.inputs:
            d.stmt("from", *a.inputs)
        ph = d.block("build")
        for c in a.commands:
            ph.stmt("run", q(c))
        for c in a.final:
            ph.stmt("finally", q(c))
        if a.artifact_line:
            d.stmt(a.artifact_line)
        for r in a.reports:
            d.stmt(r)
        if a.cache:
            d.stmt("cache", *[v(c) for c in a.cache])
        if a.github or a.secrets:
            g = d.block("github")
            for line in a.github:
                g.stmt(line)
            for name in a.secrets:
                g.stmt("secret", name, "from", "github", v(github_secret(name)))
