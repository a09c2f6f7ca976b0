"""``pipec import`` of hand-written GitHub Actions workflows (targets/github/imports/): one test per
construct, each an inline workflow, asserting the .pipe text, the findings and the tasks."""

from __future__ import annotations

import pipec

import textwrap

import pytest

from pipec import importer
from pipec.targets.github.imports import commands as gi_commands


def imp(text: str, job: bool = False, **kw) -> importer.Result:
    r = importer.import_one("wf.yml", textwrap.dedent(text) + (JOB if job else ""), **kw)
    assert not any(d.code == "E699" for d in r.diagnostics), r.diagnostics
    return r


def ok(text: str, job: bool = False, **kw) -> importer.Result:
    r = imp(text, job, **kw)
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), (r.status, r.diagnostics)
    return r


def constructs(r) -> list[str]:
    return [u.construct for u in r.unconverted]


def flat(r) -> str:
    """The .pipe text with each line stripped (scripts compared without the formatter's indentation)."""
    return "\n".join(line.strip() for line in r.source.splitlines())


def body(r) -> str:
    """The .pipe text without comment lines."""
    return "\n".join(line for line in r.source.splitlines() if not line.lstrip().startswith("#"))


JOB = """
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make
"""


# ----------------------------------------------------------------------------- the seed's workflow


def test_seed_build_and_test_workflow():
    # the "GitHub Actions" example of the course text, re-typed
    r = ok("""
        name: Build and Test
        on:
          push:
            branches: [main]
          pull_request:
            branches: [main]
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: Set up Node.js
                uses: actions/setup-node@v4
                with:
                  node-version: "20"
              - name: Install dependencies
                run: npm ci
              - name: Run tests
                run: npm test
              - name: Build
                run: npm run build
        """, repository="my-org/app")
    text = body(r)
    assert "pipeline Build-and-Test {" in text
    assert 'source app github "my-org/app" {' in text
    assert "on push branches main" in text
    assert "on pull_request opened updated into main" in text
    assert "runtime nodejs 20" in text
    assert 'build "npm ci" "npm test" "npm run build"' in text
    assert "timeout 360m" in text
    assert sorted(constructs(r)) == ["workflow: pull request commit", "workflow: pull_request event type"]
    assert r.tasks == []
    assert r.mapping["jobs"] == {"build": ["build"]}
    assert r.mapping["stages"] == [["build"]]
    assert r.mapping["triggers"] == {"push": True, "pull_request": True}


# ----------------------------------------------------------------------------- pipeline and source


def test_name_from_file_stem_and_placeholder_repository():
    r = ok("on: workflow_dispatch\n" + JOB)
    assert "pipeline wf {" in r.source
    assert '"OWNER/REPO"' in r.source
    assert [t.kind for t in r.tasks] == ["repository"]
    assert r.status == importer.SUCCESSFUL


def test_default_branch_placeholder_becomes_main_with_a_task():
    r = ok("on:\n  push:\n    branches: [$default-branch]\n" + JOB, repository="o/r")
    assert "branch main" in r.source and "on push branches main" in r.source
    assert any("default branch" in t.text for t in r.tasks)
    assert constructs(r) == []


def test_single_literal_branch_becomes_source_branch():
    r = ok("on:\n  push:\n    branches: [develop]\n" + JOB, repository="o/r")
    assert "branch develop" in r.source


# ----------------------------------------------------------------------------- triggers


def test_push_without_filters_watches_every_branch_and_tag():
    r = ok("on: push\n" + JOB, repository="o/r")
    assert 'on push branches "**"' in r.source
    assert 'on push tags "**"' in r.source


def test_event_list():
    r = ok("on: [push, workflow_dispatch]\n" + JOB, repository="o/r")
    assert "on manual" in r.source and 'on push branches "**"' in r.source


def test_push_branches_and_tags_are_two_lines_and_tags_drop_paths():
    r = ok("""
        on:
          push:
            branches: [main, "release/**"]
            tags: ["v*"]
            paths: ["src/**"]
        """, job=True, repository="o/r")
    assert 'on push branches main "release/**" paths "src/**"' in r.source
    assert 'on push tags "v*"\n' in r.source


def test_ignore_filters_become_excludes():
    r = ok("""
        on:
          push:
            branches-ignore: ["dependabot/**"]
            paths-ignore: ["docs/**"]
        """, job=True, repository="o/r")
    assert 'on push branches "**" !"dependabot/**" paths "**" !"docs/**"' in r.source


