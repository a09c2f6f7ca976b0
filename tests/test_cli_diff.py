"""``--diff`` with ``pipec fmt --check`` and ``pipec build --check``: a unified diff of what would
change, with a/ and b/ names, that ``git apply`` applies; nothing is written and the exit status
stays 1 when something differs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipec.cli import main
from pipec.cli_diff import unified

REFERENCE = (Path(__file__).parent.parent / "examples" / "02-reference.pipe").read_text(encoding="utf-8")
UNFORMATTED = REFERENCE.replace("\n  ", "\n    ", 1)


def apply(root: Path, patch: str) -> None:
    subprocess.run(["git", "apply", "-"], cwd=root, input=patch, text=True, check=True, capture_output=True)


def test_fmt_check_diff_prints_the_change_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("p").mkdir()
    Path("p/a.pipe").write_text(UNFORMATTED, encoding="utf-8")
    Path("p/b.pipe").write_text(REFERENCE, encoding="utf-8")
    assert main(["fmt", "--check", "--diff", "p/a.pipe", "p/b.pipe"]) == 1
    out = capsys.readouterr().out
    assert Path("p/a.pipe").read_text(encoding="utf-8") == UNFORMATTED
    assert out.startswith("would reformat p/a.pipe\n--- a/p/a.pipe\n+++ b/p/a.pipe\n@@ ")
    assert "b.pipe" not in out
    apply(tmp_path, out[out.index("---"):])  # the diff is the formatter's change, exactly
    assert Path("p/a.pipe").read_text(encoding="utf-8") == REFERENCE
    assert main(["fmt", "--check", "--diff", "p"]) == 0
    assert "---" not in capsys.readouterr().out


def test_fmt_diff_alone_implies_check(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.pipe").write_text(UNFORMATTED, encoding="utf-8")
    assert main(["fmt", "--diff", "a.pipe"]) == 1
    assert "+++ b/a.pipe" in capsys.readouterr().out
    assert Path("a.pipe").read_text(encoding="utf-8") == UNFORMATTED


def build(*extra: str) -> int:
    return main(["build", "r.pipe", "-o", "out", "--target", "aws", "--source-root", ".", *extra])


def test_build_check_diff_shows_differing_and_missing_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("r.pipe").write_text(REFERENCE, encoding="utf-8")
    assert build() == 0
    files = sorted(p for p in Path("out").rglob("*") if p.is_file())
    gone = next(p for p in files if p.name != "pipec-manifest.json" and "template" not in p.name)
    gone_text = gone.read_text(encoding="utf-8")
    gone.unlink()
    Path("r.pipe").write_text(REFERENCE.replace("Verify staging before production", "Verify staging first"),
                              encoding="utf-8")
    before = {p: p.read_bytes() for p in files if p.exists()}
    capsys.readouterr()
    assert build("--check", "--diff") == 1
    out = capsys.readouterr().out
    assert {p: p.read_bytes() for p in files if p.exists()} == before and not gone.exists()
    assert "--- a/out/aws/my-app.template.yaml\n+++ b/out/aws/my-app.template.yaml\n" in out
    assert "-            CustomData: Verify staging before production\n" in out
    assert "+            CustomData: Verify staging first\n" in out
    assert f"--- /dev/null\n+++ b/{gone.as_posix()}\n" in out
    apply(tmp_path, out[out.index("\n---") + 1:])
    assert gone.read_text(encoding="utf-8") == gone_text
    assert build("--check") == 0  # the diff was the whole change
    assert build("--check", "--diff") == 0
    assert "---" not in capsys.readouterr().out


def test_build_diff_alone_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("r.pipe").write_text(REFERENCE, encoding="utf-8")
    assert build("--diff") == 1
    assert not Path("out").exists()
    assert "+++ b/out/aws/my-app.template.yaml" in capsys.readouterr().out


def test_a_removed_file_goes_to_dev_null_and_a_missing_final_newline_is_marked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert unified("out/x.yml", "a: 1\n", None) == "--- a/out/x.yml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a: 1\n"
    assert unified("x", "a\nb", "a\nc\n") == ("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n"
                                              "\\ No newline at end of file\n+c\n")
    assert unified("x", "same\n", "same\n") == ""
