"""Recovery plans: revisions, the approval workflow and the signed PDF (DESIGN §6).

The portal pages, the REST API, ``manage.py export_plan`` and the tasks call these functions;
none of them renders a page. Every action is one transaction and raises ``PlanError`` (from
``planner.models.plans``) with a message a person can act on — show it as it is (a form error,
a 400 from the API). Read access (which revisions a user may see) is the caller's job:
``PlanRevision.objects.for_user(user)`` / ``Application.objects.for_user(user)``; 404 otherwise.

Workflow: draft -> submitted -> approved | rejected, each step recorded in ``PlanTransition``.

    create_revision(app, user, comment="") -> PlanRevision
        The app's owner takes a revision: the app is re-sized in the same transaction (so the
        snapshot's figures match its inputs), then inputs, results, findings, runbooks,
        schedule, drills and engine/price/limit versions are frozen with their SHA-256.
    submit_revision(rev, user, comment="") -> PlanRevision
        The owner submits the latest draft; refused if the app changed since it was taken.
        The review copy of the PDF is rendered on the reports queue.
    approve_revision(rev, user, comment="") -> PlanRevision
        An approver who neither owns the app, took the revision nor submitted it (superusers
        included: separation of duties) approves the latest submitted revision; refused
        while a blocking finding has no waiver or if the app changed since it was taken.
        The signed PDF (with the sign-off block) is rendered on the reports queue.
    reject_revision(rev, user, comment) -> PlanRevision
        An approver (as for approving) rejects a submitted revision; a comment is required.
    add_waiver(rev, code, user, justification) -> Waiver
        Accept a blocking finding of the revision: its owner on a draft, an approver (not the
        owner) on a submitted revision. Who, when and why are printed in the PDF.
    allowed_actions(rev, user) -> {"submit"|"approve"|"reject"|"waive": None or reason}
        For buttons: None when the user may do it now, else the reason they may not.

    plan_status(app) -> dict      one app, with what changed since the approved plan
    plan_statuses(apps) -> {app_id: dict}   a page of apps in a fixed number of queries
        keys: latest, approved, pending (PlanRevision or None), submitted (every submitted
        revision, newest first), state ("none", "draft",
        "submitted", "approved", "rejected": the latest revision's), stale (the app's inputs
        differ from the approved snapshot's), changes (what differs; plan_status only),
        due_for_review, review_due (datetime), flagged_for_review (datetime or None),
        unwaived_blocking (codes of the latest revision without a waiver; None when asked
        with waivers=False, one query less), label (one line).

    revision_pdf(rev, wait_for_worker=False, user=None) -> (bytes, filename)
        A draft's PDF is never stored with the revision. For the web's downloads
        (``wait_for_worker``) it is rendered on the reports queue into a cache keyed by the
        draft's content hash (``draft_pdf_key``: snapshot, waivers, trail), served from there
        while the draft is unchanged, with at most one render per user at a time (a Redis slot;
        ``PdfNotReady`` meanwhile); elsewhere (``manage.py export_plan``) it is rendered on the
        spot. A submitted or decided revision's PDF is
        rendered once, stored with its SHA-256 (``rev.pdf``, ``rev.pdf_sha256``) and served from
        storage afterwards (checked against the recorded hash on the way out). The reports
        worker renders it after each change; with ``wait_for_worker`` (the web's downloads) a
        PDF asked for less than ``settings.PDF_RENDER_WAIT_SECONDS`` ago and not stored yet
        raises ``PdfNotReady`` instead of being rendered in the web process (seconds of CPU
        that every page would wait behind); after that long it is rendered there after all.
    revision_annex(rev) -> (bytes, filename) | None
        The CSV VM annex stored beside the PDF of an app of more than 300 VMs.
    verify_pdf(rev, uploaded) -> bool
        Does a PDF (bytes, or an uploaded file) match the stored one's SHA-256?

    render_and_store_pdf(revision_id) -> str     the reports worker (planner.tasks)
    render_draft_pdf(revision_id, user_id) -> str  the reports worker: a draft's cached PDF
    flag_plans_for_review(now=None) -> int       the beat task: approved plans past
                                                 ``plan.review_days`` (limits, 365 by default)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max
from django.db.models.fields.json import KT
from django.utils import timezone

from planner import access, queue
from planner.models import (
    Application,
    AppResult,
    Drill,
    Finding,
    Limit,
    VirtualMachine,
    VmResult,
)
from planner.models.plans import (
    PdfNotReady,
    PlanError,
    PlanRevision,
    PlanState,
    PlanTransition,
    RevisionLocked,
    Waiver,
)
from planner.reports import snapshot as snap
from planner.reports.canonical import content_sha256, sha256_hex
from planner.services import notifications, sizing
from planner.services.facts import app_queryset, load_apps

__all__ = [
    "PdfNotReady",
    "PlanError",
    "RevisionLocked",
    "add_waiver",
    "allowed_actions",
    "approve_revision",
    "create_revision",
    "flag_plans_for_review",
    "plan_status",
    "plan_statuses",
    "reject_revision",
    "render_and_store_pdf",
    "render_draft_pdf",
    "revision_annex",
    "revision_pdf",
    "submit_revision",
    "verify_pdf",
]

log = logging.getLogger(__name__)

MIN_JUSTIFICATION = 20  # characters: a waiver says why, not "ok"
DEFAULT_REVIEW_DAYS = 365


# --- helpers ------------------------------------------------------------------------------------


def _name(user) -> str:
    return user.get_full_name() or user.username


def _is_owner(app: Application, user) -> bool:
    return app.owner_id == user.pk


def _require_owner(app: Application, user, doing: str) -> None:
    if not user.is_authenticated or not (_is_owner(app, user) or user.is_superuser):
        raise PlanError(
            f"Only the owner of '{app.name}' ({_name(app.owner)}) may {doing}: ask them, or "
            "have an operator change the app's owner."
        )


def _require_approver(rev: PlanRevision, user, doing: str) -> None:
    if not access.is_approver(user):
        raise PlanError(
            f"Only an approver may {doing} a plan: ask a member of the approvers group to "
            f"review revision r{rev.number} of '{rev.application.name}'."
        )
    # Separation of duties, superusers included: whoever owns the app, took the revision or
    # submitted it never decides it (nor waives its findings once submitted).
    if _is_owner(rev.application, user) or rev.created_by_id == user.pk:
        raise PlanError(
            f"You own '{rev.application.name}': another approver must {doing} its plan "
            "(nobody signs off their own plan)."
        )
    if _submitted_by(rev) == user.pk:
        raise PlanError(
            f"You submitted revision r{rev.number} of '{rev.application.name}': another "
            f"approver must {doing} it (nobody signs off a plan they submitted)."
        )


def _submitted_by(rev: PlanRevision) -> int | None:
    """Who moved the revision to submitted (None for a draft)."""
    return (
        PlanTransition.objects.filter(revision_id=rev.pk, to_state=PlanState.SUBMITTED)
        .order_by("-at", "-id")
        .values_list("by_id", flat=True)
        .first()
    )


def _locked(rev: PlanRevision) -> PlanRevision:
    """The revision re-read inside the transaction (row-locked where the database can)."""
    return (
        PlanRevision.objects.select_for_update(of=("self",))
        .select_related("application__owner", "created_by")
        .get(pk=rev.pk)
    )


LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for NOWAIT finding the row locked


def _claimed(rev: PlanRevision, doing: str) -> PlanRevision:
    """The revision locked for a decision, or at once a ``PlanError`` when another approver's
    decision holds it: the loser of two approvers racing for the same plan learns it at once,
    instead of waiting seconds behind the winner's transaction to be told it is decided.
    (SQLite has no row locks: its writers are serialised by the database itself.)"""
    try:
        return (
            PlanRevision.objects.select_for_update(of=("self",), nowait=True)
            .select_related("application__owner", "created_by")
            .get(pk=rev.pk)
        )
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        # No query here: the failed NOWAIT has aborted the transaction.
        raise PlanError(
            f"Another approver is deciding revision r{rev.number} right now, so you cannot "
            f"{doing} it: reload the plans awaiting sign-off and take another one."
        ) from None


def _latest_number(app_id: int) -> int:
    return PlanRevision.objects.filter(application_id=app_id).aggregate(n=Max("number"))["n"] or 0


def _require_latest(rev: PlanRevision, doing: str) -> None:
    latest = _latest_number(rev.application_id)
    if rev.number != latest:
        raise PlanError(
            f"Revision r{latest} of '{rev.application.name}' supersedes r{rev.number}: "
            f"{doing} the latest revision instead."
        )


def _current_inputs(app_ids: Iterable[int]) -> dict[int, dict]:
    """The apps' inputs as a revision would freeze them now (six queries)."""
    return {a.id: snap.inputs_json(a) for a in load_apps(app_ids)}


