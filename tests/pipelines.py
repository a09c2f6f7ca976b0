"""Hypothesis strategy for *valid* ``.pipe`` pipelines, as source text, built from every construct.

tests/strategies.py generates syntax trees that the grammar accepts but the checker mostly
rejects (fine for the parser and formatter). The equivalence properties need pipelines that
compile, so this module assembles them from building blocks that are valid by construction:
names are unique, every ``from`` names an artifact an earlier stage produced, each EC2
deployment gets a revision of its own from a build that reads the repository first, and the
values respect the checker's limits. What is still drawn at random: the triggers and their
patterns, the execution mode, variables, the number and layout of stages (sequential and
parallel actions, disabled transitions), and for each action its kind and every optional
statement (phases with scripts, finally and on_failure, env, secrets from ssm, Secrets Manager
or GitHub, runtimes, caches, reports, artifacts with base and discard_paths, deployments to EC2,
ECS and Lambda with every strategy, rollback and alarms, CloudFormation with parameters and
change sets, S3, approvals with messages, links, notifications, timeouts and reviewers, and
invokes).

:func:`pipelines` draws the text; :data:`CONSTRUCTS` names what a drawn pipeline uses, for
``hypothesis.event`` statistics.
"""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

#: pattern atoms: literals, wildcards, sets, braces (no '?': GitHub refuses it, E409)
_ATOMS = ["a", "b", "main", "src", "docs", "v1", "x.y", "c++", "-", "*", "**", "[ab]", "[0-9]", "{a,b}"]


@st.composite
def pattern(draw, path: bool = False) -> str:
    parts = draw(st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=3))
    text = "/".join(parts) if path else "".join(parts)
    if path and draw(st.booleans()):
        text = "**/" + text
    return re.sub(r"\*{3,}", "**", text)  # '***' is not a pattern (E308)


def _quote(p: str) -> str:
    return json.dumps(p)


@st.composite
def filter_words(draw, path: bool = False) -> str:
    inc = draw(st.lists(pattern(path), min_size=0 if path else 1, max_size=2, unique=True))
    exc = draw(st.lists(pattern(path), min_size=0, max_size=1, unique=True))
    if not inc and not exc:
        inc = ["**"]
    return " ".join([_quote(p) for p in inc] + ["!" + _quote(p) for p in exc])


@st.composite
def triggers(draw, used: set) -> list[str]:
    out = []
    if draw(st.booleans()):
        line = "on push branches " + draw(filter_words())
        if draw(st.booleans()):
            line += " paths " + draw(filter_words(path=True))
        out.append(line)
        used.add("push")
    if draw(st.booleans()):
        out.append("on push tags " + draw(filter_words()))
        used.add("tags")
    if draw(st.booleans()):
        events = draw(st.lists(st.sampled_from(["opened", "updated"]), min_size=1, max_size=2, unique=True))
        line = "on pull_request " + " ".join(events) + " into " + draw(filter_words())
        if draw(st.booleans()):
            line += " paths " + draw(filter_words(path=True))
        if draw(st.integers(0, 3)) == 0:  # checks only on GitHub: deployments skip pull-request runs
            line += " via github"
            used.add("pull_request-via-github")
        out.append(line)
        used.add("pull_request")
    if draw(st.booleans()):
        out.append("on manual")
        used.add("manual")
    for cron in draw(st.lists(schedules(), max_size=2, unique_by=canonical_cron)):
        out.append(f"on schedule {_quote(cron)}")
        used.add("schedule")
    return out


_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@st.composite
def cron_field(draw, lo: int, hi: int, names: list[str] | None = None) -> str:
    """One field of a cron expression: *, a value, a range, a step or a list of those; values
    are numbers or (month, day of the week) names in any case."""
    def value(n: int) -> str:
        if names and draw(st.booleans()):
            name = names[n - lo]
            return draw(st.sampled_from([name, name.lower(), name.title()]))
        return str(n)

    def element() -> str:
        kind = draw(st.sampled_from(["value", "range", "step", "value-step", "range-step"]))
        a = draw(st.integers(lo, hi))
        b = draw(st.integers(a, hi))
        step = draw(st.integers(1, hi - lo))
        if kind == "value":
            return value(a)
        if kind == "range":
            return f"{value(a)}-{value(b)}"
        if kind == "step":
            return f"*/{step}"
        if kind == "value-step":
            return f"{value(a)}/{step}"
        return f"{value(a)}-{value(b)}/{step}"

    if draw(st.integers(0, 2)) == 0:
        return "*"
    return ",".join(element() for _ in range(draw(st.integers(1, 3))))


