"""Reading CloudFormation templates back: YAML with short-form tags, and intrinsic functions
resolved against the template where the template itself decides the value (the evaluation is
:class:`pipec.targets.aws.intrinsics.Resolver`).

Used by the read sides of the targets (``pipec.targets.aws.read`` and the GitHub target's
companion template) and, later, by ``pipec import``. Tolerant of what people write (long and
short forms, JSON or YAML); what cannot be resolved statically (``Fn::ImportValue``, a parameter
without a default, ``AWS::AccountId``) stays as a :class:`Unresolved` marker instead of being
guessed.
"""

from __future__ import annotations

import yaml

from pipec.targets.aws import intrinsics
from pipec.targets.aws.intrinsics import PSEUDO, Unresolved  # noqa: F401 (the readers' names for them)

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
        self._resolver = intrinsics.Resolver(data)

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
        return self._resolver.resolve(value)

    #: resource type -> the property that holds the name a Ref of it gives
    NAME_PROPERTY = intrinsics.NAME_PROPERTY


__all__ = ["PSEUDO", "Template", "Unresolved", "load"]
