"""The plan pages of the owners' portal: the app's Plans section, a revision's page (summary,
findings with waivers, sign-off, audit trail), the PDF and its annex, checking a PDF, and the
plan status on the dashboard — every action and every forbidden one, through the portal.

Refusals come from planner.services.plans and are shown on the page (400), never a 500; another
owner's app or revision is a 404. PDFs are rendered for real (WeasyPrint) and read back.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from planner.models import Application, Limit
from planner.models.plans import PlanRevision, PlanTransition, Waiver
from planner.services import plans
from tests.conftest import _user
from tests.factories import ApplicationFactory, BackupTargetFactory, DiskFactory, VmFactory
from tests.shared import module_rows, refetch

pytestmark = pytest.mark.django_db

WHY = "Accepted until the new target is installed in Q3; restore tested by hand."


def make_app(owner, *, vms=3, name="payroll", **kwargs) -> Application:
    app = ApplicationFactory(owner=owner, name=name, rto_minutes=240, **kwargs)
    for i in range(vms):
        vm = VmFactory(
            application=app,
            name=f"{name}-vm-{i:02d}",
            role=("database", "middleware", "web")[i % 3],
        )
        DiskFactory(vm=vm, provisioned_gib=128, used_gib=40 + i)
    return app


@pytest.fixture
def app(alice):
    return make_app(alice)


@pytest.fixture
def blocked_app(alice):
    """alice's app with a blocking finding: its backup appliance sits in the ASH rack."""
    return make_app(alice, name="ledger", backup_target=BackupTargetFactory(kind="rack_appliance"))


def as_user(client, user) -> Client:
    client.force_login(user)
    return client


def post(client, name, rev, **data):
    return client.post(reverse(name, args=[rev.pk]), data)


