"""``pipec explain``: the plain-English narration of a pipeline (:mod:`pipec.explain`).

Golden files: ``tests/golden-explain/<stem>.txt`` is the neutral narration of
``examples/<stem>.pipe``; ``<stem>.aws.txt`` and ``<stem>.github.txt`` narrate one platform. They
are compared byte for byte. After an intended change, regenerate and review them::

    PIPEC_REGEN=1 .venv/bin/python -m pytest tests/test_explain.py -k golden
    git diff tests/golden-explain
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipec import compile_file, compile_text, model
from pipec.diagnostics import Diagnostic, WARNING
from pipec.explain import WIDTH, explain
from pipec.explain_triggers import cron_text, pattern_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
GOLDEN = Path(__file__).resolve().parent / "golden-explain"
REGEN = os.environ.get("PIPEC_REGEN") == "1"
REFERENCE = ROOT / "examples" / "02-reference.pipe"
TARGETS = (None, "aws", "github")


def _compile(path: Path):
    # the path as the golden files see it: relative to the repository, whatever the cwd
    return compile_text(path.read_text(encoding="utf-8"), f"examples/{path.name}")


def _golden_name(stem: str, target) -> str:
    return f"{stem}.txt" if target is None else f"{stem}.{target}.txt"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t or "neutral")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden(path, target):
    pipeline, warnings = _compile(path)
    text = explain(pipeline, warnings, target=target)
    golden = GOLDEN / _golden_name(path.stem, target)
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(text.encode("utf-8"))
    assert golden.is_file(), f"missing {golden}; run with PIPEC_REGEN=1"
    assert text.encode("utf-8") == golden.read_bytes(), f"{golden.name} differs; PIPEC_REGEN=1 to update"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden_brief(path):
    pipeline, warnings = _compile(path)
    text = explain(pipeline, warnings, brief=True)
    golden = GOLDEN / f"{path.stem}.brief.txt"
    if REGEN:
        golden.write_bytes(text.encode("utf-8"))
    assert golden.is_file(), f"missing {golden}; run with PIPEC_REGEN=1"
    assert text.encode("utf-8") == golden.read_bytes(), f"{golden.name} differs; PIPEC_REGEN=1 to update"


def test_no_stale_goldens():
    expected = {_golden_name(p.stem, t) for p in EXAMPLES for t in TARGETS} | {f"{p.stem}.brief.txt" for p in EXAMPLES}
    assert {f.name for f in GOLDEN.glob("*.txt")} == expected


def _reference(target=None) -> str:
    pipeline, warnings = _compile(REFERENCE)
    return explain(pipeline, warnings, target=target)


def test_reference_trigger_sentence():
    text = _reference()
    line = " ".join(text.split())
    assert "a push to main that changes files under src/" in line
    assert "except files under docs/" in line


def test_reference_canary_and_approval():
    text = " ".join(_reference().split())
    assert "10% first, then, if nothing goes wrong for 5 minutes, the remaining 90%" in text
    assert "blast radius: 10% of the traffic for 5 minutes" in text
    assert "Waits up to 7 days" in text
    assert "HighErrorRate" in text


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t or "neutral")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_action_is_named_and_lines_fit(path, target):
    pipeline, warnings = _compile(path)
    text = explain(pipeline, warnings, target=target)
    stages = pipeline.stages if target is None else [s for s in pipeline.stages if s.platform in (None, target)]
    for stage in stages:
        for a in stage.actions:
            assert a.name in text, a.name
    for line in text.splitlines():
        # only a single unbreakable word (an ARN, a URL) may run past the width
        assert len(line) <= WIDTH or " " not in line.strip()[2:], line


def test_neutral_ends_with_the_platform_differences():
    text = _reference()
    section = text.split("Differences between the two platforms\n", 1)[1]
    assert "W509" in section and "W508" in section
    assert "7 days on CodePipeline and after 30 days on GitHub" in " ".join(section.split())


NO_DIFFERENCES = """
pipeline same {
  source app github "my-org/app" {
    on manual
  }
  stage build {
    build web {
      build "make"
    }
  }
}
"""


def test_no_differences_says_none():
    # a shared push trigger has W519 (pushes GitHub does not run), so the pipeline is started by hand
    pipeline, warnings = compile_text(NO_DIFFERENCES, "same.pipe")
    text = explain(pipeline, warnings)
    assert text.rstrip().endswith("none: both outputs do the same thing for this pipeline.")


def test_given_platform_warnings_are_used():
    pipeline, warnings = _compile(REFERENCE)
    mine = [Diagnostic("W511", WARNING, "a made-up difference", None)]
    text = explain(pipeline, warnings, platform_warnings=mine)
    section = text.split("Differences between the two platforms\n", 1)[1]
    assert "W511: a made-up difference." in section
    assert "W509" not in section


REFUSED = """
pipeline refused {
  source app github "my-org/app"
  stage build {
    build container {
      image ecr "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/builder:1"
      build "make"
    }
  }
}
"""


def test_a_target_that_refuses_is_reported():
    pipeline, warnings = compile_text(REFUSED, "refused.pipe")
    text = " ".join(explain(pipeline, warnings).split())
    assert "GitHub Actions cannot express this pipeline: E410" in text
    gh = " ".join(explain(pipeline, warnings, target="github").split())
    assert gh.startswith("Pipeline refused on GitHub Actions")
    assert "GitHub Actions cannot express this pipeline: E410" in gh
    assert ". No workflow would be generated; below is what the pipeline means. What starts it" in gh
    assert "container" in gh


def test_platform_vocabulary():
    aws = _reference("aws")
    for word in ("RunOrder 1", "CodeBuild project my-app-web", "BUILD_GENERAL1_MEDIUM",
                 "CodeDeployDefault.OneAtATime", "CodeDeployDefault.ECSCanary10Percent5Minutes",
                 "Manual approval action, TimeoutInMinutes 10080", "pipeline type V2", "Trigger (V2)"):
        assert word in aws, word
    gh = _reference("github")
    for word in ("Job web-staging", "needs web", "environment staging", "OIDC role my-app-gh-web-prod",
                 "concurrency group", "push: branches main"):
        assert word in " ".join(gh.split()), word
    assert "RunOrder" not in gh


def test_disabled_transition_in_each_voice():
    pipeline, warnings = _compile(ROOT / "examples" / "10-static-site-s3.pipe")
    neutral = " ".join(explain(pipeline, warnings).split())
    assert "Runs stop before this stage until someone enables its transition" in neutral
    assert "DisableInboundStageTransitions" in explain(pipeline, warnings, target="aws")
    assert "W510" in explain(pipeline, warnings, target="github")


@pytest.mark.parametrize("pattern,kind,words", [
    ("main", "branch", "main"),
    ("release/**", "branch", "any branch under release/"),
    ("release/*", "branch", "any branch directly under release/"),
    ("src/**", "path", "files under src/"),
    ("**/*.md", "path", "files ending in .md in any directory"),
    ("*.md", "path", "top-level files ending in .md"),
    ("**", "path", "any file"),
    ("{src,lib}/**", "path", "files under src/ or files under lib/"),
    ("v[0-9]*", "tag", 'any tag matching "v[0-9]*"'),
    ("a/**/b", "path", 'files matching "a/**/b"'),
])
def test_patterns_in_words(pattern, kind, words):
    assert pattern_text(pattern, kind) == words


@pytest.mark.parametrize("cron,words", [
    ("30 2 * * MON-FRI", "at 02:30 UTC, Monday to Friday"),
    ("0 6,18 * * *", "at 06:00 and 18:00 UTC, every day"),
    ("15 * * * *", "every hour at 15 minutes past the hour, UTC, every day"),
    ("0 3 1 * *", "at 03:00 UTC, on day 1 of each month"),
    ("0 9 * * SAT,SUN", "at 09:00 UTC, on Sundays and Saturdays"),
    ("*/15 6-18 * * MON-FRI", 'at the times of the cron expression "*/15 6-18 * * MON-FRI" (cron, UTC)'),
    ("0 0 * JAN *", 'at the times of the cron expression "0 0 * JAN *" (cron, UTC)'),
])
def test_schedules_in_words(cron, words):
    assert cron_text(cron) == words


def test_default_trigger_and_schedule_are_told():
    text = " ".join(_explain_file("08-hybrid-github-ci-aws-cd").split())
    assert "a push to main (the default for a source without 'on' lines)" in text
    assert "(GitHub Actions only)" in text and "(CodePipeline only)" in text
    text = " ".join(_explain_file("12-everything-else").split())
    assert "a schedule, at 05:30 UTC, Monday to Friday" in text


def _explain_file(stem, target=None):
    pipeline, warnings = _compile(ROOT / "examples" / f"{stem}.pipe")
    return explain(pipeline, warnings, target=target)


def test_secret_values_never_appear():
    pipeline, _ = _compile(REFERENCE)
    text = explain(pipeline)
    assert "production" not in text.split("Environment:", 1)[1].split("\n- ", 1)[0]  # NODE_ENV's value
    assert "/myapp/db-password" in text  # a secret's reference is fine


def test_unknown_target_is_refused():
    pipeline, _ = _compile(REFERENCE)
    with pytest.raises(ValueError):
        explain(pipeline, target="gitlab")


def test_fast_enough():
    pipeline, warnings = _compile(REFERENCE)
    explain(pipeline, warnings)  # warm up imports
    start = time.perf_counter()
    explain(pipeline, warnings)
    assert time.perf_counter() - start < 0.5


def test_deterministic_across_hash_seeds():
    code = ("import sys; from pipec import compile_file; from pipec.explain import explain; "
            "p, w = compile_file('examples/12-everything-else.pipe'); "
            "sys.stdout.write(explain(p, w) + explain(p, w, target='aws') + explain(p, w, target='github'))")
    outs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.append(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                   check=True).stdout)
    assert outs[0] == outs[1] and outs[0]


def test_model_is_what_it_narrates():
    # compile_file and compile_text give the same narration (the file name is not part of it)
    a = explain(compile_file(str(REFERENCE))[0])
    b = explain(_compile(REFERENCE)[0])
    assert a == b
    assert isinstance(_compile(REFERENCE)[0], model.Pipeline)


# ----------------------------------------------------------------------------- issue 29, item 4


FAILURE_RULE = "If a command fails (non-zero exit status)"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t or "neutral")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_failure_rule_said_once_per_pipeline(path, target):
    pipeline, warnings = _compile(path)
    text = " ".join(explain(pipeline, warnings, target=target).split())
    builds = sum(isinstance(a, model.Build) for a in pipeline.actions())
    assert text.count(FAILURE_RULE) == (1 if builds else 0)


def test_hybrid_stages_are_not_said_to_run_one_after_another():
    pipeline, warnings = _compile(ROOT / "examples" / "08-hybrid-github-ci-aws-cd.pipe")
    text = " ".join(explain(pipeline, warnings).split())
    overview = text.split("Mode ")[0]
    assert "The stages are not one run: pr-checks on GitHub Actions; build, staging and production on " \
           "CodePipeline" in overview
    assert not overview.split("Source -> ")[1].split(". ")[1].startswith("Stages run one after another")


def test_github_only_job_has_no_codebuild_compute():
    pipeline, warnings = _compile(ROOT / "examples" / "08-hybrid-github-ci-aws-cd.pipe")
    for target in (None, "github"):
        text = " ".join(explain(pipeline, warnings, target=target).split())
        lint = text.split("lint: test")[1].split("Input:")[0]
        assert "vCPUs" not in lint and "compute" not in lint and "GitHub runner" in lint, target
    # integration runs in CodeBuild (run_in_codebuild): compute applies to it
    text = " ".join(explain(pipeline, warnings).split())
    assert "compute small (2 vCPUs, 3 GB)" in text.split("integration: test")[1].split("Input:")[0]


def test_local_cache_is_not_said_to_be_kept_between_runs():
    text = explain(*compile_text(
        'pipeline p {\n source app github "o/r" {\n branch main\n }\n stage b {\n build x {\n'
        '  build "make"\n  cache "node_modules/**/*"\n }\n }\n}\n', "p.pipe"))
    flat = " ".join(text.split())
    assert "kept between runs" not in flat
    assert "kept on the build host, for later builds on that same host only" in flat


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_brief_is_about_a_screen_and_says_each_fact_once(path):
    pipeline, warnings = _compile(path)
    text = explain(pipeline, warnings, brief=True)
    assert len(text.splitlines()) <= 60
    full = explain(pipeline, warnings)
    assert len(text.split()) <= min(450, 0.6 * len(full.split()))
    sentences = [s.strip() for s in " ".join(text.split()).split(". ") if len(s.strip()) > 30]
    assert len(sentences) == len(set(sentences)), [s for s in sentences if sentences.count(s) > 1]


@pytest.mark.parametrize("strategy,phrase", [
    ("all-at-once", "every one of the instances of the Auto Scaling group web-asg"),
    ("rolling one-at-a-time", "updates the instances of the Auto Scaling group web-asg in place"),
])
def test_an_auto_scaling_group_fleet_is_named_without_a_doubled_article(strategy, phrase):
    from pipec.explain_strategies import strategy_text

    text = f"""pipeline asg {{
  source app github "acme/asg" {{
    branch main
    on push branches main
  }}
  stage build {{
    build web {{
      build "make"
      artifact revision files "**/*"
    }}
  }}
  stage deploy {{
    deploy web-prod to ec2 {{
      from revision
      autoscaling web-asg
      strategy {strategy}
    }}
  }}
}}
"""
    pipeline, _ = compile_text(text, "asg.pipe")
    deploy = next(a for st in pipeline.stages for a in st.actions if isinstance(a, model.Deploy))
    what, _ = strategy_text(deploy)
    assert phrase in what.replace("\n", " ") and "the the" not in what, what
