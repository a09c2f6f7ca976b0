"""Schedules (``on schedule "CRON"``): pipec's cron (:mod:`pipec.cron`), the checker's rules for
it, and what both targets make of it (docs/language.md, "on schedule"; docs/targets.md).

The documented facts these tests pin down: GitHub's cron has five fields, ``0 - 6 or SUN-SAT``
for the day of the week and ``20/15`` meaning minutes 20, 35 and 50; EventBridge's has six, days
of the week ``1-7 or SUN-SAT`` with Sunday 1, ``?`` in one of the two day fields, and no ``/`` in
the day-of-week field; GitHub runs a schedule at most every 5 minutes.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given

import pipec
from pipelines import schedules
from pipec import cron, model, plan
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics


@pytest.mark.parametrize("text, canonical, eventbridge", [
    ("0 3 * * *", "0 3 * * *", "cron(0 3 * * ? *)"),
    ("*/15 * * * *", "0,15,30,45 * * * *", "cron(0/15 * * * ? *)"),
    ("20/15 * * * *", "20,35,50 * * * *", "cron(20/15 * * * ? *)"),  # GitHub's own example
    ("30 5 * * MON-FRI", "30 5 * * 1-5", "cron(30 5 ? * 2-6 *)"),
    ("30 5 * * sun", "30 5 * * 0", "cron(30 5 ? * 1 *)"),  # Sunday: 0 on GitHub, 1 on EventBridge
    ("0 0 * * SAT,SUN", "0 0 * * 0,6", "cron(0 0 ? * 1,7 *)"),
    ("0 12 1,15 * *", "0 12 1,15 * *", "cron(0 12 1,15 * ? *)"),
    ("0 0 1 JAN-MAR *", "0 0 1 1-3 *", "cron(0 0 1 1-3 ? *)"),
    ("0 0 * * 0-6", "0 0 * * *", "cron(0 0 * * ? *)"),
    ("0 0 1-31 * *", "0 0 * * *", "cron(0 0 * * ? *)"),
    ("0 */6 * * MON-FRI/2", "0 0,6,12,18 * * 1,3,5", "cron(0 0/6 ? * 2,4,6 *)"),  # no '/' in DOW
    ("5,10 8-17/3 * * *", "5,10 8,11,14,17 * * *", "cron(5,10 8,11,14,17 * * ? *)"),
])
def test_translations(text, canonical, eventbridge):
    assert cron.canonical(text) == canonical
    assert cron.eventbridge(text) == eventbridge
    assert cron.from_eventbridge(eventbridge) == canonical


@pytest.mark.parametrize("text, message", [
    ("0 0 1 * MON", "restricts both"),
    ("0 0 */2 * 1", "restricts both"),  # Vixie cron: AND; POSIX: OR
    ("0 0 * * 7", "7 is not a day of the week"),
    ("0 0 ? * *", "'?'"),
    ("0 0 L * *", "'L'"),
    ("0 0 * * 1#2", "'#'"),
    ("0 0 * * * 2030", "6 fields"),
    ("0 0 * *", "4 fields"),
    ("@daily", "not a cron expression"),
    ("60 * * * *", "out of range"),
    ("0 0 0 * *", "out of range"),
    ("0 0 * 13 *", "out of range"),
    ("0 0 * * FRI-MON", "runs backwards"),
    ("*/0 * * * *", "invalid step"),
    ("0 0 * MON *", "not a value of the month field"),
    ("0,,5 * * * *", "empty list element"),
])
def test_refused(text, message):
    with pytest.raises(cron.CronError, match=message):
        cron.parse(text)


@pytest.mark.parametrize("text, minutes", [
    ("*/5 * * * *", 5), ("*/2 * * * *", 2), ("0,3 * * * *", 3), ("0 * * * *", 60),
    ("58 23 * * *", 1440), ("0,58 0,23 * * *", 2),  # 23:58, then 00:00 the next day
    ("0,58 0,23 * * 1", 58),  # Mondays only: no next day
    ("0 0 * * *", 1440),
])
def test_interval(text, minutes):
    assert cron.interval(text) == minutes


@given(schedules())
def test_eventbridge_round_trip(text):
    assert cron.from_eventbridge(cron.eventbridge(text)) == cron.canonical(text)
    assert len(cron.eventbridge(text)) <= 256  # ScheduleExpression's maximum length


def test_from_eventbridge_refuses_what_pipec_cannot_express():
    for expr in ("rate(5 minutes)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)", "cron(0 0 L * ? *)",
                 "cron(0 0 ? * 6L *)", "cron(0 0 * * ? 2030)", "cron(0 0 * *)"):
        with pytest.raises(ValueError):
            cron.from_eventbridge(expr)


# ----------------------------------------------------------------------------- the checker

HEAD = 'pipeline p {\n  source app github "o/r" {\n'
TAIL = '  }\n  stage s {\n    build b {\n      build "make"\n    }\n  }\n}\n'


def compile_(body: str, extra_source: str = ""):
    return pipec.compile_text(HEAD + body + "  }\n" + extra_source + TAIL[4:], "t.pipe")


def codes(body: str, extra_source: str = "") -> list[str]:
    try:
        _, diags = compile_(body, extra_source)
    except Diagnostics as exc:
        diags = exc.diagnostics
    return [d.code for d in diags]


def test_model():
    (p, _) = compile_('    on schedule "30  5 * * mon-fri"\n')
    assert p.sources[0].triggers == (model.ScheduleTrigger("30 5 * * MON-FRI"),)  # no default push


def test_checker_codes():
    assert codes('    on schedule "0 0 1 * 1"\n') == ["E313"]
    assert codes('    on schedule "*/2 * * * *"\n') == ["E409"]
    assert codes('    on schedule "*/2 * * * *" via aws\n') == []  # EventBridge runs it every 2 minutes
    assert codes('    on schedule "0 6 * * *"\n    on schedule "0 6 * * *" via github\n') == ["E203"]
    assert codes('    on schedule "0 6 * * *" via aws\n    on schedule "0 6 * * *" via github\n') == []
    assert codes("", '  source c codecommit repo {\n    on schedule "0 6 * * *" via github\n  }\n') == ["E310"]
    assert codes("", '  source o s3 bucket {\n    key "k.zip"\n    on schedule "0 6 * * *" via aws\n  }\n') == []


# ----------------------------------------------------------------------------- both targets

PIPE = """pipeline nightly {
  source app github "my-org/app" {
    branch main
    on push
    on schedule "30 2 * * MON-FRI"
    on schedule "*/15 6-18 * * *" via aws
    on schedule "0 12 * * SUN" via github
  }
  source cfg codecommit settings {
    on push via aws
  }
  source obj s3 bucket {
    key "o.zip"
    on schedule "0 4 1 * *" via aws
  }
  stage build {
    build web {
      from app cfg obj
      build "make"
    }
  }
}
"""


@pytest.fixture(scope="module")
def outputs():
    p, _ = pipec.compile_text(PIPE, "nightly.pipe")
    ctx = EmitContext(source="nightly.pipe", prefix="")
    files = generate(p, ctx, ["aws", "github"])
    return p, files, ctx


def test_aws_rules(outputs):
    p, files, _ = outputs
    t = yaml.safe_load(files["aws/nightly.template.yaml"])["Resources"]
    rules = {lid: r["Properties"] for lid, r in t.items() if r["Type"] == "AWS::Events::Rule"}
    schedules_ = {r["ScheduleExpression"]: r for r in rules.values() if "ScheduleExpression" in r}
    assert set(schedules_) == {"cron(30 2 ? * 2-6 *)", "cron(0/15 6-18 * * ? *)", "cron(0 4 1 * ? *)"}
    roles = {lid for lid, r in t.items() if r["Type"] == "AWS::IAM::Role"
             and r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
                 "Service": "events.amazonaws.com"}}
    assert roles == {"CfgEventsRole"}  # the CodeCommit source's role serves the schedules too
    for r in schedules_.values():
        assert r["Targets"][0]["RoleArn"] == {"Fn::GetAtt": ["CfgEventsRole", "Arn"]}
        assert r["Targets"][0]["Arn"]["Fn::Sub"].endswith(":codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}")
    # the S3 source has only a schedule: no change rule for its object, and CodeCommit's rule stays
    patterns = [r["EventPattern"]["source"] for r in rules.values() if "EventPattern" in r]
    assert patterns == [["aws.codecommit"]]
    pipeline = t["Pipeline"]["Properties"]
    git = [tr["GitConfiguration"] for tr in pipeline["Triggers"]]
    assert git == [{"SourceActionName": "app", "Push": [{"Branches": {"Includes": ["main"]}}]}]


def test_github_schedule(outputs):
    _, files, ctx = outputs
    wf = yaml.safe_load(files[".github/workflows/nightly.yml"])
    assert wf["on"]["schedule"] == [{"cron": "30 2 * * MON-FRI"}, {"cron": "0 12 * * SUN"}]
    assert [d.code for d in ctx.warnings if d.code == "W515"] == ["W515", "W515"]


def test_plans(outputs, tmp_path):
    from pipec.build import write
    from pipec.targets.aws import emit as aws
    from pipec.targets.github import emit as github

    p, files, _ = outputs
    write(str(tmp_path), files)
    pa, pg = aws.read(str(tmp_path), "nightly"), github.read(str(tmp_path), "nightly")
    assert pa == plan.from_model(p, "aws") and pg == plan.from_model(p, "github")
    assert {t.cron for t in pa.triggers if t.kind == "schedule"} == {
        "30 2 * * 1-5", "0,15,30,45 6-18 * * *", "0 4 1 * *"}
    assert {t.cron for t in pg.triggers if t.kind == "schedule"} == {"30 2 * * 1-5", "0 12 * * 0"}
