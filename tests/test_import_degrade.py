"""Issue 25: every pipeline imports (Successful or Partial), builds, and loses nothing silently.

One regression test per defect of the issue, each from a small input written here (the real
corpus is not part of the repository; bench/import_fidelity.py measures it)."""

from __future__ import annotations

import textwrap

import pytest

from pipec import compile_text, importer
from pipec.build import EmitContext, generate


def run(text: str, file: str = "ci.yml", **kw) -> importer.Result:
    r = importer.import_one(file, textwrap.dedent(text), **kw)
    assert not any(d.code == "E699" for d in r.diagnostics), [d.message for d in r.diagnostics]
    return r


def builds(r: importer.Result, targets=("aws", "github")) -> dict:
    """The files the imported pipeline builds to: an import that does not build is a failure."""
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), (r.status, [d.message for d in r.diagnostics])
    pipeline, diags = compile_text(r.source, "imported.pipe")
    return generate(pipeline, EmitContext(source="imported.pipe", prefix=""), list(targets))


def code(r: importer.Result) -> str:
    return "\n".join(x.strip() for x in r.source.splitlines() if x.strip() and not x.strip().startswith("#"))


def constructs(r: importer.Result) -> list[str]:
    return [u.construct for u in r.unconverted]


# ----------------------------------------------------------------------------- YAML numbers


def test_a_yaml_number_keeps_the_text_written_in_a_buildspec():
    r = run("""\
        version: 0.2
        phases:
          install:
            runtime-versions:
              python: 3.10
          build:
            commands:
              - pytest
        """, "buildspec.yml")
    assert "runtime python 3.10" in code(r)
    builds(r)


def test_a_yaml_number_keeps_the_text_written_in_a_workflow():
    r = run("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: 3.10
              - run: pytest
        """)
    assert "runtime python 3.10" in code(r)


def test_numbers_still_compare_as_numbers():
    data = importer.load("a: 3.10\nb: 010\nc: 0x1F\n", "x.yml")
    assert data["a"] == 3.1 and str(data["a"]) == "3.10" and f"{data['a']}" == "3.10"
    assert data["c"] == 31 and str(data["c"]) == "0x1F" and data["c"] + 1 == 32


# ----------------------------------------------------------------------------- buildspecs


def test_a_legacy_buildspec_with_phases_under_containers_imports():
    r = run("""\
        version: 0.2
        containers:
          app:
            phases:
              build:
                commands:
                  - make
            artifacts:
              files:
                - out/**
        """, "buildspec.yml")
    assert r.status == importer.PARTIAL
    assert 'build "make"' in code(r) and 'files "out/**"' in code(r)
    assert "buildspec: containers layout" in constructs(r)
    builds(r)


def test_a_batch_only_buildspec_fails_until_written_instead_of_passing():
    r = run("""\
        version: 0.2
        batch:
          build-list:
            - identifier: linux
              buildspec: ci/linux.yml
        """, "buildspec.yml")
    assert r.status == importer.PARTIAL and "buildspec: batch" in constructs(r)
    assert 'build "true"' not in code(r)
    assert "exit 1" in code(r)
    assert any("write the build's commands" in t.text for t in r.tasks)
    builds(r)
