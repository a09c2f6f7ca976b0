"""Workflow constructs the importer maps into commands and settings rather than only reporting
(issue 25 item 4): third-party actions with a documented effect (targets/github/imports/
third_party.py), runner files, ``working-directory``. Each test writes a small workflow, checks
the ``.pipe`` and that the step counts as mapped in the inventory, and, where the mapping is a
script, runs it in bash against stand-in commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest

import pipec
from pipec import importer
from pipec.targets.import_inventory import account

BASH = shutil.which("bash")


def imp(text: str, **kw) -> importer.Result:
    text = textwrap.dedent(text)
    r = importer.import_one("wf.yml", text, **kw)
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), r.diagnostics
    ITEMS[id(r)] = account(r, importer.load(text, "wf.yml"))
    return r


ITEMS: dict = {}


def status(r, category: str, contains: str) -> str:
    """Where the inventory finds the original's item (mapped, reported, ignored or lost)."""
    [item] = [i for i in ITEMS[id(r)] if i.category == category and contains in i.text]
    return item.status


def commands(r) -> list[str]:
    pipeline, _ = pipec.compile_text(r.source, "x.pipe")
    return [c.text for s in pipeline.stages for a in s.actions for p in a.phases for c in p.commands]


def run(script: str, tmp_path, stubs: dict[str, str], env: dict | None = None) -> subprocess.CompletedProcess:
    """``script`` in bash with stand-in executables (name -> bash body) first on PATH."""
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    for name, body in stubs.items():
        (bin_ / name).write_text("#!/bin/bash\n" + body + "\n", encoding="utf-8")
        (bin_ / name).chmod(0o755)
    full = {"PATH": f"{bin_}:{os.environ['PATH']}", "HOME": str(tmp_path), **(env or {})}
    return subprocess.run([BASH, "-c", script], capture_output=True, text=True, env=full, cwd=tmp_path, timeout=60)


RUN_BUILD = """
name: ci
on: [push]
jobs:
  integ:
    runs-on: ubuntu-latest
    steps:
      - name: Run CodeBuild
        uses: aws-actions/aws-codebuild-run-build@v1
        timeout-minutes: 120
        with:
          project-name: my-project
          buildspec-override: codebuild/integ.yml
          image-override: aws/codebuild/standard:5.0
"""

#: a stand-in aws CLI: start-build prints an id and records its arguments; batch-get-builds
#: answers IN_PROGRESS once, then $FINAL
FAKE_AWS = """
case "$2" in
  start-build) printf '%s\\n' "$@" > args.txt; echo my-project:1234 ;;
  batch-get-builds) if [ -e polled ]; then echo "$FINAL"; else touch polled; echo IN_PROGRESS; fi ;;
  stop-build) echo stopped >> stopped.txt ;;
esac
"""


def test_codebuild_run_build_becomes_start_build_and_a_wait(tmp_path):
    r = imp(RUN_BUILD, repository="acme/app")
    assert status(r, "step", "aws-codebuild-run-build") == "mapped"
    assert status(r, "job", "integ") == "mapped"
    assert "workflow: third-party action" not in {u.construct for u in r.unconverted}
    assert 'allow "codebuild:BatchGetBuilds" "codebuild:StartBuild" "codebuild:StopBuild" on ' \
           '"arn:aws:codebuild:*:*:project/my-project"' in r.source
    [script] = commands(r)
    assert "deadline=$((SECONDS + 7200))" in script   # the step's timeout-minutes
    if BASH is None:
        return
    env = {"CODEBUILD_RESOLVED_SOURCE_VERSION": "abc123", "GITHUB_REF": "refs/heads/a,b c", "OTHER": "x"}
    fast = script.replace("sleep 30", "sleep 0")
    done = run(fast, tmp_path, {"aws": FAKE_AWS}, {**env, "FINAL": "SUCCEEDED"})
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[args.index("--project-name") + 1] == "my-project"
    assert args[args.index("--source-version") + 1] == "abc123"
    assert args[args.index("--source-location-override") + 1] == "https://github.com/acme/app.git"
    assert args[args.index("--buildspec-override") + 1] == "codebuild/integ.yml"
    overrides = args[args.index("--environment-variables-override") + 1]
    assert '{"name": "GITHUB_REF", "value": "refs/heads/a,b c", "type": "PLAINTEXT"}' in overrides
    assert "OTHER" not in overrides
    (tmp_path / "polled").unlink()
    failed = run(fast, tmp_path, {"aws": FAKE_AWS}, {**env, "FINAL": "FAILED"})
    assert failed.returncode != 0 and "CodeBuild build my-project:1234: FAILED" in failed.stdout


