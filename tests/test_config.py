"""The ``[tool.pipec]`` table of pyproject.toml and pipec.toml (pipec.config): found by walking up
from the .pipe file, the closest wins, flags win over keys, and a bad key is a usage error that
names the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipec import config
from pipec.cli import main

REFERENCE = Path(__file__).parent.parent / "examples" / "02-reference.pipe"  # W509 line 7, W508 line 41


def _repo(tmp_path, pyproject: str | None = None, pipec_toml: str | None = None) -> Path:
    """A repository with the reference pipeline in ci/ and the given configuration at its root."""
    (tmp_path / "ci").mkdir()
    pipe = tmp_path / "ci" / "app.pipe"
    pipe.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    if pipec_toml is not None:
        (tmp_path / "pipec.toml").write_text(pipec_toml, encoding="utf-8")
    return pipe


def _codes(err: str) -> list[str]:
    return sorted(re.findall(r"warning\[(W\d+)\]", err))


def test_build_takes_output_and_source_root_from_pyproject(tmp_path, capsys, monkeypatch):
    pipe = _repo(tmp_path, '[project]\nname = "x"\n\n[tool.pipec]\noutput = "generated"\nsource-root = "."\n')
    monkeypatch.chdir(tmp_path / "ci")  # paths in the file are relative to the file, not to here
    assert main(["build", str(pipe)]) == 0
    assert (tmp_path / "generated" / "aws").is_dir() or any((tmp_path / "generated").iterdir())
    capsys.readouterr()
    # the same as giving the options
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--check", str(pipe), "-o", "generated", "--source-root", "."]) == 0


def test_without_output_anywhere_build_is_a_usage_error(tmp_path, capsys):
    pipe = _repo(tmp_path)
    assert main(["build", str(pipe)]) == 2
    assert "build needs an output folder" in capsys.readouterr().err


def test_strict_ignore_and_targets_from_pipec_toml(tmp_path, capsys):
    pipe = _repo(tmp_path, pipec_toml='strict = true\nignore = ["W508"]\n')
    assert main(["check", str(pipe)]) == 1  # W509 fails under strict
    assert _codes(capsys.readouterr().err) == ["W509"]
    (tmp_path / "pipec.toml").write_text('strict = true\nignore = "W508,W509"\n', encoding="utf-8")
    assert main(["check", str(pipe)]) == 0
    (tmp_path / "pipec.toml").write_text('strict = true\ntargets = ["aws"]\n', encoding="utf-8")
    assert main(["check", str(pipe)]) == 0  # the platform differences come from the GitHub target


def test_flags_win_over_keys(tmp_path, capsys):
    pipe = _repo(tmp_path, pipec_toml='strict = true\nignore = ["W508", "W509"]\n')
    assert main(["check", str(pipe), "--ignore", "W509"]) == 1
    assert _codes(capsys.readouterr().err) == ["W508"]
    (tmp_path / "pipec.toml").write_text('strict = true\ntargets = "aws"\n', encoding="utf-8")
    assert main(["check", str(pipe)]) == 0
    assert main(["check", str(pipe), "--target", "all", "--select", "W509"]) == 1
    assert _codes(capsys.readouterr().err) == ["W509"]
    out = tmp_path / "ci" / "elsewhere"
    (tmp_path / "pipec.toml").write_text('output = "generated"\n', encoding="utf-8")
    assert main(["build", str(pipe), "-o", str(out)]) == 0
    assert out.is_dir() and not (tmp_path / "generated").exists()


def test_closest_file_wins_and_pyproject_without_table_is_passed_over(tmp_path, capsys):
    pipe = _repo(tmp_path, pipec_toml='ignore = ["W508"]\n')
    (tmp_path / "ci" / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert config.for_file(str(pipe)).path == str(tmp_path / "pipec.toml")
    (tmp_path / "ci" / "pyproject.toml").write_text('[tool.pipec]\nignore = ["W509"]\n', encoding="utf-8")
    assert config.for_file(str(pipe)).path == str(tmp_path / "ci" / "pyproject.toml")
    assert main(["check", str(pipe)]) == 0
    assert _codes(capsys.readouterr().err) == ["W508"]  # not merged with the file further up
    (tmp_path / "ci" / "pipec.toml").write_text('ignore = ["W508"]\n', encoding="utf-8")
    assert config.for_file(str(pipe)).path == str(tmp_path / "ci" / "pipec.toml")  # wins in its folder


@pytest.mark.parametrize("content,says", [
    ('[tool.pipec]\noutptu = "x"\n', "unknown key 'outptu'"),
    ('[tool.pipec]\nstrict = "yes"\n', "'strict' must be true or false, not a string"),
    ('[tool.pipec]\nignore = 508\n', "'ignore' must be a list of codes"),
    ('[tool.pipec]\nignore = ["E201"]\n', "errors cannot be ignored"),
    ('[tool.pipec]\nselect = ["X1"]\n', "X1 is no diagnostic code"),
    ('[tool.pipec]\ntargets = ["azure"]\n', "'targets' names 'azure'"),
    ('[tool.pipec]\noutput = 3\n', "'output' must be a folder name"),
    ('tool = { pipec = 1 }\n', "must be a table"),
    ('[tool.pipec\n', "not valid TOML"),
])
@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_configuration_is_a_usage_error_naming_file_and_key(tmp_path, capsys, content, says, command):
    pipe = _repo(tmp_path, pyproject=content)
    assert main([command, str(pipe)]) == 2
    err = capsys.readouterr().err
    assert says in err and str(tmp_path / "pyproject.toml") in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_unknown_key_suggests_the_known_one(tmp_path, capsys):
    pipe = _repo(tmp_path, pipec_toml='source_root = "."\n')
    assert main(["check", str(pipe)]) == 2
    assert "did you mean 'source-root'?" in capsys.readouterr().err


def test_files_with_different_output_folders_are_built_separately(tmp_path, capsys):
    pipe = _repo(tmp_path, pipec_toml='output = "generated"\n')
    other = tmp_path / "svc"
    other.mkdir()
    (other / "pipec.toml").write_text('output = "out"\n', encoding="utf-8")
    (other / "b.pipe").write_text(pipe.read_text(encoding="utf-8").replace("my-app", "other-app"), encoding="utf-8")
    assert main(["build", str(pipe), str(other / "b.pipe")]) == 2
    assert "build them separately" in capsys.readouterr().err


def test_no_strict_overrides_strict_true(tmp_path, capsys):
    """'strict = true' could not be switched off from the command line: flags win both ways."""
    pipe = _repo(tmp_path, pipec_toml='strict = true\nignore = ["W508"]\n')
    assert main(["check", str(pipe)]) == 1
    assert main(["check", "--no-strict", str(pipe)]) == 0
    capsys.readouterr()