@st.composite
def schedules(draw) -> str:
    """A valid schedule that GitHub can run too: at most one day field other than '*', and runs at
    least 5 minutes apart (docs/language.md, "on schedule")."""
    from pipec import cron

    minute = draw(cron_field(0, 59))
    hour = draw(cron_field(0, 23))
    month = draw(cron_field(1, 12, _MONTHS))
    day = draw(st.sampled_from(["dom", "dow", "neither"]))
    dom = draw(cron_field(1, 31)) if day == "dom" else "*"
    dow = draw(cron_field(0, 6, _DAYS)) if day == "dow" else "*"
    text = f"{minute} {hour} {dom} {month} {dow}"
    if cron.interval(text) < cron.MIN_INTERVAL:
        text = f"{draw(st.integers(0, 59))} {hour} {dom} {month} {dow}"  # one run an hour at most
    return text


def canonical_cron(text: str) -> str:
    from pipec import cron

    return cron.canonical(text)


_COMMANDS = ["make", "npm ci", "npm test", "false && true", "echo done;", "cd sub && make",
             "export VERSION=1.0", "pytest -q | tee out.txt", "# a comment"]


@st.composite
def commands(draw) -> list[str]:
    out = []
    for c in draw(st.lists(st.sampled_from(_COMMANDS), min_size=1, max_size=3)):
        out.append(_quote(c))
    if draw(st.integers(0, 4)) == 0:
        out.append('"""\n          make lint\n          make test\n        """')
    return out


@st.composite
def matrices(draw, used: set) -> list[str]:
    """A matrix block: one or two axes (PY always, so that a runtime may read it), sometimes an
    exclude and an include, fail_fast."""
    pys = draw(st.lists(st.sampled_from(["3.10", "3.11", "3.12", "3.13"]), min_size=1, max_size=3, unique=True))
    lines = ["      matrix {", "        axis PY " + " ".join(pys)]
    dbs = draw(st.lists(st.sampled_from(["pg", "my"]), min_size=0, max_size=2, unique=True))
    if dbs:
        lines.append("        axis DB " + " ".join(dbs))
        if len(pys) * len(dbs) > 1 and draw(st.booleans()):
            lines.append(f"        exclude PY={pys[0]} DB={dbs[-1]}")
            used.add("matrix-exclude")
    if draw(st.booleans()):
        lines.append("        include PY=3.14" + (f" DB={dbs[0]}" if dbs else ""))
        used.add("matrix-include")
    if draw(st.booleans()):
        lines.append(f"        fail_fast {draw(st.sampled_from(['on', 'off']))}")
    # no max_parallel: GitHub's only (E317), and these builds run on both platforms
    lines.append("      }")
    used.add("matrix")
    return lines


