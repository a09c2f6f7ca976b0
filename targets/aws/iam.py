"""ARNs and IAM policy documents, as the AWS target's templates write them.

Plain functions that build values, no resources: the ARN of a resource in the stack's own
partition, Region and account (an ``Fn::Sub`` on the pseudo parameters) or as written when the
.pipe gives a full ARN; the policy and trust documents of the roles; the merging of statements
into the pipeline role's one policy. Both templates use them: the AWS target's (through the
builder in :mod:`pipec.targets.aws.template` and the modules beside it) and the GitHub target's
companion template. The security choices (which actions, how narrow) are in
:mod:`pipec.targets.aws.security`; what each role gets is in docs/targets.md, "IAM".
"""

from __future__ import annotations

import json

from troposphere import GetAtt, Sub

from pipec import model


def arn(service: str, resource: str, region: bool = True, account: bool = True) -> Sub:
    """The ARN of ``resource`` of ``service`` in the stack's partition, and in its Region and
    account unless told otherwise (IAM roles have no Region, managed policies no account)."""
    return Sub(f"arn:${{AWS::Partition}}:{service}:{'${AWS::Region}' if region else ''}:"
               f"{'${AWS::AccountId}' if account else ''}:{resource}")


def policy(statements: list[dict]) -> dict:
    """An IAM policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": statements}


def grant_statements(b: model.Build) -> list[dict]:
    """The action's ``allow`` lines as IAM statements, for the role its commands run with."""
    return [{"Effect": "Allow", "Action": list(g.actions) if len(g.actions) > 1 else g.actions[0],
             "Resource": list(g.resources)} for g in b.grants]


def trust(service: str) -> dict:
    """A role's trust policy that lets the AWS ``service`` (``codebuild.amazonaws.com``) assume it."""
    return policy([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def secret_arn(ref: str):
    """Secrets Manager ARN for a secret id as written (``name``, ``name:json-key`` or a full ARN,
    which may be followed by ``:json-key:version-stage:version-id``)."""
    if ref.startswith("arn:"):
        return ":".join(ref.split(":")[:7])
    name = ref.split(":", 1)[0]
    return arn("secretsmanager", f"secret:{name}-*")


def deployment_group_arn(app, group) -> Sub:
    """The ARN of CodeDeploy deployment group ``group`` of application ``app`` (names or Refs)."""
    return Sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${App}/${Group}",
               App=app, Group=group)


def application_arn(app) -> Sub:
    """The ARN of CodeDeploy application ``app`` (a name or a Ref)."""
    return Sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${App}", App=app)


def deployment_config_arn(config) -> Sub:
    """The ARN of a deployment configuration: a name (or ``*``) as written, or a Ref to one."""
    prefix = "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentconfig:"
    if isinstance(config, str):
        return Sub(prefix + config)
    return Sub(prefix + "${Config}", Config=config)


def function_arn(name: str):
    """The ARN of Lambda function ``name``: a full ARN as written, a name in the stack's account."""
    return name if name.startswith("arn:") else arn("lambda", f"function:{name}")


def parameter_arn(name: str):
    """The ARN of SSM parameter ``name`` (with or without its leading ``/``), or a full ARN as written."""
    if name.startswith("arn:"):
        return name
    return arn("ssm", f"parameter/{name.lstrip('/')}")


def suffixed(arn, suffix: str):
    """``arn`` + ``suffix`` as a plain string or an Fn::Sub (cfn-lint prefers Sub to Join with an
    empty delimiter)."""
    if isinstance(arn, str):
        return arn + suffix
    if isinstance(arn, Sub):
        data = arn.to_dict()["Fn::Sub"]
        if isinstance(data, str):
            return Sub(data + suffix)
        return Sub(data[0] + suffix, **data[1])
    if isinstance(arn, GetAtt):
        name, attr = arn.to_dict()["Fn::GetAtt"]
        return Sub(f"${{{name}.{attr}}}{suffix}")
    return Sub(f"${{Value}}{suffix}", Value=arn)


def merge(statements: list[dict]) -> list[dict]:
    """Combine statements with the same actions and condition; keep first-seen order. Each
    resource is encoded once (a pipeline role of thousands of actions merges in linear time)."""
    out: list[dict] = []
    index: dict[str, tuple[dict, set[str]]] = {}
    for st in statements:
        key = json.dumps([st["Action"], st.get("Condition")], sort_keys=True, default=str)
        if key in index:
            existing, seen = index[key]
            for r in st["Resource"]:
                encoded = json.dumps(r, sort_keys=True, default=_enc)
                if encoded not in seen:
                    existing["Resource"].append(r)
                    seen.add(encoded)
        else:
            copy = dict(st, Resource=list(st["Resource"]))
            index[key] = (copy, {json.dumps(x, sort_keys=True, default=_enc) for x in copy["Resource"]})
            out.append(copy)
    return out


def _enc(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else str(obj)
