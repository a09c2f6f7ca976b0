"""The body of a ``deploy`` block from a CodeDeploy appspec: :func:`deploy_body`, and the
compute platform an appspec is for, :func:`appspec_platform`; used by :mod:`.standalone` (an
appspec on its own or given with a buildspec) and by the CodePipeline template importer
(:mod:`pipec.targets.aws.imports.deploys`). The read side of :mod:`pipec.targets.aws.appspec`,
for files people wrote.

Appspec (docs/language.md, "Deploy actions")::

    EC2  os linux|windows                 os ...
         files: source/destination        copy SOURCE to DESTINATION
         permissions: object/owner/group/mode
                                          permission OBJECT [owner U] [group G] [mode M]
         hooks.EVENT: location/timeout/runas
                                          hook EVENT LOCATION [timeout Ns] [as USER] (several per event)
    ECS  TargetService.Properties: TaskDefinition (<TASK_DEFINITION>: what the deploy action registers
         from task_definition; a fixed ARN: a task to put that definition in taskdef.json),
         LoadBalancerInfo  -> container NAME port N, PlatformVersion -> platform_version,
         NetworkConfiguration.AwsvpcConfiguration -> network subnets ... security_groups ... [public_ip]
         Hooks: - EVENT: FUNCTION          hook EVENT FUNCTION
    Lambda Resources[0].NAME.Properties: Name, Alias, CurrentVersion, TargetVersion
                                          function, alias, versions current V target W (placeholders
                                          <...>: decided at deploy time, which is what pipec does)
         Hooks                            hook EVENT FUNCTION

Findings: ``appspec: version``, ``appspec: os``, ``appspec: unknown key``, ``appspec: files option``,
``appspec: permission option``, ``appspec: permissions on windows``, ``appspec: hook event``,
``appspec: hook timeout``, ``appspec: hook runas on windows``, ``appspec: file_exists_behavior``,
``appspec: resource``, ``appspec: ecs property``, ``appspec: capacity provider strategy``,
``appspec: network``, ``appspec: load balancer info``, ``appspec: lambda versions``,
``appspec: duplicate hook``, ``appspec: unknown platform`` (an appspec given with a buildspec
that is none of the three; alone, such an appspec is Unsupported).

``ctx.mapping["deploys"]`` (for the lead's round trip)::

    {ACTION: {"platform": "ec2"|"ecs"|"lambda", "os", "files": [[SRC, DST]],
              "permissions": [[OBJ, OWNER, GROUP, MODE]],
              "hooks": [[EVENT, TARGET, TIMEOUT_SECONDS|None, RUNAS|None]],
              "container", "port", "task_definition", "platform_version", "network",
              "function", "alias", "versions", "needs_test_listener"}}
"""

from __future__ import annotations

import re

from pipec.importer import Doc, YDict, v
from pipec.targets.aws.spec_imports.common import as_list, header_name, scalar, task

#: appspec lifecycle event -> .pipe hook event
EVENTS = {"ApplicationStop": "application_stop", "BeforeInstall": "before_install",
          "AfterInstall": "after_install", "ApplicationStart": "application_start",
          "ValidateService": "validate_service", "BeforeBlockTraffic": "before_block_traffic",
          "AfterBlockTraffic": "after_block_traffic", "AfterAllowTestTraffic": "after_allow_test_traffic",
          "BeforeAllowTraffic": "before_allow_traffic", "AfterAllowTraffic": "after_allow_traffic"}

PLATFORM_EVENTS = {
    "ec2": ("ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
            "BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"),
    "ecs": ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"),
    "lambda": ("BeforeAllowTraffic", "AfterAllowTraffic"),
}

_PLACEHOLDER = re.compile(r"<[A-Za-z0-9_\-]+>")


