"""Issue 25: every pipeline imports (Successful or Partial), builds, and loses nothing silently.

One regression test per defect of the issue, each from a small input written here (the real
corpus is not part of the repository; bench/import_fidelity.py measures it)."""

from __future__ import annotations

import textwrap

import pytest

from pipec import compile_text, importer
from pipec.build import EmitContext, generate


def run(text: str, file: str = "ci.yml", **kw) -> importer.Result:
    r = importer.import_one(file, textwrap.dedent(text), **kw)
    assert not any(d.code == "E699" for d in r.diagnostics), [d.message for d in r.diagnostics]
    return r


def builds(r: importer.Result, targets=("aws", "github")) -> dict:
    """The files the imported pipeline builds to: an import that does not build is a failure."""
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), (r.status, [d.message for d in r.diagnostics])
    pipeline, diags = compile_text(r.source, "imported.pipe")
    return generate(pipeline, EmitContext(source="imported.pipe", prefix=""), list(targets))


def code(r: importer.Result) -> str:
    return "\n".join(x.strip() for x in r.source.splitlines() if x.strip() and not x.strip().startswith("#"))


def constructs(r: importer.Result) -> list[str]:
    return [u.construct for u in r.unconverted]


# ----------------------------------------------------------------------------- YAML numbers


def test_a_yaml_number_keeps_the_text_written_in_a_buildspec():
    r = run("""\
        version: 0.2
        phases:
          install:
            runtime-versions:
              python: 3.10
          build:
            commands:
              - pytest
        """, "buildspec.yml")
    assert "runtime python 3.10" in code(r)
    builds(r)


