"""API tokens die with the credentials they were obtained with, and can expire.

A password change (the portal's, the admin's, ``set_password``) or a deactivation deletes the
user's token; Django's own re-hash of the same password at sign-in does not. With
API_TOKEN_TTL_DAYS a token older than that is refused with 401 and a new one is issued.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _token(username: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": f"pw-{username}"}
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/auth/me/").status_code


def test_a_password_change_revokes_the_token(alice):
    key = _token("alice")
    assert _me(key) == 200
    alice.set_password("a-new-long-password-1")
    alice.save()
    assert _me(key) == 401
    assert not Token.objects.filter(user=alice).exists()


def test_a_password_change_in_the_admin_revokes_it_too(olga, alice):
    key = _token("alice")
    operator = Client()
    operator.force_login(olga)
    olga.is_superuser = True  # the admin's password form needs change_user
    olga.save()
    response = operator.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": "another-long-password-2", "password2": "another-long-password-2"},
    )
    assert response.status_code == 302, response.content[:500]
    assert _me(key) == 401


def test_deactivation_revokes_the_token(alice):
    key = _token("alice")
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert not Token.objects.filter(key=key).exists()


def test_a_rehash_of_the_same_password_keeps_the_token(settings, alice):
    key = _token("alice")
    # alice's hash is MD5 (the tests' hasher); with PBKDF2 first, signing in upgrades it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    before = alice.password
    assert _token("alice") == key
    alice.refresh_from_db()
    assert alice.password != before and alice.password.startswith("pbkdf2_sha256$")
    assert _me(key) == 200


def test_tokens_do_not_expire_by_default(settings, alice):
    assert settings.API_TOKEN_TTL_DAYS == 0
    key = _token("alice")
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=3650))
    assert _me(key) == 200


def test_an_expired_token_is_refused_and_a_new_one_issued(settings, alice):
    settings.API_TOKEN_TTL_DAYS = 30
    key = _token("alice")
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=29))
    assert _me(key) == 200
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=30, seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = client.get("/api/v1/auth/me/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"] and "30 days" in refused.json()["detail"]
    assert not Token.objects.filter(key=key).exists()
    fresh = _token("alice")
    assert fresh != key and _me(fresh) == 200
