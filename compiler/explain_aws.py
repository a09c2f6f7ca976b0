"""``pipec explain --target aws``: the generated CloudFormation template read back and narrated.

:func:`narrate` reads the template that :class:`pipec.explain_targets.Targets` generated (with
:func:`pipec.yamlout.load`: pipec writes intrinsic functions in their long form, so no
CloudFormation reader is needed) and tells it in CodePipeline's vocabulary: stages, actions,
RunOrder, CodeBuild projects, CodeDeploy deployment groups, transitions, V2 triggers and
EventBridge rules. Each action's meaning comes from :class:`pipec.explain_actions.Narrator`.
"""

from __future__ import annotations

from pipec import explain_places, model, yamlout
from pipec.explain_actions import Narrator
from pipec.explain_neutral import overview, refused
from pipec.explain_targets import Targets
from pipec.explain_text import MODES, Doc, join_words, plural, quoted
from pipec.explain_triggers import cron_text, source_where, trigger_text


def _resolve(template: dict, value):
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        res = template.get("Resources", {}).get(ref)
        if res and "Name" in res.get("Properties", {}):
            return _resolve(template, res["Properties"]["Name"])
        param = template.get("Parameters", {}).get(ref)
        if param and "Default" in param:
            return param["Default"]
        return ref
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


def narrate(doc: Doc, p: model.Pipeline, gen: Targets, refusal):
    n = Narrator(p, "aws")
    doc.title(f"Pipeline {p.name} on AWS CodePipeline")
    files = gen.files.get("aws")
    if files is None:
        refused(doc, p, n, "aws", refusal, "Nothing would be generated for AWS")
        return
    tpath = f"aws/{p.name}.template.yaml"
    template = yamlout.load(files[tpath])
    props = template["Resources"]["Pipeline"]["Properties"]
    stages = n.facts.stages_on("aws")
    doc.para(f"The CloudFormation template {tpath} creates a CodePipeline pipeline named {props['Name']} "
             f"(pipeline type {props['PipelineType']}, execution mode {props['ExecutionMode']}: "
             f"{MODES[p.mode].split(': ', 1)[1]}). " + overview(p, stages))
    doc.blank()
    store = p.artifact_store
    placed = explain_places.aws_overview(doc, p, files, template)  # actions in other accounts and Regions
    if not placed:
        if store.bucket:
            text = f"Artifacts go to your S3 bucket {store.bucket}"
        else:
            text = ("Artifacts go to an S3 bucket the template creates (versioned, public access blocked, TLS "
                    "only, artifacts expire after 90 days)")
        text += f", encrypted with the KMS key {store.kms_key}." if store.kms_key else \
            (", encrypted with S3-managed keys." if not store.bucket else ".")
        doc.para(text)
    others = sorted(f for f in files if f != tpath and f not in placed)
    if others:
        doc.blank()
        doc.para(f"Beside the template: {plural(len(others), 'file')} that CodeBuild and CodeDeploy read "
                 "at run time from the first Git source, so they must be committed: " + join_words(others) + ".")

    doc.heading("Stage Source")
    src_stage = props["Stages"][0]
    for act in src_stage["Actions"]:
        src = next(s for s in p.sources if s.name == act["Name"])
        prov = act["ActionTypeId"]["Provider"]
        text = (f"Action {act['Name']} (RunOrder {act.get('RunOrder', 1)}, provider {prov}): "
                f"{source_where(src)}; output artifact {src.name}, {n.facts.used_by(src.name)}.")
        if prov == "CodeStarSourceConnection":
            c = src.connection
            if c and c.arn:
                text += f" Uses the existing connection {c.arn}."
            else:
                name = c.name if c and c.name else f"{p.name}-{src.provider}"[:32]
                text += f" Uses the CodeConnections connection {name}, created by the stack: authorise it " \
                        "once in the console."
            fmt = act["Configuration"].get("OutputArtifactFormat")
            if fmt:
                text += f" OutputArtifactFormat {fmt}."
        doc.bullet(text)
    doc.heading("What starts it")
    triggers = {t["GitConfiguration"]["SourceActionName"]: t["GitConfiguration"] for t in props.get("Triggers", [])}
    for src in p.sources:
        ts = [t for t in src.triggers if t.platform in (None, "aws")]
        if src.name in triggers:
            doc.bullet(f"Trigger (V2) on the source action {src.name}; with a trigger configuration, only "
                       "these filters start runs:")
            gc = triggers[src.name]
            for kind in ("Push", "PullRequest"):
                for entry in gc.get(kind, []):
                    filt = "; ".join(f"{k} " + " ".join(
                        [f"includes {join_words(v['Includes'])}" if v.get("Includes") else "",
                         f"excludes {join_words(v['Excludes'])}" if v.get("Excludes") else ""]).strip()
                        for k, v in entry.items() if isinstance(v, dict))
                    events = f"events {join_words(entry['Events'])}; " if entry.get("Events") else ""
                    doc.bullet(f"{kind}: {events}{filt}.", 1)
        elif src.provider in ("codecommit", "s3") and any(
                not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger)) for t in ts):
            doc.bullet(f"Source {src.name}: an EventBridge rule on its changes starts the pipeline "
                       "(PollForSourceChanges false).")
        for t in ts:
            if isinstance(t, model.ScheduleTrigger):
                from pipec.cron import eventbridge

                doc.bullet(f"An EventBridge rule with ScheduleExpression {eventbridge(t.cron)} (from the block "
                           f"of {src.name}) starts the pipeline {cron_text(t.cron)}, with each source's latest revision.")
        words = [trigger_text(src, t) for t in ts
                 if not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger))]
        if words:
            doc.bullet(f"In words, {src.name} starts a run on " + join_words(words, "or") + ".")
        if not ts and src.triggers:
            doc.bullet(f"Source {src.name} starts nothing on CodePipeline (its triggers are 'via github').")
    doc.bullet("A run can always be started by hand (Release change), using each source's branch.")
    _sources_vars(doc, p, "CodePipeline pipeline variables, passed to CodeBuild actions as environment variables")

    resources = template["Resources"]
    disabled = {d["StageName"]: d["Reason"] for d in props.get("DisableInboundStageTransitions", [])}
    model_stages = {s.name: s for s in stages}
    for i, st in enumerate(props["Stages"][1:], 1):
        stage = model_stages[st["Name"]]
        doc.heading(f"Stage {i} of {len(props['Stages']) - 1}: {st['Name']}")
        if st["Name"] in disabled:
            doc.para(f"The inbound transition is disabled (DisableInboundStageTransitions): runs wait before "
                     f"this stage until someone enables it. Reason: {quoted(disabled[st['Name']])}.")
        else:
            doc.para("The inbound transition is enabled: the stage starts when the stage before succeeds.")
        actions = {a.name: a for a in stage.actions}
        for act in st["Actions"]:
            doc.blank()
            type_ = act["ActionTypeId"]
            ins = [x["Name"] for x in act.get("InputArtifacts", [])]
            outs = [x["Name"] for x in act.get("OutputArtifacts", [])]
            head = (f"RunOrder {act['RunOrder']}: action {act['Name']} ({type_['Category']} / "
                    f"{type_['Provider']})")
            if ins:
                head += ", input artifacts " + join_words(ins)
            if outs:
                head += ", output artifacts " + join_words(outs)
            doc.para(head + ".")
            conf = act.get("Configuration", {})
            a = actions.get(act["Name"])
            if a is None:  # the change-set half of a CloudFormation deployment
                doc.bullet(f"Creates the change set {conf.get('ChangeSetName')} for the stack "
                           f"{conf.get('StackName')} (ActionMode {conf.get('ActionMode')}); the next action "
                           "executes it.")
                continue
            explain_places.aws_action(doc, p, a, act, files)
            _aws_action(doc, p, a, conf, resources, template, files)
            n.action(doc, a)


