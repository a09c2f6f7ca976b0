"""Every example's CloudFormation templates, both targets, checked as a set.

* :func:`test_checkov_finds_nothing`: checkov (the real scanner, its CLI) over all templates at
  once reports 0 failed checks; skips are allowed only with a comment in the template.
* :func:`test_no_null_in_templates`: no ``null`` anywhere in a template (a missing value that
  troposphere wrote as ``None``; issue 23, item 8).
* :func:`test_stacks_live_together_in_one_account`: every template is created as a stack in one
  mocked account (moto), with the parameters docs/targets.md tells users to give when several
  stacks share an account; resource types moto's CloudFormation does not model are replayed
  through the service APIs moto has (the OIDC provider, CodeDeploy, CodeBuild, CodePipeline) or
  checked for unique names; every IAM policy and trust policy goes through moto's IAM validators.

The examples are built once per session (``built_examples``), into one folder laid out as
``<stem>/out/{aws,github}/...``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipec import compile_file
from pipec.build import context_for, generate
from pipec.targets import TARGETS

import validators

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
ACCOUNT = "123456789012"
REGION = "us-east-1"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (pipec writes the long forms; this is for safety)."""


def _load(text: str) -> dict:
    return yaml.load(text, Loader=_CfnLoader)


@pytest.fixture(scope="session")
def built_examples(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """stem -> {"aws"|"github": parsed template}; the files are written under one folder."""
    base = tmp_path_factory.mktemp("examples")
    out: dict[str, dict[str, dict]] = {}
    for pipe in EXAMPLES:
        pipeline, _ = compile_file(str(pipe))
        folder = base / pipe.stem / "out"
        ctx = context_for(str(pipe), str(folder), source_root=str(folder.parent))
        files = generate(pipeline, ctx, list(TARGETS))
        for rel, text in files.items():
            if rel.endswith(".template.yaml"):
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                if rel.count("/") == 1:  # the pipeline's own template; checkov reads the others in the folder
                    out.setdefault(pipe.stem, {})[rel.split("/")[0]] = _load(text)
    out["__dir__"] = base  # type: ignore[assignment]
    return out


def _templates(built) -> list[tuple[str, str, dict]]:
    return [(stem, side, t) for stem, sides in built.items() if stem != "__dir__" for side, t in sides.items()]


# ----------------------------------------------------------------------------- checkov


def test_checkov_finds_nothing(built_examples):
    checkov = validators.checkov_binary()
    start = time.perf_counter()
    run = subprocess.run([str(checkov), "-d", str(built_examples["__dir__"]), "--framework", "cloudformation",
                          "--quiet", "--compact", "-o", "json"],
                         capture_output=True, text=True, env={**os.environ, "LOG_LEVEL": "ERROR"})
    seconds = time.perf_counter() - start
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{f['check_id']} {f['resource']} in {f['file_path']}"
              for r in reports for f in r.get("results", {}).get("failed_checks", [])]
    summary = Counter()
    for r in reports:
        summary.update({k: r["summary"][k] for k in ("passed", "failed", "skipped", "parsing_errors")})
    print(f"checkov: {dict(summary)} over {len(_templates(built_examples))} templates in {seconds:.1f}s")
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0, run.stderr[-2000:]
    assert failed == [], "checkov reports\n" + "\n".join(failed)
    # a skip is a decision: each one says why, in the template
    for stem, side, t in _templates(built_examples):
        for lid, res in t["Resources"].items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip.get("comment", "")) > 20, f"{stem} {side} {lid}: skip without a reason"


# ----------------------------------------------------------------------------- nulls


def _nulls(value, path="") -> list[str]:
    if value is None:
        return [path or "/"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}/{i}")]
    return []


def test_no_null_in_templates(built_examples):
    found = [f"{stem} {side}: {p}" for stem, side, t in _templates(built_examples) for p in _nulls(t)]
    assert found == []


def test_null_walk_finds_the_example_08_bug():
    """The walk finds what example 08 used to write into its build role's policy."""
    statement = {"Resource": [None, {"Fn::Sub": ["${Value}/*", {"Value": None}]}]}
    assert _nulls(statement) == ["/Resource/0", "/Resource/1/Fn::Sub/1/Value"]


# ----------------------------------------------------------------------------- one account

