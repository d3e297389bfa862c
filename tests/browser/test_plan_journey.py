"""A plan's sign-off in a real browser (Debian's chromium through Playwright), against a live
server and a real Celery worker on the `sizing` and `reports` queues sharing the test database:

the owner takes a revision of an app with a blocking finding, waives it with a justification and
submits; the approver finds the plan in the dashboard's queue, approves it; the worker renders
and stores the signed PDF; the PDF downloads, its text (read back with pypdf) holds the app name,
the content hash and the sign-off; the verify page says the downloaded file matches the record.
Screenshots of each page go to test-output/plan-journey-*.png.
"""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from pypdf import PdfReader

from tests.browser.test_portal_journey import PASSWORD, demo, sign_in  # noqa: F401 (demo)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WHY = "Accepted until the Munich backup target is installed in Q3; restores tested by hand."


def wait_for_stored_pdf(rev, timeout=120):
    """The reports worker renders and stores the signed PDF after the approval commits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rev.refresh_from_db()
        if rev.pdf_sha256:
            return rev
        time.sleep(0.5)
    raise AssertionError(f"the reports worker did not store r{rev.number}'s PDF in {timeout} s")


def test_plan_sign_off_journey(demo, live_server, start_worker, browser_page, output_dir):  # noqa: F811
    from planner.models import Application, BackupTarget, PlanRevision

    worker = start_worker("sizing,reports")
    page, base = browser_page, live_server.url
    shot = lambda name: page.screenshot(  # noqa: E731
        path=str(output_dir / f"plan-journey-{name}.png"), full_page=True
    )

    # An app of the owner's whose backups land in an appliance in the ASH rack: a blocking
    # finding the owner accepts with a waiver.
    app = Application.objects.filter(owner__username="owner").order_by("pk").first()
    app.backup_target = BackupTarget.objects.get(kind="rack_appliance")
    app.save()

    sign_in(page, base, "owner")
    page.goto(base + app.get_absolute_url())
    page.wait_for_selector("#plans >> text=No plan yet")  # the section loaded in place
    page.click("#create-revision")
    page.wait_for_selector("text=Revision r1 of")
    rev = PlanRevision.objects.get(application=app)
    assert page.url.endswith(f"/plans/{rev.pk}/")
    assert rev.sha256 in page.inner_text("#plan-sha256")
    assert "Not approvable" in page.inner_text("#verdict")
    assert rev.blocking_codes  # the rack appliance is a blocking finding
    shot("01-draft")

    # Waive every blocking finding, one form each; the first try without a reason is refused.
    forms = page.locator("form.waiver-form")
    assert forms.count() == len(rev.blocking_codes) >= 1
    forms.first.locator("button").click()
    page.wait_for_selector("#plan-error")
    assert "Justify the waiver" in page.inner_text("#plan-error")
    for code in rev.blocking_codes:
        form = page.locator(f"form.waiver-form:has(input[value='{code}'])")
        form.locator("textarea").fill(WHY)
        form.locator("button").click()
        page.wait_for_selector(f"text={code} waived on r1")
    assert page.locator("form.waiver-form").count() == 0
    assert "Approvable with waivers" in page.inner_text("#verdict")
    shot("02-waived")

    page.fill("#id_submit_comment", "Ready for sign-off.")
    page.click("#submit-plan")
    page.wait_for_selector("text=submitted for approval")
    assert page.inner_text("#plan-state").strip() == "submitted"
    assert page.locator("#approve-plan").count() == 0  # never for the owner
    shot("03-submitted")
    page.click("text=Sign out")

    # The approver finds it in the queue on the dashboard and signs it.
    sign_in(page, base, "approver")
    assert app.name in page.inner_text("#plans-to-sign")
    shot("04-approver-dashboard")
    page.locator("#plans-to-sign a:has-text('Review')").first.click()
    page.wait_for_selector("#approve-plan")
    page.fill("#id_approve_comment", "Fits the BC/DR strategy; waiver accepted until Q3.")
    page.click("#approve-plan")
    page.wait_for_selector("text=approved and signed")
    assert page.inner_text("#plan-state").strip() == "approved"
    rev = wait_for_stored_pdf(rev)
    assert rev.state == "approved" and rev.decided_by.username == "approver"
    assert "render_plan_pdf" in worker.log.read_text()  # rendered by the worker, not the web
    page.reload()
    assert page.inner_text("#pdf-sha256").strip() == rev.pdf_sha256
    shot("05-approved")

    # Download the signed PDF; read it back.
    with page.expect_download() as info:
        page.click("#download-pdf")
    download = info.value
    path = output_dir / "plan-journey-signed.pdf"
    download.save_as(path)
    data = path.read_bytes()
    assert download.suggested_filename == rev.pdf_filename
    assert hashlib.sha256(data).hexdigest() == rev.pdf_sha256
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    flat = re.sub(r"\s+", "", text)
    assert app.name in text
    assert rev.sha256 in flat
    assert "Fits the BC/DR strategy" in text and WHY[:40] in text

    # The verify page: the downloaded file is the stored one.
    page.goto(base + f"/plans/{rev.pk}/verify/")
    page.set_input_files("#id_file", str(path))
    page.click("#verify-pdf")
    page.wait_for_selector("#verify-result")
    assert page.get_attribute("#verify-result", "data-match") == "yes"
    shot("06-verified")

    # The dashboard shows the app's plan as approved.
    page.goto(base + "/")
    row = page.locator(f"tr:has(.plan-status):has(a:text-is('{app.name}'))")
    assert "approved r1" in row.inner_text()
    shot("07-dashboard-approved")

    # The app page's Plans section lists the signed revision with its hash and the PDF.
    page.goto(base + app.get_absolute_url())
    page.wait_for_selector("#plans #plan-r1")
    listed = page.inner_text("#plan-r1")
    assert "approved" in listed and rev.sha256[:16] in listed
    shot("08-app-plans")
