"""The progress bar of ``pipec import --audit`` (issue 28, item 7): drawn on a terminal only,
erased at the end, never in a pipe or with a machine-readable format."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from pipec.progress import Bar, line, wanted

ROOT = Path(__file__).parent.parent
BUILDSPEC = (ROOT / "examples" / "migration" / "codepipeline" / "buildspec.yml").read_text()


def _tree(tmp_path, n=12) -> Path:
    root = tmp_path / "tree"
    for i in range(n):
        d = root / f"service-{i:02d}"
        d.mkdir(parents=True)
        (d / "buildspec.yml").write_text(BUILDSPEC)
    return root


def _on_pty(argv, env=None):
    """(exit status, standard error as the terminal got it, standard output) of pipec with its
    standard error on a pseudo-terminal."""
    import pty

    leader, follower = pty.openpty()
    chunks = []
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pipec", *argv], stderr=follower, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env)
        os.close(follower)
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        out = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        os.close(leader)
    return proc.returncode, b"".join(chunks).decode(), out.decode()


def _env():
    return {k: v for k, v in os.environ.items() if k != "TERM"}


def test_bar_on_a_terminal_is_drawn_and_erased(tmp_path):
    root = _tree(tmp_path)
    code, err, out = _on_pty(["import", "--audit", str(root)], _env())
    assert code == 0
    assert "\r\x1b[2K[" in err and "/12 service-00" in err  # the first frame, before the first file
    assert err.endswith("\r\x1b[2K")  # erased: the terminal is left as it was
    assert out.startswith("# pipec import audit of")


def test_no_bar_with_json_on_a_terminal(tmp_path):
    root = _tree(tmp_path)
    code, err, out = _on_pty(["import", "--audit", str(root), "--format", "json"], _env())
    assert code == 0 and err == ""
    assert json.loads(out)["results"]


def test_no_bar_off_a_terminal(tmp_path):
    root = _tree(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "pipec", "import", "--audit", str(root)],
                          capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 0 and proc.stderr == ""


def test_bar_throttles_and_cuts_to_the_width():
    stream, now = io.StringIO(), [0.0]
    bar = Bar(stream, every=0.1, clock=lambda: now[0])
    bar(0, 4, "a")
    bar(1, 4, "b")  # within a tenth of a second: not redrawn
    now[0] = 0.5
    bar(2, 4, "c")
    bar(4, 4)
    assert stream.getvalue() == ("\r\x1b[2K[....................] 0/4 a" "\r\x1b[2K[##########..........] 2/4 c"
                                 "\r\x1b[2K")
    assert len(line(3, 10, "x" * 200, 40)) == 39 and line(3, 10, "x" * 200, 40).endswith("...")


def test_wanted_only_on_a_real_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert wanted(Tty(), {}) is True
    assert wanted(Tty(), {"TERM": "dumb"}) is False
    assert wanted(io.StringIO(), {}) is False
