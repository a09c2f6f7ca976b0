"""CodeDeploy AppSpec files (``appspec.yml``) for pipec's EC2, ECS and Lambda deployments.

:func:`emit` turns one validated :class:`pipec.model.Deploy` that uses CodeDeploy into the plain
data of its AppSpec file (dicts and lists in a fixed key order, ``version: 0.0``); :func:`render`
writes it as YAML with pipec's header. Targets call these for every deploy action whose
``uses_codedeploy`` is true: an ECS rolling update is done by ECS itself and has no AppSpec file
(:func:`emit` raises ValueError for it).

What each compute platform gets (the mapping table is in docs/formats.md, "appspec.yml"):

- **EC2/on-premises**: ``os``, ``files`` (one ``source``/``destination`` pair per ``copy``),
  ``permissions`` (``object`` plus only the ``owner``, ``group`` and ``mode`` that were written)
  and ``hooks``: each event's scripts, in the order written, as ``location`` with ``timeout``
  (seconds) and ``runas`` only when set. Events appear in lifecycle order. These keys are
  case-sensitive: the CodeDeploy agent looks them up exactly as written here.
- **ECS**: one ``TargetService`` resource whose ``TaskDefinition`` is the placeholder
  :data:`TASK_DEFINITION_PLACEHOLDER`, which CodePipeline's ``CodeDeployToECS`` action (and
  ``aws-actions/amazon-ecs-deploy-task-definition``) replace with the ARN of the task definition
  they register from ``taskdef.json``; ``LoadBalancerInfo`` names the container and port;
  ``PlatformVersion`` and ``NetworkConfiguration`` only when written. ``Hooks`` lists the Lambda
  functions in lifecycle order.
- **Lambda**: one ``AWS::Lambda::Function`` resource named after the function, with ``Name``,
  ``Alias``, ``CurrentVersion`` and ``TargetVersion``. When the ``.pipe`` file does not pin
  the versions (``versions current V target W``), the file carries the placeholders
  :data:`CURRENT_VERSION_PLACEHOLDER` and :data:`TARGET_VERSION_PLACEHOLDER`: the deploy step
  reads the alias's current version and the newly published one and substitutes them before it
  hands the file to CodeDeploy, which needs positive integers there.

:data:`SCHEMA_PATH` is the JSON Schema (draft 2020-12) pipec ships for AppSpec files of all
three platforms; :func:`validate` checks data against it (``jsonschema`` is imported only then).
"""

from __future__ import annotations

from pathlib import Path

from pipec.model import Deploy, Ec2Target, EcsTarget, LambdaTarget

#: The JSON Schema for AppSpec files (EC2/on-premises, ECS and Lambda), draft 2020-12.
SCHEMA_PATH = Path(__file__).parent / "schemas" / "appspec.schema.json"

#: Replaced by CodePipeline's CodeDeployToECS action with the ARN of the registered task definition.
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"
#: Replaced by the deploy step with the version the alias points to before the deployment.
CURRENT_VERSION_PLACEHOLDER = "<CURRENT_VERSION>"
#: Replaced by the deploy step with the version the alias moves to.
TARGET_VERSION_PLACEHOLDER = "<TARGET_VERSION>"

#: pipec hook event -> AppSpec lifecycle event, in the order events are written in the file.
EVENTS: dict[str, str] = {
    "application_stop": "ApplicationStop",
    "before_install": "BeforeInstall",
    "after_install": "AfterInstall",
    "application_start": "ApplicationStart",
    "validate_service": "ValidateService",
    "before_block_traffic": "BeforeBlockTraffic",
    "after_block_traffic": "AfterBlockTraffic",
    "after_allow_test_traffic": "AfterAllowTestTraffic",
    "before_allow_traffic": "BeforeAllowTraffic",
    "after_allow_traffic": "AfterAllowTraffic",
}

#: The lifecycle events each compute platform runs hooks for (CodeDeploy AppSpec "hooks" section).
PLATFORM_EVENTS: dict[str, tuple[str, ...]] = {
    "ec2": ("ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
            "BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"),
    "ecs": ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic",
            "AfterAllowTraffic"),
    "lambda": ("BeforeAllowTraffic", "AfterAllowTraffic"),
}

