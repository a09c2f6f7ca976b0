"""Actions in other AWS accounts and Regions (issue 27): the language, the AWS target's templates.

examples/13-multi-account.pipe places deployments in three accounts and production in two
Regions. Its templates are checked here one by one (cfn-lint in each template's own Region, the
IAM rules of tests/test_aws.py on every template), and the links between them: the pipeline's
``ArtifactStores``, each action's ``RoleArn`` and ``Region``, the key and bucket policies naming
exactly the target accounts, and each target role trusting only the pipeline's role. checkov
reads every template of every example in tests/test_templates_together.py.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

import pipec
from pipec.diagnostics import Diagnostics
from pipec import compile_file, model
from pipec.build import context_for, generate
from pipec.targets.aws import accounts
from support import as_list, diagnose, policy_statements

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "13-multi-account.pipe"
PIPELINE_ACCOUNT = "111111111111"
PLACES = {("222222222222", "us-east-1"), ("333333333333", "us-east-1"), ("444444444444", "us-east-1"),
          ("444444444444", "eu-west-1")}


@functools.lru_cache(maxsize=None)
def built() -> tuple[model.Pipeline, dict[str, str]]:
    pipeline, _ = compile_file(str(EXAMPLE))
    out = ROOT / "tests" / "golden" / EXAMPLE.stem
    return pipeline, generate(pipeline, context_for(str(EXAMPLE), str(out), source_root=str(out)), ["aws"])


def templates() -> dict[str, dict]:
    return {rel: yaml.safe_load(text) for rel, text in built()[1].items() if rel.endswith(".template.yaml")}


def region_of(rel: str) -> str:
    m = re.search(r"(?:support/|targets/[0-9]{12}-)([a-z0-9-]+)\.template\.yaml$", rel)
    return m.group(1) if m else "us-east-1"


def main_template() -> dict:
    return templates()["aws/storefront.template.yaml"]


def pipeline_actions() -> dict[str, dict]:
    (res,) = [r for r in main_template()["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    return {a["Name"]: a for st in res["Properties"]["Stages"] for a in st["Actions"]}


# ----------------------------------------------------------------------------- the model


def test_the_model_says_where_each_action_runs():
    pipeline, _ = built()
    assert (pipeline.account, pipeline.region) == (PIPELINE_ACCOUNT, "us-east-1")
    places = {a.name: pipeline.place_of(a) for a in pipeline.actions() if hasattr(a, "account")}
    assert places == {"web-dev": ("222222222222", None), "web-staging": ("333333333333", None),
                      "web-us": ("444444444444", None), "web-eu": ("444444444444", "eu-west-1")}
    # the settings left the aws { } blocks: the targets read the fields only
    assert all(not a.aws.has("account") and not a.aws.has("region") for a in pipeline.actions())


def test_the_pipelines_own_place_written_on_an_action_is_no_place_of_its_own():
    text = EXAMPLE.read_text().replace("        account 222222222222\n",
                                       f"        account {PIPELINE_ACCOUNT}\n        region us-east-1\n")
    pipeline, _ = pipec.compile_text(text, "x.pipe")
    (dev,) = [a for a in pipeline.actions() if a.name == "web-dev"]
    assert pipeline.place_of(dev) == (None, None)


@pytest.mark.parametrize("line,code", [
    ("account 12345", "E220"), ("account my-prod", "E220"), ("region eu-west-1a", "E221"),
    ("region mars-north-1", "E221"), ("region cn-north-1", "E221"),
])
def test_bad_places_are_refused_with_a_hint(line, code):
    text = EXAMPLE.read_text().replace("        account 222222222222\n", f"        {line}\n")
    diags = [d for d in diagnose(text, "x.pipe") if d.code == code]
    assert len(diags) == 1 and diags[0].help


def test_an_unknown_setting_in_a_stages_block_is_said_to_be_in_a_stage():
    text = _staged("    aws {\n      tag team web\n    }\n", "")
    (d,) = [d for d in diagnose(text, "x.pipe") if d.code == "E204"]
    assert d.message == "'tag' is not a setting of aws blocks in stages"



_PASSED = """pipeline rr {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "acme/rr"
  stage prod {
    aws {
      account 333333333333
    }
    deploy stack to cloudformation {
      from app
      stack "rr"
      template "t.yml"
      aws {
        role "arn:aws:iam::ROLE_ACCOUNT:role/deployer"
ACTION_PLACE      }
    }
  }
}
"""


@pytest.mark.parametrize("role_account,action_place,codes", [
    ("444444444444", "", ["E222"]),                                # the stage's account is 333333333333
    ("333333333333", "", []),
    ("111111111111", "", ["E222"]),                                # the pipeline's, but not where the stack is
    ("111111111111", "        account 111111111111\n", []),      # the action's own account wins
    ("444444444444", "        account 444444444444\n", []),
])
def test_a_deployments_own_role_is_in_the_account_the_deployment_runs_in(role_account, action_place, codes):
    """IAM User Guide, "Grant a user permissions to pass a role to an AWS service": "You can only
    use the PassRole permission to pass an IAM role to a service that shares the same AWS account"
    (the CloudFormation action passes the stack's role, CodeDeploy's group its service role)."""
    text = _PASSED.replace("ROLE_ACCOUNT", role_account).replace("ACTION_PLACE", action_place)
    diags = [d for d in diagnose(text, "rr.pipe") if d.code.startswith("E")]
    assert [d.code for d in diags] == codes
    for d in diags:
        assert (d.span.line, d.span.column) == (16, 9) and "333333333333" in d.message and d.help


@pytest.mark.parametrize("where", ["pipeline", "build"])
def test_the_pipelines_and_a_builds_own_role_are_in_the_pipelines_account(where):
    """CodePipeline is passed the pipeline's role and CodeBuild a project's service role, in the
    pipeline's account (the same PassRole rule)."""
    role = '    role "arn:aws:iam::999999999999:role/mine"\n'
    text = _staged("", "")
    if where == "pipeline":
        text = text.replace("    region us-east-1\n  }\n", "    region us-east-1\n" + role + "  }\n", 1)
    else:
        text = text.replace('      build "make"\n', '      build "make"\n      aws {\n    ' + role + '      }\n', 1)
    (d,) = [d for d in diagnose(text, "x.pipe") if d.code.startswith("E")]
    assert d.code == "E222" and "111111111111" in d.message and "999999999999" in d.message
    assert [d for d in diagnose(text.replace("999999999999", "111111111111"), "x.pipe")
            if d.code.startswith("E")] == []
    if where == "build":  # a build that runs on GitHub only assumes its role there, from any account
        assert [d for d in diagnose(text.replace("stage build {", "stage build via github {"), "x.pipe")
                if d.code == "E222"] == []