def test_codebuild_run_build_with_an_unknown_input_stays_a_finding():
    r = imp(RUN_BUILD.replace("project-name: my-project", "project-name: my-project\n          mystery: 1"))
    assert "workflow: action inputs" in {u.construct for u in r.unconverted}
    assert status(r, "step", "aws-codebuild-run-build") == "reported"


def test_a_timeout_on_another_action_step_is_a_finding():
    """timeout-minutes on a uses step was dropped with no word; a mapped action keeps it or says so."""
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                timeout-minutes: 5
              - run: make
        """)
    assert "workflow: step timeout" in {u.construct for u in r.unconverted}


RUNNER_FILES = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: version
        run: |
          echo "VERSION=$(cat VERSION)" >> $GITHUB_ENV
          echo "tag=v$(cat VERSION)" >> "$GITHUB_OUTPUT"
          echo "$HOME/tools" >> $GITHUB_PATH
      - run: mytool "$VERSION" ${{ steps.version.outputs.tag }}
"""


def test_runner_file_writes_become_shell_statements(tmp_path):
    r = imp(RUNNER_FILES, repository="acme/app")
    assert "workflow: GitHub runner file" not in {u.construct for u in r.unconverted}
    assert status(r, "step", "build[1] run") == "mapped"
    assert all(status(r, "command", c) == "mapped" for c in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH"))
    got = commands(r)
    assert got == ['export VERSION="$(cat VERSION)"', 'export STEPS_VERSION_TAG="v$(cat VERSION)"',
                   'export PATH="$HOME/tools:$PATH"', 'mytool "$VERSION" ${STEPS_VERSION_TAG}']
    if BASH is None:
        return
    # the phase's commands share one shell: the later command sees the value, the tool, the output
    (tmp_path / "VERSION").write_text("1.2\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "mytool").write_text('#!/bin/bash\necho "tool $1 $2"\n')
    (tmp_path / "tools" / "mytool").chmod(0o755)
    done = run("set -e\n" + "\n".join(got), tmp_path, {})
    assert done.stdout == "tool 1.2 v1.2\n", done.stderr


def test_a_script_step_writes_emulated_runner_files(tmp_path):
    """A step that is not simple commands (it assigns a variable, reads its own write) stays one
    script; its runner files are files of the build's own, read after it as GitHub reads them."""
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - id: v
                run: |
                  A=one
                  echo "A=$A" >> $GITHUB_ENV
                  echo "A is '$A' here, not yet in the env: ${B:-unset}"
                  echo "dir=/opt/x" >> "$GITHUB_OUTPUT"
                  echo "/opt/bin" >> $GITHUB_PATH
              - run: echo "$A ${{ steps.v.outputs.dir }}"
              - run: |
                  echo "B=2" >> $GITHUB_OUTPUT
                  echo "C<<EOF" >> $GITHUB_ENV
        """)
    assert status(r, "step", "build[1] run") == "mapped" and status(r, "step", "build[2] run") == "mapped"
    assert status(r, "step", "build[3] run") == "reported"   # no step id; the NAME<<DELIMITER form
    got = commands(r)
    assert got[0] == 'github_files=$(mktemp -d) && touch "$github_files/env" "$github_files/output" ' \
                     '"$github_files/path"'
    assert got[1].startswith('(\nset -e\nexport GITHUB_ENV="$github_files/env" GITHUB_OUTPUT=')
    assert got[-1] == 'echo "$A ${STEPS_V_DIR}"'
    if BASH is None:
        return
    done = run("set -e\n" + "\n".join(got[:-1]) + '\necho "$A ${STEPS_V_DIR} $PATH"', tmp_path, {})
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "A is 'one' here, not yet in the env: unset"
    assert second.startswith("one /opt/x /opt/bin:") and second.endswith(os.environ["PATH"])


def test_workspace_and_literal_env_expressions_are_evaluated_at_import():
    r = imp("""
        on: push
        env:
          PY: "3.11"
          APP: web
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ env.PY }}
              - run: make
                working-directory: ${{ github.workspace }}/${{ env.APP }}
              - run: ls
                working-directory: ${{ github.workspace }}
              - run: cp out.txt ${{ github.workspace }}/dist
        """)
    assert not r.unconverted, r.unconverted
    assert "runtime python 3.11" in r.source
    assert commands(r) == ["(\nset -e\ncd web\nmake\n)", "ls", "cp out.txt ${CODEBUILD_SRC_DIR}/dist"]


def test_env_expressions_are_not_evaluated_when_a_step_may_change_the_value():
    r = imp("""
        on: push
        env:
          PY: "3.11"
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: echo "PY=3.12" >> $GITHUB_ENV
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ env.PY }}
        """)
    assert "workflow: runtime version" in {u.construct for u in r.unconverted}
    assert "runtime python" not in r.source


def test_setup_sam_with_the_installer_downloads_it_and_puts_it_on_path():
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: aws-actions/setup-sam@v2
                with:
                  use-installer: true
                  version: 1.120.0
              - run: sam build
        """)
    assert status(r, "step", "setup-sam") == "mapped"
    got = commands(r)
    assert got[0] == "sam_dir=$(mktemp -d)"
    assert "releases/download/v1.120.0/aws-sam-cli-linux-x86_64.zip" in got[1]
    assert got[2:] == ['export PATH="$sam_dir/dist:$PATH"', "sam build"]
    # without the installer the action pip-installs SAM into a virtual environment: a finding
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: aws-actions/setup-sam@v2
              - run: sam build
        """)
    assert "workflow: third-party action" in {u.construct for u in r.unconverted}


@pytest.mark.parametrize("uses, runtime, found", [
    ("actions/setup-node@v1", "runtime nodejs 10", False),          # v1's action.yml: default 10.x
    ("actions/setup-node@v4", None, False),                         # v2 on: Node left as it is
    ("actions/setup-python@v2.3.2", "runtime python 3", False),     # v1 to v3: default 3.x
    ("actions/setup-python@v5", None, True),                        # v4 on: reads .python-version
    ("actions/setup-node@0123456789abcdef0123456789abcdef01234567", None, True),  # which version?
])
def test_setup_actions_without_a_version_use_their_documented_default(uses, runtime, found):
    r = imp(f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: {uses}
              - run: make
        """)
    assert ("workflow: runtime version" in {u.construct for u in r.unconverted}) == found
    statements = [x.strip() for x in r.source.splitlines() if not x.strip().startswith("#")]
    assert [x for x in statements if x.startswith("runtime ")] == ([runtime] if runtime else [])