def test_reinclude_after_exclude_is_not_converted():
    r = ok("""
        on:
          push:
            branches: ["**", "!release/**", "release/keep"]
        """, job=True, repository="o/r")
    assert "workflow: filter re-includes" in constructs(r)
    # issue 25: the trigger is kept (the re-included names stay excluded, as the finding says)
    assert 'on push branches "**" "release/keep" !"release/**"' in r.source


def test_github_question_mark_operator_is_a_finding():
    r = ok("on:\n  push:\n    branches: ['v1?']\n" + JOB, repository="o/r")
    assert "workflow: filter pattern" in constructs(r)


def test_more_than_eight_patterns_is_a_finding():
    branches = ", ".join(f"b{i}" for i in range(9))
    r = ok(f"on:\n  push:\n    branches: [{branches}]\n" + JOB, repository="o/r")
    assert "workflow: too many patterns" in constructs(r)


def test_pull_request_types():
    r = ok("""
        on:
          pull_request:
            types: [opened, synchronize, closed, labeled]
            paths: ["src/**"]
        """, job=True, repository="o/r")
    assert 'on pull_request opened updated closed paths "src/**"' in r.source
    msgs = [u.message for u in r.unconverted if u.construct == "workflow: pull_request event type"]
    assert len(msgs) == 1 and "labeled" in msgs[0]


def test_workflow_dispatch_inputs_become_variables():
    r = ok("""
        on:
          workflow_dispatch:
            inputs:
              channel:
                description: Release channel
                default: stable
              dry:
                type: boolean
                default: false
              note:
                description: free text
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: ./release.sh ${{ inputs.channel }} ${{ github.event.inputs.dry }}
        """, repository="o/r")
    assert 'variable channel = stable description "Release channel"' in r.source
    assert "variable dry = false" in r.source
    assert 'variable note = "" description "free text"' in r.source
    assert 'build "./release.sh ${channel} ${dry}"' in r.source
    assert sorted(constructs(r)) == ["workflow: dispatch input without default", "workflow: typed dispatch input"]


def test_unmapped_events_leave_a_manual_trigger():
    r = ok("on:\n  issues:\n    types: [opened]\n  release:\n" + JOB, repository="o/r")
    assert "on manual" in r.source
    assert sorted(constructs(r)) == ["workflow: issues trigger", "workflow: release trigger"]
    assert r.mapping["triggers"] == {"issues": False, "release": False}


def test_both_branches_and_branches_ignore_is_an_error():
    r = imp("on:\n  push:\n    branches: [a]\n    branches-ignore: [b]\n" + JOB)
    assert r.status == importer.FAILED
    assert r.diagnostics[0].code == "E602"


# ----------------------------------------------------------------------------- mode


@pytest.mark.parametrize("conc, mode, found", [
    (None, "parallel", []),
    ("deploy", "superseded", []),
    ("{group: deploy, cancel-in-progress: true}", "superseded", ["workflow: cancel-in-progress"]),
    ("{group: '${{ github.ref }}'}", "superseded", ["workflow: concurrency group per run"]),
])
def test_concurrency_becomes_mode(conc, mode, found):
    head = "on: workflow_dispatch\n" + (f"concurrency: {conc}\n" if conc else "")
    r = ok(head + JOB, repository="o/r")
    assert f"mode {mode}" in r.source
    assert constructs(r) == found


# ----------------------------------------------------------------------------- env and secrets


def test_env_and_secrets():
    r = ok("""
        on: workflow_dispatch
        env:
          NODE_ENV: production
          RETRIES: 3
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              NPM_TOKEN: ${{ secrets.NPM_AUTH }}
              SHA: ${{ github.sha }}
            steps:
              - uses: actions/checkout@v4
              - run: npm publish
        """, repository="o/r")
    text = r.source
    assert "env NODE_ENV = production" in text and 'env RETRIES = "3"' in text or "env RETRIES = 3" in text
    assert 'secret NPM_TOKEN from ssm "/wf/NPM_AUTH"' in text
    assert "secret NPM_TOKEN from github NPM_AUTH" in text
    assert constructs(r) == ["workflow: env expression"]
    assert [t.kind for t in r.tasks] == ["secret"] and "/wf/NPM_AUTH" in r.tasks[0].text


def test_secret_in_a_command():
    r = ok("""
        on: workflow_dispatch
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: 'curl -H "Authorization: ${{ secrets.API_KEY }}" https://example.com'
        """, repository="o/r")
    assert 'secret API_KEY from ssm "/wf/API_KEY"' in r.source
    assert '${API_KEY}' in r.source


