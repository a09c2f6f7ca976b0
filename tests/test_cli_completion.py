"""``pipec completion bash|zsh|fish``: scripts generated from the argument parser by shtab. The
bash script is checked by bash itself (syntax, and completions it really offers); shtab stays off
every other command's path."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipec.cli import build_parser, main

EXAMPLES = Path(__file__).parent.parent / "examples"
COMMANDS = ("check", "build", "fmt", "import", "explain", "graph", "simulate", "why", "run", "completion")


def script(capsys, shell: str) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def test_bash_script_is_valid_names_the_commands_and_registers_itself(capsys, tmp_path):
    text = script(capsys, "bash")
    (tmp_path / "pipec.bash").write_text(text)
    subprocess.run(["bash", "-n", str(tmp_path / "pipec.bash")], check=True)
    assert "\ncomplete -o bashdefault -F _shtab_pipec pipec\n" in text
    listed = text.split("_shtab_pipec_subparsers=(", 1)[1].split(")", 1)[0].split()
    assert set(COMMANDS) <= set(listed)


def complete_in_bash(script_path: Path, cwd: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` (after 'pipec'), with the script loaded."""
    line = " ".join(("pipec", *words))
    previous = words[-2] if len(words) > 1 else "pipec"
    program = "\n".join([
        f"source {shlex.quote(str(script_path))}",
        "COMP_WORDS=(pipec " + " ".join(shlex.quote(w) for w in words) + ")",
        f"COMP_CWORD={len(words)}; COMP_LINE={shlex.quote(line)}; COMP_POINT={len(line)}",
        f"_shtab_pipec pipec {shlex.quote(words[-1])} {shlex.quote(previous)}",
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])
    done = subprocess.run(["bash", "-c", program], cwd=cwd, capture_output=True, text=True, check=True)
    return [w for w in done.stdout.split("\n") if w]


def test_bash_completes_commands_choices_and_pipe_files(capsys, tmp_path):
    path = tmp_path / "pipec.bash"
    path.write_text(script(capsys, "bash"))
    assert complete_in_bash(path, tmp_path, "ch") == ["check"]
    assert complete_in_bash(path, tmp_path, "completion", "") == ["bash", "zsh", "fish"]
    assert complete_in_bash(path, tmp_path, "check", "--format", "s") == ["sarif"]
    assert complete_in_bash(path, EXAMPLES, "check", "02-ref") == ["02-reference.pipe"]


@pytest.mark.parametrize("shell, marker", [("zsh", "#compdef pipec"), ("fish", "complete -c pipec")])
def test_zsh_and_fish_scripts_name_the_commands(capsys, shell, marker):
    text = script(capsys, shell)
    assert marker in text
    for command in COMMANDS:
        assert command in text


def test_scripts_are_deterministic(capsys):
    assert script(capsys, "bash") == script(capsys, "bash")


def test_an_unknown_shell_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["completion", "powershell"])
    assert exc.value.code == 2


def test_other_commands_do_not_import_shtab(tmp_path):
    program = ("import sys; from pipec.cli import main; "
               f"rc = main(['check', '--no-targets', {str(EXAMPLES / '02-reference.pipe')!r}]); "
               "assert 'shtab' not in sys.modules and 'pipec.cli_completion' not in sys.modules, rc")
    subprocess.run([sys.executable, "-c", program], check=True, capture_output=True)


def test_the_parser_is_left_without_completion_marks_for_normal_use():
    # the marks are set on a parser built for the script only
    parser = build_parser()
    assert not any(hasattr(a, "complete") for a in parser._actions)