def test_expressions_known_at_import_are_written_as_their_value():
    """GitHub evaluates ${{ }} before the shell runs: a matrix value in a ternary, fromJSON of a
    literal in a condition."""
    r = imp("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                suite: [a, finch]
            steps:
              - uses: actions/checkout@v4
              - run: echo "RUNTIME=${{ matrix.suite == 'finch' && 'finch' || 'docker' }}"
              - if: contains(fromJSON('["finch", "x"]'), matrix.suite)
                run: echo finch only
        """)
    assert not r.unconverted, r.unconverted
    assert 'build t-a {' in r.source and 'build "echo \\"RUNTIME=docker\\""' in r.source
    assert 'build "echo \\"RUNTIME=finch\\"" "echo finch only"' in r.source


def test_the_env_of_a_workflow_whose_jobs_are_all_left_out_is_reported():
    """It was lost with no finding (real-world dataset: jobs with `if: false`)."""
    r = imp("""
        on: workflow_dispatch
        env:
          CHART: basket-api
        jobs:
          deploy:
            if: false
            runs-on: ubuntu-latest
            steps:
              - run: echo $CHART
        """)
    assert status(r, "variable", "CHART") == "reported"


def test_a_trigger_left_out_for_one_pattern_accounts_for_its_other_patterns():
    """`push` left out for its re-including paths-ignore pattern: its branches were lost with no
    finding (real-world dataset, fastai)."""
    r = imp("""
        on:
          workflow_dispatch:
          push:
            branches:
              - master
            paths-ignore:
              - '.github/**'
              - '!.github/workflows/main.yml'
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """)
    assert "on push" not in r.source
    assert status(r, "trigger", "push branches master") == "reported"


def test_registry_logins_and_rust_cache_become_commands():
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: Swatinem/rust-cache@v2
              - id: login-ecr
                uses: aws-actions/amazon-ecr-login@v2
              - uses: docker/login-action@v3
                with:
                  username: ${{ secrets.HUB_USER }}
                  password: ${{ secrets.HUB_TOKEN }}
              - run: docker push ${{ steps.login-ecr.outputs.registry }}/app:${{ github.sha }}
        """, repository="acme/app")
    for step in ("rust-cache", "amazon-ecr-login", "docker/login-action", "build[4] run"):
        assert status(r, "step", step) == "mapped", step
    assert commands(r) == [
        "export CARGO_INCREMENTAL=0",
        "STEPS_LOGIN_ECR_REGISTRY=$(aws ecr get-authorization-token --query 'authorizationData[0].proxyEndpoint' "
        "--output text | sed 's|^https://||')",
        'aws ecr get-login-password | docker login --username AWS --password-stdin "${STEPS_LOGIN_ECR_REGISTRY:?}"',
        """printf '%s' "${DOCKER_PASSWORD}" | docker login --password-stdin --username "${DOCKER_USERNAME}\"""",
        "docker push ${STEPS_LOGIN_ECR_REGISTRY}/app:${CODEBUILD_RESOLVED_SOURCE_VERSION}"]
    assert 'cache "~/.cargo/registry" "~/.cargo/git" "~/.cargo/bin" "target"' in r.source
    assert 'allow "ecr:GetAuthorizationToken" on "*"' in r.source
    assert "secret DOCKER_PASSWORD from github HUB_TOKEN" in r.source   # (and from SSM on AWS, with a task)
    # signing in to ECR with docker/login-action uses the job's AWS credentials: not mapped
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/login-action@v3
                with:
                  registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com
              - run: make
        """)
    assert "workflow: action inputs" in {u.construct for u in r.unconverted}


def test_an_expression_that_is_a_whole_single_quoted_word():
    """'${{ vars.X }}': GitHub writes the value between the quotes; "${X}" is the same word. An
    expression inside a longer single-quoted text stays a finding."""
    r = imp("""
        on: workflow_dispatch
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: aws s3 cp out.zip 's3://${{ vars.BUCKET }}/x' && aws s3 ls '${{ vars.BUCKET }}'
        """)
    assert status(r, "step", "deploy[0] run") == "reported"   # (the first: inside a longer text)
    r = imp("""
        on: workflow_dispatch
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: aws s3 ls '${{ vars.BUCKET }}'
        """)
    assert commands(r) == ['aws s3 ls "${BUCKET}"']
    assert status(r, "command", "aws s3 ls") == "mapped"


def test_a_step_bash_cannot_read_as_one_command_is_a_finding_not_e699():
    """`shopt -s extglob` then `!(...)` works line by line in GitHub's step script, but the step's
    ( ... ) command is read whole (E210): it was an E699 import failure (real-world, OWASP)."""
    r = imp("""
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: |
                  shopt -s extglob
                  rm -rf !("CNAME"|"robots.txt")
              - run: make
        """)
    assert "workflow: script bash cannot read" in {u.construct for u in r.unconverted}
    assert commands(r)[-1] == "make"


def test_a_simple_step_with_a_write_pipec_does_not_translate_is_emulated():
    """`echo ... >> $GITHUB_ENV # note` is not the one-word form: the step's lines stay as they
    are, with the emulated files (it was written verbatim, appending to an unset $GITHUB_ENV)."""
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: |
                  echo "A=1" >> $GITHUB_ENV  # for the next step
              - run: echo "$A"
        """)
    got = commands(r)
    assert got[0].startswith("github_files=$(mktemp -d)") and 'export GITHUB_ENV="$github_files/env"' in got[1]
    assert got[2].startswith("while IFS= read -r line; do export") and got[3] == 'echo "$A"'