# ----------------------------------------------------------------------------- jobs and stages


def test_needs_make_stages_and_parallel_groups():
    r = ok("""
        on: workflow_dispatch
        jobs:
          build:
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
          lint:
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make lint}]
          deploy:
            needs: build
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make deploy}]
        """, repository="o/r")
    text = body(r)
    assert "stage build {\n    parallel {\n      build build {" in text
    assert "test lint {" in text
    assert "stage deploy {\n    build deploy {" in text
    assert r.mapping["stages"] == [["build", "lint"], ["deploy"]]
    # deploy now also waits for lint
    assert constructs(r) == ["workflow: ordering made stricter"]


def test_reusable_workflow_job():
    r = ok("""
        on: workflow_dispatch
        jobs:
          call:
            uses: my-org/wf/.github/workflows/x.yml@main
          build:
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
        """, repository="o/r")
    assert "workflow: reusable workflow call" in constructs(r)
    # issue 25: the job keeps its place, as an action that fails until it is written
    assert r.mapping["jobs"]["call"] == ["call"] and "call" in r.mapping["placeholders"]


def test_nothing_importable_is_partial_with_placeholders():
    r = imp("""
        on: workflow_dispatch
        jobs:
          call:
            uses: my-org/wf/.github/workflows/x.yml@main
        """)
    assert r.status == importer.PARTIAL  # issue 25: a pipeline degrades, never fails
    assert "workflow: reusable workflow call" in constructs(r) and "exit 1" in r.source


def test_runners():
    r = ok("""
        on: workflow_dispatch
        jobs:
          old:
            runs-on: ubuntu-22.04
            steps: [{uses: actions/checkout@v4}, {run: make}]
          win:
            runs-on: windows-latest
            steps:
              - uses: actions/checkout@v4
              - run: dir
              - run: make
                shell: bash
        """, repository="o/r")
    assert "runs_on ubuntu-22.04" in r.source
    # a Windows job that cannot be an 'os windows' build becomes a Linux build on a Linux runner:
    # keeping windows-latest would run its bash commands in PowerShell on GitHub (E316)
    assert "runs_on windows" not in r.source
    assert constructs(r) == ["workflow: non-Ubuntu runner", "workflow: non-bash shell"]


def test_runners_of_another_system_or_architecture_are_not_kept():
    r = ok("""
        on: workflow_dispatch
        jobs:
          mac:
            runs-on: macos-14
            steps: [{uses: actions/checkout@v4}, {run: make}]
          arm:
            runs-on: ubuntu-24.04-arm
            steps: [{uses: actions/checkout@v4}, {run: make}]
          own:
            runs-on: [self-hosted, gpu]
            steps: [{uses: actions/checkout@v4}, {run: make}]
        """, repository="o/r")
    assert "runs_on macos" not in r.source and "runs_on ubuntu-24.04-arm" not in r.source
    assert "runs_on self-hosted gpu" in r.source  # labels that name no system are kept
    runners = [u for u in r.unconverted if u.construct == "workflow: non-Ubuntu runner"]
    assert len(runners) == 3  # mac and arm: not kept; own: kept, and CodeBuild runs Ubuntu
    assert sum("E316" in str(u) for u in runners) == 2


def test_container_services_timeout_environment():
    r = ok("""
        on: workflow_dispatch
        jobs:
          build:
            runs-on: ubuntu-latest
            container: node:20
            services:
              db: {image: postgres}
            timeout-minutes: 30
            environment: production
            steps: [{uses: actions/checkout@v4}, {run: make}]
        """, repository="o/r")
    text = r.source
    assert 'image docker "node:20"' in text
    assert "timeout 30m" in text
    assert "environment production" in text
    assert sorted(constructs(r)) == ["workflow: environment protection", "workflow: service containers"]
    assert any(t.kind == "reviewers" for t in r.tasks)


def test_timeout_out_of_range_is_clamped_with_a_finding():
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    timeout-minutes: 2\n"
           "    steps: [{uses: actions/checkout@v4}, {run: make}]\n", repository="o/r")
    assert "timeout 5m" in r.source
    assert constructs(r) == ["workflow: timeout out of range"]


def test_job_conditions():
    r = ok("""
        on: workflow_dispatch
        jobs:
          fork-guard:
            if: github.repository == 'o/r'
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
          other:
            if: github.repository == 'someone/else'
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
          event:
            if: github.event_name == 'push'
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
        """, repository="o/r")
    assert r.mapping["jobs"] == {"fork-guard": ["fork-guard"], "other": [], "event": []}
    assert constructs(r) == ["workflow: job condition", "workflow: job condition"]


