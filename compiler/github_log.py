"""What a GitHub Actions job log looks like, and what pipec's own build step prints into it: the
one place ``pipec why`` (reading real logs) and ``pipec simulate`` (writing simulated ones) take
these formats from.

**The runner's lines.** A ``run`` step's log opens with a group that repeats the step's script:
``##[group]Run FIRST-LINE``, every line of the script (in bright cyan: ``ESC[36;1m...ESC[0m``),
``shell: /usr/bin/bash ...`` and the step's ``env:``, then ``##[endgroup]``; then what the script
prints; a step whose script exits non-zero ends with ``##[error]Process completed with exit code
N.`` (actions/runner, src/Runner.Worker/Handlers/ScriptHandler.cs, ``PrintActionDetails`` and
``RunAsync``). Workflow commands a script echoes (``::group::NAME``, ``::endgroup::``,
``::error::MESSAGE``) appear in the log as ``##[group]NAME``, ``##[endgroup]`` and
``##[error]MESSAGE`` (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands,
"Grouping log lines", "Setting an error message").

**Prefixes.** A log downloaded from the web page or the REST API (one file per job and step in the
run's log archive) starts every line with the time it was written, ``2026-01-02T03:04:05.1234567Z ``
(.NET's round-trip "O" format in UTC: actions/runner, src/Runner.Common/Logging.cs,
``PagingLogger.Write``). ``gh run view --log`` and ``--log-failed`` print each line after
``JOB<TAB>STEP<TAB>`` (cli/cli, pkg/cmd/run/view, ``displayRunLog``: ``fmt.Sprintf("%s\\t%s\\t",
job.Name, step.Name)``, before the archive's own timestamped line; the manual says a line it
cannot place has the step ``UNKNOWN STEP``).
:func:`lines` takes both off, and the colour codes.

**pipec's phases step** (targets/github/phases.py, ``PHASES_PRELUDE``) runs every phase of a build
in one bash process, without ``set -x``: commands are not echoed. Each phase that runs prints
``::group::PHASE`` ... ``::endgroup::``; a phase that failed then prints
``::error::`` :data:`PHASE_FAILED`. That is what a real log tells about which command failed: the
job, the phase and the exit status (and the command's own error output, which often names the
command or, for bash's own errors, the line of the script). tests/test_why.py checks that the
prelude prints exactly :data:`PHASE_FAILED`: when the build step changes, change it here.
"""

from __future__ import annotations

import re

#: the message pipec's phases step prints with ``::error::`` when a phase failed
PHASE_FAILED = "Phase {phase} failed with exit status {status}"
#: the id of the build job's step that runs the phases (its header names it in the log)
PHASES_STEP_ID = "phases"
#: the id of a deploy job's step that deploys (an ECS rolling update waits for its rollout there)
DEPLOY_STEP_ID = "deploy"
PROCESS_FAILED = "##[error]Process completed with exit code {status}."

