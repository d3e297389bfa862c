"""Sizing runs: request (an outbox row), dispatch, split into chunks, run chunks, finish.

An estate run has two passes over the same chunks of apps: the first (``figures``) stores every
app's own figures and capability with the run, the second (``assess``) evaluates the rules across
apps (loads on backup targets and hubs, dependencies) from those figures, so its findings do not
depend on which chunk ran first. The second pass starts when every first-pass chunk has ended.
A run of one app has the second pass only and reads the other apps' stored results.

Nothing is lost when things break (RELIABILITY.md):
- the request path records the run first and publishes after commit without waiting on the
  broker; a run whose publish failed stays ``pending`` and the beat sweep dispatches it later;
- a chunk is claimed with a conditional update and its results, its status and the run's
  counters commit in one transaction, so a chunk that is redelivered (worker killed, visibility
  timeout) either finds itself done and skips, or redoes the same delete-and-insert;
- attempts are capped: a chunk that keeps failing is recorded as failed with the reason;
- a running run whose chunk messages were lost (no chunk ended for RUN_REDISPATCH_SECONDS) has
  its unended chunks published again by the same sweep (``stalled_runs``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from planner import queue
from planner.models import (
    Application,
    RunChunk,
    RunError,
    RunPhase,
    RunStatus,
    SizingRun,
    Trigger,
)
from planner.services import notifications, sizing

log = logging.getLogger(__name__)

MAX_CHUNK_ATTEMPTS = 3
ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


# --- request and dispatch --------------------------------------------------------------------


def request_run(
    *,
    application: Application | None = None,
    trigger: str = Trigger.MANUAL,
    user=None,
    delay_seconds: float = 0,
    dispatch: bool = True,
) -> SizingRun:
    """Record a run and publish it once the transaction commits (never waits on the broker).

    ``dispatch=False`` records it only (``run_sync`` runs it in this process)."""
    with transaction.atomic():
        run = SizingRun.objects.create(
            application=application,
            trigger=trigger,
            requested_by=user if user and user.is_authenticated else None,
            not_before=timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds else None,
        )
        if dispatch:
            transaction.on_commit(lambda: dispatch_run(run.pk, countdown=delay_seconds))
    return run


def request_app_resize(application: Application, user=None) -> SizingRun:
    """An edit of an app or its VMs: reuse a run that has not started yet (coalescing)."""
    delay = settings.RESIZE_COALESCE_SECONDS
    with transaction.atomic():
        waiting = (
            SizingRun.objects.filter(
                application=application, trigger=Trigger.EDIT, status=RunStatus.PENDING
            )
            .order_by("-id")
            .first()
        )
        if waiting is not None:
            return waiting
    return request_run(
        application=application, trigger=Trigger.EDIT, user=user, delay_seconds=delay
    )


def dispatch_run(run_id: int, countdown: float = 0) -> bool:
    """Publish plan_run for a pending run; False (and the run stays pending) if Redis is down."""
    SizingRun.objects.filter(pk=run_id).update(dispatch_attempts=F("dispatch_attempts") + 1)
    try:
        queue.enqueue(queue.PLAN_RUN, run_id, countdown=countdown or None)
    except Exception as exc:  # kombu raises OperationalError; any failure leaves it pending
        log.warning("run %s: broker unavailable, left pending for the sweep: %s", run_id, exc)
        return False
    SizingRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        dispatched_at=timezone.now()
    )
    return True


def dispatch_pending_runs() -> int:
    """The beat sweep: publish runs whose publish failed, or that were lost in the broker, and
    publish again the chunks of running runs that have stalled (``stalled_runs``)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RUN_REDISPATCH_SECONDS)
    due = (
        SizingRun.objects.filter(status=RunStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale))
    )
    count = 0
    for run_id in due.values_list("pk", flat=True)[:100]:
        count += dispatch_run(run_id)
    for run_id in stalled_runs(stale).values_list("pk", flat=True)[:100]:
        count += redispatch_stalled_run(run_id)
    return count


def stalled_runs(stale):
    """Running runs with no sign of life since ``stale``: started before it, not published
    again since, and no chunk ended since. Their chunk messages were lost (published in the
    instant Redis shut down, or held by a worker that died and never handed back), so nothing
    would ever finish them. A chunk ends in seconds, so a run whose chunks all wait behind a
    long queue for RUN_REDISPATCH_SECONDS is the only false alarm, and its cost is a duplicate
    message per chunk, which finds its chunk done and skips."""
    return (
        SizingRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=stale)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale))
        .annotate(last_ended=Max("chunks__finished_at"))
        .filter(Q(last_ended__isnull=True) | Q(last_ended__lt=stale))
        .order_by("pk")
    )


