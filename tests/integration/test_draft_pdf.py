"""Draft PDFs: rendered by a real Celery worker on the reports queue into a cache keyed by the
draft's content, served from that cache while the draft is unchanged, and at most one render per
user at a time (a slot in the real Redis), so parallel downloads cannot occupy the web workers.
"""

from __future__ import annotations

import io
import time

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from pypdf import PdfReader

from planner import reference
from planner.models.plans import PdfNotReady, PlanError
from planner.services import plans
from tests.factories import BackupTargetFactory
from tests.integration.test_plans import WHY, make_app

pytestmark = pytest.mark.integration


def download(rev, user):
    return plans.revision_pdf(rev, wait_for_worker=True, user=user)


def wait_for_draft(rev, user, timeout: float = 90) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return download(rev, user)[0]
        except PdfNotReady:
            time.sleep(0.3)
    raise AssertionError(f"draft r{rev.number}'s PDF not ready within {timeout} s")


def queued(redis) -> int:
    return int(redis.cli("LLEN", "reports"))


@pytest.fixture
def media(settings, tmp_path):
    reference.load(django_apps)  # a transactional test may follow one that flushed it
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_draft_is_rendered_by_the_worker_once_and_served_from_the_cache(
    start_worker, media, alice
):
    worker = start_worker("reports", MEDIA_ROOT=str(media))
    app = make_app(alice, name="drafty", vms=4)
    rev = plans.create_revision(app, alice)
    with pytest.raises(PdfNotReady, match="being rendered by the reports worker"):
        download(rev, alice)
    pdf = wait_for_draft(rev, alice)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "drafty" in text
    key = plans.draft_pdf_key(rev)
    cached = media / "plans" / "drafts" / str(app.pk) / f"{rev.pk}-{key[:32]}.pdf"
    assert cached.read_bytes() == pdf
    rev.refresh_from_db()
    assert not rev.pdf and not rev.pdf_sha256  # a draft's PDF is never the stored record
    worker.stop()
    assert download(rev, alice) == (pdf, "drafty-plan-r1.pdf")  # no worker: the cache serves
    assert worker.log.read_text().count("planner.tasks.render_draft_pdf") >= 1


def test_a_changed_draft_gets_a_new_pdf_and_the_old_copy_goes(start_worker, media, alice):
    start_worker("reports", MEDIA_ROOT=str(media))
    app = make_app(  # a blocking finding: its backup appliance sits in the ASH rack
        alice, name="ledger-draft", vms=3, backup_target=BackupTargetFactory(kind="rack_appliance")
    )
    rev = plans.create_revision(app, alice)
    assert rev.blocking_codes
    with pytest.raises(PdfNotReady):
        download(rev, alice)
    first = wait_for_draft(rev, alice)
    old_key = plans.draft_pdf_key(rev)
    plans.add_waiver(rev, rev.blocking_codes[0], alice, WHY)  # printed in the PDF
    assert plans.draft_pdf_key(rev) != old_key
    with pytest.raises(PdfNotReady):
        download(rev, alice)  # not served from the old copy
    second = wait_for_draft(rev, alice)
    assert second != first
    folder = media / "plans" / "drafts" / str(app.pk)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{rev.pk}-{plans.draft_pdf_key(rev)[:32]}.pdf"
    ]


def test_one_render_per_user_at_a_time(transactional_db, redis, media, alice, bob):
    """No worker runs: the first draft's render waits in the queue and holds alice's slot."""
    first = plans.create_revision(make_app(alice, name="one", vms=2), alice)
    second = plans.create_revision(make_app(alice, name="two", vms=2), alice)
    others = plans.create_revision(make_app(bob, name="bobs", vms=2), bob)
    with pytest.raises(PdfNotReady, match="being rendered by the reports worker"):
        download(first, alice)
    assert queued(redis) == 1
    for _ in range(3):  # parallel downloads of another draft queue nothing more
        with pytest.raises(PdfNotReady, match="another of your draft PDFs is rendered first"):
            download(second, alice)
        with pytest.raises(PdfNotReady, match="is not ready: one render at a time"):
            download(first, alice)
    assert queued(redis) == 1
    with pytest.raises(PdfNotReady, match="being rendered by the reports worker"):
        download(others, bob)  # bob has his own slot
    assert queued(redis) == 2
    plans.render_draft_pdf(first.pk, alice.pk)  # the worker's task: frees alice's slot
    assert download(first, alice)[0].startswith(b"%PDF-")
    with pytest.raises(PdfNotReady, match="being rendered by the reports worker"):
        download(second, alice)
    assert queued(redis) == 3


def test_a_slot_held_past_the_wait_is_rendered_in_the_web_process(
    transactional_db, redis, media, alice, settings
):
    """No reports worker at all: after PDF_RENDER_WAIT_SECONDS the download renders it itself."""
    rev = plans.create_revision(make_app(alice, name="nowork", vms=2), alice)
    with pytest.raises(PdfNotReady):
        download(rev, alice)
    settings.PDF_RENDER_WAIT_SECONDS = 0
    data, name = download(rev, alice)
    assert data.startswith(b"%PDF-") and name == "nowork-plan-r1.pdf"
    assert redis.cli("EXISTS", f"planner:draft-pdf:user:{alice.pk}") == "0"  # slot freed
    key = plans.draft_pdf_key(rev)
    assert default_storage.exists(f"plans/drafts/{rev.application_id}/{rev.pk}-{key[:32]}.pdf")


def test_redis_down_is_a_clear_refusal_not_a_500(transactional_db, redis_server, media, alice):
    rev = plans.create_revision(make_app(alice, name="offline", vms=2), alice)
    redis_server.stop()
    try:
        with pytest.raises(PlanError, match="task queue is not answering"):
            download(rev, alice)
    finally:
        redis_server.start()
