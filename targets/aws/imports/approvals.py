"""Manual approvals: message, review URL, timeout, and who is notified (the e-mail
subscriptions of an SNS topic of the template, or an existing topic's ARN).
"""

from __future__ import annotations

import re

from pipec.importer import Doc, q


class Approvals:
    """Manual approval actions."""

    def approval(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw, name, block = self.open_action(parent, a, cfg, "approve {}", "Manual", stage_raw, stage_name,
                                            timeout_ok=True)
        msg = self.text(self.get(cfg, "CustomData"), block, cfg, "CustomData", "the message")
        if msg:
            block.stmt("message", q(msg))
        url = self.text(self.get(cfg, "ExternalEntityLink"), block, cfg, "ExternalEntityLink", "the review URL",
                        check=lambda s: re.match(r"https?://\S+$", s) is not None)
        if url:
            block.stmt("url", q(url))
        arn = self.get(cfg, "NotificationArn")
        if arn is not None:
            topic = self.lid_of(arn, "AWS::SNS::Topic")
            if topic is not None:
                emails = self.topic_emails(block, topic)
                if emails:
                    block.stmt("notify", "email", *(q(e) for e in emails))
                else:
                    ctx.skip(block, "template: approval topic", f"approval {raw} notifies topic {topic} of the "
                             "template, which has no e-mail subscription pipec can write", cfg, "NotificationArn")
            else:
                t = self.text(arn, block, cfg, "NotificationArn", "the notification topic",
                              check=lambda s: s.startswith("arn:aws:sns:"))
                if t:
                    block.stmt("notify", "topic", q(t))
        if "TimeoutInMinutes" in a:
            n = self.number(self.get(a, "TimeoutInMinutes"), block, a, "TimeoutInMinutes", "the approval timeout")
            if n is not None and 5 <= n <= 86400:
                block.stmt("timeout", f"{n}m")
            elif n is not None:
                ctx.skip(block, "template: approval timeout", f"approval timeout {n} minutes", a, "TimeoutInMinutes")
        for o in self.items(a.get("InputArtifacts")) + self.items(a.get("OutputArtifacts")):
            ctx.skip(block, "template: approval artifacts", f"approval {raw} declares artifacts", a, "Name")
            break
        return []

    def topic_emails(self, block: Doc, topic: str) -> list[str]:
        subs = [s for s in self.items(self.props(topic).get("Subscription")) if isinstance(s, dict)]
        for lid, res in self.resources.items():
            if res.get("Type") != "AWS::SNS::Subscription":
                continue
            p = self.props(lid)
            if self.lid_of(p.get("TopicArn"), "AWS::SNS::Topic") == topic:
                self.used_resources.add(lid)
                subs.append(p)
        out = []
        for s in subs:
            proto = self.ev.resolve(s.get("Protocol"))
            if proto != "email":
                self.ctx.skip(block, "template: approval topic", f"topic {topic}: a {proto} subscription", s,
                              "Protocol")
                continue
            e = self.text(s.get("Endpoint"), block, s, "Endpoint", "an e-mail address", required=True,
                          placeholder="REPLACE-ME@example.com",
                          check=lambda x: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", x) is not None)
            if e and e not in out:
                out.append(e)
        return out
