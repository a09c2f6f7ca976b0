"""Fuzzing the whole build with hostile strings (issue 23): refuse with a code, or write files
that parse, stay inside the output folder and keep the strings as data.

Inputs are grammar-aware: valid pipelines drawn by tests/pipelines.py, in which quoted values
are replaced by hostile strings (GitHub expressions, command substitutions, quotes, path
traversal, Fn::Sub references, Unicode line breaks, 100 kB values), then token-mutated
(tests/strategies.py ``mutations``) half of the time. For each input:

* the checker and every target either accept it or raise Diagnostics with known codes (never
  another exception, so never exit 3);
* every file the targets produce has a relative path without ``..`` (pipec writes nothing
  outside the output folder) and parses: YAML (CloudFormation's short tags allowed), JSON,
  and ``bash -n`` for shell scripts;
* no user text is evaluated by GitHub: the hostile expression appears in a workflow only as
  the literal ``${{ '${{' }}`` form, and no user ``${`` reaches an ``Fn::Sub``.

A sample of the built outputs then goes through the real validators in one batch
(:func:`test_sampled_outputs_pass_the_validators`): actionlint, zizmor and cfn-lint.

Example counts: 400 in the default profile; ``PIPEC_FUZZ_EXAMPLES=100000`` (with
``PIPEC_DEEP=1`` for random seeds) for the deep run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path, PurePosixPath

import pipelines as P
import pytest
import strategies as S
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

import pipec
from pipec.diagnostics import CODES, Diagnostics
from pipec.targets.escape import LITERAL_OPEN

import validators

EXAMPLES = int(os.environ.get("PIPEC_FUZZ_EXAMPLES", "400"))

HOSTILE = [
    "${{ github.event.issue.title }}",
    "$(touch /tmp/pipec-pwned)",
    "`touch /tmp/pipec-pwned`",
    "a'b\"c",
    "line one\nline two",
    "../../../../etc/passwd",
    "/etc/shadow",
    "${AWS::AccountId}",
    "${!Literal}",
    "a\u2028b\u2029c\x85d",
    "tab\there",
    "x" * 100_000,
    "--help",
    "-rf /",
    "*",
    "{a,b}",
    "\\",
    "café ☃ 𝄞",
    "PIPEC_EOF",
    "# comment",
    "key: value",
    "&anchor *alias !tag",
]

_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def pipe_string(value: str) -> str:
    """``value`` as a .pipe string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


@st.composite
def hostile_pipelines(draw) -> str:
    text, _used = draw(P.pipelines())
    spots = [m.span() for m in _STRING.finditer(text)]
    if spots:
        chosen = sorted(set(draw(st.lists(st.integers(0, len(spots) - 1), min_size=1, max_size=4))), reverse=True)
        for i in chosen:
            start, end = spots[i]
            text = text[:start] + pipe_string(draw(st.sampled_from(HOSTILE))) + text[end:]
    if draw(st.booleans()):
        text = draw(S.mutations(text))
    return text


class _AnyTagLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Ref``) read as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)

#: built outputs kept for the validator batch (a few per session)
SAMPLE: list[dict[str, str]] = []
SAMPLE_SIZE = 12


def _check_files(files: dict[str, str]):
    for rel, text in files.items():
        path = PurePosixPath(rel)
        assert not path.is_absolute() and ".." not in path.parts and "\\" not in rel and "\0" not in rel, rel
        assert all(part and part != "." for part in path.parts), rel
        if rel.endswith((".yml", ".yaml")):
            yaml.load(text, Loader=_AnyTagLoader)
        elif rel.endswith(".json"):
            json.loads(text)
        elif rel.endswith(".sh"):
            run = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
            assert run.returncode == 0, (rel, run.stderr)
        if rel.startswith(".github/workflows/"):
            evaluated = re.findall(r"\$\{\{[^}]*\}\}", text.replace(LITERAL_OPEN, "<literal>"))
            assert not [e for e in evaluated if "issue.title" in e], rel
        if rel.endswith(".template.yaml"):
            for sub in re.findall(r"Fn::Sub:[^\n]*", text):
                assert "${AWS::AccountId}" not in sub or "!AWS" not in sub, sub


@settings(max_examples=EXAMPLES)
@given(hostile_pipelines())
def test_hostile_pipelines_refuse_or_build_clean_files(text):
    from pipec.build import EmitContext, generate
    from pipec.targets import TARGETS

    try:
        pipeline, _ = pipec.compile_text(text, "fuzz.pipe")
    except Diagnostics as exc:
        assert exc.diagnostics and all(d.code in CODES for d in exc.diagnostics)
        event(f"refused by the checker: {exc.diagnostics[0].code}")
        return
    try:
        files = generate(pipeline, EmitContext(source="fuzz.pipe", prefix=""), list(TARGETS))
    except Diagnostics as exc:
        assert exc.diagnostics and all(d.code in CODES for d in exc.diagnostics)
        event(f"refused by a target: {exc.diagnostics[0].code}")
        return
    event("built")
    _check_files(files)
    if len(SAMPLE) < SAMPLE_SIZE and any(v in text for v in ("${{", "$(", "`")):
        SAMPLE.append(files)


def test_sampled_outputs_pass_the_validators(tmp_path):
    """The hostile builds above, through the real tools. shellcheck is off: the commands are the
    user's own shell (hostile on purpose), and shellcheck's opinion of them says nothing about
    pipec; pipec's own scripts are shellchecked on every example in test_github.py."""
    if not SAMPLE:
        pytest.fail("the property above built no hostile pipeline to validate (run the whole file)")
    workflows, templates = [], []
    for n, files in enumerate(SAMPLE):
        for rel, text in files.items():
            dest = tmp_path / str(n) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            if rel.startswith(".github/workflows/"):
                workflows.append(dest)
            elif rel.endswith(".template.yaml"):
                templates.append(dest)
    assert validators.actionlint_findings(workflows, shellcheck=False) == []
    assert validators.zizmor_findings(workflows, persona="regular") == []
    from cfnlint.api import ManualArgs, lint

    for path in templates:
        matches = lint(path.read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1"]))
        assert [f"{path}: {m.rule.id} {m.message}" for m in matches] == []
