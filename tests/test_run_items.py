"""Issue 22's items that act can run, executed: the GitHub side of each regression run by
``pipec run`` (act, host mode, offline) in a fresh git repository, and compared with what
CodeBuild does by its documentation (docs/language.md, "Run time"). The items act cannot run
(AWS calls, environments, OIDC) are modelled and read back (docs/equivalence.md)."""

from __future__ import annotations

import os
import stat
import subprocess

from test_run import repo, run, summary


def _lines(out: str, action: str) -> list[str]:
    """What the commands of ``action`` printed, in order (``[stage / action]   text`` lines)."""
    prefix = f"[{action}]   "
    return [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]


def test_shell_state_carries_from_phase_to_phase_under_act(tmp_path, capsys):
    """Item 19: what the old state file lost (IFS, set -C, unset, names like the runner's, umask,
    the directory stack, background jobs) carries on in the one bash process."""
    path = repo(tmp_path, "st", """  stage s {
    build b {
      env MODE = "fast"
      install "IFS=:" "A=1" "set -C" "unset MODE" "BASHFUL=1" "INPUT_NAME=2" "umask 027" "mkdir -p d" "pushd d" "(sleep 0.1; echo bg > ../bg.txt) & PID=$!"
      build "echo MARK a=$A mode=${MODE-unset} names=$BASHFUL$INPUT_NAME umask=$(umask) dir=$(basename $PWD)" "wait $PID && echo MARK waited $(cat ../bg.txt)"
    }
  }
""")
    status, out, err = run(capsys, path)
    assert status == 0, out + err
    marks = [line for line in _lines(out, "s / b") if line.startswith("MARK")]
    assert marks == ["MARK a=1 mode=unset names=12 umask=0027 dir=d", "MARK waited bg"]


def test_values_a_build_sees_under_act(tmp_path, capsys):
    """Items 3 and 10: the pipeline variable wins over the build's env of the same name, as
    CodeBuild ranks the action's variables above the buildspec's; the built-in variables with
    a same-meaning value are set (the source directory is the working directory, the commit is
    the checked-out one)."""
    path = repo(tmp_path, "vals", """  stage s {
    build b {
      env CHANNEL = "beta"
      build "echo MARK channel=$CHANNEL" "test \\"$CODEBUILD_SRC_DIR\\" = \\"$PWD\\" && echo MARK srcdir" "test -n \\"$CODEBUILD_BUILD_NUMBER\\" && echo MARK number"
    }
  }
""".replace("  stage s {", '  stage s {', 1))
    text = path.read_text().replace('pipeline vals {\n', 'pipeline vals {\n  variable CHANNEL = "stable"\n', 1)
    path.write_text(text)
    status, out, err = run(capsys, path)
    assert status == 0, out + err
    assert [line for line in _lines(out, "s / b") if line.startswith("MARK")] == [
        "MARK channel=stable", "MARK srcdir", "MARK number"]


def test_file_modes_and_dotfiles_cross_jobs_under_act(tmp_path, capsys):
    """Item 9 (and 8's dot-files): an executable built in one action is executable in the next,
    and a dot-file reaches it, through the artifact: the collect, pack, download and unpack steps
    pipec writes, run by act. The artifact stand-ins keep modes themselves, so this does not show
    that upload-artifact's zip would lose them (modelled; the mutation in test_equivalence)."""
    path = repo(tmp_path, "modes", """  stage one {
    build make {
      build "mkdir -p out/bin" "printf '#!/bin/sh\\necho MARK selftest\\n' > out/bin/server" "chmod 755 out/bin/server" "echo x > out/.env"
      artifact dist files "**/*" base out
    }
  }
  stage two {
    test use {
      from dist
      build "./bin/server" "test -f .env && echo MARK dotfile"
    }
  }
""")
    status, out, err = run(capsys, path)
    assert status == 0, out + err
    assert [line for line in _lines(out, "two / use") if line.startswith("MARK")] == ["MARK selftest", "MARK dotfile"]
    assert summary(out) == {"one / make": "succeeded", "two / use": "succeeded"}


def test_commands_reach_the_shell_byte_for_byte_under_act(tmp_path, capsys):
    """Item 16: a heredoc whose lines look like YAML and like pinned 'uses:' lines writes
    exactly those lines."""
    path = repo(tmp_path, "verb", '''  stage s {
    build b {
      build """
        cat > out.txt <<'EOF'
        contents: read
        uses: actions/checkout@0123456789abcdef0123456789abcdef01234567 # v7
        EOF
      """
      post_build "sha256sum out.txt | cut -c1-16 | sed 's/^/MARK /'"
    }
  }
''')
    status, out, err = run(capsys, path)
    assert status == 0, out + err
    import hashlib

    want = "contents: read\nuses: actions/checkout@0123456789abcdef0123456789abcdef01234567 # v7\n"
    digest = hashlib.sha256(want.encode()).hexdigest()[:16]
    assert f"MARK {digest}" in _lines(out, "s / b")


def test_a_run_started_by_hand_on_another_branch_runs_nothing_under_act(tmp_path, capsys):
    """Item 5: 'Run workflow' from a branch other than the source's skips every job (the guard);
    from the source's branch it runs (pipec run starts manual runs there)."""
    path = repo(tmp_path, "man", """  stage s {
    build b {
      build "echo MARK ran"
    }
  }
""")
    text = path.read_text().replace("    on push branches main\n", "    on push branches main\n    on manual\n")
    path.write_text(text)
    status, out, err = run(capsys, path, "--event", "manual")
    assert status == 0, out + err
    assert "MARK ran" in _lines(out, "s / b")
    # the same run on another branch: the run copy's event names the branch the user is on
    from pipec.targets.github import run as runmod

    original = runmod.prepare_many

    def elsewhere(items, *args, **kwargs):
        items = [(p, {rel: text.replace("refs/heads/main", "refs/heads/feature/x") if rel.endswith(".yml") else text
                      for rel, text in files.items()}, selected) for p, files, selected in items]
        return original(items, *args, **kwargs)

    runmod.prepare_many = elsewhere
    try:
        status, out, err = run(capsys, path, "--event", "manual")
    finally:
        runmod.prepare_many = original
    assert "MARK ran" not in _lines(out, "s / b")