def _changes(old: dict, new: dict | None) -> list[str]:
    """What differs between two inputs snapshots, in a few words each."""
    if new is None:
        return ["the app was deleted"]
    out = []
    scalar = [k for k in sorted(set(old) | set(new)) if k not in ("vms", "drills")]
    changed = [k for k in scalar if old.get(k) != new.get(k)]
    if changed:
        out.append("settings: " + ", ".join(k.replace("_", " ") for k in changed))
    old_vms = {v["id"]: v for v in old.get("vms", [])}
    new_vms = {v["id"]: v for v in new.get("vms", [])}
    added = [new_vms[i]["name"] for i in new_vms.keys() - old_vms.keys()]
    removed = [old_vms[i]["name"] for i in old_vms.keys() - new_vms.keys()]
    edited = [
        new_vms[i]["name"] for i in new_vms.keys() & old_vms.keys() if new_vms[i] != old_vms[i]
    ]
    for what, names in (("VMs added", added), ("VMs removed", removed), ("VMs changed", edited)):
        if names:
            names = sorted(names)
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            out.append(f"{what}: {', '.join(names[:5])}{more}")
    if old.get("drills") != new.get("drills"):
        n = len(new.get("drills", [])) - len(old.get("drills", []))
        out.append(f"drills: {n:+d} recorded" if n else "drills changed")
    return out


