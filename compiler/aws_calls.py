"""Commands that call AWS, and the IAM permissions they need (warning W520).

A build's commands run with a role: the CodeBuild service role pipec creates, or the GitHub job's
OIDC role. pipec grants that role what pipec itself needs (logs, artifacts, secrets, CodeArtifact,
a private build image); a command that calls AWS on its own (``aws ecr get-login-password``,
``docker push`` to ECR, ``sam package``, ``cdk deploy``) needs more, and without it the first run
ends in AccessDenied. This module finds those calls and the IAM actions each needs, and
:func:`check` warns about every action that neither pipec's grants nor the action's
``allow`` lines (``aws { allow ACTION... on RESOURCE... }``) cover.

Commands are read with a real shell parser, tree-sitter-bash (error-tolerant, and it knows the
whole bash grammar: pipelines, ``&&``, subshells, ``$(...)``, ``case``, ``[[ ]]``, functions), so
a call is found wherever bash would run it, and quoted words are read as bash reads them. Words
are evaluated with the action's ``env`` values and the variables earlier commands assign;
anything else (``$CODEBUILD_RESOLVED_SOURCE_VERSION``, ``$(date)``) is unknown, and a resource
with an unknown part is compared with the grants on its known prefix only.

The parser is imported only when a command mentions one of the tools (:data:`TOOLS`), so
``pipec check`` pays nothing for the usual build that calls none.

The IAM facts, checked against AWS documentation:

- IAM action names are case-insensitive ("The prefix and the action name are case insensitive",
  IAM User Guide, "IAM JSON policy elements: Action"), so an operation ``get-parameter`` of
  ``aws ssm`` is the action ``ssm:GetParameter``.
- ``aws ecr get-login-password`` calls GetAuthorizationToken (AWS CLI reference, ecr
  get-login-password); pushing to a private repository needs ecr:CompleteLayerUpload,
  ecr:UploadLayerPart, ecr:InitiateLayerUpload, ecr:BatchCheckLayerAvailability, ecr:PutImage and
  ecr:BatchGetImage on the repository (Amazon ECR User Guide, "IAM permissions for pushing an
  image to an Amazon ECR private repository").
- ``aws s3 sync`` issues ListObjectsV2 (the s3:ListBucket permission), then GetObject, PutObject or
  CopyObject (AWS Knowledge Center, "s3-access-denied-listobjects-sync").
- ``sam package`` uploads the code to Amazon S3 (AWS SAM CLI reference, sam package); ``sam
  deploy`` does the same, then deploys through a CloudFormation change set.
- ``sts get-caller-identity`` needs no permission ("No permissions are required to perform this
  operation", AWS STS API reference, GetCallerIdentity).
- ``cdk deploy`` (CDK v2, modern bootstrap) does its work through the bootstrap roles, so the
  caller needs sts:AssumeRole on them (``arn:aws:iam::*:role/cdk-*``; aws/aws-cdk discussion
  36788, and the CDK guide's "How AWS CDK deployments work").
"""

from __future__ import annotations

import re

from pipec import model
from pipec.diagnostics import WARNING, Diagnostic, Span
from pipec.lazy_regex import lazy
from pipec.node import Node, field, node
from pipec.shell_parse import command_span, node_text, parse

#: Program names whose presence in a command's text makes it worth parsing.
TOOLS = ("aws", "sam", "cdk", "docker")

#: Stands for the part of a word whose value is not known before the build runs.
UNKNOWN = "\x00"

#: CLI service names whose IAM prefix differs.
SERVICE_PREFIX = {
    "s3api": "s3", "s3control": "s3", "deploy": "codedeploy", "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing", "stepfunctions": "states", "configservice": "config",
    "sesv2": "ses", "opensearch": "es", "emr": "elasticmapreduce",
}
#: Services whose IAM actions are not named after operations (API Gateway authorizes HTTP verbs
#: on paths), and AWS CLI commands that call nothing: no finding for them.
UNMAPPED_SERVICES = {"apigateway", "apigatewayv2", "configure", "help", "history"}

_S3_LIST, _S3_GET, _S3_PUT, _S3_DEL = "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"
_ECR_PUSH = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
             "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart")
_CFN_DEPLOY = ("cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
               "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet")

