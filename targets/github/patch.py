"""``patch`` lines of ``github { }`` blocks, applied to the workflow (docs/language.md, "Patches").

Where a path starts:

- in the pipeline's ``github { }`` block, at the top of the workflow: ``jobs.web.timeout-minutes``,
  ``on.push.branches``;
- in an action's ``github { }`` block, at the action's job: ``timeout-minutes``,
  ``steps.setup-node.with.cache``; a path that starts with ``jobs.`` names one of the jobs the
  action makes (an approval makes a second, ``NAME-request``, when it notifies).

Steps are addressed by their ``id`` (:mod:`.step_ids`), never by position. Every string a patch
writes is passed through :func:`pipec.targets.escape.expression_text`, as every string of the
``.pipe`` file is: a patch can put text into a ``run:`` script or an input, never a GitHub
expression. The patches are applied by :meth:`_Workflow.run` after the workflow's data is
complete and before it is written as YAML; :func:`check` then reads the patched workflow back
and reports what the patches change (W540, W541; :func:`pipec.patches.effect`).
"""

from __future__ import annotations

from pipec import model, patches
from pipec.diagnostics import Diagnostic, Diagnostics
from pipec.targets.escape import expression_text


#: mappings the workflow syntax defines, which a ``set`` may create on its way (a step's ``env``)
CREATABLE = frozenset({"with", "env", "defaults", "run", "outputs", "concurrency", "environment",
                       "permissions", "strategy", "container", "services", "secrets"})


def _escape(path: tuple, value):
    return expression_text(value) if isinstance(value, str) else value


def apply_all(workflow: dict, pipeline: model.Pipeline, stages, jobs_of: dict[str, list[str]],
              job_id) -> tuple[dict, list[Diagnostic]]:
    """``workflow`` with every GitHub patch of ``pipeline`` applied (a copy when there are any:
    the jobs share objects such as the runner labels, which one patch must not change in every
    job), and E413 for each path that is not there. ``jobs_of`` maps an action's name to the ids
    of the jobs it made."""
    errors: list[Diagnostic] = []
    if not patches.all_patches(pipeline, "github"):
        return workflow, errors
    workflow = patches.unshared(workflow)
    what = "workflow"

    def one(p: model.Patch, base: tuple[str, ...], shown: str):
        try:
            patches.apply(workflow, p, base=base, what=what, shown_base=shown, escape=_escape,
                          creatable=CREATABLE)
        except patches.PatchError as exc:
            errors.append(patches.error(p, exc, pipeline.filename))

    for p in pipeline.github.patches:
        one(p, (), "")
    on_github = {a.name for st in stages for a in st.actions}
    for act in pipeline.actions():
        for p in act.github.patches:
            if act.name not in on_github:
                errors.append(patches.error(p, patches.PatchError(
                    f"action '{act.name}' has no job in the workflow: its stage runs on CodePipeline",
                    "Patch the CodePipeline side in the action's aws { } block, or remove this line."),
                    pipeline.filename))
                continue
            own = jobs_of.get(act.name, [job_id(act.name)])
            if p.path[0] == "jobs":
                if len(p.path) < 3 or p.path[1] not in own:
                    errors.append(patches.error(p, patches.PatchError(
                        f"'{'.'.join(p.path)}' is not one of the jobs of action '{act.name}'",
                        f"In an action's github {{ }} block a path starts at its job ({', '.join(own)}); "
                        f"write 'jobs.{own[0]}.KEY', or just 'KEY' for the job {own[0]}. Patch other jobs "
                        "from their own action or from the pipeline's github { } block."), pipeline.filename))
                    continue
                one(p, (), "")
            else:
                one(p, ("jobs", own[0]), f"jobs.{own[0]}")
    return workflow, errors


def without_workflow(pipeline: model.Pipeline) -> list[Diagnostic]:
    """E413 for every GitHub patch of a pipeline that has no workflow (every stage is ``via aws``)."""
    return [patches.error(p, patches.PatchError(
        "there is no workflow to patch: every stage of this pipeline runs on CodePipeline",
        "Remove this line, or bind a stage to GitHub Actions (drop its 'via aws')."), pipeline.filename)
        for p in patches.all_patches(pipeline, "github")]


def check(patched: dict[str, str], pipeline: model.Pipeline, emit_files, prefix: str) -> list[Diagnostic]:
    """W540/W541 for the GitHub patches of ``pipeline``: ``emit_files(model)`` generates the
    target's files for a model (used for the unpatched pipeline, and for one patch at a time)."""
    found = patches.all_patches(pipeline, "github")
    if not found:
        return []
    from pipec.targets.github.read import read  # the reader (and the importer's YAML) only for patches

    try:
        unpatched = emit_files(patches.keeping(pipeline, "github"))
    except Diagnostics:
        return []

    def one_at_a_time(p):
        return emit_files(patches.keeping(pipeline, "github", keep=p))

    return patches.effect(patched, unpatched, lambda out, root: read(out, pipeline.name), prefix, found,
                          "github", pipeline.filename, one_at_a_time)