def _require_unchanged(rev: PlanRevision, doing: str) -> None:
    now = _current_inputs([rev.application_id]).get(rev.application_id)
    if now is None or content_sha256(now) != rev.inputs_sha256:
        what = "; ".join(_changes(rev.snapshot.get("inputs", {}), now)) or "its inputs"
        raise PlanError(
            f"'{rev.application.name}' changed since revision r{rev.number} was taken ({what}). "
            f"It can no longer be {doing}: create a new revision of the app"
            + (" and submit that." if doing == "submitted" else "; reject this one.")
        )


def _require_intact(rev: PlanRevision) -> None:
    if not rev.snapshot_intact():
        raise PlanError(
            f"Revision r{rev.number}'s content no longer matches its SHA-256: it was altered "
            "outside Recovery Planner. Do not sign it; tell an operator and create a new revision."
        )


def _record(rev: PlanRevision, user, from_state: str, to_state: str, comment: str) -> None:
    PlanTransition.objects.create(
        revision=rev, by=user, from_state=from_state, to_state=to_state, comment=comment
    )


def _move(rev: PlanRevision, from_state: str, **fields) -> PlanRevision:
    """The conditional state change: exactly one of two concurrent deciders wins."""
    moved = PlanRevision.objects.filter(pk=rev.pk, state=from_state)._service_update(**fields)
    if moved != 1:
        current = PlanRevision.objects.get(pk=rev.pk)
        raise PlanError(
            f"Revision r{rev.number} is already {current.state}: reload the page to see who "
            "moved it."
        )
    rev.refresh_from_db()
    return rev


def _enqueue_render(revision_id: int) -> None:
    """Publish the render after commit; never fails the action (the PDF is then rendered on
    its first download instead)."""
    try:
        queue.enqueue(queue.RENDER_PLAN_PDF, revision_id)
    except Exception as exc:  # kombu's OperationalError and friends: Redis down
        log.warning(
            "plan revision %s: PDF render not queued (%s); rendered on demand", revision_id, exc
        )


def _forget_pdf(rev: PlanRevision) -> None:
    """Drop a stored PDF that no longer tells the whole story (new state, new waiver)."""
    old = [rev.pdf.name] if rev.pdf else []
    if old:
        from planner.reports.render import annex_name

        old.append(annex_name(old[0]))
    PlanRevision.objects.filter(pk=rev.pk)._service_update(pdf="", pdf_sha256="")
    rev.pdf, rev.pdf_sha256 = "", ""

    def delete_files():
        for name in old:
            try:
                default_storage.delete(name)
            except OSError as exc:
                log.warning("could not delete superseded %s: %s", name, exc)

    transaction.on_commit(delete_files)


# --- the workflow -------------------------------------------------------------------------------


def _vm_rows(app_id: int) -> list[dict]:
    results = {
        r["vm_id"]: snap.vm_result_json(r)
        for r in VmResult.objects.filter(application_id=app_id).values(
            "vm_id", *snap.VM_RESULT_FIELDS, "explanation"
        )
    }
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "resource_group": row["resource_group"],
            "subscription": row["subscription__name"],
            "result": results.get(row["id"]),
        }
        for row in VirtualMachine.objects.filter(application_id=app_id).values(
            "id", "name", "resource_group", "subscription__name"
        )
    ]


@transaction.atomic(durable=True)
def create_revision(app: Application, user, comment: str = "") -> PlanRevision:
    _require_owner(app, user, "create a plan revision")
    application = app_queryset().select_for_update(of=("self",)).get(pk=app.pk)
    now = timezone.now()
    outcome = sizing.size_and_save([application.pk], now=now)
    if outcome.failed:
        reason = "; ".join(message for _, message in outcome.failed)
        raise PlanError(
            f"'{application.name}' could not be sized, so no plan can be taken: {reason}. "
            "Fix the app's inputs and try again."
        )
    app_facts = load_apps([application.pk])[0]
    result = AppResult.objects.get(application_id=application.pk)
    number = _latest_number(application.pk) + 1
    content = snap.build(
        app_facts=app_facts,
        application=application,
        result=result,
        vm_rows=_vm_rows(application.pk),
        finding_rows=Finding.objects.filter(application_id=application.pk).values(
            "code", "severity", "message", "remedy", "source", "vm_ids"
        ),
        drill_rows=Drill.objects.filter(application_id=application.pk).values(
            "kind", "started_at", "restored_at", "data_loss_minutes", "notes"
        ),
        number=number,
        created_at=now,
        created_by=user,
    )
    try:
        with transaction.atomic():
            rev = PlanRevision.objects.create(
                application=application, number=number, snapshot=content, created_by=user
            )
    except IntegrityError:
        raise PlanError(
            f"Another revision of '{application.name}' was created at the same moment: reload "
            "and use it, or try again."
        ) from None
    _record(rev, user, "", PlanState.DRAFT, comment or "revision taken")
    return rev


