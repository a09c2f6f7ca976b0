"""Where each action runs: the AWS account and Region of the pipeline and of its actions.

The pipeline's own place is written in its ``aws { }`` block (``account 111111111111``,
``region us-east-1``); a deploy or invoke action runs in another account or Region with the same
two settings in its own ``aws { }`` block, or in its stage's (the action's own win, setting by
setting). Unset, an action runs where the pipeline runs. Builds, tests and approvals always run
in the pipeline's account and Region (their CodeBuild projects and SNS topics live in the
pipeline's template), so the settings are refused there, and so is a stage placed elsewhere that
holds a build or test (CodePipeline itself could run a CodeBuild action in another Region or, with
the project in that account, another account; pipec keeps every project in the pipeline's template).

:func:`check` reports, from the syntax tree (where the spans are): E220 for an account ID that is
not 12 digits, E221 for a Region where CodePipeline, CodeBuild and CodeDeploy do not all run
(:mod:`pipec.regions`), E222 for a place pipec cannot use (on a build, test or approval, or on a
stage that holds a build or test; an action placed elsewhere while the pipeline's own account
and Region are not written, which the generated templates need to name its artifact stores and
trust its roles; or a deployment's ``aws { role }`` in another account than the deployment's). :func:`place` moves the settings out of the model's ``aws`` settings into the
``account`` and ``region`` fields of the pipeline and its actions (the stages' are set by
:mod:`pipec.semantic_stages`); :meth:`model.Pipeline.place_of` says where an action runs, for
both targets and the plan (docs/language.md, "Accounts and Regions").
"""

from __future__ import annotations

from pipec import ast, model, placeholders, regions
from pipec.diagnostics import did_you_mean
from pipec.lazy_regex import lazy
from pipec.node import evolve

PLACE_KEYS = ("account", "region")
#: the actions that may run in another account or Region
PLACEABLE = (ast.DeployAction, ast.InvokeAction)


def _settings(body):
    for item in body:
        if isinstance(item, ast.PlatformBlock) and item.platform == "aws":
            for s in item.body:
                if isinstance(s, ast.Setting) and s.key in PLACE_KEYS and len(s.values) == 1:
                    yield s


def _actions(items):
    for it in items:
        if isinstance(it, (ast.Stage, ast.Parallel)):
            yield from _actions(it.body)
        elif isinstance(it, (ast.BuildAction, ast.DeployAction, ast.ApproveAction, ast.InvokeAction)):
            yield it


def check(module: ast.Module, err) -> None:
    """Report E220, E221 and E222 through ``err(code, message, span, help)``."""
    p = module.pipeline
    own = {s.key: s for s in _settings(p.body)}

    def value(s: ast.Setting) -> bool:
        v = s.values[0]
        if placeholders.PLACEHOLDER.fullmatch(v):  # what pipec import could not know: W601 says so
            return True
        if s.key == "account" and not regions.ACCOUNT_ID.fullmatch(v):
            err("E220", f"'{v}' is not an AWS account ID", s.span,
                "An AWS account ID is 12 digits, such as 111111111111 (the console shows it under the "
                "account name). Write it in double quotes when it starts with 0: account \"012345678901\".")
            return False
        if s.key == "region" and not regions.known_region(v):
            err("E221", f"'{v}' is not a Region where CodePipeline, CodeBuild and CodeDeploy all run", s.span,
                "Write a Region code such as us-east-1 or eu-west-1 (docs/language.md, \"Accounts and "
                f"Regions\", lists them).{did_you_mean(v, regions.REGIONS)}")
            return False
        return True

    def unplaced(what: str, s: ast.Setting) -> None:
        missing = [k for k in PLACE_KEYS if k not in own]
        if missing:
            err("E222", f"{what} runs in another {s.key}, but the pipeline's own "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not written", s.span,
                "The generated templates name the pipeline's artifact stores and the roles its actions trust "
                "by the pipeline's own account and Region. Write them in the pipeline's aws { } block, for "
                "example: aws { account 111111111111  region us-east-1 } (one setting per line).")

    for s in own.values():
        value(s)
    region = own.get("region")
    for block in (it for it in p.body if isinstance(it, ast.PlatformBlock) and it.platform == "github"):
        for s in (x for x in block.body if isinstance(x, ast.Setting) and x.key == "aws_region" and x.values):
            if region is not None and s.values[0] != region.values[0]:
                # the GitHub target's jobs use aws_region, CodePipeline runs the actions in the
                # pipeline's Region: two Regions for the same pipeline
                err("E222", f"the GitHub jobs would use Region {s.values[0]}, but the pipeline runs in "
                    f"{region.values[0]} (its aws {{ region }})", s.span,
                    f"On CodePipeline every action the pipeline does not place elsewhere runs in "
                    f"{region.values[0]}; its GitHub jobs must too. Remove this line (the jobs then use "
                    f"the pipeline's Region), or place the deploy and invoke actions that belong in "
                    f"{s.values[0]} with aws {{ region {s.values[0]} }}.")
    for st in (it for it in p.body if isinstance(it, ast.Stage)):
        elsewhere = [s for s in _settings(st.body) if value(s) and (s.key not in own or own[s.key].values != s.values)]
        for s in elsewhere[:1]:
            unplaced(f"stage '{st.name}'", s)
            for act in _actions(st.body):
                if isinstance(act, ast.BuildAction):
                    err("E222", f"stage '{st.name}' runs in another {s.key}, but {act.kind} '{act.name}' in it "
                        "would run in the pipeline's", s.span,
                        f"A {act.kind} action runs where the pipeline runs (its CodeBuild project is in the "
                        f"pipeline's template). Give the account and region to the deploy and invoke actions of "
                        f"stage '{st.name}' instead of the stage, or move '{act.name}' to a stage of its own.")
    for act in _actions(p.body):
        for s in _settings(act.body):
            if not value(s):
                continue
            if not isinstance(act, PLACEABLE):
                what = act.kind if isinstance(act, ast.BuildAction) else "approve"
                err("E222", f"'{act.name}' runs in the pipeline's own account and Region", s.span,
                    f"A {what} action runs where the pipeline runs (its CodeBuild project or SNS topic is in "
                    "the pipeline's template). Remove this line, and give the account or Region to the deploy "
                    "or invoke action that needs it.")
                continue
            unplaced(f"'{act.name}'", s)
    for st in (it for it in p.body if isinstance(it, ast.Stage)):
        stage = {s.key: s.values[0] for s in _settings(st.body)}
        for act in (a for a in _actions(st.body) if isinstance(a, ast.DeployAction)):
            account = {s.key: s.values[0] for s in _settings(act.body)}.get("account") or stage.get("account") \
                or (own["account"].values[0] if "account" in own else None)
            _role_elsewhere(act, f"'{act.name}'", account, err, movable=True)
    account = own["account"].values[0] if "account" in own else None
    _role_elsewhere(p, "the pipeline", account, err)
    for st in (it for it in p.body if isinstance(it, ast.Stage) and it.via != "github"):  # on CodeBuild
        for act in (a for a in _actions(st.body) if isinstance(a, ast.BuildAction)):
            _role_elsewhere(act, f"'{act.name}'", account, err)


