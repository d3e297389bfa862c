"""Celery tasks: ids in, a service call, a short summary out. Queued after commit."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.signals import task_postrun, task_prerun

from planner import queue
from planner.models import PlanRevision, PlanState, Trigger
from planner.services import hub, notifications, plans, runs

RUN_TASKS = {queue.PLAN_RUN, queue.SIZE_CHUNK}


@shared_task(name=queue.PLAN_RUN, acks_late=True, reject_on_worker_lost=True)
def plan_run(run_id: int) -> str:
    enqueued = runs.plan_run(run_id)
    return f"run {run_id}: {len(enqueued)} chunks enqueued"


@shared_task(name=queue.SIZE_CHUNK, acks_late=True, reject_on_worker_lost=True)
def size_chunk(run_id: int, index: int) -> str:
    return runs.run_chunk(run_id, index)


@shared_task(name=queue.DISPATCH_PENDING_RUNS)
def dispatch_pending_runs() -> str:
    return f"{runs.dispatch_pending_runs()} pending runs dispatched"


@shared_task(name=queue.START_NIGHTLY_RUN)
def start_nightly_run() -> str:
    run = runs.request_run(trigger=Trigger.NIGHTLY)
    return f"nightly run {run.pk} requested"


# One structured log line per task, with the run id when the task has one.
_task_log = logging.getLogger("planner.tasks")
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id=None, task=None, args=None, state=None, **kwargs):
    began = _started.pop(task_id, None)
    run_id = args[0] if args and task.name in RUN_TASKS else None
    _task_log.info(
        "%s %s",
        task.name,
        state,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "run_id": run_id,
            "duration_ms": round((time.perf_counter() - began) * 1000, 1) if began else None,
        },
    )


@shared_task(
    name=queue.RENDER_PLAN_PDF,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
)
def render_plan_pdf(revision_id: int) -> str:
    """Render and store a submitted or decided plan's PDF (the ``reports`` queue)."""
    return plans.render_and_store_pdf(revision_id)


@shared_task(
    name=queue.RENDER_DRAFT_PDF,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
)
def render_draft_pdf(revision_id: int, user_id: int | None = None) -> str:
    """Render a draft's PDF into the cache keyed by its content (the ``reports`` queue)."""
    return plans.render_draft_pdf(revision_id, user_id)


@shared_task(name=queue.FLAG_PLANS_FOR_REVIEW)
def flag_plans_for_review() -> str:
    """Beat: flag approved plans older than ``plan.review_days`` for their review."""
    return f"{plans.flag_plans_for_review()} plans flagged for review"


@shared_task(name=queue.RENDER_MISSING_PDFS)
def render_missing_pdfs(limit: int = 50) -> str:
    """Beat: queue the render of submitted or decided plans whose PDF is not stored yet (a
    render published while Redis was down, or lost with a worker). Renders are idempotent."""
    ids = list(
        PlanRevision.objects.exclude(state=PlanState.DRAFT)
        .filter(pdf_sha256="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        queue.enqueue(queue.RENDER_PLAN_PDF, pk)
    return f"{len(ids)} plan PDFs queued"


@shared_task(name=queue.SYNC_HUB, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def sync_hub(sync_id: int) -> str:
    """Read a hub's inventory over ARM and write it through the import (the ``sizing`` queue)."""
    return hub.run_sync(sync_id)


@shared_task(name=queue.SYNC_HUBS)
def sync_hubs() -> str:
    """Beat: a sync of every enabled hub connection."""
    return f"{hub.sync_due_connections()} hub syncs requested"


@shared_task(
    name=queue.SEND_NOTIFICATION,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
)
def send_notification(notification_id: int) -> str:
    """Send one e-mail notification (the ``reports`` queue); a failure is retried by the sweep."""
    return notifications.send(notification_id)


@shared_task(name=queue.SEND_PENDING_NOTIFICATIONS)
def send_pending_notifications() -> str:
    """Beat: e-mail still pending (SMTP, Redis or the worker was down) is tried again."""
    outcome = notifications.send_pending()
    return f"{outcome['sent']} of {outcome['due']} pending notifications sent"


@shared_task(name=queue.NOTIFY_DUE_EVENTS)
def notify_due_events() -> str:
    """Beat: stale plans, yearly reviews due and overdue, drills overdue (each once)."""
    return f"{notifications.notify_due()} notifications created"
