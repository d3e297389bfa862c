"""Single sign-on with OpenID Connect (mozilla-django-oidc), on when OIDC_ISSUER is set.

The provider's endpoints come from its discovery document (``<issuer>/.well-known/openid-
configuration``), fetched on first use and kept for DISCOVERY_TTL: Microsoft Entra ID and AD FS
both publish one, so an operator configures the issuer, the client id and the secret only
(docs/deploy.md). The authorization code flow with PKCE; the ID token's signature (the
provider's JWKS), issuer, audience, expiry and nonce are checked before any claim is used.

Who the user is: the (issuer, subject) pair, never an e-mail address
(planner.services.accounts.sign_in_from_directory creates the user on the first sign-in and sets
its roles from the directory's groups at every sign-in). A refused sign-in goes back to the
sign-in page with a message saying why; local accounts keep signing in with a password.
"""

from __future__ import annotations

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from planner.services.accounts import DirectoryRefused, sign_in_from_directory

log = logging.getLogger(__name__)

DISCOVERY_TTL = 3600  # seconds: providers rotate signing keys, not endpoints
USERNAME_FALLBACKS = ("preferred_username", "upn", "unique_name", "email")
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def discovery(issuer: str | None = None) -> dict:
    """The provider's discovery document (cached); ImproperlyConfigured if it cannot be read."""
    issuer = (issuer or settings.OIDC_ISSUER).rstrip("/")
    with _lock:
        hit = _cache.get(issuer)
        if hit and time.monotonic() - hit[0] < DISCOVERY_TTL:
            return hit[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ImproperlyConfigured(
            f"OIDC_ISSUER={issuer}: its discovery document {url} could not be read ({exc}). "
            "Check the issuer URL (docs/deploy.md shows Entra ID's and AD FS's)."
        ) from None
    missing = [key for key in ENDPOINTS.values() if not doc.get(key)]
    if missing:
        raise ImproperlyConfigured(f"{url} names no {', '.join(missing)}")
    with _lock:
        _cache[issuer] = (time.monotonic(), doc)
    return doc


def _setting(attr, *args):
    """mozilla-django-oidc's settings, with the endpoints taken from discovery."""
    if attr in ENDPOINTS:
        return discovery()[ENDPOINTS[attr]]
    return import_from_settings(attr, *args)


def enabled() -> bool:
    return bool(settings.OIDC_ENABLED)


class DirectoryBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(_setting)

    def __init__(self, *args, **kwargs):
        # Django makes every backend for every sign-in, the password ones too: the provider's
        # endpoints are read only for a directory sign-in, so a directory that is down never
        # stops a local (break-glass) account from signing in.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or "state" not in request.GET:
            return None  # a password sign-in: ModelBackend's
        super().__init__()  # the endpoints, from discovery (cached)
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        issuer = discovery().get("issuer", settings.OIDC_ISSUER).rstrip("/")
        if str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation(f"ID token from {payload.get('iss')!r}, not {issuer!r}")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token issued for another client")
        if "exp" not in payload:
            raise SuspiciousOperation("ID token without an expiry")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's (Entra ID puts the
        groups in the ID token only; other providers in userinfo)."""
        claims = dict(payload)
        try:
            claims.update(super().get_userinfo(access_token, id_token, payload))
        except requests.RequestException as exc:
            log.warning("OIDC userinfo not read (%s): using the ID token's claims", exc)
        claims["sub"] = payload.get("sub")  # the ID token's subject is the one we trust
        return claims

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("No subject in the ID token")
        groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
        if isinstance(groups, str):
            groups = [groups]
        names = (settings.OIDC_USERNAME_CLAIM, *USERNAME_FALLBACKS)
        username = next((claims[n] for n in names if claims.get(n)), "")
        try:
            return sign_in_from_directory(
                issuer=str(payload.get("iss", "")).rstrip("/"),
                subject=str(claims["sub"]),
                claims={**claims, "username": username},
                directory_groups=groups,
                role_groups=settings.OIDC_ROLE_GROUPS,
            )
        except DirectoryRefused as exc:
            log.info("directory sign-in refused: %s", exc)
            messages.error(self.request, str(exc))
            return None


class SignInView(OIDCAuthenticationRequestView):
    """Redirect to the provider's sign-in page (404 when single sign-on is not configured)."""

    get_settings = staticmethod(_setting)

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)  # the endpoints are read in get()

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
            self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
            return super().get(request)
        except ImproperlyConfigured as exc:
            log.error("single sign-on unavailable: %s", exc)
            messages.error(
                request,
                f"Signing in with {settings.OIDC_PROVIDER_NAME} is unavailable right now (the "
                "directory did not answer): try again later, or ask an operator.",
            )
            return redirect("login")


class CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(_setting)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured")
        try:
            return super().get(request)
        except (
            ImproperlyConfigured,
            requests.RequestException,
            SuspiciousOperation,
            jwt.PyJWTError,  # expired, not yet valid, bad signature: pyjwt's own errors
        ) as exc:
            log.warning("directory sign-in failed: %s", exc)
            messages.error(
                request,
                f"Signing in with {settings.OIDC_PROVIDER_NAME} failed ({exc.__class__.__name__})"
                ": start again from this page; if it keeps failing, tell an operator.",
            )
            return self.login_failure()

    def login_failure(self):
        error = "".join(c for c in self.request.GET.get("error", "")[:60] if c.isprintable())
        if error:
            messages.error(
                self.request,
                f"{settings.OIDC_PROVIDER_NAME} did not sign you in ({error}): try again.",
            )
        return super().login_failure()


class LoginView(auth_views.LoginView):
    """The password sign-in page, with a "Sign in with <directory>" button when configured."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = enabled()
        context["sso_provider_name"] = settings.OIDC_PROVIDER_NAME
        return context
