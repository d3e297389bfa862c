"""Celery tasks: ids in, a service call, a short summary out. Queued after commit."""

from __future__ import annotations

from celery import shared_task

from planner.services import runs


@shared_task(name="planner.tasks.plan_run", acks_late=True, reject_on_worker_lost=True)
def plan_run(run_id: int) -> str:
    enqueued = runs.plan_run(run_id)
    return f"run {run_id}: {len(enqueued)} chunks enqueued"


@shared_task(name="planner.tasks.size_chunk", acks_late=True, reject_on_worker_lost=True)
def size_chunk(run_id: int, index: int) -> str:
    return runs.run_chunk(run_id, index)


@shared_task(name="planner.tasks.dispatch_pending_runs")
def dispatch_pending_runs() -> str:
    return f"{runs.dispatch_pending_runs()} pending runs dispatched"


@shared_task(name="planner.tasks.start_nightly_run")
def start_nightly_run() -> str:
    from planner.models import Trigger

    run = runs.request_run(trigger=Trigger.NIGHTLY)
    return f"nightly run {run.pk} requested"
