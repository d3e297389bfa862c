"""Rows built once per module (tests/shared.py): every test sees them as built, whatever the
test before it wrote, and a service's durable transaction still runs inside them."""

from __future__ import annotations

import pytest
from django.db import transaction

from planner.models import Application
from tests.conftest import _user
from tests.factories import ApplicationFactory
from tests.shared import module_rows, refetch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rows")]


@pytest.fixture(scope="module")
def rows(django_db_setup, django_db_blocker):
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock(), transaction.atomic(durable=True):
            app = ApplicationFactory(name="built-once", owner=_user("alice", "owners"))
        yield {"app": app}


@pytest.fixture
def app(rows):
    return refetch(rows)["app"]


# The three tests run in this order in one process: each finds what the first one changed undone.
@pytest.mark.parametrize("run", [1, 2, 3])
def test_a_write_is_undone_before_the_next_test(app, alice, run):
    assert app.name == "built-once" and app.owner == alice
    assert Application.objects.filter(name__startswith="written-by-").count() == 0
    app.name = f"written-by-{run}"
    app.save()
    ApplicationFactory(name=f"written-by-{run}-new", owner=alice)
    assert Application.objects.filter(name__startswith="written-by-").count() == 2


def test_instances_are_fresh_for_each_test(rows, app):
    assert app is not rows["app"]
    app.name = "changed-in-memory"
    assert refetch(rows)["app"].name == "built-once"


def test_a_durable_transaction_runs_in_a_test(app):
    with transaction.atomic(durable=True):
        app.name = "durable"
        app.save()
    assert Application.objects.get(pk=app.pk).name == "durable"
