"""How long a GitHub deploy job waits for its deployment, and what it takes for a failed one
(issue 22 items 6 and 7); the numbers are :mod:`pipec.deploy_time`'s.

* Each deployment step gets ``timeout-minutes``: as long as CodePipeline waits for the same
  deployment, up to the job limit of the job's runners; the job gets ten minutes more (its
  credentials and download steps), within the same limit. W516 names a strategy whose shifting
  outlasts that limit, where the job would fail while CodeDeploy carries on.
* An ECS rolling update waits for the service's PRIMARY deployment to be the new task
  definition with ``rolloutState`` COMPLETED, and fails when it is FAILED (the deployment
  circuit breaker) or when the PRIMARY deployment is another task definition (the circuit
  breaker rolled the service back); ``aws ecs wait services-stable`` gave up after 10 minutes
  and called a rolled-back service stable.
"""

from __future__ import annotations

from pipec import deploy_time, model

#: the lines that wait for an ECS rolling update of $SERVICE in $CLUSTER to task definition $NEW
#: (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html, rolloutState:
#: IN_PROGRESS, then COMPLETED at a steady state, or FAILED when the circuit breaker stops it;
#: rolloutState is not returned for a service behind a Classic Load Balancer, where the steady
#: state is what 'services-stable' checks: one deployment, as many tasks running as desired)
ECS_ROLLOUT = [
    "while true; do",
    '  read -r TASKDEF STATE COUNT RUNNING DESIRED < <(aws ecs describe-services --cluster "$CLUSTER" '
    '--services "$SERVICE" --query "services[0].[deployments[?status==\'PRIMARY\'] | [0].taskDefinition, '
    "deployments[?status=='PRIMARY'] | [0].rolloutState, length(deployments), runningCount, desiredCount]\" "
    "--output text)",
    '  if [ "$TASKDEF" != "$NEW" ]; then echo "service $SERVICE was rolled back to $TASKDEF" >&2; exit 1; fi',
    '  case "$STATE" in',
    '    COMPLETED) echo "service $SERVICE runs $NEW"; break ;;',
    '    FAILED) echo "the deployment of $NEW to service $SERVICE failed" >&2; exit 1 ;;',
    '    None) if [ "$COUNT" = 1 ] && [ "$RUNNING" = "$DESIRED" ]; then echo "service $SERVICE runs $NEW"; '
    "break; fi ;;",
    "  esac",
    "  sleep 15",
    "done",
]


class Waits:
    """The deploy job's time budget."""

    def deploy_wait(self, d: model.Deploy, job: dict, step: dict) -> int:
        """Give ``step`` (the deployment) and ``job`` their time budget; warn (W516) when the
        strategy needs more time than the job may run. Returns the step's minutes."""
        labels = job["runs-on"]
        limit = deploy_time.job_limit(labels)
        wait = deploy_time.github_wait(d, labels)
        step["timeout-minutes"] = wait
        job["timeout-minutes"] = min(limit, wait + 10)
        needed = min(deploy_time.needed_minutes(d), deploy_time.aws_wait(d)) if d.uses_codedeploy else 0
        if needed > limit:
            hosted = limit == deploy_time.GITHUB_HOSTED_JOB_MINUTES
            self.warn("W516", d.strategy if d.strategy.span else d,
                      f"'{d.name}' needs up to {needed} minutes, and its GitHub job may run for {limit}",
                      f"CodePipeline waits {deploy_time.aws_wait(d)} minutes for this deployment; the GitHub job "
                      f"stops waiting after {limit} and fails while CodeDeploy carries on shifting traffic. "
                      "Shorten the strategy (a shorter interval, or a larger percentage per step) so that it "
                      f"shifts within {limit - deploy_time.ALLOWANCE_MINUTES} minutes"
                      + (", run the job on a self-hosted runner (github { runs_on self-hosted ... }), where a job "
                         "may run for 5 days," if hosted else "")
                      + " or bind this stage to CodePipeline with 'via aws'.")
        return wait