# ----------------------------------------------------------------------------- matrix


def test_matrix_include_exclude_follows_github_rules():
    # the example of GitHub's documentation ("Expanding or adding matrix configurations")
    r = ok("""
        on: workflow_dispatch
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                fruit: [apple, pear]
                animal: [cat, dog]
                include:
                  - color: green
                  - color: pink
                    animal: cat
                  - fruit: apple
                    shape: circle
                  - fruit: banana
                  - fruit: banana
                    animal: cat
            steps:
              - uses: actions/checkout@v4
              - run: echo ${{ matrix.fruit }} ${{ matrix.animal }} ${{ matrix.color }} ${{ matrix.shape }}
        """, repository="o/r")
    text = r.source
    for line in ('build "echo apple cat pink circle"', 'build "echo apple dog green circle"',
                 'build "echo pear cat pink"', 'build "echo pear dog green"', 'build "echo banana"',
                 'build "echo banana cat"'):
        assert line in text
    assert r.mapping["jobs"]["t"] == ["t-apple-cat-pink-circle", "t-apple-dog-green-circle", "t-pear-cat-pink",
                                      "t-pear-dog-green", "t-banana", "t-banana-cat"]
    assert "parallel {" in text


def test_matrix_exclude_and_runtime_and_step_condition():
    r = ok("""
        on: workflow_dispatch
        jobs:
          t:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, ubuntu-22.04]
                node: [18, 20]
                exclude:
                  - os: ubuntu-22.04
                    node: 18
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-node@v4
                with: {node-version: "${{ matrix.node }}"}
              - run: npm test
              - if: matrix.node == 20
                run: npm run coverage
        """, repository="o/r")
    assert r.mapping["jobs"]["t"] == ["t-ubuntu-latest-18", "t-ubuntu-latest-20", "t-ubuntu-22-04-20"]
    assert "runtime nodejs 18" in r.source and "runtime nodejs 20" in r.source
    assert r.source.count('"npm run coverage"') == 2
    assert constructs(r) == []


def test_matrix_too_large_or_computed_skips_the_job():
    big = ", ".join(str(i) for i in range(257))  # more than a matrix, and a stage, may hold
    r = ok(f"""
        on: workflow_dispatch
        jobs:
          big:
            runs-on: ubuntu-latest
            strategy: {{matrix: {{n: [{big}]}}}}
            steps: [{{uses: actions/checkout@v4}}, {{run: make}}]
          dyn:
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{{{ fromJSON(needs.x.outputs.m) }}}}
            steps: [{{uses: actions/checkout@v4}}, {{run: make}}]
          ok:
            runs-on: ubuntu-latest
            steps: [{{uses: actions/checkout@v4}}, {{run: make}}]
        """, repository="o/r")
    assert constructs(r) == ["workflow: matrix too large", "workflow: matrix expression"]


def test_a_matrix_that_means_the_same_becomes_a_matrix_block():
    """Issue 26: axes of plain values, excludes, includes of whole new cells, matrix values read
    in commands and as a setup version: one action with a matrix, whose cells are GitHub's."""
    r = ok("""
        on: workflow_dispatch
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              max-parallel: 2
              matrix:
                python: ["3.10", "3.12"]
                db: [pg, my]
                exclude: [{python: "3.10", db: my}]
                include: [{python: "3.13", db: pg}]
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with: {python-version: "${{ matrix.python }}"}
              - run: pytest --db ${{ matrix.db }}
        """, repository="o/r")
    for line in ("axis python 3.10 3.12", "axis db pg my", "exclude python=3.10 db=my",
                 "include python=3.13 db=pg", "fail_fast on", 'runtime python "$python"',
                 'build "pytest --db ${db}"'):
        assert line in r.source, line
    assert r.mapping["jobs"]["test"] == ["test"]
    # max-parallel 2 is a finding: CodeBuild fails the builds over a project's limit (E317)
    assert "max_parallel 2" not in r.source and constructs(r) == ["workflow: max-parallel"]
    pipeline, _ = pipec.compile_text(r.source, "ci.pipe")
    cells = {tuple(sorted(c)) for c in pipeline.stages[0].actions[0].matrix.cells()}
    assert cells == {(("db", "pg"), ("python", "3.10")), (("db", "pg"), ("python", "3.12")),
                     (("db", "my"), ("python", "3.12")), (("db", "pg"), ("python", "3.13"))}


