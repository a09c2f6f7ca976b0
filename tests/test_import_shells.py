"""Run steps whose ``shell:`` is bash with options, and ``continue-on-error: true``, mapped into
the step's subshell (targets/github/imports/shells.py; issue 25 item 4). Each test writes a small
workflow, checks the ``.pipe``, that the step counts as mapped (or, where the meaning differs, as
reported), runs the generated script in bash against stand-in commands where the meaning is the
point, and checks that bench/roundtrip.py reads the commands back as the original's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipec
from pipec import importer
from pipec.targets.github.imports.shells import bash_options, tolerate
from pipec.targets.import_inventory import account

BASH = shutil.which("bash")


def imp(text: str):
    text = textwrap.dedent(text)
    r = importer.import_one("wf.yml", text)
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), r.diagnostics
    return r, {(i.category, i.text): i.status for i in account(r, importer.load(text, "wf.yml"))}, text


def commands(r) -> list[str]:
    pipeline, _ = pipec.compile_text(r.source, "x.pipe")
    return [c.text for s in pipeline.stages for a in s.actions for p in a.phases for c in p.commands]


def workflow(step: str) -> str:
    return "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n" + \
        textwrap.indent(textwrap.dedent(step), "      ")


@pytest.mark.parametrize("shell, expected", [
    ("bash {0}", (False, False, "set +e")),
    ("bash -e {0}", (True, False, "set -e")),
    ("bash --noprofile --norc -eo pipefail {0}", (True, True, "set -eo pipefail")),
    ("bash --noprofile --norc -exo pipefail {0}", (True, True, "set -eo pipefail -x")),
    ("bash -eux -o pipefail {0}", (True, True, "set -eo pipefail -ux")),
    ("bash -x {0}", (False, False, "set +e -x")),
    ("/bin/bash -e {0}", (True, False, "set -e")),
])
def test_a_shell_that_is_bash_with_options_is_its_set_line(shell, expected):
    assert bash_options(shell) == expected


@pytest.mark.parametrize("shell", [
    "bash -l {0}", "bash --login {0}", "bash -leo pipefail {0}", "bash -c {0}", "bash -o posix {0}",
    "bash {0} extra", "bash", "pwsh", "python {0}", "cmd", "bash -eo {0}", "bash --noprofile --norc -eo 'pipefail {0}",
    "scl enable devtoolset-9 -- bash --noprofile --norc -eo pipefail {0}",
])
def test_other_shells_are_not_bash_with_options(shell):
    assert bash_options(shell) is None


def test_bash_without_errexit_is_one_script_whose_last_command_decides():
    r, s, text = imp(workflow("""\
        - name: lint
          shell: bash {0}
          run: |
            make a
            make b
        """))
    assert commands(r) == ["(\nset +e\nmake a\nmake b\n)"]
    assert s[("step", "test[1] run")] == "mapped"
    assert s[("command", "make a")] == s[("command", "make b")] == "mapped"
    assert not r.unconverted


def test_bash_without_errexit_runs_on_after_a_failure_as_github_does(tmp_path):
    """GitHub runs 'bash {0}' scripts without -e: a failing line does not stop the script; the
    subshell does the same even under an outer shell with -e (GitHub's 'bash -e')."""
    r, _s, _t = imp(workflow("""\
        - shell: bash {0}
          run: |
            false
            echo reached > out.txt
        """))
    [script] = commands(r)
    done = subprocess.run([BASH, "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "out.txt").read_text() == "reached\n"


def test_trace_and_pipefail_options_are_kept_in_the_subshell():
    r, s, _t = imp(workflow("""\
        - shell: bash --noprofile --norc -exo pipefail {0}
          run: make check | tee log.txt
        """))
    assert commands(r) == ["(\nset -eo pipefail -x\nmake check | tee log.txt\n)"]
    assert s[("command", "make check | tee log.txt")] == "mapped"


def test_the_verbose_option_is_left_out_of_the_set_line_and_said(tmp_path):
    """bash -v echoes each line as it reads it; 'set -v' inside the subshell echoes nothing, as
    bash has read the whole ( ... ) first: the option is not pretended, it is a finding."""
    assert bash_options("bash -xv {0}") == (False, False, "set +e -x")
    quiet = subprocess.run([BASH, "-c", "(\nset +e -v\necho a\n)"], capture_output=True, text=True)
    assert quiet.stdout == "a\n" and quiet.stderr == ""  # what 'set -v' in the subshell would have given
    r, s, _t = imp(workflow("""\
        - shell: bash -ev {0}
          run: make v
        """))
    assert commands(r) == ["make v"]
    assert [u.construct for u in r.unconverted] == ["workflow: non-bash shell"]
    assert "-v" in r.unconverted[0].message and s[("command", "make v")] == "mapped"


def test_nounset_does_not_refuse_an_expression_github_writes_as_an_empty_value(tmp_path):
    """GitHub writes an expression's value into the script before bash -u reads it: an env value
    that is not set is an empty string, not an unset variable. The variable standing for it is
    read as ${NAME-}, so the subshell's set -u does not stop where GitHub's step goes on."""
    r, s, _t = imp(workflow("""\
        - shell: bash -eu {0}
          env:
            WHERE: ${{ env.NOPE }}
          run: |
            echo "[${{ env.NOPE }}][$WHERE]"
            echo "[$UNSET_HERE_TOO]"
        """))
    [script] = commands(r)
    done = subprocess.run([BASH, "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout == "[][]\n", done.stderr  # as on GitHub: the script's own unset variable
    assert done.returncode != 0 and "UNSET_HERE_TOO: unbound variable" in done.stderr  # still stops it


def test_bash_without_errexit_stops_when_its_working_directory_is_missing(tmp_path):
    """GitHub fails a step whose working-directory does not exist before the script runs ("An error
    occurred trying to start process ... with working directory ... No such file or directory");
    without -e, a failed cd in the subshell would let the script run in the wrong folder."""
    r, _s, text = imp(workflow("""\
        - shell: bash {0}
          working-directory: missing
          run: |
            false
            echo ran > "$PWD/out.txt"
        """))
    [script] = commands(r)
    done = subprocess.run([BASH, "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and not (tmp_path / "out.txt").exists()
    out = _roundtrip().compare(r, "wf.yml", text)
    assert out["equal"], out


def test_bash_with_the_default_options_spelled_out_is_the_bash_shell():
    r, _s, _t = imp(workflow("""\
        - shell: bash --noprofile --norc -eo pipefail {0}
          run: make d
        """))
    assert commands(r) == ["make d"]


def test_a_login_shell_stays_a_finding():
    r, s, _t = imp(workflow("""\
        - shell: bash -l {0}
          run: conda info
        """))
    assert "workflow: non-bash shell" in [u.construct for u in r.unconverted]
    assert s[("command", "conda info")] == "reported"


def test_continue_on_error_runs_the_step_in_a_subshell_that_ends_with_status_zero():
    r, s, _t = imp(workflow("""\
        - name: flaky
          continue-on-error: true
          run: |
            make lint
            make check
        - run: make test
        """))
    assert commands(r) == ["(\nset +e\n(\nset -e\nmake lint\nmake check\n)\nexit 0\n)", "make test"]
    assert tolerate("(\nset -e\nx\n)") == "(\nset +e\n(\nset -e\nx\n)\nexit 0\n)"
    assert s[("step", "test[1] run")] == "mapped" and s[("command", "make lint")] == "mapped"
    assert not r.unconverted


def test_continue_on_error_stops_the_step_at_its_failure_and_the_build_goes_on(tmp_path):
    """The step's own -e still stops it at the failing command (not '|| true', under which bash
    ignores -e), and the build's next command runs."""
    r, _s, _t = imp(workflow("""\
        - continue-on-error: true
          run: |
            false
            echo not-reached > step.txt
        - run: echo next > next.txt
        """))
    done = subprocess.run([BASH, "-e", "-c", "\n".join(commands(r))], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0
    assert not (tmp_path / "step.txt").exists() and (tmp_path / "next.txt").read_text() == "next\n"


def test_continue_on_error_from_an_expression_stays_a_finding():
    r, s, _t = imp("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                experimental: [true, false]
            steps:
              - uses: actions/checkout@v4
              - continue-on-error: ${{ github.event_name == 'push' }}
                run: make lint
        """)
    assert "workflow: continue-on-error" in [u.construct for u in r.unconverted]
    assert s[("command", "make lint")] == "reported"


def test_continue_on_error_false_changes_nothing():
    r, _s, _t = imp(workflow("""\
        - continue-on-error: false
          run: make lint
        """))
    assert commands(r) == ["make lint"] and not r.unconverted


def _roundtrip():
    bench = str(Path(__file__).resolve().parent.parent / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import roundtrip

    return roundtrip


def test_the_round_trip_reads_the_subshells_back_as_the_steps_commands():
    """bench/roundtrip.py strips the set line of a bash shell with options and the
    continue-on-error subshell (documented normalisations), so the commands compare equal."""
    r, _s, text = imp(workflow("""\
        - shell: bash {0}
          run: |
            make a
            make b
        - continue-on-error: true
          run: make lint
        - shell: bash -exo pipefail {0}
          run: make c
        """))
    out = _roundtrip().compare(r, "wf.yml", text)
    assert out["equal"], out
    assert _roundtrip().everything(r, "wf.yml", text)["counts"]["loss"] == 0