#: ``aws SERVICE OPERATION`` whose IAM actions are not ``prefix:Operation``: CLI commands that are
#: not API operations, and operations authorized under another name. () means none needed.
CLI_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ecr", "get-login-password"): ("ecr:GetAuthorizationToken",),
    ("ecr", "get-login"): ("ecr:GetAuthorizationToken",),
    ("ecr-public", "get-login-password"): ("ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"),
    ("codeartifact", "login"): ("codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint",
                                "sts:GetServiceBearerToken"),
    ("eks", "update-kubeconfig"): ("eks:DescribeCluster",),
    ("eks", "get-token"): (),
    ("sts", "get-caller-identity"): (),
    ("lambda", "invoke"): ("lambda:InvokeFunction",),
    ("logs", "tail"): ("logs:FilterLogEvents",),
    ("s3api", "head-object"): (_S3_GET,),
    ("s3api", "head-bucket"): (_S3_LIST,),
    ("s3api", "list-objects"): (_S3_LIST,),
    ("s3api", "list-objects-v2"): (_S3_LIST,),
    ("s3api", "list-object-versions"): ("s3:ListBucketVersions",),
    ("s3api", "list-buckets"): ("s3:ListAllMyBuckets",),
    ("s3api", "delete-objects"): (_S3_DEL,),
}
#: ``aws SERVICE wait WAITER``: the operation each waiter polls (unknown waiters: no finding).
WAITERS = {
    ("ecs", "services-stable"): "ecs:DescribeServices", ("ecs", "services-inactive"): "ecs:DescribeServices",
    ("ecs", "tasks-running"): "ecs:DescribeTasks", ("ecs", "tasks-stopped"): "ecs:DescribeTasks",
    ("lambda", "function-updated"): "lambda:GetFunctionConfiguration",
    ("lambda", "function-active"): "lambda:GetFunctionConfiguration",
    ("lambda", "function-updated-v2"): "lambda:GetFunction", ("lambda", "function-active-v2"): "lambda:GetFunction",
    ("cloudformation", "stack-create-complete"): "cloudformation:DescribeStacks",
    ("cloudformation", "stack-update-complete"): "cloudformation:DescribeStacks",
    ("cloudformation", "change-set-create-complete"): "cloudformation:DescribeChangeSet",
    ("deploy", "deployment-successful"): "codedeploy:GetDeployment",
}
#: AWS CLI global options that take a value (AWS CLI reference, "Global Options").
CLI_VALUE_OPTIONS = {"--region", "--profile", "--output", "--query", "--endpoint-url", "--ca-bundle",
                     "--cli-read-timeout", "--cli-connect-timeout", "--color", "--cli-binary-format",
                     "--cli-error-format"}
#: Programs that run the command after their own options (``sudo -E aws ...``).
WRAPPERS = {"sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"},
            "env": {"-u", "-C", "-S"}, "time": {"-f", "-o"}, "nohup": set(), "exec": {"-a"},
            "command": set(), "nice": {"-n"}, "stdbuf": {"-i", "-o", "-e"}, "npx": {"-p", "--package"},
            "timeout": {"-s", "-k", "--signal", "--kill-after"}}
#: Actions that have no resource-level permissions: their statements always say "*" (the ECR
#: push page above grants GetAuthorizationToken on "*"; S3's ListAllMyBuckets lists the account).
NO_RESOURCE = {"ecr:GetAuthorizationToken", "ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken",
               "s3:ListAllMyBuckets"}
_ECR_HOST = lazy(r"([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?")


@node
class Need(Node):
    """IAM actions one call needs; ``resource`` None when the call does not say on what."""

    actions: tuple[str, ...]
    resource: str | None = None


@node
class Call(Node):
    """One command line that calls AWS: what it is (for messages), where it is in the command's
    text (0-based line, and the text of the call) and the permissions it needs."""

    what: str
    line: int
    text: str
    needs: list[Need] = field(factory=list)


def mentions_tool(text: str) -> bool:
    """Cheap test before parsing: does the text contain one of the tools' names at all?"""
    return any(t in text for t in TOOLS)