def _role_elsewhere(node, what: str, account: str | None, err, movable: bool = False) -> None:
    """E222 for an ``aws { role ARN }`` in another account than the one ``node`` runs in: the
    pipeline's role is passed to CodePipeline, a build's to CodeBuild, a CloudFormation
    deployment's to CloudFormation and a CodeDeploy deployment's to its deployment group, and "you
    can only use the PassRole permission to pass an IAM role to a service that shares the same AWS
    account" (IAM User Guide, "Grant a user permissions to pass a role to an AWS service").
    ``movable``: the node may run in the role's account instead (a deployment)."""
    if account is None or not regions.ACCOUNT_ID.fullmatch(account):
        return
    for item in node.body:
        if not (isinstance(item, ast.PlatformBlock) and item.platform == "aws"):
            continue
        for s in item.body:
            if not (isinstance(s, ast.Setting) and s.key == "role" and len(s.values) == 1):
                continue
            m = ROLE_ACCOUNT.match(s.values[0])
            if m and m.group(1) != account:
                move = (f", or run {what} in account {m.group(1)} with aws {{ account {m.group(1)} }}"
                        if movable else "")
                err("E222", f"{what} runs in account {account}, but its role is in account {m.group(1)}",
                    s.span, "AWS passes a role only to a service in the role's own account. Give a role of "
                    f"account {account} (or leave the line out: pipec then creates the role there){move}.")


#: the account of an IAM role ARN
ROLE_ACCOUNT = lazy(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/")


def _split(settings: model.PlatformSettings) -> tuple[model.PlatformSettings, str | None, str | None]:
    kept = tuple((k, v) for k, v in settings.items if k not in PLACE_KEYS)
    if kept == settings.items:
        return settings, None, None
    return (evolve(settings, items=kept), settings.first("account"), settings.first("region"))


def place(p: model.Pipeline) -> model.Pipeline:
    """``p`` with every ``account``/``region`` setting moved into the ``account``/``region``
    fields of the pipeline and its deploy and invoke actions, as written (an action's own setting
    equal to the pipeline's still overrides its stage's: :meth:`model.Pipeline.place_of`)."""
    aws, account, region = _split(p.aws)
    stages = []
    for st in p.stages:
        actions = []
        for a in st.actions:
            if hasattr(a, "account"):
                a_aws, a_account, a_region = _split(a.aws)
                a = evolve(a, aws=a_aws, account=a_account, region=a_region)
            actions.append(a)
        stages.append(evolve(st, actions=tuple(actions)))
    return evolve(p, aws=aws, account=account, region=region, stages=tuple(stages))
