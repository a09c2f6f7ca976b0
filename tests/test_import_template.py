"""``pipec import`` of CloudFormation templates with a CodePipeline pipeline (targets/aws/imports/).

Each test imports a small template written here (YAML with short tags, or JSON) and checks the
``.pipe`` text, the status, the constructs not converted and the tasks. ``import_one`` checks
every output with ``pipec check``: a Failed status (E699) fails the test.
"""

from __future__ import annotations

import json

import pytest

from pipec import importer
from pipec import patterns as P
from pipec.targets.aws import patterns as CP
from pipec.targets.aws.imports import pattern_from_codepipeline

SOURCE = """\
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"}
              Configuration:
                ConnectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/abc
                FullRepositoryId: my-org/app
                BranchName: main
              OutputArtifacts: [{Name: app}]
"""

BUILD_STAGE = """\
        - Name: Build
          Actions:
            - Name: Compile
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Project}
              InputArtifacts: [{Name: app}]
              OutputArtifacts: [{Name: dist}]
"""

PROJECT = """\
  Project:
    Type: AWS::CodeBuild::Project
    Properties:
      Artifacts: {Type: CODEPIPELINE}
      ServiceRole: !GetAtt BuildRole.Arn
      Environment: {ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0, Type: LINUX_CONTAINER}
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - make
          artifacts:
            files: ['**/*']
  BuildRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
"""


def template(stages: str = BUILD_STAGE, resources: str = PROJECT, props: str = "", head: str = "",
             source: str = SOURCE) -> str:
    return (head + "Resources:\n  Pipeline:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n"
            "      Name: demo\n" + props + "      Stages:\n" + source + stages + resources)


def run(text: str, companions: dict | None = None, name: str = "/nonexistent/pipeline.yaml") -> importer.Result:
    comp = None
    if companions:
        comp = {path: importer.read_input(path, body) for path, body in companions.items()}
    r = importer.import_one(name, text=text, companions=comp)
    assert r.status != importer.FAILED, [d.message for d in r.diagnostics]
    return r


def constructs(r) -> list[str]:
    return [u.construct for u in r.unconverted]


def tasks(r) -> list[str]:
    return [f"{t.kind}: {t.text}" for t in r.tasks]


# ----------------------------------------------------------------------------- the seed


SEED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  MyPipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: my-app-pipeline
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore:
        Type: S3
        Location: !Ref ArtifactBucket
      Stages:
        - Name: Source
          Actions:
            - Name: GitHubSource
              ActionTypeId:
                Category: Source
                Owner: AWS
                Provider: CodeStarSourceConnection
                Version: "1"
              Configuration:
                ConnectionArn: !Ref GitHubConnection
                FullRepositoryId: "my-org/my-repo"
                BranchName: main
              OutputArtifacts:
                - Name: SourceOutput
        - Name: Build
          Actions:
            - Name: CodeBuild
              ActionTypeId:
                Category: Build
                Owner: AWS
                Provider: CodeBuild
                Version: "1"
              Configuration:
                ProjectName: !Ref BuildProject
              InputArtifacts:
                - Name: SourceOutput
              OutputArtifacts:
                - Name: BuildOutput
  ArtifactBucket:
    Type: AWS::S3::Bucket
  GitHubConnection:
    Type: AWS::CodeStarConnections::Connection
    Properties:
      ConnectionName: my-app-github
      ProviderType: GitHub
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  BuildProject:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt PipelineRole.Arn
      Artifacts:
        Type: CODEPIPELINE
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: aws/codebuild/standard:7.0
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            install:
              commands:
                - npm ci
            build:
              commands:
                - npm run build
          artifacts:
            files:
              - '**/*'
            base-directory: dist
