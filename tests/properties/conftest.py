"""Hypothesis profiles for the property tests.

"ci" (the default) is bounded and derandomised, so CI is quick and repeatable; ``HYPOTHESIS_PROFILE=fuzz`` runs
many more random examples for a local fuzzing session:
``HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest -q -p no:cacheprovider tests/properties``.
Tests that need the database take function-scoped fixtures once per test and undo each example themselves.
"""
import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
               database=None, print_blob=True)
settings.register_profile("ci", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def scaled(share: float) -> int:
    """A share of the profile's examples, for tests whose examples are slow (each one imports a workbook)."""
    return max(10, int(settings.default.max_examples * share))
