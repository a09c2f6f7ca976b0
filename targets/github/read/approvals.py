"""Approvals read back: the request job (message, link, the SNS topic it notifies) that belongs
to the approval job after it; the two become one plan job in :meth:`.workflow._Reader.assemble`.
"""

from __future__ import annotations


from pipec import plan
from pipec.targets.github.read.common import _fail, _Job, _only, _unliteral


#: approvals wait 30 days on GitHub, whatever the .pipe says (W508)
APPROVAL_TIMEOUT = 30 * 24 * 60


class Approvals:
    """Approval request jobs and their notifications."""

    def request_job(self, where, key, job, needs, held, located) -> _Job:
        at, _, step = _only(where, located, "ask")
        env = step.get("env") or {}
        action = env.get("ACTION")
        if not isinstance(action, str):
            _fail(at, "ACTION must name the approval")
        message = _unliteral(at, env.get("MESSAGE", ""), "the message") or None
        url = _unliteral(at, env.get("URL", ""), "the URL") or None
        topic = env.get("TOPIC")
        notify = None
        if topic is not None:
            if 'aws sns publish --topic-arn "$TOPIC"' not in step["run"]:
                _fail(at, "TOPIC is set but nothing is published to it")
            notify = self.notify(at, topic)
        spec = plan.spec(message=message, url=url, notify=notify, timeout=APPROVAL_TIMEOUT)
        return _Job(key, action, "request", needs, held, spec, request_of=action)

    def notify(self, where, topic) -> tuple | str:
        """Whom an approval notifies: the e-mail subscriptions of pipec's own topic (one the
        companion template creates), or the ARN of a topic that is not pipec's."""
        if not isinstance(topic, str) or not topic.startswith("arn:"):
            _fail(where, f"TOPIC {topic!r} is not a topic ARN")
        name = topic.rsplit(":", 1)[-1]
        path = self.out / "github" / f"{self.pipeline}.template.yaml"
        if path.is_file():
            template = self.companion(where)
            topics = [lid for lid, t in template.of_type("AWS::SNS::Topic").items()
                      if template.resolve((t.get("Properties") or {}).get("TopicName")) == name]
            if len(topics) == 1:
                emails = []
                for sub in template.of_type("AWS::SNS::Subscription").values():
                    props = sub.get("Properties") or {}
                    if props.get("TopicArn") == {"Ref": topics[0]}:
                        if props.get("Protocol") != "email":
                            _fail(where, f"topic {name} has a {props.get('Protocol')} subscription; pipec notifies "
                                         "e-mail addresses")
                        emails.append(template.resolve(props.get("Endpoint")))
                return tuple(sorted(emails))
        if "${{" in topic:
            _fail(where, f"topic {topic} is neither a fixed ARN nor a topic of the companion template")
        return topic
