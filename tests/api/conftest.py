"""Fixtures of the API tests: the estate of tests/api/support.py, the users by role, and a
throttle counted per test in local memory (so one test's burst never throttles another's), and
a media directory per test."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from portal.api import throttling
from tests.api.support import USERS, Estate, build_estate
from tests.conftest import _user
from tests.shared import module_rows, refetch


@pytest.fixture(scope="module")
def estate_once(django_db_setup, django_db_blocker) -> Estate:
    """The estate built once for a module whose tests read it (tests/shared.py): a module asks
    for it with `pytestmark = pytest.mark.usefixtures("estate_once")`; `estate` then hands each
    test fresh instances of these rows, and whatever a test writes is rolled back after it."""
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            users = [_user(*role) for role in USERS]
            estate = build_estate(users[0], users[1])
        yield estate


@pytest.fixture
def estate(request, alice, bob, carol, olga) -> Estate:
    if "estate_once" in request.fixturenames:
        return refetch(request.getfixturevalue("estate_once"))
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
