"""The AWS target's refusals (E407, E411), as functions of the model that import neither
troposphere nor YAML: the builder (:mod:`.pipeline` and its parts) calls them while it makes the
template, and :mod:`.diagnose` calls the same functions without making anything, so that
``pipec check`` and the language server report what ``pipec build`` does without loading the
emitter. Each check has this one implementation.
"""

from __future__ import annotations

from pipec import model
from pipec.diagnostics import ERROR, Diagnostic

CONNECTION_PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab"}

#: triggers that are not events of a source: CodePipeline can always be started by hand, and a
#: schedule has an EventBridge rule of its own
_NOT_SOURCE_EVENTS = (model.ManualTrigger, model.ScheduleTrigger)


def refusal(p: model.Pipeline, node, message: str, help: str) -> Diagnostic:
    """E407: what the pipeline asks for cannot be delivered on CodePipeline as generated."""
    return Diagnostic("E407", ERROR, message, node.span, help=help, file=p.filename)


def no_repository(p: model.Pipeline, node) -> Diagnostic:
    """E407 for a deployment whose appspec no Git source can carry."""
    return refusal(p, node, f"'{node.name}' needs a Git source to carry its generated appspec",
                   "The generated appspec is committed with the repository, where CodeDeploy (or "
                   "the build that makes the revision) reads it; add a GitHub, Bitbucket, GitLab or "
                   "CodeCommit source.")


def repository_source(p: model.Pipeline) -> str | None:
    """The name of the repository that carries the committed generated files (buildspecs, appspecs)."""
    git = [src for src in p.sources if src.is_git]
    return git[0].name if git else None


def automatic_triggers(src: model.Source) -> list:
    """The triggers of connection source ``src`` that CodePipeline's own trigger declaration holds."""
    aws_triggers = [t for t in src.triggers if t.platform in (None, "aws")]
    return [t for t in aws_triggers if not isinstance(t, _NOT_SOURCE_EVENTS)]


def trigger_filters(src: model.Source, t) -> list[tuple[str, model.Filter]]:
    """(CodePipeline's key, pipec's filter) of push or pull-request trigger ``t``, in the order the
    trigger declaration writes them."""
    out = []
    if isinstance(t, model.PushTrigger):
        if t.tags is not None:
            out.append(("Tags", t.tags))
        else:
            out.append(("Branches", t.branches if t.branches is not None else model.Filter((src.branch,))))
            if t.paths is not None:
                out.append(("FilePaths", t.paths))
    else:
        out.append(("Branches", t.branches))
        if t.paths is not None:
            out.append(("FilePaths", t.paths))
    return out


def translated_filter(p: model.Pipeline, src: model.Source, t, f: model.Filter, problems: list):
    """(includes, excludes) of CodePipeline filter criteria that select exactly what ``f`` matches
    (:mod:`pipec.targets.aws.patterns`), or None after appending E411 to ``problems`` when
    CodePipeline cannot express it."""
    from pipec.patterns import PatternError
    from pipec.targets.aws import patterns as codepipeline_patterns
    from pipec.targets.aws.patterns import Untranslatable

    try:
        return codepipeline_patterns.translate(f.includes, f.excludes)
    except (Untranslatable, PatternError) as exc:  # E411: no CodePipeline filter means the same
        reason = exc.reason if exc.reason.endswith(".") else exc.reason + "."
        hint = getattr(exc, "hint", "Correct the pattern; see 'Patterns' in docs/language.md.")
        problems.append(Diagnostic(
            "E411", ERROR, f"pattern '{exc.pattern}' has no faithful CodePipeline equivalent: {reason}",
            t.span or src.span, help=hint, file=p.filename))
        return None


def place_of(p: model.Pipeline, act) -> tuple[str, str] | None:
    """(account, region) where ``act`` runs, or None when it runs where the pipeline runs."""
    account, region = p.place_of(act)
    if account is None and region is None:
        return None
    return account or p.account, region or p.region


def placed_store_problem(p: model.Pipeline) -> Diagnostic | None:
    """E407: a pipeline with actions in other accounts or Regions and an artifact store of its own."""
    if not (p.artifact_store.bucket or p.artifact_store.kms_key):
        return None
    first = next(a for a in p.actions() if place_of(p, a))
    return refusal(
        p, first, "a pipeline with actions in other accounts or Regions keeps its artifacts in stores pipec "
        "creates", "pipec names the artifact buckets and creates their customer-managed keys so that the "
        "other accounts' roles and policies can name them. Remove the 'artifact_store' line.")


def placed_deploy_problem(p: model.Pipeline, act) -> Diagnostic | None:
    """E407: a Lambda deployment in another account or Region."""
    if not (isinstance(act, model.Deploy) and act.platform == "lambda"):
        return None
    return refusal(
        p, act, f"'{act.name}' cannot deploy to Lambda in another account or Region",
        "A Lambda deployment runs from a CodeBuild project in the pipeline's account and Region. Deploy "
        "the function with a 'deploy ... to cloudformation' action there (SAM), or keep this deployment "
        "in the pipeline's account and Region.")


