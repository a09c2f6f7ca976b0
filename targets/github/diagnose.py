"""The GitHub target's diagnostics without its files: what :func:`pipec.targets.github.emit.emit`
reports for a pipeline (the same codes, spans, messages and hints), computed by the same checks
(:class:`.checks.Checks`, the trigger translation of :class:`.triggers.Triggers`) in the order the
workflow builder meets them, without importing troposphere or YAML. ``pipec check`` and the
language server use it (:func:`pipec.build.diagnose_by_target`); ``pipec build`` reports what
emitting says.

What is known only by making the files makes this module emit, as ``pipec build`` does
(:func:`needs_files`): ``patch`` lines (E413, W540, W541), the source root's ``pipec.lock`` (E003),
a container build (W524 names the steps of the job that run the image's AWS CLI), two actions
whose job ids could be the same (E408), and a pipeline that may come near CloudFormation's
quotas in the companion template (E412): a companion that :func:`bound` cannot keep within the
quotas, whatever the pipeline's size, or more than :data:`pipec.targets.aws.diagnose.EMIT_ABOVE`
sources, triggers and actions with actions placed in other accounts or Regions. Without
``patch`` lines it emits with :attr:`pipec.build.EmitContext.diagnose_only`, which leaves out the
workflow's text (its YAML and the steps it shares by anchors: nothing there is checked).
"""

from __future__ import annotations

from pipec import model, patches
from pipec.diagnostics import Diagnostics
from pipec.targets.github.checks import Checks, job_id, takes_credentials
from pipec.targets.github.matrix import Matrices
from pipec.targets.github.triggers import Triggers

#: the source providers whose files a job fetches itself (:meth:`Jobs.input_steps`); an input
#: from any other is E408
FETCHED_BY_JOBS = ("github", "s3", "codecommit")


#: what the companion template holds whatever the workflow's jobs do (the OIDC provider or its
#: parameter, the revision bucket with its policy and key, the log key; their outputs and
#: parameters), with room to spare: (resources, outputs, parameters)
FIXED = (12, 6, 5)


def bound(pipeline: model.Pipeline) -> tuple[int, int, int]:
    """At least as many (resources, outputs, parameters) as the companion template of an unplaced
    ``pipeline`` has: :data:`FIXED`, a role and its output for each job that takes AWS
    credentials, and what the AWS target's builder makes for the workflow
    (:func:`pipec.targets.aws.diagnose.made_for`): for a build, its CodeArtifact logins, and a
    CodeBuild project's resources when it runs in CodeBuild (its job has a role then, as when
    :func:`.checks.takes_credentials` says so); for a deployment, a stack or an approval,
    everything the AWS target makes for it (an approval's request job and its topic among them);
    for a bucket deployment and an invoke, their job's role. tests/test_diagnose.py holds every
    example and drawn pipeline to it, and each kind of action at its costliest."""
    from pipec.targets.aws.diagnose import made_for

    r, o, n = FIXED
    for st in pipeline.stages:
        if st.platform not in (None, "github"):
            continue
        for a in st.actions:
            if isinstance(a, model.Build):
                in_codebuild = a.github.has("run_in_codebuild")
                role = 1 if in_codebuild or takes_credentials(pipeline, a) else 0
                ar, ao, _ = made_for(a) if in_codebuild else (3 * len(a.codeartifact), 0, 0)
                r, o = r + role + ar, o + role + ao
            else:
                roles = 2 if isinstance(a, model.Approval) else 1  # an approval: its request job too
                ar, ao, an = made_for(a)
                r, o, n = r + roles + ar, o + roles + ao, n + an
    return r, o, n


def needs_files(pipeline: model.Pipeline, ctx) -> bool:
    """Whether the GitHub target's diagnostics of ``pipeline`` need its files (see the module)."""
    from pipec.targets.aws.diagnose import EMIT_ABOVE, size, within_quotas

    if patches.all_patches(pipeline, "github") or getattr(ctx, "root", ""):
        return True
    if (size(pipeline) > EMIT_ABOVE and pipeline.placed) or not within_quotas(bound(pipeline)):
        return True
    stages = [s for s in pipeline.stages if s.platform in (None, "github")]
    acts = [a for st in stages for a in st.actions]
    if any(isinstance(a, model.Build) and a.image.kind == "docker" and not a.github.has("run_in_codebuild")
           for a in acts):
        return True
    ids = [job_id(a.name) for a in acts]
    ids += [job_id(a.name) + "-request" for a in acts if isinstance(a, model.Approval)]
    return len(set(ids)) != len(ids)


class _Diagnosis(Triggers, Matrices, Checks):
    """The workflow builder's walk through the pipeline, with its checks and without its jobs."""

    def __init__(self, p: model.Pipeline):
        self.setup(p)

    def run(self) -> None:
        if not self.stages:
            return
        if self.repo_source is None:
            self.no_repository_source()
            raise Diagnostics(self.problems)
        self.triggers()
        self.unseen_pushes_warning()
        for stage in self.stages:
            for n, order in enumerate(sorted({a.run_order for a in stage.actions})):
                for act in (a for a in stage.actions if a.run_order == order):
                    self.action(act, stage, n == 0)
        if self.problems:
            raise Diagnostics(self.problems)

    def action(self, act, stage: model.Stage, first_in_stage: bool) -> None:
        if first_in_stage and stage.disabled_reason:
            self.disabled_transition(stage)
        runs_on = self.runs_on_of(act)
        if isinstance(act, model.Build):
            if act.github.has("run_in_codebuild"):
                self.codebuild_checks(act)
                return
            self.image_checks(act, runs_on)
            for name in act.inputs:
                src = next((s for s in self.p.sources if s.name == name), None)
                if src is not None and src.provider not in FETCHED_BY_JOBS:
                    self.unfetchable_source(act, name, src)
            for runtime, _version in act.runtimes:
                self.runtime_available(act, runtime)
        elif isinstance(act, model.Deploy):
            self.deployment_time(act, runs_on)
        elif isinstance(act, model.Approval):
            self.approval_checks(act, act.github.first("environment") or act.name,
                                 list(act.github.get("reviewers") or ()))
        elif isinstance(act, model.Invoke):
            self.invoke_checks(act)


def diagnose(pipeline: model.Pipeline, ctx) -> None:
    """Raise :class:`Diagnostics` with the errors :func:`~pipec.targets.github.emit.emit` raises for
    ``pipeline``, or add the warnings it adds to ``ctx.warnings``; write nothing."""
    if needs_files(pipeline, ctx):
        from pipec.build import diagnosing
        from pipec.targets import load

        load("github").emit(pipeline, diagnosing(ctx, pipeline, "github"))
        return
    walk = _Diagnosis(pipeline)
    try:
        walk.run()
    finally:
        report = getattr(ctx, "warnings", None)
        if report is not None:
            report.extend(walk.notes)