def text(response) -> str:
    """The page's text without tags and with collapsed spaces (what a reader sees)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def state(rev) -> str:
    return PlanRevision.objects.values_list("state", flat=True).get(pk=rev.pk)


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- the app's Plans section ---------------------------------------------------------------------


def test_app_page_loads_its_plans_section(client, alice, app):
    response = as_user(client, alice).get(app.get_absolute_url())
    assert response.status_code == 200
    url = reverse("app-plans", args=[app.pk])
    assert f'hx-get="{url}"' in response.content.decode()  # loaded in place by htmx
    assert f'href="{url}"' in response.content.decode()  # and a link without JavaScript


def test_owner_takes_a_revision_and_sees_it_listed(client, alice, app):
    as_user(client, alice)
    response = client.get(reverse("app-plans", args=[app.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "No plan yet" in text(response) and "<html" not in response.content.decode()
    assert 'data-plan-state="none"' in response.content.decode()

    response = client.post(reverse("plan-create", args=[app.pk]), {"comment": "first plan"})
    rev = PlanRevision.objects.get(application=app)
    assert response.status_code == 302 and response.url == reverse("plan-detail", args=[rev.pk])
    assert (rev.number, rev.state, rev.created_by) == (1, "draft", alice)
    assert PlanTransition.objects.get(revision=rev).comment == "first plan"

    page = text(client.get(reverse("app-plans", args=[app.pk])))  # the page of its own
    assert "r1" in page and "draft" in page and rev.sha256[:16] in page
    assert "Submit" in page  # the action the owner may take now
    assert "Approve" not in page


def test_plans_section_lists_state_date_hash_and_approver_actions(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    response = as_user(client, carol).get(
        reverse("app-plans", args=[app.pk]), headers={"HX-Request": "true"}
    )
    page = text(response)
    assert "submitted" in page and rev.sha256[:16] in page
    assert rev.created_at.strftime("%Y-%m-%d") in page
    assert "Approve" in page and "Reject" in page
    assert "Take a new revision" not in page  # approvers do not take revisions


def test_approver_cannot_take_a_revision(client, carol, app):
    response = as_user(client, carol).post(reverse("plan-create", args=[app.pk]))
    assert response.status_code == 400
    assert "Only the owner of 'payroll'" in text(response)
    assert not PlanRevision.objects.exists()


# --- a revision's page and its actions -----------------------------------------------------------


def test_revision_page_shows_summary_findings_and_waiver_form(client, alice, blocked_app):
    rev = plans.create_revision(blocked_app, alice)
    response = as_user(client, alice).get(reverse("plan-detail", args=[rev.pk]))
    assert response.status_code == 200
    page = text(response)
    assert rev.sha256 in page
    assert "Not approvable" in page  # the verdict, as the PDF's cover says it
    assert "Recovery time (RTO)" in page
    for code in rev.blocking_codes:
        assert code in page
        assert f'value="{code}"' in response.content.decode()  # a waiver form per finding
    assert "Submit for approval" in page
    assert reverse("plan-pdf", args=[rev.pk]) in response.content.decode()
    assert "revision taken" in page  # the audit trail


def test_waiver_needs_a_justification(client, alice, blocked_app):
    rev = plans.create_revision(blocked_app, alice)
    code = rev.blocking_codes[0]
    response = post(as_user(client, alice), "plan-waive", rev, code=code, justification="ok")
    assert response.status_code == 400
    assert "Justify the waiver in a sentence or two" in text(response)
    assert not Waiver.objects.exists()

    response = post(client, "plan-waive", rev, code=code, justification=WHY)
    assert response.status_code == 302
    waiver = Waiver.objects.get(revision=rev)
    assert (waiver.code, waiver.by, waiver.justification) == (code, alice, WHY)
    page = text(client.get(response.url))
    assert f"{code} waived on r1" in page and "Waived by alice" in page and WHY in page


def test_waiving_a_finding_that_is_not_blocking_is_refused(client, alice, blocked_app):
    rev = plans.create_revision(blocked_app, alice)
    response = post(as_user(client, alice), "plan-waive", rev, code="NOPE", justification=WHY)
    assert response.status_code == 400
    assert "NOPE is not a blocking finding of revision r1" in text(response)


def test_owner_submits_then_can_neither_waive_nor_submit_again(client, alice, blocked_app):
    rev = plans.create_revision(blocked_app, alice)
    as_user(client, alice)
    response = post(client, "plan-submit", rev, comment="please sign")
    assert response.status_code == 302 and state(rev) == "submitted"
    page = text(client.get(response.url))
    assert "submitted for approval" in page and "Submit for approval" not in page
    assert "you cannot sign off your own app's plan" in page

    response = post(client, "plan-waive", rev, code=rev.blocking_codes[0], justification=WHY)
    assert response.status_code == 400
    assert "Only an approver may waive a finding of a plan" in text(response)
    assert not Waiver.objects.exists()

    response = post(client, "plan-submit", rev)
    assert response.status_code == 400
    assert "Revision r1 is already submitted: only a draft is submitted." in text(response)


def test_owner_cannot_approve_own_plan(client, alice, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    response = post(as_user(client, alice), "plan-approve", rev)
    assert response.status_code == 400
    assert "Only an approver may approve a plan" in text(response)
    assert state(rev) == "submitted"
    response = post(client, "plan-reject", rev, comment="no")
    assert response.status_code == 400 and state(rev) == "submitted"


def test_approver_who_owns_the_app_cannot_approve_it(client, carol):
    app = make_app(carol, name="approvers-own")
    rev = plans.submit_revision(plans.create_revision(app, carol), carol)
    response = post(as_user(client, carol), "plan-approve", rev)
    assert response.status_code == 400
    assert "You own 'approvers-own': another approver must approve its plan" in text(response)
    assert state(rev) == "submitted"
    assert 'id="approve-plan"' not in response.content.decode()  # no button offered either


def test_approval_refused_while_a_blocking_finding_has_no_waiver(client, alice, carol, blocked_app):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    as_user(client, carol)
    page = client.get(reverse("plan-detail", args=[rev.pk]))
    assert "Cannot approve yet: blocking findings without a waiver" in text(page)
    response = post(client, "plan-approve", rev, comment="fine")
    assert response.status_code == 400
    assert "Approval refused: 1 blocking finding(s) have no waiver" in text(response)
    assert state(rev) == "submitted"

    # The approver may record the waiver on a submitted revision, then approve.
    code = rev.blocking_codes[0]
    assert post(client, "plan-waive", rev, code=code, justification=WHY).status_code == 302
    response = post(client, "plan-approve", rev, comment="fine with the waiver")
    assert response.status_code == 302 and state(rev) == "approved"


def test_reject_needs_a_comment(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    as_user(client, carol)
    response = post(client, "plan-reject", rev, comment="   ")
    assert response.status_code == 400
    assert "Say why the plan is rejected: the owner needs it to fix the plan." in text(response)
    assert state(rev) == "submitted"

    response = post(client, "plan-reject", rev, comment="The RPO is too loose for payroll.")
    assert response.status_code == 302 and state(rev) == "rejected"
    page = text(client.get(response.url))
    assert "The RPO is too loose for payroll." in page  # the decision and the trail
    assert "rejected" in page


def test_too_long_a_comment_is_refused_with_the_limit(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    response = post(as_user(client, carol), "plan-approve", rev, comment="x" * 2001)
    assert response.status_code == 400
    assert "keep it under 2,000" in text(response) and state(rev) == "submitted"


def test_approver_approves_and_the_signed_pdf_downloads(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    as_user(client, carol)
    response = post(client, "plan-approve", rev, comment="Fits the BC/DR strategy.")
    assert response.status_code == 302 and state(rev) == "approved"
    page = text(client.get(response.url))
    assert "Fits the BC/DR strategy." in page and "Approved" in page

    # Until the reports worker has stored the signed PDF, the download says so and asks again.
    response = client.get(reverse("plan-pdf", args=[rev.pk]))
    assert response.status_code == 202 and response["Retry-After"] == "5"
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()
    assert "being rendered and stored by the reports worker" in text(response)
    rev.refresh_from_db()
    assert not rev.pdf_sha256  # nothing rendered in the web process
    plans.render_and_store_pdf(rev.pk)  # what the reports worker runs (planner.tasks)
    for user in (carol, alice):  # anyone allowed: the approver and the owner
        as_user(client, user)
        response = client.get(reverse("plan-pdf", args=[rev.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="payroll-plan-r1.pdf"'
        data = response.content
        rev.refresh_from_db()
        assert hashlib.sha256(data).hexdigest() == rev.pdf_sha256 == response["X-PDF-SHA256"]
    body = pdf_text(data)
    assert "payroll" in body and rev.sha256[:16] in body.replace("\n", "")
    assert "Fits the BC/DR strategy." in body
    # On-premises targets bill nothing: a sentence, not a flat empty chart.
    assert rev.snapshot["result"]["monthly_cost"] == 0
    assert "No public-cloud cost over the 36 months projected" in body
    page = text(client.get(reverse("plan-detail", args=[rev.pk])))
    assert rev.pdf_sha256 in page  # the PDF's hash, recorded


def test_a_pdf_the_reports_worker_did_not_store_in_time_is_rendered_on_download(
    client, alice, app, settings, caplog
):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    as_user(client, alice)
    assert client.get(reverse("plan-pdf", args=[rev.pk])).status_code == 202
    # No reports worker stored it within PDF_RENDER_WAIT_SECONDS of the submission (none runs):
    # the download renders and stores it after all, with a warning for the operators.
    settings.PDF_RENDER_WAIT_SECONDS = 0
    response = client.get(reverse("plan-pdf", args=[rev.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    rev.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == rev.pdf_sha256
    assert "is a reports worker running?" in caplog.text


def test_the_wait_for_a_pdf_counts_from_the_last_change_that_dropped_it(alice, carol, blocked_app):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    submitted = PlanTransition.objects.get(revision=rev, to_state="submitted").at
    assert plans._pdf_asked_for(rev) == submitted
    # An approver's waiver on the submitted revision drops its stored PDF: the wait restarts.
    code = rev.blocking_codes[0]
    plans.add_waiver(rev, code, carol, "Accepted until the second site opens in March.")
    waived = Waiver.objects.get(revision=rev, code=code).at
    assert waived >= submitted and plans._pdf_asked_for(rev) == waived


def test_a_draft_pdf_is_rendered_and_not_stored(client, alice, app, redis):
    rev = plans.create_revision(app, alice)
    response = as_user(client, alice).get(reverse("plan-pdf", args=[rev.pk]))
    assert response.status_code == 202  # queued on the reports worker, not rendered here
    assert "rendered by the reports worker" in response.content.decode()
    plans.render_draft_pdf(rev.pk, alice.pk)  # what the worker runs
    response = client.get(reverse("plan-pdf", args=[rev.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    rev.refresh_from_db()
    assert not rev.pdf_sha256 and not rev.pdf
    assert "X-PDF-SHA256" not in response


def test_a_pdf_altered_in_storage_is_refused_with_the_reason(client, alice, carol, app):
    from django.core.files.storage import default_storage

    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.render_and_store_pdf(rev.pk)
    rev.refresh_from_db()
    with default_storage.open(rev.pdf.name, "wb") as fh:
        fh.write(b"%PDF-1.7 tampered")
    response = as_user(client, carol).get(reverse("plan-pdf", args=[rev.pk]))
    assert response.status_code == 409
    assert "does not match its recorded SHA-256: it was altered in storage" in text(response)


def test_an_app_changed_after_submission_cannot_be_approved(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    Application.objects.filter(pk=app.pk).update(rto_minutes=60)
    response = post(as_user(client, carol), "plan-approve", rev)
    assert response.status_code == 400
    assert "'payroll' changed since revision r1 was taken (settings: rto minutes)" in text(response)
    assert state(rev) == "submitted"


def test_a_superseded_revision_points_to_the_latest(client, alice, app):
    first = plans.create_revision(app, alice)
    second = plans.create_revision(app, alice)
    as_user(client, alice)
    page = text(client.get(reverse("plan-detail", args=[first.pk])))
    assert "Revision r2 (draft) supersedes this one." in page
    response = post(client, "plan-submit", first)
    assert response.status_code == 400
    assert "Revision r2 of 'payroll' supersedes r1: submit the latest revision instead." in text(
        response
    )
    assert state(first) == "draft" and state(second) == "draft"


# --- the annex -----------------------------------------------------------------------------------


def test_no_annex_for_a_small_app(client, alice, app):
    rev = plans.create_revision(app, alice)
    response = as_user(client, alice).get(reverse("plan-annex", args=[rev.pk]))
    assert response.status_code == 404


def test_a_large_app_gets_its_vm_annex_as_csv(client, alice, carol, app, monkeypatch):
    from planner.reports import render

    monkeypatch.setattr(render, "ANNEX_CSV_OVER_VMS", 2)  # the threshold, not the renderer
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.approve_revision(rev, carol, "ok")
    plans.render_and_store_pdf(rev.pk)
    as_user(client, carol)
    page = client.get(reverse("plan-detail", args=[rev.pk]))
    assert 'id="download-annex"' in page.content.decode()
    response = client.get(reverse("plan-annex", args=[rev.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="payroll-plan-r1-vms.csv"'
    body = response.content.decode()
    assert all(f"payroll-vm-{i:02d}" in body for i in range(3))


# --- verify a PDF --------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def signed_once(django_db_setup, django_db_blocker):
    """An approved revision and its signed PDF, rendered once for the class (tests/shared.py):
    each test gets a clean copy of the rows."""
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            alice, carol = _user("alice", "owners"), _user("carol", "approvers")
            rev = plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
            rev = plans.approve_revision(rev, carol, "ok")
            data, _ = plans.revision_pdf(rev)
        yield rev, data


@pytest.fixture
def signed(signed_once, alice):
    rev, data = signed_once
    return refetch(rev), data


def upload(client, rev, content: bytes | None, name="plan.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {} if content is None else {"file": SimpleUploadedFile(name, content)}
    return client.post(reverse("plan-verify", args=[rev.pk]), data)


@pytest.mark.usefixtures("signed_once")
class TestVerifySigned:
    """Checking an approved plan's PDF: the PDF is rendered once for these tests."""

    def test_verify_page_says_whether_the_pdf_matches(self, client, alice, bob, signed):
        rev, data = signed
        as_user(client, alice)
        page = client.get(reverse("plan-verify", args=[rev.pk]))
        assert page.status_code == 200 and rev.pdf_sha256 in text(page)

        response = upload(client, rev, data)
        assert response.status_code == 200
        assert 'data-match="yes"' in response.content.decode()
        assert "It matches." in text(response)

        altered = data + b"% one byte more is another file\n"  # a PDF reader still opens it
        response = upload(client, rev, altered, "edited.pdf")
        assert response.status_code == 200
        assert 'data-match="no"' in response.content.decode()
        page = text(response)
        assert "It does not match." in page and hashlib.sha256(altered).hexdigest() in page

    @pytest.mark.parametrize(
        "content, name, message",
        [
            (None, "", "Choose the PDF file to check"),
            (b"", "empty.pdf", "'empty.pdf' is empty: choose the plan's PDF file itself."),
            (b"PK\x03\x04 a word file", "plan.docx", "'plan.docx' is not a PDF (it does not start"),
            (b"<html>not a pdf</html>", "plan.pdf", "'plan.pdf' is not a PDF"),
        ],
    )
    def test_verify_refuses_a_bad_upload_saying_why(
        self, client, alice, signed, content, name, message
    ):
        rev, _ = signed
        response = upload(as_user(client, alice), rev, content, name)
        assert response.status_code == 400
        assert message in text(response)
        assert "It matches" not in text(response)

    @override_settings(PLAN_VERIFY_MAX_UPLOAD_BYTES=1024)
    def test_verify_refuses_an_upload_over_the_limit(self, client, alice, signed):
        rev, data = signed
        response = upload(as_user(client, alice), rev, data)
        assert response.status_code == 400
        assert f"'plan.pdf' is {len(data) / 1024:,.0f} KiB, more than the 1 KiB" in text(response)
        assert "choose the plan's PDF, not another file" in text(response)


