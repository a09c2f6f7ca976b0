"""``pipec import`` of buildspecs and appspecs (targets/aws/spec_imports/): one test per construct,
inputs written inline. Every import that is not Failed has passed ``pipec check`` (import_one
checks its output; a bug would be Failed with E699)."""

from __future__ import annotations

import textwrap

import pytest

from pipec import compile_text, importer
from pipec.targets.aws import spec_imports as spec_import


def run(text: str, file: str = "buildspec.yml", **kw) -> importer.Result:
    r = importer.import_one(file, textwrap.dedent(text), **kw)
    assert not any(d.code == "E699" for d in r.diagnostics), [d.message for d in r.diagnostics]
    if r.status in (importer.SUCCESSFUL, importer.PARTIAL):
        compile_text(r.source, "out.pipe")  # the output checks (again, explicitly)
    return r


def code(r: importer.Result) -> str:
    """The output without comments (each statement on its own line, stripped)."""
    return "\n".join(x.strip() for x in r.source.splitlines() if x.strip() and not x.strip().startswith("#"))


def constructs(r: importer.Result) -> list[str]:
    return [u.construct for u in r.unconverted]


def companion(path: str, text: str):
    text = textwrap.dedent(text)
    data = importer.load(text, path)
    return {path: (text, data, importer.detect(data))}


# ----------------------------------------------------------------------------- the seed's files

SEED_BUILDSPEC = """\
version: 0.2
env:
  variables:
    NODE_ENV: "production"
  parameter-store:
    DB_PASSWORD: "/myapp/db-password"
phases:
  install:
    runtime-versions:
      nodejs: 20
    commands:
      - echo "Installing dependencies..."
      - npm ci
  pre_build:
    commands:
      - echo "Running linting and unit tests..."
      - npm run lint
      - npm run test
  build:
    commands:
      - echo "Building the application..."
      - npm run build
  post_build:
    commands:
      - echo "Build completed on $(date)"
artifacts:
  files:
    - "**/*"
  base-directory: dist
cache:
  paths:
    - "node_modules/**/*"
"""

SEED_EC2 = """\
version: 0.0
os: linux
files:
  - source: /
    destination: /var/www/myapp
hooks:
  BeforeInstall:
    - location: scripts/stop_server.sh
      timeout: 120
      runas: root
  AfterInstall:
    - location: scripts/install_dependencies.sh
      timeout: 300
      runas: root
  ApplicationStart:
    - location: scripts/start_server.sh
      timeout: 120
      runas: root
  ValidateService:
    - location: scripts/validate_service.sh
      timeout: 120
      runas: root
"""

SEED_ECS = """\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/my-app:2"
        LoadBalancerInfo:
          ContainerName: "web"
          ContainerPort: 3000
"""


def test_seed_buildspec_imports_fully():
    r = run(SEED_BUILDSPEC, repository="acme/shop")
    assert r.status == importer.SUCCESSFUL and not r.unconverted
    src = r.source
    for line in ('source app github "acme/shop"', "env NODE_ENV = production",
                 'secret DB_PASSWORD from ssm "/myapp/db-password"', "runtime nodejs 20",
                 'install "echo \\"Installing dependencies...\\"" "npm ci"',
                 'pre_build "echo \\"Running linting and unit tests...\\"" "npm run lint" "npm run test"',
                 'build "echo \\"Building the application...\\"" "npm run build"',
                 'post_build "echo \\"Build completed on $(date)\\""',
                 'artifact buildspec-out files "**/*" base dist', 'cache "node_modules/**/*"'):
        assert line in src, line
    assert r.tasks == []  # the repository was given
    phases = r.mapping["builds"]["buildspec"]["phases"]
    assert phases["pre_build"]["commands"] == ['echo "Running linting and unit tests..."', "npm run lint",
                                               "npm run test"]