SET_OUTPUT = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: version
        run: |
          echo "::set-output name=tag::v$(cat VERSION)"
          echo ::set-output name=channel::stable
      - run: mytool ${{ steps.version.outputs.tag }} ${{ steps.version.outputs.channel }}
"""


def test_the_deprecated_set_output_command_is_the_output_write_it_stands_for(tmp_path):
    """'echo "::set-output name=N::V"' (replaced by 'echo "N=V" >> $GITHUB_OUTPUT', GitHub's
    changelog of 2022-10-11) becomes the same export, so the step reading it is mapped too."""
    r = imp(SET_OUTPUT, repository="acme/app")
    assert not {u.construct for u in r.unconverted} & {"workflow: expression in a command",
                                                       "workflow: GitHub runner file"}
    got = commands(r)
    assert got == ['export STEPS_VERSION_TAG="v$(cat VERSION)"', "export STEPS_VERSION_CHANNEL=stable",
                   "mytool ${STEPS_VERSION_TAG} ${STEPS_VERSION_CHANNEL}"]
    assert status(r, "command", "::set-output name=tag") == "mapped"
    assert status(r, "command", "mytool") == "mapped"
    (tmp_path / "VERSION").write_text("1.2\n")
    done = run("set -e\n" + "\n".join(got), tmp_path, {"mytool": 'echo "tool $1 $2"'})
    assert done.stdout == "tool v1.2 stable\n", done.stderr


def test_a_set_output_in_another_form_leaves_the_reader_a_finding():
    r = imp(SET_OUTPUT.replace('echo ::set-output name=channel::stable',
                               'if true; then echo "::set-output name=channel::stable"; fi'), repository="acme/app")
    assert "workflow: expression in a command" in {u.construct for u in r.unconverted}
    assert status(r, "command", "mytool") == "reported"


def test_a_set_output_value_is_decoded_as_the_runner_decodes_it(tmp_path):
    """The runner replaces %0D, %0A and %25 in a ::set-output value (ActionCommand.UnescapeData):
    a literal value is decoded at import, so the reader sees the same lines and percent signs; a
    value with an expansion and a '%' is left to GitHub, and its reader is a finding."""
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - id: notes
                run: |
                  echo "::set-output name=body::line 1%0Aline 2: 100%25 it's"
                  echo '::set-output name=raw::%250A'
                  echo ::set-output name=plain::a%0Ab
              - run: printf '<%s>' "${{ steps.notes.outputs.body }}" "${{ steps.notes.outputs.raw }}" "${{ steps.notes.outputs.plain }}"
        """, repository="acme/app")
    got = commands(r)
    assert status(r, "command", "printf") == "mapped"
    done = run("set -e\n" + "\n".join(got), tmp_path, {})
    assert done.stdout == "<line 1\nline 2: 100% it's><%0A><a\nb>", done.stderr
    computed = imp(SET_OUTPUT.replace("v$(cat VERSION)", "v$(cat VERSION)%0A"), repository="acme/app")
    assert status(computed, "command", "mytool") == "reported"