"""


def test_seed_snippet_imports_fully():
    r = run(SEED)
    assert r.status == importer.SUCCESSFUL, [u.message for u in r.unconverted]
    src = r.source
    assert "pipeline my-app-pipeline {" in src
    assert 'source SourceOutput github "my-org/my-repo" {' in src
    assert "branch main" in src
    assert "build CodeBuild {" in src and "from SourceOutput" in src
    assert "artifact BuildOutput" in src
    assert "artifact_store" not in src and "aws {" not in src
    assert any(t.kind == "connection" for t in r.tasks)
    assert r.mapping["sources"] == {"SourceOutput": "SourceOutput"}
    assert r.mapping["actions"]["Build/CodeBuild"] == "Build/CodeBuild"


# ----------------------------------------------------------------------------- values


def test_json_template():
    data = {"Resources": {
        "P": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {"Stages": [
            {"Name": "Source", "Actions": [{"Name": "S", "ActionTypeId": {"Category": "Source", "Owner": "AWS",
                                                                          "Provider": "CodeCommit", "Version": "1"},
                                            "Configuration": {"RepositoryName": "repo", "BranchName": "dev"},
                                            "OutputArtifacts": [{"Name": "code"}]}]},
            {"Name": "Go", "Actions": [{"Name": "Run", "ActionTypeId": {"Category": "Invoke", "Owner": "AWS",
                                                                        "Provider": "Lambda", "Version": "1"},
                                        "Configuration": {"FunctionName": "fn"}}]}]}}}}
    r = run(json.dumps(data, indent=2), name="/nonexistent/t.json")
    # issue 25: a CodeCommit source binds the stages to CodePipeline (via aws), with a finding saying why
    assert r.status == importer.PARTIAL and [u.construct for u in r.unconverted] == ["template: stages via aws"]
    assert "pipeline P {" in r.source  # no Name: the logical ID
    assert "source code codecommit repo {" in r.source and "branch dev" in r.source
    assert "invoke Run {" in r.source and "function fn" in r.source


def test_parameter_default_and_comment():
    head = "Parameters:\n  Branch: {Type: String, Default: release}\n"
    src = SOURCE.replace("BranchName: main", "BranchName: !Ref Branch")
    r = run(template(head=head, source=src))
    assert "branch release" in r.source
    assert "template parameter Branch" in r.source
    assert r.status == importer.SUCCESSFUL


def test_parameter_without_default_is_placeholder_and_task():
    head = "Parameters:\n  Repo: {Type: String}\n"
    src = SOURCE.replace("FullRepositoryId: my-org/app", "FullRepositoryId: !Ref Repo")
    r = run(template(head=head, source=src))
    assert 'source app github "OWNER/REPO"' in r.source
    assert any(t.kind == "repository" for t in r.tasks)


def test_sub_with_parameter_default():
    head = "Parameters:\n  Org: {Type: String, Default: acme}\n"
    src = SOURCE.replace("FullRepositoryId: my-org/app", "FullRepositoryId: !Sub '${Org}/app'")
    r = run(template(head=head, source=src))
    assert 'source app github "acme/app"' in r.source


def test_condition_evaluated_with_defaults():
    head = ("Parameters:\n  Env: {Type: String, Default: prod}\n"
            "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\n")
    stages = BUILD_STAGE + """\
        - !If
          - IsDev
          - Name: DevOnly
            Actions:
              - Name: Hello
                ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
                Configuration: {FunctionName: dev-fn}
          - !Ref AWS::NoValue
        - !If
          - IsProd
          - Name: ProdOnly
            Actions:
              - Name: Ship
                ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
                Configuration: {FunctionName: !If [IsProd, prod-fn, other-fn]}
          - !Ref AWS::NoValue
"""
    r = run(template(stages=stages, head=head))
    assert "stage DevOnly" not in r.source and "stage ProdOnly" in r.source
    assert "function prod-fn" in r.source
    assert "Condition IsDev is false" in r.source and "Condition IsProd is true" in r.source
    assert r.status == importer.SUCCESSFUL


def test_condition_not_evaluable_is_a_finding():
    head = "Parameters:\n  Env: {Type: String}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
    stages = BUILD_STAGE + """\
        - !If
          - IsProd
          - Name: ProdOnly
            Actions:
              - Name: Ship
                ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
                Configuration: {FunctionName: prod-fn}
          - !Ref AWS::NoValue
"""
    r = run(template(stages=stages, head=head))
    assert "template: Fn::If" in constructs(r)
    assert "ProdOnly" not in r.source.split("# not converted")[0].split("pipeline demo")[1] or \
        "stage ProdOnly" not in r.source


# ----------------------------------------------------------------------------- pipeline settings


def test_mode_variables_and_tags():
    props = """\
      PipelineType: V2
      ExecutionMode: QUEUED
      Variables:
        - {Name: CHANNEL, DefaultValue: stable, Description: Which channel}
      Tags:
        - {Key: team, Value: payments}
"""
    r = run(template(props=props))
    assert "mode queued" in r.source
    assert 'variable CHANNEL = stable description "Which channel"' in r.source
    assert "tag team payments" in r.source
    assert r.status == importer.SUCCESSFUL


def test_artifact_store_existing_bucket_and_key():
    props = """\
      ArtifactStore:
        Type: S3
        Location: my-artifacts
        EncryptionKey: {Id: alias/pipeline, Type: KMS}