@transaction.atomic(durable=True)
def submit_revision(rev: PlanRevision, user, comment: str = "") -> PlanRevision:
    rev = _locked(rev)
    _require_owner(rev.application, user, "submit its plan")
    if rev.state != PlanState.DRAFT:
        raise PlanError(
            f"Revision r{rev.number} is already {rev.state}: only a draft is submitted."
        )
    _require_latest(rev, "submit")
    _require_intact(rev)
    _require_unchanged(rev, "submitted")
    rev = _move(rev, PlanState.DRAFT, state=PlanState.SUBMITTED)
    _record(rev, user, PlanState.DRAFT, PlanState.SUBMITTED, comment.strip())
    notifications.plan_submitted(rev, user, comment.strip())
    transaction.on_commit(partial(_enqueue_render, rev.pk))
    return rev


def _unwaived(rev: PlanRevision) -> list[str]:
    waived = set(rev.waivers.values_list("code", flat=True))
    return [c for c in rev.blocking_codes if c not in waived]


@transaction.atomic(durable=True)
def approve_revision(rev: PlanRevision, user, comment: str = "") -> PlanRevision:
    rev = _claimed(rev, "approve")
    _require_approver(rev, user, "approve")
    if rev.state != PlanState.SUBMITTED:
        raise PlanError(
            f"Revision r{rev.number} is {rev.state}: only a submitted revision can be approved."
        )
    _require_latest(rev, "approve")
    _require_intact(rev)
    open_ = _unwaived(rev)
    if open_:
        raise PlanError(
            f"Approval refused: {len(open_)} blocking finding(s) have no waiver "
            f"({', '.join(open_)}). Reject the revision so the owner fixes them, or record a "
            "waiver with its justification for each."
        )
    _require_unchanged(rev, "approved")
    rev = _move(
        rev,
        PlanState.SUBMITTED,
        state=PlanState.APPROVED,
        decided_by=user,
        decided_at=timezone.now(),
        decision_comment=comment.strip(),
    )
    _record(rev, user, PlanState.SUBMITTED, PlanState.APPROVED, comment.strip())
    notifications.plan_decided(rev)
    _forget_pdf(rev)
    transaction.on_commit(partial(_enqueue_render, rev.pk))
    return rev


@transaction.atomic(durable=True)
def reject_revision(rev: PlanRevision, user, comment: str) -> PlanRevision:
    rev = _claimed(rev, "reject")
    _require_approver(rev, user, "reject")
    if rev.state != PlanState.SUBMITTED:
        raise PlanError(
            f"Revision r{rev.number} is {rev.state}: only a submitted revision can be rejected."
        )
    comment = (comment or "").strip()
    if not comment:
        raise PlanError("Say why the plan is rejected: the owner needs it to fix the plan.")
    rev = _move(
        rev,
        PlanState.SUBMITTED,
        state=PlanState.REJECTED,
        decided_by=user,
        decided_at=timezone.now(),
        decision_comment=comment,
    )
    _record(rev, user, PlanState.SUBMITTED, PlanState.REJECTED, comment)
    notifications.plan_decided(rev)
    _forget_pdf(rev)
    transaction.on_commit(partial(_enqueue_render, rev.pk))
    return rev


def _check_waiver_rights(rev: PlanRevision, user) -> None:
    if rev.state == PlanState.DRAFT:
        _require_owner(rev.application, user, "waive a finding of a draft")
    elif rev.state == PlanState.SUBMITTED:
        _require_approver(rev, user, "waive a finding of")
    else:
        raise PlanError(
            f"Revision r{rev.number} is {rev.state}: waivers are recorded before the decision. "
            "Create a new revision."
        )