def test_the_round_trip_reads_set_output_back_as_the_export():
    import sys
    from pathlib import Path

    bench = str(Path(__file__).resolve().parent.parent / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import roundtrip

    text = textwrap.dedent(SET_OUTPUT)
    r = imp(SET_OUTPUT, repository="acme/app")
    assert roundtrip.compare(r, "wf.yml", text)["equal"]
    assert roundtrip.everything(r, "wf.yml", text)["counts"]["loss"] == 0


CARGO = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        target: [x86_64-unknown-linux-gnu]
    steps:
      - uses: actions/checkout@v4
      - uses: actions-rs/cargo@v1
        with:
          command: test
          toolchain: +nightly
          args: --release --target ${{ matrix.target }} --features "a b" $HOME
      - uses: actions-rs/cargo@v1
        with:
          command: build
          use-cross: true
"""


def test_actions_rs_cargo_runs_cargo_with_its_arguments_unexpanded(tmp_path):
    """actions-rs/cargo runs cargo [+toolchain] command args (args split by string-argv, no shell):
    the command passes the same words, '$HOME' as written; use-cross stays a finding."""
    r = imp(CARGO, repository="acme/app")
    got = commands(r)
    assert got == ["cargo +nightly test --release --target x86_64-unknown-linux-gnu --features 'a b' '$HOME'"]
    assert status(r, "step", "test[1] actions-rs/cargo") == "mapped"
    assert status(r, "step", "test[2] actions-rs/cargo") == "reported"
    done = run(got[0], tmp_path, {"cargo": 'printf "<%s>" "$@"'})
    assert done.stdout == "<+nightly><test><--release><--target><x86_64-unknown-linux-gnu><--features><a b><$HOME>"


def test_cargo_args_are_split_as_string_argv_splits_them_not_as_a_shell_would(tmp_path):
    """string-argv keeps the quotes of a word with quoted parts (cargo gets '--features="x y"'),
    splits '"a b"c' in two and skips a quote with no partner; a backslash is an ordinary character.
    (The expected words are what node printed for string-argv 0.3.1's parseArgsStringToArgv.)"""
    r = imp("""
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions-rs/cargo@v1
                with:
                  command: build
                  args: --features="x y" --cfg='a' "a b"c ""
              - uses: actions-rs/cargo@v1
                with:
                  command: check
                  args: C:\\dir it's
        """, repository="acme/app")
    got = commands(r)
    assert status(r, "step", "test[1] actions-rs/cargo") == "mapped"
    done = run(got[0], tmp_path, {"cargo": 'printf "<%s>" "$@"'})
    assert done.stdout == """<build><--features="x y"><--cfg='a'><a b><c><>"""
    assert status(r, "step", "test[2] actions-rs/cargo") == "mapped"
    done = run(got[1], tmp_path, {"cargo": 'printf "<%s>" "$@"'})
    assert done.stdout == """<check><C:\\dir><it><s>"""


def test_continue_on_error_of_a_uses_step_is_kept_or_said(tmp_path):
    """continue-on-error: true on actions-rs/cargo: a failing cargo fails neither the job on GitHub
    nor the build here ('|| true'); on the other mapped actions it is a finding, never dropped."""
    r = imp("""
        on: push
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-node@v4
                continue-on-error: true
                with:
                  node-version: 20
              - uses: actions-rs/cargo@v1
                continue-on-error: true
                with:
                  command: clippy
              - run: echo after
        """, repository="acme/app")
    got = commands(r)
    done = run("set -e\n" + "\n".join(got), tmp_path, {"cargo": "echo lint errors; exit 101"})
    assert done.returncode == 0 and done.stdout == "lint errors\nafter\n", (got, done.stderr)
    found = [u for u in r.unconverted if u.construct == "workflow: continue-on-error"]
    assert len(found) == 1 and "actions/setup-node" in str(found[0]), r.unconverted


def test_workspace_and_literal_env_paths_of_cache_and_upload_are_evaluated_at_import():
    """${{ github.workspace }}/X is X in the checkout (the folder a job starts in) and a literal
    env value is its text, for actions/cache and upload-artifact paths as for commands."""
    r = imp("""
        on: push
        env:
          OUT: dist
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/cache@v4
                with:
                  path: ${{ github.workspace }}/.scons_cache
                  key: scons-${{ hashFiles('SConstruct') }}
              - run: scons
              - uses: actions/upload-artifact@v4
                with:
                  name: wheels
                  path: ${{ env.OUT }}/*.whl
        """, repository="acme/app")
    assert 'cache ".scons_cache"' in r.source
    assert 'artifact wheels files "*.whl" base dist' in r.source
    assert status(r, "step", "build[1] actions/cache") == "mapped"
    assert status(r, "step", "build[3] actions/upload-artifact") == "mapped"


def test_the_env_of_a_cargo_step_is_its_commands_environment_only(tmp_path):
    """Regression (real-world sharkdp/bat): the step's env RUSTDOCFLAGS was dropped with no finding
    once actions-rs/cargo became a command; it is an assignment in front of that command."""
    r = imp("""
        on: push
        jobs:
          doc:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions-rs/cargo@v1
                env:
                  RUSTDOCFLAGS: -D warnings
                with:
                  command: doc
              - run: echo "after=${RUSTDOCFLAGS:-unset}"
        """, repository="acme/app")
    got = commands(r)
    assert got[0] == "RUSTDOCFLAGS='-D warnings' cargo doc"
    assert status(r, "variable", "RUSTDOCFLAGS") == "mapped"
    done = run("\n".join(got), tmp_path, {"cargo": 'echo "flags=$RUSTDOCFLAGS"'})
    assert done.stdout == "flags=-D warnings\nafter=unset\n"


def test_a_mapped_action_with_its_own_env_is_a_finding():
    r = imp("""
        on: push
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: Swatinem/rust-cache@v2
                env:
                  CARGO_HOME: /opt/cargo
              - run: cargo build
        """, repository="acme/app")
    assert status(r, "variable", "CARGO_HOME") == "reported"
    assert "CARGO_INCREMENTAL" not in r.source
