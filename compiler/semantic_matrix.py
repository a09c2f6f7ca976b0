"""Matrices, operating systems and architectures of build and test actions.

``matrix { axis ... include ... exclude ... fail_fast ... max_parallel ... }`` becomes a
:class:`pipec.model.Matrix` (E314 for what does not make a set of cells, E315 for what the cells
could not give the actions after them alike on both platforms); ``os`` and ``arch`` become the
build's platform, and what a platform lacks for it is refused (E316). docs/language.md,
"Matrices, operating systems and architectures", says what each rule is for.
"""

from __future__ import annotations

import re

from pipec import ast, model
from pipec.diagnostics import did_you_mean
from pipec.lazy_regex import lazy
from pipec.semantic_base import Checker

#: GitHub Actions runs at most 256 jobs for one matrix ("A matrix will generate a maximum of 256
#: jobs per workflow run", Workflow syntax, jobs.<job_id>.strategy.matrix)
MAX_CELLS = 256
#: a runtime version that names a matrix axis: ``$NAME`` or ``${NAME}`` (CodeBuild reads an
#: environment variable there: "ruby: "$MY_RUBY_VAR"", build-spec-ref, runtime-versions)
AXIS_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_VAR = lazy(r"[A-Za-z_][A-Za-z0-9_]*")


def axis_reference(text: str) -> str | None:
    """The axis a whole value names (``$PYTHON``, ``${PYTHON}``), else None."""
    m = AXIS_REFERENCE.fullmatch(text)
    return (m.group(1) or m.group(2)) if m else None