def redispatch_stalled_run(run_id: int) -> bool:
    """Publish plan_run again for a stalled running run: it publishes the chunks of its current
    pass not ended yet (``plan_run``). False if Redis refuses (the next sweep tries again)."""
    try:
        queue.enqueue(queue.PLAN_RUN, run_id)
    except Exception as exc:  # kombu raises OperationalError; the next sweep tries again
        log.warning("run %s: stalled, broker unavailable: %s", run_id, exc)
        return False
    SizingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        dispatched_at=timezone.now(), dispatch_attempts=F("dispatch_attempts") + 1
    )
    log.warning("run %s: no chunk ended for a while, its chunks published again", run_id)
    return True


# --- planning a run into chunks ---------------------------------------------------------------


def plan_run(run_id: int, enqueue: Callable[[int, int], None] | None = None) -> list[int]:
    """Claim a pending run, split it into chunks, and enqueue the chunks of its current pass
    not yet done.

    Redelivered (the run is already running): re-enqueue the unfinished chunks; a duplicate is
    harmless because chunks are idempotent. Returns the indexes enqueued.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = SizingRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
            status=RunStatus.RUNNING, started_at=now
        )
        run = SizingRun.objects.get(pk=run_id)
        if run.finished:
            return []
        # Claimed again after its chunks could not be published (_publish_chunks): they exist.
        if claimed and not RunChunk.objects.filter(run_id=run_id).exists():
            _create_chunks(run)
            run.refresh_from_db()
    indexes = list(
        RunChunk.objects.filter(run_id=run_id, phase=run.phase)
        .exclude(status__in=ENDED)
        .values_list("index", flat=True)
    )
    if not indexes:
        advance_run(run_id, enqueue)
    return indexes if _publish_chunks(run_id, indexes, enqueue) else []


def _enqueue_chunk(run_id: int, index: int) -> None:
    queue.enqueue(queue.SIZE_CHUNK, run_id, index)


def _publish_chunks(run_id: int, indexes, enqueue: Callable[[int, int], None] | None) -> bool:
    """Publish chunks of a running run. When the broker refuses (Redis down or restarting),
    the run goes back to ``pending`` and undispatched, so the beat sweep dispatches it again
    and plan_run publishes the chunks not done yet (a chunk published twice is harmless);
    otherwise the task that was publishing them ends and they would never run."""
    try:
        for index in indexes:
            (enqueue or _enqueue_chunk)(run_id, index)
    except Exception as exc:  # kombu raises OperationalError; any failure leaves it to the sweep
        SizingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.PENDING, dispatched_at=None
        )
        log.warning("run %s: broker unavailable, chunks left for the sweep: %s", run_id, exc)
        return False
    return True


def _create_chunks(run: SizingRun) -> None:
    """Pack apps into chunks of about SIZING_CHUNK_VMS VMs (an app is never split); an estate
    run gets each chunk twice, indexes 0..n-1 for the first pass and n..2n-1 for the second."""
    apps = (
        Application.objects.all()
        if run.application_id is None
        else Application.objects.filter(pk=run.application_id)
    )
    counts = list(
        apps.annotate(n=Count("vms", filter=Q(vms__opted_in=True)))
        .order_by("id")
        .values_list("id", "n")
    )
    budget = settings.SIZING_CHUNK_VMS
    chunks: list[RunChunk] = []
    current: list[int] = []
    size = 0
    for app_id, n in counts:
        if current and size + n > budget:
            chunks.append(RunChunk(run=run, index=len(chunks), app_ids=current, vm_count=size))
            current, size = [], 0
        current.append(app_id)
        size += n
    if current:
        chunks.append(RunChunk(run=run, index=len(chunks), app_ids=current, vm_count=size))
    total_vms = sum(c.vm_count for c in chunks)
    phase = RunPhase.ASSESS
    if run.two_phase:
        phase = RunPhase.FIGURES
        first = [
            RunChunk(run=run, index=c.index, phase=phase, app_ids=c.app_ids, vm_count=c.vm_count)
            for c in chunks
        ]
        for c in chunks:
            c.index += len(first)
        chunks = first + chunks
    RunChunk.objects.bulk_create(chunks, ignore_conflicts=True)
    SizingRun.objects.filter(pk=run.pk).update(
        phase=phase,
        total_chunks=len(chunks),
        total_vms=total_vms,
        engine_version=sizing.engine_version(),
        **dict(
            zip(
                ("prices_version", "limits_version", "sizes_version"),
                sizing.catalog_versions(),
                strict=True,
            )
        ),
    )


# --- running a chunk --------------------------------------------------------------------------


def run_chunk(run_id: int, index: int, enqueue: Callable[[int, int], None] | None = None) -> str:
    """Size one chunk. Idempotent: a chunk already done is skipped; a redo writes the same rows.

    One app's failure is recorded on the run (``RunError``) and the chunk's other apps are
    stored; only a failure of the whole chunk (the database, a lost worker) fails the chunk."""
    chunk = RunChunk.objects.filter(run_id=run_id, index=index).first()
    if chunk is None:
        return "missing"
    claimed = RunChunk.objects.filter(
        pk=chunk.pk,
        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
        attempts__lt=MAX_CHUNK_ATTEMPTS,
    ).update(status=RunStatus.RUNNING, attempts=F("attempts") + 1)
    if not claimed:
        chunk.refresh_from_db()
        if chunk.status == RunStatus.RUNNING:  # attempts used up: worker died each time
            _fail_chunk(chunk, f"gave up after {chunk.attempts} attempts (worker lost each time)")
        advance_run(run_id, enqueue)
        return "skipped"
    run = SizingRun.objects.get(pk=run_id)
    if settings.SIZING_CHUNK_DELAY_SECONDS:
        time.sleep(settings.SIZING_CHUNK_DELAY_SECONDS)
    first_pass = chunk.phase == RunPhase.FIGURES
    try:
        if first_pass:
            outcome = sizing.figure_and_save(chunk.app_ids, run=run, chunk=chunk)
        else:
            outcome = sizing.size_and_save(chunk.app_ids, run=run, chunk=chunk)
    except Exception as exc:  # recorded on the run; the other chunks go on
        log.exception("run %s chunk %s failed", run_id, index)
        _fail_chunk(chunk, f"{exc.__class__.__name__}: {exc}")
        advance_run(run_id, enqueue)
        return "failed"
    advance_run(run_id, enqueue)
    verb = "figured" if first_pass else "sized"
    return f"{verb} {outcome.vms} VMs in {len(chunk.app_ids)} apps ({len(outcome.failed)} failed)"


def _fail_chunk(chunk: RunChunk, message: str) -> None:
    with transaction.atomic():
        updated = (
            RunChunk.objects.filter(pk=chunk.pk)
            .exclude(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED])
            .update(status=RunStatus.FAILED, finished_at=timezone.now())
        )
        if updated:
            RunError.objects.get_or_create(
                run_id=chunk.run_id,
                application=None,
                chunk_index=chunk.index,
                defaults={"message": message},
            )
            progress = "figured_vms" if chunk.phase == RunPhase.FIGURES else "done_vms"
            SizingRun.objects.filter(pk=chunk.run_id).update(
                failed_chunks=F("failed_chunks") + 1, **{progress: F(progress) + chunk.vm_count}
            )


def advance_run(run_id: int, enqueue: Callable[[int, int], None] | None = None) -> None:
    """After a chunk: once every first-pass chunk of an estate run has ended, start the second
    pass (of concurrent callers exactly one wins the conditional update and enqueues it); once
    every chunk has ended, close the run."""
    if (
        SizingRun.objects.filter(pk=run_id, phase=RunPhase.FIGURES).exists()
        and not RunChunk.objects.filter(run_id=run_id, phase=RunPhase.FIGURES)
        .exclude(status__in=ENDED)
        .exists()
        and SizingRun.objects.filter(
            pk=run_id, status=RunStatus.RUNNING, phase=RunPhase.FIGURES
        ).update(phase=RunPhase.ASSESS)
    ):
        _publish_chunks(
            run_id,
            RunChunk.objects.filter(run_id=run_id, phase=RunPhase.ASSESS)
            .exclude(status__in=ENDED)
            .values_list("index", flat=True),
            enqueue,
        )
    finish_run_if_done(run_id)


def finish_run_if_done(run_id: int) -> None:
    """Close the run when every chunk has ended; exactly one caller wins the update."""
    run = SizingRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING or run.done_chunks + run.failed_chunks < run.total_chunks:
        return
    has_errors = run.failed_chunks or RunError.objects.filter(run_id=run_id).exists()
    stored_none = (
        run.failed_chunks
        and not RunChunk.objects.filter(run_id=run_id, phase=RunPhase.ASSESS)
        .exclude(status=RunStatus.FAILED)
        .exists()
    )
    if stored_none:  # every chunk of the pass that stores results failed
        status = RunStatus.FAILED
    elif has_errors:
        status = RunStatus.PARTIAL
    else:
        status = RunStatus.SUCCEEDED
    summary = sizing.run_summary(run_id)
    with transaction.atomic():
        closed = SizingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), summary=summary
        )
        if closed and status != RunStatus.SUCCEEDED:
            notifications.run_failed(SizingRun.objects.get(pk=run_id))


# --- in this process (manage.py size_estate --sync, tests, benchmarks) ------------------------


def run_sync(run: SizingRun, progress: Callable[[SizingRun], None] | None = None) -> SizingRun:
    """Run a recorded run to the end in this process, chunk by chunk."""
    queue: list[tuple[int, int]] = []

    def enqueue(run_id: int, index: int) -> None:
        queue.append((run_id, index))

    plan_run(run.pk, enqueue=enqueue)
    while queue:  # the first pass's last chunk enqueues the second pass
        run_id, index = queue.pop(0)
        run_chunk(run_id, index, enqueue=enqueue)
        if progress:
            progress(SizingRun.objects.get(pk=run.pk))
    run.refresh_from_db()
    return run


def wait_for(run: SizingRun, timeout: float = 600, progress=None, poll: float = 0.2) -> SizingRun:
    """Poll a run until it has finished (for the command line and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if progress:
            progress(run)
        if run.finished:
            return run
        time.sleep(poll)
    return run