"""
    r = run(template(props=props))
    assert 'artifact_store bucket my-artifacts key "alias/pipeline"' in r.source


def test_artifact_store_of_the_template_and_cross_region():
    props = """\
      ArtifactStores:
        - Region: us-east-1
          ArtifactStore: {Type: S3, Location: a}
"""
    r = run(template(props=props))
    assert "template: ArtifactStores" in constructs(r)
    assert "artifact_store" not in r.source


def test_role_existing_arn_and_template_role():
    props = "      RoleArn: arn:aws:iam::123456789012:role/pipe\n"
    r = run(template(props=props))
    assert 'role "arn:aws:iam::123456789012:role/pipe"' in r.source
    props2 = "      RoleArn: !GetAtt BuildRole.Arn\n"
    r2 = run(template(props=props2))
    assert "aws {" not in r2.source and "least-privilege" in r2.source


def test_disabled_transition_and_restart_on_update():
    props = """\
      RestartExecutionOnUpdate: true
      DisableInboundStageTransitions:
        - {StageName: Build, Reason: change freeze}
"""
    r = run(template(props=props))
    assert 'transition disabled "change freeze"' in r.source
    assert "template: RestartExecutionOnUpdate" in constructs(r)


# ----------------------------------------------------------------------------- sources and triggers


def test_connection_source_settings():
    src = SOURCE.replace("BranchName: main", "BranchName: main\n                OutputArtifactFormat: "
                         "CODEBUILD_CLONE_REF\n                DetectChanges: false")
    r = run(template(source=src))
    assert 'connection arn "arn:aws:codeconnections:us-east-1:123456789012:connection/abc"' in r.source
    assert "clone full" in r.source
    assert "on manual" in r.source


def test_connection_of_the_template_gives_the_provider():
    src = SOURCE.replace("ConnectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/abc",
                         "ConnectionArn: !GetAtt Conn.ConnectionArn")
    res = PROJECT + "  Conn:\n    Type: AWS::CodeConnections::Connection\n    Properties: " \
                    "{ConnectionName: c, ProviderType: Bitbucket}\n"
    r = run(template(source=src, resources=res))
    assert 'source app bitbucket "my-org/app"' in r.source
    assert "connection arn" not in r.source
    assert any(t.kind == "connection" for t in r.tasks)
    # issue 25: GitHub Actions cannot watch a Bitbucket repository: the stages are bound via aws
    assert r.status == importer.PARTIAL and [u.construct for u in r.unconverted] == ["template: stages via aws"]


def test_github_v1_oauth_source():
    src = """\
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: ThirdParty, Provider: GitHub, Version: "1"}
              Configuration: {Owner: acme, Repo: shop, Branch: main, OAuthToken: '{{resolve:secretsmanager:gh}}'}
              OutputArtifacts: [{Name: app}]
"""
    r = run(template(source=src))
    assert 'source app github "acme/shop"' in r.source
    assert "template: GitHub OAuth source" in constructs(r)
    assert any(t.kind == "connection" for t in r.tasks)


def test_s3_and_ecr_sources():
    src = SOURCE + """\
            - Name: Model
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: models, S3ObjectKey: latest.zip, PollForSourceChanges: false}
              OutputArtifacts: [{Name: model}]
            - Name: Img
              ActionTypeId: {Category: Source, Owner: AWS, Provider: ECR, Version: "1"}
              Configuration: {RepositoryName: web}
              OutputArtifacts: [{Name: image}]
