"""How long each platform waits for a deployment before it fails it (issue 22 items 6 and 7).

One definition, used by the plan (:mod:`pipec.plan`, the ``wait`` of a deploy job), both targets
and the warning W523. Each number is a documented limit (docs/targets.md, "Deployment time
budgets", cites the pages):

* CodePipeline waits for a ``CodeDeploy`` or ``CodeDeployToECS`` action up to 5 days, and for an
  ``ECS`` (rolling) action up to 1 hour, its default and longest
  (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html);
* pipec's Lambda deployer is a CodeBuild build whose timeout is 60 minutes plus the time the
  strategy takes to shift traffic, at most CodeBuild's 2160 (36 hours);
* a GitHub job runs at most 6 hours on a GitHub-hosted runner
  (https://docs.github.com/en/actions/reference/limits) and 5 days on a self-hosted one
  (https://docs.github.com/en/enterprise-server@3.14/actions/reference/usage-limits-for-self-hosted-runners).

A GitHub deploy job waits as long as CodePipeline would, up to its job limit.
"""

from __future__ import annotations

from pipec import model

#: CodePipeline: "CodeDeploy and CodeDeploy ECS (blue/green) deployment actions: 5 days"
CODEDEPLOY_ACTION_MINUTES = 5 * 24 * 60
#: CodePipeline: every other action 1 hour; "Amazon ECS deployment action timeout is configurable
#: up to one hour (the default timeout)"
ECS_ACTION_MINUTES = 60
#: CodeBuild's longest build timeout (the Lambda deployer is a CodeBuild build)
CODEBUILD_MAX_MINUTES = 2160
#: the time a deployment is given beyond its traffic shifting and termination wait (hooks,
#: instance replacement, task start-up): the Lambda deployer's rule, used for every platform
ALLOWANCE_MINUTES = 60
#: GitHub: "Each job in a workflow can run for up to 6 hours of execution time" (hosted runners)
GITHUB_HOSTED_JOB_MINUTES = 360
#: GitHub: a job on a self-hosted runner "can run for up to 5 days of execution time"
SELF_HOSTED_JOB_MINUTES = 5 * 24 * 60


def shift_minutes(s: model.Strategy) -> int:
    """The minutes a canary or linear strategy takes to shift all traffic (0 otherwise): the
    canary interval, or the linear interval times its ``ceil(100 / percent)`` steps."""
    if s.kind == "canary":
        return s.interval_minutes or 0
    if s.kind == "linear":
        return (s.interval_minutes or 0) * -(-100 // (s.percent or 100))
    return 0


def needed_minutes(d: model.Deploy) -> int:
    """The time a CodeDeploy deployment is given: its traffic shifting, the wait before the old
    fleet or task set is terminated, and :data:`ALLOWANCE_MINUTES`."""
    return ALLOWANCE_MINUTES + shift_minutes(d.strategy) + (d.strategy.terminate_after_minutes or 0)


def aws_wait(d: model.Deploy) -> int:
    """The minutes CodePipeline waits for deployment ``d`` before failing it."""
    if not d.uses_codedeploy:
        return ECS_ACTION_MINUTES
    if d.platform == "lambda":
        return min(CODEBUILD_MAX_MINUTES, ALLOWANCE_MINUTES + shift_minutes(d.strategy))
    return CODEDEPLOY_ACTION_MINUTES


def job_limit(runs_on) -> int:
    """The longest a GitHub job on runners labelled ``runs_on`` may run."""
    labels = [runs_on] if isinstance(runs_on, str) else list(runs_on or ())
    return SELF_HOSTED_JOB_MINUTES if "self-hosted" in labels else GITHUB_HOSTED_JOB_MINUTES


def github_wait(d: model.Deploy, runs_on) -> int:
    """The minutes the GitHub deploy job waits: as long as CodePipeline would, up to the job limit."""
    return min(aws_wait(d), job_limit(runs_on))


def runs_on(p: model.Pipeline, act) -> tuple[str, ...]:
    """The runner labels of ``act``'s GitHub job (``github { runs_on }`` of the action, else of
    the pipeline); empty for the target's default runner, a GitHub-hosted one."""
    own = act.github.get("runs_on") if act.github.has("runs_on") else None
    return tuple(own or p.github.get("runs_on") or ())
