"""``uses`` steps: the table of actions pipec translates (actions/checkout, the setup actions of
:data:`pipec.targets.github.read.SETUP_ACTIONS`, actions/cache, upload-artifact and
download-artifact, aws-actions/configure-aws-credentials); any other action is a finding.
``run`` steps are :mod:`.commands`.
"""

from __future__ import annotations


import re
import shlex

from pipec import importer
from pipec.targets.github.imports import shells
from pipec.targets.github.imports.grants import report_checkout_credentials
from pipec.importer import q, v
from pipec.targets.github.imports.common import _Action, _scalar, _Skip


_KNOWN_ACTIONS = {"actions/checkout", "actions/cache", "actions/cache/restore", "actions/cache/save",
                  "actions/upload-artifact", "actions/download-artifact", "aws-actions/configure-aws-credentials",
                  "actions/setup-node", "actions/setup-python", "actions/setup-java", "actions/setup-go",
                  "actions/setup-dotnet", "ruby/setup-ruby", "shivammathur/setup-php",
                  "aws-actions/aws-codebuild-run-build", "aws-actions/setup-sam", "aws-actions/amazon-ecr-login",
                  "docker/login-action", "swatinem/rust-cache"}
#: actions whose mapping keeps the step's own timeout-minutes (:mod:`.third_party`)
_OWN_TIMEOUT = {"aws-actions/aws-codebuild-run-build"}
_CHECKOUT_IGNORED = {"token", "ssh-key", "persist-credentials", "clean", "show-progress", "set-safe-directory",
                     "fetch-depth", "github-server-url"}
_SETUP_IGNORED = {"cache", "cache-dependency-path", "check-latest", "token", "allow-prereleases",
                  "update-environment"}
_UPLOAD_IGNORED = {"name", "path", "retention-days", "compression-level", "if-no-files-found", "overwrite",
                   "include-hidden-files"}