def _sources_vars(doc: Doc, p: model.Pipeline, what: str):
    for v in p.variables:
        doc.bullet(f"Variable {v.name} (default {quoted(v.default)}): one of the {what}.")


def _aws_action(doc, p, a, conf, resources, template, files):
    if isinstance(a, model.Build):
        proj = _resolve(template, conf.get("ProjectName"))
        res = next((r for r in resources.values() if r.get("Type") == "AWS::CodeBuild::Project"
                    and r["Properties"].get("Name") == proj), None)
        env = res["Properties"]["Environment"] if res else {}
        text = (f"CodeBuild project {proj}: image {_resolve(template, env.get('Image'))}, compute type "
                f"{env.get('ComputeType')}, TimeoutInMinutes {res['Properties'].get('TimeoutInMinutes') if res else '?'}")
        spec = f"aws/{p.name}/buildspec/{a.name}.yml"
        bs = res["Properties"]["Source"].get("BuildSpec") if res else None
        if isinstance(bs, str) and "\n" in bs:
            text += f"; the buildspec is inline in the project (a copy is written to {spec})"
        elif spec in files:
            text += f"; buildspec {spec}"
        role = a.aws.first("role")
        text += f"; service role {role}" if role else "; a service role of its own, allowed only what it needs"
        doc.bullet(text + ".")
    elif isinstance(a, model.Deploy):
        if a.uses_codedeploy:
            app = a.aws.first("application") or f"{p.name}-{a.platform}"
            group = a.aws.first("deployment_group") or a.name
            config = a.strategy.codedeploy_config(a.platform) or \
                "a custom deployment configuration created in the template"
            text = f"CodeDeploy application {app}, deployment group {group}, deployment configuration {config}"
            if a.platform == "lambda":
                text += ("; the action is a CodeBuild 'deployer' project that starts the CodeDeploy "
                         "deployment and waits for it")
            if a.platform in ("ec2", "ecs", "lambda") and f"aws/{p.name}/appspec/{a.name}.yml" in files:
                text += f"; appspec aws/{p.name}/appspec/{a.name}.yml"
            doc.bullet(text + ".")
        else:
            doc.bullet(f"The ECS deploy action updates the service from {a.target.image_file}; no CodeDeploy "
                       "deployment group.")
    elif isinstance(a, model.StackDeploy):
        doc.bullet(f"ActionMode {conf.get('ActionMode')}, stack {conf.get('StackName')}.")
    elif isinstance(a, model.Approval):
        topic = a.aws.first("topic_name") or f"{p.name}-{a.name}"
        note = (f"; notifications through the SNS topic {topic}" if a.notify_emails else
                f"; notifications to the SNS topic {a.topic_arn}" if a.topic_arn else "")
        doc.bullet(f"Manual approval action, TimeoutInMinutes {a.timeout_minutes}{note}.")
