"""/healthz: the database and the broker, each "ok" or "failing", never a 500.

Anonymous callers (load balancers, anyone) learn which part fails, never why: the error text
names hosts and ports. Signed-in operators see it, and it is logged either way.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from planner import access
from portal.celery import app as celery_app

log = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error is a failing check, reported as text
        return f"failing: {exc.__class__.__name__}: {exc}"
    return "ok"


def check_broker() -> str:
    # A bounded check (one try, 2 s socket timeout): a Redis that is down answers in < 0.1 s.
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # kombu raises OperationalError and socket errors alike
        return f"failing: {exc.__class__.__name__}: {exc}"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(v == "ok" for v in checks.values())
    for part, state in checks.items():
        if state != "ok":
            log.warning("healthz: %s %s", part, state)
    if not access.is_operator(request.user):
        checks = {part: "ok" if state == "ok" else "failing" for part, state in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )
