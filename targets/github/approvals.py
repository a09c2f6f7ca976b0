"""Approvals: a gate job in a GitHub environment whose reviewers approve, after a request job that
writes the message and link and notifies the SNS topic; the environment's reviewers, wait timer
and branches go to :mod:`.environments`.
"""

from __future__ import annotations


from pipec import model
from pipec.targets.aws import emit as aws
from pipec.targets.escape import expression_text
from pipec.targets.github.jobs import job_id


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
        if not settings["reviewers"]:
            self.warn("W508", a, f"approval '{a.name}' names no reviewers for GitHub",
                      f"Without required reviewers the environment '{env_}' does not stop the job, so the approval's "
                      "job fails (it checks the environment first) until the environment has reviewers. Add "
                      "'reviewers' in the approval's github { } block (pipec writes them to the environment setup "
                      "file, applied with apply.sh).")
        if a.timeout_minutes != 30 * 24 * 60:
            self.warn("W508", a, f"approval '{a.name}' times out after {_human(a.timeout_minutes)} on CodePipeline "
                      "and after 30 days on GitHub",
                      "GitHub has no setting for how long a job waits for its reviewers: a pending job fails after "
                      "30 days. Write 'timeout 30d' to make the platforms agree.")
        out = []
        request = None
        if a.message or a.url or a.notify_emails or a.topic_arn:
            rid = f"{jid}-request"
            request = {"name": job["name"] + " (request)", **{k: job[k] for k in ("needs", "if") if k in job},
                       "runs-on": job["runs-on"], "permissions": {}}
            lines = ["set -euo pipefail",
                     '{ echo "## Approval $ACTION is waiting"; echo; printf \'%s\\n\' "$MESSAGE"; '
                     'if [ -n "$URL" ]; then echo; echo "Review: $URL"; fi; } >> "$GITHUB_STEP_SUMMARY"']
            env = {"ACTION": a.name, "MESSAGE": expression_text(a.message or ""), "URL": expression_text(a.url or "")}
            steps = []
            if a.notify_emails or a.topic_arn:
                request["permissions"]["id-token"] = "write"
                steps.append(self.credentials(rid))
                env["TOPIC"] = expression_text(a.topic_arn) if a.topic_arn else (f"arn:aws:sns:{self.region}:{self.account}:"
                                               f"{self.aws().named(a.aws.first('topic_name')) or f'{self.p.name}-github-{a.name}'}")
                env["RUN_URL"] = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
                lines.append('aws sns publish --topic-arn "$TOPIC" --subject "Approval needed: $ACTION" '
                             '--message "$(printf \'%s\\n\\n%s\\nApprove or reject: %s\\n\' "$MESSAGE" "$URL" "$RUN_URL")" '
                             "> /dev/null")
                topic = self.approval_topic(a)
                self.grant(rid, [{"Effect": "Allow", "Action": "sns:Publish", "Resource": [topic]}])
            steps.append({"name": "Ask for approval", "env": env, "run": "\n".join(lines)})
            request["steps"] = steps
            out.append((rid, request))
            job["needs"] = [rid]
            job.pop("if", None)
        env_block: dict = {"name": env_}
        if a.url:
            env_block["url"] = expression_text(a.url)
        job["environment"] = env_block
        job["steps"] = [{"name": "Approved", "env": {"ACTION": a.name},
                         "run": 'echo "Approval $ACTION was given." >> "$GITHUB_STEP_SUMMARY"'}]
        out.append((jid, job))
        return out

    def approval_topic(self, a: model.Approval) -> str:
        if a.topic_arn:
            return a.topic_arn
        topic = self.aws().approval_topic(a)  # the same topic the AWS target makes, named PIPELINE-github-ACTION
        return self.arn("sns", topic.TopicName)

def _human(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day{'s' if minutes != 1440 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
    return f"{minutes} minutes"
