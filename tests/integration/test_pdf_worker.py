"""The plan PDF is rendered by a real Celery worker listening on the `reports` queue only."""

from __future__ import annotations

import time

import pytest
from django.apps import apps as django_apps

from planner import reference
from planner.models.plans import PlanRevision
from planner.reports.canonical import sha256_hex
from planner.services import plans
from tests.integration.test_plans import make_app

pytestmark = pytest.mark.integration


def wait_for_pdf(rev: PlanRevision, state: str, timeout: float = 90) -> PlanRevision:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rev.refresh_from_db()
        if rev.pdf_sha256 and f"-{state}-" in rev.pdf.name:
            return rev
        time.sleep(0.2)
    raise AssertionError(f"no {state} PDF stored for r{rev.number} within {timeout} s")


def test_submitted_and_approved_plans_are_rendered_on_the_reports_queue(
    start_worker, alice, carol, settings, tmp_path
):
    reference.load(django_apps)  # a transactional test may follow one that flushed it
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = start_worker("reports", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    app = make_app(alice, name="queued", vms=4)

    rev = plans.submit_revision(plans.create_revision(app, alice), alice)  # queued on commit
    rev = wait_for_pdf(rev, "submitted")
    review = (settings.MEDIA_ROOT / rev.pdf.name).read_bytes()
    assert review.startswith(b"%PDF-") and plans.verify_pdf(rev, review)

    rev = plans.approve_revision(rev, carol, "Signed through the worker.")
    rev = wait_for_pdf(rev, "approved")
    signed, name = plans.revision_pdf(rev)  # served from storage, not rendered here
    assert name == "queued-plan-r1.pdf" and plans.verify_pdf(rev, signed)
    assert (
        not (settings.MEDIA_ROOT / "plans" / str(app.pk))
        .joinpath("queued-plan-r1-submitted-" + sha256_hex(review)[:12] + ".pdf")
        .exists()
    ), "the review copy is deleted once the signed copy replaces it"

    log = worker.log.read_text()
    assert "reports" in log and "planner.tasks.render_plan_pdf" in log
    assert log.count("succeeded") >= 2 and "r1 (approved)" in log