def test_max_parallel_one_runs_combinations_in_order():
    r = ok("""
        on: workflow_dispatch
        jobs:
          deploy:
            runs-on: ubuntu-latest
            strategy:
              max-parallel: 1
              matrix: {env: [staging, prod]}
            steps: [{uses: actions/checkout@v4}, {run: "./deploy ${{ matrix.env }}"}]
        """, repository="o/r")
    assert "parallel {" not in r.source
    assert r.source.index("build deploy-staging") < r.source.index("build deploy-prod")


# ----------------------------------------------------------------------------- commands


def test_simple_lines_split_and_others_become_a_subshell_script():
    r = ok("""
        on: workflow_dispatch
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: |
                  make deps
                  # a comment
                  make all && make check
              - run: |
                  cd web
                  npm ci
        """, repository="o/r")
    text = r.source
    assert 'run "make deps"' in text and 'run "make all && make check"' in text
    assert '"""\n(\nset -e\ncd web\nnpm ci\n)\n"""' in flat(r)


@pytest.mark.parametrize("line, pipefail, last, simple", [
    ("make", False, True, True),
    ("a; b", False, True, False),
    ("cd src", False, True, False),
    ("export A=1", False, True, False),
    ("A=1", False, True, False),
    ("A=1 make", False, True, False),
    ("a && b", False, False, False),
    ("a && b", False, True, True),
    ("a || b", False, False, True),
    ("a | b", False, True, True),
    ("a | b", True, True, False),
    ("echo 'a; b'", False, True, True),
    ("make 2>&1", False, True, True),
    ("sleep 1 &", False, True, False),
    ("cat <<EOF", False, True, False),
    ("if true; then a; fi", False, True, False),
    ("echo \"unclosed", False, True, False),
    ("make \\", False, True, False),
    ("echo $(date; date)", False, True, True),
])
def test_simple_command_rule(line, pipefail, last, simple):
    assert gi_commands._simple(line, pipefail, last) is simple


def test_shell_bash_adds_pipefail_and_working_directory_and_step_env():
    r = ok("""
        on: workflow_dispatch
        defaults:
          run:
            shell: bash
        jobs:
          b:
            runs-on: ubuntu-latest
            defaults:
              run:
                working-directory: app
            steps:
              - uses: actions/checkout@v4
              - run: make | tee log
                env:
                  LEVEL: debug
                  TOKEN: ${{ secrets.TOKEN }}
        """, repository="o/r")
    assert ('(\nset -eo pipefail\ncd app\nexport LEVEL=debug\nexport TOKEN="${TOKEN}"\nmake | tee log\n)'
            in flat(r))
    assert 'secret TOKEN from ssm "/wf/TOKEN"' in r.source


def test_other_shells_are_not_converted():
    r = ok("""
        on: workflow_dispatch
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: print(1)
                shell: python
              - run: make
        """, repository="o/r")
    assert constructs(r) == ["workflow: non-bash shell"]
    assert 'build "make"' in r.source


def test_expressions_in_commands():
    r = ok("""
        on: workflow_dispatch
        env:
          TARGET: dist
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make OUT=${{ env.TARGET }} REV=${{ github.ref }}
              - run: echo ${{ steps.x.outputs.y }}
              - run: echo 'ref ${{ github.ref }}'
              - run: echo "v=1" >> $GITHUB_OUTPUT
        """, repository="o/r")
    assert 'build "make OUT=${TARGET} REV=${GITHUB_REF}"' in r.source
    assert constructs(r) == ["workflow: GitHub-only context in a command", "workflow: expression in a command",
                             "workflow: expression in single quotes", "workflow: GitHub runner file"]


def test_step_conditions():
    r = ok("""
        on: [workflow_dispatch, push]
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make
              - if: runner.os == 'Windows'
                run: never-here
              - if: github.event_name == 'push'
                run: maybe
              - if: failure()
                run: on-failure
              - if: always()
                run: make clean
        """, repository="o/r")
    # issue 25: the undecidable step is kept, behind a first command that fails until decided
    assert "never-here" not in r.source and 'run "maybe"' in body(r)
    assert body(r).index("ran only if a condition held") < body(r).index('run "make"')
    assert 'run "make"' in r.source and 'finally "make clean"' in r.source
    assert constructs(r) == ["workflow: step condition", "workflow: failure() step"]