def test_verifying_a_draft_says_nothing_is_stored(client, alice, app):
    rev = plans.create_revision(app, alice)
    response = upload(as_user(client, alice), rev, b"%PDF-1.7\n%%EOF\n")
    assert response.status_code == 400
    assert "has no stored PDF to check against (a draft's PDF is never stored)" in text(response)


# --- access, methods, CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, name",
    [
        ("get", "plan-detail"),
        ("get", "plan-pdf"),
        ("get", "plan-annex"),
        ("get", "plan-verify"),
        ("post", "plan-verify"),
        ("post", "plan-submit"),
        ("post", "plan-approve"),
        ("post", "plan-reject"),
        ("post", "plan-waive"),
    ],
)
def test_another_owner_gets_404(client, alice, bob, app, method, name):
    rev = plans.create_revision(app, alice)
    response = getattr(as_user(client, bob), method)(reverse(name, args=[rev.pk]))
    assert response.status_code == 404
    assert state(rev) == "draft"


@pytest.mark.parametrize("method, name", [("get", "app-plans"), ("post", "plan-create")])
def test_another_owners_app_plans_are_404(client, bob, app, method, name):
    response = getattr(as_user(client, bob), method)(reverse(name, args=[app.pk]))
    assert response.status_code == 404
    assert not PlanRevision.objects.exists()