"""
    r = run(template(source=src))
    assert "source model s3 models {" in r.source and "key latest.zip" in r.source
    assert "template: ECR source" in constructs(r)
    # no EventBridge rule in the template: started by hand only
    assert r.source.split("source model")[1].split("}")[0].count("on manual") == 1


def test_triggers_push_and_pull_request():
    props = """\
      PipelineType: V2
      Triggers:
        - ProviderType: CodeStarSourceConnection
          GitConfiguration:
            SourceActionName: Src
            Push:
              - Branches: {Includes: [main, release/*]}
                FilePaths: {Includes: [src/**], Excludes: [docs/**]}
              - Tags: {Includes: [v*]}
            PullRequest:
              - Events: [OPEN, UPDATED]
                Branches: {Includes: [main]}
"""
    r = run(template(props=props))
    assert 'on push branches main "release/*" paths "src/**" !"docs/**"' in r.source
    assert 'on push tags "v*"' in r.source
    assert "on pull_request opened updated into main" in r.source
    assert r.status == importer.SUCCESSFUL


def test_trigger_pattern_rewritten_and_untranslatable():
    props = """\
      Triggers:
        - ProviderType: CodeStarSourceConnection
          GitConfiguration:
            SourceActionName: Src
            Push:
              - FilePaths: {Includes: ['**/*.md']}
              - Branches: {Includes: ['[!a]*']}
"""
    r = run(template(props=props))
    assert 'on push paths "*/**/*.md"' in r.source
    assert "template: trigger pattern" in constructs(r)


@pytest.mark.parametrize("cp, expected", [
    ("main", "main"), ("release/*", "release/*"), ("**/*.md", "*/**/*.md"), ("a/**/b", "a/*/**/b"),
    ("src/**", "src/**"), ("v[0-9]*", "v[0-9]*"), ("*.{js,ts}", "*.{js,ts}"),
    ("[!a]*", None), ("a\\*", None), ("{**/a,b}", None), ("[.-_]", None), ("has space", None),
])
def test_pattern_from_codepipeline(cp, expected):
    assert pattern_from_codepipeline(cp) == expected


def test_pattern_translation_agrees_on_samples():
    values = ["x.md", "a/x.md", "a/b/x.md", "/x.md", "a/b", "a/c/b", "a//b", "src", "src/a", "v1", "va",
              "main", "release/1", "release/1/2", "ab/b", "a.js", "a.ts", "b/a.js"]
    for cp in ["**/*.md", "a/**/b", "src/**", "v[0-9]*", "release/*", "*.{js,ts}", "**"]:
        pipe = pattern_from_codepipeline(cp)
        for value in values:
            assert CP.matches(cp, value) == P.matches(pipe, value), (cp, pipe, value)


# ----------------------------------------------------------------------------- builds


def test_codebuild_environment_and_variables():
    res = PROJECT.replace(
        "Environment: {ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0, Type: LINUX_CONTAINER}",
        """Environment:
        ComputeType: BUILD_GENERAL1_LARGE
        Image: aws/codebuild/amazonlinux-x86_64-standard:5.0
        Type: LINUX_CONTAINER
        PrivilegedMode: true
        EnvironmentVariables:
          - {Name: STAGE, Value: prod}
          - {Name: DB_PASSWORD, Value: /app/db, Type: PARAMETER_STORE}
          - {Name: API_KEY, Value: 'prod/api:key', Type: SECRETS_MANAGER}
      TimeoutInMinutes: 30""")
    r = run(template(resources=res))
    for line in ("image amazonlinux", "compute large", "privileged", "timeout 30m", 'env STAGE = prod',
                 'secret DB_PASSWORD from ssm "/app/db"', 'secret API_KEY from secrets-manager "prod/api:key"'):
        assert line in r.source, line
    assert r.status == importer.SUCCESSFUL


@pytest.mark.parametrize("image, line", [
    ("aws/codebuild/standard:7.0", "image ubuntu\n"),
    ("aws/codebuild/standard:6.0", "image ubuntu 6.0"),
    ("aws/codebuild/amazonlinux2-x86_64-standard:4.0", 'image codebuild "aws/codebuild/amazonlinux2-x86_64-standard:4.0"'),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:1", 'image ecr "123456789012.dkr.ecr.us-east-1'),
    ("node:20", 'image docker "node:20"'),
])
def test_codebuild_images(image, line):
    res = PROJECT.replace("Image: aws/codebuild/standard:7.0", f"Image: '{image}'")
    r = run(template(resources=res))
    assert line in r.source


def test_action_variables_override_project_variables():
    stages = BUILD_STAGE.replace("Configuration: {ProjectName: !Ref Project}",
                                 "Configuration:\n                ProjectName: !Ref Project\n"
                                 "                EnvironmentVariables: '[{\"name\":\"STAGE\",\"value\":\"beta\","
                                 "\"type\":\"PLAINTEXT\"}]'")
    res = PROJECT.replace("Type: LINUX_CONTAINER}", "Type: LINUX_CONTAINER, EnvironmentVariables: "
                          "[{Name: STAGE, Value: prod}]}")
    r = run(template(stages=stages, resources=res))
    assert "env STAGE = beta" in r.source and "env STAGE = prod" not in r.source


def test_buildspec_from_a_companion():
    res = PROJECT.replace("""        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - make
          artifacts:
            files: ['**/*']
""", "        BuildSpec: ci/buildspec.yml\n")
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - make release\nartifacts:\n  files: ['**/*']\n"
    r = run(template(resources=res), companions={"repo/ci/buildspec.yml": spec})
    assert '"make release"' in r.source or "make release" in r.source
    assert "repo/ci/buildspec.yml" in r.files
    assert r.status == importer.SUCCESSFUL


def test_buildspec_not_given_fails_loudly():
    res = PROJECT.replace("""        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - make
          artifacts:
            files: ['**/*']
""", "")
    r = run(template(resources=res))
    assert "template: buildspec not given" in constructs(r)
    assert "buildspec buildspec.yml was not imported" in r.source and "exit 1" in r.source
    assert "artifact dist" in r.source  # the later actions still have their artifact
    assert any("pipec import" in t.text for t in r.tasks)


def test_inline_buildspec_error_is_a_finding_at_the_template():
    res = PROJECT.replace("            build:\n              commands:\n                - make\n",
                          "            build: nope\n")
    r = run(template(resources=res))
    assert "template: buildspec not valid" in constructs(r)
    u = next(u for u in r.unconverted if u.construct == "template: buildspec not valid")
    assert u.line is not None and u.line > 20  # a line of the template, not of the buildspec string


def test_project_not_in_the_template():
    stages = BUILD_STAGE.replace("{ProjectName: !Ref Project}", "{ProjectName: existing-project}")
    r = run(template(stages=stages))
    assert "template: CodeBuild project not in the template" in constructs(r)
    assert "exit 1" in r.source


def test_parallel_actions_by_run_order():
    stages = """\
        - Name: Checks
          Actions:
            - Name: Unit
              ActionTypeId: {Category: Test, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Project}
              InputArtifacts: [{Name: app}]
              RunOrder: 1
            - Name: Lint
              ActionTypeId: {Category: Test, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Project}
              InputArtifacts: [{Name: app}]
              RunOrder: 1
            - Name: Notify
              ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
              Configuration: {FunctionName: notify}
              RunOrder: 2
"""
    r = run(template(stages=stages))
    body = r.source.split("stage Checks")[1]
    assert body.index("parallel {") < body.index("test Unit") < body.index("test Lint") < body.index("invoke Notify")


# ----------------------------------------------------------------------------- deployments


DEPLOY_EC2 = BUILD_STAGE + """\
        - Name: Staging
          Actions:
            - Name: Web
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CodeDeploy, Version: "1"}
              Configuration: {ApplicationName: !Ref App, DeploymentGroupName: !Ref Group}
              InputArtifacts: [{Name: dist}]
"""
EC2_RESOURCES = PROJECT + """\
  App:
    Type: AWS::CodeDeploy::Application
    Properties: {ComputePlatform: Server}
  Group:
    Type: AWS::CodeDeploy::DeploymentGroup
    Properties:
      ApplicationName: !Ref App
      ServiceRoleArn: !GetAtt BuildRole.Arn
      DeploymentConfigName: CodeDeployDefault.HalfAtATime
      Ec2TagFilters: [{Key: Environment, Value: staging, Type: KEY_AND_VALUE}]
      AutoRollbackConfiguration: {Enabled: true, Events: [DEPLOYMENT_FAILURE]}
"""
APPSPEC = ("version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /var/www\nhooks:\n"
           "  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n")


def test_codedeploy_ec2_with_appspec():
    r = run(template(stages=DEPLOY_EC2, resources=EC2_RESOURCES), companions={"appspec.yml": APPSPEC})
    src = r.source
    assert "deploy Web to ec2 {" in src and "from dist" in src
    assert "instances tag Environment = staging" in src
    assert "strategy rolling half-at-a-time" in src
    assert "rollback on failure" in src
    assert "appspec.yml" in r.files
    assert r.status == importer.SUCCESSFUL, [u.message for u in r.unconverted]


def test_codedeploy_without_appspec_and_without_rollback():
    res = EC2_RESOURCES.replace("      AutoRollbackConfiguration: {Enabled: true, Events: [DEPLOYMENT_FAILURE]}\n", "")
    r = run(template(stages=DEPLOY_EC2, resources=res))
    assert "rollback none" in r.source  # CodeDeploy's default; pipec's default would roll back
    assert "template: appspec not given" in constructs(r)


def test_codedeploy_custom_config_min_healthy():
    res = EC2_RESOURCES.replace("DeploymentConfigName: CodeDeployDefault.HalfAtATime",
                                "DeploymentConfigName: !Ref Cfg") + """\
  Cfg:
    Type: AWS::CodeDeploy::DeploymentConfig
    Properties: {MinimumHealthyHosts: {Type: FLEET_PERCENT, Value: 75}}
"""
    r = run(template(stages=DEPLOY_EC2, resources=res), companions={"appspec.yml": APPSPEC})
    assert "strategy rolling min_healthy 75%" in r.source


def test_codedeploy_to_ecs_blue_green():
    stages = BUILD_STAGE + """\
        - Name: Prod
          Actions:
            - Name: Service
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CodeDeployToECS, Version: "1"}
              Configuration:
                ApplicationName: !Ref App
                DeploymentGroupName: !Ref Group
                TaskDefinitionTemplateArtifact: dist
                TaskDefinitionTemplatePath: taskdef.json
                AppSpecTemplateArtifact: dist
                AppSpecTemplatePath: appspec.yaml
              InputArtifacts: [{Name: dist}]
