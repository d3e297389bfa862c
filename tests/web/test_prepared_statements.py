"""On PostgreSQL the web processes prepare the statements they run again (portal/settings.py,
DB_PREPARED_STATEMENTS): PostgreSQL plans a page's repeated queries once per connection instead
of at every page (issue 19). SQLite has no such thing: skipped there."""

import re

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_twice_is_prepared_once(client, alice):
    from planner.models import Application

    def query():
        return list(Application.objects.filter(owner=alice, name__startswith="x").values("pk"))

    query()
    assert not [s for s in prepared() if "planner_application" in s]
    query()
    query()
    statements = [s for s in prepared() if "planner_application" in s]
    assert len(statements) == 1, statements
    assert "$1" in statements[0]  # the parameters travel apart from the SQL


def test_a_page_answers_the_same_when_its_queries_are_prepared(client, alice):
    client.force_login(alice)
    bodies = [
        re.sub(r'(csrfmiddlewaretoken" value="|csrf-token" content=")[^"]+', "", page)
        for page in (client.get("/apps/").content.decode() for _ in range(3))
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    assert "alice" in bodies[2]
    assert any("planner_application" in s for s in prepared())