# ----------------------------------------------------------------------------- the files


def test_one_support_template_per_other_region_and_one_target_template_per_place():
    rels = sorted(r for r in built()[1] if r.endswith(".template.yaml"))
    assert rels == ["aws/storefront.template.yaml", "aws/storefront/support/eu-west-1.template.yaml",
                    *sorted(f"aws/storefront/targets/{a}-{r}.template.yaml" for a, r in PLACES)]


@pytest.mark.parametrize("rel", sorted(r for r in built()[1] if r.endswith(".template.yaml")))
def test_cfn_lint_finds_nothing_in_each_template_in_its_region(rel):
    from cfnlint.api import ManualArgs, lint

    matches = lint(built()[1][rel], config=ManualArgs(regions=[region_of(rel)], include_checks=["I"]))
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


@pytest.mark.parametrize("rel", sorted(r for r in built()[1] if r.endswith(".template.yaml")))
def test_iam_in_each_template(rel):
    """No Allow of '*' or 'service:*' in a role's policy; Resource '*' only for the actions
    tests/test_aws.py allows it for."""
    from test_aws import SERVICE_WILDCARD, WILDCARD_RESOURCE_ACTIONS

    problems = []
    for lid, st in policy_statements(templates()[rel]["Resources"]):
        for action in as_list(st["Action"]):
            if action == "*" or SERVICE_WILDCARD.match(action):
                problems.append(f"{lid}: {action}")
            if "*" in as_list(st["Resource"]) and action not in WILDCARD_RESOURCE_ACTIONS:
                problems.append(f"{lid}: {action} on '*'")
    assert problems == []


