"""Shared pytest configuration.

Hypothesis profiles (used by test_formatter.py and test_fuzz.py):

* ``default``: deterministic (``derandomize=True``, no example database) and quick enough for CI:
  200 examples per formatter property, about 300 per fuzz property.
* ``deep``: selected with ``PIPEC_DEEP=1``; 10,000 examples per formatter property (15,000 per
  fuzz property), random seeds, and Hypothesis statistics printed at the end of the run.

``pytest --hypothesis-profile=NAME`` still overrides the choice.
"""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, Phase, settings

sys.path.insert(0, os.path.dirname(__file__))  # `import strategies` from the test modules

DEEP = os.environ.get("PIPEC_DEEP") == "1"

settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    # no explain phase: on a failure it replays variations of a whole tree; seconds, little gain
    phases=[p for p in Phase if p is not Phase.explain],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("deep" if DEEP else "default")


def pytest_configure(config):
    if DEEP:
        # same as passing --hypothesis-show-statistics
        config.option.hypothesis_show_statistics = True
