"""Rows built once for a whole test module, each test still starting from a clean copy.

A module-scoped fixture opens a transaction (`module_rows`), builds its rows in it and yields;
the function-scoped `db` of every test then nests its own transaction inside as a savepoint,
so whatever a test writes is rolled back to the module's rows, and the module's transaction is
rolled back after its last test. Works alike on SQLite and PostgreSQL. Only for modules whose
tests use `db` (never `transactional_db`, `live_server` or worker processes: those need
committed rows). The module asks for it with `pytestmark = pytest.mark.usefixtures(...)`, so
pytest opens the module's transaction before any test's (higher scopes are set up first).

Model instances built once are shared Python objects: a test's fixture hands out fresh ones
(`refetch`), so a test that changes an instance never leaks the change into the next test.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

from django.db import models, transaction


@contextmanager
def module_rows(django_db_blocker):
    """A transaction around a module's tests, rolled back at the end; the database is open
    (unblocked) only inside the `with` body's own `django_db_blocker.unblock()` blocks."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # As Django's TestCase marks its own: services' durable blocks may nest inside it.
        outer._from_testcase = True
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def refetch(value):
    """The same rows as fresh instances: a model, or a dataclass or dict of models (None kept)."""
    if isinstance(value, models.Model):
        return type(value)._default_manager.get(pk=value.pk)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fresh = {f.name: refetch(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return type(value)(**fresh)
    if isinstance(value, dict):
        return {k: refetch(v) for k, v in value.items()}
    return value
