"""A build's phases as steps: one bash script per phase that checks each command as CodeBuild
does, a shell state carried from phase to phase (``PHASE_SHELL_TEXT``) and ``if:`` conditions that
follow CodeBuild's phase transitions. Called from the build job in :mod:`.jobs`; the artifacts a
build uploads are :mod:`.artifacts`.
"""

from __future__ import annotations


from pipec import model
from pipec.targets.aws import buildspec


#: the shell every phase step runs in: bash without -e, so that each command is checked the way
#: CodeBuild checks it (see _script); no -o pipefail either, like CodeBuild's shell
SHELL = "bash --noprofile --norc {0}"
#: what restores the shell of the earlier phases: CodeBuild runs every command of every phase in
#: one shell, so a `cd` or an `export` carries on; GitHub starts a new shell per step
PHASE_SHELL = "$RUNNER_TEMP/pipec-phase.sh"
PHASE_SHELL_TEXT = "\n".join([
    "# sourced by each phase step: restore the shell the previous phase left (working directory and",
    "# variables), save this one when the step ends, and stop at the first failing command",
    'if [ -f "$RUNNER_TEMP/pipec-shell-state" ]; then . "$RUNNER_TEMP/pipec-shell-state"; fi',
    "pipec_save() {",
    "  local __pipec_n __pipec_d",
    "  for __pipec_n in $(compgen -v); do",
    "    case $__pipec_n in",
    "      BASH*|GITHUB_*|RUNNER_*|ACTIONS_*|INPUT_*|__pipec_*|HOME|PWD|OLDPWD|SHLVL|_|PPID|UID|EUID|GROUPS) continue ;;",
    "      CODEBUILD_BUILD_SUCCEEDING) continue ;;  # each step sets its own",
    "      RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|FUNCNAME|PIPESTATUS|SHELLOPTS|OPTIND|OPTARG|OPTERR) continue ;;",
    "      DIRSTACK|EPOCHREALTIME|EPOCHSECONDS|COLUMNS|LINES|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|IFS|PS[0-9]) continue ;;",
    "    esac",
    '    __pipec_d=$(declare -p "$__pipec_n" 2>/dev/null) || continue',
    "    if [[ $__pipec_d =~ ^declare\\ -[a-zA-Z]*r ]]; then continue; fi  # read-only",
    "    printf '%s\\n' \"$__pipec_d\"",
    '  done > "$RUNNER_TEMP/pipec-shell-state"',
    '  printf \'cd %q\\n\' "$PWD" >> "$RUNNER_TEMP/pipec-shell-state"',
    "}",
    "trap pipec_save EXIT",
    "pipec_check() {  # after each command, as CodeBuild checks each command's exit status",
    "  local __pipec_rc=$?",
    '  if [ "$__pipec_rc" -ne 0 ]; then exit "$__pipec_rc"; fi',
    "}",
])


