"""How long a GitHub deploy job waits for its deployment, and what it takes for a failed one
(issue 22 items 6 and 7); the numbers are :mod:`pipec.deploy_time`'s.

* Each deployment step gets ``timeout-minutes``: as long as CodePipeline waits for the same
  deployment, up to the job limit of the job's runners; the job gets ten minutes more (its
  credentials and download steps), within the same limit. A step whose wait is the job's own
  timeout (the job limit) is written without one: it runs until the job's timeout. W516 names a strategy whose shifting
  outlasts that limit, where the job would fail while CodeDeploy carries on.
* An ECS rolling update waits for the service's PRIMARY deployment to be the new task
  definition with ``rolloutState`` COMPLETED, and fails when it is FAILED (the deployment
  circuit breaker) or when the PRIMARY deployment is another task definition (the circuit
  breaker rolled the service back); ``aws ecs wait services-stable`` gave up after 10 minutes
  and called a rolled-back service stable.
* A CodeDeploy deployment to EC2 or Lambda is waited for by one script per pipeline,
  ``github/PIPELINE/codedeploy-wait.sh`` (:func:`codedeploy_wait_script`), which each such job
  checks out beside its appspec and calls with the deployment's id: it prints why a deployment
  failed (the deployment's error, then each failed lifecycle event with its script and log tail),
  and no two jobs carry the same loop.
"""

from __future__ import annotations

from pipec import deploy_time, model, yamlout

#: the waiting script of CodeDeploy jobs, beside the appspec files (github/PIPELINE/...)
WAIT_SCRIPT = "codedeploy-wait.sh"
#: the line of a CodeDeploy job's step that waits for deployment $ID ($WAIT: the script's path)
WAIT_LINE = 'bash "$WAIT" "$ID"'


def ecs_rolling_script(source: str, pipeline: str) -> str:
    """``github/PIPELINE/ecs-rolling-update.sh``: what CodePipeline's ECS action does for the
    service $SERVICE in $CLUSTER with the image definitions $IMAGES, then the wait
    (:data:`ECS_ROLLOUT`). One script per pipeline, which every rolling-update job calls."""
    return "\n".join([
        yamlout.header(source, f"ECS rolling update for the GitHub workflow of pipeline {pipeline}").rstrip("\n"),
        "# Usage: CLUSTER=... SERVICE=... IMAGES=imagedefinitions.json bash ecs-rolling-update.sh. What CodePipeline's",
        "# ECS action does: the service's task definition with each container's image from IMAGES, registered, the",
        "# service updated; then waits until its rollout completes, and fails when it fails or is rolled back.",
        "set -euo pipefail",
        *ECS_UPDATE,
        *ECS_ROLLOUT,
    ]) + "\n"


def codedeploy_wait_script(source: str, pipeline: str) -> str:
    """``github/PIPELINE/codedeploy-wait.sh``: waits for CodeDeploy deployment $1 (EC2 or Lambda).

    ``aws deploy wait deployment-successful`` polls GetDeployment every 15 seconds and gives up
    after 120 checks, 30 minutes (AWS CLI reference, deploy wait deployment-successful), shorter
    than a canary or linear shift may take: while the deployment is neither Failed nor Stopped,
    the waiter is called again, and the step's ``timeout-minutes`` bounds the whole wait. A failed
    or stopped deployment prints its ``errorInformation`` (GetDeployment) and, for each failed
    instance or function (ListDeploymentInstances with the Failed filter, which serves EC2 and
    Lambda deployments), its failed lifecycle events with the diagnostics GetDeploymentInstance
    gives: error code, script, message and the last 4 KB of the script's log (API reference,
    Diagnostics). These two calls, unlike ListDeploymentTargets and BatchGetDeploymentTargets,
    can be limited to the deployment group (Service Authorization Reference, CodeDeploy)."""
    return "\n".join([
        yamlout.header(source, f"CodeDeploy wait for the GitHub workflow of pipeline {pipeline}").rstrip("\n"),
        "# Usage: bash codedeploy-wait.sh DEPLOYMENT_ID. Waits until the deployment succeeds; when it fails or is",
        "# stopped, prints why (its error, then each failed lifecycle event with its log tail) and exits 1.",
        "set -euo pipefail",
        'id=$1',
        'echo "CodeDeploy deployment $id"',
        "# the waiter gives up after 30 minutes: call it again until the deployment has ended",
        'until aws deploy wait deployment-successful --deployment-id "$id"; do',
        '  status=$(aws deploy get-deployment --deployment-id "$id" --query deploymentInfo.status --output text)',
        '  case "$status" in Failed|Stopped) ;; *) continue ;; esac',
        '  echo "::error::CodeDeploy deployment $id: $status"',
        '  aws deploy get-deployment --deployment-id "$id" --query "deploymentInfo.errorInformation.[code, message]" '
        "--output text",
        '  read -ra failed < <(aws deploy list-deployment-instances --deployment-id "$id" '
        '--instance-status-filter Failed --query "instancesList" --output text) || true',
        '  for instance in "${failed[@]}"; do',
        '    aws deploy get-deployment-instance --deployment-id "$id" --instance-id "$instance" --output json '
        "| jq -r --arg i \"$instance\" '.instanceSummary.lifecycleEvents[] | select(.status == \"Failed\") "
        "| \"::group::\\($i) \\(.lifecycleEventName): \\(.diagnostics.errorCode // \"\") \\(.diagnostics.scriptName // \"\") "
        "\\(.diagnostics.message // \"\")\", (.diagnostics.logTail // \"\"), \"::endgroup::\"'",
        "  done",
        "  exit 1",
        "done",
        'echo "deployment $id succeeded"',
    ]) + "\n"

