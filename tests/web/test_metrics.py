"""/metrics: Prometheus text for a scraper with METRICS_TOKEN or a signed-in operator; counts
add up across processes because they live in Redis and the database."""

import pytest

from planner.demo import seed
from planner.models import Trigger
from planner.services import runs

pytestmark = pytest.mark.django_db


TOKEN = "scrape-token-0123456789abcdef"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_with_the_token_show_requests_queues_runs_and_nightly(client, redis):
    seed(apps=4, vms=20, seed=1, password="x")
    run = runs.run_sync(runs.request_run(trigger=Trigger.NIGHTLY, dispatch=False))
    client.get("/healthz")
    client.get("/healthz")
    body = client.get("/metrics", **BEARER).content.decode()
    assert 'planner_http_requests_total{method="GET",status="2xx"} 2' in body
    assert 'planner_queue_depth{queue="sizing"} 0' in body
    assert "planner_broker_up 1" in body
    assert 'planner_sizing_runs{status="succeeded"} 1' in body
    assert f"planner_last_nightly_run_timestamp_seconds {int(run.finished_at.timestamp())}" in body
    assert "planner_sizing_run_seconds_count 1" in body
    assert "# TYPE planner_queue_depth gauge" in body


def test_metrics_refuse_loopback_non_operators_and_wrong_tokens(client, alice, olga, redis):
    # Behind a local TLS proxy every request comes from loopback: that proves nothing.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 403
    assert client.get("/metrics", **BEARER).status_code == 200
    client.force_login(alice)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.force_login(olga)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_without_a_token_setting_no_bearer_is_accepted(client, settings, redis):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 403


def test_requests_still_served_and_metrics_say_so_when_redis_is_down(client, redis_server):
    redis_server.stop()
    try:
        assert client.get("/healthz").status_code == 503  # served, not a 500
        body = client.get("/metrics", **BEARER).content.decode()
        assert "planner_broker_up 0" in body
    finally:
        redis_server.start()
