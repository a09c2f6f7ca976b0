"""The AWS target's diagnostics without its files: what :func:`pipec.targets.aws.emit.emit` reports
for a pipeline (the same codes, spans, messages and hints), computed by the same checks
(:mod:`.checks`) in the order the builder meets them, without importing troposphere or YAML.
``pipec check`` and the language server use it (:func:`pipec.build.diagnose_by_target`); ``pipec
build`` reports what emitting says.

Two things are known only by making the files, and for them this module emits, as ``pipec build``
does: ``patch`` lines (E413 for a path that is not there, W540/W541 for what a patch changes,
found by reading the patched files back). So does a pipeline that may come near
CloudFormation's quotas (E412, which troposphere reports while the template is made): one whose
template :func:`bound` cannot keep within them, whatever its size (22 builds of seven CodeArtifact
logins pass 500 resources), or one of more than :data:`EMIT_ABOVE` sources, triggers and actions
that places actions in other accounts or Regions (their templates are not bounded here). Without
patches it emits with :attr:`pipec.build.EmitContext.diagnose_only`, which leaves out the
template's text (to_dict and the YAML: nothing there is checked).
"""

from __future__ import annotations

from pipec import model, patches
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import checks

#: up to this many sources, triggers and actions (:func:`size`) the templates of a pipeline that
#: places actions in other accounts or Regions, which :func:`bound` does not cover, are trusted to
#: be within the quotas; above, :func:`diagnose` makes them, so that E412 is reported as emitting
#: reports it. Any other pipeline is emitted when its bound may pass a quota, whatever its size:
#: a pipeline of 25 actions is not small enough by itself (a build of seven CodeArtifact logins
#: makes 25 resources, a deployment a parameter per rollback alarm). CloudFormation takes at most
#: 500 resources, 200 outputs and 200 parameters in one template; tests/test_diagnose.py checks on
#: every example that the templates grow slowly enough for 25.
EMIT_ABOVE = 25


def size(pipeline: model.Pipeline) -> int:
    """What the template's size grows with: the pipeline's sources, their triggers (a schedule is
    an EventBridge rule) and its actions."""
    return sum(1 + len(src.triggers) for src in pipeline.sources) + sum(len(st.actions) for st in pipeline.stages)


#: CloudFormation's quotas for one template: resources, outputs, parameters
QUOTAS = (500, 200, 200)
#: what the builder makes once per template whatever the pipeline holds (the artifact bucket, its
#: policy and key, the log key, the access-log bucket, the pipeline and its role; their outputs
#: and parameters), with room to spare: (resources, outputs, parameters)
FIXED = (12, 6, 4)


def made_for(a) -> tuple[int, int, int]:
    """At least as many (resources, outputs, parameters) as the builder makes for action ``a``: a
    build's project, log group, role and batch role (two outputs), three for each CodeArtifact
    login; a CodeDeploy deployment's application, group, configuration, roles, hook policy and
    Lambda deployer project, and a parameter per rollback alarm (each alarm's name is one,
    :meth:`.codedeploy.CodeDeployMixin.deployment_group`); a stack's role and policy parameters;
    an approval's topic and a subscription per address, or the parameter naming its topic. A
    bucket deployment and a Lambda invoke add statements to the pipeline's role only. The GitHub
    target's companion is made by the same builder (:func:`pipec.targets.github.diagnose.bound`)."""
    if isinstance(a, model.Build):
        return 4 + 3 * len(a.codeartifact), 2, 0
    if isinstance(a, model.Deploy):
        return 10, 3, 2 + len(a.rollback.alarms)
    if isinstance(a, model.StackDeploy):
        return 2, 1, 2
    if isinstance(a, model.Approval):
        return 1 + len(a.notify_emails), 0, 1
    if isinstance(a, (model.BucketDeploy, model.Invoke)):
        return 0, 0, 0
    return 12, 3, 2  # a kind this bound does not know: a dozen


def bound(pipeline: model.Pipeline) -> tuple[int, int, int]:
    """At least as many (resources, outputs, parameters) as the template of an unplaced
    ``pipeline`` has: :data:`FIXED`, for each source its connection, change rule and the events
    role, for each trigger its rule, and :func:`made_for` each action on CodePipeline.
    tests/test_diagnose.py holds every example and drawn pipeline to it, and each kind of action
    and source at its costliest."""
    r, o, n = FIXED
    for src in pipeline.sources:
        r, o, n = r + 3 + 2 * len(src.triggers), o + 1 + len(src.triggers), n + 1
    for st in pipeline.stages:
        if st.platform in (None, "aws"):
            for a in st.actions:
                dr, do, dn = made_for(a)
                r, o, n = r + dr, o + do, n + dn
    return r, o, n


def within_quotas(counts: tuple[int, int, int]) -> bool:
    """Whether ``counts`` (resources, outputs, parameters) are within :data:`QUOTAS`."""
    return all(c <= q for c, q in zip(counts, QUOTAS))


def needs_files(pipeline: model.Pipeline) -> bool:
    """Whether the AWS target's diagnostics of ``pipeline`` need its files (see the module)."""
    if patches.all_patches(pipeline, "aws"):
        return True
    if size(pipeline) > EMIT_ABOVE and pipeline.placed:
        return True
    return not within_quotas(bound(pipeline))


def diagnose(pipeline: model.Pipeline, ctx) -> None:
    """Raise :class:`Diagnostics` with the errors :func:`~pipec.targets.aws.emit.emit` raises for
    ``pipeline``, or add the warnings it adds to ``ctx.warnings``; write nothing."""
    if needs_files(pipeline):
        from pipec.build import diagnosing
        from pipec.targets import load

        load("aws").emit(pipeline, diagnosing(ctx, pipeline, "aws"))
        return
    p = pipeline
    repo_source = checks.repository_source(p)
    stages = [s for s in p.stages if s.platform in (None, "aws")]
    placed = p.placed  # a walk over every action: once, not once per action
    # the builder's order: the stores of a pipeline with actions elsewhere, the sources' triggers
    # (each source's E411 together), the EC2 revisions' appspecs, then each deployment in stage
    # and run order; it stops at the first that fails
    if placed:
        problem = checks.placed_store_problem(p)
        if problem is not None:
            raise Diagnostics([problem])
    for src in p.sources:
        if src.provider not in checks.CONNECTION_PROVIDERS:
            continue
        problems: list = []
        for t in checks.automatic_triggers(src):
            for _key, f in checks.trigger_filters(src, t):
                checks.translated_filter(p, src, t, f, problems)
        if problems:
            raise Diagnostics(problems)
    _pairs, _owners, problems = checks.appspec_copies(p, stages, repo_source, ctx)
    if problems:
        raise Diagnostics(problems)
    for st in stages:
        for act in (a for order in sorted({a.run_order for a in st.actions})
                    for a in st.actions if a.run_order == order):
            if placed and checks.place_of(p, act):
                problem = checks.placed_deploy_problem(p, act) or checks.placed_artifact_problem(p, act)
                if problem is not None:
                    raise Diagnostics([problem])
            if isinstance(act, model.Deploy):
                problem = checks.deploy_problem(p, repo_source, act)
                if problem is not None:
                    raise Diagnostics([problem])
