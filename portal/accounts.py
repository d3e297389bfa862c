"""Account security: the sign-in lockout answer, and API tokens that die with the password.

- ``lockout_response``: what django-axes answers once a user name has failed
  ``AXES_FAILURE_LIMIT`` times from one address (portal/settings.py): the lockout page on the
  portal and the admin, the API's JSON error shape on /api/, both with status 429.
- ``revoke_tokens_on_credential_change``: a password change or a deactivation deletes the
  user's API token, as Django already ends their sessions (a stolen token must not outlive the
  password it was obtained with).
- ``ExpiringTokenAuthentication``: DRF's token authentication that also refuses a token older
  than ``API_TOKEN_TTL_DAYS`` (0, the default: tokens do not expire) and deletes it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def _minutes(delta) -> int:
    return max(1, round(delta.total_seconds() / 60)) if delta else 0


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: a clear refusal, never the form again."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    minutes = _minutes(settings.AXES_COOLOFF_TIME)
    detail = (
        f"Too many failed sign-ins for '{username}' from your address "
        f"({settings.AXES_FAILURE_LIMIT} in a row): sign-in is refused for {minutes} minutes "
        "after the last failure. Wait, or ask an operator to unlock it "
        "(Admin > Axes > Access attempts)."
    )
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail, "code": "locked_out"}, status=status)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"detail": detail, "username": username, "minutes": minutes},
            status=status,
        )
    response["Retry-After"] = str(minutes * 60)
    return response


@receiver(pre_save, sender=get_user_model())
def revoke_tokens_on_credential_change(sender, instance, raw=False, **kwargs) -> None:
    """Delete the user's API token when the password changes or the account is deactivated.

    ``set_password()`` leaves the new raw password in ``_password`` until the save; Django's
    own re-hash at sign-in (a stronger hasher, same password) clears it first, so an upgrade
    of the hash does not revoke anything.
    """
    if raw or instance.pk is None:
        return
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        Token.objects.filter(user_id=instance.pk).delete()


def token_ttl() -> timedelta | None:
    days = int(getattr(settings, "API_TOKEN_TTL_DAYS", 0) or 0)
    return timedelta(days=days) if days > 0 else None


def token_expired(token: Token, now=None) -> bool:
    ttl = token_ttl()
    return ttl is not None and token.created + ttl <= (now or timezone.now())


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused (401) once older than API_TOKEN_TTL_DAYS."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                f"This token expired: tokens last {token_ttl().days} days (API_TOKEN_TTL_DAYS). Get a "
                "new one with POST /api/v1/auth/token/."
            )
        return user, token
