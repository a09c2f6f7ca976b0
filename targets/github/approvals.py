"""Approvals: a gate job in a GitHub environment whose reviewers approve (the environment's
``url`` is the approval's link; once approved, the job's summary keeps the message and link), after
a request job that notifies the SNS topic only when the approval has ``notify`` (or a topic); the
environment's reviewers, wait timer and branches go to :mod:`.environments`.
"""

from __future__ import annotations


from pipec import model
from pipec.targets.aws import emit as aws
from pipec.targets.escape import expression_text
from pipec.targets.github.jobs import job_id
from pipec.targets.github.waits import SHORT_JOB_MINUTES

#: the request job's summary, on the run's page while the gate waits
WAITING = ('{ echo "## Approval $ACTION is waiting"; echo; printf \'%s\\n\' "$MESSAGE" "$URL"; } '
           '>> "$GITHUB_STEP_SUMMARY"')
#: the request job's notification: the approval's message, link and run to the SNS topic
NOTIFY = ('aws sns publish --topic-arn "$TOPIC" --subject "Approval needed: $ACTION" '
          '--message "$(printf \'%s\\n\\n%s\\nApprove or reject: %s\\n\' "$MESSAGE" "$URL" '
          '"$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID")" > /dev/null')
#: the gate's summary once approved: the approval, then (without a request job) what was asked
APPROVED = 'echo "## Approval $ACTION was given" >> "$GITHUB_STEP_SUMMARY"'
ASKED = 'printf \'%s\\n\' "$MESSAGE" "$URL" >> "$GITHUB_STEP_SUMMARY"'


class Approvals:
    """Approval jobs and the topic they notify."""

    def approval_jobs(self, a: model.Approval, job: dict) -> list[tuple[str, dict]]:
        """The request job (message, link and notification, while the gate waits) and the gate
        itself: a job in the environment whose reviewers approve."""
        jid = job_id(a.name)
        env_ = a.github.first("environment") or a.name
        settings = self.environments.setdefault(env_, {})
        settings["reviewers"] = list(a.github.get("reviewers") or ())
        if a.github.first("wait"):
            settings["wait_timer"] = int(aws._minutes(a.github.first("wait")))
        if a.github.get("branches"):
            settings["branches"] = list(a.github.get("branches"))
        self.approval_checks(a, env_, settings["reviewers"])  # W508 (.checks)
        out = []
        env_block: dict = {"name": env_}
        if a.url:
            env_block["url"] = expression_text(a.url)
        asked = {"ACTION": a.name}
        if a.message or a.url:
            asked.update({"MESSAGE": expression_text(a.message or ""), "URL": expression_text(a.url or "")})
        if a.notify_emails or a.topic_arn:
            # a job before the gate notifies the topic while the gate waits, and writes the message
            # and link to its summary, which the reviewers see on the run's page
            rid = f"{jid}-request"
            request = {"name": job["name"] + " (request)", **{k: job[k] for k in ("needs", "if") if k in job},
                       "runs-on": job["runs-on"], "permissions": {"id-token": "write"},
                       "timeout-minutes": SHORT_JOB_MINUTES}
            topic = self.approval_topic(a)
            self.grant(rid, [{"Effect": "Allow", "Action": "sns:Publish", "Resource": [topic]}])
            env = {"ACTION": a.name, "MESSAGE": expression_text(a.message or ""), "URL": expression_text(a.url or ""),
                   "TOPIC": expression_text(a.topic_arn) if a.topic_arn else (
                       f"arn:aws:sns:{self.region}:{self.account}:"
                       f"{self.aws().named(a.aws.first('topic_name')) or f'{self.p.name}-github-{a.name}'}")}
            request["steps"] = [self.credentials(rid),
                                {"name": "Ask for approval", "env": env, "run": "\n".join([WAITING, NOTIFY])}]
            out.append((rid, request))
            job["needs"] = [rid]
            job.pop("if", None)
            asked = {"ACTION": a.name}  # the message and link are in the request job's summary
        job["environment"] = env_block
        job["timeout-minutes"] = SHORT_JOB_MINUTES
        # once the reviewers approved, without a request job: the summary keeps what they were
        # asked. After a request job (whose summary has it) the gate's only step is the check of
        # the environment's protection (guards): the run's page shows who approved
        job["steps"] = [] if len(out) else [
            {"name": "Approved", "env": asked,
             "run": "\n".join([APPROVED, ASKED]) if "MESSAGE" in asked else APPROVED}]
        out.append((jid, job))
        return out

    def approval_topic(self, a: model.Approval) -> str:
        if a.topic_arn:
            return a.topic_arn
        topic = self.aws().approval_topic(a)  # the same topic the AWS target makes, named PIPELINE-github-ACTION
        return self.arn("sns", topic.TopicName)
