"""pipec.lock: the action pins a repository chose (issue 24, item 5). A bot's bump of a pinned
SHA in a generated workflow is reported precisely by ``build --check``, kept with
``pipec pins --accept``, and written by the next ``pipec build``; bad locks are E003."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipec.cli import main
from pipec.diagnostics import Diagnostics
from pipec.targets.github import pin_lock
from pipec.targets.github.pins import bundled

PIPE = """\
pipeline demo {
  source app github "acme/demo"
  stage build {
    build web {
      build "make"
    }
  }
}
"""
BUMPED = "1111111111111111111111111111111111111111"


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "demo.pipe").write_text(PIPE, encoding="utf-8")
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path)]) == 0
    return tmp_path / ".github" / "workflows" / "demo.yml"


def _checkout() -> tuple[str, str]:
    row = bundled()["actions/checkout"]
    return row["version"], row["sha"]


def test_no_lock_means_the_shipped_pins(tmp_path):
    assert pin_lock.load(tmp_path / "pipec.lock", bundled()) == ()
    text = _repo(tmp_path).read_text()
    version, sha = _checkout()
    assert f"actions/checkout@{sha} # {version}" in text


def test_a_bot_bump_is_reported_kept_and_written(tmp_path, capsys):
    workflow = _repo(tmp_path)
    version, sha = _checkout()
    workflow.write_text(workflow.read_text().replace(f"@{sha} # {version}", f"@{BUMPED} # v99.0.0"))
    capsys.readouterr()
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"actions/checkout: the file pins v99.0.0 ({BUMPED[:12]}), pipec's pins say {version}" in out
    assert "pipec pins --accept .github/workflows/demo.yml" in out

    assert main(["pins", "--source-root", str(tmp_path), "--accept", str(workflow)]) == 0
    lock = json.loads((tmp_path / "pipec.lock").read_text())
    assert lock == {"actions": {"actions/checkout": {"version": "v99.0.0", "sha": BUMPED}}}
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path)]) == 0
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path), "--check"]) == 0
    assert f"actions/checkout@{BUMPED} # v99.0.0" in workflow.read_text()


def test_other_differences_are_not_called_pin_bumps(tmp_path, capsys):
    workflow = _repo(tmp_path)
    version, sha = _checkout()
    text = workflow.read_text().replace(f"@{sha} # {version}", f"@{BUMPED} # v99.0.0")
    workflow.write_text(text.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-22.04"))
    capsys.readouterr()
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path), "--check"]) == 1
    assert "only action pins differ" not in capsys.readouterr().out


def test_update_moves_older_locked_pins_up(tmp_path):
    (tmp_path / "pipec.lock").write_text(pin_lock.dump({"actions/checkout": ("v1.0.0", BUMPED)}))
    assert main(["pins", "--source-root", str(tmp_path), "--update"]) == 0
    # the shipped pin is newer: the entry says nothing the shipped table does not, and goes
    assert json.loads((tmp_path / "pipec.lock").read_text()) == {"actions": {}}
    (tmp_path / "pipec.lock").write_text(pin_lock.dump({"actions/checkout": ("v99.0.0", BUMPED)}))
    assert main(["pins", "--source-root", str(tmp_path), "--update"]) == 0
    assert pin_lock.load(tmp_path / "pipec.lock", bundled()) == (("actions/checkout", "v99.0.0", BUMPED),)


@pytest.mark.parametrize("text, message, line, column", [
    ("{", "not valid JSON", 1, 2),
    ('{"pins": {}}', 'must be {"actions"', 1, 1),
    ('{"actions": {"evil/action": {"version": "v1", "sha": "%s"}}}' % BUMPED, "does not use the action", 1, 14),
    ('{"actions": {\n  "actions/checkout": {"version": "v1", "sha": "abc"}}}', "not 40 lower-case hex", 2, 48),
    ('{"actions": {"actions/checkout": {"version": "latest", "sha": "%s"}}}' % BUMPED, "is not vN", 1, 46),
    ('{"actions": {"actions/checkout": "%s"}}' % BUMPED, "must be {", 1, 14),
])
def test_bad_locks_are_e003_at_the_entry(tmp_path, text, message, line, column):
    (tmp_path / "pipec.lock").write_text(text)
    with pytest.raises(Diagnostics) as exc:
        pin_lock.load(tmp_path / "pipec.lock", bundled())
    (d,) = exc.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E003", line, column)
    assert message in d.message


def test_build_with_a_bad_lock_writes_nothing_and_shows_the_line(tmp_path, capsys):
    (tmp_path / "demo.pipe").write_text(PIPE, encoding="utf-8")
    (tmp_path / "pipec.lock").write_text('{"actions": {"actions/checkout": {"version": "v1", "sha": "abc"}}}')
    assert main(["build", str(tmp_path / "demo.pipe"), "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "error[E003]" in err and "pipec.lock:1:" in err and '"sha": "abc"' in err
    assert not (tmp_path / ".github").exists()


def test_pin_only_differences():
    a = "jobs:\n  - uses: actions/checkout@%s # v1\n  - run: make\n" % ("a" * 40)
    b = a.replace("a" * 40, "b" * 40).replace("# v1", "# v2")
    assert pin_lock.pin_only_differences(a, b) == [("actions/checkout", ("v1", "a" * 40), ("v2", "b" * 40))]
    assert pin_lock.pin_only_differences(a, b.replace("make", "make all")) is None
    assert pin_lock.pin_only_differences(a, b.replace("checkout", "cache")) is None
    assert pin_lock.pin_only_differences(a, a + "x\n") is None
