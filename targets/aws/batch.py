"""CodeBuild's side of a build's platform (``os``, ``arch``) and of its ``matrix``.

* :func:`environment`: the project's environment type, image and compute type. Linux x86_64 is
  ``LINUX_CONTAINER`` with the image :mod:`.codebuild` picks; arm64 is ``ARM_CONTAINER`` with the
  aarch64 Amazon Linux image; Windows is ``WINDOWS_SERVER_2019_CONTAINER`` with the Windows
  Server Core 2019 image (``WINDOWS_SERVER_2022_CONTAINER`` runs on reserved fleets only, not on
  the on-demand compute pipec's projects use).
* :func:`batch`: a matrix as the buildspec's ``batch`` section: a ``build-list`` with one task a
  cell (CodeBuild's ``build-matrix`` is a product of its axes only, and a matrix's includes and
  excludes make cells a product does not), each setting the axes as environment variables, and
  ``fast-fail`` from ``fail_fast``.
* :func:`batch_config`: the project's ``BuildBatchConfig``: the batch's service role (it starts,
  stops and retries the cells' builds), restrictions (the cells' count and compute type) and the
  batch's timeout; the CodePipeline action runs it with ``BatchEnabled``.

Sources: "Batch build buildspec reference" (batch/fast-fail; batch/build-list: identifier, env:
compute-type, image, type, variables), AWS::CodeBuild::Project ProjectBuildBatchConfig
(CombineArtifacts, Restrictions, ServiceRole, TimeoutInMins), the CodePipeline CodeBuild action
reference (BatchEnabled, CombineArtifacts; the pipeline's role needs codebuild:StartBuildBatch
and codebuild:BatchGetBuildBatches to run a batch), CodeBuild's batch build service role
(codebuild:StartBuild, StopBuild, RetryBuild on the project), "Docker images provided by
CodeBuild" (aws/codebuild/windows-base:2019-3.0 for Windows Server Core 2019;
aws/codebuild/amazonlinux2-aarch64-standard:3.0 for aarch64).
"""

from __future__ import annotations

import re

from troposphere import GetAtt, Output
from troposphere import codebuild as cb
from troposphere import iam

from pipec import model
from pipec.targets.aws import iam as aws_iam

#: (environment type, managed image) of a build's (os, arch) on CodeBuild's on-demand compute
ENVIRONMENTS = {
    ("linux", "x86_64"): ("LINUX_CONTAINER", None),
    ("linux", "arm64"): ("ARM_CONTAINER", "aws/codebuild/amazonlinux2-aarch64-standard:3.0"),
    ("windows", "x86_64"): ("WINDOWS_SERVER_2019_CONTAINER", "aws/codebuild/windows-base:2019-3.0"),
}
#: the shell of a Windows build: PowerShell, as the GitHub target's steps (``shell: powershell``,
#: Windows PowerShell as on CodeBuild's Windows images); "For Windows operating systems, supported
#: shell tags are: powershell.exe, cmd.exe" (build-spec-ref, env/shell)
WINDOWS_SHELL = "powershell.exe"


def environment(b: model.Build, image_name: str) -> tuple[str, str]:
    """(environment type, image) of ``b``: ``image_name`` (what the build's ``image`` says) on
    Linux x86_64 and for an arm64 build with a container image of its own."""
    kind, managed = ENVIRONMENTS[(b.os, b.arch)]
    if b.os == "windows" or (b.arch == "arm64" and b.image.kind in ("ubuntu", "amazonlinux")):
        return kind, managed
    return kind, image_name


def identifier(cell) -> str:
    """A cell's task identifier: its values joined, as letters, digits and ``_``
    (``PYTHON=3.12`` is ``PYTHON_3_12``)."""
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", f"{k}_{v}") for k, v in cell)


def batch(b: model.Build) -> dict | None:
    """The buildspec's ``batch`` section of a matrix build, None without a matrix."""
    if b.matrix is None:
        return None
    return {"fast-fail": b.matrix.fail_fast,
            "build-list": [{"identifier": identifier(cell), "env": {"variables": dict(cell)}}
                           for cell in b.matrix.cells()]}


class BatchMixin:
    """The batch side of a matrix build's CodeBuild project; part of the builder in :mod:`.pipeline`."""

    def batch_config(self, b: model.Build, lid: str, name: str, compute_type: str) -> dict:
        """The project keyword ``BuildBatchConfig`` for ``b`` (empty without a matrix), with the
        batch's service role, and the pipeline's right to run batches of the project."""
        if b.matrix is None:
            return {}
        project_arn = aws_iam.arn("codebuild", f"project/{name}")
        role = self.add(iam.Role(
            lid + "BatchRole", AssumeRolePolicyDocument=aws_iam.trust("codebuild.amazonaws.com"),
            Policies=[iam.Policy(PolicyName="batch", PolicyDocument=aws_iam.policy([
                {"Effect": "Allow", "Action": ["codebuild:RetryBuild", "codebuild:StartBuild",
                                               "codebuild:StopBuild"],
                 "Resource": [project_arn]}]))],
            Tags=self.tags(), **self.boundary()))
        self.t.add_output(Output(lid + "BatchRoleArn", Value=GetAtt(role, "Arn"),
                                 Description=f"Service role of the batch builds of CodeBuild project {name}"))
        cells = len(b.matrix.cells())
        return {"BuildBatchConfig": cb.ProjectBuildBatchConfig(
            ServiceRole=GetAtt(role, "Arn"), CombineArtifacts=False,
            Restrictions=cb.BatchRestrictions(MaximumBuildsAllowed=cells, ComputeTypesAllowed=[compute_type]),
            # the cells start together (max_parallel is GitHub's only, E317), each within the
            # build's own timeout
            TimeoutInMins=b.timeout_minutes)}

    def batch_action(self, b: model.Build, config: dict, project) -> None:
        """``BatchEnabled`` on the CodeBuild action of a matrix build, which the pipeline's role may start."""
        if b.matrix is None:
            return
        config["BatchEnabled"] = "true"
        self.allow(["codebuild:BatchGetBuildBatches", "codebuild:StartBuildBatch"], GetAtt(project, "Arn"))
