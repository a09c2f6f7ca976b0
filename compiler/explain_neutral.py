"""The platform-neutral voice: the pipeline in its own terms, then the differences between targets.

:func:`neutral` writes ``pipec explain`` without ``--target``: an overview, what starts the
pipeline, every stage and action, the checker's warnings and what the two outputs do differently
(refusals and platform-difference warnings from :mod:`pipec.explain_targets`).
:func:`neutral_body` is the same walk for one platform, which the platform voices fall back to
when their target refuses the pipeline.
"""

from __future__ import annotations

from pipec import explain_places, model
from pipec.explain_actions import Facts, Narrator, action_title, order_sentence
from pipec.explain_text import MODES, PLATFORM_NAMES, Doc, join_words, plural, quoted, unique_sorted
from pipec.explain_triggers import is_default_trigger, source_where, trigger_text, via_text
from pipec.templates import provenance


def overview(pipeline: model.Pipeline, stages) -> str:
    n = sum(len(s.actions) for s in stages)
    names = " -> ".join(["Source"] + [s.name for s in stages])
    head = f"{plural(len(pipeline.sources), 'source')}, {plural(len(stages), 'stage')} and {plural(n, 'action')}: "
    bound = {s.platform for s in stages if s.platform}
    if len(bound) > 1:
        # stages bound to different platforms never run in the same run (examples/08)
        runs = [f"{join_words([s.name for s in stages if s.platform in (p, None)])} on {PLATFORM_NAMES[p]}"
                for p in ("github", "aws") if p in bound]
        return (head + f"{names}. The stages are not one run: " + "; ".join(runs) + ", each started by its "
                "own triggers. Within a run, stages run one after another; a stage starts only when every "
                "action of the stage before it has succeeded, and a failed action stops the run.")
    return (head + f"{names}. Stages run one after another; a stage starts only when "
            "every action of the stage before it has succeeded, and a failed action stops the run.")


def _sources_section(doc: Doc, pipeline: model.Pipeline, facts: Facts, platform: str | None):
    for src in pipeline.sources:
        doc.bullet(f"Source {src.name}: {source_where(src)}. Its files are the artifact {src.name}, "
                   f"{facts.used_by(src.name)}.")
        triggers = [t for t in src.triggers if platform is None or t.platform in (None, platform)]
        if not triggers:
            if src.triggers:
                doc.bullet(f"Starts no run on {PLATFORM_NAMES[platform]}: its triggers belong to the other "
                           "platform.", 1)
            else:
                doc.bullet("Starts no run by itself: it only delivers its latest revision when another "
                           "trigger starts the pipeline.", 1)
        for t in triggers:
            text = "Starts a run on " + trigger_text(src, t) + (via_text(t.platform) if platform is None else "")
            if is_default_trigger(src, t):
                text += " (the default for a source without 'on' lines)"
            if isinstance(t, model.PushTrigger) and t.paths is not None:
                text += "; a push counts when at least one changed file matches and is not excluded"
            if isinstance(t, model.ScheduleTrigger):
                text += "; every source then delivers its latest revision, changed or not"
            if isinstance(t, model.ManualTrigger):
                text += " (always possible on CodePipeline; the 'Run workflow' button, workflow_dispatch, " \
                        "on GitHub Actions)"
            doc.bullet(text + ".", 1)
    if pipeline.variables:
        for v in pipeline.variables:
            desc = f" ({v.description})" if v.description else ""
            doc.bullet(f"Run variable {v.name}{desc}: chosen when a run starts, default {quoted(v.default)}.")


def neutral(doc: Doc, p: model.Pipeline, warnings, diffs, refusals):
    n = Narrator(p, None)
    doc.title(f"Pipeline {p.name}")
    doc.para(overview(p, p.stages))
    doc.blank()
    doc.para(f"Mode {MODES[p.mode]}.")
    if p.is_hybrid:
        doc.blank()
        only = [f"{s.name} ({PLATFORM_NAMES[s.platform]} only)" for s in p.stages if s.platform]
        if only:
            doc.para("This is a hybrid pipeline: " + join_words(only) + " run on one platform; the other "
                     "stages and the unbound triggers apply on both.")
        else:
            doc.para("This is a hybrid pipeline: some triggers start only one platform (marked below); "
                     "every stage runs on both.")
    neutral_body(doc, p, n, None)
    if warnings:
        doc.heading("Warnings from the checker")
        for d in unique_sorted(warnings):
            doc.bullet(f"{d.code}: {d.message}.")
    doc.heading("Differences between the two platforms")
    items = []
    for name in ("aws", "github"):
        for d in unique_sorted(refusals.get(name, [])):
            items.append(f"{PLATFORM_NAMES[name]} cannot express this pipeline: {d.code} {d.message}.")
    for d in unique_sorted(refusals.get("?", [])):
        items.append(f"A target cannot express this pipeline: {d.code} {d.message}.")
    for d in diffs:
        items.append(f"{d.code}: {d.message}.")
    if not items:
        doc.para("none: both outputs do the same thing for this pipeline.")
    for text in items:
        doc.bullet(text)


def _stage_intro(doc: Doc, stage: model.Stage, neutral: bool):
    if stage.platform and neutral:
        doc.para(f"Runs on {PLATFORM_NAMES[stage.platform]} only ('via {stage.platform}').")
    if stage.disabled_reason and neutral:
        doc.para(f"Runs stop before this stage until someone enables its transition: "
                 f"{quoted(stage.disabled_reason)}.")
    order = order_sentence(stage)
    if order:
        doc.para(order)


def neutral_body(doc: Doc, p: model.Pipeline, n: Narrator, platform: str | None):
    """What starts the pipeline and every stage's actions, in neutral terms, for the stages that
    run on ``platform`` (None: on either)."""
    doc.heading("What starts it")
    _sources_section(doc, p, n.facts, platform)
    stages = n.facts.stages_on(platform)
    for i, stage in enumerate(stages, 1):
        doc.heading(f"Stage {i} of {len(stages)}: {stage.name}")
        came = provenance(stage.span)
        if came:
            doc.para(f"Written in {came}.")
        _stage_intro(doc, stage, neutral=True)
        for a in stage.actions:
            doc.blank()
            doc.para(action_title(a))
            action_came = provenance(getattr(a, "span", None))
            if action_came and action_came != came:
                doc.para(f"Written in {action_came}.")
            explain_places.neutral_action(doc, p, a)
            n.action(doc, a)


def refused(doc: Doc, p: model.Pipeline, n: Narrator, platform: str, refusal, nothing: str):
    """A platform voice whose target refuses the pipeline: why (``refusal``, its errors), what is
    not generated (``nothing``), then the pipeline in neutral terms for that platform."""
    doc.para(f"{PLATFORM_NAMES[platform]} cannot express this pipeline: " + "; ".join(
        f"{d.code} {d.message}" for d in unique_sorted(refusal or [])) + f". {nothing}; below is what the "
        "pipeline means.")
    doc.blank()
    neutral_body(doc, p, n, platform)
