"""Throttles that count in Redis, so every web process adds to the same count, and fail open.

DRF's throttles keep a list of timestamps in the default cache: per process with the local
memory cache (four gunicorn workers allow four times the rate, RELIABILITY.md), and a
read-modify-write that loses counts under concurrency. These count with an atomic increment per
fixed window in the ``throttle`` cache (Redis, portal/settings.py).

When Redis is down a request goes through unthrottled (logged) rather than failing: throttling
protects the service, and a 500 on every request would be the bigger outage. After a failure
Redis is left alone for ``RETRY_AFTER_SECONDS`` so a dead server costs nothing per request.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from rest_framework import throttling
from rest_framework.settings import api_settings

log = logging.getLogger(__name__)

CACHE_ALIAS = "throttle"
RETRY_AFTER_SECONDS = 10.0
_skip_until = 0.0


def reset() -> None:
    """Forget a past Redis failure (tests that restart Redis)."""
    global _skip_until
    _skip_until = 0.0


def _cache():
    try:
        return caches[CACHE_ALIAS]
    except InvalidCacheBackendError:
        return caches["default"]


def count_request(key: str, ttl: int) -> int | None:
    """Add one to ``key``'s counter and return it; None when the cache cannot answer."""
    global _skip_until
    if time.monotonic() < _skip_until:
        return None
    cache = _cache()
    try:
        for _ in range(2):
            cache.add(key, 0, timeout=ttl)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr: start the window again
                continue
        return None
    except Exception as exc:  # redis-py raises ConnectionError, TimeoutError, ...
        _skip_until = time.monotonic() + RETRY_AFTER_SECONDS
        log.warning(
            "throttle cache unavailable, requests go unthrottled for %.0f s: %s: %s",
            RETRY_AFTER_SECONDS,
            exc.__class__.__name__,
            exc,
        )
        return None


class _WindowCounter:
    """A fixed-window counter: at most ``num_requests`` per ``duration`` seconds per client."""

    def get_rate(self):
        # Read at each request, so a changed setting (or override_settings) applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.retry_after = (window + 1) * self.duration - now
        count = count_request(f"{key}:{window}", int(self.duration) + 1)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return self.retry_after


class AnonRateThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Anonymous requests, per client address (the token endpoint, the schema, the docs)."""


class UserRateThrottle(_WindowCounter, throttling.UserRateThrottle):
    """Signed-in requests, per user, whichever process serves them."""


class TokenRateThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Password attempts at /auth/token/, per client address: slows down guessing."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
