"""Plan pages: an app's revisions, a revision (summary, findings and waivers, sign-off, audit
trail), the PDF and its CSV annex, and checking a PDF's hash against the record.

The workflow and its rules live in ``planner.services.plans``; these views only call it. A
refusal is its ``PlanError`` message, shown on the page it came from (status 400) beside the
form that was sent, never a 500. Every action is a POST with Django's CSRF token. Access is
``access.app_for_user``: another owner's app or revision is a 404, exactly as if it did not
exist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from planner.exports import content_disposition
from planner.models import Application, PlanRevision
from planner.models.plans import PdfNotReady, PlanError, PlanState
from planner.reports.canonical import sha256_hex
from planner.services import plans
from portal import access

MAX_COMMENT = 2000
PDF_MAGIC = b"%PDF-"
# Uploads to check: a plan PDF of a few thousand VMs is a few MiB; the cap keeps a careless
# upload (a disk image, a video) from being read through. Settings may raise it.
DEFAULT_VERIFY_MAX_BYTES = 50 * 1024 * 1024

STATE_BADGES = {
    PlanState.DRAFT: "info",
    PlanState.SUBMITTED: "warn",
    PlanState.APPROVED: "ok",
    PlanState.REJECTED: "bad",
}


def verify_max_bytes() -> int:
    return int(getattr(settings, "PLAN_VERIFY_MAX_UPLOAD_BYTES", DEFAULT_VERIFY_MAX_BYTES))


def _revision_for_user(user, pk) -> PlanRevision:
    """The revision if the user may see its app, else 404."""
    return get_object_or_404(
        PlanRevision.objects.for_user(user).select_related(
            "application__owner", "created_by", "decided_by"
        ),
        pk=pk,
    )


def _comment(request, field: str = "comment") -> str:
    comment = (request.POST.get(field) or "").strip()
    if len(comment) > MAX_COMMENT:
        raise PlanError(
            f"The comment is {len(comment):,} characters long: keep it under {MAX_COMMENT:,} "
            "(link a document for the details)."
        )
    return comment


# --- an app's plans ---------------------------------------------------------------------------


def _app_plans_context(request, app: Application) -> dict:
    user = request.user
    revisions = list(
        PlanRevision.objects.filter(application=app)
        .defer("snapshot")
        .select_related("created_by", "decided_by")
        .order_by("-number")
    )
    status = plans.plan_status(app)
    for rev in revisions:
        rev.badge = STATE_BADGES.get(rev.state, "muted")
        rev.is_approved_plan = status["approved"] is not None and rev.pk == status["approved"].pk
    latest = revisions[0] if revisions else None
    return {
        "app": app,
        "revisions": revisions,
        "status": status,
        "latest": latest,
        "latest_actions": plans.allowed_actions(latest, user) if latest else {},
        "is_owner": app.owner_id == user.pk,
        "is_approver": access.is_approver(user),
    }


def _app_plans_page(request, app: Application, *, error: str = "", status: int = 200):
    context = {**_app_plans_context(request, app), "error": error}
    fragment = request.headers.get("HX-Request") == "true" and not error
    template = "portal/plan_section.html" if fragment else "portal/plan_list.html"
    return render(request, template, context, status=status)


@login_required
def app_plans(request, pk):
    """The "Plans" section of the app page (htmx loads it there), or a page of its own."""
    app = access.app_for_user(request.user, pk, Application.objects.select_related("owner"))
    return _app_plans_page(request, app)


@login_required
@require_POST
def plan_create(request, pk):
    app = access.app_for_user(request.user, pk, Application.objects.select_related("owner"))
    try:
        rev = plans.create_revision(app, request.user, _comment(request))
    except PlanError as exc:
        return _app_plans_page(request, app, error=str(exc), status=400)
    messages.success(
        request,
        f"Revision r{rev.number} of '{app.name}' taken: its figures and findings are frozen "
        "with their SHA-256. Waive what you accept, then submit it for approval.",
    )
    return redirect("plan-detail", pk=rev.pk)


# --- one revision -----------------------------------------------------------------------------


def _detail_context(request, rev: PlanRevision) -> dict:
    from planner.reports.render import plan_context, revision_meta

    user = request.user
    app = rev.application
    meta = revision_meta(rev)
    doc = plan_context(rev.snapshot, meta)
    waived = {w["code"] for w in meta.waivers}
    unwaived = [c for c in rev.blocking_codes if c not in waived]
    status = plans.plan_status(app)
    actions = plans.allowed_actions(rev, user)
    latest = status["latest"]
    return {
        "app": app,
        "rev": rev,
        "doc": doc,
        "badge": STATE_BADGES.get(rev.state, "muted"),
        "actions": actions,
        "unwaived": unwaived,
        "status": status,
        "is_latest": latest is not None and latest.pk == rev.pk,
        "latest": latest,
        "is_approved_plan": status["approved"] is not None and status["approved"].pk == rev.pk,
        "is_owner": app.owner_id == user.pk,
        "is_approver": access.is_approver(user),
        "min_justification": plans.MIN_JUSTIFICATION,
        "max_comment": MAX_COMMENT,
        "has_annex": plans.revision_annex(rev) is not None,
        "vm_count": len(rev.snapshot.get("vms", [])),
    }


def _detail_page(request, rev, *, errors: dict | None = None, status: int = 200, posted=None):
    context = _detail_context(request, rev)
    context["errors"] = errors or {}
    context["posted"] = posted or {}
    return render(request, "portal/plan_detail.html", context, status=status)


@login_required
def plan_detail(request, pk):
    return _detail_page(request, _revision_for_user(request.user, pk))


def _action(request, pk, name: str, do, success: str):
    """Run one workflow step; on refusal, the page again with the message by the form."""
    rev = _revision_for_user(request.user, pk)
    try:
        result = do(rev)
    except PlanError as exc:
        rev = _revision_for_user(request.user, pk)  # as it is now, after the refusal
        return _detail_page(
            request, rev, errors={name: str(exc)}, status=400, posted=request.POST.dict()
        )
    messages.success(request, success.format(rev=rev, result=result))
    return redirect("plan-detail", pk=rev.pk)


@login_required
@require_POST
def plan_submit(request, pk):
    return _action(
        request,
        pk,
        "submit",
        lambda rev: plans.submit_revision(rev, request.user, _comment(request)),
        "Revision r{rev.number} submitted for approval: it can no longer change. An approver "
        "who does not own the app signs it off; the review PDF is being rendered.",
    )


@login_required
@require_POST
def plan_approve(request, pk):
    return _action(
        request,
        pk,
        "approve",
        lambda rev: plans.approve_revision(rev, request.user, _comment(request)),
        "Revision r{rev.number} approved and signed. The signed PDF (with the sign-off block) "
        "is being rendered; download it below.",
    )


@login_required
@require_POST
def plan_reject(request, pk):
    return _action(
        request,
        pk,
        "reject",
        lambda rev: plans.reject_revision(rev, request.user, _comment(request)),
        "Revision r{rev.number} rejected; the owner sees your comment and takes a new revision.",
    )


@login_required
@require_POST
def plan_waive(request, pk):
    def waive(rev):
        return plans.add_waiver(
            rev,
            request.POST.get("code", ""),
            request.user,
            _comment(request, "justification"),
        )

    return _action(
        request,
        pk,
        "waive",
        waive,
        "{result.code} waived on r{rev.number}: who, when and why are recorded and printed in "
        "the PDF.",
    )


# --- the PDF, the annex, checking a PDF ---------------------------------------------------------


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def plan_pdf(request, pk):
    rev = _revision_for_user(request.user, pk)
    try:
        data, filename = plans.revision_pdf(rev, wait_for_worker=True, user=request.user)
    except PdfNotReady as exc:
        context = {
            "rev": rev,
            "app": rev.application,
            "message": str(exc),
            "retry_after": exc.retry_after,
        }
        response = render(request, "portal/plan_pdf_pending.html", context, status=202)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except PlanError as exc:
        rev = _revision_for_user(request.user, pk)
        return _detail_page(request, rev, errors={"pdf": str(exc)}, status=409)
    response = _download(data, filename, "application/pdf")
    response["X-Plan-SHA256"] = rev.sha256
    if rev.state != PlanState.DRAFT:
        response["X-PDF-SHA256"] = sha256_hex(data)
    return response


@login_required
def plan_annex(request, pk):
    rev = _revision_for_user(request.user, pk)
    annex = plans.revision_annex(rev)
    if annex is None:
        raise Http404(
            "This revision has no VM annex: only apps of over 300 VMs get their VM list as a CSV "
            "beside the PDF, and only once the PDF is stored."
        )
    return _download(*annex, "text/csv")


def _size(n: int) -> str:
    return f"{n / 1_048_576:,.1f} MiB" if n >= 1_048_576 else f"{n / 1024:,.0f} KiB"


def _check_upload(upload) -> str | None:
    """Why the upload cannot be checked, or None."""
    limit = verify_max_bytes()
    if upload is None:
        return (
            "Choose the PDF file to check (the one you downloaded or were sent), then press Check."
        )
    if upload.size == 0:
        return f"'{upload.name}' is empty: choose the plan's PDF file itself."
    if upload.size > limit:
        return (
            f"'{upload.name}' is {_size(upload.size)}, more than the {_size(limit)} a plan PDF "
            "can be: choose the plan's PDF, not another file."
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if PDF_MAGIC not in head:
        return (
            f"'{upload.name}' is not a PDF (it does not start with %PDF-): choose the PDF "
            "downloaded from Recovery Planner, not a scan, a screenshot or a Word file."
        )
    return None


@login_required
def plan_verify(request, pk):
    rev = _revision_for_user(request.user, pk)
    context = {
        "app": rev.application,
        "rev": rev,
        "badge": STATE_BADGES.get(rev.state, "muted"),
        "max_mib": verify_max_bytes() / 1_048_576,
        "error": "",
        "checked": None,
    }
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        error = _check_upload(upload)
        if error is None:
            digest = sha256_hex(b"".join(upload.chunks()))
            try:
                match = plans.verify_pdf(rev, upload)
            except PlanError as exc:
                error = str(exc)
            else:
                context["checked"] = {"name": upload.name, "sha256": digest, "match": match}
        if error:
            context["error"], status = error, 400
    return render(request, "portal/plan_verify.html", context, status=status)
