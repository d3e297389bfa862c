"""Sizing runs through real Celery worker processes and a real Redis, and what happens when
either breaks: a killed worker, a broker that is down, a broker that restarts."""

import os
import signal
import time

import pytest

from planner.demo import seed
from planner.models import (
    Application,
    AppResult,
    Finding,
    RunChunk,
    RunError,
    RunStatus,
    SizingRun,
    Trigger,
    VirtualMachine,
    VmResult,
)
from planner.services import runs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def opted_in_vms():
    return VirtualMachine.objects.filter(opted_in=True).count()


def wait_until(predicate, timeout=60, poll=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def estate():
    seed(apps=12, vms=120, seed=2, password="x")


def test_estate_run_through_a_real_worker_reports_progress_and_results(
    estate, start_worker, settings
):
    start_worker(SIZING_CHUNK_VMS="25")
    run = runs.request_run(trigger=Trigger.API)
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED, list(run.errors.values_list("message", flat=True))
    assert run.total_chunks > 1  # split into chunks of about 25 VMs
    assert run.done_chunks == run.total_chunks
    assert run.total_vms == run.done_vms == opted_in_vms()
    assert run.percent == 100
    assert run.engine_version and run.prices_version and run.limits_version
    assert AppResult.objects.count() == Application.objects.count()
    assert VmResult.objects.count() == opted_in_vms()
    assert set(AppResult.objects.values_list("run_id", flat=True)) == {run.pk}
    assert run.summary["vms"] == opted_in_vms()
    assert run.summary["backup_gib"] > 0
    assert Finding.objects.filter(code="TOPOLOGY_RACK_APPLIANCE").exists()


def test_pool_child_killed_mid_chunk_is_redelivered_and_the_run_finishes(estate, start_worker):
    # One chunk held open 3 s; SIGKILL its pool process while it runs.
    worker = start_worker(SIZING_CHUNK_VMS="1000", SIZING_CHUNK_DELAY_SECONDS="3")
    run = runs.request_run(trigger=Trigger.API)
    wait_until(
        lambda: RunChunk.objects.filter(run=run, status=RunStatus.RUNNING).exists(),
        what="the chunk to start",
    )
    killed = RunChunk.objects.get(run=run, status=RunStatus.RUNNING)
    children = worker.child_pids()
    assert children, "the prefork pool has a child process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED
    killed.refresh_from_db()
    assert killed.attempts == 2  # the killed attempt and the redelivery
    # The estate's two passes over its one chunk of apps, each done once.
    assert list(RunChunk.objects.filter(run=run).values_list("phase", "status")) == [
        ("figures", "succeeded"),
        ("assess", "succeeded"),
    ]
    assert VmResult.objects.count() == opted_in_vms()  # no duplicate, nothing lost
    assert AppResult.objects.count() == Application.objects.count()


def test_redis_down_leaves_the_run_pending_and_the_sweep_dispatches_it(estate, redis, start_worker):
    redis.stop()
    run = runs.request_run(trigger=Trigger.MANUAL)
    run.refresh_from_db()
    # One publish attempt, no retry loop: the request path answers instead of waiting on Redis.
    assert run.status == RunStatus.PENDING
    assert run.dispatched_at is None
    assert run.dispatch_attempts == 1
    # The sweep finds nothing to do while Redis is still down, and loses nothing.
    assert runs.dispatch_pending_runs() == 0
    redis.start()
    start_worker()
    assert runs.dispatch_pending_runs() == 1  # what the beat task runs every 30 s
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED
    assert VmResult.objects.count() == opted_in_vms()


def test_chunks_refused_by_a_dead_broker_leave_the_run_to_the_sweep(estate, redis, start_worker):
    # plan_run claimed the run and then met Redis down (restarting): its chunks were never
    # published. The run goes back to pending, and the sweep's dispatch finishes it.
    run = runs.request_run(trigger=Trigger.MANUAL, dispatch=False)
    redis.stop()
    assert runs.plan_run(run.pk) == []
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING
    assert run.dispatched_at is None
    chunks = list(RunChunk.objects.filter(run=run).values_list("index", "phase"))
    assert chunks  # made once, kept for the next claim
    redis.start()
    start_worker()
    assert runs.dispatch_pending_runs() == 1
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED
    assert list(RunChunk.objects.filter(run=run).values_list("index", "phase")) == chunks
    assert run.done_chunks == run.total_chunks == len(chunks)
    assert VmResult.objects.count() == opted_in_vms()


def test_a_running_run_whose_chunks_were_lost_is_published_again_by_the_sweep(
    estate, redis, start_worker, settings
):
    """A worker took the run and published its chunks, then the messages were lost (Redis shut
    down holding them, or a worker died with them and never handed them back): the run would
    stay running for ever. Once no chunk has ended for RUN_REDISPATCH_SECONDS, the sweep
    publishes its chunks again; a run making progress is left alone."""
    from datetime import timedelta

    from django.utils import timezone

    settings.RUN_REDISPATCH_SECONDS = 60
    run = runs.request_run(trigger=Trigger.MANUAL, dispatch=False)
    assert runs.plan_run(run.pk)  # claimed, its first pass's chunks published ...
    redis.cli("FLUSHALL")  # ... and lost
    started = SizingRun.objects.filter(pk=run.pk)
    assert started.get().status == RunStatus.RUNNING
    assert runs.dispatch_pending_runs() == 0  # started just now: not stalled
    long_ago = timezone.now() - timedelta(seconds=61)
    started.update(started_at=long_ago)
    chunk = RunChunk.objects.filter(run=run).order_by("index").first()
    RunChunk.objects.filter(pk=chunk.pk).update(finished_at=timezone.now())
    assert runs.dispatch_pending_runs() == 0  # a chunk ended a moment ago: alive
    RunChunk.objects.filter(pk=chunk.pk).update(finished_at=None)
    assert runs.dispatch_pending_runs() == 1
    assert runs.dispatch_pending_runs() == 0  # published again: waits its turn once more
    assert started.get().dispatch_attempts == 1
    start_worker()
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED
    assert run.done_chunks == run.total_chunks
    assert VmResult.objects.count() == opted_in_vms()


def test_queued_run_survives_a_redis_crash(estate, redis, start_worker):
    run = runs.request_run(trigger=Trigger.MANUAL)  # queued, no worker yet
    run.refresh_from_db()
    assert run.dispatched_at is not None
    time.sleep(1.5)  # appendfsync everysec: the message reaches the append-only file
    redis.kill()
    redis.start()
    start_worker()
    run = runs.wait_for(run, timeout=120)
    assert run.status == RunStatus.SUCCEEDED


def test_previous_results_stay_until_replaced_and_failures_name_the_app(estate):
    app = Application.objects.filter(scheme="backup_restore").order_by("id").first()
    runs.run_sync(runs.request_run(application=app, dispatch=False))
    before = AppResult.objects.get(application=app)
    vm_results = VmResult.objects.filter(application=app).count()
    # Break the app's inputs in a way only the engine notices: a policy with no valid method.
    app.policy.method = "tape_rotation"
    app.policy.save()
    run = runs.run_sync(runs.request_run(application=app, dispatch=False))
    assert run.status == RunStatus.PARTIAL
    error = RunError.objects.get(run=run)
    assert error.application_id == app.pk
    assert app.name in error.message and "method" in error.message
    after = AppResult.objects.get(application=app)
    assert after.pk == before.pk and after.backup_gib == before.backup_gib
    assert VmResult.objects.filter(application=app).count() == vm_results


def test_a_chunk_sized_twice_writes_the_same_rows_and_a_done_chunk_is_skipped(estate, settings):
    from planner.services.sizing import size_and_save

    settings.SIZING_CHUNK_VMS = 30
    run = runs.run_sync(runs.request_run(dispatch=False))
    assert run.status == RunStatus.SUCCEEDED
    first = sorted(VmResult.objects.values_list("vm_id", "backup_gib", "replica_gib"))
    findings = Finding.objects.count()
    # The same chunk's apps sized again: the rows are replaced, never duplicated.
    chunk = RunChunk.objects.get(run=run, index=0)
    size_and_save(chunk.app_ids, run=run)
    assert sorted(VmResult.objects.values_list("vm_id", "backup_gib", "replica_gib")) == first
    assert Finding.objects.count() == findings
    # A redelivered message for a chunk already done changes nothing.
    assert runs.run_chunk(run.pk, 0) == "skipped"
    run.refresh_from_db()
    assert run.done_chunks == run.total_chunks and run.done_vms == run.total_vms
    # Two deliveries at once: the one that closes the chunk second writes nothing.
    rows = VmResult.objects.count()
    size_and_save(chunk.app_ids, run=run, chunk=chunk)
    assert VmResult.objects.count() == rows
    run.refresh_from_db()
    assert run.done_chunks == run.total_chunks


def test_ten_quick_edits_make_one_run(estate):
    app = Application.objects.first()
    run_ids = {runs.request_app_resize(app).pk for _ in range(10)}
    assert len(run_ids) == 1
    assert SizingRun.objects.filter(application=app, trigger=Trigger.EDIT).count() == 1


def test_a_run_lost_in_the_broker_is_published_again_after_the_redispatch_wait(
    estate, redis, settings
):
    """A run published just as Redis shut down (the message lost, the run marked published)
    waits RUN_REDISPATCH_SECONDS, then the sweep publishes it again; not before."""
    from datetime import timedelta

    from django.utils import timezone

    settings.RUN_REDISPATCH_SECONDS = 60
    run = runs.request_run(trigger=Trigger.MANUAL, dispatch=False)
    published = SizingRun.objects.filter(pk=run.pk)
    published.update(dispatched_at=timezone.now() - timedelta(seconds=50), dispatch_attempts=1)
    assert runs.dispatch_pending_runs() == 0
    published.update(dispatched_at=timezone.now() - timedelta(seconds=61))
    assert runs.dispatch_pending_runs() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING and run.dispatch_attempts == 2
    assert run.dispatched_at > timezone.now() - timedelta(seconds=10)
    assert runs.dispatch_pending_runs() == 0  # published again: waits its turn once more
