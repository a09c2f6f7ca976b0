"""A build's phases as steps, in one of two forms (docs/targets.md, "Build phases"):

* **one step a command** (:meth:`Phases.phase_steps`, when :func:`plain`): when no command leaves
  anything in the shell that a later one could see (:func:`pipec.shell_state.independent`), no
  phase has ``finally`` or ``on_failure continue``, and the build has one input, every command is
  a plain ``run:`` step with id PHASE, PHASE-2, ...; GitHub's default (skip the steps after a
  failed one) is CodeBuild's (end the phase and the build at the first failing command), and the
  post_build steps run when build ran, failed or not, with ``CODEBUILD_BUILD_SUCCEEDING`` read
  from the build steps' outcome;
* **one process** otherwise: a step ``id: phases`` runs every phase in a single bash process, as
  CodeBuild runs a buildspec (version 0.2: "all build commands in the same instance of the
  default shell"), with a log group per phase and CodeBuild's phase transitions decided by the
  functions of :data:`PHASES_FILE` (:data:`PHASES_PRELUDE`), which ``pipec build`` writes once
  beside the workflows and the job checks out from the workflow's own commit.

Both run bash without -e and without -o pipefail, as the buildspec's ``env: shell: bash`` asks of
CodeBuild: :data:`SHELL`, or GitHub's default ``bash -e {0}`` for a one-line command whose status
-e cannot change. Called from the build job in :mod:`.jobs`;
the artifacts a build uploads are :mod:`.artifacts`. The run-time contract this keeps is
docs/language.md, "Run time".
"""

from __future__ import annotations


from pipec import model
from pipec.runner_labels import runs_bash_by_default
from pipec.shell_parse import only_comments
from pipec.targets.aws import buildspec
from pipec.targets.github.pins import uses


#: the shell of the phases step and of a command step that needs it (:func:`command_steps`): bash, as the
#: buildspec's ``env: shell: bash`` asks of CodeBuild; without -e and without -o pipefail, so that
#: each command is checked on its own (CodeBuild stops a phase at the first command that exits
#: non-zero, including the first part of ``a && b``)
SHELL = "bash --noprofile --norc {0}"
#: the line between two commands of a phase: the first ends its list (so that its own -e stays in
#: force), and the next runs only when pipec_next returns the first one's status 0
SEPARATOR = "}; pipec_next && {"
#: where a build without build commands passes CodeBuild's (empty) BUILD phase: its artifacts are
#: then uploaded, whatever post_build does
REACHED_BUILD = "pipec_reached_build"
#: the id of the phases step; later steps read its outputs
STEP_ID = "phases"
#: what the phases step writes to $GITHUB_OUTPUT: whether CodeBuild would upload the artifacts
UPLOAD_OUTPUT = "upload-artifacts"
#: the file of phase functions, relative to the repository root, and where a job checks it out
PHASES_FILE = ".github/pipec/phases.sh"
CHECKOUT_PATH = ".pipec"
#: the first lines of the phases step: the functions, from the workflow's own commit
SOURCE_LINES = ("# shellcheck source=/dev/null # the file is checked out from the workflow's commit",
                f". {CHECKOUT_PATH}/{PHASES_FILE} || exit 1", f"rm -rf {CHECKOUT_PATH}")
#: the functions the phases step sources: pipec_start decides whether a phase runs (CodeBuild's
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
    "pipec_next() {  # between two commands: the status of the one before, for '&&' to run the next",
    "  return $?",
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
    "pipec_reached_build() {  # a build without build commands passes CodeBuild's (empty) BUILD phase",
    '  if [ "$pipec_stopped" = 0 ]; then pipec_build_ran=1; fi',
    "}",
    "pipec_finish() {  # $1 upload: the artifacts are uploaded once the BUILD phase was reached, failed or not",
    '  if [ "$1" = upload ] && [ "$pipec_build_ran" = 1 ]; then echo "upload-artifacts=true" >> "$GITHUB_OUTPUT"; fi',
    '  exit "$pipec_status"',
    "}",
])


def phases_file() -> str:
    """The text of :data:`PHASES_FILE`: what it is, then :data:`PHASES_PRELUDE`."""
    return "\n".join([
        "# Generated by pipec: CodeBuild's phase rules for the GitHub Actions jobs whose build commands",
        "# must share one bash process (a cd, a variable or a finally block carries from one to the next).",
        "# Each such job checks this file out from the workflow's own commit and sources it; see",
        "# docs/targets.md in pipec, \"Build phases\". Do not edit: pipec build writes it.",
        "# shellcheck shell=bash",
        PHASES_PRELUDE, ""])


