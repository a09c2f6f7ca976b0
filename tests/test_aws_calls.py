"""W520: build commands that call AWS, the IAM actions they need, and the roles that grant them.

compiler/aws_calls.py reads commands with tree-sitter-bash; these tests pin the mapping from a
command to its IAM actions through the shell constructs a build script uses (pipes, ``&&``,
subshells, ``$(...)``, env prefixes, ``sudo``, quoting), the comparison with grants, the examples
(none warns, and each generated role grants what its commands need), and the lazy import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import pipec
from pipec import aws_calls, model
from pipec.aws_calls import UNKNOWN, Need, calls
from pipec.build import context_for, generate
from pipec.targets import TARGETS
from pipec.targets.github.jobs import job_id
from support import policy_statements

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe")) + sorted((ROOT / "examples" / "exercises").glob("*.pipe"))
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
REPO_ARN = "arn:aws:ecr:us-east-1:123456789012:repository/web"
PUSH = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart")


def needs(text: str, env: dict | None = None) -> list[tuple[tuple[str, ...], str | None]]:
    """(actions, resource) of every need of every call in ``text``, in order."""
    return [(n.actions, n.resource) for c in calls(text, env) for n in c.needs]


def actions(text: str, env: dict | None = None) -> list[str]:
    return [a for acts, _ in needs(text, env) for a in acts]


# ----------------------------------------------------------------------------- the AWS CLI


@pytest.mark.parametrize("command,expected", [
    ("aws ssm get-parameter --name /app/db", ["ssm:GetParameter"]),
    ("aws --region us-east-1 --output json ecs describe-services --cluster c --services s",
     ["ecs:DescribeServices"]),
    ("aws ecs update-service --cluster c --service s --force-new-deployment", ["ecs:UpdateService"]),
    # the CLI's service name and the IAM prefix differ
    ("aws deploy create-deployment --application-name a", ["codedeploy:CreateDeployment"]),
    ("aws s3api put-object --bucket b --key k --body f", ["s3:PutObject"]),
    ("aws elbv2 describe-target-groups", ["elasticloadbalancing:DescribeTargetGroups"]),
    ("aws stepfunctions start-execution --state-machine-arn x", ["states:StartExecution"]),
    # commands whose IAM action has another name
    ("aws ecr get-login-password", ["ecr:GetAuthorizationToken"]),
    ("aws lambda invoke --function-name f out.json", ["lambda:InvokeFunction"]),
    ("aws s3api head-object --bucket b --key k", ["s3:GetObject"]),
    ("aws s3api list-objects-v2 --bucket b", ["s3:ListBucket"]),
    ("aws eks update-kubeconfig --name prod", ["eks:DescribeCluster"]),
    ("aws ecs wait services-stable --cluster c --services s", ["ecs:DescribeServices"]),
    # no permission needed, or no call at all
    ("aws sts get-caller-identity", []),
    ("aws s3 ls s3://public-data --no-sign-request", []),
    ("aws --version", []),
    ("aws configure set region us-east-1", []),
    ("aws ecs help", []),
    ("aws apigateway get-rest-apis", []),
    ("aws ecs wait some-future-waiter", []),
])
def test_aws_cli_operation_to_action(command, expected):
    assert actions(command) == expected


def test_s3_high_level_commands():
    assert needs("aws s3 cp dist/app.zip s3://releases/app/1.zip") == [
        (("s3:PutObject",), "arn:aws:s3:::releases/app/1.zip")]
    assert needs("aws s3 cp s3://releases/app/1.zip .") == [(("s3:GetObject",), "arn:aws:s3:::releases/app/1.zip")]
    assert needs("aws s3 sync --exclude '*.map' dist s3://site/") == [
        (("s3:ListBucket",), "arn:aws:s3:::site"), (("s3:PutObject",), "arn:aws:s3:::site/*")]
    assert needs("aws s3 sync --delete dist s3://site/") == [
        (("s3:ListBucket",), "arn:aws:s3:::site"), (("s3:DeleteObject",), "arn:aws:s3:::site/*"),
        (("s3:PutObject",), "arn:aws:s3:::site/*")]
    assert needs("aws s3 mv s3://a/x s3://b/y") == [
        (("s3:GetObject",), "arn:aws:s3:::a/x"), (("s3:DeleteObject",), "arn:aws:s3:::a/x"),
        (("s3:PutObject",), "arn:aws:s3:::b/y")]
    assert needs("aws s3 rm s3://logs/old/ --recursive") == [(("s3:DeleteObject",), "arn:aws:s3:::logs/old/*")]
    assert needs("aws s3 ls") == [(("s3:ListAllMyBuckets",), "*")]


# ----------------------------------------------------------------------------- shell constructs


def test_pipe_finds_the_aws_side_only():
    got = calls(f"aws ecr get-login-password | docker login --username AWS --password-stdin {ECR}")
    assert [c.what for c in got] == ["aws ecr get-login-password"]
    assert got[0].text == "aws ecr get-login-password"


def test_and_or_lists_and_semicolons():
    assert actions("make && aws s3 cp a s3://b/a || aws sns publish --topic-arn t --message m; echo done") == [
        "s3:PutObject", "sns:Publish"]


def test_subshell_group_if_and_loop():
    script = """\
