"""``pipec explain``: a checked pipeline narrated in plain English.

:func:`explain` turns a :class:`pipec.model.Pipeline` into deterministic plain text, stage by
stage: what starts it, what each action runs and where, which artifacts flow where, what a failure
does, what each approval waits for and what each deployment strategy means in practice. Three
voices:

- ``target=None``: platform-neutral, ending with the differences between the CodePipeline and the
  GitHub Actions outputs (the platform-difference diagnostics the targets give, or the errors of a
  target that refuses the pipeline);
- ``target="aws"``: CodePipeline's vocabulary (stages, actions, RunOrder, CodeBuild projects,
  CodeDeploy deployment groups, transitions, V2 triggers, EventBridge rules);
- ``target="github"``: GitHub Actions' vocabulary (workflow, ``on:`` events, jobs, ``needs``,
  steps, environments, concurrency, OIDC roles).

Facts about the outputs come from the targets themselves: both are generated in memory (nothing is
written) and the platform narrations read the generated template and workflow, so the text says
what ``pipec build`` would produce. Facts about strategies are the trade-offs of the deployment
strategy comparison (downtime, rollback speed, extra infrastructure, blast radius), told for the
compute platform at hand. The text is wrapped at :data:`WIDTH` columns.

:func:`explain` is the entry point; the narration is spread by what it narrates:

===============================  ==================================================================
:mod:`pipec.explain_text`        the document being written (:class:`~pipec.explain_text.Doc`),
                                 wording helpers and the vocabulary tables
:mod:`pipec.explain_triggers`    patterns, schedules, triggers and sources in words
:mod:`pipec.explain_strategies`  what a deployment strategy and its rollback mean in practice
:mod:`pipec.explain_actions`     each action narrated (:class:`~pipec.explain_actions.Narrator`)
:mod:`pipec.explain_neutral`     the platform-neutral voice and the differences between targets
:mod:`pipec.explain_targets`     both targets generated in memory through the registry
:mod:`pipec.explain_aws`         ``--target aws``: the generated template read and narrated
:mod:`pipec.explain_github`      ``--target github``: the generated workflow read and narrated
:mod:`pipec.explain_patches`     the ``patch`` lines, after the narration, with what reading them back found
===============================  ==================================================================
"""

from __future__ import annotations

from pipec import explain_aws, explain_github
from pipec.explain_neutral import neutral
from pipec.explain_patches import section as patches_section
from pipec.explain_targets import Targets, split_by_target
from pipec.explain_text import WIDTH, Doc, unique_sorted

__all__ = ["explain", "WIDTH"]


def explain(pipeline, warnings=(), target: str | None = None, platform_warnings=None, brief: bool = False) -> str:
    """Plain-English narration of a checked pipeline (model.Pipeline from pipec.compile_text/compile_file).
    target None: platform-neutral, ending with the differences between the two outputs; "aws" /
    "github": narrate that platform in its own vocabulary. platform_warnings: the target diagnostics
    (W508-W515 etc.) if the caller already has them; when None, compute them by generating both
    targets in memory (nothing is written). Errors among them (a target refusing the pipeline) are
    narrated as such. brief: about a screen, each fact once (:mod:`pipec.explain_brief`)."""
    if target not in (None, "aws", "github"):
        raise ValueError(f"unknown target {target!r}: use None, 'aws' or 'github'")
    gen = None
    if platform_warnings is None or target is not None:
        gen = Targets(pipeline)
    if platform_warnings is None:
        diffs, refusals = gen.warnings, gen.errors
    else:
        diffs, refusals = split_by_target(platform_warnings)
        if gen is not None:
            for name, errs in gen.errors.items():
                refusals.setdefault(name, errs)
    diffs = unique_sorted(diffs)
    doc = Doc()
    if brief:
        from pipec.explain_brief import brief as narrate_brief

        narrate_brief(doc, pipeline, diffs, refusals, target)
    elif target is None:
        neutral(doc, pipeline, warnings, diffs, refusals)
    elif target == "aws":
        explain_aws.narrate(doc, pipeline, gen, refusals.get("aws"))
    else:
        explain_github.narrate(doc, pipeline, gen, refusals.get("github"), diffs)
    patches_section(doc, pipeline, ("aws", "github") if target is None else (target,), diffs)
    return doc.text()
