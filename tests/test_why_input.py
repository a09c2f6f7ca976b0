"""Small review fixes of ``pipec why`` and ``pipec simulate``'s GitHub output: logs saved as
UTF-16 are read; findings from GitHub logs describe GitHub's behaviour, not CodeBuild's; a
simulated step header shows no unevaluated ``${{ }}`` expression as if it were a value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipec import compile_text, github_log
from pipec.why import why

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = Path(__file__).resolve().parent / "why-data" / "written"


def test_a_utf16_log_with_its_byte_order_mark_is_read(tmp_path):
    """Windows PowerShell's '>' writes UTF-16 with a BOM."""
    text = ("[Container] 2026/01/02 03:04:05 Running command eslnt src\n"
            "[Container] 2026/01/02 03:04:06 Command did not exit successfully eslnt src exit status 127\n")
    pipe = WRITTEN / "shop.pipe"
    line = next(i for i, x in enumerate(pipe.read_text(encoding="utf-8").splitlines(), 1) if 'run "eslnt src"' in x)
    for encoding in ("utf-16", "utf-16-be"):
        log = tmp_path / f"{encoding}.log"
        data = text.encode(encoding)
        log.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
        r = subprocess.run([sys.executable, "-m", "pipec", "why", str(pipe), str(log)], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 0 and f"shop.pipe:{line}:" in r.stdout, (encoding, r.stdout, r.stderr)
        assert "U+FFFD" not in r.stderr


def test_github_findings_do_not_describe_codebuild():
    text = (WRITTEN / "shop.pipe").read_text(encoding="utf-8")
    pipeline = compile_text(text, "shop.pipe")[0]
    for log in ("github-job-log-archive.log", "gh-run-view-log-failed.log", "github-step-log-plain.log"):
        for f in why(pipeline, text, (WRITTEN / log).read_text(encoding="utf-8")):
            assert "CodeBuild skipped" not in f.meaning, (log, f.meaning)
            assert "GitHub" in f.meaning or "step" in f.meaning, (log, f.meaning)


def test_a_step_header_names_env_values_the_runner_evaluates():
    step = {"run": "make", "env": {"PLAIN": "1", "CODEBUILD_BUILD_SUCCEEDING":
                                   "${{ steps.build.outcome == 'success' && '1' || '0' }}",
                                   "CODEBUILD_SRC_DIR_fonts": "${{ runner.temp }}/inputs/fonts"}}
    header = github_log.step_header(step)
    assert "  PLAIN: 1" in header
    assert not any("${{" in line for line in header), header
    assert any("CODEBUILD_BUILD_SUCCEEDING, CODEBUILD_SRC_DIR_fonts" in line for line in header)


def test_no_simulated_output_shows_an_unevaluated_expression():
    golden = Path(__file__).resolve().parent / "golden-simulate"
    for path in sorted(golden.glob("*.txt")):
        assert "${{" not in path.read_text(encoding="utf-8"), path.name
