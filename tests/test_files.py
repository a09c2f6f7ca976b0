"""Single-file writes and reads (issue 23, items 9 and 17): modes under the umask, fmt and
read-only files, owners, read-only folders, empty output paths, ``import -``."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipec.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "01-ci-pull-requests.pipe"
WORKFLOW = ROOT / "examples" / "migration" / "github-actions" / ".github" / "workflows" / "web.yml"
UGLY = EXAMPLE.read_text(encoding="utf-8") + "\n\n\n"  # fmt removes the extra blank lines


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return status, out, err


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ----------------------------------------------------------------------------- modes of new files


def test_import_output_and_report_honour_the_umask(tmp_path, capsys, umask022):
    out, report = tmp_path / "web.pipe", tmp_path / "report.md"
    status, _, err = run(capsys, "import", str(WORKFLOW), "-o", str(out), "--report", str(report))
    assert status == 0, err
    assert mode(out) == 0o644 and mode(report) == 0o644


def test_import_audit_files_honour_the_umask(tmp_path, capsys, umask022):
    status, _, err = run(capsys, "import", "--audit", str(WORKFLOW.parent), "-o", str(tmp_path / "audit"))
    assert status == 0, err
    written = [p for p in (tmp_path / "audit").rglob("*") if p.is_file()]
    assert len(written) >= 3
    assert {mode(p) for p in written} == {0o644}


def test_graph_output_honours_the_umask(tmp_path, capsys, umask022):
    out = tmp_path / "g.mmd"
    status, _, err = run(capsys, "graph", str(EXAMPLE), "-o", str(out))
    assert status == 0, err
    assert mode(out) == 0o644


def test_a_stricter_umask_is_honoured_too(tmp_path, capsys):
    old = os.umask(0o077)
    try:
        status, _, _ = run(capsys, "graph", str(EXAMPLE), "-o", str(tmp_path / "g.mmd"))
    finally:
        os.umask(old)
    assert status == 0 and mode(tmp_path / "g.mmd") == 0o600


def test_rewriting_an_existing_output_keeps_its_mode(tmp_path, capsys, umask022):
    out = tmp_path / "g.mmd"
    out.write_text("old")
    out.chmod(0o640)
    assert run(capsys, "graph", str(EXAMPLE), "-o", str(out))[0] == 0
    assert mode(out) == 0o640 and out.read_text() != "old"


# ----------------------------------------------------------------------------- fmt


def test_fmt_refuses_a_read_only_file(tmp_path, capsys):
    f = tmp_path / "a.pipe"
    f.write_text(UGLY)
    f.chmod(0o444)
    status, out, err = run(capsys, "fmt", str(f))
    assert status == 2
    assert "read-only" in err and str(f) in err
    assert f.read_text() == UGLY and mode(f) == 0o444
    assert list(tmp_path.iterdir()) == [f]


def test_fmt_check_of_a_read_only_file_is_fine(tmp_path, capsys):
    f = tmp_path / "a.pipe"
    f.write_text(UGLY)
    f.chmod(0o444)
    status, out, err = run(capsys, "fmt", "--check", str(f))
    assert status == 1 and "would reformat" in out


def test_fmt_keeps_mode_and_owner(tmp_path, capsys):
    f = tmp_path / "a.pipe"
    f.write_text(UGLY)
    f.chmod(0o640)
    if os.geteuid() == 0:  # root can give the file away, as another user's file would be
        os.chown(f, 4321, 4322)
    before = f.stat()
    status, out, err = run(capsys, "fmt", str(f))
    assert status == 0, err
    after = f.stat()
    assert f.read_text() != UGLY
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid) == \
           (stat.S_IMODE(before.st_mode), before.st_uid, before.st_gid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pipe"]


def test_fmt_through_a_symbolic_link_keeps_the_link(tmp_path, capsys):
    real = tmp_path / "real.pipe"
    real.write_text(UGLY)
    link = tmp_path / "link.pipe"
    link.symlink_to(real)
    assert run(capsys, "fmt", str(link))[0] == 0
    assert link.is_symlink() and real.read_text() != UGLY


def _without_root_powers():
    """For a child process of root: drop the capabilities that let root write into a read-only
    folder (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) from its bounding set, so that
    the program it runs meets the folder's permissions as any user would."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_fmt_in_a_read_only_folder_is_a_clean_error():
    """A writable file in a read-only folder: exit 3 (PermissionError from mkstemp) before."""
    d = Path(tempfile.mkdtemp(prefix="pipec-ro-"))
    try:
        f = d / "a.pipe"
        f.write_text(UGLY)
        f.chmod(0o666)
        d.chmod(0o555)
        p = subprocess.run([sys.executable, "-m", "pipec", "fmt", "a.pipe"], cwd=d, capture_output=True, text=True,
                           timeout=60, preexec_fn=_without_root_powers if os.geteuid() == 0 else None)
        assert p.returncode == 2, p.stderr
        assert "folder . is not writable" in p.stderr and "internal error" not in p.stderr
        assert f.read_text() == UGLY and sorted(x.name for x in d.iterdir()) == ["a.pipe"]
    finally:
        d.chmod(0o755)
        shutil.rmtree(d)


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("argv", [
    ["build", str(EXAMPLE), "-o", ""],
    ["build", str(EXAMPLE), "-o", "  "],
    ["graph", str(EXAMPLE), "-o", ""],
    ["import", str(WORKFLOW), "-o", ""],
    ["import", str(WORKFLOW), "--report", ""],
])
def test_an_empty_output_path_is_a_usage_error(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert "an empty path" in err
    assert list(tmp_path.iterdir()) == []


def test_import_dash_reads_standard_input(capsys, monkeypatch):
    status, out, err = run(capsys, "import", "-", stdin=WORKFLOW.read_text(encoding="utf-8"), monkeypatch=monkeypatch)
    assert status == 0, err
    assert out.startswith("# Imported by pipec from - (workflow).") and "pipeline " in out
    from_file = run(capsys, "import", str(WORKFLOW))[1]
    assert out.replace("from - (", "from web.yml (").replace("(-:", "(web.yml:") == from_file


def test_import_dash_with_bad_yaml_points_into_standard_input(capsys, monkeypatch):
    status, out, err = run(capsys, "import", "-", stdin="on: [push\njobs: {", monkeypatch=monkeypatch)
    assert status == 1
    assert "error[E601]" in err and "--> -:" in err