@st.composite
def build(draw, name: str, kind: str, inputs: list[str], produces: str | None, used: set) -> list[str]:
    lines = [f"    {kind} {name} {{"]
    if inputs:
        lines.append("      from " + " ".join(inputs))
    # the build's platform (docs/language.md, "os and arch"): Windows takes no image, a runtime
    # only in a version CodeBuild's Windows image has, no finally or continue, and one input;
    # arm64 runs on the aarch64 Amazon Linux image
    platform = draw(st.sampled_from(["linux", "linux", "linux", "linux", "windows", "arm64"]))
    if platform == "windows" and len(inputs) > 1:
        platform = "linux"
    matrix = not produces and draw(st.integers(0, 3)) == 0
    if platform == "windows":
        lines.append("      os windows")
        used.add("os-windows")
    else:
        image = "amazonlinux" if platform == "arm64" else draw(st.sampled_from(["ubuntu", "ubuntu", "amazonlinux"]))
        lines.append(f"      image {image}")
        if platform == "arm64":
            lines.append("      arch arm64")
            used.add("arch-arm64")
    if matrix:
        lines += draw(matrices(used))
    if platform != "windows" and draw(st.booleans()):
        rt = draw(st.sampled_from(["nodejs 20", "python 3.12", "java corretto21", "golang 1.22"]
                                  + (['python "$PY"'] if matrix else [])))
        lines.append(f"      runtime {rt}")
        used.add("runtime")
    elif platform == "windows" and draw(st.booleans()):  # a version CodeBuild's Windows image has
        rt = draw(st.sampled_from(["nodejs 22.13", "python 3.12", "java corretto17", "dotnet 8.0"]))
        lines.append(f"      runtime {rt}")
        used.add("runtime-windows")
    if draw(st.booleans()):
        lines.append("      env STAGE = test")
    if draw(st.booleans()):  # named like the pipeline's variable, when it has one: the variable wins
        lines.append("      env LEVEL = debug")
        used.add("env-named-like-a-variable")
    secret = draw(st.sampled_from([None, "ssm", "secrets-manager", "github"]))
    if secret == "ssm":
        lines.append('      secret DB_PASSWORD from ssm "/app/db"')
    elif secret in ("secrets-manager", "github"):  # github: the same secret, from GitHub there
        lines.append('      secret API_TOKEN from secrets-manager "app/token:key"')
    if secret:
        used.add(f"secret-{secret}")
    phases = draw(st.lists(st.sampled_from(["install", "pre_build", "build", "post_build"]),
                           min_size=1, max_size=4, unique=True))
    for ph in ["install", "pre_build", "build", "post_build"]:
        if ph not in phases:
            continue
        cmds = draw(commands())
        style = draw(st.integers(0, 1 if platform == "windows" else 3))
        if style == 0:
            lines.append(f"      {ph} " + " ".join(c for c in cmds if "\n" not in c) if all("\n" not in c for c in cmds)
                         else f"      {ph} " + cmds[0])
        else:
            lines.append(f"      {ph} {{")
            for c in cmds:
                lines.append(f"        run {c}")
            if style >= 2:
                lines.append('        finally "rm -rf tmp"')
                used.add("finally")
            if style == 3:
                lines.append("        on_failure continue")
                used.add("on_failure")
            lines.append("      }")
    if not matrix and draw(st.booleans()):
        lines.append('      cache "node_modules/**/*"')
        used.add("cache")
    if draw(st.integers(0, 3)) == 0:
        lines.append("      report unit junit files unit.xml base reports")
        used.add("report")
    if produces:
        base = draw(st.sampled_from([None, "dist", "out/site"]))
        flat = draw(st.integers(0, 4)) == 0
        line = f'      artifact {produces} files "**/*"'
        if base:
            line += f" base {_quote(base)}"
        if flat:
            line += " discard_paths"
            used.add("discard_paths")
        lines.append(line)
    if secret == "github":
        lines += ["      github {", '        secret API_TOKEN from github APP_TOKEN', "      }"]
    lines.append("    }")
    return lines


@st.composite
def deploy(draw, name: str, artifact: str, stage: str, used: set, only: str | None = None) -> list[str]:
    kind = only or draw(st.sampled_from(["ec2", "ecs", "ecs-rolling", "lambda", "cloudformation", "s3"]))
    used.add(f"deploy-{kind}")
    if kind == "ec2":
        strategy = draw(st.sampled_from(["all-at-once", "rolling one-at-a-time", "rolling half-at-a-time",
                                         "rolling min_healthy 75%"]))
        lines = [f"    deploy {name} to ec2 {{", f"      from {artifact}", f"      instances tag Env = {stage}",
                 f"      strategy {strategy}", '      copy "/" to "/srv/app"',
                 '      hook validate_service "scripts/check.sh" timeout 60s']
    elif kind in ("ecs", "ecs-rolling"):
        lines = [f"    deploy {name} to ecs {{", f"      from {artifact}", "      cluster main",
                 f"      service {name}"]
        if kind == "ecs-rolling":
            lines.append("      strategy rolling")
        else:
            strategy = draw(st.sampled_from(["blue-green", "canary 10% then rest after 5m",
                                             "linear 10% every 3m", "canary 20% then rest after 7m"]))
            lines += ["      container web port 8080",
                      '      listener "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"',
                      f"      target_groups {name}-blue {name}-green", f"      strategy {strategy}"]
    elif kind == "lambda":
        strategy = draw(st.sampled_from(["all-at-once", "canary 10% then rest after 5m", "linear 10% every 1m"]))
        lines = [f"    deploy {name} to lambda {{", f"      function fn-{name}", "      alias live",
                 f"      strategy {strategy}"]
    elif kind == "cloudformation":
        lines = [f"    deploy {name} to cloudformation {{", f"      from {artifact}", f"      stack st-{name}",
                 "      template packaged.yaml", "      parameter Stage = test", "      capabilities iam"]
        if draw(st.booleans()):
            lines.append("      change_set cs1")
        lines.append("    }")
        return lines
    else:
        lines = [f"    deploy {name} to s3 {{", f"      from {artifact}", f"      bucket bucket-{name}",
                 "      extract" if draw(st.booleans()) else '      object_key "site.zip"']
        lines.append("    }")
        return lines
    rollback = draw(st.sampled_from(["rollback on failure", "rollback on failure alarm Errors5xx", "rollback none"]))
    if "alarm" in rollback and kind in ("ec2", "ecs-rolling"):
        rollback = "rollback on failure"
    if kind != "ecs-rolling":
        lines.append(f"      {rollback}")
    lines.append("    }")
    return lines