# ----------------------------------------------------------------------------- the links


def test_artifact_stores_one_per_region_the_pipelines_first():
    (res,) = [r for r in main_template()["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    props = res["Properties"]
    assert "ArtifactStore" not in props
    stores = props["ArtifactStores"]
    assert [s["Region"] for s in stores] == ["us-east-1", "eu-west-1"]
    assert stores[0]["ArtifactStore"]["EncryptionKey"]["Id"] == {"Fn::GetAtt": ["ArtifactKey", "Arn"]}
    assert stores[1]["ArtifactStore"]["Location"] == accounts.bucket_name(built()[0], "eu-west-1")
    assert stores[1]["ArtifactStore"]["EncryptionKey"]["Id"] == {"Ref": "ArtifactKeyEuWest1"}
    support = templates()["aws/storefront/support/eu-west-1.template.yaml"]
    assert support["Resources"]["ArtifactBucket"]["Properties"]["BucketName"] == stores[1]["ArtifactStore"]["Location"]
    assert "ArtifactKeyArn" in support["Outputs"]


def test_each_placed_action_assumes_the_role_of_its_place():
    acts = pipeline_actions()
    expected = {"web-dev": ("222222222222", "us-east-1"), "web-staging-change-set": ("333333333333", "us-east-1"),
                "web-staging": ("333333333333", "us-east-1"), "web-us": ("444444444444", "us-east-1"),
                "web-eu": ("444444444444", "eu-west-1")}
    for name, (account, region) in expected.items():
        a = acts[name]
        assert a["RoleArn"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::{account}:role/storefront-actions-{region}"}
        assert a.get("Region") == (None if region == "us-east-1" else region)
    for name in ("image", "smoke", "promote"):
        assert "RoleArn" not in acts[name] and "Region" not in acts[name]


def test_cloudformation_deploys_with_the_stack_role_of_the_target_account():
    config = pipeline_actions()["web-dev"]["Configuration"]
    (name,) = re.findall(r"role/(.+)$", config["RoleArn"]["Fn::Sub"])
    assert config["RoleArn"]["Fn::Sub"].startswith("arn:${AWS::Partition}:iam::222222222222:role/")
    target = templates()["aws/storefront/targets/222222222222-us-east-1.template.yaml"]
    roles = {r["Properties"].get("RoleName") for r in target["Resources"].values() if r["Type"] == "AWS::IAM::Role"}
    assert name in roles


def test_codedeploy_resources_live_where_the_deploy_is():
    assert not [r for r in main_template()["Resources"].values() if r["Type"].startswith("AWS::CodeDeploy::")]
    for region in ("us-east-1", "eu-west-1"):
        target = templates()[f"aws/storefront/targets/444444444444-{region}.template.yaml"]
        groups = [r["Properties"]["DeploymentGroupName"] for r in target["Resources"].values()
                  if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"]
        assert groups == [{"us-east-1": "web-us", "eu-west-1": "web-eu"}[region]]
    config = pipeline_actions()["web-eu"]["Configuration"]
    assert (config["ApplicationName"], config["DeploymentGroupName"]) == ("storefront-ecs", "web-eu")


def _principals(statement) -> set[str]:
    return {p["Fn::Sub"] for p in as_list(statement["Principal"]["AWS"])}


def _roots(*ids):
    return {f"arn:${{AWS::Partition}}:iam::{i}:root" for i in ids}


def test_key_and_bucket_policies_name_exactly_the_target_accounts():
    main = main_template()["Resources"]
    key = main["ArtifactKey"]["Properties"]["KeyPolicy"]["Statement"]
    readers = [s for s in key if s["Sid"] == "TargetAccountsReadArtifacts"]
    assert [_principals(s) for s in readers] == [_roots("222222222222", "333333333333", "444444444444")]
    assert as_list(readers[0]["Action"]) == ["kms:Decrypt", "kms:DescribeKey"]
    bucket = main["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert all(_principals(s) == _roots("222222222222", "333333333333", "444444444444")
               for s in bucket if s["Effect"] == "Allow")
    support = templates()["aws/storefront/support/eu-west-1.template.yaml"]["Resources"]
    key = support["ArtifactKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert [_principals(s) for s in key if s["Sid"].startswith("TargetAccounts")] == [_roots("444444444444")]


def test_target_roles_trust_only_the_pipelines_role():
    for account, region in PLACES:
        t = templates()[f"aws/storefront/targets/{account}-{region}.template.yaml"]
        role = t["Resources"]["PipelineActionsRole"]["Properties"]
        assert role["RoleName"] == f"storefront-actions-{region}"
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"]["AWS"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::{PIPELINE_ACCOUNT}:root"}
        assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": {
            "Fn::Sub": f"arn:${{AWS::Partition}}:iam::{PIPELINE_ACCOUNT}:role/storefront-pipeline"}}}
    assert main_template()["Resources"]["PipelineRole"]["Properties"]["RoleName"] == "storefront-pipeline"


def test_a_lambda_deployment_elsewhere_is_refused():
    text = """pipeline demo {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "o/r"
  stage deploy {
    deploy fn to lambda {
      function "api"
      alias live
      strategy all-at-once
      aws {
        region eu-west-1
      }
    }
  }
}
"""
    pipeline, _ = pipec.compile_text(text, "x.pipe")
    with pytest.raises(Diagnostics) as e:
        generate(pipeline, context_for("x.pipe", "out", source_root="."), ["aws"])
    assert [d.code for d in e.value.diagnostics] == ["E407"]


_HOP = """pipeline hop {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "acme/hop"
  stage one {
    invoke make-config {
      function "make-config"
      artifact cfg
      aws {
        account 444444444444
      }
    }
  }
  stage two {
    deploy site to cloudformation {
      from cfg
      stack "hop"
      template "t.yml"
      aws {
        account ACCOUNT
      }
    }
  }
}
"""


@pytest.mark.parametrize("account,codes", [("333333333333", ["E407"]), ("444444444444", []),
                                           ("111111111111", [])])
def test_an_artifact_made_in_one_other_account_cannot_be_read_in_a_second(account, codes):
    """CodePipeline User Guide, "Create a pipeline in CodePipeline that uses resources from another
    AWS account": an action consumes an artifact only in the pipeline's account, or one the pipeline's
    account made, or one made in its own account: no artifact passes between two accounts neither of
    which is the pipeline's."""
    text = _HOP.replace("ACCOUNT", account)
    pipeline, _ = pipec.compile_text(text, "hop.pipe")
    try:
        generate(pipeline, context_for("hop.pipe", "out", source_root="."), ["aws"])
        built_codes = []
    except Diagnostics as e:
        built_codes = [d.code for d in e.diagnostics]
        (d,) = e.diagnostics
        assert (d.span.line, "make-config" in d.message, "444444444444" in d.message) == (17, True, True)
    assert built_codes == codes
    assert [d.code for d in diagnose(text, "hop.pipe") if d.code == "E407"] == codes  # E410: GitHub's


def test_names_that_would_be_too_long_are_cut_with_a_hash():
    long = "a" * 80
    cut = accounts.fit(f"{long}-actions-eu-west-1", accounts.ROLE_NAME_MAX)
    assert len(cut) == accounts.ROLE_NAME_MAX
    assert cut != accounts.fit(f"{long}-actions-eu-west-2", accounts.ROLE_NAME_MAX)


# ----------------------------------------------------------------------------- teaching


def test_explain_says_where_each_action_runs_and_which_role_it_uses():
    from pipec import explain

    pipeline, _ = built()
    aws_text = " ".join(explain.explain(pipeline, [], target="aws").split())
    assert "Artifacts go to the S3 bucket pipec-111111111111-us-east-1-storefront" in aws_text
    assert ("Runs in account 444444444444, Region eu-west-1 (the action's Region): the action assumes the role "
            "arn:aws:iam::444444444444:role/storefront-actions-eu-west-1" in aws_text)
    github_text = " ".join(explain.explain(pipeline, [], target="github").split())
    assert "Job web-eu assumes the role arn:aws:iam::444444444444:role/storefront-gh-web-eu in Region eu-west-1" \
        in github_text


def test_the_graph_shows_accounts_and_regions():
    from pipec import graph

    pipeline, _ = built()
    text = graph.render(pipeline, "mermaid")
    assert "pipeline in account 111111111111 · us-east-1" in text
    assert "account 444444444444 · eu-west-1" in text and "account 222222222222 · us-east-1" in text
    assert "stage production<br/>deploys in account 444444444444 · us-east-1" in text  # its aws { account }
    # the pipeline's, the production stage's and the four placed deploys; builds say nothing
    assert text.count("account ") == 6


@functools.lru_cache(maxsize=None)
def github_templates() -> dict[str, str]:
    pipeline, _ = built()
    out = ROOT / "tests" / "golden" / EXAMPLE.stem
    files = generate(pipeline, context_for(str(EXAMPLE), str(out), source_root=str(out)), ["github"])
    return {rel: text for rel, text in files.items() if rel.endswith(".template.yaml")}


def test_github_templates_one_per_place_and_cfn_lint_finds_nothing():
    from cfnlint.api import ManualArgs, lint

    rels = sorted(github_templates())
    assert rels == ["github/storefront.template.yaml",
                    *sorted(f"github/storefront/accounts/{a}-{r}.template.yaml" for a, r in PLACES)]
    for rel in rels:
        m = re.search(r"-([a-z]+-[a-z]+-[0-9])\.template\.yaml$", rel)
        matches = lint(github_templates()[rel], config=ManualArgs(regions=[m.group(1) if m else "us-east-1"],
                                                                 include_checks=["I"]))
        assert [f"{rel} {x.rule.id} line {x.linenumber}: {x.message}" for x in matches] == []


def test_github_roles_of_a_place_trust_only_that_jobs_environment():
    t = yaml.safe_load(github_templates()["github/storefront/accounts/444444444444-eu-west-1.template.yaml"])
    roles = {r["Properties"]["RoleName"]: r["Properties"] for r in t["Resources"].values()
             if r["Type"] == "AWS::IAM::Role" and "Federated" in str(r["Properties"]["AssumeRolePolicyDocument"])}
    assert list(roles) == ["storefront-gh-web-eu"]
    (st,) = roles["storefront-gh-web-eu"]["AssumeRolePolicyDocument"]["Statement"]
    assert st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme-corp/storefront:environment:production-eu"]
    assert t["Metadata"]["pipec"]["account"] == "444444444444" and t["Metadata"]["pipec"]["region"] == "eu-west-1"


# ----------------------------------------------------------------------------- a stage's place

_STAGED = """\
pipeline shop {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "acme/shop"
  stage build {
    build image {
      build "make"
      artifact site files "dist/**"
    }
  }
  stage production {
STAGE
    deploy web to s3 {
      from site
      bucket "shop-site"
      extract
WEB
    }
    parallel {
      invoke purge {
        function "cdn-purge"
        aws {
          region us-east-1
        }
      }
      invoke audit {
        function "audit"
        aws {
          account 111111111111
        }
      }
    }
  }
}
"""


def _staged(stage: str, web: str) -> str:
    return _STAGED.replace("STAGE\n", stage).replace("WEB\n", web)


_STAGE_BLOCK = "    aws {\n      account 444444444444\n      region eu-west-1\n    }\n"


def test_a_stages_place_is_its_actions_unless_they_say_otherwise_setting_by_setting():
    pipeline, _ = pipec.compile_text(_staged(_STAGE_BLOCK, ""), "x.pipe")
    places = {a.name: pipeline.place_of(a) for a in pipeline.actions()}
    assert places == {"image": (None, None), "web": ("444444444444", "eu-west-1"),
                      "purge": ("444444444444", None), "audit": (None, "eu-west-1")}
    assert pipeline.placed


def test_a_stage_placed_where_the_pipeline_runs_places_nothing():
    stage = "    aws {\n      account 111111111111\n      region us-east-1\n    }\n"
    pipeline, _ = pipec.compile_text(_staged(stage, ""), "x.pipe")
    assert {a.name: pipeline.place_of(a) for a in pipeline.actions()} == {
        "image": (None, None), "web": (None, None), "purge": (None, None), "audit": (None, None)}


def test_a_stages_place_generates_the_files_of_the_same_places_written_on_its_actions():
    web = "      aws {\n        account 444444444444\n        region eu-west-1\n      }\n"
    spelled = _staged("", web).replace("          region us-east-1\n", "          account 444444444444\n"
                                       "          region us-east-1\n")
    spelled = spelled.replace("          account 111111111111\n", "          region eu-west-1\n")
    files = []
    for text in (_staged(_STAGE_BLOCK, ""), spelled):
        pipeline, _ = pipec.compile_text(text, "x.pipe")
        files.append(generate(pipeline, context_for("x.pipe", "out", source_root="."), ["aws", "github"]))
    assert "aws/shop/targets/444444444444-eu-west-1.template.yaml" in files[0]
    assert "github/shop/accounts/444444444444-us-east-1.template.yaml" in files[0]
    assert files[0] == files[1]


def test_an_invoke_job_elsewhere_runs_in_its_stages_environment_and_its_role_trusts_only_that():
    """A placed invoke reaches another account as a deployment does: through the environment of
    its stage, whose protection rules stand in front of that account (docs/targets.md)."""
    pipeline, _ = pipec.compile_text(_staged(_STAGE_BLOCK, ""), "x.pipe")
    files = generate(pipeline, context_for("x.pipe", "out", source_root="."), ["github"])
    jobs = yaml.safe_load(files[".github/workflows/shop.yml"])["jobs"]
    assert {j: jobs[j].get("environment") for j in ("web", "purge", "audit")} == {
        "web": "production", "purge": "production", "audit": "production"}
    for rel, role in (("github/shop/accounts/444444444444-us-east-1.template.yaml", "shop-gh-purge"),
                      ("github/shop/accounts/111111111111-eu-west-1.template.yaml", "shop-gh-audit")):
        (trust,) = [r["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                    for r in yaml.safe_load(files[rel])["Resources"].values()
                    if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName") == role]
        assert [s["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] for s in trust] == [
            ["repo:acme/shop:environment:production"]]


def test_an_invoke_job_elsewhere_reads_back_with_its_environments_protection_step(tmp_path):
    """With a manual trigger the job in an environment checks its protection first (.guards); the
    reader took that step for a foreign one in an invoke job (tests/test_equivalence.py found it)."""
    from pipec.build import write
    from pipec.targets.github import emit as github

    text = _staged(_STAGE_BLOCK, "").replace('  source app github "acme/shop"\n',
                                             '  source app github "acme/shop" {\n    on manual\n  }\n')
    pipeline, _ = pipec.compile_text(text, "x.pipe")
    write(str(tmp_path), generate(pipeline, context_for("x.pipe", "out", source_root="."), ["github"]))
    steps = yaml.safe_load((tmp_path / ".github/workflows/shop.yml").read_text())["jobs"]["purge"]["steps"]
    assert steps[0]["name"] == "Check the protection of environment production"
    read = github.read(str(tmp_path), "shop")
    assert {j.id: j.kind for j in read.jobs if j.id in ("purge", "audit")} == {"purge": "invoke", "audit": "invoke"}


# ----------------------------------------------------------------------------- EC2 instances elsewhere

_FLEET = """\
pipeline fleet {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "acme/fleet"
  stage build {
    build bundle {
      build "make"
      artifact release files "**/*"
    }
  }
  stage production {
    aws {
      account 444444444444
    }
    deploy web to ec2 {
      from release
      instances tag app=web
    }
    deploy api to ecs {
      from release
      cluster shop
      service api
      aws {
        account 333333333333
      }
    }
  }
}
"""


@functools.lru_cache(maxsize=None)
def fleet() -> dict[str, str]:
    pipeline, _ = pipec.compile_text(_FLEET, "fleet.pipe")
    return generate(pipeline, context_for("fleet.pipe", "out", source_root="."), ["aws", "github"])


def _resources(rel: str, kind: str) -> dict:
    return {lid: r["Properties"] for lid, r in yaml.safe_load(fleet()[rel])["Resources"].items() if r["Type"] == kind}


def _statements(doc: dict) -> dict:
    return {st.get("Sid"): st for st in doc["Statement"]}


def test_the_target_template_of_an_ec2_deployment_holds_the_instances_role_and_profile():
    rel = "aws/fleet/targets/444444444444-us-east-1.template.yaml"
    (profile,) = _resources(rel, "AWS::IAM::InstanceProfile").values()
    assert profile["InstanceProfileName"] == "fleet-instances-us-east-1"
    role = _resources(rel, "AWS::IAM::Role")["InstanceRole"]
    assert role["RoleName"] == "fleet-instances-us-east-1" and profile["Roles"] == [{"Ref": "InstanceRole"}]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    (policy,) = role["Policies"]
    read, agent, key = policy["PolicyDocument"]["Statement"]
    # only the pipeline's artifacts (CodePipeline writes them under the first 20 characters of its name)
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::pipec-111111111111-us-east-1-fleet/fleet/*"}]
    assert agent["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::aws-codedeploy-${AWS::Region}/*"}
    assert key["Action"] == "kms:Decrypt"
    assert key["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:kms:us-east-1:111111111111:key/*"}
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}
    # the ECS account has no instances to give a role
    assert not _resources("aws/fleet/targets/333333333333-us-east-1.template.yaml", "AWS::IAM::InstanceProfile")


def test_the_stores_policies_grant_exactly_the_roles_of_the_target_accounts():
    rel = "aws/fleet.template.yaml"
    key = _statements(_resources(rel, "AWS::KMS::Key")["ArtifactKey"]["KeyPolicy"])
    bucket = _statements(_resources(rel, "AWS::S3::BucketPolicy")["ArtifactBucketPolicy"]["PolicyDocument"])

    def roles(st):
        return [r["Fn::Sub"] for r in st["Condition"]["ArnEquals"]["aws:PrincipalArn"]]
    actions = ["arn:${AWS::Partition}:iam::333333333333:role/fleet-actions-us-east-1",
               "arn:${AWS::Partition}:iam::444444444444:role/fleet-actions-us-east-1"]
    for st in (key["TargetAccountsReadArtifacts"], bucket["TargetAccountsReadArtifacts"],
               bucket["TargetAccountsFindTheBucket"]):
        assert roles(st) == actions
    instances = ["arn:${AWS::Partition}:iam::444444444444:role/fleet-instances-us-east-1"]
    assert roles(key["TargetInstancesReadRevisions"]) == instances
    assert key["TargetInstancesReadRevisions"]["Action"] == ["kms:Decrypt"]
    assert key["TargetInstancesReadRevisions"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    st = bucket["TargetInstancesReadRevisions"]
    assert roles(st) == instances and st["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert st["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::pipec-111111111111-us-east-1-fleet/fleet/*"}
    assert [p["AWS"] for p in (st["Principal"],)] == [[{"Fn::Sub": "arn:${AWS::Partition}:iam::444444444444:root"}]]


def test_the_github_template_of_an_ec2_deployment_elsewhere_holds_the_instances_role_too():
    rel = "github/fleet/accounts/444444444444-us-east-1.template.yaml"
    (profile,) = _resources(rel, "AWS::IAM::InstanceProfile").values()
    assert profile["InstanceProfileName"] == "fleet-gh-instances-us-east-1"
    (policy,) = _resources(rel, "AWS::IAM::Role")["InstanceRole"]["Policies"]
    read, agent = policy["PolicyDocument"]["Statement"]  # SSE-S3 in the account itself: no key
    assert read["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::AccountId}-us-east-1-fleet-gh/web/*"}]
    # the job pushes the revision exactly there
    assert "KEY: web/${{ github.sha }}-${{ github.run_attempt }}.zip" in fleet()[".github/workflows/fleet.yml"]
    assert not _resources("github/fleet.template.yaml", "AWS::IAM::InstanceProfile")


@pytest.mark.parametrize("rel", sorted(r for r in fleet() if r.endswith(".template.yaml")))
def test_cfn_lint_finds_nothing_in_the_templates_of_an_ec2_deployment_elsewhere(rel):
    from cfnlint.api import ManualArgs, lint

    matches = lint(fleet()[rel], config=ManualArgs(regions=["us-east-1"], include_checks=["I"]))
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def test_checkov_finds_nothing_in_the_templates_of_an_ec2_deployment_elsewhere(tmp_path):
    import json
    import os
    import subprocess

    import validators

    for rel, text in fleet().items():
        if rel.endswith(".template.yaml"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
    run = subprocess.run([str(validators.checkov_binary()), "-d", str(tmp_path), "--framework", "cloudformation",
                          "--quiet", "--compact", "-o", "json"], capture_output=True, text=True,
                         env={**os.environ, "LOG_LEVEL": "ERROR"})
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{f['check_id']} {f['resource']} in {f['file_path']}"
              for r in reports for f in r.get("results", {}).get("failed_checks", [])]
    assert sum(r["summary"]["passed"] for r in reports) > 0, run.stderr[-2000:]
    assert failed == []


@pytest.mark.parametrize("target,profile,template", [
    ("aws", "fleet-instances-us-east-1", "aws/fleet/targets/444444444444-us-east-1.template.yaml"),
    ("github", "fleet-gh-instances-us-east-1", "github/fleet/accounts/444444444444-us-east-1.template.yaml")])
def test_explain_says_which_instance_profile_the_instances_need(target, profile, template):
    from pipec.explain import explain

    pipeline, warnings = pipec.compile_text(_FLEET, "fleet.pipe")
    text = " ".join(explain(pipeline, warnings, target=target).split())
    assert f"Launch its instances with the instance profile {profile} from {template}" in text
    assert text.count("instance profile") == 1  # the ECS deployment's instances are not EC2's


def test_the_editor_completes_and_explains_a_stages_account_and_region():
    from pipec.lsp_complete import complete
    from pipec.lsp_docs import setting_hover
    from pipec.lsp_index import Index

    text = _staged(_STAGE_BLOCK, "")
    line = text.splitlines().index("      account 444444444444")
    settings = [c[0] for c in complete(Index(text), line, 6) if c[1] == "setting"]
    assert settings == ["account", "region"]
    assert "the stage's deploy and invoke actions run in" in setting_hover("region", "stage", "aws")


def test_the_graph_says_where_a_placed_stage_deploys():
    from pipec import graph

    pipeline, _ = pipec.compile_text(_staged(_STAGE_BLOCK, ""), "x.pipe")
    text = graph.render(pipeline, "mermaid")
    assert 'subgraph g2["stage production<br/>deploys in account 444444444444 · eu-west-1"]' in text
    assert "stage build<br/>" not in text


def test_the_stores_let_the_cloudformation_roles_of_a_placed_stack_read_artifacts():
    """A template may name artifacts that its resources read at deployment (a Lambda function's
    code), with the stack's service role: the stores grant that role too, not only the action role."""
    def reading_roles(text: str) -> list[str]:
        pipeline, _ = pipec.compile_text(text, "x.pipe")
        files = generate(pipeline, context_for("x.pipe", "out", source_root="."), ["aws"])
        key = yaml.safe_load(files["aws/storefront.template.yaml"])["Resources"]["ArtifactKey"]
        (st,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Sid"] == "TargetAccountsReadArtifacts"]
        return [r["Fn::Sub"] if isinstance(r, dict) else r for r in st["Condition"]["ArnEquals"]["aws:PrincipalArn"]]

    roles = reading_roles(EXAMPLE.read_text())
    assert "arn:${AWS::Partition}:iam::222222222222:role/storefront-WebDevStackRole-us-east-1" in roles
    assert "arn:${AWS::Partition}:iam::222222222222:role/storefront-actions-us-east-1" in roles
    # an existing service role, given by its ARN
    mine = "arn:aws:iam::222222222222:role/my-deployer"
    roles = reading_roles(EXAMPLE.read_text().replace(
        "        account 222222222222\n", f'        account 222222222222\n        role "{mine}"\n'))
    assert mine in roles and not any("WebDevStackRole" in r for r in roles)