#: The parameters docs/targets.md ("Deploying both templates") tells users to give, per side:
#: the stacks after the first get the account's GitHub OIDC provider, and a companion template
#: whose AWS twin creates the same CodeArtifact domain does not create it again.
_PLACEHOLDERS = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                 "AWS::StackName": "stack", "AWS::URLSuffix": "amazonaws.com"}


#: The property holding each named resource type's name, for the types pipec writes.
_NAME_PROPERTY = {
    "AWS::CodeArtifact::Domain": "DomainName", "AWS::CodeArtifact::Repository": "RepositoryName",
    "AWS::CodeBuild::Project": "Name", "AWS::CodeConnections::Connection": "ConnectionName",
    "AWS::CodeDeploy::Application": "ApplicationName", "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName", "AWS::CodePipeline::Pipeline": "Name",
    "AWS::IAM::Role": "RoleName", "AWS::Logs::LogGroup": "LogGroupName", "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
}

#: Types whose Ref is their ARN (the others' is their name or ID).
_REF_IS_ARN = {"AWS::SNS::Topic", "AWS::IAM::OIDCProvider", "AWS::IAM::ManagedPolicy",
               "AWS::CodeConnections::Connection"}


def _for_moto(template: dict, resolver, modelled: set) -> str:
    """The template body given to moto: without the resource types its CloudFormation does not
    model (the test replays or name-checks those itself), every reference to one of them replaced
    by the value the resolver gives it. One adaptation to moto 5: it hands an AWS::KMS::Key's Tags
    to its KMS API unconverted, which expects TagKey/TagValue; CloudFormation itself (and cfn-lint's
    schema) use Key/Value, which pipec writes."""
    gone = {lid for lid, r in template["Resources"].items() if r["Type"] not in modelled}

    def refers(v) -> bool:
        if isinstance(v, dict) and len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Ref" and arg in gone:
                return True
            if fn == "Fn::GetAtt" and (arg[0] if isinstance(arg, list) else arg.split(".")[0]) in gone:
                return True
            if fn == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                if any(m.split(".")[0] in gone for m in re.findall(r"\$\{([^}!]+)\}", text)):
                    return True
        if isinstance(v, dict):
            return any(refers(x) for x in v.values())
        if isinstance(v, list):
            return any(refers(x) for x in v)
        return False

    def strip(v):
        if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("Ref", "Fn::GetAtt", "Fn::Sub") and refers(v):
            return resolver.value(v)
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    copy = strip({k: v for k, v in template.items() if k != "Resources"})
    copy["Resources"] = {lid: strip(r) for lid, r in template["Resources"].items() if lid not in gone}
    for res in copy["Resources"].values():
        if isinstance(res.get("DependsOn"), (str, list)):
            deps = [d for d in ([res["DependsOn"]] if isinstance(res["DependsOn"], str) else res["DependsOn"])
                    if d not in gone]
            res["DependsOn"] = deps
            if not deps:
                del res["DependsOn"]
        if res["Type"] == "AWS::KMS::Key" and "Tags" in res.get("Properties", {}):
            res["Properties"]["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]}
                                         for t in res["Properties"]["Tags"]]
    return json.dumps(copy)


