"""Sizing runs find the same whatever the order of their chunks or of the runs, a run of one app
names the stored results it read, and one app's failure never fails the others (issue 15).

CI runs this file on SQLite and on PostgreSQL (scripts/test.sh)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from planner.demo import seed
from planner.models import (
    Application,
    AppResult,
    Finding,
    PlanRevision,
    RunChunk,
    RunError,
    RunFigures,
    RunStatus,
    Trigger,
)
from planner.services import plans, runs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def findings():
    return sorted(
        Finding.objects.values_list("application_id", "code", "severity", "message", "vm_ids")
    )


def figures():
    return sorted(
        AppResult.objects.values_list(
            "application_id",
            "backup_gib",
            "standby_memory_gib",
            "rto_capability_minutes",
            "rpo_capability_minutes",
            "blocking_count",
            "warning_count",
            "onboarding_nights",
        )
    )


def run_estate(reverse=False):
    """An estate run in this process, its chunks taken lowest index first or highest first."""
    run = runs.request_run(trigger=Trigger.CLI, dispatch=False)
    queue = []

    def enqueue(run_id, index):
        queue.append(index)

    runs.plan_run(run.pk, enqueue=enqueue)
    while queue:
        queue.sort(reverse=reverse)
        runs.run_chunk(run.pk, queue.pop(0), enqueue=enqueue)
    run.refresh_from_db()
    return run


@pytest.fixture
def estate(settings):
    """The issue's reproduction: 40 apps, 400 VMs, seed 3, in chunks of about 60 VMs."""
    settings.SIZING_CHUNK_VMS = 60
    seed(apps=40, vms=400, seed=3, password="x")


def test_two_runs_in_any_chunk_order_find_exactly_the_same(estate):
    first = run_estate()
    assert first.status == RunStatus.SUCCEEDED
    chunks = first.total_chunks // 2
    assert chunks > 2  # several chunks, each visited by both passes
    assert (
        list(RunChunk.objects.filter(run=first).values_list("phase", flat=True).order_by("index"))
        == ["figures"] * chunks + ["assess"] * chunks
    )
    assert RunFigures.objects.filter(run=first).count() == Application.objects.count()
    found, sized = findings(), figures()
    # Before, the first run read other apps' capability from results no run had stored yet
    # and called these prerequisites "unverified"; the second run called them "at risk".
    assert Finding.objects.filter(code="DEPENDENCY_PREREQUISITE_AT_RISK").exists()
    assert not Finding.objects.filter(code="DEPENDENCY_PREREQUISITE_UNVERIFIED").exists()
    # No finding of an estate run reads a stored result: its messages name no earlier run.
    assert not Finding.objects.filter(message__contains="from stored results").exists()
    assert {r["figures_from"] for r in _contexts()} == {"run"}

    second = run_estate(reverse=True)  # immediately again, chunks in the opposite order
    assert second.status == RunStatus.SUCCEEDED
    assert findings() == found
    assert figures() == sized
    assert (second.summary["blocking"], second.summary["warning"]) == (
        first.summary["blocking"],
        first.summary["warning"],
    )


def _contexts():
    return [d["context"] for d in AppResult.objects.values_list("detail", flat=True)]


def test_a_run_of_one_app_names_the_stored_results_it_read_and_its_plan_keeps_them(estate):
    estate_run = run_estate()
    finding = Finding.objects.filter(code="CAPACITY_ASH_MEMORY").order_by("application_id")[0]
    app = Application.objects.get(pk=finding.application_id)
    codes = sorted(Finding.objects.filter(application=app).values_list("code", flat=True))

    one = runs.run_sync(runs.request_run(application=app, dispatch=False))
    assert one.status == RunStatus.SUCCEEDED
    assert sorted(Finding.objects.filter(application=app).values_list("code", flat=True)) == codes
    context = AppResult.objects.get(application=app).detail["context"]
    assert context["figures_from"] == "stored"
    read = context["stored_results"]
    assert read and app.pk not in {r["app_id"] for r in read}
    assert {r["run_id"] for r in read} == {estate_run.pk}
    # The arithmetic of the load names where the other apps' figures come from.
    message = Finding.objects.get(application=app, code="CAPACITY_ASH_MEMORY").message
    assert "from stored results" in message
    assert f"'{read[0]['app']}' run {estate_run.pk} at {read[0]['at']}" in message

    rev = plans.create_revision(app, app.owner, "")
    kept = PlanRevision.objects.get(pk=rev.pk).snapshot["result"]["detail"]["context"]
    assert kept["figures_from"] == "stored"
    assert [r["app_id"] for r in kept["stored_results"]] == [r["app_id"] for r in read]


@pytest.fixture
def small_estate():
    seed(apps=12, vms=120, seed=2, password="x")


def test_an_app_that_cannot_be_sized_is_named_and_every_other_app_is_stored(
    small_estate, start_worker
):
    # A fact the engine refuses, put straight into the database as a broken import or a
    # hand edit would: a scheme no code knows.
    broken = Application.objects.order_by("id")[3]
    Application.objects.filter(pk=broken.pk).update(scheme="tape_rotation")
    start_worker(SIZING_CHUNK_VMS="25")
    run = runs.wait_for(runs.request_run(trigger=Trigger.API), timeout=180)

    assert run.status == RunStatus.PARTIAL
    assert run.get_status_display() == "Succeeded with errors"
    assert run.failed_chunks == 0  # the chunk stored its other apps
    error = RunError.objects.get(run=run)
    assert error.application_id == broken.pk
    assert broken.name in error.message and "tape_rotation" in error.message
    others = Application.objects.exclude(pk=broken.pk)
    assert set(AppResult.objects.filter(run=run).values_list("application_id", flat=True)) == set(
        others.values_list("pk", flat=True)
    )
    assert not AppResult.objects.filter(application=broken).exists()
    assert run.summary["apps"] == others.count() and run.summary["failures"] == 1

    operator = User.objects.get(username="operator")
    api = APIClient()
    api.force_authenticate(operator)
    body = api.get(f"/api/v1/runs/{run.pk}/").json()
    assert body["status"] == "partial" and body["error_count"] == 1
    assert body["errors"][0]["application"] == broken.pk
    assert "tape_rotation" in body["errors"][0]["message"]

    page = Client()
    page.force_login(operator)
    html = page.get(f"/runs/{run.pk}/").content.decode()
    assert "Succeeded with errors" in html
    assert broken.name in html and "tape_rotation" in html
