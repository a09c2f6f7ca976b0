"""``pipec explain --target github``: the generated workflow read back and narrated.

:func:`narrate` reads the workflow that :class:`pipec.explain_targets.Targets` generated (with
:func:`pipec.yamlout.load`) and tells it in GitHub Actions' vocabulary: ``on:`` events, jobs and
``needs``, steps, environments, concurrency and OIDC roles, then the companion template. Each
action's meaning comes from :class:`pipec.explain_actions.Narrator`.
"""

from __future__ import annotations

from pipec import explain_places, model, yamlout
from pipec.explain_actions import Narrator, action_title, order_sentence
from pipec.explain_neutral import overview, refused
from pipec.explain_targets import Targets
from pipec.explain_text import Doc, join_words, quoted
from pipec.explain_triggers import cron_text, trigger_text


def narrate(doc: Doc, p: model.Pipeline, gen: Targets, refusal, diffs):
    n = Narrator(p, "github")
    wf_name = p.github.first("workflow") or p.name
    doc.title(f"Pipeline {p.name} on GitHub Actions")
    files = gen.files.get("github")
    if files is None:
        refused(doc, p, n, "github", refusal, "No workflow would be generated")
        return
    path = f".github/workflows/{wf_name}.yml"
    if path not in files:
        doc.para("No workflow is generated: every stage of this pipeline is bound to CodePipeline "
                 "('via aws').")
        return
    wf = yamlout.load(files[path])
    on = wf.get("on", wf.get(True, {})) or {}
    jobs = wf.get("jobs", {})
    stages = n.facts.stages_on("github")
    doc.para(f"The workflow {path} (name {wf.get('name')}) does the pipeline's job. " + overview(p, stages)
             + " On GitHub each action is a job named 'STAGE / ACTION'; 'needs' orders them.")
    doc.blank()
    if p.mode == "parallel":
        doc.para("Concurrency: none (mode parallel): runs are independent.")
    else:
        doc.para("Concurrency: the workflow has one concurrency group (WORKFLOW) without cancel-in-progress: "
                 "one run at a time, and "
                 + ("every waiting run goes in turn, in order (queue: max, up to 100 waiting)"
                    if p.mode == "queued" else "a newer waiting run replaces an older waiting one")
                 + "; the lock covers the whole run, so it holds CodePipeline's lock of one run per stage.")
    doc.blank()
    doc.para("Permissions: 'permissions: {}' at the top; each job gets contents: read only when it checks "
             "out the repository and id-token: write only when it assumes an AWS role.")
    companion = f"github/{p.name}.template.yaml"
    if companion in files:
        doc.blank()
        doc.para(f"AWS side: the companion template {companion} holds the GitHub OIDC provider, one IAM role "
                 f"per job that uses AWS (named {p.name}-gh-JOB) and the CodeDeploy, SNS and other "
                 "resources the jobs use. Deploy it once, and set the repository variable AWS_ACCOUNT_ID"
                 + (" (or give github { oidc_provider })" if not p.github.first("oidc_provider") else
                    " (not needed: the account comes from oidc_provider)") + "."
                 + (" An account holds one GitHub OIDC provider: for every stack after the first that "
                    "creates it, give its ARN as the parameter GitHubOidcProviderArn."
                    if not p.github.first("oidc_provider") else ""))
    envs = sorted(f for f in files if "/environments/" in f and f.endswith(".json"))
    if envs:
        doc.blank()
        doc.para("Environments (reviewers, wait timers, branch policies) are set through GitHub's API, not "
                 f"the workflow: run github/{p.name}/environments/apply.sh once. Environment files: "
                 + join_words(envs) + ".")

    doc.heading("on: (what starts the workflow)")
    for event in ("push", "pull_request", "workflow_dispatch", "schedule"):
        if event not in on:
            continue
        spec = on[event] or {}
        if event == "schedule":
            for item in spec:
                doc.bullet(f"schedule: cron {quoted(item['cron'])}, {cron_text(item['cron'])}; runs on the latest "
                           "commit of the default branch.")
            continue
        if event == "workflow_dispatch":
            inputs = (spec or {}).get("inputs", {})
            text = "workflow_dispatch: the 'Run workflow' button"
            if inputs:
                text += ", asking for " + join_words(sorted(inputs))
            doc.bullet(text + ".")
            continue
        parts = [f"{k} {join_words([str(x) for x in v])}" for k, v in spec.items() if isinstance(v, list)]
        doc.bullet(f"{event}: " + ("; ".join(parts) if parts else "any") + ".")
    for src in p.sources:
        ts = [t for t in src.triggers if t.platform in (None, "github")
              and not isinstance(t, (model.ManualTrigger, model.ScheduleTrigger))]
        if ts and any(event in on for event in ("push", "pull_request")):
            doc.bullet(f"In words ({src.name}): a run starts on " + join_words([trigger_text(src, t) for t in ts], "or") + ".")
    if not on:
        doc.bullet("No event: the workflow never starts by itself.")

    by_name: dict[str, list[tuple[str, dict]]] = {}
    for jid, job in jobs.items():
        stage_name, _, rest = str(job.get("name", jid)).partition(" / ")
        action = rest.split(" (", 1)[0]
        by_name.setdefault(f"{stage_name} / {action}", []).append((jid, job))
    for i, stage in enumerate(stages, 1):
        doc.heading(f"Stage {i} of {len(stages)}: {stage.name}")
        if stage.disabled_reason:
            doc.para(f"GitHub has no disabled transitions: this stage's first jobs run only when a repository "
                     f"variable says so (W510). Reason given: {quoted(stage.disabled_reason)}.")
        order = order_sentence(stage)
        if order:
            doc.para(order)
        for a in stage.actions:
            doc.blank()
            doc.para(action_title(a))
            for jid, job in by_name.get(f"{stage.name} / {a.name}", []):
                doc.bullet(_job_line(jid, job))
            explain_places.github_action(doc, p, a, by_name.get(f"{stage.name} / {a.name}", []), files)
            n.action(doc, a)
    if diffs:
        doc.heading("Where GitHub Actions differs from CodePipeline here")
        for d in diffs:
            doc.bullet(f"{d.code}: {d.message}.")