def calls(text: str, env: dict[str, str] | None = None) -> list[Call]:
    """The AWS calls in one command (a line or a script), in order. ``env`` holds known
    variables; the assignments the command makes are added to it as they are met."""
    env = {} if env is None else env
    if not mentions_tool(text):
        return []
    out: list[Call] = []
    tree, src = parse(text)
    _walk(tree.root_node, src, env, out, 0)
    return out


def _walk(root, src: bytes, env: dict, out: list[Call], depth: int):
    """Every command under ``root`` in source order, nested ones included ($(...) in words,
    bodies of if, for, (...)); iterative, so deep nesting cannot exhaust Python's stack."""
    stack = [(root, False)]
    while stack:
        node, prefix = stack.pop()
        kind = node.type
        if kind == "command":
            _command(node, src, env, out, depth)
        elif kind == "variable_assignment" and not prefix:
            _assign(node, src, env)  # X=1 alone (or in export) lasts; X=1 cmd is for cmd only
        stack.extend((child, kind == "command" and child.type == "variable_assignment")
                     for child in reversed(node.children))


def _assign(node, src: bytes, env: dict):
    name = node.child_by_field_name("name")
    value = node.child_by_field_name("value")
    if name is not None:
        env[node_text(name, src)] = "" if value is None else _word(value, src, env)


def _word(node, src: bytes, env: dict) -> str:
    """The value of a word as bash would compute it, with UNKNOWN for what cannot be known."""
    kind = node.type
    text = node_text(node, src)
    if kind == "word":
        return re.sub(r"\\(.)", r"\1", text)
    if kind in ("number", "string_content"):
        return text
    if kind == "raw_string":
        return text[1:-1]
    if kind in ("string", "concatenation"):
        parts, pos = [], node.start_byte
        for child in node.children:
            if child.type == '"':
                pos = child.end_byte
                continue
            if child.start_byte > pos:  # text between parts, as written
                parts.append(src[pos:child.start_byte].decode("utf-8", "replace"))
            parts.append(_word(child, src, env))
            pos = child.end_byte
        return "".join(parts)
    if kind in ("simple_expansion", "expansion"):
        names = [c for c in node.children if c.type == "variable_name"]
        plain = len(node.children) == (2 if kind == "simple_expansion" else 3)
        if names and plain:
            return env.get(node_text(names[0], src), UNKNOWN)
        return UNKNOWN
    return UNKNOWN  # $(...), $((...)), globs, ...


def _command(node, src: bytes, env: dict, out: list[Call], depth: int):
    local = dict(env)
    argv: list[str] = []
    for child in node.children:
        if child.type == "variable_assignment":
            _assign(child, src, local)
        elif child.type == "command_name":
            argv.append(_word(child.children[0], src, local) if child.children else "")
        elif child.type not in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            argv.append(_word(child, src, local))
    argv = _unwrap(argv)
    if not argv:
        return
    program = argv[0].rsplit("/", 1)[-1]
    needs: list[Need] | None = None
    if program in ("bash", "sh") and len(argv) >= 3 and argv[1] == "-c" and depth < 3 and UNKNOWN not in argv[2]:
        tree, inner = parse(argv[2])
        _walk(tree.root_node, inner, dict(local), out, depth + 1)
        return
    if program == "aws":
        needs = aws_cli(argv[1:])
    elif program == "sam":
        needs = sam(argv[1:])
    elif program in ("cdk", "aws-cdk") or program.startswith("aws-cdk@"):
        needs = cdk(argv[1:])
    elif program == "docker":
        needs = docker(argv[1:])
    if needs:
        what = " ".join(a for a in argv[:3] if not a.startswith("-")).replace(UNKNOWN, "...")
        out.append(Call(what, node.start_point[0], node_text(node, src), needs))


def _unwrap(argv: list[str]) -> list[str]:
    """Drop ``sudo``, ``env X=1``, ``time`` and the like, with their options, from the front."""
    while argv:
        name = argv[0].rsplit("/", 1)[-1]
        if name not in WRAPPERS:
            return argv
        takes_value = WRAPPERS[name]
        i = 1
        while i < len(argv) and (argv[i].startswith("-") or (name == "env" and "=" in argv[i])):
            i += 2 if argv[i] in takes_value else 1
        if name == "timeout" and i < len(argv):
            i += 1  # the duration
        argv = argv[i:]
    return argv


# ----------------------------------------------------------------------------- mappings


def _pascal(operation: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in operation.split("-"))