"""
    res = PROJECT + """\
  App:
    Type: AWS::CodeDeploy::Application
    Properties: {ComputePlatform: ECS}
  Group:
    Type: AWS::CodeDeploy::DeploymentGroup
    Properties:
      ApplicationName: !Ref App
      ServiceRoleArn: arn:aws:iam::123456789012:role/cd
      DeploymentConfigName: CodeDeployDefault.ECSCanary10Percent5Minutes
      DeploymentStyle: {DeploymentType: BLUE_GREEN, DeploymentOption: WITH_TRAFFIC_CONTROL}
      AutoRollbackConfiguration: {Enabled: true, Events: [DEPLOYMENT_FAILURE]}
      ECSServices: [{ClusterName: main, ServiceName: web}]
      LoadBalancerInfo:
        TargetGroupPairInfoList:
          - TargetGroups: [{Name: blue}, {Name: green}]
            ProdTrafficRoute: {ListenerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2']}
"""
    appspec = ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
               "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n"
               "          ContainerName: web\n          ContainerPort: 8080\n")
    r = run(template(stages=stages, resources=res), companions={"appspec.yaml": appspec})
    src = r.source
    for line in ("deploy Service to ecs {", "cluster main", "service web", "target_groups blue green",
                 'listener "arn:aws:elasticloadbalancing', "strategy canary 10% then rest after 5m",
                 'role "arn:aws:iam::123456789012:role/cd"'):
        assert line in src, line


def test_ecs_rolling():
    stages = BUILD_STAGE + """\
        - Name: Prod
          Actions:
            - Name: Service
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: ECS, Version: "1"}
              Configuration: {ClusterName: main, ServiceName: web, FileName: images.json}
              InputArtifacts: [{Name: dist}]
