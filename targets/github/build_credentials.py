"""AWS credentials for a GitHub build job (issue 22 item 11).

On CodePipeline a build's commands always run with the CodeBuild project's service role: the one
pipec creates, or the role ``aws { role ARN }`` names. On GitHub a build job gets AWS credentials
through OIDC when it needs them (its ``allow`` lines, secrets fetched from AWS, CodeArtifact, S3
or CodeCommit sources): the job's own role in the companion template, trusted for this
repository's refs. With ``aws { role ARN }`` the commands must run as that role, as they do on
CodeBuild: the job first takes its own OIDC role, then assumes ARN from it
(aws-actions/configure-aws-credentials with ``role-chaining``,
https://github.com/aws-actions/configure-aws-credentials#using-this-action), so every later step
(secrets, the phases) runs as ARN. ARN's trust policy must allow ``sts:AssumeRole`` by the job's
role (docs/targets.md, "AWS credentials of build jobs"); the job's role may assume ARN and
nothing else beyond its own grants. Session tags are skipped for the second step: the target role
would need to allow ``sts:TagSession`` too, and CodeBuild sets none.
"""

from __future__ import annotations

from pipec import model
from pipec.targets.github.pins import uses


class BuildCredentials:
    """The credential steps of a build job."""

    def build_credentials(self, b: model.Build, jid: str, job: dict) -> list[dict]:
        """The steps that give the job's later steps AWS credentials (``id-token: write`` on this
        job only): its OIDC role, then ``aws { role }`` when the build names one."""
        job["permissions"]["id-token"] = "write"
        steps = [self.credentials(jid)]
        role = b.aws.first("role")
        if role:
            self.grant(jid, [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": [role]}])
            steps.append({"name": "AWS credentials (the build's role)", "uses": uses("aws-actions/configure-aws-credentials"),
                          "with": {"role-to-assume": role, "aws-region": self.region, "role-chaining": True,
                                   "role-skip-session-tagging": True}})
        return steps
