"""What the error codes ``pipec why`` reads mean, how to fix them, and which line of a deployment
they point to.

**CodeDeploy deployment errors** (``errorInformation.code`` of ``aws deploy get-deployment``): the
ErrorCode values of the CodeDeploy API
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html, which
describes APPLICATION_MISSING to REVISION_MISSING; the rest of the enumeration is the API model's
ErrorCode shape). The meanings below are pipec's words for them; "where" is the statement of the
``deploy`` action the code is about (``instances``/``autoscaling`` for the fleet, ``service`` for
ECS, ``function`` for Lambda, ``target_group``/``listener`` for the load balancer, ``hook`` for a
lifecycle hook, ``rollback`` for the alarms), or the action itself.
"""

from __future__ import annotations

#: code -> (meaning, fix, where)
DEPLOYMENT_ERRORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "AGENT_ISSUE": ("the CodeDeploy agent on the instances is not running or cannot reach CodeDeploy",
                    "Install and start the CodeDeploy agent on the instances (and let them reach the CodeDeploy "
                    "and S3 endpoints).", ("instances", "autoscaling")),
    "ALARM_ACTIVE": ("a CloudWatch alarm of the deployment group went into ALARM, and CodeDeploy stopped the "
                     "deployment", "Look at the alarm's metric at the time it fired: the new version is the likely "
                     "cause; the rollback, if on, already restored the old one.", ("rollback",)),
    "APPLICATION_MISSING": ("the CodeDeploy application was deleted after the deployment was created",
                            "Deploy the pipeline's stack again ('pipec build', then CloudFormation) so that the "
                            "application exists.", ()),
    "AUTOSCALING_VALIDATION_ERROR": ("CodeDeploy could not use the deployment group's Auto Scaling groups",
                                     "Check the Auto Scaling group names and the service role's permissions on "
                                     "them.", ("autoscaling",)),
    "AUTO_SCALING_CONFIGURATION": ("the Auto Scaling group's configuration does not allow the deployment (for "
                                   "blue/green: its launch template or configuration)",
                                   "Check the Auto Scaling group CodeDeploy copies or updates.", ("autoscaling",)),
    "AUTO_SCALING_IAM_ROLE_PERMISSIONS": ("the service role may not act on the Auto Scaling groups",
                                          "Give CodeDeploy's service role the Auto Scaling permissions (the "
                                          "AWSCodeDeployRole managed policy has them).", ("autoscaling",)),
    "CLOUDFORMATION_STACK_FAILURE": ("the CloudFormation stack of a blue/green deployment through CloudFormation "
                                     "failed", "Look at the stack's events in CloudFormation.", ()),
    "CODEDEPLOY_RESOURCE_CANNOT_BE_FOUND": ("a resource the deployment names does not exist",
                                            "Check the names the deployment uses (cluster, service, function, "
                                            "target groups).", ()),
    "CUSTOMER_APPLICATION_UNHEALTHY": ("the new version did not become healthy",
                                       "Look at the application's own logs and health checks on the new instances "
                                       "or tasks.", ("hook",)),
    "DEPLOYMENT_GROUP_MISSING": ("the deployment group was deleted after the deployment was created",
                                 "Deploy the pipeline's stack again so that the deployment group exists.", ()),
    "ECS_UPDATE_ERROR": ("CodeDeploy could not update the ECS service (its task set or task definition)",
                         "Check the task definition (image, CPU and memory, the container name and port the "
                         "deployment names) and the service's events in the ECS console.", ("service", "container")),
    "ELASTIC_LOAD_BALANCING_INVALID": ("the load balancer or target groups the deployment group names are not "
                                       "usable", "Check the listener and target group names and that they belong "
                                       "together.", ("target_groups", "listener", "target_group")),
    "ELB_INVALID_INSTANCE": ("an instance is not registered with, or cannot be registered with, the load "
                             "balancer", "Check that the instances are in the target group's VPC and port.",
                             ("target_group", "instances")),
    "HEALTH_CONSTRAINTS": ("the deployment failed on too many instances to meet the deployment configuration's "
                           "minimum of healthy instances",
                           "Look at the instances' lifecycle events (aws deploy list-deployment-instances, then "
                           "get-deployment-instance) for the hook that failed, and pass that output to pipec why.",
                           ()),
    "HEALTH_CONSTRAINTS_INVALID": ("the deployment configuration's minimum of healthy instances cannot be met at all "
                                   "with this fleet (no instance may leave service)",
                                   "Lower the minimum healthy percentage or add instances.", ("strategy",)),
    "HOOK_EXECUTION_FAILURE": ("a lifecycle hook function reported Failed (or did not report in time)",
                               "See the hook function's own logs; it must call PutLifecycleEventHookExecutionStatus "
                               "with Succeeded.", ("hook",)),
    "IAM_ROLE_MISSING": ("CodeDeploy cannot assume the deployment group's service role",
                         "Check that the service role exists and trusts codedeploy.amazonaws.com.", ()),
    "IAM_ROLE_PERMISSIONS": ("the deployment group's service role lacks permissions the deployment needs",
                             "Give the service role the managed policy for its compute platform "
                             "(AWSCodeDeployRole, AWSCodeDeployRoleForECS or AWSCodeDeployRoleForLambda).", ()),
    "INTERNAL_ERROR": ("CodeDeploy had an internal error", "Retry the deployment.", ()),
    "INVALID_ECS_SERVICE": ("the ECS service is not one CodeDeploy can deploy to (it must use the CODE_DEPLOY "
                            "deployment controller)", "Create the service with deploymentController CODE_DEPLOY, or "
                            "deploy it with a rolling update.", ("service", "cluster")),
    "INVALID_LAMBDA_CONFIGURATION": ("the Lambda alias or versions in the AppSpec file are not valid",
                                     "Check the alias and that the function has a published version to shift to.",
                                     ("alias", "function")),
    "INVALID_LAMBDA_FUNCTION": ("the Lambda function named in the AppSpec file does not exist or cannot be used",
                                "Check the function name.", ("function",)),
    "INVALID_REVISION": ("the revision is not valid: its AppSpec file is missing or cannot be read",
                         "pipec writes appspec.yml into the revision: deploy the artifact the build produced, and "
                         "keep the generated appspec as it is.", ("from",)),
    "MANUAL_STOP": ("someone stopped the deployment", "Start a new run when ready.", ()),
    "MISSING_BLUE_GREEN_DEPLOYMENT_CONFIGURATION": ("a blue/green deployment group has no blue/green settings",
                                                    "Deploy the pipeline's stack again.", ("strategy",)),
    "MISSING_ELB_INFORMATION": ("the deployment group has no load balancer information, which this deployment "
                                "needs", "Give the deployment a target group (or listener and target groups).",
                                ("target_group", "listener", "target_groups")),
    "MISSING_GITHUB_TOKEN": ("a revision stored in GitHub needs a GitHub token CodeDeploy does not have",
                             "Deploy the artifact of a build (pipec's default) rather than a GitHub revision.", ()),
    "NO_EC2_SUBSCRIPTION": ("the account is not subscribed to Amazon EC2", "Use an account with EC2.", ()),
    "NO_INSTANCES": ("no instances match the deployment group's tags or Auto Scaling groups",
                     "Check the instance tags (key and value) or the Auto Scaling group names, and that the "
                     "instances are running.", ("instances", "autoscaling")),
    "OVER_MAX_INSTANCES": ("more instances match than a deployment may have", "Narrow the tags.", ("instances",)),
    "RESOURCE_LIMIT_EXCEEDED": ("a CodeDeploy quota was reached", "Wait for other deployments to finish, or ask "
                                "for a higher quota.", ()),
    "REVISION_MISSING": ("the revision (the artifact) could not be found", "Check that the build produced the "
                         "artifact the deployment reads.", ("from",)),
    "THROTTLED": ("an AWS service throttled CodeDeploy's calls", "Retry the deployment.", ()),
    "TIMEOUT": ("the deployment timed out (a lifecycle event or the traffic shift did not finish in time)",
                "Look at the lifecycle event that was still in progress; raise a hook's timeout if it is legitimately "
                "slow.", ("hook",)),
}


#: hooks whose scripts CodeDeploy runs from the last revision that deployed successfully, not from
#: the one being deployed (CodeDeploy API reference, DeploymentInfo.ignoreApplicationStopFailures)
PREVIOUS_REVISION_HOOKS = ("application_stop", "before_block_traffic", "after_block_traffic")


def previous_revision_fix(h) -> str | None:
    """The fix for a failed hook that runs the previous revision's script, else None."""
    if h.event not in PREVIOUS_REVISION_HOOKS:
        return None
    return (f"CodeDeploy runs {h.event}'s script from the last revision that deployed successfully, not from this "
            f"one, so fixing {h.target} here does not help this deployment (and the hook does not run at all on an "
            "instance's first deployment). Fix the script, then deploy the fixed revision once with "
            "'aws deploy create-deployment ... --ignore-application-stop-failures', which skips the old script's "
            "failure; later deployments run the fixed one.")