def _positional(args: list[str], value_options=()) -> list[str]:
    out, i = [], 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            i += 1 if "=" in a or a not in value_options else 2
            continue
        if a.startswith("-") and len(a) > 1:
            i += 2 if a in value_options else 1
            continue
        out.append(a)
        i += 1
    return out


def _option(args: list[str], *names: str) -> str | None:
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(n + "="):
                return a[len(n) + 1:]
    return None


def _s3_arns(url: str, objects: bool) -> str | None:
    """``s3://bucket/key`` -> the bucket's ARN, or its objects' (``bucket/key*``)."""
    if not url.startswith("s3://"):
        return None
    bucket, _, key = url[5:].partition("/")
    if not bucket:
        return None
    if not objects:
        return f"arn:aws:s3:::{bucket}"
    return f"arn:aws:s3:::{bucket}/{key}*" if not key or key.endswith("/") else f"arn:aws:s3:::{bucket}/{key}"


def aws_cli(args: list[str]) -> list[Need]:
    """``aws [global options] SERVICE OPERATION [args]`` -> the IAM actions it needs."""
    if "--no-sign-request" in args or any(a in ("--version", "help", "--generate-cli-skeleton") for a in args):
        return []
    words = _positional(args, CLI_VALUE_OPTIONS)
    if len(words) < 2:
        return []
    service, operation = words[0], words[1]
    if UNKNOWN in service + operation or service in UNMAPPED_SERVICES:
        return []
    prefix = SERVICE_PREFIX.get(service, service)
    rest = args[args.index(operation) + 1:] if operation in args else []
    if service == "s3":
        return _s3(operation, _positional(rest, {"--exclude", "--include", "--acl", "--storage-class",
                                                 "--sse", "--sse-kms-key-id", "--content-type",
                                                 "--cache-control", "--expires", "--region"}), rest)
    if operation == "wait":
        action = WAITERS.get((service, words[2] if len(words) > 2 else ""))
        return [Need((action,))] if action else []
    bucket, location = _option(rest, "--s3-bucket"), _option(rest, "--s3-location")
    if (service, operation) in (("cloudformation", "package"), ("cloudformation", "deploy")):
        # both upload local files to --s3-bucket (deploy only when given one)
        upload = [Need((_S3_PUT,), f"arn:aws:s3:::{bucket}/*" if bucket else None)]
        if operation == "package":
            return upload
        return [Need(_CFN_DEPLOY), *(upload if bucket else [])]
    if (service, operation) == ("deploy", "push"):
        return [Need(("codedeploy:RegisterApplicationRevision",)),
                Need((_S3_PUT,), _s3_arns(location, True) if location else None)]
    if (service, operation) in CLI_ACTIONS:
        actions = CLI_ACTIONS[(service, operation)]
        needs = [Need(tuple(a for a in actions if a in NO_RESOURCE), "*"),
                 Need(tuple(a for a in actions if a not in NO_RESOURCE))]
        return [n for n in needs if n.actions]
    return [Need((f"{prefix}:{_pascal(operation)}",))]


def _s3(operation: str, paths: list[str], flags=()) -> list[Need]:
    remote = [p for p in paths if p.startswith("s3://")]
    local = [p for p in paths if not p.startswith("s3://")]
    needs: list[Need] = []
    if operation in ("cp", "mv", "sync"):
        if len(paths) < 2:
            return []
        source, dest = paths[0], paths[1]
        if operation == "sync":
            for p in remote:
                needs.append(Need((_S3_LIST,), _s3_arns(p, False)))
            if "--delete" in flags and dest.startswith("s3://"):
                needs.append(Need((_S3_DEL,), _s3_arns(dest, True)))
        if source.startswith("s3://"):
            needs.append(Need((_S3_GET,), _s3_arns(source, True)))
            if operation == "mv":
                needs.append(Need((_S3_DEL,), _s3_arns(source, True)))
        if dest.startswith("s3://"):
            needs.append(Need((_S3_PUT,), _s3_arns(dest, True)))
    elif operation == "ls":
        needs = [Need((_S3_LIST,), _s3_arns(p, False)) for p in remote] or [Need(("s3:ListAllMyBuckets",), "*")]
    elif operation == "rm":
        needs = [Need((_S3_DEL,), _s3_arns(p, True)) for p in remote]
    elif operation == "mb":
        needs = [Need(("s3:CreateBucket",), _s3_arns(p, False)) for p in remote]
    elif operation == "rb":
        needs = [Need(("s3:DeleteBucket",), _s3_arns(p, False)) for p in remote]
    elif operation == "website":
        needs = [Need(("s3:PutBucketWebsite",), _s3_arns(p if p.startswith("s3://") else "s3://" + p, False))
                 for p in (remote or local[:1])]
    return needs