def _raw_number(ctx, container, key):
    """The text of a number exactly as written (``0755`` stays ``0755``), when the position is known."""
    value = container.get(key)
    pos = container.vpos.get(key) if isinstance(container, YDict) else None
    if pos and isinstance(value, int) and not isinstance(value, bool):
        lines = ctx.text.splitlines()
        if 0 < pos[0] <= len(lines):
            m = re.match(r"['\"]?([0-9]+)", lines[pos[0] - 1][pos[1] - 1:])
            if m:
                return m.group(1)
    return scalar(value)


def _ci(mapping, key: str):
    """``mapping[key]``, the key compared without case; None when absent or not a mapping."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    low = key.lower()
    return next((val for k, val in mapping.items() if str(k).lower() == low), None)


def appspec_platform(data) -> str | None:
    """``ec2``, ``ecs`` or ``lambda`` for appspec data, or None when it cannot tell."""
    if not isinstance(data, dict):
        return None
    for key in ("Resources", "resources"):
        resources = data.get(key)
        if isinstance(resources, list):
            for item in resources:
                if isinstance(item, dict):
                    for body in item.values():
                        if isinstance(body, dict):
                            kind = body.get("Type", body.get("type"))
                            if kind == "AWS::ECS::Service":
                                return "ecs"
                            if kind == "AWS::Lambda::Function":
                                return "lambda"
    if any(k in data for k in ("os", "files", "permissions", "file_exists_behavior")) or isinstance(
            data.get("hooks"), dict):
        return "ec2"
    return None


def _rec_deploy(ctx, block: Doc, platform: str) -> dict:
    rec = {"platform": platform, "hooks": []}
    ctx.mapping.setdefault("deploys", {})[header_name(block)] = rec
    return rec


def _ec2_hooks(ctx, d: Doc, hooks, windows: bool, rec: dict) -> bool:
    if hooks is None:
        return True
    if not isinstance(hooks, dict):
        ctx.error("hooks is not a mapping of lifecycle event: scripts", hint="Write 'hooks:' then, for example, "
                  "'AfterInstall:' with a list of '- location: scripts/x.sh'.")
        return False
    for event, scripts in hooks.items():
        if scripts is None:
            continue
        if event not in PLATFORM_EVENTS["ec2"]:
            ctx.skip(d, "appspec: hook event", f"hook {event}: not a lifecycle event .pipe can hook on EC2 "
                     f"({', '.join(PLATFORM_EVENTS['ec2'])})", hooks, event)
            continue
        if not isinstance(scripts, list):
            ctx.error(f"hooks.{event} is not a list of scripts", hooks, event,
                      hint="Write '- location: scripts/x.sh' under the event.")
            return False
        entries = []
        for i, s in enumerate(scripts):
            if not isinstance(s, dict) or not scalar(s.get("location")):
                ctx.error(f"hooks.{event}: script {i + 1} has no location", scripts, i,
                          hint="Each script is a mapping with 'location' (and optional 'timeout', 'runas').")
                return False
            entries.append(s)
        total = 0
        for s in entries:
            t = s.get("timeout")
            if isinstance(t, int) and not isinstance(t, bool):
                total += t
        drop_timeouts = len(entries) > 1 and total > 3600
        if drop_timeouts:
            ctx.skip(d, "appspec: hook timeout", f"hooks.{event}: the scripts' timeouts add up to {total} "
                     "seconds, more than the hour CodeDeploy allows one event; they are left out", hooks, event)
        for s in entries:
            words = ["hook", EVENTS[event], v(scalar(s["location"]))]
            timeout = None
            for key, value in s.items():
                if key == "location":
                    continue
                if key == "timeout":
                    if drop_timeouts:
                        continue
                    if isinstance(value, str) and value.strip().isdigit():
                        value = int(value.strip())
                    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3600:
                        ctx.skip(d, "appspec: hook timeout", f"hooks.{event} {s['location']}: timeout {value} is "
                                 "not 1 to 3600 seconds", s, key)
                        continue
                    timeout = value
                elif key == "runas":
                    if windows:
                        ctx.skip(d, "appspec: hook runas on windows", f"hooks.{event} {s['location']}: runas "
                                 f"{value} (CodeDeploy ignores it on Windows)", s, key)
                else:
                    ctx.skip(d, "appspec: unknown key", f"hooks.{event} {s['location']}: '{key}' is not a hook "
                             "script setting", s, key)
            if timeout is not None:
                words += ["timeout", f"{timeout}s"]
            runas = scalar(s.get("runas")) if "runas" in s and not windows else None
            if runas:
                words += ["as", v(runas)]
            d.stmt(*words)
            rec["hooks"].append([EVENTS[event], scalar(s["location"]), timeout, runas or None])
    return True


def _ec2(ctx, d: Doc, data, rec: dict) -> bool:
    os_name = data.get("os", "linux")
    windows = False
    if "os" in data:
        if os_name in ("linux", "windows"):
            windows = os_name == "windows"
            d.stmt("os", os_name)
        else:
            ctx.skip(d, "appspec: os", f"os {os_name}: CodeDeploy knows linux and windows; read as linux",
                     data, "os")
            os_name = "linux"
    rec["os"] = os_name
    rec["files"], rec["permissions"] = [], []
    files = data.get("files")
    if files is not None:
        if not isinstance(files, list):
            ctx.error("files is not a list of source/destination pairs", data, "files",
                      hint="Write '- source: /' and 'destination: /var/www/app'.")
            return False
        for i, f in enumerate(files):
            if (not isinstance(f, dict) or "source" not in f or scalar(f.get("source")) is None
                    or not scalar(f.get("destination"))):
                ctx.error(f"files: entry {i + 1} needs a source and a destination", files, i)
                return False
            for key in f:
                if key not in ("source", "destination"):
                    ctx.skip(d, "appspec: files option", f"files: '{key}' of {f['source']} is not an appspec "
                             "files setting (source and destination); not converted", f, key)
            src = scalar(f["source"]) or "/"
            dst = scalar(f["destination"])
            d.stmt("copy", v(src), "to", v(dst))
            rec["files"].append([src, dst])
    perms = data.get("permissions")
    if perms is not None:
        if not isinstance(perms, list):
            ctx.error("permissions is not a list", data, "permissions", hint="Write '- object: /path' with owner, "
                      "group and mode.")
            return False
        if windows and perms:
            ctx.skip(d, "appspec: permissions on windows", "permissions on Windows instances (the CodeDeploy "
                     "agent fails such a deployment)", data, "permissions")
            perms = []
        for i, p in enumerate(perms):
            if not isinstance(p, dict) or not scalar(p.get("object")):
                ctx.error(f"permissions: entry {i + 1} has no object", perms, i)
                return False
            obj = scalar(p["object"])
            narrowing = [k for k in ("pattern", "except", "type") if k in p
                         and not (k == "pattern" and p[k] == "**")
                         and not (k == "type" and sorted(map(str, as_list(p[k]))) == ["directory", "file"])]
            if narrowing:
                ctx.skip(d, "appspec: permission option",
                         f"permission {obj}: {', '.join(narrowing)} (which files it applies to) has no .pipe form; "
                         "the whole permission is left out rather than applied to every file", p, narrowing[0])
                continue
            words = ["permission", v(obj)]
            owner = scalar(p.get("owner")) if "owner" in p else None
            group = scalar(p.get("group")) if "group" in p else None
            mode = _raw_number(ctx, p, "mode") if "mode" in p else None
            if mode is not None and not re.fullmatch(r"[0-7]{3,4}", mode):
                ctx.skip(d, "appspec: permission option", f"permission {obj}: mode {mode} is not an octal mode",
                         p, "mode")
                mode = None
            if owner:
                words += ["owner", v(owner)]
            if group:
                words += ["group", v(group)]
            if mode:
                words += ["mode", v(mode)]
            for key in p:
                if key in ("object", "owner", "group", "mode", "pattern", "type"):
                    continue
                if key in ("acls", "context"):
                    ctx.skip(d, "appspec: permission option", f"permission {obj}: {key} ("
                             f"{'access control lists' if key == 'acls' else 'the SELinux context'}) has no .pipe "
                             "form", p, key)
                else:
                    ctx.skip(d, "appspec: unknown key", f"permission {obj}: '{key}' is not a permission setting",
                             p, key)
            d.stmt(*words)
            rec["permissions"].append([obj, owner or None, group or None, mode])
    if not _ec2_hooks(ctx, d, data.get("hooks"), windows, rec):
        return False
    feb = data.get("file_exists_behavior")
    if feb is not None and str(feb).upper() != "DISALLOW":
        ctx.skip(d, "appspec: file_exists_behavior", f"file_exists_behavior {feb} (what to do with files already "
                 "on the instance); .pipe deployments use CodeDeploy's default, DISALLOW", data,
                 "file_exists_behavior")
    for key in data:
        if key not in ("version", "os", "files", "permissions", "hooks", "file_exists_behavior"):
            ctx.skip(d, "appspec: unknown key", f"'{key}' is not an EC2 appspec key", data, key)
    return True


def _function_hooks_and_keys(ctx, d: Doc, data, platform: str, rec: dict, kind: str) -> bool:
    """The hooks of an ECS or Lambda appspec (``kind``: "an ECS", "a Lambda"), then a finding for
    each top-level key pipec does not read; False after an error."""
    if not _function_hooks(ctx, d, data, platform, rec):
        return False
    for key in data:
        if key not in ("version", "Resources", "resources", "Hooks", "hooks"):
            ctx.skip(d, "appspec: unknown key", f"'{key}' is not {kind} appspec key", data, key)
    return True


def _function_hooks(ctx, d: Doc, data, platform: str, rec: dict) -> bool:
    key = "Hooks" if "Hooks" in data else ("hooks" if "hooks" in data else None)
    if key is None or data[key] is None:
        return True
    hooks = data[key]
    items = hooks if isinstance(hooks, list) else [hooks] if isinstance(hooks, dict) else None
    if items is None:
        ctx.error("Hooks is not a list of 'EVENT: function' entries", data, key,
                  hint="Write '- BeforeAllowTraffic: my-check-function'.")
        return False
    seen: set = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            ctx.error(f"Hooks entry {i + 1} is not 'EVENT: function'", hooks if isinstance(hooks, list) else data,
                      i if isinstance(hooks, list) else key)
            return False
        for event, fn in item.items():
            target = scalar(fn)
            if not target:
                ctx.error(f"hook {event} names no Lambda function", item, event)
                return False
            if event not in PLATFORM_EVENTS[platform]:
                ctx.skip(d, "appspec: hook event", f"hook {event} {target}: not a lifecycle event of a {platform} "
                         f"deployment ({', '.join(PLATFORM_EVENTS[platform])})", item, event)
                continue
            if event in seen:
                ctx.skip(d, "appspec: duplicate hook", f"hook {event} is given twice; the first ({target} is the "
                         "second) is kept", item, event)
                continue
            seen.add(event)
            d.stmt("hook", EVENTS[event], v(target))
            rec["hooks"].append([EVENTS[event], target, None, None])
    rec["needs_test_listener"] = "AfterAllowTestTraffic" in seen
    return True


def _resources(ctx, d: Doc, data, kind: str):
    """(the first resource's name, its body) of type ``kind``; findings for the others."""
    key = "Resources" if "Resources" in data else "resources"
    resources = data.get(key)
    if not isinstance(resources, list) or not resources:
        ctx.error("Resources is not a list with one resource", data, key if key in data else None,
                  hint="Write 'Resources:' then '- TargetService:' (ECS) or '- my-function:' (Lambda).")
        return None
    found = None
    for i, item in enumerate(resources):
        if not isinstance(item, dict):
            ctx.error(f"Resources entry {i + 1} is not a mapping", resources, i)
            return None
        for rname, body in item.items():
            if not isinstance(body, dict):
                ctx.error(f"resource {rname} is not a mapping with Type and Properties", item, rname)
                return None
            if found is None and body.get("Type", body.get("type")) == kind:
                found = (rname, body)
            else:
                ctx.skip(d, "appspec: resource", f"resource {rname}: a deployment moves one {kind} (this one is "
                         "not converted)", item, rname)
    if found is None:
        ctx.error(f"the appspec has no resource of type {kind}", data, key)
        return None
    props = found[1].get("Properties", found[1].get("properties"))
    if not isinstance(props, dict):
        ctx.error(f"resource {found[0]} has no Properties", found[1])
        return None
    for k in found[1]:
        if k not in ("Type", "type", "Properties", "properties"):
            ctx.skip(d, "appspec: unknown key", f"resource {found[0]}: '{k}' is not a resource key", found[1], k)
    return found[0], props


def _ecs(ctx, d: Doc, data, rec: dict) -> bool:
    got = _resources(ctx, d, data, "AWS::ECS::Service")
    if got is None:
        return False
    rname, props = got
    for key, value in props.items():
        if key == "TaskDefinition":
            text = scalar(value) or ""
            rec["task_definition"] = text
            if not _PLACEHOLDER.fullmatch(text.strip()):
                d.comment("The appspec names a fixed task definition (see the task above); pipec registers the")
                d.comment("task definition file of the input artifact (task_definition, default taskdef.json).")
                task(ctx, "resource", f"{header_name(d)}: put the task definition {text} in the deployed artifact "
                         f"as taskdef.json (aws ecs describe-task-definition --task-definition {text} "
                         "--query taskDefinition)")
        elif key == "LoadBalancerInfo":
            ok = isinstance(value, dict)
            cname = scalar(value.get("ContainerName")) if ok else None
            port = value.get("ContainerPort") if ok else None
            if isinstance(port, str) and port.strip().isdigit():
                port = int(port.strip())
            if not cname or not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                ctx.skip(d, "appspec: load balancer info", f"LoadBalancerInfo {value!r}: needs ContainerName and a "
                         "ContainerPort from 1 to 65535", props, key)
                continue
            for k in value:
                if k not in ("ContainerName", "ContainerPort"):
                    ctx.skip(d, "appspec: unknown key", f"LoadBalancerInfo: '{k}' is not a setting", value, k)
            d.stmt("container", v(cname), "port", str(port))
            rec["container"], rec["port"] = cname, port
        elif key == "PlatformVersion":
            text = scalar(value)
            if text:
                d.stmt("platform_version", v(text))
                rec["platform_version"] = text
        elif key == "NetworkConfiguration":
            # CodeDeploy's own examples spell these keys both ways (AwsvpcConfiguration, awsvpcConfiguration)
            aws = _ci(value, "AwsvpcConfiguration")
            subnets = [scalar(s) for s in as_list(_ci(aws, "Subnets"))] if isinstance(aws, dict) else []
            groups = [scalar(s) for s in as_list(_ci(aws, "SecurityGroups"))] if isinstance(aws, dict) else []
            public = str(_ci(aws, "AssignPublicIp") or "DISABLED").upper() if isinstance(aws, dict) else ""
            if not subnets or not groups or not all(subnets) or not all(groups) or public not in (
                    "ENABLED", "DISABLED"):
                ctx.skip(d, "appspec: network", "NetworkConfiguration: .pipe needs Subnets and SecurityGroups "
                         "(and AssignPublicIp ENABLED or DISABLED)", props, key)
                continue
            words = ["network", "subnets", *(v(s) for s in subnets), "security_groups", *(v(g) for g in groups)]
            if public == "ENABLED":
                words.append("public_ip")
            d.stmt(*words)
            rec["network"] = {"subnets": subnets, "security_groups": groups, "public_ip": public == "ENABLED"}
            for k in aws:
                if str(k).lower() not in ("subnets", "securitygroups", "assignpublicip"):
                    ctx.skip(d, "appspec: unknown key", f"AwsvpcConfiguration: '{k}' is not a setting", aws, k)
        elif key == "CapacityProviderStrategy":
            ctx.skip(d, "appspec: capacity provider strategy", "CapacityProviderStrategy (where the new tasks "
                     "run: Fargate, Fargate Spot or an Auto Scaling group provider) has no .pipe form; the "
                     "service's own strategy applies", props, key)
        else:
            ctx.skip(d, "appspec: ecs property", f"TargetService property '{key}' has no .pipe form", props, key)
    if "container" not in rec:
        ctx.skip(d, "appspec: load balancer info", "the appspec names no container and port (LoadBalancerInfo); "
                 "a CodeDeploy ECS deployment needs them", props)
    return _function_hooks_and_keys(ctx, d, data, "ecs", rec, "an ECS")


def _lambda(ctx, d: Doc, data, rec: dict) -> bool:
    got = _resources(ctx, d, data, "AWS::Lambda::Function")
    if got is None:
        return False
    rname, props = got
    fn = scalar(props.get("Name"))
    alias = scalar(props.get("Alias"))
    if not fn or not alias:
        ctx.error(f"resource {rname} needs Name and Alias", props, hint="Write 'Name: my-function' and "
                  "'Alias: live'.")
        return False
    d.stmt("function", v(fn))
    d.stmt("alias", v(alias))
    rec["function"], rec["alias"] = fn, alias
    cur, tgt = scalar(props.get("CurrentVersion")), scalar(props.get("TargetVersion"))
    pinned = [x for x in (cur, tgt) if x and not _PLACEHOLDER.fullmatch(x.strip())]
    if len(pinned) == 2 and cur.isdigit() and tgt.isdigit() and int(cur) > 0 and int(tgt) > 0 and int(cur) != int(tgt):
        d.stmt("versions", "current", cur, "target", tgt)
        rec["versions"] = [cur, tgt]
    elif pinned:
        ctx.skip(d, "appspec: lambda versions", f"CurrentVersion {cur} / TargetVersion {tgt}: .pipe pins both "
                 "versions (two different published version numbers) or neither; the versions are found at "
                 "deploy time", props, "CurrentVersion" if "CurrentVersion" in props else "TargetVersion")
    for key in props:
        if key not in ("Name", "Alias", "CurrentVersion", "TargetVersion"):
            ctx.skip(d, "appspec: unknown key", f"resource {rname}: property '{key}' has no .pipe form", props, key)
    return _function_hooks_and_keys(ctx, d, data, "lambda", rec, "a Lambda")


def deploy_body(ctx, block: Doc, data, platform: str) -> None:
    """Fill an existing ``deploy NAME to PLATFORM { }`` block from appspec ``data``: EC2 ``os``,
    ``copy``, ``permission`` and ``hook`` lines; ECS ``container``, ``platform_version``,
    ``network`` and hooks (a fixed task definition: a comment and a task); Lambda ``function``,
    ``alias``, ``versions`` and hooks. It does not write ``from``, the targets (instances, cluster,
    service, listeners, target groups) or the strategy: the caller does. An ECS appspec with an
    AfterAllowTestTraffic hook needs a ``test_listener`` from the caller
    (``ctx.mapping["deploys"][NAME]["needs_test_listener"]``). Invalid structure: ``ctx.error``."""
    rec = _rec_deploy(ctx, block, platform)
    if not isinstance(data, dict):
        ctx.error("the appspec is not a mapping", hint="An appspec starts with 'version: 0.0'.")
        return
    version = data.get("version")
    if version is None or str(version) not in ("0.0", "0"):
        ctx.skip(block, "appspec: version", f"version {version}: CodeDeploy's appspec version is 0.0; read as "
                 "0.0", data, "version" if "version" in data else None)
    if platform == "ec2":
        _ec2(ctx, block, data, rec)
    elif platform == "ecs":
        _ecs(ctx, block, data, rec)
    elif platform == "lambda":
        _lambda(ctx, block, data, rec)
    else:
        ctx.error(f"unknown compute platform {platform!r}")
