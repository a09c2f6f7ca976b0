"""GitHub's runner files, written by a ``run`` step, as the shell statements they stand for
(issue 25 item 4).

GitHub's workflow commands (docs.github.com, "Workflow commands for GitHub Actions"):

- ``echo "{name}={value}" >> "$GITHUB_ENV"`` "Creates or updates an environment variable for any
  steps running next in a job. The step that creates or updates the environment variable does
  not have access to the new value, but all subsequent steps in a job will have access."
- ``echo "{path}" >> "$GITHUB_PATH"`` "Prepends a directory to the system PATH variable and makes
  it available to all subsequent actions in the current job; the currently running action
  cannot access the updated path variable."
- ``echo "{name}={value}" >> "$GITHUB_OUTPUT"`` sets the output ``name`` of the step, which later
  steps of the job read as ``${{ steps.<id>.outputs.<name> }}``.

The commands of a ``.pipe`` phase share one shell on both platforms, so such a line becomes
``export NAME="VALUE"``, ``export PATH="DIR:$PATH"`` or ``export STEPS_<ID>_<NAME>="VALUE"``
(the variable that ``${{ steps.<id>.outputs.<name> }}`` then reads), with the same quoting, so
the shell expands the value exactly as it expanded the ``echo`` argument; ``export``, like
``echo``, succeeds even when a command substitution in the value fails (a plain assignment would
fail the command). An output is thus also in the environment of later commands, which GitHub's
outputs are not (a name no program reads: ``STEPS_...``). That is exact when the
line is its own command: each line of the step is a simple command (:func:`.commands._simple`),
and no later line of the same step reads the new value (GitHub's step does not see it; here it
would). Anything else (``printf``, ``tee``, the ``NAME<<DELIMITER`` form for several lines,
``$GITHUB_STATE`` and ``$GITHUB_STEP_SUMMARY``) stays a finding. A value whose command
substitution prints several lines is an invalid entry on GitHub and a multi-line value here.

The workflow command ``echo "::set-output name={name}::{value}"`` (GitHub's changelog of
2022-10-11, "Deprecating save-state and set-output commands", gives ``echo "{name}={value}" >>
$GITHUB_OUTPUT`` as its replacement) is read as that replacement, under the same conditions: one
echo of one double- or single-quoted word, or of plain words without expansions, as its own
command. The runner decodes ``%0D``, ``%0A`` and ``%25`` in the value, in that order (its
ActionCommand.UnescapeData, a plain replace of each), and stops at the line's end. A value with no
expansion is decoded here the same way (:func:`_set_output_value`): ``a%0Ab`` is the two lines
``$'a\nb'``. A value with an expansion and a ``%`` in its text is not mapped (the runner decodes
the expanded text); one whose expansion prints those or several lines is not the same here (as a
multi-line value above).

A step that cannot be split into commands (it sets variables, changes directory, has its own
``env``: a script in a subshell) keeps its lines as they are, and the runner files are emulated
with files of the build's own (:func:`emulated`): a first command makes a folder, the subshell
exports ``GITHUB_ENV``, ``GITHUB_OUTPUT`` and ``GITHUB_PATH`` naming files in it, and commands after
it read them as the runner does after a step: each ``NAME=VALUE`` line of the env file is exported
(``export "$line"`` splits at the first ``=``, as GitHub does), each line of the path file is put in
front of ``PATH``, and each output the workflow reads is exported as ``STEPS_<ID>_<NAME>`` (the
last value written). The ``NAME<<DELIMITER`` form, ``$GITHUB_STATE`` and ``$GITHUB_STEP_SUMMARY``
stay findings.
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: one echo of one word (double-quoted, single-quoted, or plain) appended to a runner file
_WRITE = re.compile(
    r"""echo\s+(?:"(?P<dq>[^"`]*)"|'(?P<sq>[^']*)'|(?P<plain>[A-Za-z0-9_./:@%+,=-]+))\s*>>\s*"""
    r"""(?:"\$\{?(?P<f1>GITHUB_ENV|GITHUB_PATH|GITHUB_OUTPUT)\}?"|\$\{?(?P<f2>GITHUB_ENV|GITHUB_PATH|GITHUB_OUTPUT)\}?)""")


#: the deprecated stdout command that sets a step output (its replacement is a GITHUB_OUTPUT write)
_SET_OUTPUT = re.compile(
    r"""echo\s+(?:"::set-output name=(?P<n1>[A-Za-z_][A-Za-z0-9_-]*)::(?P<dq>[^"`]*)"|"""
    r"""'::set-output name=(?P<n2>[A-Za-z_][A-Za-z0-9_-]*)::(?P<sq>[^']*)'|"""
    r"""::set-output\s+name=(?P<n3>[A-Za-z_][A-Za-z0-9_-]*)::(?P<plain>[A-Za-z0-9_./:@%+,=-]*))""")
SET_OUTPUT = re.compile(r"::set-output\b")


def output_variable(step_id: str, name: str) -> str:
    """The shell variable that holds output ``name`` of step ``step_id``."""
    return re.sub(r"[^A-Za-z0-9]", "_", f"STEPS_{step_id}_{name}").upper()


