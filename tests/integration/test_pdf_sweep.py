"""A plan submitted while Redis is down has no PDF queued; the beat sweep queues it once Redis
is back, and a real `reports` worker renders and stores it."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps

from planner import reference
from planner.services import plans
from planner.tasks import render_missing_pdfs
from tests.integration.test_pdf_worker import wait_for_pdf
from tests.integration.test_plans import make_app

pytestmark = pytest.mark.integration


def test_a_render_lost_while_redis_was_down_is_queued_again_by_the_sweep(
    redis_server, start_worker, alice, settings, tmp_path
):
    reference.load(django_apps)  # a transactional test may follow one that flushed it
    settings.MEDIA_ROOT = tmp_path / "media"
    app = make_app(alice, name="swept", vms=3)

    redis_server.stop()
    try:
        rev = plans.submit_revision(plans.create_revision(app, alice), alice)  # publish fails
    finally:
        redis_server.start()
    rev.refresh_from_db()
    assert rev.state == "submitted" and rev.pdf_sha256 == "", "nothing rendered it yet"

    start_worker("reports", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert render_missing_pdfs() == "1 plan PDFs queued"
    rev = wait_for_pdf(rev, "submitted")
    assert plans.verify_pdf(rev, (settings.MEDIA_ROOT / rev.pdf.name).read_bytes())
    assert render_missing_pdfs() == "0 plan PDFs queued", "a stored PDF is never queued again"
