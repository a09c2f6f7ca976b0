"""A build's phases as one step: every phase runs in a single bash process, as CodeBuild runs a
buildspec (version 0.2: "all build commands in the same instance of the default shell"), with a
log group per phase and CodeBuild's phase transitions decided inside the script
(``PHASES_PRELUDE``). Called from the build job in :mod:`.jobs`; the artifacts a build uploads
are :mod:`.artifacts`. The run-time contract this keeps is
docs/language.md, "Run time".
"""

from __future__ import annotations


from pipec import model
from pipec.shell_parse import only_comments
from pipec.targets.aws import buildspec


#: the shell of the phases step: bash, as the buildspec's ``env: shell: bash`` asks of CodeBuild;
#: without -e and without -o pipefail, so that each command is checked on its own (CodeBuild stops
#: a phase at the first command that exits non-zero, including the first part of ``a && b``)
SHELL = "bash --noprofile --norc {0}"
#: where a build without build commands passes CodeBuild's (empty) BUILD phase: its artifacts are
#: then uploaded, whatever post_build does
REACHED_BUILD = 'if [ "$pipec_stopped" = 0 ]; then pipec_build_ran=1; fi  # the (empty) build phase'
#: the id of the phases step; later steps read its outputs
STEP_ID = "phases"
#: what the phases step writes to $GITHUB_OUTPUT: whether CodeBuild would upload the artifacts
UPLOAD_OUTPUT = "upload-artifacts"
#: the helpers at the top of the phases script: pipec_start decides whether a phase runs (CodeBuild's
#: transitions), pipec_check records a failed list of commands, pipec_end closes the phase
PHASES_PRELUDE = "\n".join([
    "# All phases run in this one bash process, as CodeBuild runs a buildspec (version 0.2): a cd or a",
    "# variable carries on to later commands and phases; the first failing command ends its phase.",
    "export CODEBUILD_BUILD_SUCCEEDING=1",
    "pipec_status=0 pipec_stopped=0 pipec_build_ran=0 pipec_failed=0",
    "pipec_start() {  # $1 phase, $2 success|after-build: whether CodeBuild runs the phase now",
    '  if [ "$2" = after-build ]; then [ "$pipec_build_ran" = 1 ] || return; elif [ "$pipec_stopped" = 1 ]; then return 1; fi',
    '  if [ "$1" = build ]; then pipec_build_ran=1; fi',
    '  pipec_failed=0; echo "::group::$1"',
    "}",
    "pipec_check() {  # right after a list of commands: the phase fails with its first failure",
    "  # shellcheck disable=SC2319  # $? is the status of the list of commands before the call",
    "  local pipec_rc=$?",
    '  if [ "$pipec_rc" -ne 0 ] && [ "$pipec_failed" = 0 ]; then pipec_failed=$pipec_rc; CODEBUILD_BUILD_SUCCEEDING=0; fi',
    "}",
    "pipec_end() {  # $1 phase, $2 abort|continue (on_failure)",
    '  echo "::endgroup::"',
    '  if [ "$pipec_failed" != 0 ]; then',
    '    echo "::error::Phase $1 failed with exit status $pipec_failed"',
    '    if [ "$pipec_status" = 0 ]; then pipec_status=$pipec_failed; fi',
    '    if [ "$2" = abort ]; then pipec_stopped=1; fi',
    "  fi",
    "}",
])