"""
    r = run(template(stages=stages))
    assert "strategy rolling" in r.source and "image_file images.json" in r.source
    assert r.status == importer.SUCCESSFUL


CFN_STAGE = BUILD_STAGE + """\
        - Name: Deploy
          Actions:
            - Name: Prepare
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration:
                ActionMode: CHANGE_SET_REPLACE
                StackName: api
                ChangeSetName: api-cs
                TemplatePath: dist::packaged.yaml
                Capabilities: CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND
                ParameterOverrides: '{"Stage": "prod"}'
                RoleArn: !GetAtt BuildRole.Arn
              InputArtifacts: [{Name: dist}]
              RunOrder: 1
            - Name: Execute
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration: {ActionMode: CHANGE_SET_EXECUTE, StackName: api, ChangeSetName: api-cs}
              RunOrder: 2
"""


def test_cloudformation_change_set_pair():
    r = run(template(stages=CFN_STAGE))
    src = r.source
    for line in ("deploy Execute to cloudformation {", "from dist", "stack api", "template packaged.yaml",
                 'parameter Stage = prod', "capabilities iam auto-expand", "change_set api-cs"):
        assert line in src, line
    assert "Prepare" not in src.split("pipeline demo")[1].replace("# ", "")  # one action for the pair
    assert r.mapping["actions"]["Deploy/Prepare"] == r.mapping["actions"]["Deploy/Execute"] == "Deploy/Execute"
    assert r.status == importer.SUCCESSFUL, [u.message for u in r.unconverted]


def test_cloudformation_create_update_and_approval_between():
    direct = CFN_STAGE.replace("CHANGE_SET_REPLACE", "CREATE_UPDATE").split("            - Name: Execute")[0]
    r = run(template(stages=direct))
    assert "change_set none" in r.source
    between = CFN_STAGE.replace("              RunOrder: 2\n", "              RunOrder: 3\n") + """\
            - Name: Review
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              RunOrder: 2
"""
    r2 = run(template(stages=between))
    assert "template: actions between a change set and its execution" in constructs(r2)


def test_s3_deploy():
    stages = BUILD_STAGE + """\
        - Name: Publish
          Actions:
            - Name: Site
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {BucketName: www, Extract: "true", CacheControl: max-age=60}
              InputArtifacts: [{Name: dist}]
            - Name: Zip
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {BucketName: backups, Extract: false, ObjectKey: site.zip}
              InputArtifacts: [{Name: dist}]
              RunOrder: 2
