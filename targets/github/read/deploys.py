"""Deployment jobs read back, with the companion template and the appspec beside the workflow:
CodeDeploy (EC2, ECS, Lambda) with its configuration and target, ECS rolling updates,
CloudFormation stacks, S3 buckets and Lambda invokes.
"""

from __future__ import annotations


import re
import shlex

import yaml

from pipec import plan
from pipec.targets.aws import cfn
from pipec.targets.github.waits import ROLLING_LINE, ROLLING_SCRIPT, WAIT_LINE, WAIT_SCRIPT
from pipec.targets.github.read.common import _fail, _only, _text, _unliteral, _Where


#: the change set a GitHub stack job creates: the .pipe file's name, then the run's id and attempt
CHANGE_SET_SUFFIX = "-${{ github.run_id }}-${{ github.run_attempt }}"
#: the one way a GitHub stack job may execute its change set: by the name it created it under
EXECUTE = 'aws cloudformation execute-change-set --stack-name "$STACK" --change-set-name "$CHANGE_SET"'
#: how long a GitHub job or step runs when it names no timeout-minutes
GITHUB_JOB_MINUTES = 360
CAPABILITIES = {"CAPABILITY_IAM": "iam", "CAPABILITY_NAMED_IAM": "named-iam",
                "CAPABILITY_AUTO_EXPAND": "auto-expand"}


