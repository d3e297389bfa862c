"""/healthz reports the database and the broker, each ok or failing, never a 500."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthy_with_a_real_redis(client, redis):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_broker_down_is_reported_not_a_500(client, redis_server):
    from portal.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    try:
        app.pool.force_close_all()
        with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
            response = app_response(client)
    finally:
        app.conf.broker_url = old
        app.pool.force_close_all()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["broker"].startswith("failing:")


def app_response(client):
    return client.get("/healthz")
