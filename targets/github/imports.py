"""``pipec import`` of a GitHub Actions workflow written by hand: the workflow as ``.pipe`` source.

This is the importer for :data:`pipec.importer.KINDS` ``workflow`` (see :mod:`pipec.importer` for
the machinery: positions, findings, tasks, the final ``pipec check``). It maps what has the same
meaning on CodePipeline and GitHub Actions, and reports everything else as a finding (a
``# not converted`` comment in the output and a W600 diagnostic pointing into the workflow).

Mapping (workflow -> ``.pipe``)::

    name (or the file stem)                  pipeline NAME
    (the repository)                         source app github "OWNER/REPO" (ctx.repository or a
                                             placeholder + task); branch: the one literal branch of
                                             on.push.branches, else main ($default-branch: main + task)
    on.push branches/tags/paths (+ -ignore)  on push branches ... paths ...   (branch pushes)
                                             on push tags ...                 (tag pushes; GitHub does
                                             not evaluate paths for tags, so neither does this line)
                                             neither branches nor tags: both lines, with "**"
    on.pull_request types/branches/paths     on pull_request opened|updated|closed into ... paths ...
                                             (default types: opened updated + finding for reopened;
                                             other types: finding; the run builds the head commit,
                                             GitHub the merge commit: finding)
    on.workflow_dispatch (+ inputs)          on manual; variable NAME = DEFAULT description "..."
    any other event                          finding per event; no trigger left: on manual
    concurrency (workflow)                   mode superseded (the GitHub target writes superseded
                                             as a group without cancel-in-progress, so that is the
                                             exact inverse); cancel-in-progress true and per-ref
                                             groups: findings; no concurrency: mode parallel
    env (workflow, job; literal values)      env NAME = VALUE in each action
    ${{ secrets.X }}                         secret NAME from ssm "/PIPELINE/X" + github { secret
                                             NAME from github X } + task (create the parameter)
    jobs + needs                             one stage per longest-path level of the needs DAG,
                                             several actions of a level in parallel { }; a job that
                                             now waits for more than its needs: one finding
    job                                      build NAME, or test NAME when its key contains test,
                                             lint or check
    runs-on ubuntu-*                         image ubuntu (+ github { runs_on LABEL } unless
                                             ubuntu-latest); other runners: github { runs_on ... } and
                                             a finding (CodeBuild runs Ubuntu); windows: default
                                             shell pwsh, so its run steps are findings
    container IMAGE                          image docker IMAGE
    timeout-minutes (default 360)            timeout Nm
    environment NAME                         github { environment NAME } + task (reviewers) +
                                             finding (no gate on CodePipeline)
    strategy.matrix                          expanded as GitHub does (product, exclude, include):
                                             one action per combination (NAME-V1-V2), all in one
                                             parallel { } group (max-parallel 1: one after another);
                                             ${{ matrix.X }} replaced by its value everywhere
    run steps                                build-phase commands (below)
    steps with if: always() / !cancelled()   at the end: finally commands of the build phase
    actions/checkout                         (the source); fetch-depth 0: clone full
    setup actions (github_read.SETUP_ACTIONS) runtime NAME VERSION
    actions/cache                            cache PATHS (finding when the key is not a hashFiles key)
    actions/upload-artifact                  artifact NAME files ... base LCA
    actions/download-artifact                from NAME + a copy into the download path
    aws-actions/configure-aws-credentials    nothing (pipec creates the roles) + task; a literal
                                             aws-region: github { aws_region R }

Commands. GitHub runs each ``run`` step in a fresh ``bash -e {0}`` (``bash -eo pipefail`` with
``shell: bash``, ``sh -e`` with ``shell: sh``) in the workspace root; the commands of a ``.pipe``
phase share one shell and each command's status is checked (docs/language.md, "Phases"). A step
whose every line is a simple command (no ``;``, ``&``, heredoc, continuation, compound command,
``&&``/``!`` except on the last line, ``|`` under pipefail, nothing that changes the shell's state:
``cd``, ``export``, assignments, ``source``, ``set``, ``exit``...) becomes one command per line,
which fails exactly when GitHub's step fails. Any other step becomes one script run in a subshell,
``(`` / ``set -e[o pipefail]`` / ``cd DIR`` / ``export K=V`` / body / ``)``, so nothing leaks
into later steps. Expressions in commands: ``matrix.X`` is its value (textual, as GitHub does),
``env.X`` and ``secrets.X`` are ``${X}``, ``inputs.X`` is the pipeline variable ``${X}``;
``github.*``/``runner.*`` values GitHub also exports (``github.sha``...) are their variables
(``${GITHUB_SHA}``) with a finding, since CodeBuild does not set them; anything else
(``steps.*``, ``needs.*``, ``vars.*``, functions, operators) skips the step with a finding.

Deliberately ignored, because pipec derives them itself or they carry no behaviour:
``permissions`` (workflow and job: pipec computes least-privilege permissions), ``name`` and
``run-name`` of the workflow apart from the pipeline name, ``name`` of jobs and steps and step
``id`` (display names; references to steps are findings), the inputs of actions/checkout
``token``, ``ssh-key``, ``persist-credentials``, ``clean``, ``show-progress``,
``set-safe-directory``, ``fetch-depth`` other than 0 (credentials and cosmetics), the caching
and tooling inputs of setup actions (``cache``, ``cache-dependency-path``, ``check-latest``,
``token``, ``allow-prereleases``, ``update-environment``: performance only), ``fail-fast`` and
``max-parallel`` above 1 of a matrix (they change how much work runs after a failure or at once,
never the outcome of the run), upload-artifact's ``retention-days``, ``compression-level``,
``if-no-files-found`` and ``overwrite``, ``always()`` running on cancellation too. The shell
default of ``defaults.run.shell: bash`` is mapped (it adds pipefail), not ignored.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from pipec import importer
from pipec.importer import Doc, YDict, YList, q, v

PLACEHOLDER_REPO = "OWNER/REPO"
SOURCE = "app"
GITHUB_TIMEOUT = 360
MAX_COMBINATIONS = 50  # CodePipeline's actions per stage
MAX_PATTERNS = 8
MAX_INPUTS = 5

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
_PATH = re.compile(rf"{_IDENT}(?:\.{_IDENT}|\[\s*'[^']*'\s*\])*")
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./\-]*")
_TESTISH = re.compile(r"test|lint|check", re.I)
#: a condition naming the workflow's own repository, or its owner (fork guards)
_GUARD_REPO = re.compile(r"github\.repository\s*==\s*'(?P<repo>[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)'"
                         r"|'(?P<repo2>[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)'\s*==\s*github\.repository\b")
_GUARD_OWNER = re.compile(r"github\.repository_owner\s*==\s*'(?P<owner>[A-Za-z0-9_.\-]+)'")

#: github.* contexts GitHub also exports as variables (empty on CodeBuild)
GITHUB_VARS = {
    "github.sha": "GITHUB_SHA", "github.ref": "GITHUB_REF", "github.ref_name": "GITHUB_REF_NAME",
    "github.ref_type": "GITHUB_REF_TYPE", "github.head_ref": "GITHUB_HEAD_REF",
    "github.base_ref": "GITHUB_BASE_REF", "github.repository": "GITHUB_REPOSITORY",
    "github.repository_owner": "GITHUB_REPOSITORY_OWNER", "github.run_id": "GITHUB_RUN_ID",
    "github.run_number": "GITHUB_RUN_NUMBER", "github.run_attempt": "GITHUB_RUN_ATTEMPT",
    "github.workspace": "GITHUB_WORKSPACE", "github.actor": "GITHUB_ACTOR",
    "github.triggering_actor": "GITHUB_TRIGGERING_ACTOR", "github.event_name": "GITHUB_EVENT_NAME",
    "github.workflow": "GITHUB_WORKFLOW", "github.server_url": "GITHUB_SERVER_URL",
    "github.api_url": "GITHUB_API_URL", "github.graphql_url": "GITHUB_GRAPHQL_URL",
    "github.job": "GITHUB_JOB", "github.event_path": "GITHUB_EVENT_PATH",
    "github.repository_id": "GITHUB_REPOSITORY_ID", "github.actor_id": "GITHUB_ACTOR_ID",
    "runner.os": "RUNNER_OS", "runner.arch": "RUNNER_ARCH", "runner.temp": "RUNNER_TEMP",
    "runner.tool_cache": "RUNNER_TOOL_CACHE", "runner.name": "RUNNER_NAME",
}
#: runner files whose effect (outputs, env and PATH for later steps) CodeBuild does not have
RUNNER_FILES = re.compile(r"\$\{?(GITHUB_ENV|GITHUB_OUTPUT|GITHUB_PATH|GITHUB_STATE|GITHUB_STEP_SUMMARY)\b")
GITHUB_ONLY_VARS = re.compile(r"\$\{?((?:GITHUB|RUNNER)_[A-Z_]+)")
#: first words of a line that change the shell's state, or are not a simple command
_STATEFUL = {
    "cd", "pushd", "popd", "export", "unset", "set", "source", ".", "alias", "unalias", "shopt", "trap",
    "exec", "exit", "return", "ulimit", "umask", "eval", "declare", "typeset", "local", "readonly", "hash",
    "let", "read", "readarray", "mapfile", "getopts", "nvm", "rvm", "conda", "deactivate", "pyenv", "sdk",
    "function", "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "select", "{", "}", "(", ")", "((", "coproc", "time", "shift", "builtin", "command", "enable", "wait",
    "bg", "fg", "jobs", "disown", "kill", "break", "continue",
}
#: keys of the steps that wait for or cancel background steps (GitHub's parallel steps)
_WAIT_KEYS = {"wait", "wait-all", "cancel", "parallel"}
_KNOWN_ACTIONS = {"actions/checkout", "actions/cache", "actions/cache/restore", "actions/cache/save",
                  "actions/upload-artifact", "actions/download-artifact", "aws-actions/configure-aws-credentials",
                  "actions/setup-node", "actions/setup-python", "actions/setup-java", "actions/setup-go",
                  "actions/setup-dotnet", "ruby/setup-ruby", "shivammathur/setup-php"}
_CHECKOUT_IGNORED = {"token", "ssh-key", "persist-credentials", "clean", "show-progress", "set-safe-directory",
                     "fetch-depth", "github-server-url"}
_SETUP_IGNORED = {"cache", "cache-dependency-path", "check-latest", "token", "allow-prereleases",
                  "update-environment"}
_UPLOAD_IGNORED = {"name", "path", "retention-days", "compression-level", "if-no-files-found", "overwrite",
                   "include-hidden-files"}


class _Skip(Exception):
    """A step or value that cannot be mapped: (construct, message)."""

    def __init__(self, construct: str, message: str):
        super().__init__(message)
        self.construct = construct


def import_workflow(ctx) -> Doc | None:
    return _Workflow(ctx).run()


# ----------------------------------------------------------------------------- helpers


def _scalar(value) -> str | None:
    """A YAML scalar as the string GitHub sees, or None for mappings and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return None