def _as_list(value):
    """A GitHub "string or list" value as a list (multi-line strings split into lines)."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [x.strip() for x in value.splitlines() if x.strip()]
    if value is None:
        return []
    return [value]


def _setup_default(action: str, uses: str, with_) -> str | None:
    """The version a setup action without a version input sets up, from its action.yml at the
    major version the step names (read in actions/setup-python and actions/setup-node at their
    tags): setup-python v1 to v3 default to '3.x' (v4 on read .python-version, a file pipec does
    not read); setup-node v1 defaults to '10.x', and from v2 on, without node-version or
    node-version-file, "the version/architecture of Node will not be changed" (its main.ts): the
    runner's Node, which is the image's here (""). None: not known."""
    m = re.fullmatch(r"v(\d+)(\.\d+)*", uses.split("@", 1)[1].strip()) if "@" in uses else None
    if m is None:
        return None   # a commit or a branch: which action.yml is not known
    major = int(m.group(1))
    if action == "actions/setup-python" and major <= 3 and "python-version-file" not in with_:
        return "3.x"
    if action == "actions/setup-node" and major == 1:
        return "10.x"
    if action == "actions/setup-node" and major >= 2 and "node-version-file" not in with_:
        return ""
    return None


def setup_version(runtime: str, text: str | None) -> str | None:
    """The ``runtime`` version a setup action's version input ``text`` sets up, as a ``.pipe``
    writes it (``12.x`` and ``v12`` are ``12``, Java's is ``corretto17``), or None when ``text`` is
    not one version number (a range, an expression, several lines)."""
    if not text or "${{" in text or "\n" in text.strip() or not re.fullmatch(r"v?[0-9]+(\.[0-9x]+)*", text):
        return None
    text = text.lstrip("v")
    while text.endswith(".x"):
        text = text[:-2]
    return "corretto" + text if runtime == "java" else text


def _lca(paths: list[str]) -> str:
    parts = [p.split("/") for p in paths]
    out = []
    for group in zip(*parts):
        if all(g == group[0] for g in group):
            out.append(group[0])
        else:
            break
    return "/".join(out)


class Actions:
    """The actions pipec translates, one method each."""

    def uses(self, a: _Action, step, steps, i, when="normal"):
        uses = step["uses"]
        action = uses.split("@", 1)[0].strip()
        lower = action.lower()
        with_ = step.get("with") or {}
        if not isinstance(with_, dict):
            raise _Skip("workflow: action inputs", f"the inputs of {uses} are not a mapping")
        for k in step:
            if k not in ("uses", "name", "id", "if", "with", "env", "continue-on-error", "timeout-minutes"):
                raise _Skip("workflow: step setting", f"step setting '{k}' has no .pipe equivalent")
        if when == "always" and lower not in ("actions/upload-artifact", "actions/cache", "actions/cache/save"):
            raise _Skip("workflow: always() step", f"{uses} runs after failures too")
        if "timeout-minutes" in step and lower not in _OWN_TIMEOUT:
            self.ctx.skip(a.phase, "workflow: step timeout", f"step {i + 1} has its own timeout; only the action's "
                          "timeout applies", steps, i)
        if lower.startswith("docker://"):
            raise _Skip("workflow: docker action", f"{uses} runs a container image as a step")
        if lower.startswith("./") or lower.startswith("."):
            raise _Skip("workflow: local action", f"{uses} is an action of the repository itself")
        from pipec.targets.github.read import SETUP_ACTIONS

        if lower == "actions/checkout":
            self.checkout(a, step, with_)
        elif lower in SETUP_ACTIONS:
            self.setup(a, step, with_, lower, SETUP_ACTIONS[lower])
        elif lower in ("actions/cache", "actions/cache/restore", "actions/cache/save"):
            self.cache(a, step, with_, steps, i)
        elif lower == "actions/upload-artifact":
            self.upload(a, step, with_, steps, i)
        elif lower == "actions/download-artifact":
            self.download(a, step, with_)
        elif lower == "aws-actions/configure-aws-credentials":
            self.aws_credentials(a, step, with_)
        elif not self.third_party(a, step, with_, lower):   # :mod:`.third_party`
            raise _Skip("workflow: third-party action", f"{uses} is an action pipec does not translate "
                        "(its commands must be written out)")
        tolerant = shells.continue_on_error(step)
        if tolerant is None or tolerant and lower != "actions-rs/cargo":  # cargo: its command '|| true'
            self.ctx.skip(a.phase, "workflow: continue-on-error", f"step {i + 1} ({uses}) may fail without failing "
                          "the job on GitHub; what it becomes here keeps no such exception", step, "continue-on-error")

    def checkout(self, a: _Action, step, with_):
        ctx = self.ctx
        repo = with_.get("repository")
        if repo is not None and repo not in ("${{ github.repository }}", self.repo):
            raise _Skip("workflow: checkout of another repository", f"checkout of {repo!r}: a second source "
                        "would start CodePipeline on its pushes too (E408); check it out in a command")
        if "path" in with_ and _scalar(with_["path"]) not in ("", ".", "./"):
            raise _Skip("workflow: checkout path", f"checkout into {with_['path']!r}: CodeBuild puts the source "
                        "in the working directory")
        a.checkout = True
        for k, val in with_.items():
            if k == "persist-credentials":
                report_checkout_credentials(ctx, a.phase, with_, k)
                continue
            if k in _CHECKOUT_IGNORED or k == "repository" or k == "path":
                if k == "fetch-depth" and val in (0, "0"):
                    self.clone_full = True
                continue
            if k == "ref":
                ctx.skip(a.phase, "workflow: checkout ref", f"checkout of ref {val!r}: the build uses the commit "
                         "of the run", with_, k)
            elif k == "submodules" and val in (False, "false"):
                continue
            elif k == "lfs" and val in (False, "false"):
                continue
            elif k == "fetch-tags" and val in (False, "false"):
                continue
            else:
                ctx.skip(a.phase, "workflow: checkout option", f"checkout option {k}: {val!r} has no .pipe "
                         "equivalent", with_, k)

    def setup(self, a: _Action, step, with_, action, spec):
        ctx = self.ctx
        runtime, key = spec
        version = with_.get(key)
        for k in with_:
            if k != key and k not in _SETUP_IGNORED and not (runtime == "java" and k == "distribution"):
                ctx.skip(a.phase, "workflow: setup action input", f"{action} input '{k}' has no .pipe equivalent",
                         with_, k)
        if version is None:
            default = _setup_default(action, step["uses"], with_)
            if default == "":
                return  # the runner's own version, unchanged: the image's, here
            if default is None:
                raise _Skip("workflow: runtime version", f"{action} without '{key}' (a version file or the default "
                            "version) gives no runtime version")
            version = default
        text = _scalar(version) if not isinstance(version, (dict, list)) else None
        axis = re.fullmatch(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", (text or "").strip())
        if axis and axis.group(1) in (getattr(self, "matrix_axes", None) or ()):
            a.runtimes[runtime] = f"${axis.group(1)}"  # the version of each cell (.matrices.faithful)
            return
        if text and "${{" in text:
            text = self.literal(a, step, text) or text   # ${{ env.X }} of a literal job env
        text = setup_version(runtime, text)
        if text is None:
            raise _Skip("workflow: runtime version", f"{action} version {version!r} is not one version number")
        if runtime == "java":
            dist = with_.get("distribution")
            if dist != "corretto":
                ctx.skip(a.phase, "workflow: Java distribution", f"Java distribution {dist!r}: CodeBuild's Java "
                         "runtimes are Amazon Corretto", with_, "distribution" if "distribution" in with_ else key)
        if runtime in a.runtimes and a.runtimes[runtime] != text:
            raise _Skip("workflow: runtime version", f"a second {runtime} version ({text}); one per action")
        a.runtimes[runtime] = text

    def cache(self, a: _Action, step, with_, steps, i):
        ctx = self.ctx
        # ${{ github.workspace }}/X and ${{ env.X }} of a literal env are known at import (Commands.literal)
        paths = [self.literal(a, step, p, path=True) or p if isinstance(p, str) and "${{" in p else p
                 for p in _as_list(with_.get("path"))]
        if not paths or not all(isinstance(p, str) and p and "${{" not in p and not p.startswith("!")
                                for p in paths):
            raise _Skip("workflow: cache path", "the cache paths are missing, computed, or exclude paths")
        key = with_.get("key")
        if not (isinstance(key, str) and "hashFiles(" in key):
            ctx.skip(a.phase, "workflow: cache key", f"cache key {key!r}: pipec restores the latest cache of these "
                     "paths, GitHub only a cache whose key (or restore-keys prefix) matches", steps, i)
        for k in with_:
            if k not in ("path", "key", "restore-keys", "enableCrossOsArchive", "upload-chunk-size"):
                ctx.skip(a.phase, "workflow: cache option", f"cache option '{k}' has no .pipe equivalent", with_, k)
        for p in paths:
            if p not in a.cache:
                a.cache.append(p)

    def upload(self, a: _Action, step, with_, steps, i):
        ctx = self.ctx
        # an action reads its inputs trimmed (@actions/core getInput, trimWhitespace defaults to
        # true): a folded 'name: >' ends in a line break that is not part of the name
        gh_name = (_scalar(with_.get("name", "artifact")) or "").strip()
        if not gh_name or "${{" in gh_name:
            raise _Skip("workflow: artifact name", f"artifact name {with_.get('name')!r} is computed by GitHub")
        paths = [self.literal(a, step, p, path=True) or p if isinstance(p, str) and "${{" in p else p
                 for p in _as_list(with_.get("path"))]
        if not paths or not all(isinstance(p, str) and p and "${{" not in p for p in paths):
            raise _Skip("workflow: artifact path", "the artifact's paths are missing or computed")
        if any(p.startswith("!") for p in paths):
            raise _Skip("workflow: artifact path", "the artifact excludes paths ('!'), which .pipe artifacts "
                        "cannot")
        if any(p.startswith(("/", "~")) or ".." in p.split("/") for p in paths):
            raise _Skip("workflow: artifact path", "the artifact takes files outside the workspace")
        for k in with_:
            if k not in _UPLOAD_IGNORED:
                ctx.skip(a.phase, "workflow: artifact option", f"upload-artifact option '{k}' has no .pipe "
                         "equivalent", with_, k)
        clean = [p[2:] if p.startswith("./") else p for p in paths]
        clean = [p.rstrip("/") or "." for p in clean]
        # GitHub keeps the layout below the least common ancestor of the search paths
        roots = []
        for p in clean:
            segs = p.split("/")
            lit = []
            for s in segs:
                if set(s) & set("*?[]{}"):
                    break
                lit.append(s)
            roots.append("/".join(lit) if len(lit) < len(segs) else p)
        wild = [len(r) < len(p) for r, p in zip(roots, clean)]
        dirs_of = [r if w else r for r, w in zip(roots, wild)]
        base = _lca([d for d in dirs_of]) if len(dirs_of) > 1 else None
        files = []
        if len(clean) == 1:
            p = clean[0]
            if wild[0]:
                base = roots[0]
                files = [p[len(base) + 1:] if base else p]
            else:
                # a directory (its files, below it) or one file (at the root): both are the path itself
                # taken from its parent, unless it is a directory: then everything below it
                base = p
                files = ["**/*"]
                a.phase.comment(f"artifact {gh_name}: if {p} is a single file rather than a directory, write "
                                f"files {q(p.rsplit('/', 1)[-1])} base {q(p.rsplit('/', 1)[0]) if '/' in p else '.'}")
                ctx.skip(a.phase, "workflow: artifact file or directory", f"upload of {p!r}: taken as a directory "
                         "(GitHub uploads a file or a directory's contents alike)", steps, i)
        else:
            for p, w in zip(clean, wild):
                rel = p[len(base) + 1:] if base else p
                files.append(rel if w else f"{rel}/**/*")
            ctx.skip(a.phase, "workflow: artifact file or directory", "upload of several paths: each path without "
                     "a wildcard is taken as a directory", steps, i)
        # '_' and never '-' (unique() suffixes '-2'): $CODEBUILD_SRC_DIR_<name> must be a shell variable
        stem = importer.name(gh_name, "artifact").replace("-", "_")
        name, n = stem, 2
        while name.lower() in self.taken:
            name = f"{stem[:60]}_{n}"
            n += 1
        self.taken.add(name.lower())
        if gh_name in self.produced or gh_name in [x for x, _ in a.uploads]:
            ctx.skip(a.phase, "workflow: artifact name reused", f"artifact {gh_name!r} is uploaded more than once; "
                     f"this upload is {name}", steps, i)
        a.uploads.append((gh_name, name))
        words = ["artifact", name, "files"] + [v(f) for f in files]
        if base not in (None, "", "."):
            words += ["base", v(base)]
        a.artifact_names.append(name)
        a.artifact_docs.append(("stmt", " ".join(words)))

    def download(self, a: _Action, step, with_):
        for k in with_:
            if k not in ("name", "path"):
                raise _Skip("workflow: artifact download option", f"download-artifact option '{k}' (other runs, "
                            "patterns, merging) has no .pipe equivalent")
        path = _scalar(with_.get("path", "."))
        if path is None or "${{" in path:
            raise _Skip("workflow: artifact path", "the download path is computed by GitHub")
        name = with_.get("name")
        available = {}
        for k in self.upstream:
            available.update(self.job_artifacts.get(k, {}))
        if name is None:
            if not available:
                raise _Skip("workflow: artifact from elsewhere", "the step downloads every artifact of the run, "
                            "and no job it needs uploads one")
            targets = [(n, f"{path.rstrip('/')}/{gh}" if path not in ("", ".") else gh)
                       for gh, n in sorted(available.items())]
        else:
            gh = (_scalar(name) or "").strip()  # trimmed, as the action reads it
            if gh not in available:
                raise _Skip("workflow: artifact from elsewhere", f"artifact {gh!r} is not uploaded by a job this "
                            "job needs")
            targets = [(available[gh], path)]
        for n, dest in targets:
            if not a.inputs_pending and not a.will_checkout and dest in ("", ".", "./"):
                a.inputs_pending.append((n, None))
                continue
            if n not in [x for x, _ in a.inputs_pending]:
                a.inputs_pending.append((n, dest))
            d = dest or "."
            a.phase.stmt("run", q(f'mkdir -p {shlex.quote(d)} && cp -R "$CODEBUILD_SRC_DIR_{n}/." {shlex.quote(d)}'))

    def aws_credentials(self, a, step, with_):
        ctx = self.ctx
        self.credentials_place(a, with_)  # the account and Region (:mod:`.places`)
        role = with_.get("role-to-assume")
        if role is not None:
            ctx.task("resource", f"pipec creates the AWS roles of its actions: give them the rights of the role "
                                 f"{role} that the workflow assumed")
        elif "aws-access-key-id" in with_:
            ctx.task("resource", "pipec creates the AWS roles of its actions: give them the rights of the access "
                                 "key the workflow used, and retire the key")
        region = with_.get("aws-region")
        if isinstance(region, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]", region):
            self.regions.add(region)
        elif region is not None:  # an expression: reported by credentials_place
            self.region_unknown = True
