"""/healthz reports the database and the broker, each ok or failing, never a 500."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthy_with_a_real_redis(client, redis):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def _broker_down_response(client):
    from portal.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    try:
        app.pool.force_close_all()
        with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
            return client.get("/healthz")
    finally:
        app.conf.broker_url = old
        app.pool.force_close_all()


def test_broker_down_is_reported_not_a_500_without_its_error_text(client, redis_server):
    response = _broker_down_response(client)
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "failing"}
    assert "127.0.0.1" not in response.content.decode()


def test_an_operator_sees_the_error_text(client, olga, redis_server):
    client.force_login(olga)
    response = _broker_down_response(client)
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("failing: ") and len(body["broker"]) > len("failing: ")


def test_an_owner_does_not(client, alice, redis_server):
    client.force_login(alice)
    assert _broker_down_response(client).json()["broker"] == "failing"
