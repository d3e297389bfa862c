"""Work for the Celery workers, queued by task name: the services call ``enqueue`` and never import
``planner.tasks`` (which imports the services it runs), so the two do not import each other.

Each name is written here once; ``planner.tasks`` registers its tasks under these names, and
``CELERY_TASK_ROUTES`` (portal/settings.py) sends each to its queue by name ("reports" for
renders and e-mail, "sizing" for the rest).
"""

from __future__ import annotations

from celery import current_app

PLAN_RUN = "planner.tasks.plan_run"
SIZE_CHUNK = "planner.tasks.size_chunk"
DISPATCH_PENDING_RUNS = "planner.tasks.dispatch_pending_runs"
START_NIGHTLY_RUN = "planner.tasks.start_nightly_run"
RENDER_PLAN_PDF = "planner.tasks.render_plan_pdf"
RENDER_DRAFT_PDF = "planner.tasks.render_draft_pdf"
FLAG_PLANS_FOR_REVIEW = "planner.tasks.flag_plans_for_review"
RENDER_MISSING_PDFS = "planner.tasks.render_missing_pdfs"
SYNC_HUB = "planner.tasks.sync_hub"
SYNC_HUBS = "planner.tasks.sync_hubs"
SEND_NOTIFICATION = "planner.tasks.send_notification"
SEND_PENDING_NOTIFICATIONS = "planner.tasks.send_pending_notifications"
NOTIFY_DUE_EVENTS = "planner.tasks.notify_due_events"


def enqueue(name: str, *args: object, countdown: float | None = None) -> None:
    """Publish task ``name`` with ``args`` (after ``countdown`` seconds), routed by its name.

    Never retries a broker that is down: what the broker raises (kombu's OperationalError and
    friends) reaches the caller, who leaves the work to a sweep."""
    app = current_app
    app.send_task(
        name,
        args=list(args),
        countdown=countdown,
        retry=False,
        ignore_result=app.conf.task_ignore_result,  # as ``Task.apply_async`` sends it
    )