def test_seed_ec2_appspec_imports_fully():
    r = run(SEED_EC2, "appspec.yml", repository="acme/shop")
    assert r.status == importer.SUCCESSFUL and not r.unconverted
    for line in ('copy "/" to "/var/www/myapp"', "os linux",
                 'hook before_install "scripts/stop_server.sh" timeout 120s as root',
                 'hook after_install "scripts/install_dependencies.sh" timeout 300s as root',
                 'hook application_start "scripts/start_server.sh" timeout 120s as root',
                 'hook validate_service "scripts/validate_service.sh" timeout 120s as root',
                 "strategy rolling one-at-a-time", "instances tag Name = REPLACE-ME-instance-tag"):
        assert line in r.source, line
    assert [t.kind for t in r.tasks] == ["resource"]
    # the repository is deployed through a build that packages it (pipec puts appspec.yml in it)
    assert "artifact revision-files files" in r.source and "from revision-files" in r.source


def test_seed_ecs_appspec_imports_fully():
    r = run(SEED_ECS, "appspec.yml", repository="acme/shop")
    assert r.status == importer.SUCCESSFUL and not r.unconverted
    src = r.source
    assert "deploy appspec to ecs {" in src and "container web port 3000" in src
    assert "strategy blue-green" in src and "cluster REPLACE-ME-cluster" in src
    # a fixed task definition: a task to put it in taskdef.json, which the deployment registers
    assert any("taskdef.json" in t.text and "task-definition/my-app:2" in t.text for t in r.tasks)


def test_seed_buildspec_with_appspecs_deploys_the_build_artifact():
    comps = {**companion("deploy/appspec.yml", SEED_EC2), **companion("ecs/appspec.yaml", SEED_ECS)}
    r = run(SEED_BUILDSPEC, repository="acme/shop", companions=comps)
    assert r.status == importer.SUCCESSFUL
    assert r.source.count("from buildspec-out") == 2
    assert "stage deploy {" in r.source and "stage deploy-2 {" in r.source
    assert "stage package" not in r.source  # the build's artifact is the revision
    assert sorted(r.files[1:]) == ["deploy/appspec.yml", "ecs/appspec.yaml"]
    assert set(r.mapping["deploys"]) == {"appspec", "appspec-2"}


# ----------------------------------------------------------------------------- buildspec constructs


def test_repository_placeholder_is_a_task():
    r = run("""
        version: 0.2
        phases:
          build:
            commands: [make]
        """)
    assert r.status == importer.SUCCESSFUL
    assert 'source app github "OWNER/REPO"' in r.source
    assert [t.kind for t in r.tasks] == ["repository"]


def test_version_01_is_mapped_with_a_finding():
    r = run("""
        version: 0.1
        phases:
          build:
            commands:
              - cd src
              - make
        """)
    assert r.status == importer.PARTIAL
    assert constructs(r) == ["buildspec: version 0.1"]
    assert 'build "cd src" "make"' in r.source
    assert r.unconverted[0].line == 2


def test_finally_and_on_failure_continue_make_a_phase_block():
    r = run("""
        version: 0.2
        phases:
          build:
            on-failure: CONTINUE
            commands:
              - make
            finally:
              - make clean
        """)
    assert r.status == importer.SUCCESSFUL
    assert 'run "make"' in r.source and 'finally "make clean"' in r.source
    assert "on_failure continue" in r.source
    assert r.mapping["builds"]["buildspec"]["phases"]["build"]["on_failure"] == "continue"


def test_on_failure_abort_is_the_default():
    r = run("""
        version: 0.2
        phases:
          build:
            on-failure: ABORT
            commands: [make]
        """)
    assert r.status == importer.SUCCESSFUL and "on_failure" not in r.source


def test_on_failure_retry_is_a_finding():
    r = run("""
        version: 0.2
        phases:
          build:
            on-failure: RETRY-3
            commands: [make]
        """)
    assert r.status == importer.PARTIAL
    assert constructs(r) == ["buildspec: on-failure retry"]
    assert "# not converted (buildspec.yml:5)" in r.source


