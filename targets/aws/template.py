"""The template under construction: the base of the AWS target's builder.

:class:`TemplateBuilder` holds the troposphere ``Template`` of one pipeline and what every part of
the builder shares: logical IDs made from the pipeline's names (:func:`logical_id`,
:meth:`TemplateBuilder.key`, :meth:`TemplateBuilder.unique`), the tags every resource carries, the
permissions boundary of every role, the statements collected for the pipeline's role
(:meth:`TemplateBuilder.allow`), the generated files other than the template, and the E407
refusals. :func:`ordered` puts the finished template's sections in reading order.

The resources are made by the mixins beside it, one family each: :mod:`.artifacts` (the artifact
bucket), :mod:`.sources` (source actions, triggers, EventBridge rules), :mod:`.codebuild`
(projects, their roles and logs, CodeArtifact), :mod:`.codedeploy` (applications, groups,
appspecs, the Lambda deployer); :mod:`.pipeline` combines them into the builder that makes the
CodePipeline resource. ARNs and policy documents come from :mod:`.iam`.
"""

from __future__ import annotations

import re

from troposphere import AWSHelperFn, BaseAWSObject, Tags, Template, encode_to_dict

from pipec import model
from pipec.diagnostics import Diagnostic
from pipec.targets.aws import checks


def logical_id(*parts: str) -> str:
    """A CloudFormation logical ID from names: ``web-prod`` + ``Project`` -> ``WebProdProject``."""
    out = []
    for part in parts:
        for word in re.split(r"[^A-Za-z0-9]+", part):
            if word:
                out.append(word[0].upper() + word[1:])
    return "".join(out) or "X"


_SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Conditions", "Resources",
             "Outputs")
_RESOURCE_KEYS = ("Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata",
                  "Properties")


def reading_order(template: dict) -> dict:
    """Sections in the order people read them; in each resource, Type first and Properties last."""
    out = {k: template[k] for k in _SECTIONS if k in template}
    out.update({k: v for k, v in template.items() if k not in out})
    resources = out.get("Resources", {})
    for name, res in resources.items():
        ordered = {k: res[k] for k in _RESOURCE_KEYS if k in res}
        ordered.update({k: v for k, v in res.items() if k not in ordered})
        resources[name] = ordered
    return out


#: Template.to_dict's sections: (key in the template, attribute of the Template), in its order
_TEMPLATE_PARTS = (("Description", "description"), ("Metadata", "metadata"), ("Conditions", "conditions"),
                   ("Mappings", "mappings"), ("Outputs", "outputs"), ("Parameters", "parameters"),
                   ("AWSTemplateFormatVersion", "version"), ("Transform", "transform"), ("Rules", "rules"),
                   ("Globals", "globals"))
_OBJECT_TO_DICT, _FN_TO_DICT = BaseAWSObject.to_dict, AWSHelperFn.to_dict


def template_data(t: Template) -> dict:
    """``reading_order(t.to_dict())``, the template as plain data, walking each object once.

    troposphere's ``to_dict`` validates each object and encodes its properties, and then
    ``encode_to_dict`` walks the encoded result again, at every level: a property five levels
    deep (an action's configuration in a stage of the pipeline) is walked five times. For the
    2,500-action pipeline of bench/perf.py that was 35 ms of the AWS target's 100 ms; one walk
    takes 11 ms. :func:`_plain` does what ``BaseAWSObject.to_dict`` and ``AWSHelperFn.to_dict`` do
    (the same validation, ``_validate_props`` and ``validate``, unless ``no_validation()``), and
    leaves any class that has its own ``to_dict`` (``Tags``, ``Parameter``...) to troposphere.
    tests/test_aws_template_data.py compares both on every example, so a troposphere whose
    objects change fails there, not in a template."""
    data = {key: getattr(t, attr) for key, attr in _TEMPLATE_PARTS if getattr(t, attr)}
    data["Resources"] = t.resources
    return reading_order(_plain(data))


