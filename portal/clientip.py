"""The client's address, the same for sign-in throttling (django-axes) and the API (DRF).

Behind ``BEHIND_PROXY`` = N trusted proxies, each proxy appends the address it received the
request from to ``X-Forwarded-For``; the client is the N-th address from the right (the one the
outermost trusted proxy saw). Anything further left was written by the client and is ignored.
With no proxy (N = 0, the default) the header is ignored altogether and the address is the
socket's, ``REMOTE_ADDR``: a client cannot pick its own address by sending the header.

DRF's ``NUM_PROXIES`` is set to the same N (portal/settings.py), and DRF computes it the same
way (``rest_framework.throttling.BaseThrottle.get_ident``).
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "BEHIND_PROXY", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]