@pytest.mark.parametrize("user", ["carol", "olga"])
def test_approvers_and_operators_see_every_plan(client, request, alice, app, user):
    rev = plans.create_revision(app, alice)
    as_user(client, request.getfixturevalue(user))
    assert client.get(reverse("plan-detail", args=[rev.pk])).status_code == 200
    assert client.get(reverse("app-plans", args=[app.pk])).status_code == 200


@pytest.mark.parametrize(
    "name", ["plan-submit", "plan-approve", "plan-reject", "plan-waive", "plan-create"]
)
def test_actions_are_post_only(client, alice, app, name):
    rev = plans.create_revision(app, alice)
    target = app if name == "plan-create" else rev
    response = as_user(client, alice).get(reverse(name, args=[target.pk]))
    assert response.status_code == 405
    assert state(rev) == "draft" and PlanRevision.objects.count() == 1


def test_actions_need_the_csrf_token(alice, app):
    rev = plans.create_revision(app, alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("plan-submit", args=[rev.pk])).status_code == 403
    assert state(rev) == "draft"
    page = client.get(reverse("plan-detail", args=[rev.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(reverse("plan-submit", args=[rev.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and state(rev) == "submitted"


def test_anonymous_is_sent_to_sign_in(client, alice, app):
    rev = plans.create_revision(app, alice)
    for url in (reverse("plan-detail", args=[rev.pk]), reverse("plan-pdf", args=[rev.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/")


# --- the dashboard's plan status -----------------------------------------------------------------


def dashboard_states(client) -> dict[str, str]:
    """App name -> its plan status badges' data-plan-state on the dashboard."""
    html = client.get(reverse("dashboard")).content.decode()
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    out = {}
    for row in rows:
        name = re.search(r'<a href="/apps/\d+/">([^<]+)</a>', row)
        plan = re.search(r'data-plan-state="([^"]+)"', row)
        if name and plan:
            out[name.group(1)] = plan.group(1)
    return out


def test_dashboard_shows_each_apps_plan_status(client, alice, carol):
    apps = {n: make_app(alice, name=n, vms=1) for n in ("a-none", "b-draft", "c-sub", "d-ok")}
    stale = make_app(alice, name="e-stale", vms=1)
    plans.create_revision(apps["b-draft"], alice)
    plans.submit_revision(plans.create_revision(apps["c-sub"], alice), alice)
    for app in (apps["d-ok"], stale):
        rev = plans.submit_revision(plans.create_revision(app, alice), alice)
        plans.approve_revision(rev, carol, "ok")
    Application.objects.filter(pk=stale.pk).update(rto_minutes=30)  # changed since approval

    as_user(client, alice)
    assert dashboard_states(client) == {
        "a-none": "none",
        "b-draft": "draft",
        "c-sub": "submitted",
        "d-ok": "approved",
        "e-stale": "approved stale",
    }
    page = text(client.get(reverse("dashboard")))
    assert "stale: app changed" in page
    assert "Your plans awaiting sign-off" in page and "c-sub" in page

    # The approver's dashboard: the queue of plans to sign.
    as_user(client, carol)
    response = client.get(reverse("dashboard"))
    assert "Plans awaiting sign-off" in text(response)
    queue = response.content.decode().split('id="plans-to-sign"')[1].split("</table>")[0]
    assert "c-sub" in queue and "d-ok" not in queue


def test_dashboard_flags_plans_due_for_review(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.approve_revision(rev, carol, "ok")
    Limit.objects.create(
        key="plan.review_days",
        value=0,
        unit="days",
        description="review at once",
        source="test",
        effective_date=timezone.localdate(),
    )
    as_user(client, alice)
    assert "review-due" in dashboard_states(client)["payroll"]
    assert "review due" in text(client.get(reverse("dashboard")))
    section = client.get(reverse("app-plans", args=[app.pk]))
    assert "is due for its yearly review since" in text(section)


def test_stale_plan_says_what_changed_on_the_app_page(client, alice, carol, app):
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.approve_revision(rev, carol, "ok")
    Application.objects.filter(pk=app.pk).update(rto_minutes=30)
    page = text(as_user(client, alice).get(reverse("app-plans", args=[app.pk])))
    assert "The approved plan r1 is stale: payroll changed since it was signed" in page
    assert "rto minutes" in page and "Take a new revision and have it signed." in page
    page = text(client.get(reverse("plan-detail", args=[rev.pk])))
    assert "Stale: payroll changed since this plan was signed" in page


def test_approvers_queue_leaves_out_their_own_apps(client, alice, carol):
    others = make_app(alice, name="alices", vms=1)
    own = make_app(carol, name="carols", vms=1)
    for app, owner in ((others, alice), (own, carol)):
        plans.submit_revision(plans.create_revision(app, owner), owner)
    html = as_user(client, carol).get(reverse("dashboard")).content.decode()
    queue = html.split('id="plans-to-sign"')[1].split("</table>")[0]
    assert "alices" in queue and "carols" not in queue  # another approver signs carol's