(cd dist && aws s3 cp index.html s3://site/index.html)
{ aws cloudfront create-invalidation --distribution-id D --paths '/*'; }
if [[ "$BRANCH" == main ]]; then
  for f in *.zip; do aws lambda update-function-code --function-name "${f%.zip}" --zip-file "fileb://$f"; done
fi
case "$STAGE" in prod) aws ssm put-parameter --name /v --value 1 ;; esac
"""
    assert actions(script) == ["s3:PutObject", "cloudfront:CreateInvalidation", "lambda:UpdateFunctionCode",
                               "ssm:PutParameter"]


def test_command_substitution():
    assert actions('export DB_URL="$(aws secretsmanager get-secret-value --secret-id db --query SecretString)"') == [
        "secretsmanager:GetSecretValue"]
    assert actions("echo $(($(aws sqs get-queue-attributes --queue-url q | wc -l) + 1))") == [
        "sqs:GetQueueAttributes"]


def test_env_prefixes_and_wrappers():
    assert actions("AWS_REGION=eu-west-1 AWS_PAGER= aws ecs list-clusters") == ["ecs:ListClusters"]
    assert actions("env -u AWS_PROFILE AWS_PAGER= aws ecs list-clusters") == ["ecs:ListClusters"]
    assert actions("sudo -E aws ecs list-clusters") == ["ecs:ListClusters"]
    assert actions("sudo -u root -H /usr/local/bin/aws ecs list-clusters") == ["ecs:ListClusters"]
    assert actions("timeout 5m time aws ecs list-clusters") == ["ecs:ListClusters"]
    assert actions("bash -c 'aws ecs list-clusters'") == ["ecs:ListClusters"]


def test_quoted_arguments_are_read_as_bash_reads_them():
    assert needs("aws s3 cp 'my report.pdf' \"s3://reports/Q1 report.pdf\"") == [
        (("s3:PutObject",), "arn:aws:s3:::reports/Q1 report.pdf")]
    assert actions('"aws" "ecr" "get-login-password"') == ["ecr:GetAuthorizationToken"]
    assert actions(r"aws ecs list\-clusters") == ["ecs:ListClusters"]


def test_deep_nesting_and_undecodable_text_do_not_crash():
    deep = "echo " + "$(" * 20000 + "aws ecs list-clusters" + ")" * 20000
    assert actions(deep) == ["ecs:ListClusters"]
    assert actions("aws ecs list-clusters --cluster \udcff") == ["ecs:ListClusters"]  # stdin's surrogates
    assert actions("aws ecs list-clusters; if then fi; aws sns list-topics") == ["ecs:ListClusters", "sns:ListTopics"]


def test_words_that_only_mention_a_tool_are_not_calls():
    assert calls("echo aws s3 cp a s3://b/a") == []
    assert calls("grep -r 'docker push' scripts/  # aws s3 ls") == []
    assert calls("awscurl https://x; samtools view a.bam; cdk-nag; dockerd &") == []
    assert calls("make deploy") == []


def test_variables_from_env_and_assignments():
    env = {"IMAGE": f"{ECR}/web"}
    assert needs("docker push $IMAGE:$CODEBUILD_RESOLVED_SOURCE_VERSION", env) == [
        (("ecr:GetAuthorizationToken",), "*"), (PUSH, REPO_ARN)]
    assert needs(f'REPO={ECR}/web; docker push "${{REPO}}:1"') == [
        (("ecr:GetAuthorizationToken",), "*"), (PUSH, REPO_ARN)]
    assert needs(f'export REPO={ECR}/web\ndocker image push "$REPO"') == [
        (("ecr:GetAuthorizationToken",), "*"), (PUSH, REPO_ARN)]
    # a registry only known at run time: not known to be ECR
    assert calls("docker push $REGISTRY/web:1") == []
    # a repository only partly known
    assert needs(f"docker push {ECR}/$NAME:1")[1] == (PUSH, f"arn:aws:ecr:us-east-1:123456789012:repository/{UNKNOWN}")


# ----------------------------------------------------------------------------- docker, SAM, CDK


def test_docker():
    assert calls("docker push ghcr.io/acme/web:1") == []
    assert calls("docker push public.ecr.aws/acme/web:1") == []
    assert needs(f"docker buildx build --push --platform linux/amd64 -t {ECR}/web:1 .")[1] == (PUSH, REPO_ARN)
    assert calls(f"docker build -t {ECR}/web:1 .") == []
    assert needs("docker push 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web")[1] == (
        PUSH, "arn:aws-cn:ecr:cn-north-1:123456789012:repository/web")


def test_sam():
    assert needs("sam package --s3-bucket sam-artifacts --output-template-file packaged.yaml") == [
        (("s3:PutObject",), "arn:aws:s3:::sam-artifacts/*")]
    got = needs("sam deploy --s3-bucket sam-artifacts --stack-name app --capabilities CAPABILITY_IAM")
    assert got[0] == (("s3:PutObject",), "arn:aws:s3:::sam-artifacts/*")
    assert got[1][0] == ("cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
                         "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet")
    assert calls("sam build --use-container") == []
    assert calls("sam validate") == []


def test_cdk():
    role = [(("sts:AssumeRole",), "arn:aws:iam::*:role/cdk-*")]
    assert needs("cdk deploy --all --require-approval never") == role
    assert needs("npx cdk deploy MyStack") == role
    assert needs("npx -p aws-cdk@2 cdk deploy") == role
    assert calls("cdk synth") == []


# ----------------------------------------------------------------------------- grants


def grant(actions_, *resources):
    return model.Grant(tuple(actions_), tuple(resources))


def test_grant_matching():
    assert aws_calls.granted("ecr:PutImage", REPO_ARN, [grant(["ecr:*"], "*")])
    assert aws_calls.granted("ecr:PutImage", REPO_ARN, [grant(["ECR:putimage"], REPO_ARN)])  # case-insensitive
    assert not aws_calls.granted("ecr:PutImage", REPO_ARN, [grant(["ecr:PutImage"], REPO_ARN + "-other")])
    assert aws_calls.granted("s3:PutObject", "arn:aws:s3:::b/k/x", [grant(["s3:Put*"], "arn:aws:s3:::b/*")])
    assert not aws_calls.granted("s3:PutObject", "arn:aws:s3:::c/k", [grant(["s3:PutObject"], "arn:aws:s3:::b/*")])
    assert aws_calls.granted("ssm:GetParameter", None, [grant(["ssm:GetParameter"], "arn:aws:ssm:*")])
    # an unknown part: the known prefix decides
    partly = f"arn:aws:s3:::b/{UNKNOWN}"
    assert aws_calls.granted("s3:PutObject", partly, [grant(["s3:PutObject"], "arn:aws:s3:::b/releases/*")])
    assert not aws_calls.granted("s3:PutObject", partly, [grant(["s3:PutObject"], "arn:aws:s3:::c/*")])
    assert aws_calls.missing([Need(("s3:PutObject", "s3:ListBucket"), "arn:aws:s3:::b/k")],
                             [grant(["s3:PutObject"], "*")]) == [Need(("s3:ListBucket",), "arn:aws:s3:::b/k")]


PIPE = """\
pipeline demo {{
  source app github "o/r"
  stage build {{
    build web {{
      build "aws ssm get-parameters --names /a" "aws codeartifact login --tool npm --domain d --repository r"
{extra}
    }}
  }}
}}
"""


def w520(text: str) -> list:
    _, warnings = pipec.compile_text(text, "demo.pipe")
    return [d for d in warnings if d.code == "W520"]


def test_check_warns_once_per_missing_permission_with_the_fix():
    got = w520(PIPE.format(extra=""))
    assert [d.message for d in got] == [
        "'aws ssm get-parameters' needs ssm:GetParameters, which the role of 'web' does not grant",
        "'aws codeartifact login' needs codeartifact:GetAuthorizationToken, codeartifact:GetRepositoryEndpoint, "
        "sts:GetServiceBearerToken, which the role of 'web' does not grant"]
    assert "'allow \"ssm:GetParameters\" on \"*\"'" in got[0].help
    assert got[0].span.line == 5 and got[0].span.column == 14


def test_pipecs_own_grants_and_allow_lines_count():
    # a 'codeartifact' statement makes pipec grant the login; 'allow' grants the rest
    assert w520(PIPE.format(extra='      codeartifact npm domain dom repository repo\n'
                                  '      aws {\n        allow "ssm:GetParameters" on "arn:aws:ssm:*:*:parameter/a"\n      }')) == []


def test_a_role_of_your_own_is_not_second_guessed():
    text = PIPE.replace("stage build {", "stage build via aws {").format(
        extra='      aws {\n        role "arn:aws:iam::123456789012:role/ci"\n      }')
    assert w520(text.replace('"o/r"', '"o/r" {\n    on push via aws\n  }')) == []


def test_examples_give_no_w520():
    for path in EXAMPLES:
        _, warnings = pipec.compile_file(str(path))
        assert [d for d in warnings if d.code == "W520"] == [], path.name


# ----------------------------------------------------------------------------- the generated roles


def _resource(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"].replace("${AWS::Partition}", "aws")
    return None


def _role_grants(resources: dict, role_id: str) -> list[model.Grant]:
    out = []
    for lid, st in policy_statements({role_id: resources[role_id]}):
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        out.append(model.Grant(tuple(acts), tuple(r for r in map(_resource, res) if r)))
    return out


def _builds(p: model.Pipeline):
    for st in p.stages:
        for a in st.actions:
            if isinstance(a, model.Build):
                yield st, a


@pytest.mark.parametrize("stem", ["03-ecs-blue-green-canary", "04-lambda-sam", "07-codeartifact-caching",
                                  "08-hybrid-github-ci-aws-cd"])
def test_generated_build_roles_grant_what_the_commands_call(stem, tmp_path):
    """Every IAM action the commands of a fixed example need is in the policy of the role they
    run with: the CodeBuild project's role, and the GitHub job's OIDC role."""
    path = ROOT / "examples" / f"{stem}.pipe"
    p, _ = pipec.compile_file(str(path))
    files = generate(p, context_for(str(path), str(tmp_path), source_root=str(tmp_path)), list(TARGETS))
    aws_res = yaml.safe_load(files[f"aws/{p.name}.template.yaml"])["Resources"]
    gh_template = files.get(f"github/{p.name}.template.yaml")
    gh_res = yaml.safe_load(gh_template)["Resources"] if gh_template else {}
    checked = 0
    for stage, b in _builds(p):
        env = {e.name: e.value for e in b.env}
        wanted = [n for c in (c for ph in b.phases for c in ph.commands) for call in calls(c.text, dict(env))
                  for n in call.needs]
        if not wanted:
            continue
        roles = []
        if stage.platform in (None, "aws"):
            project = next(r for r in aws_res.values() if r["Type"] == "AWS::CodeBuild::Project"
                           and r["Properties"]["Name"] == f"{p.name}-{b.name}")
            roles.append((aws_res, project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]))
        if stage.platform in (None, "github") and not b.github.has("run_in_codebuild"):
            name = f"{p.name}-gh-{job_id(b.name)}"
            roles.append((gh_res, next(k for k, r in gh_res.items() if r["Type"] == "AWS::IAM::Role"
                                       and r["Properties"].get("RoleName") == name)))
        for resources, role_id in roles:
            grants = _role_grants(resources, role_id)
            for n in wanted:
                for a in n.actions:
                    assert aws_calls.granted(a, n.resource, grants), f"{stem}: {role_id} lacks {a} on {n.resource}"
                    checked += 1
    assert checked


def test_allow_lines_reach_both_roles_as_written(tmp_path):
    text = PIPE.format(extra='      aws {\n        allow "s3:GetObject" on "arn:aws:s3:::b/${aws:username}/*"\n'
                             '        allow "ssm:GetParameters" "codeartifact:*" on "*"\n      }')
    p, _ = pipec.compile_text(text, "demo.pipe")
    files = generate(p, context_for("demo.pipe", str(tmp_path), source_root=str(tmp_path)), list(TARGETS))
    aws_st = [st for _, st in policy_statements(yaml.safe_load(files["aws/demo.template.yaml"])["Resources"])]
    assert {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/${aws:username}/*"]} in aws_st
    assert {"Effect": "Allow", "Action": ["ssm:GetParameters", "codeartifact:*"], "Resource": ["*"]} in aws_st
    gh = yaml.safe_load(files["github/demo.template.yaml"])["Resources"]
    gh_st = [st for _, st in policy_statements({"r": gh["WebGitHubRole"]})]
    # an IAM policy variable stays one: escaped in the Fn::Sub that gives the partition
    assert {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::b/${!aws:username}/*"}]} in gh_st
    workflow = yaml.safe_load(files[".github/workflows/demo.yml"])
    assert workflow["jobs"]["web"]["permissions"]["id-token"] == "write"


# ----------------------------------------------------------------------------- cost


def _modules_after_check(path: Path) -> set[str]:
    code = ("import sys, pipec.cli\n"
            "try:\n    pipec.cli.main(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "import json; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_the_shell_parser_is_imported_only_when_a_command_names_a_tool():
    assert "tree_sitter" not in _modules_after_check(ROOT / "examples" / "02-reference.pipe")
    assert "tree_sitter" in _modules_after_check(ROOT / "examples" / "03-ecs-blue-green-canary.pipe")