def test_multiline_command_becomes_a_script():
    r = run("""
        version: 0.2
        phases:
          build:
            commands:
              - |
                if [ -f Makefile ]; then
                  make
                fi
        """)
    assert r.status == importer.SUCCESSFUL
    assert '"""' in r.source
    assert r.mapping["builds"]["buildspec"]["phases"]["build"]["commands"] == [
        "if [ -f Makefile ]; then\n  make\nfi"]
    # reading the .pipe back gives the same command
    pipeline, _ = compile_text(r.source, "out.pipe")
    build = pipeline.stages[0].actions[0]
    assert build.phases[0].commands[0].text == "if [ -f Makefile ]; then\n  make\nfi"


def test_multiline_command_with_triple_quotes_stays_a_string():
    r = run('''
        version: 0.2
        phases:
          build:
            commands:
              - |
                python -c """
                print(1)"""
        ''')
    assert r.status == importer.SUCCESSFUL
    pipeline, _ = compile_text(r.source, "out.pipe")
    assert pipeline.stages[0].actions[0].phases[0].commands[0].text == 'python -c """\nprint(1)"""'


def test_command_that_yaml_reads_as_a_mapping_is_an_error():
    r = run("""
        version: 0.2
        phases:
          build:
            commands:
              - echo result: ok
        """)
    assert r.status == importer.FAILED
    (d,) = [d for d in r.diagnostics if d.severity == "error"]
    assert d.code == "E602" and "mapping" in d.message and d.span.line == 6


def test_runtime_versions():
    r = run("""
        version: 0.2
        phases:
          install:
            runtime-versions:
              python: "3.12"
              java: corretto21
              docker: 20
              nodejs: latest
          build:
            commands: [make]
        """)
    assert r.status == importer.PARTIAL
    assert "runtime python 3.12" in r.source and "runtime java corretto21" in r.source
    assert sorted(constructs(r)) == ["buildspec: runtime", "buildspec: runtime latest"]
    assert "runtime docker" not in code(r) and "runtime nodejs" not in code(r)


def test_secrets_manager_reference_is_kept_as_written():
    r = run("""
        version: 0.2
        env:
          secrets-manager:
            API_KEY: "prod/api:key:AWSCURRENT"
            TOKEN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-AbCdEf"
        phases:
          build:
            commands: [make]
        """)
    assert r.status == importer.SUCCESSFUL
    assert 'secret API_KEY from secrets-manager "prod/api:key:AWSCURRENT"' in r.source
    assert 'secret TOKEN from secrets-manager "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-AbCdEf"' \
        in r.source


def test_env_settings_without_a_pipe_form_are_findings():
    r = run("""
        version: 0.2
        run-as: builder
        env:
          shell: /bin/sh
          exported-variables: [VERSION]
          git-credential-helper: yes
          variables:
            bad-name: x
        proxy:
          upload-artifacts: yes
        phases:
          build:
            commands: [make]
        """)
    assert r.status == importer.PARTIAL
    assert sorted(constructs(r)) == sorted([
        "buildspec: run-as", "buildspec: env.shell", "buildspec: exported-variables",
        "buildspec: git-credential-helper", "buildspec: variable name", "buildspec: proxy"])


def test_env_shell_bash_and_credential_helper_no_are_defaults():
    r = run("""
        version: 0.2
        env:
          shell: bash
          git-credential-helper: no
        phases:
          build:
            commands: [make]
        """)
    assert r.status == importer.SUCCESSFUL


def test_batch_is_a_finding():
    r = run("""
        version: 0.2
        batch:
          build-list:
            - identifier: a
        phases:
          build:
            commands: [make]
        """)
    assert constructs(r) == ["buildspec: batch"] and r.status == importer.PARTIAL


