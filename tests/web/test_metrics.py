"""/metrics: Prometheus text for operators or loopback scrapers; counts add up across
processes because they live in Redis and the database."""

import pytest

from planner.demo import seed
from planner.models import Trigger
from planner.services import runs

pytestmark = pytest.mark.django_db


def test_metrics_from_loopback_show_requests_queues_runs_and_nightly(client, redis):
    seed(apps=4, vms=20, seed=1, password="x")
    run = runs.run_sync(runs.request_run(trigger=Trigger.NIGHTLY, dispatch=False))
    client.get("/healthz")
    client.get("/healthz")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'planner_http_requests_total{method="GET",status="2xx"} 2' in body
    assert 'planner_queue_depth{queue="sizing"} 0' in body
    assert "planner_broker_up 1" in body
    assert 'planner_sizing_runs{status="succeeded"} 1' in body
    assert f"planner_last_nightly_run_timestamp_seconds {int(run.finished_at.timestamp())}" in body
    assert "planner_sizing_run_seconds_count 1" in body
    assert "# TYPE planner_queue_depth gauge" in body


def test_metrics_refuse_remote_non_operators_and_allow_operators(client, alice, olga, redis):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.force_login(alice)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.force_login(olga)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_requests_still_served_and_metrics_say_so_when_redis_is_down(client, redis_server):
    redis_server.stop()
    try:
        assert client.get("/healthz").status_code == 503  # served, not a 500
        body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
        assert "planner_broker_up 0" in body
    finally:
        redis_server.start()