#: The most time CodeDeploy gives all the scripts of one EC2 lifecycle event together, in seconds.
EVENT_TIME_LIMIT = 3600


def emit(deploy: Deploy) -> dict:
    """The AppSpec file of ``deploy`` as plain data. ValueError if it does not use CodeDeploy."""
    if not deploy.uses_codedeploy:
        raise ValueError(
            f"deploy action {deploy.name!r} is an ECS rolling update, which ECS does itself: "
            "it has no CodeDeploy AppSpec file")
    target = deploy.target
    if deploy.platform == "ec2" and isinstance(target, Ec2Target):
        return _ec2(deploy, target)
    if deploy.platform == "ecs" and isinstance(target, EcsTarget):
        return _ecs(deploy, target)
    if deploy.platform == "lambda" and isinstance(target, LambdaTarget):
        return _lambda(deploy, target)
    raise ValueError(f"deploy action {deploy.name!r}: platform {deploy.platform!r} does not match "
                     f"its target {type(target).__name__}")


def render(deploy: Deploy, source: str) -> str:
    """The ``appspec.yml`` text of ``deploy``: pipec's header, then the YAML of :func:`emit`."""
    from pipec import yamlout  # here: the data (emit) is all 'pipec check' needs

    return yamlout.header(source, f"appspec for deploy action {deploy.name}") + yamlout.dump(emit(deploy))


def _event(deploy: Deploy, event: str) -> str:
    try:
        name = EVENTS[event]
    except KeyError:
        raise ValueError(f"deploy action {deploy.name!r}: unknown hook event {event!r}") from None
    if name not in PLATFORM_EVENTS[deploy.platform]:
        raise ValueError(f"deploy action {deploy.name!r}: {deploy.platform} has no {event} hook")
    return name


def _ec2(deploy: Deploy, target: Ec2Target) -> dict:
    data: dict = {"version": 0.0, "os": target.os}
    if target.files:
        data["files"] = [{"source": src, "destination": dst} for src, dst in target.files]
    if target.permissions:
        perms = []
        for path, owner, group, mode in target.permissions:
            entry = {"object": path}
            if owner is not None:
                entry["owner"] = owner
            if group is not None:
                entry["group"] = group
            if mode is not None:
                entry["mode"] = str(mode)
            perms.append(entry)
        data["permissions"] = perms
    if deploy.hooks:
        by_event: dict[str, list] = {}
        for hook in deploy.hooks:
            script: dict = {"location": hook.target}
            if hook.timeout_seconds is not None:
                script["timeout"] = int(hook.timeout_seconds)
            if hook.run_as is not None:
                script["runas"] = hook.run_as
            by_event.setdefault(_event(deploy, hook.event), []).append(script)
        data["hooks"] = {e: by_event[e] for e in PLATFORM_EVENTS["ec2"] if e in by_event}
    return data


def _function_hooks(deploy: Deploy) -> list[dict]:
    by_event: dict[str, str] = {}
    for hook in deploy.hooks:
        name = _event(deploy, hook.event)
        if name in by_event:
            raise ValueError(f"deploy action {deploy.name!r}: hook {hook.event} is given twice")
        by_event[name] = hook.target
    return [{e: by_event[e]} for e in PLATFORM_EVENTS[deploy.platform] if e in by_event]


def _ecs(deploy: Deploy, target: EcsTarget) -> dict:
    if target.container is None or target.port is None:
        raise ValueError(f"deploy action {deploy.name!r}: CodeDeploy on ECS needs the container and port")
    props: dict = {
        "TaskDefinition": TASK_DEFINITION_PLACEHOLDER,
        "LoadBalancerInfo": {"ContainerName": target.container, "ContainerPort": int(target.port)},
    }
    if target.platform_version is not None:
        props["PlatformVersion"] = target.platform_version
    if target.network is not None:
        props["NetworkConfiguration"] = {"AwsvpcConfiguration": {
            "Subnets": list(target.network.subnets),
            "SecurityGroups": list(target.network.security_groups),
            "AssignPublicIp": "ENABLED" if target.network.public_ip else "DISABLED",
        }}
    data: dict = {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": props}}],
    }
    hooks = _function_hooks(deploy)
    if hooks:
        data["Hooks"] = hooks
    return data


def _lambda(deploy: Deploy, target: LambdaTarget) -> dict:
    current = target.current_version
    wanted = target.target_version
    props = {
        "Name": target.function,
        "Alias": target.alias,
        "CurrentVersion": CURRENT_VERSION_PLACEHOLDER if current is None else str(current),
        "TargetVersion": TARGET_VERSION_PLACEHOLDER if wanted is None else str(wanted),
    }
    data: dict = {
        "version": 0.0,
        "Resources": [{target.function: {"Type": "AWS::Lambda::Function", "Properties": props}}],
    }
    hooks = _function_hooks(deploy)
    if hooks:
        data["Hooks"] = hooks
    return data


# ----------------------------------------------------------------------------- schema


def detect_platform(data) -> str | None:
    """``ec2``, ``ecs`` or ``lambda`` for AppSpec data, by the schema's discriminators (``os``,
    ``files``, ``permissions``, ``file_exists_behavior`` or a ``hooks`` mapping: EC2; a resource
    of type ``AWS::ECS::Service`` or ``AWS::Lambda::Function``: ECS or Lambda); None if none fits."""
    if not isinstance(data, dict):
        return None
    if any(k in data for k in ("os", "files", "permissions", "file_exists_behavior")) or isinstance(
            data.get("hooks"), dict):
        return "ec2"
    for key in ("Resources", "resources"):
        resources = data.get(key)
        if not isinstance(resources, list):
            continue
        for item in resources:
            if not isinstance(item, dict):
                continue
            for body in item.values():
                if not isinstance(body, dict):
                    continue
                kind = body.get("Type", body.get("type"))
                if kind == "AWS::ECS::Service":
                    return "ecs"
                if kind == "AWS::Lambda::Function":
                    return "lambda"
    return None


_VALIDATOR = None


def _validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        import json

        import jsonschema

        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATOR = cls(schema)
    return _VALIDATOR


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


#: Keywords whose own message says little: the schema's description explains the rule instead.
_DESCRIBED = ("not", "const", "anyOf", "contains", "maxContains")


def _message(error) -> str:
    from jsonschema.exceptions import best_match

    while True:
        described = isinstance(error.schema, dict) and error.schema.get("description")
        if error.validator in _DESCRIBED and described:
            text = error.schema["description"]
            if error.validator == "const":
                text = f"{error.instance!r} is not allowed. {text}"
            break
        # other anyOf/oneOf failures: report the alternative that came closest, not the whole list
        deeper = best_match(error.context) if error.context else None
        if deeper is None:
            text = error.message
            break
        error = deeper
    return f"{_path(error.absolute_path)}: {text}"


def validate(data) -> list[str]:
    """Problems in AppSpec ``data`` (parsed YAML or JSON): ``[]`` when it is valid.

    Each message starts with the path of the offending value (``hooks.BeforeInstall[0].timeout``).
    Besides the schema, the sum of the ``timeout`` values of one EC2 lifecycle event is checked
    against CodeDeploy's one-hour limit per event (a JSON Schema cannot add numbers up).
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    messages = list(dict.fromkeys(_message(e) for e in errors))
    if isinstance(data, dict) and isinstance(data.get("hooks"), dict) and detect_platform(data) == "ec2":
        for event, scripts in data["hooks"].items():
            if not isinstance(scripts, list):
                continue
            timeouts = [s["timeout"] for s in scripts
                        if isinstance(s, dict) and type(s.get("timeout")) is int]
            total = sum(timeouts)
            # one script over the limit is already reported by the schema
            if len(timeouts) > 1 and max(timeouts) <= EVENT_TIME_LIMIT < total:
                messages.append(
                    f"hooks.{event}: the scripts' timeouts add up to {total} seconds; CodeDeploy allows "
                    f"{EVENT_TIME_LIMIT} seconds for all the scripts of one lifecycle event")
    return messages
