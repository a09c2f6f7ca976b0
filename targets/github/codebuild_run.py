"""Builds run in CodeBuild from a GitHub job (``github { run_in_codebuild }``): the job starts the
build in a CodeBuild project of the companion template (the same buildspec as the AWS target) at
the workflow's commit, waits for it, and prints the end of its log.

The job calls the AWS CLI rather than aws-actions/aws-codebuild-run-build: the newest release of
that action (v1.0.18) still runs on node20 (actions.json says why it is not pinned). The script:

* ``start-build`` at the run's commit, then ``batch-get-builds`` every 15 seconds until the
  build's status is other than ``IN_PROGRESS`` (a failed call is made again). The wait ends when CodeBuild ends the build, which it does at
  the project's ``TimeoutInMinutes`` (the build's ``timeout``); the job's ``timeout-minutes`` is
  ten minutes more, so a stuck API call cannot hold the runner longer than that;
* the build's CloudWatch Logs stream (``logs.groupName``/``logs.streamName`` of the build) read
  with ``logs get-log-events``, which without ``--start-from-head`` returns the latest events, as
  many as fit in one response (1 MB, up to 10,000 events: CloudWatch Logs API reference,
  GetLogEvents), so a failed build shows why in the GitHub log; no stream (a build that failed
  before it started its commands) prints nothing;
* the job fails unless the status is ``SUCCEEDED``.

The role may do exactly that: ``codebuild:StartBuild`` and ``codebuild:BatchGetBuilds`` on the
project, ``logs:GetLogEvents`` on the project's log group (CodeBuild's default group
``/aws/codebuild/PROJECT``).
"""

from __future__ import annotations

from troposphere import codebuild as cb

from pipec import model
from pipec.targets.aws import buildspec
from pipec.targets.github.jobs import HEAD_COMMIT, job_id

#: the script of the step, reading $PROJECT and the run's commit, $CODEBUILD_RESOLVED_SOURCE_VERSION
#: of the workflow's env (the reader checks these lines). The step runs in GitHub's default shell,
#: ``bash -e {0}``: a failed start-build ends it; the script has no pipe and reads only set variables,
#: so ``-o pipefail`` and ``-u`` would add nothing
RUN_LINES = (
    'ID=$(aws codebuild start-build --project-name "$PROJECT" --source-version "$CODEBUILD_RESOLVED_SOURCE_VERSION" --query build.id --output text)',
    'echo "CodeBuild build $ID"',
    # a failed status call (throttling past the CLI's own retries) is asked again, not taken for an
    # end: the job's timeout-minutes bounds the wait
    'until STATUS=$(aws codebuild batch-get-builds --ids "$ID" --query "builds[0].buildStatus" --output text) '
    '&& [ "$STATUS" != IN_PROGRESS ]; do sleep 15; done',
    'read -r GROUP STREAM < <(aws codebuild batch-get-builds --ids "$ID" '
    '--query "builds[0].logs.[groupName, streamName]" --output text)',
    'if [ "$STREAM" != None ]; then aws logs get-log-events --log-group-name "$GROUP" --log-stream-name "$STREAM" '
    '--query "events[].[message]" --output text; fi',
    'if [ "$STATUS" != SUCCEEDED ]; then echo "::error::CodeBuild build $ID: $STATUS"; exit 1; fi',
)


class CodeBuildRun:
    """The job of a build run in CodeBuild."""

    def codebuild_job(self, b: model.Build, job: dict) -> dict:
        """``run_in_codebuild``: the job starts the build in a CodeBuild project of the companion
        template (the same buildspec as the AWS target) at the workflow's commit, waits, and
        prints the end of the build's log."""
        jid = job_id(b.name)
        self.codebuild_checks(b)  # E410 (.checks)
        path = self.ctx.path("github", self.p.name, "buildspec", f"{b.name}.yml")
        self.files[f"github/{self.p.name}/buildspec/{b.name}.yml"] = buildspec.render(b, self.ctx.source)
        side = self.aws()
        if b.cache and b.aws.first("cache") == "s3" and side.bucket_ref is None:
            # the S3 cache lives in the companion's own bucket (the revision bucket)
            side.pipec_revisions = True
            side.artifact_store()
        project = side.project(b, path)
        project.Source = cb.Source(Type="GITHUB", Location=f"https://github.com/{self.repo}.git",
                                   BuildSpec=path)
        project.Artifacts = cb.Artifacts(Type="NO_ARTIFACTS")
        name = project.Name
        self.grant(jid, [
            {"Effect": "Allow", "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
             "Resource": [self.arn("codebuild", f"project/{name}")]},
            # GetLogEvents acts on a log stream: arn:...:log-group:NAME:log-stream:STREAM
            {"Effect": "Allow", "Action": "logs:GetLogEvents",
             "Resource": [self.arn("logs", f"log-group:/aws/codebuild/{name}:*")]},
        ])
        job["permissions"]["id-token"] = "write"
        job["timeout-minutes"] = b.timeout_minutes + 10
        # the commit the build runs at: the workflow's env has it, as for the jobs that build here
        self.workflow_env.setdefault("CODEBUILD_RESOLVED_SOURCE_VERSION", HEAD_COMMIT)
        job["steps"] = [
            self.credentials(jid),
            {"name": f"Run {b.name} in CodeBuild", "env": {"PROJECT": name}, "run": "\n".join(RUN_LINES)}]
        return job
