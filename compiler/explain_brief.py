"""``pipec explain --brief``: about a screen per pipeline, each fact said once.

The overview, what starts a run, one line per action (what it is, its phases or strategy, what it
produces), the failure rules once for the whole pipeline with the actions that differ, and the
differences between the platforms by code. The full narration (:mod:`pipec.explain_neutral`) is
where each of these is explained.
"""

from __future__ import annotations

from pipec import model
from pipec.explain_actions import Narrator, action_title
from pipec.explain_neutral import overview
from pipec.explain_text import PLATFORM_NAMES, Doc, minutes_text, unique_sorted
from pipec.explain_triggers import trigger_text, via_text


def _action_line(a) -> str:
    if isinstance(a, model.Build):
        extra = ["phases " + ", ".join(p.name + (" (continue on failure)" if p.on_failure == "continue" else "")
                                       for p in a.phases)]
        if a.outputs:
            extra.append("produces " + ", ".join(o.name for o in a.outputs))
    elif isinstance(a, model.Deploy):
        extra = [Narrator.strategy_name(a.strategy)]
        if a.rollback.enabled:
            extra.append("rolls back on " + " and ".join(
                (["failure"] if a.rollback.on_failure else []) + (["alarms"] if a.rollback.alarms else [])))
        if a.hooks:
            extra.append("hooks " + ", ".join(h.event for h in a.hooks))
    elif isinstance(a, model.Approval):
        extra = [f"waits up to {minutes_text(a.timeout_minutes)} on CodePipeline"]
    else:
        extra = []
    return action_title(a) + (f" ({'; '.join(extra)})" if extra else "")


#: the execution modes in a few words (the full explanation's are explain_text.MODES)
_MODES = {"superseded": "a newer run overtakes an older one waiting for a stage",
          "queued": "runs go one at a time, in order", "parallel": "runs are independent"}


def brief(doc: Doc, p: model.Pipeline, diffs, refusals, platform: str | None = None):
    stages = [s for s in p.stages if platform is None or s.platform in (None, platform)]
    doc.title(f"Pipeline {p.name} (brief)")
    doc.para(overview(p, stages) + f" Mode {p.mode} ({_MODES[p.mode]}).")
    doc.heading("Starts on")
    named = len(p.sources) > 1  # which source a trigger watches, when there are several
    for src in p.sources:
        for t in src.triggers:
            if platform is None or t.platform in (None, platform):
                doc.bullet((f"{src.name}: " if named else "") + trigger_text(src, t)
                           + (via_text(t.platform) if platform is None else "") + ".")
    doc.heading("Stages")
    for i, st in enumerate(stages, 1):
        notes = []
        if st.platform and platform is None:
            notes.append(f"{PLATFORM_NAMES[st.platform]} only")
        if st.disabled_reason:
            notes.append("transition disabled")
        doc.para(f"{i}. {st.name}" + (f" ({', '.join(notes)})" if notes else "") + ":")
        for a in st.actions:
            doc.bullet(_action_line(a) + ".")
    if any(isinstance(a, model.Build) for st in stages for a in st.actions):
        doc.heading("When something fails")
        n = Narrator(p, platform)
        for st in stages:
            for a in st.actions:
                if isinstance(a, model.Build):
                    text = n.failure(a)
                    if text:
                        doc.bullet((f"{a.name}: " if text.startswith("Unlike") else "") + text)
    items = [f"{d.code}: {d.message}." for d in diffs]
    items += [f"{PLATFORM_NAMES.get(name, 'A target')} cannot express it: {d.code} {d.message}."
              for name, errs in sorted(refusals.items()) for d in unique_sorted(errs)]
    if items and platform is None:
        doc.heading("Differences between the platforms")
        for text in items:
            doc.bullet(text)