def test_a_batch_of_variables_is_a_matrix():
    """Issue 26: a build list whose tasks differ only in their variables, and a build matrix of
    variables, are matrices; the cells a build list lacks are excludes."""
    r = run("""
        version: 0.2
        batch:
          fast-fail: true
          build-list:
            - identifier: a
              env: {variables: {PY: "3.10", DB: pg}}
            - identifier: b
              env: {variables: {PY: "3.12", DB: pg}}
            - identifier: c
              env: {variables: {PY: "3.12", DB: my}}
        phases:
          install:
            runtime-versions: {python: $PY}
          build:
            commands: [make]
        """)
    for line in ("axis PY 3.10 3.12", "axis DB pg my", "exclude PY=3.10 DB=my", "fail_fast on",
                 'runtime python "$PY"'):
        assert line in r.source, line
    assert constructs(r) == [] and r.status == importer.SUCCESSFUL
    r = run("""
        version: 0.2
        batch:
          build-matrix:
            dynamic:
              env:
                variables:
                  NODE: ["20", "22"]
        phases:
          build:
            commands: [npm test]
        """)
    assert "axis NODE 20 22" in r.source and "fail_fast off" in r.source and constructs(r) == []


def test_artifacts_primary_and_secondary():
    r = run("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          name: site
          files: ["**/*"]
          base-directory: public
          discard-paths: yes
          exclude-paths: ["*.map"]
          secondary-artifacts:
            sbom:
              files: [sbom.json]
        """)
    assert r.status == importer.PARTIAL
    assert 'artifact site files "**/*" base public discard_paths' in r.source
    assert "artifact sbom files sbom.json" in r.source
    assert constructs(r) == ["buildspec: artifact option"]


def test_build_body_names_outputs_like_codepipeline():
    data = importer.load(textwrap.dedent("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files: ["**/*"]
          secondary-artifacts:
            web:
              files: ["web/**/*"]
            api:
              files: ["api/**/*"]
              base-directory: api
        """), "bs.yml")
    ctx = importer.Context("template.yml", "", {}, "pipeline-template")
    b = importer.Doc("build compile")
    assert spec_import.build_body(ctx, b, data, ["api", "web"]) == ["api", "web"]
    lines = [item for kind, item in b.items if kind == "stmt"]
    assert 'artifact api files "api/**/*" base api' in lines and 'artifact web files "web/**/*"' in lines
    # one output: the primary artifact
    ctx2 = importer.Context("template.yml", "", {}, "pipeline-template")
    b2 = importer.Doc("build compile")
    assert spec_import.build_body(ctx2, b2, data, ["BuildOutput"]) == ["BuildOutput"]
    assert 'artifact BuildOutput files "**/*"' in [i for k, i in b2.items if k == "stmt"]
    assert [u.construct for u in ctx2.unconverted] == ["buildspec: artifact option"] * 2  # web, api unused
    # an output CodePipeline cannot find among the secondary artifacts: an error
    ctx3 = importer.Context("template.yml", "", {}, "pipeline-template")
    spec_import.build_body(ctx3, importer.Doc("build compile"), data, ["api", "docs"])
    assert ctx3.errors and "docs" in ctx3.errors[0].message


def test_reports():
    r = run("""
        version: 0.2
        phases:
          build:
            commands: [make test]
        reports:
          unit:
            files: ["junit-*.xml"]
            base-directory: reports
          coverage:
            files: [coverage.xml]
            file-format: coberturaxml
            discard-paths: yes
          "arn:aws:codebuild:us-east-1:123456789012:report-group/shared":
            files: [x.xml]
        """)
    assert 'report unit junit files "junit-*.xml" base reports' in r.source
    assert "report coverage cobertura files coverage.xml" in r.source
    assert sorted(constructs(r)) == ["buildspec: report group ARN", "buildspec: report option"]