def test_continue_on_error_step_is_mapped_and_from_an_expression_not_converted():
    """continue-on-error: true is the step in a subshell that ends with status 0 (tests/
    test_import_shells.py); a value computed during the run stays a finding."""
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - uses: actions/checkout@v4\n      - run: flaky\n        continue-on-error: true\n"
           "      - run: make\n", repository="o/r")
    assert constructs(r) == []
    assert "set +e" in body(r) and "flaky" in body(r)
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - uses: actions/checkout@v4\n      - run: flaky\n        continue-on-error: ${{ inputs.lax }}\n"
           "      - run: make\n", repository="o/r")
    assert constructs(r) == ["workflow: continue-on-error"]
    assert "flaky" not in body(r)


# ----------------------------------------------------------------------------- uses steps


def test_checkout_fetch_depth_and_other_repository():
    r = ok("""
        on: workflow_dispatch
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with: {fetch-depth: 0}
              - uses: actions/checkout@v4
                with: {repository: other/repo, path: other}
              - run: git describe --tags
        """, repository="o/r")
    assert "clone full" in r.source
    assert constructs(r) == ["workflow: checkout of another repository"]


def test_git_commands_need_a_full_clone():
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - uses: actions/checkout@v4\n      - run: git log -1\n", repository="o/r")
    assert "clone full" in r.source
    assert constructs(r) == ["workflow: git history"]


def test_setup_actions():
    r = ok("""
        on: workflow_dispatch
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-java@v4
                with: {distribution: temurin, java-version: 17}
              - uses: actions/setup-node@v4
                with: {node-version: 18.x, cache: npm}
              - uses: actions/setup-python@v5
              - run: make
        """, repository="o/r")
    assert "runtime java corretto17" in r.source
    assert "runtime nodejs 18\n" in r.source
    assert constructs(r) == ["workflow: Java distribution", "workflow: runtime version"]


def test_cache():
    r = ok("""
        on: workflow_dispatch
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/cache@v4
                with:
                  path: |
                    ~/.npm
                    node_modules
                  key: npm-${{ hashFiles('package-lock.json') }}
              - uses: actions/cache@v4
                with: {path: .build, key: build-cache}
              - run: make
        """, repository="o/r")
    assert 'cache "~/.npm" node_modules ".build"' in r.source
    assert constructs(r) == ["workflow: cache key"]


def test_artifacts_flow_between_jobs():
    r = ok("""
        on: workflow_dispatch
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make dist
              - uses: actions/upload-artifact@v4
                with: {name: site, path: "dist/*.html"}
          check:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/download-artifact@v4
                with: {name: site, path: out}
              - run: ls out
          publish:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with: {name: site}
              - run: ls
        """, repository="o/r")
    text = r.source
    assert 'artifact site files "*.html" base dist' in text
    assert "from app site" in text
    assert 'build "mkdir -p out && cp -R \\"$CODEBUILD_SRC_DIR_site/.\\" out" "ls out"' in text
    assert "build publish {\n        image ubuntu\n        timeout 360m\n        from site\n" in text
    assert constructs(r) == []


def test_download_of_an_artifact_from_elsewhere():
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - uses: actions/checkout@v4\n      - uses: actions/download-artifact@v4\n"
           "        with: {name: nope}\n      - run: make\n", repository="o/r")
    assert constructs(r) == ["workflow: artifact from elsewhere"]


_CREDENTIALS = """
    on: workflow_dispatch
    jobs:
      b:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: aws-actions/configure-aws-credentials@v4
            with:
              role-to-assume: arn:aws:iam::123456789012:role/deploy
              aws-region: eu-west-1
          - run: aws s3 ls
    """


def test_aws_credentials_become_a_task_and_region():
    r = ok(_CREDENTIALS, repository="o/r")
    # the role's account and the Region are where the pipeline runs (issue 27)
    assert "  aws {\n    account 123456789012\n    region eu-west-1\n  }\n" in r.source
    assert "aws_region" not in r.source
    assert any("role/deploy" in t.text for t in r.tasks)
    assert constructs(r) == []


def test_aws_credentials_without_a_role_arn_give_the_region_only():
    keys = "aws-access-key-id: ${{ secrets.KEY_ID }}\n              aws-secret-access-key: ${{ secrets.KEY }}"
    r = ok(_CREDENTIALS.replace("role-to-assume: arn:aws:iam::123456789012:role/deploy", keys), repository="o/r")
    assert "aws_region eu-west-1" in r.source and "account" not in r.source
    assert constructs(r) == []