@st.composite
def approval(draw, name: str, used: set) -> list[str]:
    used.add("approve")
    lines = [f"    approve {name} {{"]
    if draw(st.booleans()):
        lines.append('      message "Ship it?"')
    if draw(st.booleans()):
        lines.append('      url "https://example.com/review"')
    notify = draw(st.sampled_from([None, "email", "topic"]))
    if notify == "email":
        lines.append('      notify email "team@example.com"')
    elif notify == "topic":
        lines.append('      notify topic "arn:aws:sns:us-east-1:123456789012:releases"')
    lines.append(f"      timeout {draw(st.sampled_from(['1d', '7d', '30d']))}")
    if draw(st.booleans()):
        lines += ["      github {", '        reviewers "my-org/leads"', "      }"]
    lines.append("    }")
    return lines


#: the pipeline's own place when a generated pipeline places actions elsewhere, and the places drawn
OWN_ACCOUNT, OWN_REGION = "111111111111", "us-east-1"
_PLACES = [("222222222222", None), ("333333333333", None), (None, "eu-west-1"), ("222222222222", "eu-west-1"),
           ("333333333333", "ap-southeast-2"), (OWN_ACCOUNT, OWN_REGION)]


def placed(draw, lines: list[str], used: set) -> list[str]:
    """``lines`` of a deploy or invoke action, sometimes with an ``aws { account region }`` block
    (issue 27): another account, another Region, both, or the pipeline's own written out."""
    if not draw(st.booleans()):
        return lines
    account, region = draw(st.sampled_from(_PLACES))
    used.add("placed")
    block = ["      aws {", *([f"        account {account}"] if account else []),
             *([f"        region {region}"] if region else []), "      }"]
    return lines[:-1] + block + lines[-1:]


def _place_all(draw, lines: list[str], used: set) -> list[str]:
    """The pipeline's own place after its first line, and some deploys and invokes placed
    elsewhere (Lambda deployments stay home: E407 elsewhere). Drawn after everything else, so the
    pipelines drawn before accounts and Regions existed are still drawn the same way."""
    out, i = [lines[0], "  aws {", f"    account {OWN_ACCOUNT}", f"    region {OWN_REGION}", "  }"], 1
    while i < len(lines):
        line = lines[i]
        head = line.strip()
        if (head.startswith("deploy ") and " to lambda " not in head) or head.startswith("invoke "):
            indent = len(line) - len(head)
            end = next(j for j in range(i + 1, len(lines)) if lines[j] == " " * indent + "}")
            action = [ln[indent - 4:] if indent >= 4 else ln for ln in lines[i:end + 1]]
            action = placed(draw, action, used)
            out += [" " * (indent - 4) + ln if indent >= 4 else ln for ln in action]
            i = end + 1
        else:
            out.append(line)
            i += 1
    return out