class Phases:
    """A build's phases as steps."""

    def phase_steps(self, b: model.Build, input_env: dict) -> list[dict]:
        """The four phases as steps, with CodeBuild's transitions (docs/targets.md, "Phases"):
        install and pre_build run only while everything before them succeeded; build likewise;
        post_build also runs after a failed build; each ``finally`` runs whenever its phase ran;
        a phase with ``on_failure continue`` lets the next phases run and still fails the job."""
        by_name = {p.name: p for p in b.phases}
        steps: list[dict] = [{"name": "Prepare a CodeBuild-style shell (one shell for all phases)",
                              "run": f"cat > \"{PHASE_SHELL}\" <<'PIPEC_EOF'\n{PHASE_SHELL_TEXT}\nPIPEC_EOF"}]
        env = dict(input_env)
        ran: list[str] = []
        done: list[str] = []          # ids of the phase and finally steps so far
        continued: list[str] = []
        logins = [buildspec.codeartifact_login(login) for login in b.codeartifact]
        for name in model.PHASE_ORDER:
            phase = by_name.get(name)
            commands = [c.text for c in phase.commands] if phase else []
            if name == "install":
                commands = logins + commands
            if not commands and not (phase and phase.finally_commands):
                continue
            step: dict = {"name": name, "id": name}
            cond = self.phase_condition(name, ran, continued, done)
            if cond:
                step["if"] = cond
            step_env = dict(env)
            step_env["CODEBUILD_BUILD_SUCCEEDING"] = _succeeding(done)
            step["env"] = step_env
            step["shell"] = SHELL
            step["run"] = _script(commands)
            if phase and phase.on_failure == "continue":
                step["continue-on-error"] = True
                continued.append(name)
            steps.append(step)
            done.append(name)
            if phase and phase.finally_commands:
                fin = {"name": f"{name} (finally)", "id": f"{name}_finally",
                       "if": f"${{{{ !cancelled() && steps.{name}.outcome != 'skipped' }}}}",
                       "env": {**env, "CODEBUILD_BUILD_SUCCEEDING": _succeeding(done)},
                       "shell": SHELL, "run": _script([c.text for c in phase.finally_commands])}
                steps.append(fin)
                done.append(f"{name}_finally")
            ran.append(name)
        if continued:  # last of the job's steps (build_job moves it there)
            steps.append({"name": "Fail the job if a phase failed (on_failure continue)",
                          "if": "${{ " + " || ".join(f"steps.{n}.outcome == 'failure'" for n in continued) + " }}",
                          "run": "echo 'A phase with on_failure continue failed: the build fails, as on CodeBuild.'"
                                 "\nexit 1"})
        return steps

    def phase_condition(self, name: str, ran: list[str], continued: list[str],
                        done: list[str] = ()) -> str | None:
        if name != "post_build" or "build" not in ran:
            if continued and any(c in ran for c in continued):
                # after a continued phase the job is still 'successful' to GitHub: run as CodeBuild
                # would, which stops at a failed phase or finally that was not continued
                blocking = [d for d in done if d.removesuffix("_finally") not in continued]
                parts = ["!cancelled()"] + [f"steps.{r}.outcome == 'success'" for r in blocking]
                parts += [f"steps.{c}.outcome != 'skipped'" for c in continued]
                return "${{ " + " && ".join(parts) + " }}"
            return None
        # post_build runs after the build phase, failed or not, but not when it never started
        return "${{ !cancelled() && steps.build.outcome != 'skipped' }}"

    def last_phase_condition(self, b: model.Build) -> str | None:
        names = {p.name for p in b.phases}
        if "build" in names:
            # CodeBuild attempts UPLOAD_ARTIFACTS after a failed build phase too
            return "${{ !cancelled() && steps.build.outcome != 'skipped' }}"
        return None


def _script(commands: list[str]) -> str:
    """A phase's commands as one bash script that behaves like CodeBuild: the shell of earlier
    phases is restored first; each command is checked on its own (CodeBuild stops a phase at the
    first command that exits non-zero, including the first part of ``a && b``, which ``set -e``
    would not); a multi-line script counts as one command, decided by its last line.

    A plain one-line command is written ``COMMAND || exit``. One that would not parse that way
    (a multi-line script, a comment, a trailing ``;``, ``&`` or ``\\``) is written as it is,
    followed by ``pipec_check``, which exits with the command's status when it failed."""
    lines = [f'. "{PHASE_SHELL}"']
    for cmd in commands:
        text = cmd.rstrip("\n")
        if "\n" in text or "#" in text or text.rstrip().endswith((";", "&", "\\")):
            # an empty line ends a trailing line continuation before the check
            lines.append(text + ("\n" if text.endswith("\\") else ""))
            lines.append("pipec_check")
        else:
            lines.append(f"{text} || exit")
    return "\n".join(lines)


def _succeeding(step_ids: list[str]) -> str:
    """CODEBUILD_BUILD_SUCCEEDING for a step after ``step_ids``: 1 while all of them succeeded."""
    if not step_ids:
        return "1"
    ok = " && ".join(f"steps.{i}.outcome == 'success'" for i in step_ids)
    return f"${{{{ {ok} && '1' || '0' }}}}"

