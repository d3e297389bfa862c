"""/metrics: Prometheus text format, for a scraper with ``METRICS_TOKEN`` or a signed-in operator.

A scraper sends ``Authorization: Bearer <METRICS_TOKEN>``; without the setting only signed-in
operators read it. Loopback is not trusted: behind a TLS proxy on the same host every request
arrives from 127.0.0.1 (docs/deploy.md).

Figures that must add up across gunicorn and Celery processes are not kept in process memory:
request counts live in a Redis hash (written by RequestMetricsMiddleware, never failing a
request), run and task durations come from the database, queue depth from the broker.
"""

from __future__ import annotations

import hmac
import logging
import time

import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from planner import access
from planner.models import AppResult, Finding, RunChunk, RunStatus, SizingRun, Trigger

log = logging.getLogger(__name__)
REQUESTS_KEY = "metrics:requests"
QUEUES = ("sizing", "reports")
_client: redis.Redis | None = None


def metrics_redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.2, socket_timeout=0.2
        )
    return _client


class RequestMetricsMiddleware:
    """Count requests by method and status class in Redis; a broker outage costs nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        field = f"{request.method}|{response.status_code // 100}xx"
        try:
            pipe = metrics_redis().pipeline(transaction=False)
            pipe.hincrby(REQUESTS_KEY, field, 1)
            pipe.hincrbyfloat(REQUESTS_KEY, f"{field}|seconds", time.perf_counter() - started)
            pipe.execute()
        except redis.RedisError:
            pass  # metrics must never cost a request
        return response


def _allowed(request) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer" and presented.strip():
        return hmac.compare_digest(presented.strip().encode(), expected.encode())
    return access.is_operator(request.user)


def _line(name: str, value, **labels) -> str:
    if labels:
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{text}}} {value}"
    return f"{name} {value}"


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden(
            "Metrics are for signed-in operators, or for a scraper that sends "
            "'Authorization: Bearer <METRICS_TOKEN>' (docs/deploy.md).",
            content_type="text/plain",
        )
    out: list[str] = []

    def family(name, kind, help_text, lines):
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(lines)

    requests_lines, seconds_lines, broker_ok = [], [], 1
    depth_lines = []
    try:
        client = metrics_redis()
        counts = client.hgetall(REQUESTS_KEY)
        for raw_field, raw_value in sorted(counts.items()):
            parts = raw_field.decode().split("|")
            if len(parts) == 2:
                requests_lines.append(
                    _line(
                        "planner_http_requests_total",
                        int(raw_value),
                        method=parts[0],
                        status=parts[1],
                    )
                )
            else:
                seconds_lines.append(
                    _line(
                        "planner_http_request_seconds_total",
                        float(raw_value),
                        method=parts[0],
                        status=parts[1],
                    )
                )
        for queue in QUEUES:
            depth_lines.append(_line("planner_queue_depth", client.llen(queue), queue=queue))
    except redis.RedisError:
        broker_ok = 0
    family("planner_http_requests_total", "counter", "HTTP requests served.", requests_lines)
    family(
        "planner_http_request_seconds_total", "counter", "Time spent serving them.", seconds_lines
    )
    family("planner_queue_depth", "gauge", "Tasks waiting in a Celery queue.", depth_lines)
    family(
        "planner_broker_up",
        "gauge",
        "1 when Redis answered this scrape.",
        [_line("planner_broker_up", broker_ok)],
    )

    runs = SizingRun.objects.values("status").annotate(n=Count("id"))
    family(
        "planner_sizing_runs",
        "gauge",
        "Sizing runs by status.",
        [_line("planner_sizing_runs", r["n"], status=r["status"]) for r in runs],
    )
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    finished = SizingRun.objects.filter(finished_at__isnull=False, started_at__isnull=False)
    agg = finished.annotate(d=duration).aggregate(total=Sum("d"), n=Count("id"))
    family(
        "planner_sizing_run_seconds",
        "summary",
        "Duration of finished sizing runs.",
        [
            _line(
                "planner_sizing_run_seconds_sum",
                agg["total"].total_seconds() if agg["total"] else 0,
            ),
            _line("planner_sizing_run_seconds_count", agg["n"]),
        ],
    )
    chunks = RunChunk.objects.values("status").annotate(n=Count("id"), attempts=Sum("attempts"))
    family(
        "planner_sizing_chunk_attempts",
        "counter",
        "Chunk task attempts (retries included).",
        [
            _line("planner_sizing_chunk_attempts", c["attempts"] or 0, status=c["status"])
            for c in chunks
        ],
    )
    nightly = (
        SizingRun.objects.filter(trigger=Trigger.NIGHTLY, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    family(
        "planner_last_nightly_run_timestamp_seconds",
        "gauge",
        "When the last nightly estate run finished (0: never).",
        [
            _line(
                "planner_last_nightly_run_timestamp_seconds",
                int(nightly.timestamp()) if nightly else 0,
            )
        ],
    )
    family(
        "planner_apps_noncompliant",
        "gauge",
        "Apps with a blocking finding.",
        [_line("planner_apps_noncompliant", AppResult.objects.filter(compliant=False).count())],
    )
    family(
        "planner_findings",
        "gauge",
        "Findings by severity.",
        [
            _line("planner_findings", r["n"], severity=r["severity"])
            for r in Finding.objects.values("severity").annotate(n=Count("id"))
        ],
    )
    return HttpResponse("\n".join(out) + "\n", content_type="text/plain; version=0.0.4")
