"""Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name
from one address, the portal's and the admin's sign-in refuse that pair (429), even with the
right password, until an operator unlocks it in the admin. The address is the socket's unless
BEHIND_PROXY says how many proxies' X-Forwarded-For entries to trust.
"""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

pytestmark = pytest.mark.django_db

LIMIT = 5


def _fail(client, url, username="alice", times=LIMIT, **extra):
    statuses = [
        client.post(url, {"username": username, "password": "wrong"}, **extra).status_code
        for _ in range(times)
    ]
    return statuses


def test_the_portal_locks_a_user_name_and_address_after_the_limit(settings, alice, caplog):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    client = Client()
    with caplog.at_level(logging.WARNING, logger="axes"):
        statuses = _fail(client, "/login/")
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with the error
    assert statuses[-1] == 429
    refused = client.post("/login/", {"username": "alice", "password": "pw-alice"})
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many failed sign-ins for &#x27;alice&#x27;" in text
    assert "15 minutes" in text and "ask an operator to unlock it" in text
    assert int(refused["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session  # not signed in
    assert any(
        "Locking out" in r.getMessage() and "alice" in r.getMessage() for r in caplog.records
    )
    # Another address, or another user name from this one, is not locked.
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.post("/login/", {"username": "alice", "password": "pw-alice"}).status_code == 302


def test_the_admin_login_is_throttled_the_same_way(olga):
    client = Client()
    statuses = _fail(client, "/admin/login/", username="olga")
    assert statuses[-1] == 429
    refused = client.post("/admin/login/", {"username": "olga", "password": "pw-olga"})
    assert refused.status_code == 429


def test_an_operator_unlocks_from_the_admin(alice, olga):
    client = Client()
    _fail(client, "/login/")
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == LIMIT
    operator = Client(REMOTE_ADDR="192.0.2.50")
    operator.force_login(olga)
    page = operator.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "alice" in page.content.decode()
    deleted = operator.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    signed_in = client.post("/login/", {"username": "alice", "password": "pw-alice"})
    assert signed_in.status_code == 302


def test_a_forged_forwarded_for_does_not_get_a_fresh_count(alice):
    client = Client()
    for i in range(LIMIT):
        client.post(
            "/login/",
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    refused = client.post(
        "/login/",
        {"username": "alice", "password": "pw-alice"},
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_one_proxy_the_proxys_entry_is_the_client(settings, alice):
    settings.BEHIND_PROXY = 1
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    header = "10.9.9.9, 203.0.113.5"  # the client wrote the first, our proxy appended the last
    _fail(proxy, "/login/", HTTP_X_FORWARDED_FOR=header)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]
    refused = proxy.post(
        "/login/",
        {"username": "alice", "password": "pw-alice"},
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5",
    )
    assert refused.status_code == 429
    # Another client behind the same proxy is not locked out.
    ok = proxy.post(
        "/login/",
        {"username": "alice", "password": "pw-alice"},
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert ok.status_code == 302


def test_the_api_token_endpoint_is_locked_out_too_in_the_api_error_shape(alice):
    client = Client()
    for _ in range(LIMIT):
        client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    refused = client.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-alice"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "locked_out" and "Too many failed sign-ins" in body["detail"]