def _as_list(value):
    """A GitHub "string or list" value as a list (multi-line strings split into lines)."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [x.strip() for x in value.splitlines() if x.strip()]
    if value is None:
        return []
    return [value]


def _strip_expr(text: str) -> str:
    """An ``if:`` condition without its optional ``${{ }}``."""
    t = text.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", t, re.S)
    return m.group(1).strip() if m and "${{" not in m.group(1) else t


def _scan(line: str):
    """Top-level shell operators of one line (outside quotes and ``$( )``), or None when a quote
    or parenthesis is left open (the command goes on to the next line)."""
    flags: set[str] = set()
    i, n = 0, len(line)
    quote = None
    depth = 0
    backtick = False
    while i < n:
        c = line[i]
        if quote == "'":
            if c == "'":
                quote = None
            i += 1
            continue
        if c == "\\":
            i += 2
            continue
        if quote == '"':
            if c == '"':
                quote = None
            elif c == "$" and line.startswith("$(", i):
                depth += 1
                i += 2
                continue
            elif c == ")" and depth:
                depth -= 1
            i += 1
            continue
        if c in "'\"":
            quote = c
        elif c == "`":
            backtick = not backtick
        elif c == "$" and line.startswith("$(", i):
            depth += 1
            i += 2
            continue
        elif c == "(":
            if depth == 0 and not backtick:
                flags.add("group")
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and not backtick:
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            if c == ";":
                flags.add(";")
            elif c == "&":
                if line.startswith("&&", i):
                    flags.add("&&")
                    i += 2
                    continue
                if (i > 0 and line[i - 1] in "<>") or line.startswith("&>", i):
                    pass
                else:
                    flags.add("&")
            elif c == "|":
                if line.startswith("||", i):
                    flags.add("||")
                    i += 2
                    continue
                flags.add("|")
            elif c == "<" and line.startswith("<<", i) and not line.startswith("<<<", i):
                flags.add("heredoc")
            elif c in "{}" and (i == 0 or line[i - 1] in " \t") and (i + 1 == n or line[i + 1] in " \t;"):
                flags.add("group")
        i += 1
    if quote or depth or backtick:
        return None
    return flags


def _simple(line: str, pipefail: bool, last: bool) -> bool:
    """Whether ``line`` run as its own command fails exactly when it fails inside GitHub's
    ``bash -e`` step script, and leaves no state behind for later commands."""
    s = line.strip()
    if s.endswith("\\") or "$?" in s or '"""' in s:
        return False
    flags = _scan(s)
    if flags is None or flags & {";", "&", "heredoc", "group"}:
        return False
    if "|" in flags and pipefail:
        return False
    first = s.split(None, 1)[0]
    if "&&" in flags and not last or first == "!" and not last:
        return False
    if first in _STATEFUL or first.endswith("()"):
        return False
    if re.match(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=", s):
        return False
    return True


def _lca(paths: list[str]) -> str:
    parts = [p.split("/") for p in paths]
    out = []
    for group in zip(*parts):
        if all(g == group[0] for g in group):
            out.append(group[0])
        else:
            break
    return "/".join(out)


# ----------------------------------------------------------------------------- the workflow


class _Action:
    """One action being written (a job, or one matrix combination of it)."""

    def __init__(self, name: str, kind: str):
        self.name = name
        self.kind = kind
        self.doc = Doc(f"{kind} {name}")
        self.notes = Doc("")           # findings about the job as a whole
        self.phase = Doc("build")     # commands and findings about steps, in order
        self.final: list[str] = []    # finally commands
        self.commands = 0
        self.image: list[str] = []
        self.timeout: str | None = None
        self.runtimes: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.secrets: dict[str, str] = {}        # env name -> GitHub secret
        self.inputs: list[str] = []
        self.artifacts: list[str] = []
        self.artifact_names: list[str] = []
        self.cache: list[str] = []
        self.github: list[str] = []
        self.checkout = False
        self.will_checkout = False
        self.windows_reported = False
        self.no_checkout = False
        self.artifact_docs: list = []
        self.inputs_pending: list = []      # (artifact, None: the primary input | destination)
        self.uploads: list = []             # (GitHub name, .pipe name)
        self.placeholder = False            # nothing converted: one command that fails loudly


class _Workflow:
    def __init__(self, ctx):
        self.ctx = ctx
        self.data = ctx.data
        self.taken: set[str] = {SOURCE}
        self.variables: dict[str, str] = {}
        self.produced: dict[str, tuple[str, str]] = {}   # GitHub artifact name -> (job key, .pipe name)
        self.job_artifacts: dict[str, dict[str, str]] = {}
        self.clone_full = False
        self.regions: set = set()
        self.region_unknown = False
        self.other_triggers = False
        self.inputs_used = False
        self.git_where = None
        self.current_key = ""
        self.os = "linux"
        self.combo = None
        self.sets_env = False
        self.placeholders: set[str] = set()
        self.owner: str | None = None
        self.events: list[str] = []
        self.job_guard: str | None = None

    # ------------------------------------------------------------------ entry
    def run(self) -> Doc | None:
        ctx, data = self.ctx, self.data
        if not self.validate():
            return None
        title = data.get("name")
        base = _scalar(title) if title is not None else None
        if not base or "${{" in base:
            base = Path(ctx.file).stem
        self.pipeline = importer.name(base, "workflow")
        ctx.pipeline_name = self.pipeline
        p = Doc(f"pipeline {self.pipeline}")
        self.doc = p
        self.mode(p)
        known = {"name", "run-name", "on", "env", "defaults", "concurrency", "permissions", "jobs"}
        for key in data:
            if key not in known:
                ctx.skip(p, "workflow: unknown key", f"workflow key '{key}' has no .pipe equivalent", data, key)
        self.pipeline_github = Doc("github")
        p.items.append(("block", self.pipeline_github))
        source = self.source(p)
        self.wf_env = self.env_values(p, data, "env")
        self.jobs_and_stages(p)
        if self.git_where is not None and not self.clone_full:
            self.clone_full = True
            ctx.skip(source, "workflow: git history", "commands use git: the source is a full clone (GitHub's "
                     "checkout fetched one commit; CodeBuild's default copy has no .git at all)", *self.git_where)
        self.finish_source(source)
        if self.regions and len(self.regions) == 1 and not self.region_unknown:
            self.pipeline_github.stmt("aws_region", v(next(iter(self.regions))))
        elif self.regions or self.region_unknown:
            ctx.skip(p, "workflow: AWS region", "the AWS credentials steps use "
                     + ("several Regions" if len(self.regions) > 1 else "a Region given by an expression")
                     + "; the jobs use the pipeline's Region", data, "jobs")
        if not self.pipeline_github.items:
            p.items.remove(("block", self.pipeline_github))
        return p

    # ------------------------------------------------------------------ validation
    def validate(self) -> bool:
        ctx, data = self.ctx, self.data
        ok = True
        if "on" not in data:
            ctx.error("the workflow has no 'on': GitHub never runs it", data, None,
                      "Add the events that start it, for example 'on: push'.")
            ok = False
        else:
            on = data["on"]
            if not isinstance(on, (str, list, dict)):
                ctx.error("'on' must be an event, a list of events or a mapping", data, "on")
                ok = False
            elif isinstance(on, list) and not all(isinstance(e, str) for e in on):
                ctx.error("'on' lists events by name", data, "on")
                ok = False
        jobs = data.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            ctx.error("'jobs' must be a mapping of job ids to jobs", data, "jobs",
                      "Write jobs: {build: {runs-on: ubuntu-latest, steps: [...]}}.")
            return False
        for key, job in jobs.items():
            if not isinstance(job, dict):
                ctx.error(f"job '{key}' must be a mapping", jobs, key)
                ok = False
                continue
            needs = job.get("needs")
            for n in needs if isinstance(needs, list) else ([] if needs is None else [needs]):
                if not isinstance(n, str) or n not in jobs:
                    ctx.error(f"job '{key}' needs '{n}', which is not a job of this workflow", job, "needs")
                    ok = False
            if "uses" in job:
                continue
            steps = job.get("steps")
            if not isinstance(steps, list) or not steps:
                ctx.error(f"job '{key}' must have a list of steps (or 'uses' a reusable workflow)", job,
                          "steps" if "steps" in job else None)
                ok = False
                continue
            for i, step in enumerate(steps):
                if not isinstance(step, dict):
                    ctx.error(f"step {i + 1} of job '{key}' must be a mapping", steps, i)
                    ok = False
                elif "run" not in step and "uses" not in step and step.keys() & _WAIT_KEYS:
                    continue
                elif ("run" in step) == ("uses" in step):
                    ctx.error(f"step {i + 1} of job '{key}' must have exactly one of 'run' and 'uses'", steps, i)
                    ok = False
                elif "uses" in step and not isinstance(step["uses"], str):
                    ctx.error(f"'uses' of step {i + 1} of job '{key}' must be a string", step, "uses")
                    ok = False
                elif "run" in step and _scalar(step["run"]) is None:
                    ctx.error(f"'run' of step {i + 1} of job '{key}' must be a string", step, "run")
                    ok = False
        if ok:
            order = self.levels(jobs)
            if order is None:
                ctx.error("the jobs' 'needs' form a cycle", data, "jobs")
                ok = False
        return ok

    @staticmethod
    def needs_of(job) -> list[str]:
        needs = job.get("needs") if isinstance(job, dict) else None
        if isinstance(needs, str):
            return [needs]
        if isinstance(needs, list):
            return [n for n in needs if isinstance(n, str)]
        return []

    def levels(self, jobs) -> dict | None:
        level: dict[str, int] = {}
        visiting: set = set()

        def walk(k):
            if k in level:
                return level[k]
            if k in visiting:
                raise RecursionError
            visiting.add(k)
            deps = [d for d in self.needs_of(jobs[k]) if d in jobs]  # unknown needs are E602 already
            level[k] = 1 + max((walk(d) for d in deps), default=-1)
            visiting.discard(k)
            return level[k]

        try:
            for k in jobs:
                walk(k)
        except RecursionError:
            return None
        return level

    # ------------------------------------------------------------------ pipeline settings
    def mode(self, p: Doc):
        ctx, data = self.ctx, self.data
        conc = data.get("concurrency")
        if conc is None:
            p.stmt("mode", "parallel")
            return
        group, cancel = (conc, False) if isinstance(conc, str) else (
            (conc.get("group"), conc.get("cancel-in-progress", False)) if isinstance(conc, dict) else (None, None))
        if not isinstance(group, str):
            ctx.skip(p, "workflow: concurrency", "the concurrency setting has no group this importer can read; "
                     "runs are independent", data, "concurrency")
            p.stmt("mode", "parallel")
            return
        p.stmt("mode", "superseded")
        if cancel is True:
            ctx.skip(p, "workflow: cancel-in-progress", "concurrency cancels the running run on GitHub; in "
                     "'mode superseded' a newer run overtakes an older one only where it waits between stages",
                     data, "concurrency")
        elif cancel is not False:
            ctx.skip(p, "workflow: cancel-in-progress", "cancel-in-progress is an expression; read as false",
                     data, "concurrency")
        if "${{" in group:
            ctx.skip(p, "workflow: concurrency group per run", f"the concurrency group {group!r} depends on the "
                     "run (its ref or event), so runs of different refs do not wait for each other on GitHub; "
                     "a pipeline's mode applies to all its runs", data, "concurrency")

    # ------------------------------------------------------------------ source and triggers
    def source(self, p: Doc) -> Doc:
        ctx = self.ctx
        repo = ctx.repository
        if not (isinstance(repo, str) and re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", repo)):
            repo = None
        self.owner = repo.split("/")[0] if repo else None
        if repo is None:
            # A guard such as `if: github.repository == 'acme/app'` (it keeps forks from running a job)
            # names the workflow's own repository: use it, so that the guard holds here as it does there.
            named = _GUARD_REPO.search(ctx.text or "")
            owner = _GUARD_OWNER.search(ctx.text or "")
            if named:
                repo = named.group("repo") or named.group("repo2")
                self.owner = repo.split("/")[0]
                line = (ctx.text or "").count("\n", 0, named.start()) + 1
                p.comment(f"The repository is the one the workflow's own condition names (line {line}).")
                ctx.task("repository", f"check the repository {repo}, taken from the workflow's condition "
                                       f"github.repository == '{repo}' (or give --repository OWNER/REPO)")
            elif owner:
                self.owner = owner.group("owner")
        if repo is None:
            p.comment("Placeholder: the repository this workflow belongs to.")
            ctx.task("repository", f"replace the placeholder {PLACEHOLDER_REPO} with the repository the workflow "
                                   "came from (or give --repository OWNER/REPO)")
        self.repo = repo or PLACEHOLDER_REPO
        src = p.block(f"source {SOURCE} github {q(self.repo)}")
        self.triggers(src)
        return src

    def finish_source(self, src: Doc):
        if self.clone_full:
            src.items.insert(1 if src.items and src.items[0][0] == "stmt" else 0, ("stmt", "clone full"))

    def triggers(self, src: Doc):
        ctx, data = self.ctx, self.data
        on = data["on"]
        if isinstance(on, str):
            events = [(on, None, data, "on")]
        elif isinstance(on, list):
            events = [(e, None, on, i) for i, e in enumerate(on)]
        else:
            events = [(k, b, on, k) for k, b in on.items()]
        self.branch = "main"
        self.events = [str(e) for e, _b, _w, _k in events]
        lines: list[str] = []
        kinds: dict[str, bool] = {}
        ordered: list = []   # each event's findings, then its trigger lines: comments sit by their line
        for event, body, where, key in events:
            event = str(event)
            ev = Doc("")
            first = len(lines)
            if event == "push":
                ok = self.push(ev, body, where, key, lines)
            elif event == "pull_request":
                ok = self.pull_request(ev, body, where, key, lines)
            elif event == "workflow_dispatch":
                ok = self.dispatch(ev, body, where, key, lines)
            elif event == "schedule":
                ok = self.schedule(ev, body, where, key, lines)
            else:
                ctx.skip(ev, f"workflow: {event} trigger", f"the '{event}' event has no pipec trigger",
                         where, key)
                ok = False
            ordered += ev.items + [("stmt", line) for line in lines[first:]]
            kinds[event] = kinds.get(event, False) or ok
            if event != "workflow_dispatch" and ok:
                self.other_triggers = True
        src.items.append(("stmt", f"branch {v(self.branch)}"))
        src.items.extend(ordered)
        if not lines:
            src.comment("No event of the workflow maps to a pipec trigger: the pipeline starts only by hand.")
            src.stmt("on manual")
        self.ctx.mapping["triggers"] = kinds

    def patterns(self, src, body, name, lines_kind):
        """(includes, excludes) of filter ``name`` or ``name-ignore`` in ``body``: None when absent,
        False when it cannot be mapped (finding recorded)."""
        from pipec.targets.github.read import pipec_pattern

        ctx = self.ctx
        if name in body and f"{name}-ignore" in body:
            ctx.error(f"'{name}' and '{name}-ignore' cannot both be given for one event", body, name)
            return False
        key = name if name in body else f"{name}-ignore" if f"{name}-ignore" in body else None
        if key is None:
            return None
        ignore = key.endswith("-ignore")
        raw = body[key]
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            ctx.skip(src, "workflow: filter", f"'{key}' must be a non-empty list of patterns", body, key)
            return False
        includes, excludes = [], []
        for item in raw:
            text = _scalar(item) if not isinstance(item, (float, bool)) else None
            if not text:
                ctx.skip(src, "workflow: filter", f"'{key}' holds {item!r}, which is not a pattern "
                         "(write it as a quoted string)", body, key)
                return False
            if name == "branches" and "$default-branch" in text:
                text = text.replace("$default-branch", "main")
                ctx.task("repository", "check that 'main' is the repository's default branch (the workflow, "
                                       "a starter template, says $default-branch)")
            negative = text.startswith("!")
            if negative and ignore:
                ctx.skip(src, "workflow: filter", f"'{key}' holds {text!r}: an -ignore list cannot hold '!' "
                         "patterns", body, key)
                return False
            if not negative and excludes and not ignore:
                ctx.skip(src, "workflow: filter re-includes", f"in '{key}', {text!r} comes after a '!' pattern: "
                         "on GitHub it includes again what was excluded, and pipec's excludes always win",
                         body, key)
                return False
            try:
                pat = pipec_pattern(f"on.{lines_kind}.{key}", text[1:] if negative else text)
            except ValueError as exc:
                ctx.skip(src, "workflow: filter pattern", str(exc).split(": ", 1)[-1], body, key)
                return False
            (excludes if negative or ignore else includes).append(pat)
        if not includes and not ignore:
            ctx.skip(src, "workflow: filter", f"'{key}' has only '!' patterns, which GitHub rejects", body, key)
            return False
        if len(includes) > MAX_PATTERNS or len(excludes) > MAX_PATTERNS:
            ctx.skip(src, "workflow: too many patterns", f"'{key}' has more than {MAX_PATTERNS} include or "
                     f"exclude patterns, more than a CodePipeline filter holds (E304)", body, key)
            return False
        if ignore:
            includes = []
        return includes, excludes

    @staticmethod
    def _words(word, filt) -> str:
        if not filt:
            return ""
        inc, exc = filt
        return " ".join([word] + [v(x) for x in inc] + ["!" + q(x) for x in exc])

    def push(self, src, body, where, key, lines) -> bool:
        ctx = self.ctx
        if body is None:
            body = YDict()
            body.pos, body.kpos, body.vpos = None, {}, {}
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: push trigger", "the push event's settings are not a mapping", where, key)
            return False
        for k in body:
            if k not in ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"):
                ctx.skip(src, "workflow: push filter", f"push filter '{k}' is not a GitHub filter", body, k)
        branches = self.patterns(src, body, "branches", "push")
        tags = self.patterns(src, body, "tags", "push")
        paths = self.patterns(src, body, "paths", "push")
        if branches is False or tags is False or paths is False:
            return False
        if branches is None and tags is None:
            branches = tags = (["**"], [])
        if branches is not None:
            inc, exc = branches
            if not inc:
                branches = (["**"], exc)
            lines.append(" ".join(x for x in ("on push", self._words("branches", branches),
                                             self._words("paths", self._paths(paths))) if x))
            if len(branches[0]) == 1 and not branches[1] and _LITERAL_BRANCH.fullmatch(branches[0][0]) \
                    and not set(branches[0][0]) & set("*?[]{}"):
                self.branch = branches[0][0]
        if tags is not None:
            inc, exc = tags
            lines.append(" ".join(["on push", self._words("tags", (inc or ["**"], exc))]))
        return True

    @staticmethod
    def _paths(paths):
        if paths is None:
            return None
        inc, exc = paths
        return (inc or ["**"], exc)

    def pull_request(self, src, body, where, key, lines) -> bool:
        ctx = self.ctx
        if body is None:
            body = YDict()
            body.pos, body.kpos, body.vpos = None, {}, {}
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: pull_request trigger", "the pull_request event's settings are not a mapping",
                     where, key)
            return False
        for k in body:
            if k not in ("types", "branches", "branches-ignore", "paths", "paths-ignore"):
                ctx.skip(src, "workflow: pull_request filter", f"pull_request filter '{k}' is not a GitHub filter",
                         body, k)
        types = body.get("types")
        at, at_key = (body, "types") if "types" in body else (where, key)
        if types is None:
            types = ["opened", "synchronize", "reopened"]
        elif isinstance(types, str):
            types = [types]
        if not isinstance(types, list):
            ctx.skip(src, "workflow: pull_request trigger", "'types' is not a list of event types", body, "types")
            return False
        from pipec.targets.github.read import PR_EVENTS

        events = []
        for t in types:
            if isinstance(t, str) and t in PR_EVENTS:
                if PR_EVENTS[t] not in events:
                    events.append(PR_EVENTS[t])
            else:
                ctx.skip(src, "workflow: pull_request event type", f"pull request activity '{t}' has no pipec "
                         "event (pipec has opened, updated = synchronize, closed)", at, at_key)
        branches = self.patterns(src, body, "branches", "pull_request")
        paths = self.patterns(src, body, "paths", "pull_request")
        if branches is False or paths is False or not events:
            return False
        order = [e for e in ("opened", "updated", "closed") if e in events]
        into = None
        if branches is not None:
            into = (branches[0] or ["**"], branches[1])
        lines.append(" ".join(x for x in ("on pull_request", " ".join(order), self._words("into", into),
                                         self._words("paths", self._paths(paths))) if x))
        ctx.skip(src, "workflow: pull request commit", "GitHub builds a pull request's merge commit (the change "
                 "merged into the target branch); CodePipeline builds the head commit of its source branch",
                 where, key)
        return True

    def schedule(self, src, body, where, key, lines) -> bool:
        """``on.schedule``: a list of ``{cron: ...}``, each an ``on schedule`` line (compiler/cron.py
        checks what both platforms run identically)."""
        from pipec import cron

        ctx = self.ctx
        if not isinstance(body, list):
            ctx.skip(src, "workflow: schedule", "the schedule event's settings are not a list of crons", where, key)
            return False
        seen: set = set()
        for i, entry in enumerate(body):
            if not isinstance(entry, dict) or "cron" not in entry:
                ctx.skip(src, "workflow: schedule", "a schedule entry without 'cron'", body, i)
                continue
            for k in entry:
                if k != "cron":
                    ctx.skip(src, "workflow: schedule", f"schedule setting '{k}' has no .pipe form", entry, k)
            text = _scalar(entry["cron"]) or ""
            try:
                normal = cron.normalize(text)
                canonical, every = cron.canonical(text), cron.interval(text)
            except cron.CronError as exc:
                ctx.skip(src, "workflow: schedule", f"cron {text!r}: {exc.message}", entry, "cron", hint=exc.hint)
                continue
            if every < cron.MIN_INTERVAL:
                ctx.skip(src, "workflow: schedule", f"cron {text!r} asks for a run every {every} minute(s); GitHub "
                         f"runs schedules at most every {cron.MIN_INTERVAL} minutes, and pipec refuses a schedule "
                         "that one platform would run more often than the other", entry, "cron",
                         hint="Write the schedule GitHub actually ran, every 5 minutes or more (for example "
                              "\"*/5 * * * *\"), or add it with 'via aws' to run it that often on CodePipeline only.")
                continue
            if canonical in seen:
                ctx.skip(src, "workflow: schedule", f"cron {text!r} repeats an earlier schedule", entry, "cron")
                continue
            if len(seen) >= cron.MAX_SCHEDULES:
                ctx.skip(src, "workflow: schedule", f"more than {cron.MAX_SCHEDULES} schedules (pipec's limit: "
                         "each is an EventBridge rule)", entry, "cron")
                continue
            seen.add(canonical)
            lines.append(f"on schedule {q(normal)}")
        return bool(seen)

    def dispatch(self, src, body, where, key, lines) -> bool:
        ctx = self.ctx
        lines.append("on manual")
        if body is None:
            return True
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: workflow_dispatch", "the workflow_dispatch settings are not a mapping",
                     where, key)
            return True
        for k in body:
            if k != "inputs":
                ctx.skip(src, "workflow: workflow_dispatch", f"workflow_dispatch setting '{k}' is unknown", body, k)
        inputs = body.get("inputs") or {}
        if not isinstance(inputs, dict):
            ctx.skip(src, "workflow: dispatch input", "'inputs' is not a mapping", body, "inputs")
            return True
        for name, spec in inputs.items():
            name = str(name)
            if not isinstance(spec, dict):
                spec = {}
            if not _SHELL_NAME.fullmatch(name) or len(name) > 128:
                ctx.skip(self.doc, "workflow: dispatch input", f"input '{name}' cannot be a pipeline variable "
                         "reaching commands (letters, digits and '_' only)", inputs, name)
                continue
            kind = spec.get("type", "string")
            if "default" not in spec:
                default = ""
                ctx.skip(self.doc, "workflow: dispatch input without default", f"input '{name}' has no default: "
                         "the variable's default is empty (pipeline variables always have one)", inputs, name)
            else:
                default = _scalar(spec["default"])
                if default is None or "${{" in default:
                    ctx.skip(self.doc, "workflow: dispatch input", f"the default of input '{name}' is not a "
                             "plain value", inputs, name)
                    continue
            if kind not in ("string", None):
                ctx.skip(self.doc, "workflow: typed dispatch input", f"input '{name}' has type {kind!r}: pipeline "
                         "variables are free text (no choice list, check box or validation)", inputs, name)
            desc = spec.get("description")
            words = ["variable", name, "=", q(default)]
            if isinstance(desc, str) and desc.strip():
                words += ["description", q(desc.strip())]
            self.doc.stmt(*words)
            self.variables[name] = default
        return True

    # ------------------------------------------------------------------ env and secrets
    def env_values(self, doc, where, key) -> dict:
        """name -> ('env', value) | ('secret', GitHub secret name) for an ``env`` mapping."""
        ctx = self.ctx
        raw = where.get(key) if isinstance(where, dict) else None
        out: dict = {}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            ctx.skip(doc, "workflow: env expression", "'env' is an expression, not a mapping", where, key)
            return out
        for name, value in raw.items():
            name = str(name)
            text = _scalar(value)
            if not _SHELL_NAME.fullmatch(name):
                ctx.skip(doc, "workflow: env name", f"'{name}' cannot be an environment variable in CodeBuild",
                         raw, name)
                continue
            if text is None:
                ctx.skip(doc, "workflow: env expression", f"env {name} is not a plain value", raw, name)
                continue
            m = re.fullmatch(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", text)
            if m:
                out[name] = ("secret", m.group(1))
            elif "${{" in text:
                ctx.skip(doc, "workflow: env expression", f"env {name} = {text!r} is computed by GitHub; pipec "
                         "env values are literal", raw, name)
            else:
                out[name] = ("env", text)
        return out

    def add_secret(self, a: _Action, env_name: str, secret: str) -> str:
        """Declare ``secret`` (a GitHub secret) in ``a`` under ``env_name`` (or a free name); the name."""
        for n, s in a.secrets.items():
            if s == secret:
                return n
        name = env_name
        n = 2
        while name in a.env or name in a.secrets:
            name = f"{env_name}_{n}"
            n += 1
        a.secrets[name] = secret
        ctx = self.ctx
        ctx.task("secret", f"create the SSM parameter /{self.pipeline}/{secret} (SecureString) with the value "
                           f"of the GitHub secret {secret}")
        if secret == "GITHUB_TOKEN":
            ctx.task("secret", "GITHUB_TOKEN is made by GitHub for each run: on CodePipeline, store a token "
                               f"with the same rights in /{self.pipeline}/GITHUB_TOKEN")
        return name

    # ------------------------------------------------------------------ jobs and stages
    def jobs_and_stages(self, p: Doc):
        ctx, data = self.ctx, self.data
        jobs = data["jobs"]
        level = self.levels(jobs)
        closure: dict[str, set] = {}

        def close(k):
            if k not in closure:
                out = set()
                for d in self.needs_of(jobs[k]):
                    out.add(d)
                    out |= close(d)
                closure[k] = out
            return closure[k]

        mapping_jobs: dict[str, list[str]] = {}
        ctx.mapping["jobs"] = mapping_jobs
        by_level: dict[int, list[str]] = {}
        for k in jobs:
            by_level.setdefault(level[k], []).append(k)
        imported_at: dict[int, list[str]] = {}
        stage_names: set = {"source"}
        stages_map: list[list[str]] = []
        for lv in sorted(by_level):
            stage = Doc("stage x")
            groups: list[tuple[str, list[_Action], bool]] = []
            for k in by_level[lv]:
                actions, sequential = self.job(stage, str(k), jobs[k], jobs)
                if actions and sum(len(x) for _, x, _ in groups) + len(actions) > 50:
                    ctx.skip(stage, "workflow: stage too large", f"job '{k}' would make its stage hold more than "
                             "50 actions, CodePipeline's limit (E303); it is not imported", jobs, k)
                    actions = []
                for a in actions:
                    for gh, n in a.uploads:
                        self.produced.setdefault(gh, (k, n))
                        self.job_artifacts.setdefault(k, {}).setdefault(gh, n)
                mapping_jobs[str(k)] = [a.name for a in actions]
                if actions:
                    groups.append((str(k), actions, sequential))
                    imported_at.setdefault(lv, []).append(k)
                    before = {j for L, js in imported_at.items() if L < lv for j in js}
                    extra = sorted(str(x) for x in before - close(k))
                    if extra:
                        ctx.skip(stage, "workflow: ordering made stricter", f"job '{k}' also waits for "
                                 f"{', '.join(extra)} (stages run one after another), which GitHub does not make "
                                 "it wait for", jobs, k)
            total = sum(len(acts) for _, acts, _ in groups)
            if not total:
                if stage.items:
                    p.items.extend(("comment", c) for kind, c in stage.items if kind == "comment")
                continue
            stage.header = f"stage {importer.unique(importer.name(groups[0][0], 'stage'), stage_names)}"
            names: list[str] = []
            if total == 1:
                a = groups[0][1][0]
                self.emit(stage, a)
                names.append(a.name)
            elif len(groups) == 1 and groups[0][2]:
                for a in groups[0][1]:
                    self.emit(stage, a)
                    names.append(a.name)
            else:
                par = stage.block("parallel")
                for key, acts, sequential in groups:
                    if sequential:
                        ctx.skip(par, "workflow: max-parallel", f"job '{key}' runs its matrix one at a time "
                                 "(max-parallel 1) beside other jobs; here its combinations run in parallel",
                                 jobs[key].get("strategy"), "max-parallel")
                    for a in acts:
                        self.emit(par, a)
                        names.append(a.name)
            p.items.append(("block", stage))
            stages_map.append(names)
        ctx.mapping["stages"] = stages_map
        ctx.mapping["placeholders"] = sorted(self.placeholders)
        converted = [n for names in stages_map for n in names if n not in self.placeholders]
        if not stages_map or (not converted and not any(ctx.mapping.get("triggers", {}).values())):
            raise importer.Unsupported("workflow: nothing to import", "neither a trigger nor a step of the workflow "
                                       "could be converted (see the other findings)", data, "jobs")

    def emit(self, parent: Doc, a: _Action):
        d = parent.block(a.doc.header)
        d.items.extend(a.notes.items)
        for line in a.image:
            d.stmt(line)
        if a.timeout:
            d.stmt("timeout", a.timeout)
        for name, version in a.runtimes.items():
            d.stmt("runtime", name, v(version))
        for name, value in a.env.items():
            d.stmt("env", name, "=", v(value))
        for name, secret in a.secrets.items():
            d.stmt("secret", name, "from", "ssm", q(f"/{self.pipeline}/{secret}"))
        if a.inputs:
            d.stmt("from", *a.inputs)
        d.items.extend(it for it in a.phase.items if it[0] == "comment")
        ph = d.block("build")
        ph.items.extend(it for it in a.phase.items if it[0] != "comment")
        has_run = any(kind == "stmt" and text.startswith("run ") for kind, text in a.phase.items)
        for c in a.final:
            ph.stmt("finally" if has_run else "run", c)
        d.items.extend(a.artifact_docs)
        if a.cache:
            d.stmt("cache", *[v(c) for c in a.cache])
        if a.github or a.secrets:
            g = d.block("github")
            for line in a.github:
                g.stmt(line)
            for name, secret in a.secrets.items():
                g.stmt("secret", name, "from", "github", v(secret))

    # ------------------------------------------------------------------ one job
    def job(self, stage: Doc, key: str, job, jobs) -> tuple[list[_Action], bool]:
        ctx = self.ctx
        if "uses" in job:
            ctx.skip(stage, "workflow: reusable workflow call", f"job '{key}' calls the reusable workflow "
                     f"{job.get('uses')!r}; import that workflow on its own", jobs, key)
            return [], False
        when = self.when(job, None, job_level=True)
        self.job_guard = None
        if when == "failure":
            ctx.skip(stage, "workflow: job runs after failures", f"job '{key}' runs only after a failure "
                     f"({_scalar(job.get('if'))!r}); pipec actions run when their stage does, so the job is not "
                     "imported", job, "if")
            return [], False
        if when is None:
            # Kept, with its work converted, behind a first command that fails: the condition is
            # GitHub's to decide during a run, and running the job in more cases than GitHub did
            # (a deployment on every pull request, say) must never happen silently.
            self.job_guard = (_scalar(job.get("if")) or "").strip()
            when = "normal"
        if when == "never":
            ctx.skip(stage, "workflow: job condition", f"job '{key}' never runs here (if: {_scalar(job.get('if'))!r})",
                     job, "if")
            return [], False
        self.job_when = when
        strategy = job.get("strategy")
        combos: list = [None]
        sequential = False
        if strategy is not None:
            combos = self.matrix(stage, key, job, strategy)
            if combos is None:
                return [], False
            if isinstance(strategy, dict):
                mp = strategy.get("max-parallel")
                sequential = mp == 1 and len(combos) > 1
                for k in strategy:
                    if k not in ("matrix", "fail-fast", "max-parallel"):
                        ctx.skip(stage, "workflow: strategy", f"strategy setting '{k}' of job '{key}' is unknown",
                                 strategy, k)
        actions = []
        for combo in combos:
            a = self.action(stage, key, job if combo is None else self.substitute(job, combo), combo, jobs)
            if a is not None:
                actions.append(a)
        return actions, sequential

    def matrix(self, stage, key, job, strategy):
        ctx = self.ctx
        if not isinstance(strategy, dict):
            ctx.skip(stage, "workflow: matrix expression", f"the strategy of job '{key}' is an expression; the job "
                     "is not imported", job, "strategy")
            return None
        m = strategy.get("matrix")
        if m is None:
            return [None]
        if not isinstance(m, dict):
            ctx.skip(stage, "workflow: matrix expression", f"the matrix of job '{key}' is computed by an expression "
                     "(fromJSON...); the job is not imported", strategy, "matrix")
            return None
        base_keys = [k for k in m if k not in ("include", "exclude")]
        vectors = []
        for k in base_keys:
            vals = m[k]
            if not isinstance(vals, list) or any(isinstance(x, str) and "${{" in x for x in vals):
                ctx.skip(stage, "workflow: matrix expression", f"matrix '{k}' of job '{key}' is not a list of "
                         "values; the job is not imported", m, k)
                return None
            vectors.append((str(k), vals))
        for part in ("include", "exclude"):
            val = m.get(part)
            if val is not None and (not isinstance(val, list) or not all(isinstance(x, dict) for x in val)):
                ctx.skip(stage, "workflow: matrix expression", f"matrix '{part}' of job '{key}' is not a list of "
                         "mappings; the job is not imported", m, part)
                return None
        combos: list[dict] = [{}] if vectors else []
        for k, vals in vectors:
            combos = [dict(c, **{k: x}) for c in combos for x in vals]
            if len(combos) > 10 * MAX_COMBINATIONS:
                break
        for ex in m.get("exclude") or []:
            combos = [c for c in combos if not all(str(kk) in c and c[str(kk)] == vv for kk, vv in ex.items())]
        original = [dict(c) for c in combos]
        out = [dict(c) for c in combos]
        extra = []
        for inc in m.get("include") or []:
            inc = {str(kk): vv for kk, vv in inc.items()}
            merged = False
            for orig, cur in zip(original, out):
                if all(orig[kk] == vv for kk, vv in inc.items() if kk in orig):
                    cur.update(inc)
                    merged = True
            if not merged:
                extra.append(dict(inc))
        out += extra
        if not out:
            ctx.skip(stage, "workflow: empty matrix", f"the matrix of job '{key}' has no combination", strategy,
                     "matrix")
            return None
        if len(out) > MAX_COMBINATIONS:
            ctx.skip(stage, "workflow: matrix too large", f"the matrix of job '{key}' has {len(out)} combinations "
                     f"(at most {MAX_COMBINATIONS} are expanded); the job is not imported", strategy, "matrix")
            return None
        return out

    def substitute(self, obj, combo):
        """``obj`` with each ``${{ matrix.X }}`` replaced by its value (positions kept)."""
        if isinstance(obj, str):
            if "matrix" not in obj:
                return obj

            def repl(mt):
                inner = mt.group(1).strip()
                if not re.fullmatch(r"matrix(\.[A-Za-z0-9_-]+)+", inner):
                    return mt.group(0)
                value = combo
                for part in inner.split(".")[1:]:
                    value = value.get(part) if isinstance(value, dict) else None
                text = _scalar(value) if not isinstance(value, (dict, list)) else None
                return mt.group(0) if text is None else text

            return _EXPR.sub(repl, obj)
        if isinstance(obj, dict):
            out = YDict((k, self.substitute(x, combo)) for k, x in obj.items())
            out.pos = getattr(obj, "pos", None)
            out.kpos = getattr(obj, "kpos", {})
            out.vpos = getattr(obj, "vpos", {})
            return out
        if isinstance(obj, list):
            out = YList(self.substitute(x, combo) for x in obj)
            out.pos = getattr(obj, "pos", None)
            out.ipos = getattr(obj, "ipos", [None] * len(obj))
            return out
        return obj

    def action(self, stage: Doc, key: str, job, combo, jobs) -> _Action | None:
        ctx = self.ctx
        base = importer.name(key, "job")
        if combo:
            vals = [_scalar(x) for x in combo.values() if not isinstance(x, (dict, list))]
            base = importer.name("-".join([key] + [x for x in vals if x]), "job")
        kind = "test" if _TESTISH.search(key) else "build"
        a = _Action(importer.unique(base, self.taken), kind)
        notes = a.notes
        known = {"name", "needs", "runs-on", "environment", "outputs", "env", "defaults", "if", "steps",
                 "timeout-minutes", "strategy", "continue-on-error", "container", "services", "permissions",
                 "concurrency"}
        for k in job:
            if k not in known:
                ctx.skip(notes, "workflow: job setting", f"job setting '{k}' has no .pipe equivalent", job, k)
        self.combo = combo
        if self.job_when == "always":
            ctx.skip(notes, "workflow: job runs after failures", f"job '{key}' runs even when the jobs it needs "
                     f"failed (if: {_scalar(job.get('if'))!r}); here it runs only after they succeed", job, "if")
        self.runner(a, key, job)
        self.container(a, job)
        if "services" in job:
            ctx.skip(notes, "workflow: service containers", "service containers (databases and the like beside "
                     "the job) have no CodeBuild equivalent", job, "services")
        t = job.get("timeout-minutes", GITHUB_TIMEOUT)
        if isinstance(t, int) and not isinstance(t, bool):
            if t < 5 or t > 2160:
                ctx.skip(notes, "workflow: timeout out of range", f"timeout {t} minutes is outside CodeBuild's "
                         "5 to 2160 minutes; the nearest is used", job, "timeout-minutes")
            a.timeout = f"{min(max(t, 5), 2160)}m"
        else:
            ctx.skip(notes, "workflow: timeout", f"timeout-minutes {t!r} is not a whole number of minutes; "
                     "pipec's default (60m) applies", job, "timeout-minutes")
        env = self.job_env(notes, job)
        for name, (what, value) in env.items():
            if what == "env":
                a.env[name] = value
        for name, (what, value) in env.items():
            if what == "secret":
                self.add_secret(a, name, value)
        envname = job.get("environment")
        if envname is not None:
            ename = envname.get("name") if isinstance(envname, dict) else envname
            ename = _scalar(ename) if not isinstance(ename, (dict, list)) else None
            if ename and "${{" not in ename:
                a.github.append(f"environment {v(ename)}")
                ctx.task("reviewers", f"check the protection rules (reviewers, wait timer, branches) of the GitHub "
                                      f"environment {ename}")
                ctx.skip(notes, "workflow: environment protection", f"environment '{ename}': on CodePipeline the "
                         "action runs without the environment's protection rules; add an approve action before it "
                         "if they gate a deployment", job, "environment")
            else:
                ctx.skip(notes, "workflow: environment", "the job's environment is given by an expression", job,
                         "environment")
        for k, construct, what in (("outputs", "workflow: job outputs", "job outputs (read by later jobs through "
                                    "needs.*) have no .pipe equivalent"),
                                   ("continue-on-error", "workflow: continue-on-error", "a failure of this job "
                                    "does not fail the run on GitHub; here it stops the pipeline"),
                                   ("concurrency", "workflow: job concurrency", "job-level concurrency has no "
                                    ".pipe equivalent")):
            if k in job and not (k == "continue-on-error" and job[k] is False):
                ctx.skip(notes, construct, what, job, k)
        self.current_key = key
        self.steps(a, key, job, jobs)
        if a.commands and self.job_guard is not None:
            cond = " ".join(self.job_guard.split())
            ctx.skip(a.notes, "workflow: job condition", f"job '{key}' runs only if {cond!r}, which GitHub decides "
                     "during the run: its first command fails until you decide when this action should run "
                     "(a stage via one platform, a separate pipeline, or delete the line)", job, "if")
            guard = (f"echo 'pipec import: on GitHub job {key} ran only if a condition held; decide when it runs "
                     "here (see the comment above), then delete this command' >&2 && exit 1")
            a.phase.items.insert(0, ("stmt", f"run {q(guard)}"))
            self.ctx.mapping.setdefault("guards", []).append(a.name)
        if not a.commands:
            # Keep the job's place, settings and findings, with one command that fails loudly: the
            # pipeline's shape converts, its work is left to a person (never a job that passes
            # without doing anything).
            ctx.skip(a.notes, "workflow: job with nothing to run", f"job '{key}' has no step that could be "
                     "converted; its one command fails until you replace it", jobs, key)
            a.phase.stmt("run", q(f"echo 'pipec import: job {key} of {Path(ctx.file).name} was not converted; "
                                  "see the comments above' >&2 && exit 1"))
            a.placeholder = True
            self.placeholders.add(a.name)
        if a.no_checkout:
            ctx.skip(a.notes, "workflow: job without checkout", "the job does not check the repository out "
                     "on GitHub; here it starts in a copy of the source", job, "steps")
        return a

    def drop(self, a: _Action, stage: Doc | None = None):
        self.taken.discard(a.name.lower())
        if stage is not None:
            stage.items.extend(a.notes.items)
            stage.items.extend(it for it in a.phase.items if it[0] == "comment")
        return None

    def job_env(self, notes, job) -> dict:
        env = dict(self.wf_env)
        container = job.get("container")
        env.update(self.env_values(notes, job, "env"))
        if isinstance(container, dict) and "env" in container:
            env.update(self.env_values(notes, container, "env"))
        return env

    def runner(self, a: _Action, key, job):
        ctx = self.ctx
        ro = job.get("runs-on")
        self.os = "linux"
        if isinstance(ro, str):
            labels = [ro]
        elif isinstance(ro, list) and all(isinstance(x, str) for x in ro):
            labels = list(ro)
        else:
            labels = None
        if not labels or any("${{" in x for x in labels):
            self.os = "unknown"
            ctx.skip(a.notes, "workflow: runner expression", f"runs-on {ro!r} is not a list of labels; the "
                     "default runner is used", job, "runs-on" if "runs-on" in job else None)
            a.image.append("image ubuntu")
            return
        a.image.append("image ubuntu")
        lower = [x.lower() for x in labels]
        if lower == ["ubuntu-latest"]:
            return
        a.github.append("runs_on " + " ".join(v(x) for x in labels))
        if len(lower) == 1 and lower[0].startswith("ubuntu-"):
            return
        if any(x.startswith("windows") for x in lower):
            self.os = "windows"
        elif any(x.startswith("macos") for x in lower):
            self.os = "macos"
        elif not any(x.startswith("ubuntu") for x in lower):
            self.os = "unknown"
        ctx.skip(a.notes, "workflow: non-Ubuntu runner", f"runs-on {' '.join(labels)}: the GitHub job keeps its "
                 "runner, but CodeBuild runs the commands on its Ubuntu image", job, "runs-on")

    def container(self, a: _Action, job):
        ctx = self.ctx
        c = job.get("container")
        if c is None:
            return
        image = c.get("image") if isinstance(c, dict) else c
        if not isinstance(image, str) or not image or "${{" in image:
            ctx.skip(a.notes, "workflow: container", "the job's container image is not a plain image name; the "
                     "commands run on the runner's image instead", job, "container")
            return
        a.image = [f"image docker {q(image)}"]
        if isinstance(c, dict):
            for k in c:
                if k not in ("image", "env"):
                    ctx.skip(a.notes, "workflow: container option", f"container setting '{k}' has no .pipe "
                             "equivalent", c, k)

    # ------------------------------------------------------------------ steps
    def steps(self, a: _Action, key: str, job, jobs):
        ctx = self.ctx
        steps = job["steps"]
        wf_def = self.defaults(self.data)
        job_def = self.defaults(job)
        # trailing steps that run after a failure too: the phase's finally commands
        self.sets_env = any(
            ("run" in st and "GITHUB_ENV" in (_scalar(st["run"]) or "")) or (
                isinstance(st.get("uses"), str) and st["uses"].split("@", 1)[0].strip().lower() not in _KNOWN_ACTIONS)
            for st in steps)
        finals = set()
        whens = [self.when(st, a) for st in steps]
        for i in range(len(steps) - 1, -1, -1):
            if whens[i] == "always":
                finals.add(i)
            elif whens[i] != "never":
                break
        self.upstream = self.closure(key, jobs)
        a.will_checkout = any(isinstance(st.get("uses"), str) and st["uses"].split("@", 1)[0].strip().lower()
                              == "actions/checkout" for st in steps)
        for i, step in enumerate(steps):
            try:
                self.check_when(a, step, steps, i, whens[i], i in finals)
                if whens[i] == "never":
                    continue
                if "uses" not in step and "run" not in step:
                    raise _Skip("workflow: parallel steps", "parallel step groups and waiting for or cancelling "
                                "background steps have no .pipe equivalent")
                if "uses" in step:
                    self.uses(a, step, steps, i, whens[i])
                else:
                    self.run_step(a, step, steps, i, wf_def, job_def, i in finals)
            except _Skip as exc:
                if not exc.construct:
                    a.phase.comment(f"not converted: step {i + 1}: {exc}")
                    continue
                ctx.skip(a.phase, exc.construct, f"step {i + 1}" + (f" ({step['name']})" if isinstance(
                    step.get("name"), str) else "") + f": {exc}", steps, i)
        pending = list(a.inputs_pending)
        if pending and pending[0][1] is None:
            a.inputs = [pending.pop(0)[0]]
        else:
            a.inputs = [SOURCE]
            a.no_checkout = not a.checkout
        for name, _dest in pending:
            if name in a.inputs:
                continue
            if len(a.inputs) >= MAX_INPUTS:
                ctx.skip(a.phase, "workflow: too many artifacts", f"artifact {name} would be input number "
                         f"{len(a.inputs) + 1}; CodeBuild takes {MAX_INPUTS}", job, "steps")
                continue
            a.inputs.append(name)
        if a.inputs == [SOURCE]:
            a.inputs = []

    @staticmethod
    def defaults(where) -> dict:
        d = where.get("defaults") if isinstance(where, dict) else None
        run = d.get("run") if isinstance(d, dict) else None
        return run if isinstance(run, dict) else {}

    def closure(self, key, jobs) -> set:
        out, todo = set(), [key]
        while todo:
            k = todo.pop()
            for d in self.needs_of(jobs.get(k)):
                if d not in out:
                    out.add(d)
                    todo.append(d)
        return out

    def when(self, where, a: _Action | None, job_level: bool = False):
        """When the step or job ``where`` runs: 'normal' (after the steps before it succeeded), 'always'
        (after failures too), 'never', 'failure' (only after a failure), or None (GitHub decides)."""
        cond = where.get("if")
        if cond is None:
            return "normal"
        text = _scalar(cond) if not isinstance(cond, (dict, list)) else None
        if text is None:
            return None
        text = _strip_expr(text)
        if not text:
            return "normal"

        def lookup(path):
            head = path[0].lower() if isinstance(path[0], str) else ""
            if head == "matrix" and not job_level:
                value = self.combo or {}
                for part in path[1:]:
                    if not isinstance(value, dict):
                        return None
                    value = value.get(part) if isinstance(part, str) else None
                return value
            if head == "runner" and len(path) == 2 and path[1] == "os" and not job_level:
                return {"linux": "Linux", "windows": "Windows", "macos": "macOS"}.get(self.os, UNKNOWN)
            if head == "env" and len(path) == 2 and a is not None and not job_level:
                name = path[1]
                if name in a.env:
                    return a.env[name]
                if name in a.secrets or self.sets_env:
                    return UNKNOWN
                return None
            if head == "github" and len(path) == 2:
                if path[1] == "event_name" and len(self.events) == 1:
                    return self.events[0]  # a workflow with one event: every run is that event
                if path[1] == "repository" and self.repo != PLACEHOLDER_REPO:
                    return self.repo
                if path[1] == "repository_owner" and self.owner:
                    return self.owner
            return UNKNOWN

        has_status = re.search(r"\b(success|failure|always|cancelled)\s*\(", text, re.I) is not None
        try:
            ok = _truthy(_Expr(text, lookup, {"success": True, "failure": False, "always": True,
                                              "cancelled": False}).run())
            bad = _truthy(_Expr(text, lookup, {"success": False, "failure": True, "always": True,
                                               "cancelled": False}).run()) if has_status else False
        except (ValueError, IndexError, TypeError, RecursionError):
            return None
        if ok is UNKNOWN or bad is UNKNOWN:
            return None
        return {(True, False): "normal", (True, True): "always", (False, False): "never",
                (False, True): "failure"}[(ok, bad)]

    def run_step(self, a: _Action, step, steps, i, wf_def, job_def, final: bool):
        ctx = self.ctx
        for k in step:
            if k not in ("run", "name", "id", "if", "env", "shell", "working-directory", "continue-on-error",
                         "timeout-minutes"):
                raise _Skip("workflow: step setting", f"step setting '{k}' has no .pipe equivalent")
        if step.get("continue-on-error") not in (None, False):
            raise _Skip("workflow: continue-on-error", "the step may fail without failing the job on GitHub")
        if "timeout-minutes" in step:
            ctx.skip(a.phase, "workflow: step timeout", f"step {i + 1} has its own timeout; only the action's "
                     "timeout applies", steps, i)
        shell = step.get("shell", job_def.get("shell", wf_def.get("shell")))
        if shell is None:
            if self.os == "windows":
                if a.windows_reported:
                    raise _Skip("", "PowerShell step (see above)")
                a.windows_reported = True
                raise _Skip("workflow: non-bash shell", "on a Windows runner the default shell is PowerShell: "
                            "this step and the job's other run steps without 'shell: bash' are not converted")
            pipefail = False
        elif shell == "bash":
            pipefail = True
        elif shell == "sh":
            pipefail = False
        else:
            raise _Skip("workflow: non-bash shell", f"shell {shell!r}: pipec commands run in bash")
        wd = step.get("working-directory", job_def.get("working-directory", wf_def.get("working-directory")))
        wd = _scalar(wd) if wd is not None and not isinstance(wd, (dict, list)) else wd
        if wd is not None and (not isinstance(wd, str) or "${{" in wd):
            raise _Skip("workflow: working-directory expression", f"working-directory {wd!r} is not a plain path")
        env_lines = []
        senv = step.get("env")
        if senv is not None:
            if not isinstance(senv, dict):
                raise _Skip("workflow: env expression", "the step's env is an expression")
            for name, value in senv.items():
                name = str(name)
                if not _SHELL_NAME.fullmatch(name):
                    raise _Skip("workflow: env name", f"'{name}' cannot be a shell variable")
                text = _scalar(value)
                if text is None:
                    raise _Skip("workflow: env expression", f"env {name} is not a plain value")
                env_lines.append(f"export {name}={self.shell_value(a, text, name)}")
        body = _scalar(step["run"]).replace("\r\n", "\n").replace("\r", "\n")
        body = self.expressions(a, body)
        if RUNNER_FILES.search(body):
            raise _Skip("workflow: GitHub runner file", "the step writes to a GitHub runner file "
                        f"(${RUNNER_FILES.search(body).group(1)}: outputs, env or PATH for later steps, or the job "
                        "summary), which CodeBuild does not have")
        used = {m.group(1) for m in GITHUB_ONLY_VARS.finditer(body + "\n".join(env_lines))}
        used -= set(a.env) | set(a.secrets)
        if used:
            ctx.skip(a.phase, "workflow: GitHub-only context in a command", f"step {i + 1} reads "
                     f"{', '.join(sorted(used))}, which GitHub sets and CodeBuild does not", steps, i)
        if '"""' in body or any('"""' in x for x in env_lines) or (wd and '"""' in wd):
            raise _Skip("workflow: script with triple quotes", 'the script holds """, which a .pipe script cannot')
        lines = body.split("\n")
        real = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        if not real:
            return
        if any(ln != ln.rstrip() and ln.rstrip().endswith("\\") for ln in lines):
            raise _Skip("workflow: script whitespace", "a line ends with a backslash and spaces, which a .pipe "
                        "script would drop")
        out: list[tuple[str, bool]]
        if not env_lines and wd in (None, "", ".") and all(
                _simple(ln, pipefail, ln is real[-1]) for ln in real):
            out = [(ln.strip(), False) for ln in real]
        else:
            head = ["(", "set -eo pipefail" if pipefail else "set -e"]
            if wd not in (None, "", "."):
                head.append(f"cd {shlex.quote(wd)}")
            script = "\n".join(head + env_lines + [ln.rstrip() for ln in body.rstrip("\n").split("\n")] + [")"])
            out = [(script, True)]
        for text, script in out:
            src = '"""\n' + text + '\n"""' if script else q(text)
            if final:
                a.final.append(src)
            else:
                a.phase.stmt("run", src)
            a.commands += 1
        # for the round trip (bench/roundtrip.py): which run steps became this action's commands
        ctx.mapping.setdefault("steps", {}).setdefault(a.name, []).append([i, final])
        if self.git_where is None and a.checkout and git_used(body):
            self.git_where = (steps, i)

    def shell_value(self, a: _Action, text: str, name: str) -> str:
        """``text`` (with expressions) as one shell word."""
        parts = []
        pos = 0
        for m in _EXPR.finditer(text):
            if m.start() > pos:
                parts.append(shlex.quote(text[pos:m.start()]))
            parts.append('"${' + self.variable_of(a, m.group(1).strip(), name) + '}"')
            pos = m.end()
        if pos < len(text) or not parts:
            parts.append(shlex.quote(text[pos:]))
        return "".join(parts)

    def variable_of(self, a: _Action, inner: str, env_name: str | None = None) -> str:
        """The shell variable that holds expression ``inner`` in ``a``, or _Skip."""
        if not _PATH.fullmatch(inner):
            raise _Skip("workflow: expression in a command", f"the expression '{inner}' is computed by GitHub")
        parts = inner.split(".")
        head = parts[0]
        if head == "env" and len(parts) == 2 and _SHELL_NAME.fullmatch(parts[1]):
            return parts[1]
        if head == "secrets" and len(parts) == 2 and _SHELL_NAME.fullmatch(parts[1]):
            return self.add_secret(a, env_name if env_name and env_name not in a.env else parts[1], parts[1])
        if inner == "github.token":
            return self.add_secret(a, "GITHUB_TOKEN", "GITHUB_TOKEN")
        name = None
        if head == "inputs" and len(parts) == 2:
            name = parts[1]
        elif parts[:3] == ["github", "event", "inputs"] and len(parts) == 4:
            name = parts[3]
        if name is not None:
            if name not in self.variables:
                raise _Skip("workflow: expression in a command", f"'{inner}' is not a workflow_dispatch input "
                            "with a pipeline variable")
            if self.other_triggers and not self.inputs_used:
                self.inputs_used = True
                self.ctx.skip(self.doc, "workflow: input outside manual runs", "commands read dispatch inputs: "
                              "GitHub leaves them empty in runs started by other events, pipeline variables "
                              "keep their defaults", self.data, "on")
            return name
        if inner in GITHUB_VARS:
            return GITHUB_VARS[inner]
        raise _Skip("workflow: expression in a command", f"the expression '{inner}' is computed by GitHub")

    def expressions(self, a: _Action, body: str) -> str:
        out = []
        pos = 0
        for m in _EXPR.finditer(body):
            inner = m.group(1).strip()
            prefix = body[pos:m.start()]
            out.append(prefix)
            var = self.variable_of(a, inner)
            if self.in_single_quotes("".join(out)):
                raise _Skip("workflow: expression in single quotes", f"'{inner}' is inside single quotes, where "
                            "a shell variable would not expand")
            out.append("${" + var + "}")
            pos = m.end()
        out.append(body[pos:])
        return "".join(out)

    @staticmethod
    def in_single_quotes(text: str) -> bool:
        quote = None
        i = 0
        while i < len(text):
            c = text[i]
            if quote == "'":
                if c == "'":
                    quote = None
            elif c == "\\":
                i += 1
            elif quote == '"':
                if c == '"':
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "#" and (i == 0 or text[i - 1] in " \t\n"):
                nl = text.find("\n", i)
                if nl == -1:
                    return False
                i = nl
            i += 1
        return quote == "'"

    # ------------------------------------------------------------------ uses steps
    def check_when(self, a: _Action, step, steps, i, when, final):
        cond = step.get("if")
        if when is None:
            raise _Skip("workflow: step condition", f"runs only if {_scalar(cond)!r}, which GitHub decides "
                        "during the run; commands have no conditions")
        if when == "failure":
            raise _Skip("workflow: failure() step", f"runs only after a failure (if: {_scalar(cond)!r})")
        if when == "always" and not final and "run" in step:
            self.ctx.skip(a.phase, "workflow: always() step", f"step {i + 1} runs after failures too on GitHub "
                          f"(if: {_scalar(cond)!r}); here it runs only when the steps before it succeeded",
                          steps, i)

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
            self.aws_credentials(step, with_)
        else:
            raise _Skip("workflow: third-party action", f"{uses} is an action pipec does not translate "
                        "(its commands must be written out)")

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
            raise _Skip("workflow: runtime version", f"{action} without '{key}' (a version file or the default "
                        "version) gives no runtime version")
        text = _scalar(version) if not isinstance(version, (dict, list)) else None
        if not text or "${{" in text or "\n" in text.strip() or not re.fullmatch(r"v?[0-9]+(\.[0-9x]+)*", text):
            raise _Skip("workflow: runtime version", f"{action} version {version!r} is not one version number")
        text = text.lstrip("v")
        while text.endswith(".x"):
            text = text[:-2]
        if runtime == "java":
            dist = with_.get("distribution")
            if dist != "corretto":
                ctx.skip(a.phase, "workflow: Java distribution", f"Java distribution {dist!r}: CodeBuild's Java "
                         "runtimes are Amazon Corretto", with_, "distribution" if "distribution" in with_ else key)
            text = "corretto" + text
        if runtime in a.runtimes and a.runtimes[runtime] != text:
            raise _Skip("workflow: runtime version", f"a second {runtime} version ({text}); one per action")
        a.runtimes[runtime] = text

    def cache(self, a: _Action, step, with_, steps, i):
        ctx = self.ctx
        paths = _as_list(with_.get("path"))
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
        gh_name = _scalar(with_.get("name", "artifact"))
        if not gh_name or "${{" in gh_name:
            raise _Skip("workflow: artifact name", f"artifact name {with_.get('name')!r} is computed by GitHub")
        paths = _as_list(with_.get("path"))
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
            gh = _scalar(name)
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

    def aws_credentials(self, step, with_):
        ctx = self.ctx
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
        elif region is not None:
            self.region_unknown = True


def git_used(body: str) -> bool:
    return re.search(r"(^|[\s;&|(`])git\s", body) is not None


# ----------------------------------------------------------------------------- expressions


class _Unknown:
    """A value only GitHub knows when the run happens."""

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()
_TOKEN = re.compile(r"\s*(?:(?P<num>-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?))|"
                    r"(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.*])|"
                    r"(?P<id>[A-Za-z_][A-Za-z0-9_-]*))")
_STATUS = ("success", "failure", "always", "cancelled")


def _truthy(x):
    if x is UNKNOWN:
        return UNKNOWN
    return not (x is None or x is False or x == "" or (isinstance(x, (int, float)) and not isinstance(x, bool)
                                                         and (x == 0 or x != x)))


def _number(x):
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if x is None:
        return 0.0
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        s = x.strip()
        if not s:
            return 0.0
        try:
            return float(int(s, 16)) if s.lower().startswith("0x") else float(s)
        except ValueError:
            return float("nan")
    return float("nan")


def _compare(op, a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        result = a is b if op in ("==", "!=") else False
        return result if op == "==" else (not result if op == "!=" else False)
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.lower(), b.lower()
    elif type(a) is type(b) and not isinstance(a, str):
        x, y = (_number(a), _number(b)) if not (a is None) else (0, 0)
    else:
        x, y = _number(a), _number(b)
    if op == "==":
        return x == y
    if op == "!=":
        return not x == y
    try:
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
    except TypeError:
        return False


class _Expr:
    """GitHub's expression language, evaluated where the values are known; UNKNOWN elsewhere."""

    def __init__(self, text: str, lookup, status: dict):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot read {text[pos:pos + 20]!r}")
            pos = m.end()
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
            rest = text[pos:]
            if not rest.strip():
                break
        self.i = 0
        self.lookup = lookup
        self.status = status

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}")
        self.i += 1
        return tok

    def run(self):
        out = self.or_()
        if self.i != len(self.toks):
            raise ValueError("trailing text")
        return out

    def or_(self):
        a = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            b = self.and_()
            ta = _truthy(a)
            if ta is True:
                continue
            if ta is False:
                a = b
            else:
                a = True if _truthy(b) is True else UNKNOWN
        return a

    def and_(self):
        a = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            b = self.unary()
            ta = _truthy(a)
            if ta is False:
                continue
            if ta is True:
                a = b
            else:
                a = False if _truthy(b) is False else UNKNOWN
        return a

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            t = _truthy(self.unary())
            return UNKNOWN if t is UNKNOWN else not t
        return self.cmp()

    def cmp(self):
        a = self.primary()
        kind, tok = self.peek()
        if kind == "op" and tok in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return _compare(tok, a, self.primary())
        return a

    def primary(self):
        kind, tok = self.take()
        if kind == "num":
            return float(int(tok, 16)) if "x" in tok.lower() else float(tok)
        if kind == "str":
            return tok[1:-1].replace("''", "'")
        if kind == "op" and tok == "(":
            out = self.or_()
            self.take(")")
            return out
        if kind != "id":
            raise ValueError(f"unexpected {tok!r}")
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
                elif self.peek() != ("op", ")"):
                    raise ValueError("bad arguments")
            self.take(")")
            return self.call(tok.lower(), args)
        path = [tok]
        while True:
            if self.peek() == ("op", "."):
                self.take()
                k, t = self.take()
                if k not in ("id", "op") or (k == "op" and t != "*"):
                    raise ValueError("bad property")
                path.append(t)
            elif self.peek() == ("op", "["):
                self.take()
                idx = self.or_()
                self.take("]")
                path.append(idx)
            else:
                break
        return self.lookup(path)

    def call(self, name, args):
        if name in _STATUS:
            return self.status[name]
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if name in ("contains", "startswith", "endswith") and len(args) == 2:
            hay, needle = args
            if name == "contains" and isinstance(hay, list):
                return any(_compare("==", x, needle) is True for x in hay)
            h, n = (_scalar(hay) or "").lower(), (_scalar(needle) or "").lower()
            return n in h if name == "contains" else h.startswith(n) if name == "startswith" else h.endswith(n)
        return UNKNOWN