@transaction.atomic(durable=True)
def add_waiver(rev: PlanRevision, code: str, user, justification: str) -> Waiver:
    rev = _locked(rev)
    _check_waiver_rights(rev, user)
    code = (code or "").strip()
    if code not in rev.blocking_codes:
        blocking = ", ".join(rev.blocking_codes) or "none"
        raise PlanError(
            f"{code or 'That code'} is not a blocking finding of revision r{rev.number}: only "
            f"blocking findings need a waiver (blocking here: {blocking})."
        )
    justification = (justification or "").strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise PlanError(
            f"Justify the waiver in a sentence or two (at least {MIN_JUSTIFICATION} "
            "characters): why the risk is accepted, and until when."
        )
    if rev.waivers.filter(code=code).exists():
        raise PlanError(f"{code} is already waived on revision r{rev.number}.")
    waiver = Waiver.objects.create(revision=rev, code=code, by=user, justification=justification)
    if rev.state == PlanState.SUBMITTED:
        # The review copy must show the waiver: render it again.
        _forget_pdf(rev)
        transaction.on_commit(partial(_enqueue_render, rev.pk))
    return waiver


def allowed_actions(rev: PlanRevision, user) -> dict[str, str | None]:
    """For each action, None if ``user`` may do it on ``rev`` now, else the reason (read only)."""
    checks = {
        "submit": lambda: (
            _require_owner(rev.application, user, "submit its plan"),
            rev.state == PlanState.DRAFT or _raise(f"r{rev.number} is {rev.state}"),
            _require_latest(rev, "submit"),
            _require_unchanged(rev, "submitted"),
        ),
        "approve": lambda: (
            _require_approver(rev, user, "approve"),
            rev.state == PlanState.SUBMITTED or _raise(f"r{rev.number} is {rev.state}"),
            _require_latest(rev, "approve"),
            not _unwaived(rev)
            or _raise(f"blocking findings without a waiver: {', '.join(_unwaived(rev))}"),
            _require_unchanged(rev, "approved"),
        ),
        "reject": lambda: (
            _require_approver(rev, user, "reject"),
            rev.state == PlanState.SUBMITTED or _raise(f"r{rev.number} is {rev.state}"),
        ),
        "waive": lambda: (
            _check_waiver_rights(rev, user),
            bool(_unwaived(rev)) or _raise("no blocking finding left to waive"),
        ),
    }
    out: dict[str, str | None] = {}
    for action, check in checks.items():
        try:
            check()
            out[action] = None
        except PlanError as exc:
            out[action] = str(exc)
    return out


def _raise(message: str):
    raise PlanError(message)


# --- status for the dashboard -------------------------------------------------------------------


def _review_days() -> int:
    return int(Limit.in_force().get("plan.review_days", DEFAULT_REVIEW_DAYS))


def plan_statuses(
    apps: Iterable[Application | int],
    *,
    now: datetime | None = None,
    detail: bool = False,
    waivers: bool = True,
) -> dict[int, dict]:
    """Plan status of many apps: revisions (one query without snapshots), their waivers (one,
    when there is a revision and ``waivers``: ``unwaived_blocking`` is None without), and
    when some of them have an approved plan, those apps' current inputs (six) and the review
    period (one). ``detail=True`` adds ``changes``."""
    ids = sorted({a if isinstance(a, int) else a.pk for a in apps})
    now = now or timezone.now()
    revisions = defaultdict(list)
    for rev in (
        PlanRevision.objects.filter(application_id__in=ids)
        .defer("snapshot")
        .annotate(
            inputs_hash=KT("snapshot__inputs_sha256"), blocking=KT("snapshot__blocking_codes")
        )
        .select_related("decided_by", "created_by")
        .order_by("application_id", "-number")
    ):
        revisions[rev.application_id].append(rev)
    latest_ids = [r[0].pk for r in revisions.values()]
    waived = defaultdict(set)
    for rev_id, code in (
        Waiver.objects.filter(revision_id__in=latest_ids).values_list("revision_id", "code")
        if latest_ids and waivers
        else ()
    ):
        waived[rev_id].add(code)
    # Only an approved plan can be stale: the apps' current inputs (six queries that read every
    # VM and disk, then a SHA-256 of them) are loaded for those apps alone, and the review
    # period (one query) only when there is an approved plan to review.
    approved_ids = [
        app_id
        for app_id, revs in revisions.items()
        if any(r.state == PlanState.APPROVED for r in revs)
    ]
    current = _current_inputs(approved_ids) if approved_ids else {}
    review = timedelta(days=_review_days()) if approved_ids else None
    out = {}
    for app_id in ids:
        revs = revisions.get(app_id, [])
        latest = revs[0] if revs else None
        approved = next((r for r in revs if r.state == PlanState.APPROVED), None)
        pending = next((r for r in revs if r.state == PlanState.SUBMITTED), None)
        inputs_now = current.get(app_id)
        stale = bool(
            approved and (inputs_now is None or content_sha256(inputs_now) != approved.inputs_hash)
        )
        review_due = approved.decided_at + review if approved else None
        unwaived = []
        if waivers and latest is not None and latest.blocking:
            codes = (
                json.loads(latest.blocking) if isinstance(latest.blocking, str) else latest.blocking
            )
            unwaived = [c for c in codes if c not in waived[latest.pk]]
        status = {
            "app_id": app_id,
            "latest": latest,
            "approved": approved,
            "pending": pending,
            # Every submitted revision, newest first (the dashboard's "awaiting sign-off").
            "submitted": [r for r in revs if r.state == PlanState.SUBMITTED],
            "state": latest.state if latest else "none",
            "stale": stale,
            "changes": [],
            "due_for_review": bool(review_due and review_due <= now),
            "review_due": review_due,
            "flagged_for_review": approved.flagged_for_review_at if approved else None,
            "unwaived_blocking": unwaived if waivers else None,
        }
        if detail and stale:
            approved_inputs = (
                PlanRevision.objects.filter(pk=approved.pk)
                .values_list("snapshot__inputs", flat=True)
                .first()
            )
            status["changes"] = _changes(approved_inputs or {}, inputs_now)
        status["label"] = _label(status)
        out[app_id] = status
    return out


