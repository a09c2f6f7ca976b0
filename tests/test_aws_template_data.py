"""pipec.targets.aws.template.template_data: the template as plain data in one walk, which must be
exactly what troposphere's Template.to_dict gives (the same validation, the same data, the same
order), for every template pipec writes: the AWS target's, its support and account templates, and
the GitHub target's companion and account templates. If a troposphere release changes how its
objects keep their properties, these tests fail before a template does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from troposphere import Template, encode_to_dict
from troposphere import codepipeline as cp

from pipec import compile_text
from pipec.build import context_for, generate_by_target
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import template

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
sys.path.insert(0, str(ROOT / "bench"))


def _pipelines():
    from perf import generate_pipe  # the benchmark's pipeline: every stage kind, both platforms

    for path in EXAMPLES:
        yield path.name, path.read_text(encoding="utf-8")
    yield "perf-120", generate_pipe(120)


@pytest.mark.parametrize(("name", "text"), list(_pipelines()), ids=lambda v: v if len(v) < 40 else "")
def test_one_walk_gives_what_troposphere_gives(name, text, monkeypatch, tmp_path):
    one_walk = template._plain
    compared = []

    def both(data):
        made = one_walk(data)
        if isinstance(data, dict) and "Resources" in data:  # a whole template
            assert made == encode_to_dict(data)
            assert list(made) == list(encode_to_dict(data))
            compared.append(len(data["Resources"]))
        return made

    monkeypatch.setattr(template, "_plain", both)
    pipeline, _ = compile_text(text, str(tmp_path / "p.pipe"))
    ctx = context_for(str(tmp_path / "p.pipe"), str(tmp_path / "out"), str(tmp_path))
    try:
        made = generate_by_target(pipeline, ctx, ["aws", "github"])
    except Diagnostics as exc:  # an example that stops on purpose compares what it made first
        assert all(d.code.startswith("E") for d in exc.diagnostics)
        return
    templates = [rel for files in made.values() for rel in files if rel.endswith(".template.yaml")]
    assert len(compared) == len(templates) and sum(compared) > 0


def test_a_missing_required_property_is_refused_as_troposphere_refuses_it():
    t = Template()
    t.add_resource(cp.Pipeline("Pipeline", Name="p"))  # no RoleArn, no Stages
    with pytest.raises(ValueError) as troposphere_says:
        t.to_dict()
    with pytest.raises(ValueError) as pipec_says:
        template.template_data(t)
    assert str(pipec_says.value) == str(troposphere_says.value)


def test_an_object_without_validation_is_not_validated_and_one_without_properties_has_none():
    t = Template()
    t.add_resource(cp.Pipeline("Pipeline", Name="p").no_validation())
    t.add_resource(cp.Pipeline("Bare").no_validation())
    assert template.template_data(t) == t.to_dict() == {"Resources": {
        "Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {"Name": "p"}},
        "Bare": {"Type": "AWS::CodePipeline::Pipeline"}}}