def _plain(obj):
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:
        return obj
    if kind is dict:
        return {k: _plain(v) for k, v in obj.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in obj]
    if isinstance(obj, BaseAWSObject) and kind.to_dict is _OBJECT_TO_DICT:
        if obj.do_validation:
            obj._validate_props()
            obj.validate()
        if obj.properties:
            return _plain(obj.resource)
        if hasattr(obj, "resource_type"):
            return {k: _plain(v) for k, v in obj.resource.items() if k != "Properties"}
        return {}
    if isinstance(obj, AWSHelperFn) and kind.to_dict is _FN_TO_DICT:
        return _plain(obj.data)
    return encode_to_dict(obj)  # anything else as troposphere encodes it


def minutes(text: str) -> int:
    """A duration as written in an ``aws { }`` or ``github { }`` setting (``30m``, ``2h``, ``1d``;
    ``90s`` is 1.5) in minutes."""
    value, unit = int(text[:-1]), text[-1]
    return value * {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[unit]


class TemplateBuilder:
    """The template of pipeline ``p`` and the state and helpers every part of the builder uses.
    ``ctx`` is the build context: ``ctx.source`` names the .pipe file, ``ctx.path`` makes a path
    relative to the source root. The mixins that add resources call ``super().__init__``."""

    def __init__(self, p: model.Pipeline, ctx):
        self.p = p
        self.ctx = ctx
        self.t = Template()
        self.t.set_version("2010-09-09")
        self.t.set_description(f"{p.name}: generated by pipec from {ctx.source}. Do not edit; change the "
                               ".pipe file and run pipec build.")
        self.t.set_metadata({"pipec": {"source": ctx.source, "pipeline": p.name}})
        self.stages = [s for s in p.stages if s.platform in (None, "aws")]
        self.pipeline_role_statements: list[dict] = []
        self.files: dict[str, str] = {}  # path -> text of every file but the template
        #: added to the names written in the .pipe file (project_name, application, topic_name):
        #: the GitHub companion template's "-github", so that both templates can live in one account
        self.name_suffix = ""
        self._ids: dict[str, str] = {}
        #: the repository that carries the committed generated files (buildspecs, appspecs)
        self.repo_source = checks.repository_source(p)

    def refusal(self, node, message: str, help: str) -> Diagnostic:
        """E407: what the pipeline asks for cannot be delivered on CodePipeline as generated."""
        return checks.refusal(self.p, node, message, help)

    def no_repository(self, node) -> Diagnostic:
        """E407 for a deployment whose appspec no Git source can carry."""
        return checks.no_repository(self.p, node)

    def unique(self, candidate: str) -> str:
        """``candidate`` as a logical ID, with a number added if a resource or parameter has it."""
        taken = set(self.t.resources) | set(self.t.parameters)
        out, n = candidate, 2
        while out in taken:
            out, n = f"{candidate}{n}", n + 1
        return out

    def named(self, name: str | None) -> str | None:
        """A name written in the .pipe file, as this template gives it to the resource."""
        return None if name is None else name + self.name_suffix

    def key(self, name: str) -> str:
        """A logical-ID stem for a pipeline name, unique even when two names differ only in
        punctuation (``a-b`` and ``a_b``)."""
        if name not in self._ids:
            base = logical_id(name)
            stem, n = base, 2
            while stem in self._ids.values():
                stem, n = f"{base}{n}", n + 1
            self._ids[name] = stem
        return self._ids[name]

    # ------------------------------------------------------------------ helpers
    def add(self, obj):
        """Add the troposphere resource ``obj`` to the template and return it."""
        return self.t.add_resource(obj)

    def allow(self, actions, resources, condition=None):
        """Let the pipeline's role do ``actions`` on ``resources`` (one or a list), under ``condition``."""
        st = {"Effect": "Allow", "Action": sorted(set(actions)) if len(actions) > 1 else actions[0],
              "Resource": resources if isinstance(resources, list) else [resources]}
        if condition:
            st["Condition"] = condition
        self.pipeline_role_statements.append(st)

    def tags(self):
        """The tags of every resource that takes them: ``pipec:pipeline`` and the ``aws { tag }`` lines."""
        extra = {}
        for k, v in self.p.aws.items:
            if k == "tag":
                extra[v[0]] = v[1]
        return Tags(**{"pipec:pipeline": self.p.name, **extra})

    def boundary(self) -> dict:
        """The keyword argument that gives a role the ``aws { permissions_boundary }``, if any."""
        b = self.p.aws.first("permissions_boundary")
        return {"PermissionsBoundary": b} if b else {}
