"""Reading CloudFormation templates back: YAML with short-form tags, and intrinsic functions
resolved against the template where the template itself decides the value.

Used by the read sides of the targets (``pipec.targets.aws.read`` and the GitHub target's
companion template) and, later, by ``pipec import``. Tolerant of what people write (long and
short forms, JSON or YAML); what cannot be resolved statically (``Fn::ImportValue``, a parameter
without a default, ``AWS::AccountId``) stays as a :class:`Unresolved` marker instead of being
guessed.
"""

from __future__ import annotations

import re

import yaml

#: pseudo parameters, written back as themselves (their value depends on the deployment)
PSEUDO = {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId",
          "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs"}


class Unresolved(str):
    """A value that depends on the deployment (a pseudo parameter, an attribute only known after
    creation): kept as text like ``${AWS::AccountId}``, marked so callers can tell."""


class _Loader(yaml.SafeLoader):
    pass


def _tag(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    return construct


for _short in ("Ref", "Condition"):
    _Loader.add_constructor(f"!{_short}", _tag(_short))
for _fn in ("Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap",
            "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "ToJsonString", "Length"):
    _Loader.add_constructor(f"!{_fn}", _tag(f"Fn::{_fn}"))


def load(text: str) -> dict:
    """A template (YAML with short-form tags, or JSON) as plain data."""
    data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(data, dict):
        raise ValueError("not a CloudFormation template (the top level is not a mapping)")
    return data


class Template:
    """A loaded template with :meth:`resolve` for intrinsic functions."""

    def __init__(self, data: dict):
        self.data = data
        self.resources: dict = data.get("Resources") or {}
        self.parameters: dict = data.get("Parameters") or {}

    @classmethod
    def from_text(cls, text: str) -> "Template":
        return cls(load(text))

    def of_type(self, type_: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == type_}

    def props(self, logical_id: str) -> dict:
        return self.resources[logical_id].get("Properties") or {}

    def resolve(self, value):
        """``value`` with Ref, Fn::Sub, Fn::GetAtt and Fn::Join resolved where the template
        decides them: a parameter's Default, a resource's name property (``Ref`` of a resource
        whose name the template sets, such as a CodeDeploy application's ApplicationName).
        Anything else comes back as an :class:`Unresolved` string."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::GetAtt":
                name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return Unresolved(f"${{{name}.{attr}}}")
            if key == "Fn::Join":
                sep, items = arg
                parts = [self.resolve(i) for i in items]
                text = str(sep).join(str(p) for p in parts)
                return Unresolved(text) if any(isinstance(p, Unresolved) for p in parts) else text
        return {k: self.resolve(v) for k, v in value.items()}

    #: resource type -> the property that holds the name a Ref of it gives
    NAME_PROPERTY = {
        "AWS::CodeDeploy::Application": "ApplicationName",
        "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
        "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
        "AWS::CodeBuild::Project": "Name",
        "AWS::S3::Bucket": "BucketName",
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::CodePipeline::Pipeline": "Name",
        "AWS::IAM::Role": "RoleName",
    }

    def _ref(self, name: str):
        if name in PSEUDO:
            return Unresolved(f"${{{name}}}")
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return Unresolved(f"${{{name}}}") if default is None else default
        res = self.resources.get(name)
        if res is not None:
            prop = self.NAME_PROPERTY.get(res.get("Type"))
            value = (res.get("Properties") or {}).get(prop) if prop else None
            if value is not None:
                return self.resolve(value)
        return Unresolved(f"${{{name}}}")

    def _sub(self, arg):
        if isinstance(arg, list):
            text, variables = arg[0], arg[1] if len(arg) > 1 else {}
        else:
            text, variables = arg, {}
        unresolved = False

        def one(m):
            nonlocal unresolved
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.resolve(variables[name])
            elif "." in name:
                value = Unresolved("${" + name + "}")
            else:
                value = self._ref(name)
            if isinstance(value, Unresolved):
                unresolved = True
            return str(value)

        out = re.sub(r"\$\{([^}]+)\}", one, text)
        return Unresolved(out) if unresolved else out
