"""An independent check of :func:`pipec.shell_state.independent` and
:func:`pipec.shell_state.errexit_neutral`, by running bash: the GitHub target writes a build's
commands one step each only when ``independent`` says that changes nothing, and lets GitHub's
default ``bash -e {0}`` run a command only when ``errexit_neutral`` says -e changes nothing.

Commands are drawn from what real buildspecs do (cd, exports, PATH edits, sourcing, options,
functions, loops, background jobs...). Whenever ``independent`` says yes, each command run in a
bash process of its own (as one GitHub step each) must print and exit exactly as all of them in
one process (CodeBuild's buildspec 0.2: "the same instance of the default shell"). Whenever
``errexit_neutral`` says yes, ``bash -e`` must end the command with the status plain bash gives.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipec.shell_state import errexit_neutral, independent

#: commands of the kind real build specs run; each prints something that shows the shell's state
COMMANDS = [
    "cd sub", "pwd", "X=1", "echo x=$X", "export Y=2", "echo y=$Y", "env | grep -c '^Y=' || true",
    "PATH=$PWD/bin:$PATH", "tool || echo no-tool", "NODE_ENV=test", "env | grep -c NODE_ENV || true",
    "source ./env.sh", ". ./env.sh", "echo s=$SOURCED", "set -o pipefail", "false | true; echo pipe=$?",
    "shopt -s nullglob", "echo none*", "alias hi='echo alias'", "f() { echo func; }", "f || echo no-f",
    "(cd sub && pwd)", "IFS=,", "for w in $(echo a,b); do echo w=$w; done", "read -r V <<< read",
    "echo v=$V", "sleep 0 &", "wait; echo waited", "umask 077", "umask", "for i in 1 2; do :; done",
    "echo i=$i", "let n=3", "echo n=$n", "declare -x Z=3", "env | grep -c '^Z=' || true",
    "printf -v W %s w", "echo w=$W", "[[ abc =~ b ]]", "echo m=${BASH_REMATCH[0]}",
    "X=5 bash -c 'echo inner=$X'", "true", "echo done", "ls sub", "eval 'Q=9'", "echo q=$Q",
    "trap 'echo trapped' EXIT", "ulimit -n 256", "ulimit -n", "hash -r", "pushd sub >/dev/null", "dirs",
]


def _workspace(tmp: Path) -> Path:
    ws = tmp / "ws"
    (ws / "sub").mkdir(parents=True, exist_ok=True)
    (ws / "bin").mkdir(exist_ok=True)
    tool = ws / "bin" / "tool"
    tool.write_text("#!/bin/sh\necho tool\n")
    tool.chmod(0o755)
    (ws / "env.sh").write_text("SOURCED=yes\nexport Y=7\n")
    return ws


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C"}


def _one_process(ws: Path, commands: list[str]) -> tuple[str, int]:
    script = "\n".join(f"{{\n{c}\n}}" for c in commands) + "\n"
    p = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=ws, env=_env(), capture_output=True,
                       text=True, timeout=20)
    return p.stdout, p.returncode


def _one_each(ws: Path, commands: list[str]) -> tuple[str, int]:
    out, status = "", 0
    for c in commands:
        p = subprocess.run(["bash", "--noprofile", "--norc", "-c", c], cwd=ws, env=_env(), capture_output=True,
                           text=True, timeout=20)
        out += p.stdout
        status = p.returncode
    return out, status


@settings(max_examples=int(os.environ.get("PIPEC_FUZZ_EXAMPLES", "150")), deadline=None)
@given(st.lists(st.sampled_from(COMMANDS), min_size=2, max_size=5))
def test_commands_called_independent_run_alike_one_step_each(tmp_path_factory, commands):
    if not independent(commands):
        return
    ws = _workspace(tmp_path_factory.mktemp("ws"))  # the commands write no files: one folder serves both
    assert _one_each(ws, commands) == _one_process(ws, commands), commands


@pytest.mark.parametrize("commands", [["cd sub", "pwd"], ["PATH=$PWD/bin:$PATH", "tool || echo no-tool"],
                                      ["export Y=2", "echo y=$Y"], [". ./env.sh", "echo s=$SOURCED"]])
def test_the_oracle_tells_dependent_commands_apart(tmp_path, commands):
    """The check can fail: these differ between one process and one each, and independent knows."""
    ws = _workspace(tmp_path)
    assert _one_each(ws, commands) != _one_process(ws, commands)
    assert not independent(commands)


NEUTRAL_CANDIDATES = [
    "false", "true", "false && true", "false || true", "false | true", "true | false", "! true",
    "x=$(false)", "echo \"$(false; true)\"", "false; true", "(false; true)", "{ false; true; }",
    "if false; then :; fi", ". ./fails.sh", "source ./fails.sh", "eval 'false; true'",
    "for i in 1; do false; done; true", "[[ -n x ]] && false", "test -f nothing", "false # comment",
]


@pytest.mark.parametrize("command", NEUTRAL_CANDIDATES)
def test_errexit_neutral_commands_end_alike_under_bash_e(tmp_path, command):
    ws = _workspace(tmp_path)
    (ws / "fails.sh").write_text("false\necho went-on\n")
    plain = subprocess.run(["bash", "--noprofile", "--norc", "-c", command], cwd=ws, env=_env(),
                           capture_output=True, text=True)
    errexit = subprocess.run(["bash", "-e", "-c", command], cwd=ws, env=_env(), capture_output=True, text=True)
    alike = (plain.returncode, plain.stdout) == (errexit.returncode, errexit.stdout)
    if errexit_neutral(command):
        assert alike, (command, plain, errexit)
    assert alike or not errexit_neutral(command)
    if command in ("false; true", ". ./fails.sh", "eval 'false; true'"):
        assert not alike  # the premise: -e changes these, and they are not called neutral