def _label(s: dict) -> str:
    latest, approved = s["latest"], s["approved"]
    if latest is None:
        return "No plan: create a revision"
    parts = []
    if approved:
        parts.append(f"Approved r{approved.number} on {approved.decided_at:%Y-%m-%d}")
        if s["stale"]:
            parts.append("stale: the app changed since, sign a new revision")
        if s["due_for_review"]:
            parts.append(f"due for review since {s['review_due']:%Y-%m-%d}")
    else:
        parts.append("Not approved yet")
    if latest is not approved:
        parts.append(f"r{latest.number} {latest.state}")
    return "; ".join(parts)


def plan_status(app: Application | int, *, now: datetime | None = None) -> dict:
    """One app's plan status, with ``changes`` listing what differs from the approved plan."""
    app_id = app if isinstance(app, int) else app.pk
    return plan_statuses([app_id], now=now, detail=True)[app_id]


@transaction.atomic(durable=True)
def flag_plans_for_review(now: datetime | None = None) -> int:
    """Flag each app's current approved plan once it is older than ``plan.review_days``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=_review_days())
    latest_approved = {}
    for rev_id, app_id, decided_at in (
        PlanRevision.objects.filter(state=PlanState.APPROVED)
        .order_by("application_id", "-number")
        .values_list("pk", "application_id", "decided_at")
    ):
        latest_approved.setdefault(app_id, (rev_id, decided_at))
    due = [rev_id for rev_id, at in latest_approved.values() if at and at <= cutoff]
    flagged = PlanRevision.objects.filter(
        pk__in=due, flagged_for_review_at__isnull=True
    )._service_update(flagged_for_review_at=now)
    if flagged:
        log.info("%d approved plans flagged for their yearly review", flagged)
    return flagged


# --- the PDF ------------------------------------------------------------------------------------


def _pdf_name(rev: PlanRevision, pdf_sha256: str) -> str:
    stem = rev.pdf_filename[:-4]
    return f"plans/{rev.application_id}/{stem}-{rev.state}-{pdf_sha256[:12]}.pdf"


def _save(name: str, data: bytes) -> str:
    """Store ``data`` under ``name``; the same bytes already there are reused."""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            if fh.read() == data:
                return name
    return default_storage.save(name, ContentFile(data))


def render_and_store_pdf(revision_id: int) -> str:
    """Render a submitted or decided revision's PDF once and store it with its SHA-256.

    Idempotent and safe with duplicate deliveries: the store is a conditional update on the
    state the PDF was rendered for and an empty hash; a loser deletes its own files, and a
    render overtaken by a decision is discarded (the decision queues its own).
    """
    from planner.reports.render import annex_name, render_revision

    rev = PlanRevision.objects.select_related("application", "decided_by").get(pk=revision_id)
    if rev.state == PlanState.DRAFT:
        return f"r{rev.number}: a draft is not stored"
    if rev.pdf_sha256:
        return f"r{rev.number}: PDF already stored"
    rendered = render_revision(rev)
    digest = rendered.pdf_sha256
    name = _save(_pdf_name(rev, digest), rendered.pdf)
    saved = [name]
    if rendered.annex_csv is not None:
        saved.append(_save(annex_name(name), rendered.annex_csv))
    stored = PlanRevision.objects.filter(pk=rev.pk, state=rev.state, pdf_sha256="")._service_update(
        pdf=name, pdf_sha256=digest
    )
    if stored != 1:
        winner = PlanRevision.objects.filter(pk=rev.pk).values_list("pdf", flat=True).first()
        for n in saved:
            if n != winner and (not winner or n != annex_name(winner)):
                default_storage.delete(n)
        return f"r{rev.number}: another render stored it first (or the state moved on)"
    return (
        f"r{rev.number} ({rev.state}): {rendered.pages} pages, {len(rendered.pdf):,} bytes, "
        f"{rendered.seconds:.1f} s, sha256 {digest[:12]}"
    )


PDF_RETRY_AFTER = 5  # seconds: a plan of 200 VMs renders in about 10 s


def _pdf_asked_for(rev: PlanRevision) -> datetime:
    """When the revision last needed a new PDF: its last transition or waiver (the changes that
    drop the stored PDF and queue a render), else its creation."""
    last = PlanRevision.objects.filter(pk=rev.pk).aggregate(
        moved=Max("transitions__at"), waived=Max("waivers__at")
    )
    return max(t for t in (rev.created_at, last["moved"], last["waived"]) if t is not None)


# --- draft PDFs: rendered on the reports queue, cached by content, one render per user ---------

DRAFT_PDF_DIR = "plans/drafts"
DRAFT_LOCK_SECONDS = 900  # longer than a render may take (CELERY_TASK_TIME_LIMIT)
_redis_client = None


def _redis():
    """The broker's Redis: the per-user render slot lives there (every web process sees it)."""
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _redis_client