def _placed_jobs(prod_role: str, prod_region: str) -> str:
    """A workflow of three jobs, build, staging and prod, each assuming a role (prod's given)."""
    jobs = [("build", "arn:aws:iam::111111111111:role/ci", "us-east-1", None),
            ("staging", "arn:aws:iam::111111111111:role/deploy", "us-east-1", "build"),
            ("prod", prod_role, prod_region, "staging")]
    text = "on: workflow_dispatch\njobs:\n"
    for name, role, region, needs in jobs:
        text += (f"  {name}:\n" + (f"    needs: {needs}\n" if needs else "") + "    runs-on: ubuntu-latest\n"
                 "    steps:\n      - uses: actions/checkout@v4\n"
                 "      - uses: aws-actions/configure-aws-credentials@v4\n"
                 f'        with:\n          role-to-assume: "{role}"\n          aws-region: "{region}"\n'
                 f"      - run: ./deploy.sh {name}\n")
    return text


def test_jobs_assuming_roles_in_other_accounts_are_findings_that_say_which_aws_block_to_write():
    r = ok(_placed_jobs("arn:aws:iam::444444444444:role/deploy", "eu-west-1"), repository="o/r")
    # the place most jobs share is the pipeline's
    assert "  aws {\n    account 111111111111\n    region us-east-1\n  }\n" in r.source
    assert constructs(r) == ["workflow: AWS account"]
    (f,) = r.unconverted
    assert "job 'prod' assumes a role in account 444444444444, Region eu-west-1" in f.message
    assert "aws { account 444444444444  region eu-west-1 }" in f.hint
    assert "account 444444444444" not in r.source.split("not converted")[0]
    pipeline, _ = pipec.compile_text(r.source, "x.pipe")
    assert (pipeline.account, pipeline.region) == ("111111111111", "us-east-1")


def test_a_job_in_another_account_of_the_same_region_names_the_account_only():
    (f,) = ok(_placed_jobs("arn:aws:iam::444444444444:role/deploy", "us-east-1"), repository="o/r").unconverted
    assert "aws { account 444444444444 }" in f.hint


def test_an_account_or_region_given_by_an_expression_is_a_finding_that_says_what_to_write():
    r = ok(_placed_jobs("arn:aws:iam::${{ vars.PROD_ACCOUNT }}:role/deploy", "${{ vars.PROD_REGION }}"),
           repository="o/r")
    assert constructs(r) == ["workflow: AWS account", "workflow: AWS region"]
    account, region = r.unconverted
    assert "its account is ${{ vars.PROD_ACCOUNT }}" in account.message
    assert "12-digit ID" in account.hint and "aws { account" in account.hint
    assert "${{ vars.PROD_REGION }}" in region.message and "region eu-west-1" in region.hint
    # the jobs whose roles are known still place the pipeline
    assert "  aws {\n    account 111111111111\n    region us-east-1\n  }\n" in r.source
    (f,) = ok(_placed_jobs("${{ secrets.PROD_ROLE }}", "us-east-1"), repository="o/r").unconverted
    assert f.construct == "workflow: AWS account" and "the role is ${{ secrets.PROD_ROLE }}" in f.message


def test_third_party_action_and_job_with_nothing_to_run():
    r = ok("""
        on: workflow_dispatch
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: codecov/codecov-action@v4
          b:
            runs-on: ubuntu-latest
            steps: [{uses: actions/checkout@v4}, {run: make}]
        """, repository="o/r")
    assert constructs(r) == ["workflow: third-party action", "workflow: job with nothing to run"]
    assert "codecov/codecov-action@v4" in r.unconverted[0].message
    assert r.mapping["jobs"] == {"a": ["a"], "b": ["b"]}
    assert r.mapping["placeholders"] == ["a"]
    # the job keeps its place with one command that fails loudly, never one that passes silently
    assert "job a of" in r.source and "exit 1" in r.source


def test_nothing_converted_at_all_is_partial_with_a_finding():
    r = importer.import_one("w.yml", textwrap.dedent("""
        on:
          issues:
            types: [opened]
        jobs:
          stale:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/stale@v9
        """))
    assert r.status == importer.PARTIAL and "exit 1" in r.source  # issue 25: degrade, never fail
    assert "workflow: nothing to import" in [u.construct for u in r.unconverted]


def test_job_without_checkout_is_reported():
    r = ok("on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: date\n",
           repository="o/r")
    assert constructs(r) == ["workflow: job without checkout"]