"""
    r = run(template(stages=stages))
    assert "bucket www" in r.source and "extract" in r.source and 'cache_control "max-age=60"' in r.source
    assert "object_key site.zip" in r.source


def test_lambda_invoke_with_artifacts():
    stages = BUILD_STAGE + """\
        - Name: Call
          Actions:
            - Name: Purge
              ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
              Configuration: {FunctionName: cdn-purge, UserParameters: '{"paths": ["/*"]}'}
              InputArtifacts: [{Name: dist}]
              OutputArtifacts: [{Name: report}]
"""
    r = run(template(stages=stages))
    assert "function cdn-purge" in r.source
    assert 'parameters "{\\"paths\\": [\\"/*\\"]}"' in r.source
    assert "from dist" in r.source.split("invoke Purge")[1] and "artifact report" in r.source


def test_manual_approval_with_topic_of_the_template():
    stages = BUILD_STAGE + """\
        - Name: Gate
          Actions:
            - Name: Release
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              Configuration:
                CustomData: Ship it?
                ExternalEntityLink: https://staging.example.com
                NotificationArn: !Ref Topic
              TimeoutInMinutes: 120
"""
    res = PROJECT + """\
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: email, Endpoint: team@example.com}]
"""
    r = run(template(stages=stages, resources=res))
    for line in ('message "Ship it?"', 'url "https://staging.example.com"', 'notify email "team@example.com"',
                 "timeout 120m"):
        assert line in r.source, line
    assert r.status == importer.SUCCESSFUL


def test_manual_approval_with_existing_topic():
    stages = BUILD_STAGE + """\
        - Name: Gate
          Actions:
            - Name: Release
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              Configuration: {NotificationArn: 'arn:aws:sns:us-east-1:123456789012:releases'}
"""
    r = run(template(stages=stages))
    assert 'notify topic "arn:aws:sns:us-east-1:123456789012:releases"' in r.source


# ----------------------------------------------------------------------------- what is not imported


def test_other_provider_and_empty_stage():
    stages = BUILD_STAGE + """\
        - Name: Jenkins
          Actions:
            - Name: Job
              ActionTypeId: {Category: Build, Owner: Custom, Provider: Jenkins, Version: "1"}
              Configuration: {ProjectName: job}
"""
    r = run(template(stages=stages))
    assert "template: action provider" in constructs(r)
    assert "stage Jenkins" not in r.source
    assert "Stage Jenkins of the template: no action could be imported." in r.source


def test_action_region_and_role_are_findings():
    stages = BUILD_STAGE.replace("              OutputArtifacts: [{Name: dist}]\n",
                                 "              OutputArtifacts: [{Name: dist}]\n              Region: eu-west-1\n"
                                 "              RoleArn: arn:aws:iam::210987654321:role/x\n")
    r = run(template(stages=stages))
    assert "template: action Region" in constructs(r) and "template: action RoleArn" in constructs(r)


def test_several_pipelines_and_infrastructure_summary():
    res = PROJECT + """\
  Other:
    Type: AWS::CodePipeline::Pipeline
    Properties: {Stages: []}
  Cluster:
    Type: AWS::ECS::Cluster
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
"""
    r = run(template(resources=res))
    assert constructs(r) == ["template: several pipelines"]
    assert "AWS::ECS::Cluster (Cluster)" in r.source and "AWS::EC2::VPC (Vpc)" in r.source
    assert "AWS::IAM::Role" not in r.source  # pipec creates its own roles


def test_no_pipeline_resource_is_not_a_template_and_bad_stages_fail():
    r = importer.import_one("/nonexistent/t.yaml", text="Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    assert r.status == importer.FAILED  # detect() does not recognise it
    bad = "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties: {Name: x}\n"
    r2 = importer.import_one("/nonexistent/t.yaml", text=bad)
    assert r2.status == importer.FAILED and r2.diagnostics[0].code == "E602"


SCHEDULED_TEMPLATE = """
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: nightly
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"}
              Configuration:
                ConnectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/abc
                FullRepositoryId: acme/app
                BranchName: main
              OutputArtifacts: [{Name: app}]
        - Name: Go
          Actions:
            - Name: Run
              ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
              Configuration: {FunctionName: fn}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: cron(30 2 ? * MON-FRI *)
      Targets:
        - Arn: !Sub arn:aws:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}
          Id: pipeline
  Often:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: cron(0/2 * * * ? *)
      Targets:
        - Arn: !Sub arn:aws:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}
          Id: pipeline
  Rate:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Arn: !Sub arn:aws:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}
          Id: pipeline