_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
#: gh's prefix, recognised only before a timestamp (gh prints the archive's lines, which have one),
#: so that a tab in a plain log's own text is not taken for it
_GH_PREFIX = re.compile(r"^(?P<job>[^\t\n]*)\t(?P<step>[^\t\n]*)\t(?=\ufeff?\d{4}-\d\d-\d\dT)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PHASE_FAILED = re.compile(r"(?:##\[error\]|::error(?: [^:]*)?::)" +
                           re.escape(PHASE_FAILED).replace(r"\{phase\}", r"(?P<phase>[a-z_]+)")
                           .replace(r"\{status\}", r"(?P<status>\d+)"))
_PROCESS_FAILED = re.compile(r"##\[error\]Process completed with exit code (?P<status>\d+)\.?")
_GROUP = re.compile(r"^(?:##\[group\]|::group::)(?P<name>.*)$")
_ENDGROUP = re.compile(r"^(?:##\[endgroup\]|::endgroup::)\s*$")


def lines(log: str) -> list[tuple[str | None, str]]:
    """(job, text) for each line of ``log``: the ``gh run view --log`` prefix and the timestamp
    taken off (job: the prefix's job name, None without one), colour codes removed."""
    out = []
    for raw in log.splitlines():
        job = None
        m = _GH_PREFIX.match(raw)
        if m:
            job, raw = m["job"], raw[m.end():]
        raw = _TIMESTAMP.sub("", raw, count=1)
        out.append((job, _ANSI.sub("", raw)))
    return out


def plain(log: str) -> str:
    """``log`` with every line's prefixes and colour codes taken off (:func:`lines`)."""
    return "\n".join(text for _job, text in lines(log))


def action_of_job(name: str) -> str:
    """The action a job name stands for: pipec names a build job ``STAGE / ACTION`` (its id is the
    action's name), and ``gh`` prints the name."""
    return name.rsplit(" / ", 1)[-1].strip()


class PhaseFailure:
    """A failed phase in a GitHub job log: the job (None when the log does not say), the phase,
    the exit status, the phase's output lines and the script the step header repeated."""

    def __init__(self, job, phase, status, output, script, evidence):
        self.job, self.phase, self.status = job, phase, status
        self.output, self.script, self.evidence = output, script, evidence


def phase_failures(log: str) -> list[PhaseFailure]:
    """Each ``Phase X failed with exit status N`` line pipec's phases step printed, with the lines
    its phase group printed before it and the script of the step header it ran in."""
    out = []
    job_seen = None
    script: list[str] = []
    in_header: str | None = None
    group: str | None = None
    output: list[str] = []
    for job, text in lines(log):
        job_seen = job if job is not None else job_seen
        g = _GROUP.match(text)
        if g and g["name"].startswith("Run "):
            in_header, script = "script", []
            continue
        if in_header:  # the script's lines, then shell: and env: (ScriptHandler.PrintActionDetails)
            if _ENDGROUP.match(text):
                in_header = None
            elif text.startswith("shell: "):
                in_header = "settings"
            elif in_header == "script":
                script.append(text)
            continue
        if g:
            group, output = g["name"], []
            continue
        if _ENDGROUP.match(text):
            continue
        m = _PHASE_FAILED.search(text)
        if m:
            out.append(PhaseFailure(job_seen, m["phase"], m["status"], list(output), list(script), text.strip()))
            continue
        if group is not None:
            output.append(text)
    return out


def step_failures(log: str) -> list[tuple[str | None, list[str], str, str]]:
    """(job, the failed step's script as its header repeats it, exit status, the line) for each
    ``Process completed with exit code N``: a build job written one step a command
    (targets/github/phases.py) runs each command as the whole script of its step."""
    out = []
    job_seen = None
    script: list[str] = []
    in_header: str | None = None
    for job, text in lines(log):
        job_seen = job if job is not None else job_seen
        g = _GROUP.match(text)
        if g and g["name"].startswith("Run "):
            in_header, script = "script", []
            continue
        if in_header:
            if _ENDGROUP.match(text):
                in_header = None
            elif text.startswith("shell: "):
                in_header = "settings"
            elif in_header == "script" and not text.startswith("# pipec:"):
                script.append(text)
            continue
        m = _PROCESS_FAILED.search(text)
        if m:
            out.append((job_seen, list(script), m["status"], text.strip()))
    return out


def process_failed(log: str) -> list[tuple[str, int]]:
    """(exit status, offset in :func:`plain` text) of each ``Process completed with exit code N``."""
    return [(m["status"], m.start()) for m in _PROCESS_FAILED.finditer(plain(log))]


def shell_line(shell: str | None) -> str:
    """The ``shell:`` line the runner prints for a step's ``shell`` on an Ubuntu runner: the program
    as ``which`` finds it (bash is /usr/bin/bash), then its arguments; no ``shell`` is bash with
    ``-e {0}`` (ScriptHandler: the default ``sh`` format, run by bash when bash is there)."""
    if not shell:
        return "shell: /usr/bin/bash -e {0}"
    program, _, args = shell.partition(" ")
    path = {"bash": "/usr/bin/bash", "sh": "/usr/bin/sh", "python": "/usr/bin/python"}.get(program, program)
    return f"shell: {path} {args or '-e {0}'}"


def step_header(step: dict | None) -> list[str]:
    """The lines a ``run`` step's log opens with, for a simulated log (``step``: the step as the
    generated workflow has it; None when pipec could not generate it). The runner repeats the
    whole script there; the simulation says how long it is instead. The runner prints ``env``
    values evaluated; one that is a ``${{ }}`` expression depends on the run, and the simulation
    names it rather than print the expression as if it were the value."""
    script = (step or {}).get("run") or ""
    first = script.lstrip(" \t\r\n").split("\n", 1)[0]
    lines = script.splitlines()
    out = [f"##[group]Run {first}" if first else "##[group]Run ...",
           lines[0] if len(lines) == 1 else
           f"# pipec: the runner repeats the step's script here ({len(lines)} lines; 'pipec build' writes it)",
           shell_line((step or {}).get("shell"))]
    env = (step or {}).get("env") or {}
    plain = {k: v for k, v in env.items() if "${{" not in str(v)}
    if plain:
        out.append("env:")
        out += [f"  {k}: {v}" for k, v in plain.items()]
    evaluated = [k for k in env if k not in plain]
    if evaluated:  # the runner prints their values, which depend on the run: not simulated
        out.append(f"# pipec: the runner also prints {', '.join(evaluated)}, evaluated from the workflow's expressions "
                   "for this run")
    return out + ["##[endgroup]"]


#: what the runner prints when a job runs past its ``timeout-minutes`` and GitHub cancels it
#: (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax,
#: ``jobs.<job_id>.timeout-minutes``: "before GitHub automatically cancels it"; the message as
#: lowlighter/metrics issue 731 quotes it, the runner's name as on GitHub-hosted runners)
JOB_TIMED_OUT = "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of {minutes} minutes."

#: what pipec's ECS rolling-update step prints when the deployment circuit breaker stops the new
#: task definition, and when the service was rolled back (targets/github/waits.py, ECS_ROLLOUT)
ECS_ROLLOUT_FAILED = "the deployment of {new} to service {service} failed"
ECS_ROLLED_BACK = "service {service} was rolled back to {taskdef}"
