"""A ``run`` step's ``shell:`` that is bash with options, and ``continue-on-error: true``, as the
``set`` line of the subshell that the step becomes (:mod:`.commands`).

GitHub runs a step's script as a file with the shell's command, ``{0}`` standing for the file:
``bash`` is ``bash --noprofile --norc -eo pipefail {0}``, no shell on Linux ``bash -e {0}``,
``sh`` ``sh -e {0}``, and any other value is a custom shell run as written (GitHub's workflow
syntax, ``jobs.<job_id>.steps[*].shell``). A custom shell that is bash with options, such as
``bash {0}`` (no -e: only the script's last command decides the step's status) or
``bash --noprofile --norc -exo pipefail {0}`` (the commands traced in the log), runs the script
as pipec's subshell does after one ``set`` line with the same options: ``--noprofile`` and
``--norc`` change nothing in a non-interactive shell that is not a login shell (bash reads no
start-up file then, except ``$BASH_ENV``, which neither runner sets). A login shell (``-l``,
``--login``), other long options, ``-c`` or a script that is not ``{0}`` are not bash with
options: they stay findings. ``-v`` (each line echoed as bash reads it) changes only the log, and a
``set -v`` inside the subshell would echo nothing: it is left out, with a finding. Under ``-u`` an
expression's variable is read as ``${NAME-}`` (:func:`nounset`).

``continue-on-error: true``: the step may fail without failing the job (GitHub: the step's
conclusion is success, later steps run as if it had succeeded). The step's subshell runs inside
one more subshell that turns -e off and ends with status 0 (:func:`tolerate`); not ``... ||
true``, under which bash ignores the inner -e and would run the step's commands after a failure.
A ``uses`` step that becomes one command (``actions-rs/cargo``) is that command ``|| true``; the
other actions' mappings are not commands that may fail alone: their ``continue-on-error`` is a
finding (:meth:`.actions.Actions.uses`).

A PowerShell step's own ``env`` in an ``os windows`` build (:func:`powershell_env`): GitHub sets
the variables in the environment of that step's process only. The step's script runs after
lines that set each one (``$env:NAME``, the process environment its programs inherit) and inside
``try`` ... ``finally``, whose ``finally`` puts back what each held before (``$null`` removes a
variable that was unset), so no later command sees them whether or not the platform runs the
build's commands in one PowerShell session. ``try`` and ``finally`` change neither the script's
errors (a terminating error still ends it, after ``finally``) nor its exit code; a script that
must start with ``param``, ``using``, ``#requires`` or ``[CmdletBinding()]`` cannot be wrapped
and stays a finding (:func:`powershell_wrappable`).
"""

from __future__ import annotations

import re
import shlex

from pipec.targets.github.imports.common import _SHELL_NAME, _scalar

#: one-letter options whose effect a ``set`` line inside the subshell has the same way
_SET_LETTERS = {"e", "u", "x"}
#: ``-v`` echoes each line as bash reads it: the log's alone, and a ``set -v`` inside the subshell
#: echoes nothing (bash has read the whole ``( ... )`` before it runs it), so it is left out of the
#: set line and said (:func:`verbose`)
_LOG_LETTERS = {"v"}
_IGNORED_LONG = {"--noprofile", "--norc"}


def _options(shell: str) -> tuple[set[str], set[str]] | None:
    """The one-letter options and ``-o`` names of a custom ``shell:`` that is bash with options."""
    try:
        words = shlex.split(shell)
    except ValueError:
        return None
    if len(words) < 2 or words[0] not in ("bash", "/bin/bash", "/usr/bin/bash") or words[-1] != "{0}":
        return None
    letters: set[str] = set()
    options: set[str] = set()
    rest = words[1:-1]
    i = 0
    while i < len(rest):
        w = rest[i]
        if w in _IGNORED_LONG:
            i += 1
            continue
        if not w.startswith("-") or w.startswith("--") or len(w) < 2:
            return None
        for n, ch in enumerate(w[1:]):
            if ch == "o":  # -o NAME: the next word (only as the last letter of its group)
                if n != len(w) - 2 or i + 1 >= len(rest) or rest[i + 1] != "pipefail":
                    return None
                options.add("pipefail")
                i += 1
            elif ch in _SET_LETTERS | _LOG_LETTERS:
                letters.add(ch)
            else:
                return None
        i += 1
    return letters, options