class MatrixChecks(Checker):
    """``matrix { }``, ``os`` and ``arch`` of a build or test action."""

    def matrix(self, block: ast.MatrixBlock, kind: str, name: str) -> model.Matrix | None:
        axes: dict[str, tuple[str, ...]] = {}
        spans: dict[str, object] = {}
        cells: list[ast.CellStmt] = []
        seen: dict = {}
        fail_fast, max_parallel = False, None
        for item in block.body:
            if isinstance(item, ast.AxisStmt):
                if not _VAR.fullmatch(item.name):
                    self.err("E208", f"'{item.name}' cannot be a matrix axis", item.span,
                             "An axis is an environment variable of each cell: letters, digits and '_', not "
                             f"starting with a digit; write, for example, {item.name.replace('-', '_').upper()}.")
                elif item.name in axes:
                    self.err("E200", f"axis '{item.name}' is given twice", item.span,
                             f"The first is at {self.at(spans[item.name].span)}; put all its values on one line.")
                elif len(set(item.values)) != len(item.values):
                    twice = next(v for v in item.values if item.values.count(v) > 1)
                    self.err("E314", f"axis '{item.name}' lists '{twice}' twice", item.span,
                             "Each value of an axis makes its own cells; write it once.")
                else:
                    axes[item.name], spans[item.name] = item.values, item
            elif isinstance(item, ast.CellStmt):
                cells.append(item)
            elif isinstance(item, ast.Field):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    if item.keyword == "fail_fast":
                        fail_fast = item.value == "on"
                    else:
                        max_parallel = int(item.value)
                        if max_parallel < 1:
                            self.err("E314", "max_parallel 0 runs no cell", item.span,
                                     "Write at least 1, or leave max_parallel out to run every cell at once.")
        if not axes:
            if not any(isinstance(i, ast.AxisStmt) for i in block.body):
                self.err("E314", f"the matrix of {kind} '{name}' has no axis", block.span,
                         "Give at least one axis and its values, for example: axis PYTHON 3.12 3.13.")
            return None
        include, exclude = [], []
        for c in cells:
            pairs = dict()
            ok = True
            for k, v in c.values:
                if k not in axes:
                    self.err("E314", f"'{c.keyword}' names '{k}', which is not an axis of this matrix", c.span,
                             f"Axes: {', '.join(axes)}.{did_you_mean(k, list(axes))}")
                    ok = False
                elif k in pairs:
                    self.err("E314", f"'{c.keyword}' gives axis '{k}' twice", c.span, "Give each axis once.")
                    ok = False
                else:
                    pairs[k] = v
            if not ok:
                continue
            if c.keyword == "include" and set(pairs) != set(axes):
                missing = [a for a in axes if a not in pairs]
                self.err("E314", f"'include' leaves out axis {', '.join(missing)}", c.span,
                         "An include adds one whole cell: give a value for every axis, for example "
                         + "include " + " ".join(f"{a}={pairs.get(a, axes[a][0])}" for a in axes) + ".")
                continue
            (include if c.keyword == "include" else exclude).append((c, tuple(pairs.items())))
        m = model.Matrix(tuple(axes.items()), exclude=tuple(p for _, p in exclude), fail_fast=fail_fast,
                         max_parallel=max_parallel)
        product = m.cells()
        for c, pairs in exclude:
            if not any(set(pairs) <= set(cell) for cell in
                       model.Matrix(m.axes).cells()):
                self.err("E314", "this 'exclude' matches no cell", c.span,
                         "An exclude leaves out the cells that have all its values; check the values against "
                         "the axes, or remove the line.")
        added: list = []
        for c, pairs in include:
            cell = tuple(sorted(pairs, key=lambda kv: list(axes).index(kv[0])))
            if cell in product or cell in added:
                self.err("E314", "this 'include' adds a cell the matrix already has", c.span,
                         "Remove the line; or, if the cell was excluded, change the exclude.")
            else:
                added.append(cell)
        m = model.Matrix(m.axes, include=tuple(added), exclude=m.exclude, fail_fast=fail_fast,
                         max_parallel=max_parallel)
        count = len(m.cells())
        if count == 0:
            self.err("E314", f"the matrix of {kind} '{name}' has no cell left", block.span,
                     "The excludes leave out every cell; remove one, or add a cell with 'include'.")
        elif count > MAX_CELLS:
            self.err("E314", f"the matrix of {kind} '{name}' has {count} cells", block.span,
                     f"GitHub Actions runs at most {MAX_CELLS} jobs for one matrix; split the axes over two actions.")
        return m

    def matrix_uses(self, a: ast.BuildAction, b: model.Build, variables) -> None:
        """What a matrix build may not do (E315), and axes named like other values (E200);
        runtime versions that name an axis name one of this build's (E314)."""
        axes = [n for n, _ in b.matrix.axes] if b.matrix else []
        span = next((i.span for i in a.body if isinstance(i, ast.MatrixBlock)), a.span)
        for r in (i for i in a.body if isinstance(i, ast.RuntimeStmt)):
            ref = axis_reference(r.version)
            if ref is not None and ref not in axes:
                self.err("E314", f"runtime {r.name} '{r.version}' names no axis of a matrix", r.span,
                         (f"Axes: {', '.join(axes)}.{did_you_mean(ref, axes)}" if axes else
                          "A runtime version written as $NAME reads a matrix axis: add "
                          f"'matrix {{ axis {ref} ... }}', or write the version."))
            elif ref is not None and r.name == "java":
                self.err("E314", "a java version cannot come from a matrix axis", r.span,
                         "CodeBuild names Java versions corretto21 and GitHub's setup-java 21; write one "
                         "java action per version, or install the version in the install phase.")
            elif "$" in r.version and ref is None and axes:
                self.err("E314", f"runtime {r.name} '{r.version}' is neither a version nor one axis", r.span,
                         "Write the version, or $NAME alone to take it from the matrix axis NAME.")
        if b.matrix is None:
            return
        own = {e.name: "an env" for e in b.env} | {s.name: "a secret" for s in b.secrets} | {
            v: "a pipeline variable" for v in variables}
        for n in axes:
            if n in own:
                self.err("E200", f"axis '{n}' has the name of {own[n]} of this build", span,
                         "An axis is an environment variable of each cell; give it a name of its own.")
        for o in b.outputs:
            self.err("E315", f"{b.kind} '{b.name}' has a matrix and produces artifact '{o.name}'", o.span or span,
                     "Each cell would produce its own copy, and the platforms do not hand an action one cell's "
                     "copy alike (CodeBuild combines or picks the batch's artifacts; GitHub names each cell's "
                     "upload apart). Produce the artifact in a build without a matrix.")
        if b.cache:
            self.err("E315", f"{b.kind} '{b.name}' has a matrix and a cache", span,
                     "The cells would save one cache over each other, in an order neither platform fixes; "
                     "leave the cache out of the matrix build.")
        if b.reports:
            # each cell uploads its reports under a name with its values, and upload-artifact refuses
            # names with these characters (actions/upload-artifact's artifact name validation)
            bad = sorted({x for _, vals in b.matrix.axes for x in vals if set(x) & set('\\/":<>|*?')})
            if bad:
                self.err("E314", f"axis value '{bad[0]}' cannot name a cell's report upload", span,
                         "On GitHub each cell uploads its reports as an artifact named with its values, and "
                         "artifact names cannot hold \\ / \" : < > | * ?; choose values without them.")
        if b.github.has("run_in_codebuild"):
            self.err("E315", f"{b.kind} '{b.name}' has a matrix and runs in CodeBuild from GitHub", span,
                     "pipec starts one CodeBuild build from a GitHub job; remove run_in_codebuild or the matrix.")

    def platform_checks(self, a: ast.BuildAction, b: model.Build, seen: dict) -> None:
        """E316: what CodeBuild or GitHub's runners do not offer for the build's ``os`` and ``arch``."""
        self.runner_checks(a, b)
        where = seen.get("os") or seen.get("arch")
        if b.os == "windows":
            def refuse(message, span, hint):
                self.err("E316", message, span or where.span, hint)

            if b.arch != "x86_64":
                refuse(f"there is no Windows {b.arch} build environment", seen["arch"].span,
                       "CodeBuild's Windows builds and GitHub's Windows runners are x86_64; leave 'arch' out.")
            if "image" in seen:
                refuse("a Windows build takes no 'image'", seen["image"].span,
                       "pipec runs Windows builds on CodeBuild's Windows Server 2019 image "
                       "(aws/codebuild/windows-base:2019-3.0) and GitHub's windows-2022 runner; remove the line.")
            if "compute" in seen and b.compute == "small":
                refuse("CodeBuild has no small Windows build environment", seen["compute"].span,
                       "Windows builds start at medium (4 vCPU); write 'compute medium', or leave it out.")
            for r in (i for i in a.body if isinstance(i, ast.RuntimeStmt)):
                self.windows_runtime(r, refuse)
            for c in (i for i in a.body if isinstance(i, ast.CodeArtifactStmt)):
                refuse("a CodeArtifact login on Windows is not written by pipec", c.span,
                       "Run 'aws codeartifact login' in the install phase instead.")
            for ph in b.phases:
                if ph.finally_commands or ph.on_failure != "abort":
                    refuse(f"the {ph.name} phase of a Windows build has finally or on_failure continue",
                           next((i.span for i in a.body if isinstance(i, ast.Phase) and i.name == ph.name), None),
                           "On GitHub, a Windows build runs one PowerShell step a command, where CodeBuild's "
                           "finally and continue rules have no counterpart; put the cleanup in the commands.")
            if len(b.inputs) > 1:
                refuse(f"Windows {b.kind} '{b.name}' has {len(b.inputs)} inputs", seen["from"].span,
                       "A Windows build reads one input artifact (its working directory).")
        elif b.arch == "arm64":
            if b.image.kind == "ubuntu":
                self.err("E316", "CodeBuild has no Ubuntu image for arm64",
                         (seen.get("image") or seen["arch"]).span,
                         "Write 'image amazonlinux' (CodeBuild's aarch64 Amazon Linux image; GitHub runs the "
                         "job on ubuntu-24.04-arm), or give an arm64 container image with 'image docker'.")
            if b.compute in ("medium", "2xlarge"):
                self.err("E316", f"CodeBuild has no {b.compute} arm64 build environment",
                         (seen.get("compute") or seen["arch"]).span,
                         "CodeBuild's arm64 images run on small and large only; write 'compute small' or "
                         "'compute large'.")

    @staticmethod
    def windows_runtime(r: ast.RuntimeStmt, refuse) -> None:
        """E316 for a runtime of an ``os windows`` build that CodeBuild's Windows image does not
        offer in ``runtime-versions`` (semantic_tables.WINDOWS_RUNTIMES), or a matrix axis's version
        (the cells would need versions the image may not have)."""
        from pipec.semantic_tables import WINDOWS_RUNTIMES

        versions = WINDOWS_RUNTIMES.get(r.name)
        if versions is None:
            refuse(f"CodeBuild's Windows image has no {r.name} runtime", r.span,
                   "Windows builds set up " + ", ".join(WINDOWS_RUNTIMES) + "; install this one in the "
                   "install phase.")
        elif axis_reference(str(r.version)) is not None:
            refuse(f"runtime {r.name} of a Windows build takes a matrix axis's version", r.span,
                   f"Give one of the versions CodeBuild's Windows image has: {', '.join(versions)}.")
        elif str(r.version) not in versions:
            refuse(f"CodeBuild's Windows image has no {r.name} {r.version}", r.span,
                   f"Its {r.name} versions are {', '.join(versions)} (CodeBuild's 'Windows image runtimes'); "
                   "write one of them, or install this version in the install phase.")

    def runner_checks(self, a: ast.BuildAction, b: model.Build) -> None:
        """E316: runner labels (``github { runs_on }``) that name another system or architecture
        than the build's ``os`` and ``arch`` (:mod:`pipec.runner_labels`). The pipeline's labels
        are the runner of a Linux x86_64 build that names none (targets/github/matrix.py)."""
        from pipec.runner_labels import runner_platform

        own = next((item for block in a.body if isinstance(block, ast.PlatformBlock) and block.platform == "github"
                    for item in block.body if isinstance(item, ast.Setting) and item.key == "runs_on"), None)
        written = own or (getattr(self, "pipeline_runs_on", None) if (b.os, b.arch) == ("linux", "x86_64") else None)
        if written is None or b.github.has("run_in_codebuild"):  # run_in_codebuild: CodeBuild runs the commands
            return
        system, arch = runner_platform(written.values)
        labels = " ".join(written.values)
        whose = "its" if written is own else "the pipeline's"
        if system == "macos" and b.os == "linux" and b.platform_binding == "github":
            system = "linux"  # a GitHub-only build: no CodeBuild environment to match, and bash either way
        if system not in (None, b.os):
            systems = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}
            hint = ("Write 'os windows' to run the commands in PowerShell on both platforms, or give runner "
                    "labels of a Linux runner." if system == "windows" else
                    "Leave 'runs_on' out (pipec runs Windows builds on windows-2022), or give the labels of a "
                    "Windows runner." if b.os == "windows" else
                    "CodeBuild runs the build on Linux: give the labels of a Linux runner, or bind the stage "
                    "to GitHub with 'via github' for a build that needs macOS.")
            self.err("E316", f"{systems[b.os]} {b.kind} '{b.name}' would run on a {systems[system]} runner on GitHub "
                     f"({whose} runs_on '{labels}')", written.span, hint)
        elif arch not in (None, b.arch):
            self.err("E316", f"{b.arch} {b.kind} '{b.name}' would run on an {arch} runner on GitHub ({whose} runs_on "
                     f"'{labels}')",
                     written.span, f"The runner and CodeBuild's {b.arch} environment must be alike: give the "
                     f"labels of an {b.arch} runner, or write 'arch {'arm64' if b.arch == 'x86_64' else 'x86_64'}' "
                     "if that is the machine meant." if arch in ("arm64", "x86_64") else
                     "CodeBuild has no 32-bit ARM environment; give the labels of a runner of the build's "
                     "architecture.")