def placed_artifact_problem(p: model.Pipeline, act) -> Diagnostic | None:
    """E407: an action in an account other than the pipeline's that reads an artifact made in a
    third account. CodePipeline User Guide, "Create a pipeline in CodePipeline that uses resources
    from another AWS account": an action consumes an artifact only when it is in the pipeline's
    account, or the artifact was made in the pipeline's account, or by an earlier action in the
    action's own account: no artifact passes between two accounts neither of which is the
    pipeline's."""
    from pipec.semantic_base import action_outputs

    where = place_of(p, act)
    if where is None or where[0] == p.account:
        return None
    producers = {out: a for a in p.actions() for out in action_outputs(a)}
    for name in getattr(act, "inputs", ()):
        made_by = producers.get(name)
        there = place_of(p, made_by) if made_by is not None else None
        if there is not None and there[0] not in (p.account, where[0]):
            return refusal(
                p, act, f"'{act.name}' in account {where[0]} reads artifact '{name}', which '{made_by.name}' "
                f"makes in account {there[0]}",
                "CodePipeline passes an artifact from one account to another only when one of them is the "
                f"pipeline's ({p.account}). Run '{made_by.name}' or '{act.name}' in the pipeline's account, "
                "or both in the same account.")
    return None


def deploy_problem(p: model.Pipeline, repo_source: str | None, d: model.Deploy) -> Diagnostic | None:
    """E407 for a CodeDeploy deployment whose appspec CodeDeploy cannot read: ECS from a
    ``clone full`` source, or ECS and Lambda without a Git source."""
    if d.platform == "ecs" and not d.uses_codedeploy:
        return None
    zipped = [src.name for src in p.sources if src.is_git and not src.full_clone]
    if d.platform == "ecs" and repo_source is not None and repo_source not in zipped:
        return refusal(
            p, d, f"'{d.name}' cannot read its appspec from a 'clone full' source",
            "CodeDeployToECS reads the appspec from a zip of the repository; the source "
            f"'{repo_source}' delivers a Git clone reference instead. Remove 'clone full' from it.")
    if d.platform in ("ecs", "lambda") and repo_source is None:
        return no_repository(p, d)
    return None


def appspec_copies(p: model.Pipeline, stages, repo_source: str | None, ctx):
    """(build -> [(appspec path, where it goes)], artifact -> the deploy that owns its appspec,
    E407 problems) for the EC2 deployments of ``stages``: a revision that no build produces, that
    two deployments deploy with different appspecs, whose build does not read the repository
    first, or whose appspec would land where another one does, cannot work."""
    producers = {}
    for st in stages:
        for act in st.actions:
            if isinstance(act, model.Build):
                for out in act.outputs:
                    producers[out.name] = (act, out)
    pairs: dict[str, list[tuple[str, str]]] = {}  # build -> (appspec, where it goes)
    dests: dict[str, set[str]] = {}
    owners: dict[str, model.Deploy] = {}
    problems = []
    for st in stages:
        for act in st.actions:
            if not (isinstance(act, model.Deploy) and act.platform == "ec2" and act.inputs):
                continue
            name = act.inputs[0]
            hit = producers.get(name)
            if hit is None:
                problems.append(refusal(
                    p, act, f"'{act.name}' deploys '{name}', which no build action produces",
                    "CodeDeploy reads appspec.yml from the root of the revision, and pipec puts it there "
                    "from the build that produces the revision. Deploy an artifact of a 'build' action "
                    "(it can simply copy the files you need)."))
                continue
            if repo_source is None:
                problems.append(no_repository(p, act))
                continue
            if name in owners:
                from pipec.targets.aws import appspec

                other = owners[name]
                if appspec.emit(other) != appspec.emit(act):
                    problems.append(refusal(
                        p, act, f"'{act.name}' and '{other.name}' deploy the same revision '{name}' with "
                        "different appspecs",
                        "A revision carries one appspec.yml. Produce one artifact per deployment (two "
                        "'artifact' lines in the build), or give both deployments the same files and hooks."))
                continue
            owners[name] = act
            build, out = hit
            dest = f"{out.base.strip('/')}/appspec.yml" if out.base and out.base.strip("/") else "appspec.yml"
            if not build.inputs or build.inputs[0] != repo_source:
                problems.append(refusal(
                    p, act, f"'{build.name}' produces the revision of '{act.name}' but does not read the "
                    "repository first",
                    f"The build copies the generated appspec from the repository, so its first input must "
                    f"be the source '{repo_source}': write 'from {repo_source} ...' in "
                    f"'{build.name}'."))
                continue
            if dest in dests.setdefault(build.name, set()):
                problems.append(refusal(
                    p, act, f"'{act.name}' needs its appspec.yml where another revision of '{build.name}' has one",
                    "Each revision's appspec.yml is copied to its base directory; give the build's artifacts "
                    "different 'base' directories (stage each revision's files in its own folder)."))
                continue
            dests[build.name].add(dest)
            src = ctx.path("aws", p.name, "appspec", f"{act.name}.yml")
            pairs.setdefault(build.name, []).append((src, dest))

    return pairs, owners, problems
