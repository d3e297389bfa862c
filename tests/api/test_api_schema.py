"""The OpenAPI schema, its interactive docs (local assets only), and schemathesis against both.

Schemathesis loads the live schema from the WSGI app and sends every operation generated
requests (valid and invalid) with an owner's, an approver's and an operator's token, asserting
no 5xx and that every answer (status, content type, body) is one the schema documents. Bounded:
a few examples per operation, no coverage or stateful phase, so the run stays around a minute.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application

# One estate for the module (tests/shared.py): each test gets a clean copy of it.
pytestmark = pytest.mark.usefixtures("estate_once")

EXAMPLES_PER_OPERATION = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = SchemathesisConfig.from_dict(
    {
        "suppress-health-check": ["all"],
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
    }
)


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Django closes the database connection at the end of each WSGI request; inside a test's
    transaction that would close it under the test. Django's test client stops that the same
    way, for the length of the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded once, at collection: generating the schema reads no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
ROLES = ("owner", "approver", "operator")
# The same examples on every run, so CI is reproducible; SCHEMA_FUZZ=1 explores new ones (run
# it on PostgreSQL too: it found offsets PostgreSQL refuses that SQLite took).
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=os.environ.get("SCHEMA_FUZZ") != "1",
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# An operation's examples, drawn once per process and sent with each role's token: drawing
# them (Hypothesis) cost more CPU than the requests themselves, three times over.
_drawn: dict[str, list[Case]] = {}


def examples(operation) -> list[Case]:
    """The operation's generated cases, valid and invalid (the configured modes), as many as
    Hypothesis runs its test for with BOUNDED."""
    if operation.label not in _drawn:
        modes = CONFIG.projects.default.generation_for(operation=operation, phase="fuzzing").modes
        drawn: list[Case] = []

        @given(st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes]))
        @BOUNDED
        def draw(case):
            drawn.append(case)

        draw()
        _drawn[operation.label] = drawn
    return _drawn[operation.label]


def _token_headers(user) -> dict:
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


# Every operation with an owner's, an approver's and an operator's token, one test each; the
# three of an operation next to each other, so that one xdist worker runs them off one draw.
@pytest.mark.parametrize(
    ("operation", "role"),
    [pytest.param(op, role, id=f"{op.label}-{role}") for op in OPERATIONS for role in ROLES],
)
def test_schema_holds(operation, role, estate, users, wsgi_in_test_transaction):
    headers = _token_headers(users[role])
    cases = examples(operation)
    assert cases, operation.label
    for case in cases:
        case.call_and_validate(headers=headers, checks=CHECKS)


# --- the schema and the docs, read directly -----------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_openapi_3_and_lists_every_resource():
    response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/applications/",
        "/api/v1/applications/{id}/boot-order/",
        "/api/v1/vms/{id}/",
        "/api/v1/vms/opt-in/",
        "/api/v1/inventory/preview/",
        "/api/v1/inventory/commit/",
        "/api/v1/runs/",
        "/api/v1/findings/",
        "/api/v1/recommendations/{application}/",
        "/api/v1/drills/",
        "/api/v1/plans/{id}/approve/",
        "/api/v1/plans/{id}/pdf/",
        "/api/v1/plans/{id}/verify/",
        "/api/v1/clouds/",
        "/api/v1/prices/",
    ):
        assert path in paths, path
    vms = doc["paths"]["/api/v1/vms/"]["get"]
    names = {p["name"] for p in vms["parameters"]}
    assert {"page", "page_size", "ordering", "application", "opted_in", "q"} <= names
    assert set(vms["responses"]) >= {"200", "400", "401", "403", "404", "429"}
    assert doc["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    assert "tokenAuth" in doc["components"]["securitySchemes"]


@pytest.mark.django_db
def test_the_docs_page_uses_local_assets_only():
    response = APIClient().get("/api/v1/docs/", HTTP_HOST="localhost")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    hosts = set(re.findall(r"""https?://([^/"'\s]+)""", html))
    assert hosts <= {"localhost"}, f"the docs page reaches out to {hosts}"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    static = [a for a in assets if a.startswith("/static/")]
    assert static, "expected the Swagger UI assets to come from /static/"
    for asset in static:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local static file"


@pytest.mark.django_db
def test_the_docs_page_never_shows_the_online_validator_badge():
    # Swagger UI's StandaloneLayout adds a badge image fetched from validator.swagger.io; the
    # BaseLayout has none, and nothing in the page's configuration names a validator.
    client = APIClient()
    html = client.get("/api/v1/docs/", HTTP_HOST="localhost").content.decode()
    # The start-up script is a file of its own (no inline script under the CSP).
    assert '<script src="/api/v1/docs/?script="></script>' in html
    script = client.get("/api/v1/docs/?script=", HTTP_HOST="localhost")
    assert script["Content-Type"].startswith("application/javascript")
    page = html + script.content.decode()
    assert 'layout: "BaseLayout"' in page
    assert "StandaloneLayout" not in page and "validator.swagger.io" not in page