def test_a_yaml_number_keeps_the_text_written_in_a_workflow():
    r = run("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: 3.10
              - run: pytest
        """)
    assert "runtime python 3.10" in code(r)


def test_numbers_still_compare_as_numbers():
    data = importer.load("a: 3.10\nb: 010\nc: 0x1F\n", "x.yml")
    assert data["a"] == 3.1 and str(data["a"]) == "3.10" and f"{data['a']}" == "3.10"
    assert data["c"] == 31 and str(data["c"]) == "0x1F" and data["c"] + 1 == 32


# ----------------------------------------------------------------------------- buildspecs


def test_a_legacy_buildspec_with_phases_under_containers_imports():
    r = run("""\
        version: 0.2
        containers:
          app:
            phases:
              build:
                commands:
                  - make
            artifacts:
              files:
                - out/**
        """, "buildspec.yml")
    assert r.status == importer.PARTIAL
    assert 'build "make"' in code(r) and 'files "out/**"' in code(r)
    assert "buildspec: containers layout" in constructs(r)
    builds(r)


def test_a_batch_only_buildspec_fails_until_written_instead_of_passing():
    r = run("""\
        version: 0.2
        batch:
          build-list:
            - identifier: linux
              buildspec: ci/linux.yml
        """, "buildspec.yml")
    assert r.status == importer.PARTIAL and "buildspec: batch" in constructs(r)
    assert 'build "true"' not in code(r)
    assert "exit 1" in code(r)
    assert any("write the build's commands" in t.text for t in r.tasks)
    builds(r)


# ----------------------------------------------------------------------------- workflows


def test_a_reusable_workflow_imports_with_its_inputs_as_variables():
    r = run("""\
        on:
          workflow_call:
            inputs:
              env:
                type: string
                required: true
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make deploy ENV=${{ inputs.env }}
        """)
    assert r.status == importer.PARTIAL
    assert "on manual" in code(r) and 'build "make deploy ENV=${env}"' in code(r)
    assert {"workflow: workflow_call trigger", "workflow: required input"} <= set(constructs(r))
    assert "workflow: input outside manual runs" not in constructs(r)
    builds(r)


def test_a_matrix_from_fromjson_keeps_the_job_behind_a_failing_command():
    r = run("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJson(needs.setup.outputs.m) }}
            steps:
              - uses: actions/checkout@v4
              - run: make test
        """)
    assert r.status == importer.PARTIAL and "workflow: matrix expression" in constructs(r)
    body = code(r)
    assert "test test" in body and '"make test"' in body and "exit 1" in body
    builds(r)


def test_a_workflow_of_third_party_actions_and_a_reusable_call_only_imports_as_partial():
    r = run("""\
        on: issue_comment
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - uses: super-linter/super-linter@v5
          call:
            uses: org/repo/.github/workflows/x.yml@v1
        """)
    assert r.status == importer.PARTIAL, [u.message for u in r.unconverted]
    assert "workflow: reusable workflow call" in constructs(r)
    assert "build call {" in code(r) and "test lint {" in code(r)
    builds(r)


def test_filters_that_re_include_or_use_plus_keep_the_trigger_with_a_finding():
    r = run("""\
        on:
          push:
            branches: [main]
            tags: ['v[0-9]+.[0-9]+']
            paths: ['src/**', '!src/docs/**', 'src/docs/api/**']
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make
        """)
    body = code(r)
    assert 'on push branches main paths "src/**" "src/docs/api/**" !"src/docs/**"' in body
    assert 'on push tags "v[0-9]*.[0-9]*"' in body
    assert {"workflow: filter re-includes", "workflow: filter pattern"} <= set(constructs(r))
    builds(r)


def test_permissions_credentials_environment_url_and_names_are_never_silent():
    r = run("""\
        on: push
        permissions:
          contents: write
        jobs:
          rel:
            name: Release it
            runs-on: ubuntu-latest
            permissions: write-all
            environment:
              name: prod
              url: https://example.com
            steps:
              - uses: actions/checkout@v4
                with:
                  persist-credentials: true
              - run: git tag v1 && git push --tags
        """)
    cs = constructs(r)
    assert cs.count("workflow: write permission") == 2
    assert {"workflow: checkout credentials", "workflow: environment url"} <= set(cs)
    assert 'GitHub shows this job as "Release it".' in r.source
    builds(r)


def windows_job(steps: str, on: str = "push") -> importer.Result:
    """The import of a workflow with one job 'win' on windows-latest whose steps are ``steps``
    (YAML list items, unindented)."""
    body = textwrap.indent(textwrap.dedent(steps), " " * 6)
    return run(f"on: {on}\njobs:\n  win:\n    runs-on: windows-latest\n    steps:\n{body}")


def test_a_powershell_step_is_a_finding_not_bash():
    # a Windows job that also runs bash steps (or anything else 'os windows' cannot hold) stays
    # on pipec's default image: its PowerShell is never copied into bash
    r = windows_job("""\
        - uses: actions/checkout@v4
        - run: Get-ChildItem
          shell: pwsh
        - run: make
          shell: bash
        """)
    assert "Get-ChildItem" not in code(r)
    assert "workflow: non-bash shell" in constructs(r)
    builds(r)


def test_a_powershell_job_is_a_windows_build():
    """Issue 26: a Windows job of PowerShell steps becomes 'os windows' with its commands as
    written (PowerShell on both platforms), and a finding for GitHub's pwsh 7 default."""
    r = windows_job("""\
        - uses: actions/checkout@v4
        - run: Get-ChildItem
          shell: pwsh
        - run: python -m pytest
        """)
    assert "os windows" in code(r)
    assert 'build "Get-ChildItem" "python -m pytest"' in code(r)
    assert "workflow: non-bash shell" not in constructs(r)
    assert "workflow: PowerShell version" in constructs(r)
    builds(r)


def test_a_windows_job_keeps_step_conditions_decided_at_import():
    """A Windows job whose steps have conditions known at import (runner.os, success()), an explicit
    continue-on-error: false or their own timeout is still an 'os windows' build: the step for
    Linux is left out (it never runs on this runner), the others are commands as written."""
    r = windows_job("""\
        - uses: actions/checkout@v4
        - run: Get-ChildItem
          if: runner.os == 'Windows'
        - run: ./configure
          if: runner.os == 'Linux'
        - run: python -m pytest
          if: ${{ success() }}
          continue-on-error: false
          timeout-minutes: 20
        """)
    assert "os windows" in code(r)
    assert 'build "Get-ChildItem" "python -m pytest"' in code(r)
    assert "./configure" not in code(r)
    assert "workflow: non-bash shell" not in constructs(r)
    assert "workflow: step timeout" in constructs(r)
    builds(r)


def test_a_windows_job_with_a_runtime_the_windows_image_has_is_a_windows_build():
    """setup-python 3.12 and setup-java 17 (Corretto) are versions CodeBuild's Windows image selects
    in runtime-versions (docs/language.md, "Runtimes on Windows"): the job is an 'os windows'
    build that sets them up."""
    r = windows_job("""\
        - uses: actions/checkout@v4
        - uses: actions/setup-python@v5
          with: {python-version: '3.12'}
        - uses: actions/setup-java@v4
          with: {distribution: corretto, java-version: '17.x'}
        - run: python -m pytest
        """)
    assert "os windows" in code(r)
    assert "runtime python 3.12" in code(r) and "runtime java corretto17" in code(r)
    assert 'build "python -m pytest"' in code(r)
    files = builds(r)
    spec = next(v for k, v in files.items() if str(k).endswith(".yml") and "buildspec" in str(k))
    assert "python: '3.12'" in spec and "shell: powershell.exe" in spec


@pytest.mark.parametrize("version", ["20", "'>=20'", "'${{ env.NODE }}'"])
def test_a_windows_job_with_a_runtime_the_windows_image_lacks_stays_a_finding(version):
    """node-version 20 is not one of the Windows image's versions (20.18, 22.13), a range or an
    expression is not one version: the job keeps the default image and its findings."""
    r = windows_job(f"""\
        - uses: actions/setup-node@v4
          with:
            node-version: {version}
        - run: npm test
        """)
    assert "os windows" not in code(r)
    assert "workflow: non-bash shell" in constructs(r)
    builds(r)


def test_a_windows_step_env_is_set_around_its_script_and_put_back():
    """A PowerShell step's own env of plain values: set in the process environment before its
    script, which runs in try, and put back in finally (no later command sees it, whether or
    not the platform runs the commands in one session); values are PowerShell single-quoted
    strings, with every character PowerShell reads as a single quote doubled."""
    r = windows_job("""\
        - run: python -m pytest
          env:
            GREETING: "it's \u2019x\u2019 $HOME"
            N: 3.10
        - run: Get-ChildItem
        """)
    script = code(r)  # the .pipe's lines, stripped
    assert "os windows" in script
    assert ("$pipec_env_GREETING = $env:GREETING\n$pipec_env_N = $env:N\n"
            "$env:GREETING = 'it''s \u2019\u2019x\u2019\u2019 $HOME'\n$env:N = '3.10'\n"
            "try {\npython -m pytest\n} finally {\n"
            "$env:GREETING = $pipec_env_GREETING\n$env:N = $pipec_env_N\n}\n") in script
    assert 'run "Get-ChildItem"' in script  # the next step: no env of its own, no wrapper
    assert any("$pipec_env_GREETING" in text for text in builds(r).values())


@pytest.mark.parametrize("step", [
    "- run: python -m pytest\n  env: {TOKEN: '${{ secrets.TOKEN }}'}",  # GitHub computes it
    "- run: |\n    param([string]$Name)\n    Write-Output $Name\n  env: {N: '1'}",  # must start the script
    "- uses: actions/setup-python@v5\n  with: {python-version: '3.12'}\n  env: {N: '1'}",  # an action's env
])
def test_a_windows_step_env_that_cannot_be_kept_stays_a_finding(step):
    r = windows_job(step + "\n- run: Get-ChildItem\n")
    assert "os windows" not in code(r)
    builds(r)


def test_a_windows_build_guard_is_powershell():
    """A job condition GitHub decides puts a failing first command before the job's commands: in
    an 'os windows' build it is PowerShell (bash's '>&2 && exit 1' does not parse there, so the
    command failed without its message)."""
    r = run("""\
        on: [push, pull_request]
        jobs:
          win:
            if: github.event.pull_request.draft == false
            runs-on: windows-latest
            steps:
              - run: Get-ChildItem
        """)
    assert "os windows" in code(r)
    first = next(x for x in code(r).splitlines() if x.startswith("run "))
    assert first.startswith('run "[Console]::Error.WriteLine(\'pipec import: on GitHub job win ran only if')
    assert first.endswith('); exit 1"') and ">&2" not in first
    builds(r)


@pytest.mark.parametrize("cond", ["always()", "failure()", "github.event.pull_request.draft == false"])
def test_a_windows_step_condition_github_decides_stays_a_finding(cond):
    """always(), failure() and conditions GitHub decides during the run are carried on Linux by bash
    (the finally commands, a guard command): a Windows job with one stays on the default image."""
    r = windows_job(f"""\
        - run: Get-ChildItem
        - run: python -m pytest
          if: {cond}
        """, on="pull_request")
    assert "os windows" not in code(r)
    assert "workflow: non-bash shell" in constructs(r)
    builds(r)


def test_a_windows_job_with_the_repository_and_a_download_stays_a_finding():
    """A Windows build reads one input (E316); a job that checks out the repository and downloads
    an artifact has two, and its import failed (E699, wagoodman/dive's pipeline.yml in the
    real-world corpus). It keeps pipec's default image with its findings, and builds."""
    r = run("""\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make dist
              - uses: actions/upload-artifact@v4
                with: {name: artifacts, path: dist}
          win:
            needs: build
            runs-on: windows-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/download-artifact@v4
                with: {name: artifacts, path: dist}
              - run: make ci-test-windows-run
        """)
    assert "os windows" not in code(r)
    builds(r)


def test_a_secondary_artifact_name_is_a_finding():
    r = run("""\
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files: ['**/*']
          secondary-artifacts:
            docs:
              name: documentation-site
              files: ['site/**/*']
        """, "buildspec.yml")
    assert "artifact docs" in code(r)
    assert any(u.construct == "buildspec: artifact name" and "documentation-site" in u.message for u in r.unconverted)
    builds(r)


# ----------------------------------------------------------------------------- CodePipeline templates

BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: ['**/*']\n"


def companions(*pairs):
    out = {}
    for path, text in pairs:
        data = importer.load(text, path)
        out[path] = (text, data, importer.detect(data))
    return out


def stage(name, provider, cfg, inputs=(), outputs=(), category=None, owner="AWS", **extra):
    category = category or {"CodeBuild": "Build", "CodeCommit": "Source", "S3": "Source",
                            "CodeDeploy": "Deploy", "CloudFormation": "Deploy"}[provider]
    action = {"Name": name, "ActionTypeId": {"Category": category, "Owner": owner, "Provider": provider,
                                             "Version": "1"},
              "Configuration": cfg, "InputArtifacts": [{"Name": n} for n in inputs],
              "OutputArtifacts": [{"Name": n} for n in outputs], **extra}
    return {"Name": name, "Actions": [action]}


def template(*stages, resources=None, parameters=None) -> str:
    import json

    res = {"Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/cp", "ArtifactStore": {"Type": "S3", "Location": "my-artifacts"},
        "Stages": list(stages)}}}
    res.update(resources or {})
    out = {"Resources": res}
    if parameters:
        out["Parameters"] = parameters
    return json.dumps(out, indent=1)


CODECOMMIT = stage("Source", "CodeCommit", {"RepositoryName": "app", "BranchName": "main"}, outputs=["Src"])


def test_a_codecommit_template_binds_its_stages_via_aws_and_builds():
    r = run(template(CODECOMMIT, stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Src"], ["Out"])),
            "/nonexistent/pipeline.json", companions=companions(("buildspec.yml", BUILDSPEC)))
    assert "stage Build via aws {" in r.source
    assert "template: stages via aws" in constructs(r)
    files = builds(r)
    assert not any(".github/workflows" in f for f in files)  # CodePipeline's only


def test_a_project_of_another_stack_takes_the_buildspec_given_with_the_template():
    r = run(template(CODECOMMIT, stage("Build", "CodeBuild", {"ProjectName": "other-stack"}, ["Src"], ["Out"])),
            "/nonexistent/pipeline.json", companions=companions(("ci/build.yml", BUILDSPEC)))
    assert r.status == importer.PARTIAL and not any(d.code == "E603" for d in r.diagnostics)
    assert 'build "make"' in code(r)
    builds(r)


def test_a_parameterised_deployment_group_keeps_the_deploy_with_placeholders():
    r = run(template(
        CODECOMMIT, stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Src"], ["Out"]),
        stage("Deploy", "CodeDeploy", {"ApplicationName": "app", "DeploymentGroupName": {"Ref": "DeploymentGroupName"}},
              ["Out"]),
        parameters={"DeploymentGroupName": {"Type": "String"}}),
        "/nonexistent/pipeline.json", companions=companions(("buildspec.yml", BUILDSPEC)))
    assert "deploy Deploy to ec2 {" in r.source and "REPLACE-ME" in r.source
    assert any("instances" in t.text for t in r.tasks)
    pipeline, diags = compile_text(r.source, "imported.pipe")
    assert any(d.code == "W601" for d in diags)  # the placeholder draws a warning (build --strict fails)
    builds(r)


def test_a_deploy_of_the_source_gets_a_packaging_build_instead_of_e407():
    r = run(template(
        CODECOMMIT,
        stage("Deploy", "CodeDeploy", {"ApplicationName": "app", "DeploymentGroupName": "g"}, ["Src"])),
        "/nonexistent/pipeline.json")
    assert "template: CodeDeploy revision from a source" in constructs(r)
    assert "from Src" in code(r) and 'files "**/*"' in code(r)
    builds(r)


def test_a_renamed_output_and_another_region_keep_the_deploy_with_a_placeholder_artifact():
    r = run(template(
        stage("Source", "S3", {"S3Bucket": "src", "S3ObjectKey": "app.zip"}, outputs=["Src"]),
        stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Src"], ["Built"]),
        stage("Deploy", "CloudFormation", {"ActionMode": "CREATE_UPDATE", "StackName": "app",
                                           "TemplatePath": "Renamed::template.yaml",
                                           "RoleArn": "arn:aws:iam::123456789012:role/cfn"},
              ["Renamed"], Region="eu-west-1")),
        "/nonexistent/pipeline.json", companions=companions(("buildspec.yml", BUILDSPEC)))
    body = code(r)
    assert "deploy Deploy to cloudformation {" in body
    assert "from Renamed" in body and "from Src\nstack" not in body  # never the source instead
    assert "template: input artifact not imported" in constructs(r)
    # another Region is the deploy's own (issue 27): aws { region }, the pipeline's place a placeholder
    assert "region eu-west-1" in body and "region REPLACE-ME-REGION" in body
    assert any("Renamed" in t.text for t in r.tasks)
    builds(r)


def test_a_troposphere_generated_template_imports_and_builds():
    import json

    from troposphere import Parameter, Ref, Template
    from troposphere import codepipeline as cp

    t = Template()
    group = t.add_parameter(Parameter("DeploymentGroupName", Type="String"))
    t.add_resource(cp.Pipeline(
        "Pipeline", RoleArn="arn:aws:iam::123456789012:role/cp",
        ArtifactStore=cp.ArtifactStore(Type="S3", Location="bucket"),
        Stages=[
            cp.Stages(Name="Source", Actions=[cp.Actions(
                Name="Source", ActionTypeId=cp.ActionTypeId(Category="Source", Owner="AWS", Provider="CodeCommit",
                                                            Version="1"),
                Configuration={"RepositoryName": "app", "BranchName": "main"},
                OutputArtifacts=[cp.OutputArtifacts(Name="Src")])]),
            cp.Stages(Name="Build", Actions=[cp.Actions(
                Name="Build", ActionTypeId=cp.ActionTypeId(Category="Build", Owner="AWS", Provider="CodeBuild",
                                                           Version="1"),
                Configuration={"ProjectName": "p"}, InputArtifacts=[cp.InputArtifacts(Name="Src")],
                OutputArtifacts=[cp.OutputArtifacts(Name="Out")])]),
            cp.Stages(Name="Deploy", Actions=[cp.Actions(
                Name="Deploy", ActionTypeId=cp.ActionTypeId(Category="Deploy", Owner="AWS", Provider="CodeDeploy",
                                                            Version="1"),
                Configuration={"ApplicationName": "app", "DeploymentGroupName": Ref(group)},
                InputArtifacts=[cp.InputArtifacts(Name="Out")])]),
        ]))
    r = run(json.dumps(t.to_dict(), indent=4), "/nonexistent/pipeline.json",
            companions=companions(("buildspec.yml", BUILDSPEC)))
    assert r.status == importer.PARTIAL
    assert "deploy Deploy to ec2 {" in r.source
    builds(r)


def test_a_parameterised_ecs_deployment_group_keeps_the_blue_green_deploy():
    r = run(template(
        CODECOMMIT, stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Src"], ["Out"]),
        stage("Deploy", "CodeDeployToECS", {"ApplicationName": "app", "DeploymentGroupName": {"Ref": "G"},
                                            "TaskDefinitionTemplateArtifact": "Out",
                                            "AppSpecTemplateArtifact": "Out"}, ["Out"], category="Deploy"),
        parameters={"G": {"Type": "String"}}),
        "/nonexistent/pipeline.json", companions=companions(("buildspec.yml", BUILDSPEC)))
    assert "deploy Deploy to ecs {" in r.source and "REPLACE-ME-cluster" in r.source
    assert "template: ECS services" not in constructs(r)
    builds(r)


# ----------------------------------------------------------------------------- not a pipeline


@pytest.mark.parametrize("text, says", [
    ("name: x\nruns:\n  using: composite\n  steps:\n    - run: make\n      shell: bash\n", "action definition"),
    ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n", "without an AWS::CodePipeline::Pipeline"),
    ("version: 2\nupdates:\n  - package-ecosystem: pip\n", "Dependabot"),
])
def test_a_file_that_holds_no_pipeline_fails_saying_what_it_is(text, says):
    r = importer.import_one("x.yml", text)
    assert r.status == importer.FAILED
    assert r.diagnostics[0].code == "E600" and says in r.diagnostics[0].message


def test_values_the_platform_refuses_become_placeholders_not_a_failure():
    r = run("""\
        version: 0.0
        Resources:
          - myLambdaFunction:
              Type: AWS::Lambda::Function
              Properties:
                Name: "<FunctionName>"
                Alias: "live"
                CurrentVersion: "1"
                TargetVersion: "2"
        """, "appspec.yml")
    assert r.status == importer.PARTIAL, [d.message for d in r.diagnostics]
    assert "input: value the platform refuses" in constructs(r) and "REPLACE-ME-" in r.source
    assert "<FunctionName>" not in code(r)
    builds(r)


def test_a_step_using_the_github_token_imports_with_a_secret_github_accepts():
    r = run("""\
        on: push
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: gh release list
                env:
                  GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        """)
    assert r.status == importer.PARTIAL or r.status == importer.SUCCESSFUL, [d.message for d in r.diagnostics]
    assert "from github PIPEC_GITHUB_TOKEN" in r.source
    builds(r)


def test_repository_variables_and_unexpanded_matrix_values_keep_their_commands():
    r = run("""\
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: make
          b:
            needs: a
            runs-on: ubuntu-latest
            strategy:
              matrix:
                suite: ${{ fromJson(needs.a.outputs.s) }}
            steps:
              - uses: actions/checkout@v4
              - run: make test SUITE=${{ matrix.suite }} BUCKET=${{ vars.BUCKET_NAME }}
        """)
    body = code(r)
    assert 'run "make test SUITE=${MATRIX_SUITE} BUCKET=${BUCKET_NAME}"' in body
    assert body.index("variable BUCKET_NAME = REPLACE-ME-bucket-name") < body.index("stage a {")
    assert "env MATRIX_SUITE = REPLACE-ME-matrix-suite" in body
    assert any("vars.BUCKET_NAME" in t.text for t in r.tasks)
    builds(r)


def test_a_template_whose_only_source_is_ecr_imports_with_a_placeholder_source():
    r = run(template(
        stage("Source", "ECR", {"RepositoryName": "img", "ImageTag": "latest"}, outputs=["Img"], category="Source"),
        stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Img"], ["Out"])),
        "/nonexistent/pipeline.json", companions=companions(("buildspec.yml", BUILDSPEC)))
    assert r.status == importer.PARTIAL and "template: no importable source" in constructs(r)
    assert 'source app github "OWNER/REPO"' in r.source
    builds(r)


def test_control_characters_and_too_many_ignored_paths_degrade():
    r = run("""\
        on:
          push:
            branches: [main]
            paths-ignore: [a, b, c, d, e, f, g, h, i]
        jobs:
          b:
            runs-on: ubuntu-latest
            env:
              RED: "\\e[31m"
            steps:
              - uses: actions/checkout@v4
              - run: "printf '\\e[32mok\\n'"
              - run: make
        """)
    assert r.status == importer.PARTIAL, [d.message for d in r.diagnostics]
    assert constructs(r).count("workflow: control character") == 2
    assert "on push branches main" in code(r)  # the trigger is kept without the 9 ignored paths
    assert "workflow: too many patterns" in constructs(r)
    builds(r)


def test_every_placeholder_the_importers_write_draws_w601():
    """Issue 25: a build left to write (a buildspec not given), a job not converted and a value the
    input does not say each draw the warning, so build --strict fails until they are replaced."""
    cases = [
        run(template(CODECOMMIT, stage("Build", "CodeBuild", {"ProjectName": "p"}, ["Src"], ["Out"])),
            "/nonexistent/pipeline.json"),
        run("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: a/b@v1\n"),
        run("version: 0.2\nphases:\n  build:\n    commands: [make]\n", "buildspec.yml"),
    ]
    for r in cases:
        _pipeline, diags = compile_text(r.source, "imported.pipe")
        assert any(d.code == "W601" for d in diags), r.source


# ----------------------------------------------------------------------------- placeholder commands


def _placeholder_commands(r: importer.Result) -> list[str]:
    """The commands of ``r`` that print 'pipec import: ...' and fail, as the compiled pipeline has them."""
    pipeline, _ = compile_text(r.source, "imported.pipe")
    return [c.text for s in pipeline.stages for a in s.actions for ph in getattr(a, "phases", ())
            for c in ph.commands if "pipec import:" in c.text]


HOSTILE = "a'b; touch PWNED; echo '"


@pytest.mark.parametrize("make", [
    # a job GitHub decides to run during the run: the guard names the job key
    lambda: run(f"""\
        on: push
        jobs:
          "{HOSTILE}":
            if: contains(github.event.head_commit.message, 'x')
            runs-on: ubuntu-latest
            steps:
              - run: make test
        """),
    # a job with nothing pipec can convert: the placeholder names the job key
    lambda: run(f"""\
        on: push
        jobs:
          "{HOSTILE}":
            runs-on: ubuntu-latest
            steps:
              - uses: someone/else@v1
        """),
    # a CodePipeline template none of whose actions imports: its text has an apostrophe
    lambda: run(template(stage("Src", "S3", {"S3Bucket": "my-bucket", "S3ObjectKey": "k.zip"}, outputs=["A"]),
                         stage("Other", "CodeBuild", {"ProjectName": "p"}, ["A"], category="Build", owner="Custom")),
                "/nonexistent/pipeline.json"),
    # a GitLab job with no script: the placeholder names the job key
    lambda: run(f"""\
        stages: [test]
        "{HOSTILE}":
          stage: test
          image: alpine
        ok:
          stage: test
          script: [make]
        """, ".gitlab-ci.yml"),
], ids=["github-guard", "github-placeholder", "codepipeline-placeholder", "gitlab-placeholder"])
def test_a_placeholder_command_prints_its_message_and_fails_whatever_the_names(make, tmp_path):
    """The commands an import leaves to fail until a person replaces them quote the imported
    file's text as one shell word: a job key with a quote in it does not run what follows it, and
    "the pipeline's actions" does not leave a quote open (bash refused the whole command)."""
    import subprocess

    commands = _placeholder_commands(make())
    assert commands
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 1, (command, done.stderr)
        assert done.stderr.startswith("pipec import: "), (command, done.stderr)
        assert not (tmp_path / "PWNED").exists(), command
