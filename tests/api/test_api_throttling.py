"""Throttling, counted in the real Redis the tests start: anonymous clients per address,
password attempts at /auth/token/ per address, signed-in users per user. Past the rate the
answer is a 429 in the API's error shape with ``Retry-After``; when Redis is down requests go
through (never a 500).

The rates are per day here, so a window boundary cannot fall inside a test (the windows are
fixed: a per-minute rate could reset between two requests and let the test pass by luck).
"""

from __future__ import annotations

import pytest

from portal.api import throttling
from tests.api.support import client_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def rates(settings, redis):
    """The throttle counted in the test Redis (emptied), at rates set by each test."""
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "KEY_PREFIX": "api-throttle",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    throttling.reset()

    def set_rates(anon="1000/day", user="1000/day", token="1000/day"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user, "token": token},
        }

    set_rates()
    return set_rates


def _assert_throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "throttled"
    assert "throttled" in body["detail"] and "seconds" in body["detail"]
    assert int(response["Retry-After"]) > 0


def test_anonymous_requests_are_throttled_per_address(rates, redis):
    rates(anon="3/day")
    anonymous = client_for(None)
    for _ in range(3):
        assert anonymous.get("/api/v1/no-such-thing/").status_code == 404
    _assert_throttled(anonymous.get("/api/v1/no-such-thing/"))
    _assert_throttled(anonymous.post("/api/v1/auth/token/", {"username": "x", "password": "y"}))
    from_elsewhere = client_for(None)
    response = from_elsewhere.get("/api/v1/no-such-thing/", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 404  # another address has its own count
    keys = redis.cli("--scan", "--pattern", "*throttle_anon*").split()
    assert len(keys) == 2, keys  # counted in Redis: every web process adds to the same count
    assert sorted(redis.cli("GET", key) for key in keys) == ["1", "5"]


def test_password_attempts_are_throttled_even_when_the_password_is_right(rates, alice):
    rates(token="2/day")
    client = client_for(None)
    for _ in range(2):
        response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "guess"})
        assert response.status_code == 400
    _assert_throttled(
        client.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-alice"})
    )


def test_signed_in_users_are_throttled_each_on_their_own(rates, alice, bob):
    rates(user="3/day")
    alices = client_for(alice)
    for _ in range(3):
        assert alices.get("/api/v1/auth/me/").status_code == 200
    _assert_throttled(alices.get("/api/v1/auth/me/"))
    _assert_throttled(alices.get("/api/v1/applications/"))
    assert client_for(bob).get("/api/v1/auth/me/").status_code == 200


def test_a_token_in_another_client_counts_for_the_same_user(rates, alice):
    rates(user="2/day")
    assert client_for(alice).get("/api/v1/auth/me/").status_code == 200
    assert client_for(alice).get("/api/v1/auth/me/").status_code == 200
    _assert_throttled(client_for(alice).get("/api/v1/auth/me/"))


def test_with_redis_down_requests_go_through_unthrottled(rates, redis, alice, caplog):
    rates(user="1/day")
    client = client_for(alice)
    assert client.get("/api/v1/auth/me/").status_code == 200
    _assert_throttled(client.get("/api/v1/auth/me/"))
    redis.stop()
    try:
        for _ in range(3):
            response = client.get("/api/v1/auth/me/")
            assert response.status_code == 200, response.content
    finally:
        redis.start()
    assert "throttle cache unavailable" in caplog.text


def test_a_forged_forwarded_for_does_not_reset_the_password_count(rates, alice):
    """NUM_PROXIES is BEHIND_PROXY (0 here): X-Forwarded-For is ignored, the address is the
    connection's, so a new header per attempt is still the same client."""
    rates(token="3/day")
    client = client_for(None)
    for i in range(3):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": f"guess-{i}", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
        assert response.status_code == 400
    _assert_throttled(
        client.post(
            "/api/v1/auth/token/",
            {"username": "alice", "password": "pw-alice"},
            HTTP_X_FORWARDED_FOR="198.51.100.99",
        )
    )


def test_behind_one_proxy_its_entry_is_the_client(rates, settings, alice):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(token="2/day")
    client = client_for(None)
    for _ in range(2):
        client.post(
            "/api/v1/auth/token/",
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.5",
        )
    _assert_throttled(
        client.post(
            "/api/v1/auth/token/",
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR="10.0.0.2, 203.0.113.5",
        )
    )
    other = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "pw-alice"},
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert other.status_code == 200  # another client behind the same proxy