class Phases:
    """A build's phases as one step."""

    def phase_steps(self, b: model.Build, input_env: dict) -> list[dict]:
        """The phases as one step (id ``phases``) that runs them all in one bash process with
        CodeBuild's transitions (docs/targets.md, "Build phases"): install, pre_build and build run
        only while no phase failed with abort; post_build runs when build ran, failed or not; each
        ``finally`` runs whenever its phase ran; a phase with ``on_failure continue`` lets the next
        phases run and still fails the step. The step ends with the first failed phase's status."""
        phases = _phases(b)
        if not phases:
            return []
        step: dict = {"name": "Run the phases: " + ", ".join(p[0] for p in phases), "id": STEP_ID}
        if input_env:
            step["env"] = dict(input_env)
        step["shell"] = SHELL
        step["run"] = script(phases, bool(b.outputs))
        return [step]

    def last_phase_condition(self, b: model.Build) -> str | None:
        """The condition of the artifact steps: what the phases step decided (``upload-artifacts``);
        None for a build without phases (its artifacts follow GitHub's default, success())."""
        if not _phases(b):
            return None
        return f"${{{{ !cancelled() && steps.{STEP_ID}.outputs.{UPLOAD_OUTPUT} == 'true' }}}}"


def script(phases: list[tuple[str, list[str], list[str], str]], outputs: bool) -> str:
    """The phases step's script: the prelude, then each phase (name, commands, finally commands,
    on_failure) in an ``if pipec_start PHASE WHEN; then ... fi`` block; with ``outputs``, the line
    that tells the artifact steps whether CodeBuild would upload them; then the exit status."""
    lines = [PHASES_PRELUDE]
    has_build = any(p[0] == "build" for p in phases)
    marked = has_build or not outputs
    for name, commands, finally_commands, on_failure in phases:
        if not marked and model.PHASE_ORDER.index(name) > model.PHASE_ORDER.index("build"):
            lines += ["", REACHED_BUILD]
            marked = True
        # post_build after a build phase runs whenever build ran; without one, like the others
        when = "after-build" if name == "post_build" and has_build else "success"
        lines += ["", f"if pipec_start {name} {when}; then"]
        if commands:
            lines += _chain(commands)
        if finally_commands:
            lines += [f"# {name}: finally", *_chain(finally_commands)]
        lines += [f"pipec_end {name} {on_failure}", "fi"]
    if not marked:
        lines += ["", REACHED_BUILD]
    if outputs:
        # CodeBuild attempts UPLOAD_ARTIFACTS whenever the BUILD phase was reached, failed or not,
        # and an empty one is reached too (pipec.simulate, "artifacts")
        lines += ["", f'if [ "$pipec_build_ran" = 1 ]; then echo "{UPLOAD_OUTPUT}=true" >> "$GITHUB_OUTPUT"; fi']
    lines.append('exit "$pipec_status"')
    return "\n".join(lines)


def _phases(b: model.Build) -> list[tuple[str, list[str], list[str], str]]:
    """(name, commands, finally commands, on_failure) of each phase that has commands, in
    CodeBuild's order; the CodeArtifact logins come first in install, as in the buildspec."""
    by_name = {p.name: p for p in b.phases}
    logins = [buildspec.codeartifact_login(login) for login in b.codeartifact]
    out = []
    for name in model.PHASE_ORDER:
        phase = by_name.get(name)
        commands = [c.text for c in phase.commands] if phase else []
        if name == "install":
            commands = logins + commands
        finally_commands = [c.text for c in phase.finally_commands] if phase else []
        if commands or finally_commands:
            out.append((name, commands, finally_commands, phase.on_failure if phase else "abort"))
    return out


def _chain(commands: list[str]) -> list[str]:
    """Commands as one bash list that stops at the first failing one, then ``pipec_check``, which
    records the phase's failure when one failed: ``{`` COMMAND ``} && {`` COMMAND ``}``. Each command's text is written as it is, on lines of
    its own (a multi-line script is one command, decided by its last line, as on CodeBuild);
    braces run it in the same shell, so its cd and variables stay. An empty line ends a trailing
    line continuation before the closing brace."""
    lines = ["{"]
    for i, cmd in enumerate(commands):
        text = cmd.rstrip("\n")
        if i:
            lines.append("} && {")
        lines.append(text + ("\n" if text.endswith("\\") else ""))
        if only_comments(text):
            lines.append(":")  # braces need a command: a comment alone is a no-op on CodeBuild too
    lines += ["}", "pipec_check"]
    return lines
