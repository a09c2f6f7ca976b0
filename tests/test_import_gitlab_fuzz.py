"""Fuzzing the GitLab CI importer: no mutated ``.gitlab-ci.yml`` makes ``pipec import`` crash.

The inputs are the files under tests/gitlab-import/ (one per construct family), mutated as
tests/test_import_fuzz.py mutates the other kinds (values of other types and shapes, deleted
keys), plus raw text damage. Whatever comes in, the import ends in one of the four statuses,
never writes a pipeline ``pipec check`` rejects (E699), and points only at lines that exist.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_import_fuzz import PER_KIND, _plain, check, mutated

from pipec import importer

INPUTS = sorted((Path(__file__).resolve().parent / "gitlab-import").glob("*/.gitlab-ci.yml"))
TEXTS = [p.read_text(encoding="utf-8") for p in INPUTS]
#: the inputs as plain data (short tags such as !reference as their long form)
DATA = [yaml.safe_load(yaml.safe_dump(_plain(importer.load(t, "x.yml")))) for t in TEXTS]

RULES_ODD = st.sampled_from([
    "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "$CI_COMMIT_TAG =~ /^v(\\d+|x)$/", "$X && ($Y || $Z)",
    "$CI_PIPELINE_SOURCE != 'schedule'", "$CI_COMMIT_REF_NAME =~ /[/", "(", "==", "$CI_MERGE_REQUEST_IID",
    "/^(?!a)/", "never", "manual", "**/*", "1h 30m", "3 days", "parallel", "!reference", {"matrix": [{"A": [1, 2]}]},
    {"local": "missing.yml"}, {"job": "x", "artifacts": False}, [{"if": "$A"}, {"when": "never"}],
])


@st.composite
def gitlab_mutated(draw):
    base = draw(st.sampled_from(DATA))
    data = draw(mutated(base))
    if isinstance(data, dict) and data and draw(st.booleans()):
        # a value that the GitLab importer reads in a special way, somewhere in a job
        job = draw(st.sampled_from(sorted(str(k) for k in data)))
        if isinstance(data.get(job), dict):
            key = draw(st.sampled_from(["rules", "only", "except", "needs", "parallel", "timeout", "when",
                                        "include", "extends", "artifacts", "cache", "environment", "image",
                                        "variables", "script"]))
            data[job][key] = draw(RULES_ODD)
    return data


@PER_KIND
@given(gitlab_mutated())
def test_mutated_gitlab_files(data):
    check(yaml.safe_dump(data, sort_keys=False), ".gitlab-ci.yml", repository="acme/app")


@PER_KIND
@given(st.sampled_from(TEXTS),
       st.lists(st.tuples(st.integers(0, 1500), st.sampled_from(["", "\t", ":", "- ", "'", '"', "{", "]", "&a ",
                                                                 "*a", "!reference ", "\n  ", "#", "<<: "])),
                min_size=1, max_size=4),
       st.integers(0, 1500))
def test_damaged_gitlab_text(text, edits, cut):
    for pos, piece in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos + 1:]
    check(text[:max(cut, 1)] if cut < len(text) // 2 else text, ".gitlab-ci.yml")