def bash_options(shell: str) -> tuple[bool, bool, str] | None:
    """``(errexit, pipefail, set line)`` of a custom ``shell:`` that is bash with options, or None.

    ``bash {0}`` -> ``(False, False, "set +e")``; ``bash -exo pipefail {0}`` ->
    ``(True, True, "set -eo pipefail -x")``."""
    parsed = _options(shell)
    if parsed is None:
        return None
    letters, options = parsed
    errexit, pipefail = "e" in letters, "pipefail" in options
    head = ("set -eo pipefail" if pipefail else "set -e") if errexit else \
        ("set +e -o pipefail" if pipefail else "set +e")
    extra = "".join(sorted(letters - {"e"} - _LOG_LETTERS))
    return errexit, pipefail, head + (f" -{extra}" if extra else "")


def nounset(shell: str) -> bool:
    """Whether a ``shell:`` that is bash with options has ``-u``: GitHub writes an expression's
    value into the script (an empty string for a value that is not set), so the variable that
    stands for it here is read as ``${NAME-}``, which -u does not refuse when it is unset."""
    parsed = _options(shell)
    return parsed is not None and "u" in parsed[0]


def verbose(shell: str) -> bool:
    """Whether a ``shell:`` that is bash with options has ``-v``, whose echo of the script's lines
    in the log the subshell does not keep."""
    parsed = _options(shell)
    return parsed is not None and bool(parsed[0] & _LOG_LETTERS)


def continue_on_error(step: dict) -> bool | None:
    """A step's ``continue-on-error``: True for ``true``, False when absent or ``false``, None when
    an expression decides it during the run."""
    coe = step.get("continue-on-error")
    text = coe.strip() if isinstance(coe, str) else coe
    if text in (None, False, "false"):
        return False
    return True if text in (True, "true") else None


def tolerate(script: str) -> str:
    """The subshell ``script`` (``(`` ... ``)``) run so that its failure does not fail the build."""
    return "\n".join(["(", "set +e", script, "exit 0", ")"])


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: what must be at the start of a PowerShell script, which a ``try`` around it would move
_PS_SCRIPT_START = re.compile(r"(?im)^\s*(param\s*\(|using\s+(namespace|module|assembly)\b|#requires\b|\[CmdletBinding\b)")


def powershell_wrappable(script: str) -> bool:
    """Whether ``script`` may run inside ``try { }`` (:func:`powershell_env`)."""
    return _PS_SCRIPT_START.search(script) is None


def powershell_env(env: dict[str, str], script: str) -> str:
    """``script`` run with the variables ``env`` in its process environment, each put back as it
    was when it ends (see the module's docstring)."""
    from pipec.targets.escape import powershell_string

    names = list(env)
    lines = [f"$pipec_env_{n} = $env:{n}" for n in names]
    lines += [f"$env:{n} = {powershell_string(env[n])}" for n in names]
    lines += ["try {", script, "} finally {"]
    lines += [f"  $env:{n} = $pipec_env_{n}" for n in names]
    lines.append("}")
    return "\n".join(lines)


def windows_step_env(step) -> dict[str, str] | None:
    """A PowerShell step's own ``env`` as names and plain values (``{}`` without one), or None
    when a name is not a variable name or a value is an expression, a mapping or holds a control
    character or three double quotes, which would end the ``.pipe`` script block."""
    env = step.get("env")
    if env is None:
        return {}
    if not isinstance(env, dict):
        return None
    out = {}
    for name, value in env.items():
        text = _scalar(value) if not isinstance(value, (dict, list)) else None
        if not _SHELL_NAME.fullmatch(str(name)) or text is None or "${{" in text or '"""' in text \
                or _CONTROL_CHARS.search(text):
            return None
        out[str(name)] = text
    return out
