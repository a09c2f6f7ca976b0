"""``patch`` lines of ``aws { }`` blocks, applied to the template and the buildspecs
(docs/language.md, "Patches").

Where a path starts:

- ``Resources.``, ``Outputs.``, ``Parameters.``, ... : the CloudFormation template, from its top
  (``Resources.WebProject.Properties.TimeoutInMinutes``), in the pipeline's block or an action's;
- ``buildspec.``: the buildspec of the build or test action whose ``aws { }`` block holds the line
  (``buildspec.env.shell``).

Lists are addressed by the names of their elements, never by position: ``Name`` (stages,
actions, artifacts), ``Key`` (tags), ``PolicyName`` (inline policies), ``Sid``, ``ParameterKey``;
a scalar in a list by its value. A string written inside an ``Fn::Sub`` goes through
:func:`pipec.targets.escape.sub_text`, as every user string there does, so a patch cannot start
a substitution; elsewhere the template and the buildspec are data that :mod:`pipec.yamlout`
quotes. The patches are applied after the builder has made the data and before it is written as
YAML (:meth:`PipelineBuilder.run`); :func:`check` then reads the patched files back (W540, W541).
"""

from __future__ import annotations

from pipec import model, patches, yamlout
from pipec.diagnostics import Diagnostic, Diagnostics
from pipec.targets.escape import sub_text

#: the keys that name the elements of a list in a template
NAMES = ("Name", "Key", "PolicyName", "Sid", "ParameterKey", "Id")


#: mappings the buildspec format defines, which a ``set`` may create on its way
#: (``buildspec.env.variables``; docs/formats.md, "buildspec.yml")
BUILDSPEC_CREATABLE = frozenset({"env", "variables", "parameter-store", "secrets-manager", "exported-variables",
                                 "phases", "install", "pre_build", "build", "post_build", "runtime-versions",
                                 "finally", "cache", "reports", "artifacts", "secondary-artifacts"})


def _escape(path: tuple, value):
    if isinstance(value, str) and "Fn::Sub" in path:
        return sub_text(value)
    return value


def buildspec_text(build: model.Build, data: dict, source: str, errors: list[Diagnostic],
                   filename: str) -> str:
    """The buildspec file of ``build`` from its data, with the action's ``buildspec.`` patches
    applied (E413 appended to ``errors`` for a path that is not there)."""
    root = {"buildspec": data}
    for p in build.aws.patches:
        if p.path[0] != "buildspec":
            continue
        try:
            patches.apply(root, p, what="buildspec", names=NAMES, escape=_escape, creatable=BUILDSPEC_CREATABLE)
        except patches.PatchError as exc:
            errors.append(patches.error(p, exc, filename))
    return yamlout.header(source, f"buildspec for {build.kind} action {build.name}") + yamlout.dump(root["buildspec"])


def template(pipeline: model.Pipeline, data: dict, stages, errors: list[Diagnostic]) -> dict:
    """``data`` (the template as plain data) with the template patches of the pipeline and of its
    actions applied (to a copy, when there are any); E413 appended to ``errors``."""
    on_aws = {a.name for st in stages for a in st.actions}
    found = [(None, p) for p in pipeline.aws.patches]
    found += [(a, p) for a in pipeline.actions() for p in a.aws.patches]
    if found:  # resources may share objects (tags, policy documents): a patch changes one place
        data = patches.unshared(data)
    for act, p in found:
        if act is not None and act.name not in on_aws:
            errors.append(patches.error(p, patches.PatchError(
                f"action '{act.name}' is not in the CodePipeline template: its stage runs on GitHub Actions",
                "Patch the workflow in the action's github { } block, or remove this line."), pipeline.filename))
            continue
        if p.path[0] == "buildspec":  # applied to the buildspec (buildspec_text)
            continue
        try:
            patches.apply(data, p, what="CloudFormation template", names=NAMES, escape=_escape)
        except patches.PatchError as exc:
            errors.append(patches.error(p, exc, pipeline.filename))
    return data


def check(patched: dict[str, str], pipeline: model.Pipeline, emit_files, prefix: str) -> list[Diagnostic]:
    """W540/W541 for the AWS patches of ``pipeline``; ``emit_files(model)`` generates the
    target's files for a model (the unpatched one, and one patch at a time)."""
    found = patches.all_patches(pipeline, "aws")
    if not found:
        return []
    from pipec.targets.aws.read import read  # the reader (and the importer's YAML) only for patches

    try:
        unpatched = emit_files(patches.keeping(pipeline, "aws"))
    except Diagnostics:
        return []

    def one_at_a_time(p):
        return emit_files(patches.keeping(pipeline, "aws", keep=p))

    return patches.effect(patched, unpatched, lambda out, root: read(out, pipeline.name, root), prefix, found,
                          "aws", pipeline.filename, one_at_a_time)