class Phases:
    """A build's phases as steps."""

    def phase_steps(self, b: model.Build, input_env: dict) -> list[dict]:
        """The phases as steps with CodeBuild's transitions (docs/targets.md, "Build phases"):
        install, pre_build and build run only while no phase failed with abort; post_build runs
        when build ran, failed or not; each ``finally`` runs whenever its phase ran; a phase with
        ``on_failure continue`` lets the next phases run and still fails the job. One step a
        command when :func:`plain`, else one step for all (the first failed phase's status)."""
        phases = _phases(b)
        if not phases:
            return []
        if b.os == "windows":  # PowerShell, one step a command (.matrix)
            from pipec.targets.github.matrix import windows_steps

            return windows_steps(phases)
        if plain(b, input_env):
            # a container, or a runner whose default shell may not be bash (.jobs): each command
            # step names bash, as the phases step does
            bash_named = b.image.kind == "docker" or not runs_bash_by_default(self.labels_of(b))
            return command_steps(phases, container=bash_named)
        self.phases_file_needed = True
        checkout = {"name": "Check out the phase rules", "id": "checkout-phase-rules",
                    "uses": uses("actions/checkout"),
                    "with": {"persist-credentials": False, "sparse-checkout": PHASES_FILE,
                             "sparse-checkout-cone-mode": False, "path": CHECKOUT_PATH}}
        step: dict = {"name": "Run the phases: " + ", ".join(p[0] for p in phases), "id": STEP_ID}
        if input_env:
            step["env"] = dict(input_env)
        step["shell"] = SHELL
        step["run"] = script(phases, bool(b.outputs))
        return [checkout, step]

    def last_phase_condition(self, b: model.Build, phase_steps: list[dict]) -> str | None:
        """The condition of the artifact steps, for the steps :meth:`phase_steps` made: whether
        CodeBuild reached its BUILD phase (failed or not); None for a build without phases (its
        artifacts follow GitHub's default, success())."""
        if not phase_steps:
            return None
        if any(st.get("id") == STEP_ID for st in phase_steps):
            return f"${{{{ !cancelled() && steps.{STEP_ID}.outputs.{UPLOAD_OUTPUT} == 'true' }}}}"
        return "${{ !cancelled() && " + reached_build(_phases(b)) + " }}"


def plain(b: model.Build, input_env: dict) -> bool:
    """Whether the build's commands run as one step each (the module docstring says when)."""
    from pipec.shell_state import independent

    phases = _phases(b)
    if input_env or any(fin or on_failure != "abort" for _, _, fin, on_failure in phases):
        return False
    return independent([c for _, commands, _, _ in phases for c in commands])


def step_id(phase: str, n: int) -> str:
    """The id of command ``n`` (1-based) of ``phase``: PHASE, then PHASE-2, PHASE-3..."""
    return phase if n == 1 else f"{phase}-{n}"


def reached_build(phases) -> str:
    """The expression that says CodeBuild's BUILD phase was reached, in one-step-a-command form:
    its first step ran; without build commands, the first post_build step ran, or else the last
    command before build succeeded."""
    names = [p[0] for p in phases]
    if "build" in names:
        return f"steps.{step_id('build', 1)}.outcome != 'skipped'"
    if "post_build" in names:
        return f"steps.{step_id('post_build', 1)}.outcome != 'skipped'"
    name, commands = phases[-1][0], phases[-1][1]
    return f"steps.{step_id(name, len(commands))}.outcome == 'success'"


def command_steps(phases, container: bool = False) -> list[dict]:
    """One plain ``run:`` step a command (see the module docstring). A post_build step runs when
    the build phase ran (its first step was not skipped) and the post_build steps before it
    succeeded; it sees CODEBUILD_BUILD_SUCCEEDING 0 when build failed. A step names its shell
    (:data:`SHELL`) only where GitHub's default, ``bash -e {0}``, could end the command early
    (:func:`pipec.shell_state.errexit_neutral`), and in a container job, where that default
    falls back to sh when the image has no bash."""
    from pipec.shell_state import errexit_neutral

    has_build = any(p[0] == "build" for p in phases)
    last_build = None
    if has_build:
        build = next(p for p in phases if p[0] == "build")
        last_build = step_id("build", len(build[1]))
    steps = []
    for name, commands, _, _ in phases:
        for n, text in enumerate(commands, 1):
            step: dict = {"id": step_id(name, n)}
            if name == "post_build" and has_build:
                after = (f"steps.{step_id('build', 1)}.outcome != 'skipped'" if n == 1
                         else f"steps.{step_id(name, n - 1)}.outcome == 'success'")
                step["if"] = "${{ !cancelled() && " + after + " }}"
                step["env"] = {"CODEBUILD_BUILD_SUCCEEDING":
                               f"${{{{ steps.{last_build}.outcome == 'success' && '1' || '0' }}}}"}
            if container or not errexit_neutral(text):
                step["shell"] = SHELL
            step["run"] = text.rstrip("\n")
            steps.append(step)
    return steps


def script(phases: list[tuple[str, list[str], list[str], str]], outputs: bool) -> str:
    """The phases step's script: the functions (sourced), then each phase (name, commands, finally commands,
    on_failure) in an ``if pipec_start PHASE WHEN; then ... fi`` block; with ``outputs``, the line
    that tells the artifact steps whether CodeBuild would upload them; then the exit status."""
    lines = [*SOURCE_LINES]
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
    # CodeBuild attempts UPLOAD_ARTIFACTS whenever the BUILD phase was reached, failed or not,
    # and an empty one is reached too (pipec.simulate, "artifacts")
    lines += ["", "pipec_finish upload" if outputs else "pipec_finish"]
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
    """Commands that stop at the first failing one, then ``pipec_check``, which records the
    phase's failure when one failed: ``{`` COMMAND ``}`` then, for each next command, ``};
    pipec_next && {`` COMMAND ``}``. Each command's text is written as it is, on lines of its own
    (a multi-line script is one command, decided by its last line, as on CodeBuild); braces run it
    in the same shell, so its cd and variables stay. Each command is the last of its and-or list
    (:data:`SEPARATOR`): bash ignores -e in every command of such a list but the last, even a
    ``set -e`` inside a subshell or function, where CodeBuild, running each command on its own,
    keeps it. An empty line ends a trailing line continuation before the closing brace."""
    lines = ["{"]
    for i, cmd in enumerate(commands):
        text = cmd.rstrip("\n")
        if i:
            lines.append(SEPARATOR)
        lines.append(text + ("\n" if text.endswith("\\") else ""))
        if only_comments(text):
            lines.append(":")  # braces need a command: a comment alone is a no-op on CodeBuild too
    lines += ["}", "pipec_check"]
    return lines