def sam(args: list[str]) -> list[Need]:
    """``sam package`` and ``sam deploy``: the upload to S3 (and ECR for images), and for
    ``deploy`` the CloudFormation change set."""
    words = _positional(args, {"--s3-bucket", "--s3-prefix", "--template-file", "-t", "--template",
                               "--output-template-file", "--image-repository", "--stack-name",
                               "--region", "--profile", "--kms-key-id", "--config-env", "--config-file"})
    if not words or words[0] not in ("package", "deploy"):
        return []
    bucket = _option(args, "--s3-bucket")
    needs = [Need((_S3_PUT,), f"arn:aws:s3:::{bucket}/*" if bucket and UNKNOWN not in bucket else None)]
    repo = _option(args, "--image-repository")
    if repo:
        needs.extend(_ecr_push(repo + ":latest") or [])
    if words[0] == "deploy":
        needs.append(Need(_CFN_DEPLOY))
    return needs


def cdk(args: list[str]) -> list[Need]:
    """``cdk deploy`` and ``cdk destroy``: the CLI assumes the bootstrap roles (CDK v2)."""
    words = _positional(args, {"--app", "-a", "--profile", "--context", "-c", "--toolkit-stack-name",
                               "--role-arn", "-r", "--require-approval", "--outputs-file", "-O"})
    if words and words[0] in ("deploy", "destroy"):
        return [Need(("sts:AssumeRole",), "arn:aws:iam::*:role/cdk-*")]
    return []


def docker(args: list[str]) -> list[Need]:
    """``docker push IMAGE`` / ``docker image push IMAGE`` / ``docker buildx build --push -t IMAGE``
    to a private ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com)."""
    words = _positional(args, {"-t", "--tag", "-f", "--file", "--platform", "--build-arg", "--target",
                               "--cache-from", "--cache-to", "--label", "--output", "-o", "--builder"})
    if words[:1] == ["image"]:
        words = words[1:]
    if words[:1] == ["push"] and len(words) > 1:
        return _ecr_push(words[1]) or []
    if words[:2] in (["buildx", "build"], ["build"]) and "--push" in args:
        needs: list[Need] = []
        for i, a in enumerate(args):
            if a in ("-t", "--tag") and i + 1 < len(args):
                needs.extend(_ecr_push(args[i + 1]) or [])
        return needs
    return []


def _ecr_push(image: str) -> list[Need] | None:
    host, _, path = image.partition("/")
    m = _ECR_HOST.fullmatch(host)
    if not m or not path:
        return None
    account, region, china = m.groups()
    repo = re.split(r"[:@]", path, maxsplit=1)[0]
    partition = "aws-cn" if china else "aws"
    return [Need(("ecr:GetAuthorizationToken",), "*"),
            Need(_ECR_PUSH, f"arn:{partition}:ecr:{region}:{account}:repository/{repo}")]


# ----------------------------------------------------------------------------- grants