def _job_line(jid: str, job: dict) -> str:
    text = f"Job {jid} ({job.get('name')})"
    needs = job.get("needs")
    if needs:
        needs = [needs] if isinstance(needs, str) else needs
        text += ", needs " + join_words(list(needs))
    runs_on = job.get("runs-on")
    if runs_on:
        text += ", runs-on " + (join_words(runs_on) if isinstance(runs_on, list) else str(runs_on))
    if job.get("container"):
        c = job["container"]
        text += ", container " + (c if isinstance(c, str) else str(c.get("image")))
    env = job.get("environment")
    if env:
        text += ", environment " + (env if isinstance(env, str) else env.get("name"))
    if job.get("timeout-minutes"):
        text += f", timeout-minutes {job['timeout-minutes']}"
    if job.get("if"):
        text += f", if: {job['if']}"
    roles = [s["with"]["role-to-assume"].rsplit("/", 1)[-1] for s in job.get("steps", [])
             if isinstance(s.get("with"), dict) and "role-to-assume" in s["with"]]
    if roles:
        text += f", OIDC role {roles[0]}"
    steps = [_step_title(s) for s in job.get("steps", [])]
    if steps:
        text += ". Steps: " + "; ".join(steps)
    return text + "."


def _step_title(step: dict) -> str:
    """A step as the narration names it: its name; a command step (no name) by its id and the
    first line of its command, as GitHub shows it ("Run npm ci")."""
    if step.get("name"):
        return str(step["name"])
    first = str(step.get("run", step.get("uses", ""))).strip().split("\n", 1)[0]
    return f"{step.get('id')} (run {first[:60]}{'...' if len(first) > 60 else ''})"
