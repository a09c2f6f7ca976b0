"""``run`` steps as ``.pipe`` commands: a step of simple commands becomes one command per line,
any other a script in a subshell (the rule is :func:`_simple`); ``${{ }}`` inside commands
becomes the shell variable holding its value, or skips the step. The shell defaults of
``defaults.run`` are read in :mod:`.steps`.
"""

from __future__ import annotations


import re
import shlex

#: characters a .pipe file cannot hold (a newline and a tab it writes as escapes)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

from pipec import importer
from pipec.importer import q
from pipec.targets.github.imports import runner_files, shells
from pipec.targets.github.imports.common import _EXPR, _SHELL_NAME, _Action, _scalar, _Skip


_IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
_PATH = re.compile(rf"{_IDENT}(?:\.{_IDENT}|\[\s*'[^']*'\s*\])*")

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


def git_used(body: str) -> bool:
    return re.search(r"(^|[\s;&|(`])git\s", body) is not None


class Commands:
    """run steps and the expressions in their commands."""

    def run_step(self, a: _Action, step, steps, i, wf_def, job_def, final: bool):
        ctx = self.ctx
        for k in step:
            if k not in ("run", "name", "id", "if", "env", "shell", "working-directory", "continue-on-error",
                         "timeout-minutes"):
                raise _Skip("workflow: step setting", f"step setting '{k}' has no .pipe equivalent")
        tolerant = shells.continue_on_error(step)  # True: shells.tolerate
        if tolerant is None:
            raise _Skip("workflow: continue-on-error", "the step may fail without failing the job on GitHub, "
                        "decided by an expression during the run")
        if isinstance(step.get("run"), str) and _CONTROL.search(step["run"]):
            raise _Skip("workflow: control character", "the script holds a control character (an escape such as "
                        "\\e in a quoted YAML string), which a .pipe file cannot hold: write it as $'\\e' or "
                        "printf '\\033' in the command")
        if "timeout-minutes" in step:
            ctx.skip(a.phase, "workflow: step timeout", f"step {i + 1} has its own timeout; only the action's "
                     "timeout applies", steps, i)
        shell = step.get("shell", job_def.get("shell", wf_def.get("shell")))
        if a.image == ["os windows"]:  # jobs.windows_build: the PowerShell as written
            body = _scalar(step["run"]).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
            env = shells.windows_step_env(step)  # checked by jobs.windows_build
            if body.strip() and env:
                body = shells.powershell_env(env, body)
            if body.strip():
                src = '"""\n' + body + '\n"""' if "\n" in body else q(body)
                a.phase.stmt("run", src)
                a.commands += 1
                ctx.mapping.setdefault("steps", {}).setdefault(a.name, []).append([i, final])
            return
        if shell is None:
            if self.os == "windows":
                if a.windows_reported:  # a finding per step: nothing is left out silently (issue 25)
                    raise _Skip("workflow: non-bash shell", "a PowerShell step (the Windows runner's default "
                                "shell) is not converted")
                a.windows_reported = True
                raise _Skip("workflow: non-bash shell", "on a Windows runner the default shell is PowerShell: "
                            "this step and the job's other run steps without 'shell: bash' are not converted")
            pipefail = False
        elif shell == "bash":
            pipefail = True
        elif shell == "sh":
            pipefail = False
        else:
            options = shells.bash_options(shell) if isinstance(shell, str) else None
            if options is None:
                raise _Skip("workflow: non-bash shell", f"shell {shell!r}: pipec commands run in bash")
            pipefail = options[1]
            if shells.verbose(shell):
                ctx.skip(a.phase, "workflow: non-bash shell", f"shell {shell!r}: -v echoes the script's lines in "
                         "GitHub's log, which the commands here do not (they run the same)", step, "shell")
            if options[2] in ("set -eo pipefail", "set -e"):  # the same as 'bash' or 'sh'
                options = None
        set_line = None if shell in (None, "bash", "sh") or options is None else options[2]
        wd = step.get("working-directory", job_def.get("working-directory", wf_def.get("working-directory")))
        wd = _scalar(wd) if wd is not None and not isinstance(wd, (dict, list)) else wd
        if isinstance(wd, str) and "${{" in wd:
            wd = self.literal(a, step, wd, path=True) or wd
        if wd is not None and (not isinstance(wd, str) or "${{" in wd):
            raise _Skip("workflow: working-directory expression", f"working-directory {wd!r} is not a plain path")
        env_lines = []
        # bash -u: an expression's variable may be unset where GitHub writes an empty value (shells.nounset)
        unset = "-" if set_line and shells.nounset(shell) else ""
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
                env_lines.append(f"export {name}={self.shell_value(a, text, name, unset)}")
        body = _scalar(step["run"]).replace("\r\n", "\n").replace("\r", "\n")
        body = self.expressions(a, body, unset)
        lines = body.split("\n")
        real = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        writes = {}
        if RUNNER_FILES.search(body) or runner_files.SET_OUTPUT.search(body):
            step_id = _scalar(step["id"]) if isinstance(step.get("id"), str) and step["id"].strip() else None
            writes = runner_files.statements(real, step_id) or {}
            kept = [ln for i, ln in enumerate(real) if i not in writes]
            if not writes or RUNNER_FILES.search("\n".join(kept)) or env_lines or wd not in (None, "", ".") or \
                    not all(_simple(ln, pipefail, ln is real[-1]) for ln in kept) or set_line or tolerant:
                writes = {}
        emulated = None
        if RUNNER_FILES.search(body) and not writes:
            step_id = _scalar(step["id"]) if isinstance(step.get("id"), str) and step["id"].strip() else None
            emulated = runner_files.emulated(body, step_id)
            if emulated and tolerant:
                raise _Skip("workflow: continue-on-error", "the step may fail without failing the job on GitHub, "
                            "and writes to a GitHub runner file that later steps read")
        if RUNNER_FILES.search(body) and not writes and not emulated:
            raise _Skip("workflow: GitHub runner file", "the step writes to a GitHub runner file "
                        f"(${RUNNER_FILES.search(body).group(1)}: outputs, env or PATH for later steps, or the job "
                        "summary), which CodeBuild does not have, in a form pipec does not turn into shell "
                        "statements (one 'echo \"NAME=VALUE\" >> $GITHUB_ENV' line among simple commands, "
                        "whose value the step itself does not read)")
        read = "\n".join(writes[i][0] if i in writes else ln for i, ln in enumerate(real)) if writes else \
            RUNNER_FILES.sub("", body) if emulated else body
        used = {m.group(1) for m in GITHUB_ONLY_VARS.finditer(read + "\n".join(env_lines))}
        used -= set(a.env) | set(a.secrets)
        if used:
            ctx.skip(a.phase, "workflow: GitHub-only context in a command", f"step {i + 1} reads "
                     f"{', '.join(sorted(used))}, which GitHub sets and CodeBuild does not", steps, i)
        if '"""' in body or any('"""' in x for x in env_lines) or (wd and '"""' in wd):
            raise _Skip("workflow: script with triple quotes", 'the script holds """, which a .pipe script cannot')
        if not real:
            return
        if any(ln != ln.rstrip() and ln.rstrip().endswith("\\") for ln in lines):
            raise _Skip("workflow: script whitespace", "a line ends with a backslash and spaces, which a .pipe "
                        "script would drop")
        out: list[tuple[str, bool]]
        if writes:  # each line its own command, the runner-file writes as shell statements
            out = [(writes[i][0] if i in writes else ln.strip(), False) for i, ln in enumerate(real)]
            for _stmt, output in writes.values():
                if output is not None:
                    a.outputs[(step_id, output)] = runner_files.output_variable(step_id, output)
            # for the round trip: this step's runner-file writes are shell statements now
            ctx.mapping.setdefault("runner_statements", []).append([a.name, i])
        elif not emulated and not env_lines and wd in (None, "", ".") and not set_line and not tolerant and all(
                _simple(ln, pipefail, ln is real[-1]) for ln in real):
            out = [(ln.strip(), False) for ln in real]
        else:
            head = ["(", set_line or ("set -eo pipefail" if pipefail else "set -e")]
            if emulated:  # the runner files as files of the build's own (runner_files.emulated)
                head.append(emulated[1])
            if wd not in (None, "", "."):
                # GitHub fails a step whose working-directory does not exist before its script runs;
                # without -e (bash {0}) a failed cd would not stop the script here
                stops = " || exit" if set_line and set_line.startswith("set +e") else ""
                head.append(f"cd {shlex.quote(wd)}{stops}")
            script = "\n".join(head + env_lines + [ln.rstrip() for ln in body.rstrip("\n").split("\n")] + [")"])
            out = [(shells.tolerate(script) if tolerant else script, True)]
            if emulated:
                before, _start, after, outputs = emulated
                out = [(c, False) for c in before] + out + [(c, False) for c in after]
                for name, var in outputs.items():
                    a.outputs[(step_id, name)] = var
                ctx.mapping.setdefault("helper_commands", []).extend(before + after)
        if "shopt" in body or re.search(r"[!@+*?]\(", body):
            # a shell option that changes how bash reads later lines (extglob) works line by line in
            # GitHub's step script, but not inside the one command ( ... ) that the step becomes here,
            # which bash reads whole (E210): the same bash -n check decides
            refused = importer.not_bash([text for text, _script in out])
            if refused:
                raise _Skip("workflow: script bash cannot read", "bash cannot read the step as one command "
                            "(a line needs a shell option, such as extglob, that an earlier line of the step "
                            "turns on); put the script in a file and run it, or turn the option on in a command "
                            "before it")
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

    def literal(self, a: _Action, step, text: str, path: bool = False) -> str | None:
        """``text`` with its expressions evaluated at import, where GitHub's value is known before
        the step runs: ``${{ env.X }}`` is the literal value of the workflow's or job's ``env`` X
        (not when the step sets X itself, nor when a step of the job may change it through
        $GITHUB_ENV or an action), and, when ``path``, a leading ``${{ github.workspace }}`` is the
        folder the job starts in (the checkout; ``.``). None when any other expression is left."""
        if path and a.will_checkout:
            # github.workspace: "The default working directory on the runner for steps, and the
            # default location of your repository when using the checkout action" (GitHub's
            # contexts reference); a .pipe build starts in its source's copy, the same folder
            m = re.match(r"\$\{\{\s*github\.workspace\s*\}\}(/|$)", text)
            if m:
                text = text[m.end():] or "."
        step_env = step.get("env") if isinstance(step.get("env"), dict) else {}

        def env(m):
            name = m.group(1)
            value = a.env.get(name)
            if value is None or "$" in value or name in step_env or self.sets_env:
                raise _Skip("", "")
            return value

        try:
            text = re.sub(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", env, text)
        except _Skip:
            return None
        return None if "${{" in text else text

    def shell_value(self, a: _Action, text: str, name: str, unset: str = "") -> str:
        """``text`` (with expressions) as one shell word; ``unset`` ``-`` reads each variable as
        ``${NAME-}`` (:func:`.shells.nounset`)."""
        parts = []
        pos = 0
        for m in _EXPR.finditer(text):
            if m.start() > pos:
                parts.append(shlex.quote(text[pos:m.start()]))
            parts.append('"${' + self.variable_of(a, m.group(1).strip(), name) + unset + '}"')
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
        if head == "matrix" and len(parts) == 2 and parts[1] in (getattr(self, "matrix_axes", None) or ()):
            return parts[1]  # an axis of the action's matrix: an environment variable of each cell
        if head == "matrix" and getattr(self, "matrix_unknown", False) and len(parts) == 2 \
                and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", parts[1]):
            # a matrix that is not expanded (issue 25): the value is a placeholder variable of the
            # action, which already fails until the combinations are written out
            var = "MATRIX_" + parts[1].upper().replace("-", "_")
            a.env.setdefault(var, f"REPLACE-ME-matrix-{parts[1].lower().replace('_', '-')}")
            return var
        if head == "vars" and len(parts) == 2 and _SHELL_NAME.fullmatch(parts[1]):
            # a repository or organisation variable: a pipeline variable whose value a person sets
            if parts[1] not in self.variables:
                self.variables[parts[1]] = "REPLACE-ME"
                line = ("stmt", f"variable {parts[1]} = {q(f'REPLACE-ME-{parts[1].lower().replace(chr(95), chr(45))}')}")
                first_stage = next((i for i, (k, x) in enumerate(self.doc.items)
                                    if k == "block" and x.header.startswith("stage ")), len(self.doc.items))
                self.doc.items.insert(first_stage, line)  # with the other variables, before the stages
                self.ctx.task("variable", f"set the pipeline variable {parts[1]} to the value of the GitHub "
                                          f"variable vars.{parts[1]}")
            return parts[1]
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
        if head == "steps" and len(parts) == 4 and parts[2] == "outputs" and (parts[1], parts[3]) in a.outputs:
            # an output an earlier step of this job wrote to $GITHUB_OUTPUT (runner_files.py)
            return a.outputs[(parts[1], parts[3])]
        if inner == "github.sha" and self.events and set(self.events) <= {"push", "schedule", "workflow_dispatch"}:
            # for pushes, schedules and manual runs, github.sha is the commit of the run: CodeBuild's
            # CODEBUILD_RESOLVED_SOURCE_VERSION, which the GitHub target sets to github.sha then
            # (targets/github/builtins.py; a pull request's github.sha is its merge commit instead)
            return "CODEBUILD_RESOLVED_SOURCE_VERSION"
        if inner == "github.workspace" and a.will_checkout:
            # the checkout's folder: CodeBuild's CODEBUILD_SRC_DIR, which the GitHub target sets to
            # github.workspace (targets/github/builtins.py)
            return "CODEBUILD_SRC_DIR"
        if inner in GITHUB_VARS:
            return GITHUB_VARS[inner]
        raise _Skip("workflow: expression in a command", f"the expression '{inner}' is computed by GitHub")

    def expressions(self, a: _Action, body: str, unset: str = "") -> str:
        """``body`` with each expression replaced by its value known at import or by the shell
        variable that holds it (``${NAME-}`` with ``unset`` ``-``: :func:`.shells.nounset`)."""
        out = []
        pos = 0
        for m in _EXPR.finditer(body):
            inner = m.group(1).strip()
            prefix = body[pos:m.start()]
            out.append(prefix)
            literal = None if _PATH.fullmatch(inner) else self.evaluate(a, inner)
            if literal is not None:
                # GitHub puts the expression's value into the script before the shell reads it
                out.append(literal)
                pos = m.end()
                continue
            var = self.variable_of(a, inner)
            if self.in_single_quotes("".join(out)) and _PATH.fullmatch(inner) and self.evaluate(a, inner) is not None:
                out.append(self.evaluate(a, inner))  # a value known at import needs no expansion
                pos = m.end()
                continue
            so_far = "".join(out)
            if self.in_single_quotes(so_far) and so_far.endswith("'") and body.startswith("'", m.end()):
                # '${{ X }}' (the whole quoted word): GitHub writes the value between the quotes and the
                # shell takes it as it is; "${VAR}" gives the same word (a value holding ' aside, which
                # breaks GitHub's quoting)
                out[:] = [so_far[:-1], '"${' + var + unset + '}"']
                pos = m.end() + 1
                continue
            if self.in_single_quotes("".join(out)):
                raise _Skip("workflow: expression in single quotes", f"'{inner}' is inside single quotes, where "
                            "a shell variable would not expand")
            out.append("${" + var + unset + "}")
            pos = m.end()
        out.append(body[pos:])
        return "".join(out)

    def evaluate(self, a: _Action, inner: str) -> str | None:
        """The text of expression ``inner`` when every value it reads is known at import (the
        matrix combination; the workflow's and job's literal env, when no step may change it), as
        GitHub writes a text or a boolean into a script; None otherwise (numbers included)."""
        from pipec.targets.github.imports.expressions import UNKNOWN, _Expr

        def lookup(path):
            head = path[0] if isinstance(path[0], str) else ""
            if head == "matrix" and not getattr(self, "matrix_unknown", False) and self.combo is not None:
                value = self.combo
                for part in path[1:]:
                    value = value.get(part) if isinstance(value, dict) and isinstance(part, str) else UNKNOWN
                return UNKNOWN if value is None else value
            if head == "env" and len(path) == 2 and not self.sets_env and path[1] in a.env \
                    and "$" not in a.env[path[1]]:
                return a.env[path[1]]
            return UNKNOWN

        try:
            value = _Expr(inner, lookup, {}).run()
        except (ValueError, IndexError, TypeError, KeyError, RecursionError):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else None

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