class _Resolver:
    """Intrinsic functions to plain values, enough for names and policy documents."""

    def __init__(self, template: dict, params: dict[str, str]):
        self.t = template
        self.params = {k: params.get(k, (v or {}).get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        self.conditions: dict[str, bool] = {}
        for name, expr in template.get("Conditions", {}).items():
            self.conditions[name] = bool(self.value(expr))

    def physical(self, lid: str) -> str | None:
        """The name the template gives resource ``lid``; None when CloudFormation names it."""
        res = self.t["Resources"][lid]
        key = _NAME_PROPERTY.get(res["Type"])
        props = res.get("Properties", {})
        if key is None or key not in props:
            return None
        if res["Type"] == "AWS::CodeDeploy::DeploymentGroup":  # unique within its application
            return f"{self.value(props['ApplicationName'])}/{self.value(props[key])}"
        if res["Type"] == "AWS::CodeArtifact::Repository":  # unique within its domain
            return f"{self.value(props['DomainName'])}/{self.value(props[key])}"
        return self.value(props[key])

    def name(self, lid: str) -> str:
        """The physical name, or a stand-in for one CloudFormation would generate."""
        return self.physical(lid) or f"{lid.lower()}-generated"

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            return {k: self.value(x) for k, x in v.items()}
        (fn, arg), = v.items()
        if fn == "Ref":
            if arg in _PLACEHOLDERS:
                return _PLACEHOLDERS[arg]
            if arg in self.params:
                return self.params[arg]
            if self.t["Resources"][arg]["Type"] in _REF_IS_ARN:
                return self.value({"Fn::GetAtt": [arg, "Arn"]})
            return self.name(arg)
        if fn == "Fn::GetAtt":
            lid, attr = arg if isinstance(arg, list) else arg.split(".", 1)
            res = self.t["Resources"][lid]
            if not attr.endswith("Arn"):
                return self.name(lid)
            kind = res["Type"].split("::")
            name = self.name(lid)
            if kind[1] == "S3":
                return f"arn:aws:s3:::{name}"
            if kind[1] == "IAM":
                return f"arn:aws:iam::{ACCOUNT}:{kind[2].lower()}/{name}"
            if kind[1] == "Logs":
                return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
            return f"arn:aws:{kind[1].lower()}:{REGION}:{ACCOUNT}:{kind[2].lower()}/{name}"
        if fn == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))

            def one(m):
                name = m.group(1)
                if name in local:
                    return str(local[name])
                if "." in name:
                    return str(self.value({"Fn::GetAtt": name.split(".", 1)}))
                return str(self.value({"Ref": name}))
            return re.sub(r"\$\{([^}!]+)\}", one, text)
        if fn == "Fn::Join":
            return arg[0].join(str(x) for x in self.value(arg[1]))
        if fn == "Fn::If":
            return self.value(arg[1] if self.conditions[arg[0]] else arg[2])
        if fn == "Fn::Equals":
            a, b = self.value(arg)
            return a == b
        if fn == "Fn::Select":
            return self.value(arg[1])[int(arg[0])]
        if fn == "Fn::Split":
            return str(self.value(arg[1])).split(arg[0])
        return {fn: self.value(arg)}

    def resources(self):
        """(logical ID, resource) of the resources this stack creates with these parameters."""
        for lid, res in self.t["Resources"].items():
            if res.get("Condition") and not self.conditions[res["Condition"]]:
                continue
            yield lid, res


def _parameters(stem: str, side: str, template: dict, provider_arn: str | None, twin: dict | None) -> dict:
    params = {}
    for name, spec in template.get("Parameters", {}).items():
        if name == "GitHubOidcProviderArn" and provider_arn and not spec.get("Default"):
            params[name] = provider_arn
        elif name == "CreateCodeArtifact":
            twin_types = {r["Type"] for r in (twin or {}).get("Resources", {}).values()}
            params[name] = "false" if "AWS::CodeArtifact::Domain" in twin_types else "true"
        elif "Default" not in spec:  # AStackPolicyArn: the managed policy the stack role gets
            params[name] = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    return params


def _policy_documents(resolver: _Resolver):
    """(what, document, trust) for every identity and trust policy of the stack."""
    for lid, res in resolver.resources():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            yield f"{lid} trust", resolver.value(props["AssumeRolePolicyDocument"]), True
            for p in props.get("Policies", []):
                yield f"{lid} {p['PolicyName']}", resolver.value(p["PolicyDocument"]), False
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield lid, resolver.value(props["PolicyDocument"]), False