class Deploys:
    """Deploy, stack, bucket and invoke jobs."""

    @staticmethod
    def downloaded(located, into: str) -> str | None:
        """The artifact a deploy job downloads into ``into`` (None when it downloads none)."""
        names = []
        for at, role, step in located:
            if role != "download":
                continue
            with_ = step.get("with") or {}
            if not isinstance(with_.get("name"), str) or with_.get("path") != into:
                _fail(at, f"a deploy job downloads its one input artifact, by name, into '{into}'")
            names.append(with_["name"])
        if len(names) > 1:
            _fail(located[0][0], f"the job downloads several artifacts ({', '.join(names)}); "
                                 "a deployment has one input")
        return names[0] if names else None

    def deploy(self, where, action: str, located, job: dict | None = None) -> tuple:
        at, role, step = _only(where, located, "ec2-deploy", "ecs-codedeploy", "lambda-deploy", "ecs-rolling")
        if "if" in step or "continue-on-error" in step:
            _fail(at, "a deployment step runs unconditionally and fails the job when it fails")
        wait = self.deploy_wait(at, where, job or {}, step)
        hidden = None  # an EC2 revision: whether it keeps dot-files
        env = step.get("env") or {}
        if role == "ecs-rolling":
            images = env.get("IMAGES")
            if not isinstance(images, str) or not images.startswith("release/"):
                _fail(at, "IMAGES must name the image definitions file in the downloaded artifact (release/...)")
            cluster, service = env.get("CLUSTER"), env.get("SERVICE")
            if not isinstance(cluster, str) or not isinstance(service, str):
                _fail(at, "CLUSTER and SERVICE must be set")
            update = env.get("UPDATE")
            if step["run"].strip() != ROLLING_LINE or not isinstance(update, str) \
                    or not update.endswith(f"github/{self.pipeline}/{ROLLING_SCRIPT}"):
                _fail(at, f"the rolling update must be pipec's {ROLLING_SCRIPT} ({ROLLING_LINE!r}, with UPDATE naming it)")
            script = self.out / "github" / self.pipeline / ROLLING_SCRIPT
            if not script.is_file():
                _fail(at, f"needs {script.relative_to(self.out)}, which is missing")
            return plan.spec(platform="ecs", input=self.need_input(at, self.downloaded(located, "release")),
                             rolling=(cluster, service, images[len("release/"):]), wait=wait,
                             checks=self.rollout_checks(at, script.read_text(encoding="utf-8")))
        if role == "ecs-codedeploy":
            with_ = step.get("with") or {}
            if not isinstance(with_.get("codedeploy-appspec"), str):
                _fail(at, "an ECS deployment without a CodeDeploy appspec is not one pipec writes (pipec's rolling "
                          "update is a script)")
            names = (with_.get("codedeploy-application"), with_.get("codedeploy-deployment-group"),
                     with_.get("codedeploy-deployment-config"))
            if with_.get("wait-for-service-stability") is not True or with_.get("wait-for-minutes") != min(360, wait):
                _fail(at, "the action must wait for the deployment (wait-for-service-stability) as long as the step "
                          "may run, up to the action's 6 hours (wait-for-minutes)")
            platform, input_ = "ecs", self.need_input(at, self.downloaded(located, "release"))
        else:
            names = (env.get("APPLICATION"), env.get("GROUP"), env.get("CONFIG"))
            if role == "ec2-deploy":
                platform, input_ = "ec2", self.need_input(at, self.downloaded(located, "revision"))
                hidden = self.revision_hidden_files(at, step["run"])
            else:
                platform, input_ = "lambda", self.downloaded(located, "release")
            self.waits_for_deployment(at, env, step["run"])
        if not all(isinstance(n, str) and n for n in names):
            _fail(at, "the CodeDeploy application, deployment group and configuration must all be named")
        app, group_name, config_name = names
        template = self.companion(at)
        groups = [(lid, g.get("Properties") or {}) for lid, g in
                  template.of_type("AWS::CodeDeploy::DeploymentGroup").items()]
        groups = [(lid, p) for lid, p in groups if template.resolve(p.get("ApplicationName")) == app
                  and template.resolve(p.get("DeploymentGroupName")) == group_name]
        if len(groups) != 1:
            _fail(at, f"the companion template has no deployment group {group_name} of application {app}")
        lid, group = groups[0]
        gwhere = _Where(f"github/{self.pipeline}.template.yaml: {lid}")
        if template.resolve(group.get("DeploymentConfigName")) != config_name:
            _fail(at, f"the deployment uses configuration {config_name}, and the deployment group {group_name} "
                      f"another one ({template.resolve(group.get('DeploymentConfigName'))})")
        config = config_name if config_name.startswith("CodeDeployDefault.") else \
            self.custom_config(gwhere, template, config_name)
        rollback = group.get("AutoRollbackConfiguration") or {}
        events = tuple(sorted(rollback.get("Events") or ())) if rollback.get("Enabled") else ()
        alarm_config = group.get("AlarmConfiguration") or {}
        alarms = []
        if alarm_config.get("Enabled"):
            for alarm in alarm_config.get("Alarms") or ():
                name = template.resolve(alarm.get("Name"))
                if not isinstance(name, str) or isinstance(name, cfn.Unresolved):
                    _fail(gwhere, f"alarm {alarm!r} has no name the template decides")
                alarms.append(name)
        if platform == "ec2":
            target = self.ec2_target(gwhere, template, group)
        elif platform == "ecs":
            target = self.ecs_target(gwhere, template, group, step)
        else:
            function, alias = _text(at, env, "FUNCTION"), _text(at, env, "ALIAS")
            if not isinstance(function, str) or not isinstance(alias, str):
                _fail(at, "FUNCTION and ALIAS must be set")
            target = ("lambda", function, alias)
        path = self.beside(at, "appspec", action)
        try:
            appspec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            _fail(at, f"{path.relative_to(self.out)} is not valid YAML: {exc}")
        return plan.spec(platform=platform, input=input_, appspec=plan._freeze(appspec), config=config,
                         rollback=events, alarms=tuple(alarms), target=target, wait=wait,
                         hidden_files=hidden)

    @staticmethod
    def revision_hidden_files(at, run: str) -> bool:
        """Whether the revision 'aws deploy push' bundles keeps dot-files (it does unless told
        --ignore-hidden-files)."""
        push = [line for line in run.split("\n") if line.startswith("aws deploy push ")]
        if len(push) != 1:
            _fail(at, "the revision must be pushed by one 'aws deploy push'")
        return "--ignore-hidden-files" not in push[0].split()

    @staticmethod
    def waits_for_deployment(at, env: dict, run: str) -> None:
        """An EC2 or Lambda deployment step ends by waiting for its deployment, with pipec's
        waiting script (github/PIPELINE/codedeploy-wait.sh, checked out beside the appspec): a
        step that does not would pass while CodeDeploy still deploys."""
        wait = env.get("WAIT")
        if run.rstrip("\n").split("\n")[-1] != WAIT_LINE or not isinstance(wait, str) \
                or not wait.endswith("/" + WAIT_SCRIPT):
            _fail(at, f"the deployment step must end waiting for the deployment ({WAIT_LINE!r}, with WAIT "
                      f"naming pipec's {WAIT_SCRIPT})")

    @staticmethod
    def deploy_wait(at, where, job: dict, step: dict) -> int:
        """How long the job waits for the deployment: the step's ``timeout-minutes``, else the
        job's (a step without one runs until the job ends, after GitHub's 360 minutes when the job
        names none either), which the job's own timeout must not cut short."""
        total = job.get("timeout-minutes", GITHUB_JOB_MINUTES)
        wait = step.get("timeout-minutes", total)
        for value, what in ((wait, "the step's"), (total, "the job's")):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                _fail(at, f"{what} timeout-minutes {value!r} is not a number of minutes")
        if total < wait:
            _fail(where, f"the job's timeout-minutes ({total}) ends it before its deployment step's ({wait})")
        return wait

    @staticmethod
    def rollout_checks(at, run: str) -> str:
        """What an ECS rolling update's script takes for a failed deployment: ``rollout-state``
        when it fails on the PRIMARY deployment's rolloutState FAILED and on a rollback to another
        task definition, as CodePipeline's ECS action does; ``services-stable`` for the AWS CLI
        waiter, which calls a rolled-back service stable."""
        lines = run.split("\n")
        rollback = '  if [ "$TASKDEF" != "$NEW" ]; then echo "service $SERVICE was rolled back to $TASKDEF" >&2; exit 1; fi'
        failed = '    FAILED) echo "the deployment of $NEW to service $SERVICE failed" >&2; exit 1 ;;'
        if rollback in lines and failed in lines and "deployments[?status=='PRIMARY'] | [0].rolloutState" in run \
                and "aws ecs wait" not in run:
            return "rollout-state"
        if 'aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"' in lines:
            return "services-stable"
        _fail(at, "the rolling update neither checks the deployment's rolloutState nor waits for a stable service")

    @staticmethod
    def need_input(where, name):
        if name is None:
            _fail(where, "the deployment downloads no artifact to deploy")
        return name

    @staticmethod
    def custom_config(where, template, name: str) -> tuple:
        """(kind, percent, interval) of the companion's custom deployment configuration ``name``,
        as ``plan.deploy_spec`` writes a strategy that no CodeDeployDefault configuration matches."""
        found = [p.get("Properties") or {} for p in template.of_type("AWS::CodeDeploy::DeploymentConfig").values()
                 if template.resolve((p.get("Properties") or {}).get("DeploymentConfigName")) == name]
        if len(found) != 1:
            _fail(where, f"deployment configuration {name} is neither CodeDeployDefault.* nor in the "
                         "companion template")
        props = found[0]
        hosts = props.get("MinimumHealthyHosts")
        routing = props.get("TrafficRoutingConfig")
        if hosts is not None and routing is None:
            if hosts.get("Type") != "FLEET_PERCENT" or not isinstance(hosts.get("Value"), int):
                _fail(where, f"minimum healthy hosts {hosts!r}: pipec's rolling strategy keeps a percentage")
            return ("rolling", hosts["Value"], None)
        if routing is not None and hosts is None:
            kind = {"TimeBasedCanary": "canary", "TimeBasedLinear": "linear"}.get(routing.get("Type"))
            body = routing.get(routing.get("Type")) or {}
            word = "Canary" if kind == "canary" else "Linear"
            if kind is None or not isinstance(body.get(f"{word}Percentage"), int) \
                    or not isinstance(body.get(f"{word}Interval"), int):
                _fail(where, f"traffic routing {routing!r} is not a canary or linear shift pipec writes")
            return (kind, body[f"{word}Percentage"], body[f"{word}Interval"])
        _fail(where, f"deployment configuration {name} is not one pipec writes")

    @staticmethod
    def ec2_target(where, template, group: dict) -> tuple:
        tags = []
        for f in group.get("Ec2TagFilters") or ():
            if f.get("Type") != "KEY_AND_VALUE":
                _fail(where, f"EC2 tag filter {f!r}: pipec selects instances by key and value")
            tags.append((template.resolve(f.get("Key")), template.resolve(f.get("Value"))))
        if group.get("OnPremisesInstanceTagFilters") or group.get("Ec2TagSet") or group.get("OnPremisesTagSet"):
            _fail(where, "tag sets and on-premises filters have no pipec equivalent")
        asgs = tuple(template.resolve(a) for a in group.get("AutoScalingGroups") or ())
        lb = group.get("LoadBalancerInfo") or {}
        if set(lb) - {"TargetGroupInfoList"} or len(lb.get("TargetGroupInfoList") or ()) > 1:
            _fail(where, f"load balancer info {lb!r}: pipec names one target group")
        tgs = lb.get("TargetGroupInfoList") or ()
        return ("ec2", tuple(tags), asgs, template.resolve(tgs[0].get("Name")) if tgs else None)

    @staticmethod
    def ecs_target(where, template, group: dict, step) -> tuple:
        services = group.get("ECSServices") or ()
        pairs = (group.get("LoadBalancerInfo") or {}).get("TargetGroupPairInfoList") or ()
        if len(services) != 1 or len(pairs) != 1:
            _fail(where, "an ECS deployment group for pipec has one service and one target group pair")
        cluster = template.resolve(services[0].get("ClusterName"))
        service = template.resolve(services[0].get("ServiceName"))
        with_ = step.get("with") or {}
        if (with_.get("cluster"), with_.get("service")) != (cluster, service):
            _fail(where, f"the workflow deploys to {with_.get('cluster')}/{with_.get('service')}, the deployment "
                         f"group to {cluster}/{service}")
        pair = pairs[0]

        def listener(route):
            arns = (pair.get(route) or {}).get("ListenerArns") or ()
            if len(arns) > 1:
                _fail(where, f"{route} has several listeners; pipec gives one")
            return template.resolve(arns[0]) if arns else None

        return ("ecs", cluster, service, tuple(template.resolve(t.get("Name")) for t in pair.get("TargetGroups") or ()),
                listener("ProdTrafficRoute"), listener("TestTrafficRoute"))

    def stack(self, where, located) -> tuple:
        at, _, step = _only(where, located, "stack")
        env = step.get("env") or {}
        lines = step["run"].split("\n")
        if "CHANGE_SET" in env:
            return self.change_set_stack(at, env, lines, located)
        deploys = [line for line in lines if line.startswith("aws cloudformation deploy ")]
        if len(deploys) != 1 or lines != ["set -euo pipefail", deploys[0]]:
            _fail(at, "the script must be 'aws cloudformation deploy' and nothing else")
        options = _options(at, deploys[0], 3)
        if options.get("--template-file") != ["release/$TEMPLATE"] or options.get("--stack-name") != ["$STACK"]:
            _fail(at, "the template must be release/$TEMPLATE and the stack $STACK (from the step's env)")
        if "--no-execute-changeset" in options:
            _fail(at, "a change set is created and never executed")
        parameters = []
        for w in options.get("--parameter-overrides", ()):
            m = re.fullmatch(r"([^=]+)=\$(PARAM_\w+)", w)
            if not m or m.group(2) not in env:
                _fail(at, f"parameter {w!r} is not KEY=$PARAM_... with the value in the step's env")
            parameters.append((m.group(1), _unliteral(at, env[m.group(2)], f"the value of {m.group(1)}")))
        return self.stack_spec(at, env, located, parameters, options.get("--capabilities", ()), None)

    def change_set_stack(self, at, env, lines, located) -> tuple:
        """A stack deployed through a change set (targets/github/stacks.py), read on its own terms:
        the change set is created under $CHANGE_SET (the name, then the run's id and attempt), its
        status is checked, and the one change set executed is $CHANGE_SET, after that check; a
        change set without changes ends the script before it."""
        raw = env.get("CHANGE_SET")
        if not isinstance(raw, str) or not raw.endswith(CHANGE_SET_SUFFIX) or raw == CHANGE_SET_SUFFIX:
            _fail(at, "CHANGE_SET must be the change set's name followed by the run's id and attempt, so that "
                      "each run executes its own change set")
        name = _unliteral(at, raw[:-len(CHANGE_SET_SUFFIX)], "the change set's name") + CHANGE_SET_SUFFIX
        creates = [i for i, line in enumerate(lines) if line.startswith("aws cloudformation create-change-set ")]
        executes = [i for i, line in enumerate(lines) if "execute-change-set" in line]
        checks = [i for i, line in enumerate(lines) if line == 'if [ "$CS_STATUS" != CREATE_COMPLETE ]; then']
        if len(creates) != 1 or len(checks) != 1 or executes != [i for i, line in enumerate(lines) if line == EXECUTE]:
            _fail(at, "the change set must be created once, its status checked, and executed by name "
                      f"({EXECUTE!r}) and in no other way")
        if len(executes) != 1 or not creates[0] < checks[0] < executes[0]:
            _fail(at, "the change set must be executed once, after its status is checked")
        if not any(line == 'read -r CS_STATUS CS_REASON < <(aws cloudformation describe-change-set --stack-name '
                   '"$STACK" --change-set-name "$CHANGE_SET" --query "[Status, StatusReason]" --output text)'
                   for line in lines[creates[0]:checks[0]]):
            _fail(at, "the status checked is not the one of the change set $CHANGE_SET")
        options = _options(at, lines[creates[0]].removesuffix(" > /dev/null"), 3)
        if options.get("--stack-name") != ["$STACK"] or options.get("--change-set-name") != ["$CHANGE_SET"]:
            _fail(at, "the change set must be $CHANGE_SET of stack $STACK")
        parameters = []
        if "--parameters" in options:
            line = next((x for x in lines if x.startswith("PARAMETERS=$(jq -n ")), None)
            if options["--parameters"] != ["$PARAMETERS"] or line is None:
                _fail(at, "the parameters must be $PARAMETERS, built by jq from the step's PARAM_ variables")
            for key, var in re.findall(r'--arg (\S+) "\$(PARAM_\w+)"', line):
                if var not in env:
                    _fail(at, f"parameter {key} has no value ({var}) in the step's env")
                parameters.append((key, _unliteral(at, env[var], f"the value of {key}")))
        return self.stack_spec(at, env, located, parameters, options.get("--capabilities", ()),
                               name[:-len(CHANGE_SET_SUFFIX)])

    def stack_spec(self, at, env, located, parameters, capability_words, change_set) -> tuple:
        capabilities = []
        for w in capability_words:
            if w not in CAPABILITIES:
                _fail(at, f"capability {w!r} is not one pipec writes")
            capabilities.append(CAPABILITIES[w])
        stack, template = _text(at, env, "STACK"), _text(at, env, "TEMPLATE")
        if not isinstance(stack, str) or not isinstance(template, str):
            _fail(at, "STACK and TEMPLATE must be set")
        return plan.spec(stack=stack, template=template, input=self.need_input(at, self.downloaded(located, "release")),
                         parameters=tuple(sorted(parameters)), capabilities=tuple(sorted(capabilities)),
                         change_set=change_set)

    def bucket(self, where, located) -> tuple:
        at, _, step = _only(where, located, "bucket")
        env = step.get("env") or {}
        run = step["run"]
        cache_control = _text(at, env, "CACHE_CONTROL")
        if (cache_control is not None) != ('--cache-control "$CACHE_CONTROL"' in run):
            _fail(at, "CACHE_CONTROL is set but not used, or used but not set")
        if run.startswith('aws s3 cp --recursive release "s3://$BUCKET/"'):
            extract, key = True, None
        elif '(cd release && zip -q -r -X "$RUNNER_TEMP/artifact.zip" .)' in run \
                and 'aws s3 cp "$RUNNER_TEMP/artifact.zip" "s3://$BUCKET/$KEY"' in run:
            extract, key = False, _text(at, env, "KEY")
            if not isinstance(key, str):
                _fail(at, "KEY must be set")
        else:
            _fail(at, "the copy is neither the artifact's files (extract) nor its zip (object_key)")
        bucket = _text(at, env, "BUCKET")
        if not isinstance(bucket, str):
            _fail(at, "BUCKET must be set")
        return plan.spec(bucket=bucket, input=self.need_input(at, self.downloaded(located, "release")),
                         extract=extract, key=key, cache_control=cache_control)

    def invoke(self, where, located) -> tuple:
        at, _, step = _only(where, located, "invoke")
        env = step.get("env") or {}
        function = _text(at, env, "FUNCTION")
        if not isinstance(function, str) or '--function-name "$FUNCTION"' not in step["run"] \
                or (("PAYLOAD" in env) != ('--payload "$PAYLOAD"' in step["run"])):
            _fail(at, "the function and payload must come from FUNCTION and PAYLOAD")
        payload = _unliteral(at, env["PAYLOAD"], "the payload") if "PAYLOAD" in env else None
        return plan.spec(function=function, parameters=payload, inputs=(), outputs=())


def _options(at, line: str, skip: int) -> dict[str, list[str]]:
    """The ``--option value...`` words of a command line, after its first ``skip`` words."""
    try:
        words = shlex.split(line)[skip:]
    except ValueError as exc:
        _fail(at, f"cannot read the shell words of the command: {exc}")
    options: dict[str, list[str]] = {}
    current = None
    for w in words:
        if w.startswith("--"):
            current = w
            if w in options:
                _fail(at, f"option {w} is given twice")
            options[w] = []
        elif current is None:
            _fail(at, f"unexpected word {w!r}")
        else:
            options[current].append(w)
    return options
