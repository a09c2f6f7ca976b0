"""pipec.lazy_regex: module-level patterns compiled on first use (issue 18: start-up)."""

from __future__ import annotations

import re

from pipec import resource_names, setting_values
from pipec.lazy_regex import lazy


def test_compiles_on_first_use_and_answers_as_the_pattern():
    pattern = lazy(r"(ab)+", re.I)
    assert pattern._compiled is None and pattern.pattern == "(ab)+"
    assert pattern.fullmatch("ABab").group(1) == "ab"
    compiled = pattern._compiled
    assert compiled is re.compile(r"(ab)+", re.I) and pattern.flags == compiled.flags
    assert pattern.sub("-", "xabx") == "x-x" and pattern.split("xaby") == ["x", "ab", "y"]
    assert pattern._compiled is compiled  # once


def test_the_rules_still_check_names():
    rule, _words = resource_names.BUCKET
    assert rule.fullmatch("my-bucket.logs") and not rule.fullmatch("My_Bucket")
    assert setting_values.RULES["aws_region"][0].fullmatch("eu-west-1")
    assert resource_names.WORKSPACE_PATH[0].fullmatch("dist/**") and not resource_names.WORKSPACE_PATH[0].fullmatch("../x")
