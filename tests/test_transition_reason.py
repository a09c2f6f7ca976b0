"""The reason of a disabled transition as CodePipeline accepts it (pipec.resource_names
.transition_reason): 1 to 300 of ``[a-zA-Z0-9!@ ().*?-]`` (DisableStageTransition's ``reason``,
AWS::CodePipeline::Pipeline StageTransition ``Reason``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipec import compile_text
from pipec.build import EmitContext, generate_by_target
from pipec.resource_names import TRANSITION_REASON, transition_reason

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text,expected", [
    ("change freeze until Monday", "change freeze until Monday"),
    ("Marketing launch freeze until the campaign goes live; ask #www before enabling",
     "Marketing launch freeze until the campaign goes live - ask www before enabling"),
    ("Café: fermé, jusqu'à lundi", "Cafe - ferme - jusqua lundi"),
    ("a/b\nc", "a - b - c"),
    ("###", None),
    ("x" * 300, "x" * 300),
    ("x" * 301, None),
])
def test_transition_reason(text, expected):
    assert transition_reason(text) == expected
    assert expected is None or TRANSITION_REASON.fullmatch(expected)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.pipe")), ids=lambda p: p.stem)
def test_every_template_reason_is_one_codepipeline_accepts(path):
    """examples/10's reason has ';' and '#', which CodePipeline refuses: the template holds the
    reason written with the characters it accepts."""
    pipeline, _ = compile_text(path.read_text(encoding="utf-8"), path.name)
    import yaml

    files = generate_by_target(pipeline, EmitContext(source=path.name, prefix=""), ["aws"])["aws"]
    for rel, text in files.items():
        if rel.endswith(".template.yaml"):
            data = yaml.load(text, Loader=yaml.BaseLoader)
            for res in data.get("Resources", {}).values():
                for d in (res.get("Properties") or {}).get("DisableInboundStageTransitions") or ():
                    assert TRANSITION_REASON.fullmatch(d["Reason"]), d["Reason"]