def test_stacks_live_together_in_one_account(built_examples):
    import boto3
    from moto import mock_aws
    from moto.cloudformation.parsing import get_model_map

    modelled = set(get_model_map())
    names: dict[tuple[str, str], list[str]] = {}
    problems: list[str] = []
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        codedeploy = boto3.client("codedeploy", region_name=REGION)
        provider_arn = None
        validated = 0
        for stem, side, template in _templates(built_examples):
            where = f"{stem} {side}"
            twin = built_examples[stem].get("aws") if side == "github" else None
            params = _parameters(stem, side, template, provider_arn, twin)
            resolver = _Resolver(template, params)
            # what moto's CloudFormation does not model, replayed or checked by name
            for lid, res in resolver.resources():
                kind = res["Type"]
                props = res.get("Properties", {})
                try:
                    if kind == "AWS::IAM::OIDCProvider":
                        made = iam.create_open_id_connect_provider(Url=props["Url"],
                                                                   ClientIDList=props["ClientIdList"])
                        provider_arn = made["OpenIDConnectProviderArn"]
                    elif kind == "AWS::CodeDeploy::Application":
                        codedeploy.create_application(applicationName=resolver.value(props["ApplicationName"]),
                                                      computePlatform=props["ComputePlatform"])
                    elif kind not in modelled and resolver.physical(lid) is not None:
                        names.setdefault((kind, resolver.physical(lid)), []).append(where)
                except Exception as exc:  # the account already has it: report every one
                    problems.append(f"{where} {lid}: {exc}")
            # every policy through moto's IAM validators
            for what, doc, trust in _policy_documents(resolver):
                validated += 1
                text = json.dumps(doc)
                try:
                    if trust:
                        iam.create_role(RoleName=f"v{len(problems)}-{abs(hash(where + what)) % 10**8}",
                                        AssumeRolePolicyDocument=text)
                    else:
                        iam.create_policy(PolicyName=f"v-{abs(hash(where + what)) % 10**10}", PolicyDocument=text)
                except Exception as exc:  # a malformed document: report them all, not the first
                    problems.append(f"{where} {what}: {exc}")
            body = _for_moto(template, resolver, modelled)
            try:
                cfn.create_stack(StackName=f"{stem[:3]}{side}", TemplateBody=body,
                                 Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                                 Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
                status = cfn.describe_stacks(StackName=f"{stem[:3]}{side}")["Stacks"][0]["StackStatus"]
                if status != "CREATE_COMPLETE":
                    problems.append(f"{where}: stack {status}")
            except Exception as exc:
                problems.append(f"{where}: create_stack: {exc}")
    collisions = [f"{kind} {name}: {places}" for (kind, name), places in names.items() if len(places) > 1]
    print(f"moto: {len(_templates(built_examples))} stacks, {validated} policy documents validated, "
          f"{len(names)} names of unmodelled resources compared")
    assert validated > 100 and len(names) > 50
    assert provider_arn is not None  # some example created the provider, the others were given it
    assert problems == [], "\n".join(problems)
    assert collisions == [], "\n".join(collisions)


# ----------------------------------------------------------------------------- the switch

_SMALL = """pipeline demo {
  %s
  source app github "o/r"
  stage build {
    build web {
      build "make"
    }
  }
}
"""


def _aws_template(setting: str) -> dict:
    import pipec

    pipeline, _ = pipec.compile_text(_SMALL % setting, "demo.pipe")
    files = generate(pipeline, context_for("demo.pipe", "out", source_root="."), ["aws"])
    return _load(files["aws/demo.template.yaml"])


def test_access_logs_on_by_default_and_off_on_request():
    on = _aws_template("")
    assert on["Resources"]["ArtifactBucket"]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "AccessLogBucket"}, "LogFilePrefix": "ArtifactBucket/"}
    assert on["Resources"]["WebLogs"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    off = _aws_template("aws {\n    access_logs off\n  }")
    assert "AccessLogBucket" not in off["Resources"] and "AccessLogBucketPolicy" not in off["Resources"]
    bucket = off["Resources"]["ArtifactBucket"]
    assert "LoggingConfiguration" not in bucket["Properties"]
    assert [s["id"] for s in bucket["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_18"]


def test_no_null_for_an_s3_cache_run_in_codebuild():
    """A build run in CodeBuild from GitHub with 'cache s3' caches in the companion's bucket
    (it used to write the missing bucket as null)."""
    import pipec

    text = _SMALL.replace('build "make"', 'build "make"\n      cache paths "node_modules/**/*"\n'
                          '      aws {\n        cache s3\n      }\n      github {\n        run_in_codebuild\n      }') % ""
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    files = generate(pipeline, context_for("demo.pipe", "out", source_root="."), ["github"])
    companion = _load(files["github/demo.template.yaml"])
    assert _nulls(companion) == []
    cache = companion["Resources"]["WebProject"]["Properties"]["Cache"]
    assert cache["Location"] == {"Fn::Join": ["/", [{"Ref": "ArtifactBucket"}, "cache", "demo-github-web"]]}