def draft_pdf_key(rev: PlanRevision) -> str:
    """SHA-256 of everything a draft's PDF shows: the snapshot's hash, waivers, trail, paper."""
    from planner.reports.render import revision_meta

    meta = revision_meta(rev)
    content = {
        "sha256": rev.sha256,
        "state": rev.state,
        "name": rev.pdf_filename,
        "paper": getattr(settings, "PLAN_PDF_PAPER", "A4"),
        "waivers": [{**w, "at": w["at"].isoformat()} for w in meta.waivers],
        "transitions": [{**t, "at": t["at"].isoformat()} for t in meta.transitions],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _draft_pdf_name(rev: PlanRevision, key: str) -> str:
    return f"{DRAFT_PDF_DIR}/{rev.application_id}/{rev.pk}-{key[:32]}.pdf"


def _read(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def _user_slot(user_id) -> str:
    return f"planner:draft-pdf:user:{user_id}"


def render_draft_pdf(revision_id: int, user_id: int | None = None) -> str:
    """Render a draft's PDF into the cache (the reports worker), then free the user's slot.

    Stored under the key of the draft as it is now; older cached copies of the same revision are
    deleted. Idempotent: a copy already cached is not rendered again."""
    from planner.reports.render import render_revision

    try:
        rev = PlanRevision.objects.select_related("application").filter(pk=revision_id).first()
        if rev is None or rev.state != PlanState.DRAFT:
            return f"revision {revision_id}: not a draft any more, nothing to render"
        key = draft_pdf_key(rev)
        name = _draft_pdf_name(rev, key)
        if default_storage.exists(name):
            return f"r{rev.number} (draft): already cached"
        rendered = render_revision(rev)
        _save(name, rendered.pdf)
        folder = f"{DRAFT_PDF_DIR}/{rev.application_id}"
        for old in default_storage.listdir(folder)[1]:
            if old.startswith(f"{rev.pk}-") and f"{folder}/{old}" != name:
                default_storage.delete(f"{folder}/{old}")
        return (
            f"r{rev.number} (draft): {rendered.pages} pages, {len(rendered.pdf):,} bytes, "
            f"{rendered.seconds:.1f} s, cached as {key[:12]}"
        )
    finally:
        if user_id is not None:
            _free_slot(user_id, revision_id)


def _free_slot(user_id, revision_id: int) -> None:
    try:
        held = _redis().get(_user_slot(user_id))
        if held is not None and held.decode().split(":")[0] == str(revision_id):
            _redis().delete(_user_slot(user_id))
    except Exception as exc:  # redis-py's errors: the slot expires on its own
        log.warning("draft PDF slot of user %s not freed: %s", user_id, exc)


def _draft_pdf(rev: PlanRevision, user) -> bytes:
    """A draft's PDF from the cache, else queued on the reports worker (``PdfNotReady``).

    Each user has one render slot (in Redis, shared by every web process): while their render
    of one draft runs, asking for another answers "not ready" without queueing a second. A slot
    held longer than ``PDF_RENDER_WAIT_SECONDS`` (no reports worker?) is taken over by the
    download, which renders in the web process, still one at a time per user."""
    import redis

    key = draft_pdf_key(rev)
    cached = _read(_draft_pdf_name(rev, key))
    if cached is not None:
        return cached
    user_id = getattr(user, "pk", None) or 0
    slot = _user_slot(user_id)
    now = timezone.now().timestamp()
    mine = f"{rev.pk}:{key}"
    try:
        if _redis().set(slot, f"{mine}:{now:.3f}", nx=True, ex=DRAFT_LOCK_SECONDS):
            try:
                queue.enqueue(queue.RENDER_DRAFT_PDF, rev.pk, user_id)
            except Exception:
                _redis().delete(slot)
                raise
            raise PdfNotReady(
                f"The PDF of draft r{rev.number} is being rendered by the reports worker: "
                f"download it again in {PDF_RETRY_AFTER} seconds.",
                retry_after=PDF_RETRY_AFTER,
            )
        held = (_redis().get(slot) or b"").decode()
    except redis.RedisError:
        raise PlanError(
            "Draft PDFs are rendered by the reports worker, and its task queue is not "
            "answering: try again in a minute (/healthz shows the broker's state)."
        ) from None
    held_for, _, since = held.rpartition(":")
    waited = now - float(since or now)
    if waited < settings.PDF_RENDER_WAIT_SECONDS:
        other = "" if held_for == mine else " another of your draft PDFs is rendered first:"
        raise PdfNotReady(
            f"The PDF of draft r{rev.number} is not ready:{other} one render at a time per "
            f"person. Download it again in {PDF_RETRY_AFTER} seconds.",
            retry_after=PDF_RETRY_AFTER,
        )
    # The slot is stale: no reports worker took the render. Take it over and render here.
    if _redis().set(slot, f"{mine}:{now:.3f}", xx=True, get=True) != held.encode():
        raise PdfNotReady(
            f"The PDF of draft r{rev.number} is being rendered: download it again in "
            f"{PDF_RETRY_AFTER} seconds.",
            retry_after=PDF_RETRY_AFTER,
        )
    log.warning(
        "draft PDF slot of user %s held %d s without a render; rendering r%s here "
        "(is a reports worker running?)",
        user_id,
        waited,
        rev.pk,
    )
    render_draft_pdf(rev.pk, user_id)
    return _read(_draft_pdf_name(rev, draft_pdf_key(rev))) or b""


def revision_pdf(
    rev: PlanRevision, *, wait_for_worker: bool = False, user=None
) -> tuple[bytes, str]:
    """The PDF of a revision and its download name (see the module docstring)."""
    if rev.state == PlanState.DRAFT:
        if wait_for_worker:
            return _draft_pdf(rev, user), rev.pdf_filename
        from planner.reports.render import render_revision

        return render_revision(rev).pdf, rev.pdf_filename
    if not rev.pdf_sha256 and wait_for_worker:
        waited = (timezone.now() - _pdf_asked_for(rev)).total_seconds()
        if waited < settings.PDF_RENDER_WAIT_SECONDS:
            raise PdfNotReady(
                f"The PDF of r{rev.number} ({rev.state}) is being rendered and stored by the "
                f"reports worker (asked for {max(0, int(waited))} s ago): download it again in "
                f"{PDF_RETRY_AFTER} seconds.",
                retry_after=PDF_RETRY_AFTER,
            )
        log.warning(
            "plan revision %s: PDF still not stored %d s after it was asked for; rendering it "
            "in this process (is a reports worker running?)",
            rev.pk,
            waited,
        )
    if not rev.pdf_sha256:
        render_and_store_pdf(rev.pk)
        rev.refresh_from_db()
        if not rev.pdf_sha256:  # the state moved on while rendering: take the new one
            render_and_store_pdf(rev.pk)
            rev.refresh_from_db()
    try:
        with default_storage.open(rev.pdf.name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise PlanError(
            f"The stored PDF of r{rev.number} is missing from storage ({rev.pdf.name}): tell "
            "an operator to restore it from backup; it is not re-rendered silently."
        ) from None
    if not hmac.compare_digest(sha256_hex(data), rev.pdf_sha256):
        raise PlanError(
            f"The stored PDF of r{rev.number} does not match its recorded SHA-256: it was "
            "altered in storage. Tell an operator; do not rely on it."
        )
    return data, rev.pdf_filename


def revision_annex(rev: PlanRevision) -> tuple[bytes, str] | None:
    """The CSV VM annex stored beside the PDF (apps of more than 300 VMs), else None."""
    from planner.reports.render import annex_name

    if not rev.pdf:
        return None
    name = annex_name(rev.pdf.name)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as fh:
        return fh.read(), annex_name(rev.pdf_filename)


def verify_pdf(rev: PlanRevision, uploaded) -> bool:
    """True when ``uploaded`` (bytes, or a file/UploadedFile) is byte for byte the stored PDF."""
    if not rev.pdf_sha256:
        raise PlanError(
            f"Revision r{rev.number} has no stored PDF to check against "
            + (
                "(a draft's PDF is never stored)."
                if rev.state == PlanState.DRAFT
                else "yet (it is being rendered): try again in a minute."
            )
        )
    if isinstance(uploaded, bytes | bytearray | memoryview):
        digest = sha256_hex(bytes(uploaded))
    else:
        h = hashlib.sha256()
        chunks = (
            uploaded.chunks()
            if hasattr(uploaded, "chunks")
            else iter(lambda: uploaded.read(1 << 20), b"")
        )
        for chunk in chunks:
            h.update(chunk)
        digest = h.hexdigest()
    return hmac.compare_digest(digest, rev.pdf_sha256)