def _quoted(value: str, how: str) -> str:
    return {"dq": f'"{value}"', "sq": f"'{value}'", "plain": value}[how]


def _set_output_value(word: str, how: str) -> str | None:
    """The shell word of a ``::set-output`` value ``word`` (quoted ``how``) after the runner's
    decoding of ``%0D``, ``%0A`` and ``%25``; None when the value holds a ``%`` and an expansion
    (or, in double quotes, a backslash), whose decoded text is only known during the run."""
    if "%" not in word:
        return _quoted(word, how)
    if how == "dq" and re.search(r"[$`\\]", word):
        return None
    text = word.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    if "\r" in text or "\n" in text:
        escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return f"$'{escaped}'"
    return "'" + text.replace("'", "'\\''") + "'"


def statements(lines: list[str], step_id: str | None) -> dict[int, tuple[str, str | None]] | None:
    """For each line of ``lines`` (a step's non-blank, non-comment lines) that writes a runner
    file: its index -> (the statement it becomes, the output name it sets or None). None when
    one of them cannot be mapped exactly (see the module's docstring)."""
    out: dict[int, tuple[str, str | None]] = {}
    for i, line in enumerate(lines):
        m = _WRITE.fullmatch(line.strip())
        if m is None:
            so = _SET_OUTPUT.fullmatch(line.strip())
            if so is None:
                if SET_OUTPUT.search(line):
                    return None  # a set-output in another form (printf, in a condition, ...)
                continue
            how = next(k for k in ("dq", "sq", "plain") if so.group(k) is not None)
            name = so.group("n1") or so.group("n2") or so.group("n3")
            if step_id is None:
                return None
            value = _set_output_value(so.group(how), how)
            if value is None:
                return None
            out[i] = (f"export {output_variable(step_id, name)}={value}", name)
            continue
        how = next(k for k in ("dq", "sq", "plain") if m.group(k) is not None)
        word = m.group(how)
        target = m.group("f1") or m.group("f2")
        later = lines[i + 1:]
        if target == "GITHUB_PATH":
            if not word or "\n" in word or any(_WRITE.fullmatch(x.strip()) is None for x in later):
                return None  # a later command of the step would find programs on the new PATH
            path = f'"{word}:$PATH"' if how == "dq" else f'{_quoted(word, how)}:"$PATH"'
            out[i] = (f"export PATH={path}", None)
            continue
        name, eq, value = word.partition("=")
        if not eq:
            return None
        if target == "GITHUB_ENV":
            if not re.fullmatch(_NAME, name) or name.startswith(("GITHUB_", "RUNNER_")):
                return None  # GitHub does not let a step overwrite its own variables
            if any(re.search(rf"\$\{{?{name}\b", x) for x in later):
                return None  # the step itself reads the old value on GitHub
            out[i] = (f"export {name}={_quoted(value, how)}", None)
        else:
            if step_id is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
                return None
            out[i] = (f"export {output_variable(step_id, name)}={_quoted(value, how)}", name)
    return out


#: the folder of the emulated runner files (a shell variable of the build)
FOLDER = "github_files"


def emulated(body: str, step_id: str | None) -> tuple[list[str], str, list[str], dict] | None:
    """For a step run as a script: (commands before it, the line that starts its subshell's
    body, commands after it, {output name: variable}); None when the step writes a runner file
    pipec does not emulate (see the module's docstring)."""
    files = set(re.findall(r"\$\{?(GITHUB_[A-Z_]+)\b", body)) & {"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH",
                                                                  "GITHUB_STATE", "GITHUB_STEP_SUMMARY"}
    if not files or files - {"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH"} or "<<" in body:
        return None
    outputs = {}
    if "GITHUB_OUTPUT" in files:
        if step_id is None:
            return None
        for line in body.split("\n"):
            m = _WRITE.fullmatch(line.strip())
            word = (m.group("dq") or m.group("sq") or m.group("plain") or "") if m else ""
            name = word.partition("=")[0]
            if m and "GITHUB_OUTPUT" in (m.group("f1"), m.group("f2")) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*",
                                                                                         name):
                outputs[name] = output_variable(step_id, name)
    names = {"GITHUB_ENV": "env", "GITHUB_OUTPUT": "output", "GITHUB_PATH": "path"}
    used = [f for f in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH") if f in files]
    before = [f"{FOLDER}=$(mktemp -d) && touch " + " ".join(f'"${FOLDER}/{names[f]}"' for f in used)]
    start = "export " + " ".join(f'{f}="${FOLDER}/{names[f]}"' for f in used)
    after = []
    if "GITHUB_ENV" in used:
        after.append(f'while IFS= read -r line; do export "$line"; done < "${FOLDER}/env"')
    if "GITHUB_PATH" in used:
        after.append(f'while IFS= read -r dir; do PATH="$dir:$PATH"; done < "${FOLDER}/path"')
    for name, var in outputs.items():
        after.append(f"export {var}=\"$(sed -n 's/^{name}=//p' \"${FOLDER}/output\" | tail -n 1)\"")
    return before, start, after, outputs