"""


def test_scheduled_rules_become_schedules():
    r = run(SCHEDULED_TEMPLATE)
    assert r.status == importer.PARTIAL, [u.message for u in r.unconverted]
    src = r.source
    # the source still starts on pushes (it had no trigger of its own), plus the schedules
    assert "on push\n" in src
    # as the author wrote them, in pipec's five fields; every 2 minutes is more often than GitHub runs
    assert 'on schedule "30 2 * * MON-FRI"\n' in src
    assert 'on schedule "0/2 * * * *" via aws' in src
    assert [u.construct for u in r.unconverted] == ["template: scheduled run"]  # the rate


# ----------------------------------------------------------------------------- accounts and Regions (issue 27)

CROSS = """\
        - Name: Staging
          Actions:
            - Name: Stack
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration: {ActionMode: CREATE_UPDATE, StackName: app-staging, TemplatePath: "app::infra.yml",
                              RoleArn: "arn:aws:iam::222222222222:role/cfn-deployer"}
              InputArtifacts: [{Name: app}]
              RoleArn: arn:aws:iam::222222222222:role/pipeline-actions
        - Name: Prod
          Actions:
            - Name: Site
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {BucketName: app-site-eu, Extract: "true"}
              InputArtifacts: [{Name: app}]
              Region: eu-west-1
              RoleArn: arn:aws:iam::333333333333:role/pipeline-actions
"""
STORES = """\
      RoleArn: arn:aws:iam::111111111111:role/app-pipeline
      ArtifactStores:
        - Region: us-east-1
          ArtifactStore: {Type: S3, Location: a}
        - Region: eu-west-1
          ArtifactStore: {Type: S3, Location: b}
"""


def test_cross_account_and_cross_region_actions_import_as_their_places():
    r = run(template(CROSS, resources="", props=STORES))
    body = r.source
    # the pipeline's place: its account from its role, its Region the store no action names
    assert "aws {\n    role \"arn:aws:iam::111111111111:role/app-pipeline\"\n    account 111111111111\n" \
           "    region us-east-1\n  }" in body
    assert "account 222222222222" in body and "account 333333333333\n        region eu-west-1" in body
    assert not {"template: action Region", "template: action RoleArn", "template: ArtifactStores"} & set(constructs(r))
    pipeline, _ = __import__("pipec").compile_text(body, "x.pipe")
    assert {a.name: pipeline.place_of(a) for a in pipeline.actions()} == {
        "Stack": ("222222222222", None), "Site": ("333333333333", "eu-west-1")}


def test_a_stage_whose_deploys_all_run_in_one_other_place_imports_with_the_stages_aws_block():
    # a second S3 deployment beside Site, in the same place
    second = CROSS[CROSS.index("            - Name: Site"):].replace("Site", "Assets").replace("site-eu", "assets-eu")
    r = run(template(CROSS + second, resources="", props=STORES))
    prod = r.source[r.source.index("stage Prod"):]
    assert prod.startswith("stage Prod {\n    aws {\n      account 333333333333\n      region eu-west-1\n    }\n")
    assert prod.count("account 333333333333") == 1
    assert "account 222222222222" in r.source  # one action alone keeps its own block
    pipeline, _ = __import__("pipec").compile_text(r.source, "x.pipe")
    assert {a.name: pipeline.place_of(a) for a in pipeline.actions()} == {
        "Stack": ("222222222222", None), "Site": ("333333333333", "eu-west-1"),
        "Assets": ("333333333333", "eu-west-1")}
    # places that differ stay on the actions
    r = run(template(CROSS + second.replace("333333333333", "444444444444"), resources="", props=STORES))
    assert "stage Prod {\n    aws {" not in r.source


def test_a_region_left_to_the_deployment_is_a_placeholder_with_a_task():
    stores = STORES.replace("      RoleArn: arn:aws:iam::111111111111:role/app-pipeline\n", "").replace(
        "Region: us-east-1", "Region: !Ref AWS::Region")
    r = run(template(CROSS, resources="", props=stores))
    assert "account REPLACE-ME-ACCOUNT\n    region REPLACE-ME-REGION" in r.source
    assert any("REPLACE-ME-ACCOUNT" in t for t in tasks(r)) and any("REPLACE-ME-REGION" in t for t in tasks(r))


def test_region_on_a_build_stays_a_finding():
    stage = BUILD_STAGE.replace("              OutputArtifacts: [{Name: dist}]\n",
                                "              OutputArtifacts: [{Name: dist}]\n              Region: eu-west-1\n")
    r = run(template(stage))
    assert "template: action Region" in constructs(r)
