"""Fixtures of the API tests: the estate of tests/api/support.py, the users by role, and a
throttle counted per test in local memory (so one test's burst never throttles another's), and
a media directory per test."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from portal.api import throttling
from tests.api.support import Estate, build_estate


@pytest.fixture
def estate(alice, bob, carol, olga) -> Estate:
    return build_estate(alice, bob)


@pytest.fixture
def users(alice, bob, carol, olga) -> dict:
    return {
        "anonymous": None,
        "owner": alice,
        "other owner": bob,
        "approver": carol,
        "operator": olga,
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Plan PDFs the API stores land in the test's own directory, not under var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def isolated_throttle(settings):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-tests",
        },
    }
    caches["throttle"].clear()
    throttling.reset()
    yield
    throttling.reset()