def test_cache_options_are_findings():
    r = run("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          key: npm-$(codebuild-hash-files package-lock.json)
          paths: [node_modules/**/*, /root/.npm/**/*]
        """)
    assert 'cache "node_modules/**/*" "/root/.npm/**/*"' in r.source
    assert constructs(r) == ["buildspec: cache option"]


def test_buildspec_without_commands_gets_a_noop():
    r = run("""
        version: 0.2
        phases:
          install:
            runtime-versions:
              python: 3.11
        artifacts:
          files: ["**/*"]
        """)
    assert r.status == importer.SUCCESSFUL
    assert 'build "true"' in r.source and "runtime python 3.11" in r.source


def test_phases_not_a_mapping_is_an_error():
    r = run("""
        version: 0.2
        phases:
          - build
        """)
    assert r.status == importer.FAILED
    assert r.diagnostics[0].code == "E602"


def test_windows_commands_are_just_commands():
    r = run(r"""
        version: 0.2
        phases:
          build:
            commands:
              - dotnet build .\src\App.sln -c Release
        """)
    assert r.status == importer.SUCCESSFUL
    assert r.mapping["builds"]["buildspec"]["phases"]["build"]["commands"] == [
        r"dotnet build .\src\App.sln -c Release"]


# ----------------------------------------------------------------------------- appspec constructs


def test_appspec_platform():
    load = lambda t: importer.load(textwrap.dedent(t), "a.yml")  # noqa: E731
    assert spec_import.appspec_platform(load(SEED_EC2)) == "ec2"
    assert spec_import.appspec_platform(load(SEED_ECS)) == "ecs"
    assert spec_import.appspec_platform(load("""
        version: 0.0
        Resources:
          - fn:
              Type: AWS::Lambda::Function
              Properties: {Name: f, Alias: live}
        """)) == "lambda"
    assert spec_import.appspec_platform(load("version: 0.0\nResources: []\n")) is None


def test_windows_appspec_drops_runas_and_permissions():
    r = run(r"""
        version: 0.0
        os: windows
        files:
          - source: \app
            destination: C:\inetpub\wwwroot
        permissions:
          - object: C:\inetpub
            owner: web
        hooks:
          AfterInstall:
            - location: scripts\setup.ps1
              timeout: 60
              runas: Administrator
        """, "appspec.yml")
    assert r.status == importer.PARTIAL
    assert "os windows" in r.source
    assert r'hook after_install "scripts\\setup.ps1" timeout 60s' in r.source
    assert sorted(constructs(r)) == ["appspec: hook runas on windows", "appspec: permissions on windows"]


def test_ec2_permissions_and_several_scripts_per_event():
    r = run("""
        version: 0.0
        os: linux
        files:
          - source: /
            destination: /opt/app
        permissions:
          - object: /opt/app
            owner: app
            group: app
            mode: 0755
          - object: /opt/app/bin
            pattern: "*.sh"
            mode: 755
        hooks:
          AfterInstall:
            - location: scripts/a.sh
            - location: scripts/b.sh
              timeout: 30
        file_exists_behavior: OVERWRITE
        """, "appspec.yml")
    assert 'permission "/opt/app" owner app group app mode 0755' in r.source
    assert 'hook after_install "scripts/a.sh"\n' in r.source
    assert 'hook after_install "scripts/b.sh" timeout 30s' in r.source
    assert sorted(constructs(r)) == ["appspec: file_exists_behavior", "appspec: permission option"]
    assert "/opt/app/bin" not in code(r)  # a narrowed permission is not applied to every file


def test_hook_timeout_out_of_range_is_a_finding():
    r = run("""
        version: 0.0
        os: linux
        hooks:
          ApplicationStart:
            - location: start.sh
              timeout: 7200
        """, "appspec.yml")
    assert constructs(r) == ["appspec: hook timeout"]
    assert "hook application_start start.sh" in code(r) and "7200" not in code(r)


def test_ecs_appspec_with_network_hooks_and_placeholder_task_definition():
    r = run("""
        {
          "version": 0.0,
          "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": "<TASK_DEFINITION>",
            "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080},
            "PlatformVersion": "1.4.0",
            "NetworkConfiguration": {"awsvpcConfiguration": {
              "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}},
            "CapacityProviderStrategy": [{"Base": 1, "CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}}}],
          "Hooks": [{"AfterAllowTestTraffic": "smoke-test"}, {"BeforeAllowTraffic": "pre-check"}]
        }
        """, "appspec.json", repository="acme/shop")
    assert r.status == importer.PARTIAL
    src = r.source
    assert "container web port 8080" in src and "platform_version 1.4.0" in src
    assert "network subnets subnet-1 subnet-2 security_groups sg-1 public_ip" in src
    assert "hook after_allow_test_traffic smoke-test" in src and "hook before_allow_traffic pre-check" in src
    assert "test_listener REPLACE-ME-test-listener-arn" in src
    assert constructs(r) == ["appspec: capacity provider strategy"]
    assert not any("taskdef.json" in t.text for t in r.tasks)  # the placeholder is what pipec does


def test_lambda_appspec():
    r = run("""
        version: 0.0
        Resources:
          - resize:
              Type: AWS::Lambda::Function
              Properties:
                Name: image-resize
                Alias: live
                CurrentVersion: "3"
                TargetVersion: "4"
        Hooks:
          - BeforeAllowTraffic: resize-pre-traffic
          - AfterAllowTraffic: resize-post-traffic
        """, "appspec.yml", repository="acme/img")
    assert r.status == importer.SUCCESSFUL
    src = r.source
    for line in ("deploy appspec to lambda {", "function image-resize", "alias live",
                 "versions current 3 target 4", "hook before_allow_traffic resize-pre-traffic",
                 "hook after_allow_traffic resize-post-traffic", "strategy all-at-once"):
        assert line in src, line
    assert "from " not in src.split("deploy appspec")[1]


def test_lambda_version_placeholders_are_decided_at_deploy_time():
    r = run("""
        version: 0.0
        Resources:
          - fn:
              Type: AWS::Lambda::Function
              Properties: {Name: f, Alias: live, CurrentVersion: "<CURRENT_VERSION>", TargetVersion: "<TARGET_VERSION>"}
        """, "appspec.yml")
    assert r.status == importer.SUCCESSFUL and "versions" not in r.source


def test_hook_event_not_on_platform_is_a_finding():
    r = run("""
        version: 0.0
        Resources:
          - fn:
              Type: AWS::Lambda::Function
              Properties: {Name: f, Alias: live}
        Hooks:
          - BeforeInstall: nope
        """, "appspec.yml")
    assert constructs(r) == ["appspec: hook event"]


def test_deploy_body_leaves_targets_to_the_caller():
    data = importer.load(SEED_ECS, "appspec.yml")
    ctx = importer.Context("template.yml", SEED_ECS, {}, "pipeline-template")
    d = importer.Doc("deploy web to ecs")
    spec_import.deploy_body(ctx, d, data, "ecs")
    stmts = [i for k, i in d.items if k == "stmt"]
    assert stmts == ["container web port 3000"]
    assert ctx.mapping["deploys"]["web"]["container"] == "web"


def test_unknown_appspec_platform_is_unsupported():
    r = importer.import_one("appspec.yml", "version: 0.0\nResources:\n  - x:\n      Type: AWS::EC2::Instance\n")
    assert r.status == importer.UNSUPPORTED


@pytest.mark.parametrize("bad", ["hooks: [a, b]", "files: /opt"])
def test_invalid_ec2_structure_is_an_error(bad):
    r = importer.import_one("appspec.yml", f"version: 0.0\nos: linux\n{bad}\n")
    assert r.status == importer.FAILED


def test_artifact_name_does_not_clash_with_the_source():
    r = run("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          name: app
          files: ["**/*"]
        """)
    assert r.status == importer.SUCCESSFUL
    assert 'artifact app-2 files "**/*"' in r.source


def test_empty_keys_with_entries_commented_out_convert_to_nothing():
    r = run("""
        version: 0.2
        env:
          variables:
            # NODE_ENV: production
        phases:
          install:
            runtime-versions:
              # nodejs: 20
          build:
            commands:
              - make
            finally:
              # - make clean
        """)
    assert r.status == importer.SUCCESSFUL and not r.unconverted
    assert 'build "make"' in r.source and "env " not in code(r) and "runtime" not in code(r)


def test_companion_appspec_of_unknown_platform_is_a_finding():
    comps = companion("other/appspec.yml", "version: 0.0\nResources:\n  - x:\n      Type: AWS::EC2::Instance\n")
    r = run(SEED_BUILDSPEC, repository="acme/shop", companions=comps)
    assert r.status == importer.PARTIAL
    assert constructs(r) == ["appspec: unknown platform"] and "deploy " not in code(r)
