"""A buildspec or an appspec on its own, as a whole pipeline (:func:`import_buildspec`,
:func:`import_appspec`, named by the registry in :mod:`pipec.targets`): ``source app github REPO``
(the ``--repository`` given, else the placeholder ``OWNER/REPO`` and a task),
``stage build { build NAME { ... } }`` for a buildspec (:mod:`.buildspecs`), and one deploy stage
per appspec (:mod:`.appspecs`; an appspec given with a buildspec deploys the build's primary
artifact; an appspec alone deploys the repository).

The strategy is not in an appspec (the deployment group chooses it); a standalone import writes the
pipec strategy equal to CodeDeploy's default for a deployment group without one: EC2
``rolling one-at-a-time`` (CodeDeployDefault.OneAtATime), ECS ``blue-green``
(CodeDeployDefault.ECSAllAtOnce: an ECS appspec is always a CodeDeploy blue/green deployment),
Lambda ``all-at-once`` (CodeDeployDefault.LambdaAllAtOnce), with a comment saying so.
"""

from __future__ import annotations

from pathlib import Path

from pipec.importer import Doc, Unsupported, name, q, unique
from pipec.targets.aws.spec_imports.appspecs import appspec_platform, deploy_body
from pipec.targets.aws.spec_imports.buildspecs import build_body
from pipec.targets.aws.spec_imports.common import task

#: the pipec strategy equal to CodeDeploy's default deployment configuration, per platform
DEFAULT_STRATEGY = {
    "ec2": ("rolling one-at-a-time", "CodeDeployDefault.OneAtATime"),
    "ecs": ("blue-green", "CodeDeployDefault.ECSAllAtOnce"),
    "lambda": ("all-at-once", "CodeDeployDefault.LambdaAllAtOnce"),
}


def _pipeline(ctx, taken: set) -> Doc:
    pname = name(Path(ctx.file).stem, "pipeline", 100)
    ctx.pipeline_name = pname
    p = Doc(f"pipeline {pname}")
    repo = ctx.repository
    if not repo:
        p.comment("The repository is not in the file: replace OWNER/REPO.")
        task(ctx, "repository", "replace the placeholder repository OWNER/REPO with the repository that holds "
                 f"{Path(ctx.file).name}")
        repo = "OWNER/REPO"
    p.stmt("source", "app", "github", q(repo))
    taken.add("app")
    return p


def _add_deploy(ctx, p: Doc, data, path: str, artifact: str | None, taken: set, stages: set) -> None:
    """One deploy stage for appspec ``data`` (from ``path``), deploying ``artifact`` (None: the
    repository, through a packaging build for EC2)."""
    platform = appspec_platform(data)
    if platform is None:
        raise Unsupported("appspec: unknown platform", f"{Path(path).name}: not an EC2, ECS or Lambda appspec "
                          "(no os/files/hooks, and no AWS::ECS::Service or AWS::Lambda::Function resource)", data)
    base = name(Path(path).stem, "deploy", 60)
    if platform == "ec2" and artifact is None:
        st = p.block(f"stage {unique('package', stages)}")
        bname = unique("revision", taken)
        b = st.block(f"build {bname}")
        b.comment("CodePipeline deployed the repository itself; pipec deploys a revision that a build produces")
        b.comment("(it puts the generated appspec.yml in it), so this build packages the repository's files.")
        b.stmt("build", q("echo Packaging the repository as the CodeDeploy revision"))
        artifact = unique(f"{bname}-files", taken)
        b.stmt("artifact", artifact, "files", q("**/*"))
    st = p.block(f"stage {unique('deploy', stages)}")
    dname = unique(base if base != "app" else "deploy", taken)
    d = st.block(f"deploy {dname} to {platform}")
    if platform in ("ec2", "ecs"):
        d.stmt("from", artifact or "app")
    strategy, config = DEFAULT_STRATEGY[platform]
    if platform == "ec2":
        d.comment("The appspec does not say which instances: replace the tag.")
        d.stmt("instances", "tag", "Name", "=", "REPLACE-ME-instance-tag")
        task(ctx, "resource", f"{dname}: replace the instance tag Name = REPLACE-ME-instance-tag with the tag of "
                 "the instances to deploy to")
    elif platform == "ecs":
        d.comment("The appspec does not name the cluster, service, listener or target groups: replace them.")
        d.stmt("cluster", "REPLACE-ME-cluster")
        d.stmt("service", "REPLACE-ME-service")
        d.stmt("listener", q("REPLACE-ME-listener-arn"))
        d.stmt("target_groups", "REPLACE-ME-blue-target-group", "REPLACE-ME-green-target-group")
        task(ctx, "resource", f"{dname}: replace REPLACE-ME-cluster, REPLACE-ME-service, REPLACE-ME-listener-arn "
                 "and the two target groups with the ECS service's")
    d.comment(f"An appspec has no strategy: this is CodeDeploy's default, {config}.")
    d.stmt("strategy", strategy)
    deploy_body(ctx, d, data, platform)
    rec = ctx.mapping.get("deploys", {}).get(dname, {})
    if platform == "ecs":
        if artifact != "app":
            task(ctx, "resource", f"{dname}: the deployment registers taskdef.json from the artifact {artifact}; "
                  "make sure the build puts the task definition file there")
        if rec.get("needs_test_listener"):
            d.stmt("test_listener", q("REPLACE-ME-test-listener-arn"))
            task(ctx, "resource", f"{dname}: replace REPLACE-ME-test-listener-arn with the test listener's ARN")
        if "container" not in rec:
            d.stmt("container", "REPLACE-ME-container", "port", "80")
            task(ctx, "resource", f"{dname}: replace the container REPLACE-ME-container and port 80 with the "
                     "container and port the load balancer sends traffic to")


def import_buildspec(ctx) -> Doc | None:
    """A buildspec (with any appspecs given with it) as a whole pipeline."""
    taken: set = set()
    stages: set = set()
    p = _pipeline(ctx, taken)
    bname = unique(name(Path(ctx.file).stem, "build", 60), taken)
    if bname == "app":
        bname = unique("build", taken)
    st = p.block(f"stage {unique('build', stages)}")
    b = st.block(f"build {bname}")
    written = build_body(ctx, b, ctx.data)
    if ctx.errors:
        return None
    for a in written:
        taken.add(a.lower())
    for path, comp in sorted(ctx.companions.items()):
        text, data, kind = comp
        if kind != "appspec":
            continue
        ctx.used_companions.add(path)
        if appspec_platform(data) is None:
            ctx.skip(None, "appspec: unknown platform", f"{Path(path).name}: not an EC2, ECS or Lambda appspec; "
                     "no deploy stage for it", data)
            continue
        artifact = written[0] if written else None
        if artifact is None and appspec_platform(data) == "ecs":
            artifact = "app"
        _add_deploy(ctx, p, data, path, artifact, taken, stages)
        if ctx.errors:
            return None
    return p


def import_appspec(ctx) -> Doc | None:
    """An appspec on its own as a whole pipeline: the repository, deployed."""
    taken: set = set()
    stages: set = set()
    p = _pipeline(ctx, taken)
    _add_deploy(ctx, p, ctx.data, ctx.file, "app" if appspec_platform(ctx.data) == "ecs" else None, taken, stages)
    if ctx.errors:
        return None
    return p
