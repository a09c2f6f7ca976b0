"""What the parts of the AWS template reader share: an action as declared, and loose values.

:class:`Action` is one action of the pipeline's ``Stages`` with where it is (for messages);
:func:`as_list` and :func:`as_bool` accept what CloudFormation accepts where a list or a boolean
is expected (a single value; ``"true"``, ``"yes"``...). The reader itself is
:class:`pipec.targets.aws.read._Reader`; its parts are :mod:`.read_sources`,
:mod:`.read_actions`, :mod:`.read_codebuild` and :mod:`.read_codedeploy`.
"""

from __future__ import annotations


def as_list(value) -> list:
    """``value`` as a list: [] for None, a list as it is, anything else as a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_bool(value, default: bool | None = None):
    """A boolean written as YAML or as text (true, false, yes, no; any case); ``default`` for None,
    None for anything else."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    return None


class Action:
    """One pipeline action as read: where it is, and its configuration resolved."""

    def __init__(self, stage: str, decl: dict, where: str):
        self.stage = stage
        self.decl = decl
        self.where = where
        self.name = decl.get("Name")
        type_id = decl.get("ActionTypeId") or {}
        self.category = type_id.get("Category")
        self.owner = type_id.get("Owner", "AWS")
        self.provider = type_id.get("Provider")
        self.run_order = decl.get("RunOrder", 1)
        self.inputs = [a.get("Name") for a in as_list(decl.get("InputArtifacts")) if isinstance(a, dict)]
        self.outputs = [a.get("Name") for a in as_list(decl.get("OutputArtifacts")) if isinstance(a, dict)]
        self.raw_config = decl.get("Configuration") or {}