#: the rolling-update script of ECS deploy jobs, beside the appspec files (github/PIPELINE/...)
ROLLING_SCRIPT = "ecs-rolling-update.sh"
#: the line of a rolling-update job's step ($UPDATE: the script's path)
ROLLING_LINE = 'bash "$UPDATE"'
#: what CodePipeline's ECS action does before it waits: the service's task definition with each
#: container's image from imagedefinitions.json ($IMAGES), registered, and the service updated
ECS_UPDATE = [
    'TASKDEF=$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" '
    '--query "services[0].taskDefinition" --output text)',
    'aws ecs describe-task-definition --task-definition "$TASKDEF" --query taskDefinition > "$RUNNER_TEMP/taskdef.json"',
    'jq --slurpfile images "$IMAGES" \'(reduce $images[0][] as $i ({}; .[$i.name] = $i.imageUri)) as $m '
    '| .containerDefinitions |= map(if $m[.name] then .image = $m[.name] else . end) '
    '| del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, '
    '.registeredAt, .registeredBy)\' "$RUNNER_TEMP/taskdef.json" > "$RUNNER_TEMP/new.json"',
    'NEW=$(aws ecs register-task-definition --cli-input-json "file://$RUNNER_TEMP/new.json" '
    "--query taskDefinition.taskDefinitionArn --output text)",
    'aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$NEW" > /dev/null',
]
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


#: the minutes CodePipeline gives the other actions a GitHub job does (CodePipeline quotas,
#: "Length of time before an action times out": CloudFormation deployment 3 days, Amazon S3
#: deployment 90 minutes); 'aws lambda invoke' waits for the function, which runs at most 900
#: seconds (Lambda developer guide, "Configure Lambda function timeout")
ACTION_MINUTES = {"stack": 3 * 24 * 60, "bucket": 90, "invoke": 15}
#: a job that only reads the environment or publishes one message (an approval's jobs): it runs
#: for seconds. A job waiting for its environment's reviewers has not started, and its
#: timeout-minutes counts running time only: GitHub fails a job not approved within 30 days
#: (GitHub docs, "Reviewing deployments")
SHORT_JOB_MINUTES = 5
#: what a job does besides its action (credentials, checkout, artifact download)
JOB_MARGIN_MINUTES = 10


class Waits:
    """The deploy job's time budget."""

    def action_timeout(self, kind: str, job: dict) -> int:
        """``timeout-minutes`` of a stack, bucket or invoke job: CodePipeline's timeout for the
        same action and :data:`JOB_MARGIN_MINUTES`, within the job limit of the job's runners."""
        return min(deploy_time.job_limit(job["runs-on"]), ACTION_MINUTES[kind] + JOB_MARGIN_MINUTES)

    def deploy_wait(self, d: model.Deploy, job: dict, step: dict) -> int:
        """Give ``step`` (the deployment) and ``job`` their time budget; warn (W516) when the
        strategy needs more time than the job may run. Returns the step's minutes."""
        labels = job["runs-on"]
        limit = deploy_time.job_limit(labels)
        wait = deploy_time.github_wait(d, labels)
        job["timeout-minutes"] = min(limit, wait + JOB_MARGIN_MINUTES)
        if wait != job["timeout-minutes"]:  # else the job's timeout is the step's (GitHub: a step
            step["timeout-minutes"] = wait   # without timeout-minutes runs until the job's ends)
        self.deployment_time(d, labels)  # W516 (.checks)
        return wait