def _place_stages(draw, lines: list[str], used: set) -> list[str]:
    """Some stages without builds, tests or Lambda deployments placed elsewhere as a whole (their
    actions' own blocks still win): drawn after :func:`_place_all`, for the same reason."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not (line.startswith("  stage ") and line.endswith("{")):
            continue
        end = lines.index("  }", i)
        body = [ln.strip() for ln in lines[i:end]]
        if any(ln.startswith(("build ", "test ")) or " to lambda " in ln for ln in body):
            continue
        if not any(ln.startswith(("deploy ", "invoke ")) for ln in body):
            continue  # approvals only: nothing a place would move
        if draw(st.booleans()):
            account, region = draw(st.sampled_from(_PLACES[:-1]))  # somewhere else than the pipeline
            used.add("stage-placed")
            out += ["    aws {", *([f"      account {account}"] if account else []),
                    *([f"      region {region}"] if region else []), "    }"]
    return out


@st.composite
def pipelines(draw) -> tuple[str, frozenset]:
    """(source text, the constructs it uses)."""
    used: set = set()
    lines = ["pipeline gen {"]
    mode = draw(st.sampled_from([None, "superseded", "queued", "parallel"]))
    if mode:
        lines.append(f"  mode {mode}")
        used.add(f"mode-{mode}")
    if draw(st.booleans()):
        lines.append('  variable LEVEL = info description "log level"')
        used.add("variable")
    lines.append('  source app github "acme/gen" {')
    lines.append("    branch main")
    lines += ["    " + t for t in draw(triggers(used))]
    lines.append("  }")
    artifacts: list[str] = []
    n = 0
    for s in range(draw(st.integers(1, 4))):
        stage = f"s{s}"
        lines.append(f"  stage {stage} {{")
        if s and draw(st.integers(0, 5)) == 0:
            lines.append('    transition disabled "freeze"')
            used.add("transition")
        width = draw(st.integers(1, 3))
        group = []
        new_artifacts = []
        for _ in range(width):
            n += 1
            name = f"a{n}"
            kind = draw(st.sampled_from(["build", "test", "build", "deploy", "deploy", "approve", "invoke"]))
            if s == 0 and not group:
                kind = "build"  # something to deploy later
            if kind == "deploy" and not artifacts:
                kind = "lambda"  # a Lambda deployment needs no artifact
            if kind in ("build", "test"):
                produces = f"art{n}" if draw(st.integers(0, 3)) else None
                inputs = ["app"] + ([draw(st.sampled_from(artifacts))] if artifacts and draw(st.booleans()) else [])
                group.append(draw(build(name, kind, inputs, produces, used)))
                if produces:
                    new_artifacts.append(produces)
                used.add(kind)
            elif kind == "deploy" and artifacts:
                art = artifacts.pop(draw(st.integers(0, len(artifacts) - 1)))
                group.append(draw(deploy(name, art, stage, used)))
            elif kind == "lambda":
                group.append(draw(deploy(name, "", stage, used, only="lambda")))
            elif kind == "approve":
                group.append(draw(approval(name, used)))
            else:
                used.add("invoke")
                group.append([f"    invoke {name} {{", f"      function fn-{name}",
                              '      parameters "{\\"k\\": 1}"', "    }"])
        if len(group) > 1 and draw(st.booleans()):
            lines.append("    parallel {")
            lines += ["  " + ln for g in group for ln in g]
            lines.append("    }")
            used.add("parallel")
        else:
            lines += [ln for g in group for ln in g]
        artifacts += new_artifacts
        lines.append("  }")
    lines.append("}")
    if draw(st.booleans()):  # the pipeline's own place, deploys and invokes elsewhere (issue 27)
        lines = _place_all(draw, lines, used)
        lines = _place_stages(draw, lines, used)
    return "\n".join(lines) + "\n", frozenset(used)


#: pipelines that hold the run-time dimensions of issue 22 items 1, 2, 5, 18 and 20 (lock, change
#: sets after their block, the branch guard of manual runs, pull-request runs bound to GitHub,
#: approval gates) and of issue 27's stage places (few generated pipelines draw one):
#: tests/test_equivalence.py checks its mutations on them besides the examples
FLOW_PIPELINES = {
    "change-set-in-block": """\
pipeline flow {
  source app github "acme/flow" {
    branch main
    on push branches main
    on manual
  }
  stage build {
    build web {
      build "make"
      artifact site files "**/*" base "public"
      artifact infra files "template.yaml"
    }
  }
  stage staging {
    parallel {
      test integration {
        build "make integration"
      }
      deploy stack to cloudformation {
        from infra
        stack "flow-staging"
        template "template.yaml"
        change_set flow-release
      }
    }
    deploy site-staging to s3 {
      from site
      bucket "flow-staging-site"
      extract
    }
    test smoke {
      build "make smoke"
    }
  }
  stage production {
    approve release {
      message "Ship it?"
      timeout 30d
      github {
        reviewers "acme/release-managers"
      }
    }
    deploy site to s3 {
      from site
      bucket "flow-site"
      extract
    }
  }
}
""",
    "pull-requests-on-github": """\
pipeline prs {
  source app github "acme/prs" {
    branch main
    on push branches main
    on pull_request opened updated into main via github
  }
  stage build {
    build web {
      build "make"
      artifact site files "**/*" base "public"
    }
  }
  stage release {
    deploy site to s3 {
      from site
      bucket "prs-site"
      extract
    }
  }
}
""",
    "stage-placed": """\
pipeline staged {
  aws {
    account 111111111111
    region us-east-1
  }
  source app github "acme/staged"
  stage build {
    build web {
      build "make"
      artifact site files "**/*" base "public"
    }
  }
  stage production {
    aws {
      account 444444444444
      region eu-west-1
    }
    approve go {
      timeout 1d
    }
    deploy site to s3 {
      from site
      bucket "staged-site"
      extract
    }
    invoke purge {
      function "cdn-purge"
      aws {
        region us-east-1
      }
    }
  }
}
""",
}