# ----------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize("text, where", [
    ("jobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n", "no 'on'"),
    ("on: push\njobs: [1, 2]\n", "'jobs' must be a mapping"),
    ("on: push\njobs:\n  b: 3\n", "must be a mapping"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps: [{run: a, uses: b}]\n", "exactly one of"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps: [{name: a}]\n", "exactly one of"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps: [3]\n", "must be a mapping"),
    ("on: push\njobs:\n  b:\n    needs: c\n    runs-on: x\n    steps: [{run: a}]\n", "not a job"),
    ("on: push\njobs:\n  a:\n    needs: b\n    steps: [{run: a}]\n  b:\n    needs: a\n    steps: [{run: a}]\n",
     "cycle"),
])
def test_invalid_workflows_fail_with_a_position(text, where):
    r = importer.import_one("wf.yml", text)
    assert r.status == importer.FAILED
    d = r.diagnostics[0]
    assert d.code == "E602" and where in d.message
    assert d.span is not None


def test_fork_guard_names_the_repository():
    text = """
        on: push
        jobs:
          publish:
            if: github.repository == 'acme/widgets'
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make publish
          owners:
            if: ${{ github.repository_owner == 'acme' }}
            runs-on: ubuntu-latest
            steps:
              - run: make docs
        """
    r = ok(text)
    assert 'source app github "acme/widgets"' in r.source
    assert "workflow: job condition" not in constructs(r)
    assert any(t.kind == "repository" and "acme/widgets" in t.text for t in r.tasks)
    # given on the command line, the repository wins: the guard is then false and the job is not
    # imported; the pipeline keeps one placeholder action (issue 25: degrade, never fail)
    other = imp(text, repository="someone/fork")
    assert other.status == importer.PARTIAL and "workflow: nothing to import" in constructs(other)
    assert "workflow: job never runs" in constructs(other) or "never runs" in other.unconverted[0].message


def test_owner_guard_alone_keeps_the_placeholder():
    r = ok("""
        on: push
        jobs:
          docs:
            if: github.repository_owner == 'acme'
            runs-on: ubuntu-latest
            steps:
              - run: make docs
        """)
    assert '"OWNER/REPO"' in r.source and "make docs" in r.source


def test_event_name_is_known_when_the_workflow_has_one_event():
    r = ok("""
        on:
          push:
            branches: [main]
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - if: github.event_name == 'push'
                run: make publish
              - if: github.event_name == 'pull_request'
                run: make preview
        """, repository="o/r")
    assert "make publish" in r.source and "make preview" not in r.source
    assert "workflow: step condition" not in constructs(r)
    two = ok("""
        on: [push, pull_request]
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - if: github.event_name == 'push'
                run: make publish
              - run: make test
        """, repository="o/r")
    assert "workflow: step condition" in constructs(two)  # kept behind a failing first command (issue 25)
    assert "ran only if a condition held" in two.source and 'run "make publish"' in two.source


def test_undecidable_job_condition_keeps_the_work_behind_a_failing_guard():
    r = ok("""
        on: [push, pull_request]
        jobs:
          deploy:
            if: github.event_name == 'push' && !startsWith(github.head_ref, 'renovate/')
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make deploy
          after-failure:
            if: failure()
            runs-on: ubuntu-latest
            steps: [{run: notify}]
        """, repository="o/r")
    assert "workflow: job condition" in constructs(r)
    assert "workflow: job runs after failures" in constructs(r)
    text = body(r)
    # the work is there, but the action fails first: it never runs in more cases than on GitHub
    assert text.index("exit 1") < text.index("make deploy")
    assert r.mapping["guards"] == ["deploy"] and "notify" not in r.source


def test_schedules():
    r = ok("""
        on:
          schedule:
            - cron: "30 5 * * mon-fri"
            - cron: "30 5 * * MON-FRI"
            - cron: "*/2 * * * *"
            - cron: "0 0 1 * 1"
        jobs:
          nightly:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make nightly
        """, repository="o/r")
    assert 'on schedule "30 5 * * MON-FRI"' in r.source and r.source.count("on schedule") == 1
    assert constructs(r) == ["workflow: schedule"] * 3  # a repeat, too often for GitHub, both day fields
    assert r.mapping["triggers"] == {"schedule": True}
    assert "on manual" not in r.source


def test_schedule_only_workflow_with_a_bot_action_is_partial():
    r = ok("""
        on:
          schedule:
            - cron: "0 0 * * *"
        jobs:
          stale:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/stale@v9
        """, repository="o/r")
    assert r.status == importer.PARTIAL and "job with nothing to run" in " ".join(constructs(r))