def implicit_grants(b: model.Build) -> list[model.Grant]:
    """What the role pipec generates for ``b`` already allows, on every platform it runs on
    (targets/aws/codebuild.py ``project`` and targets/github/emit.py ``codeartifact_statements``)."""
    out = []
    if b.codeartifact:
        out.append(model.Grant(("codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint",
                                "codeartifact:ReadFromRepository", "sts:GetServiceBearerToken"), ("*",)))
    if b.image.kind == "ecr" and b.image.ref:
        ecr = _ecr_push(b.image.ref)
        if ecr:
            out.append(model.Grant(("ecr:GetAuthorizationToken",), ("*",)))
            out.append(model.Grant(("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                    "ecr:GetDownloadUrlForLayer"), (ecr[1].resource,)))
    return out


def _glob(pattern: str, flags=0) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      flags | re.S)


def _resource_matches(pattern: str, resource: str | None) -> bool:
    if resource is None or pattern == "*":
        return True
    if UNKNOWN not in resource:
        return _glob(pattern).fullmatch(resource) is not None
    # part of the resource is unknown: the grant may cover it when the known prefix and the
    # grant's literal prefix agree
    known = resource.split(UNKNOWN, 1)[0]
    literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
    return literal.startswith(known) or known.startswith(literal)


def granted(action: str, resource: str | None, grants) -> bool:
    for g in grants:
        if any(_glob(a, re.I).fullmatch(action) for a in g.actions) and any(
                _resource_matches(r, resource) for r in g.resources):
            return True
    return False


def missing(needs: list[Need], grants) -> list[Need]:
    """The parts of ``needs`` the grants do not cover, one Need per resource."""
    out = []
    for n in needs:
        lacking = tuple(a for a in n.actions if not granted(a, n.resource, grants))
        if lacking:
            out.append(Need(lacking, n.resource))
    return out


# ----------------------------------------------------------------------------- the check


def check(b: model.Build, filename: str, source: str) -> list[Diagnostic]:
    """W520 for each command of ``b`` that calls AWS without the permissions it needs."""
    commands = [c for ph in b.phases for c in (*ph.commands, *ph.finally_commands)]
    if not any(mentions_tool(c.text) for c in commands):
        return []
    if b.aws.first("role") and b.platform_binding == "aws":
        return []  # the user's own role: pipec cannot know what it allows
    grants = [*implicit_grants(b), *b.grants]
    env = {e.name: str(e.value) for e in b.env}
    reported: set[tuple[str, str | None]] = set()
    diags = []
    for c in commands:
        for call in calls(c.text, env):
            lacking = [Need(tuple(a for a in n.actions if (a, n.resource) not in reported), n.resource)
                       for n in missing(call.needs, grants)]
            lacking = _by_resource([n for n in lacking if n.actions])
            if not lacking:
                continue
            reported.update((a, n.resource) for n in lacking for a in n.actions)
            diags.append(_diagnostic(b, c, call, lacking, filename, source))
    return diags


def _by_resource(needs: list[Need]) -> list[Need]:
    """One Need per resource, its actions sorted, in the order the resources first appear."""
    merged: dict[str | None, list[str]] = {}
    for n in needs:
        merged.setdefault(n.resource, []).extend(a for a in n.actions if a not in merged.get(n.resource, ()))
    return [Need(tuple(sorted(acts, key=str.lower)), r) for r, acts in merged.items()]


def _allow_line(n: Need) -> str:
    resource = "*" if n.resource is None else n.resource.replace(UNKNOWN, "*")
    return "allow " + " ".join(f'"{a}"' for a in n.actions) + f' on "{resource}"'


def _diagnostic(b: model.Build, c: model.Command, call: Call, lacking: list[Need], filename: str,
                source: str) -> Diagnostic:
    actions = sorted({a for n in lacking for a in n.actions}, key=str.lower)
    role = ("the role of " if not b.aws.first("role") else "the GitHub job's role of ") + f"'{b.name}'"
    lines = ", ".join(f"'{_allow_line(n)}'" for n in lacking)
    broad = any(n.resource is None or UNKNOWN in (n.resource or "") for n in lacking)
    return Diagnostic(
        "W520", WARNING,
        f"'{call.what}' needs {', '.join(actions)}, which {role} does not grant", _call_span(c, call, source),
        f"Without {'this permission' if len(actions) == 1 else 'these permissions'} the command fails with "
        "AccessDenied on the first run. Add "
        f"{'this line' if len(lacking) == 1 else 'these lines'} to the action's aws {{ }} block (pipec grants "
        f"{'it' if len(lacking) == 1 else 'them'} to the CodeBuild role and to the GitHub job's role): {lines}."
        + (' Narrow "*" to the ARNs the command uses.' if broad else "")
        + (" A role of your own ('role ARN' in the same block) replaces pipec's on CodePipeline."
           if not b.aws.first("role") else ""),
        (), filename)


def _call_span(c: model.Command, call: Call, source: str) -> Span | None:
    """The call's position: its line in a script, and its own text where the line shows it."""
    return command_span(c, call.line, call.text, source)
