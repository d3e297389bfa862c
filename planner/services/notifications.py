"""Notifications: who hears about what, written with the event, sent by the reports worker.

The workflow and the sweeps call one function per event; each writes one ``Notification`` row
per recipient in the caller's transaction, keyed by the event (``event_key``), so an event is
reported at most once however often it is seen, and a row rolled back with its event never
goes out. After the commit, each e-mail row is queued on the ``reports`` queue; the beat sweep
``send_pending`` sends whatever is still pending (Redis, the worker or the SMTP server was down).

    plan_submitted(rev, by, comment)   to the approvers (not the app's owner, not the submitter)
    plan_decided(rev)                  to the app's owner: approved or rejected, with the comment
    run_failed(run)                    to the requester, the app's owner(s); else the operators
    notify_due(now=None) -> int        the hourly sweep: approved plans gone stale, yearly
                                       reviews due within REVIEW_NOTICE_DAYS and overdue, apps
                                       with a DRILL_OVERDUE finding (the drills rule decides)

    send(notification_id) -> str       one e-mail (the reports worker); at most one worker sends
                                       a row: it is claimed with a conditional update first
    send_pending(now=None, limit=100)  the beat sweep: rows due for a (re)try, and rows whose
                                       sender was lost mid-send (claimed SENDING_TIMEOUT ago)

    mark_read(user, ids=None) -> int   the portal's "mark as read"
    set_preferences(user, kinds)       the kinds the user receives (everything else opted out)
    wanted_kinds(user) -> set[str]

Channel: e-mail when ``settings.EMAIL_HOST`` is set and the recipient has an address, else the
portal (the header's list of unread notifications). Links are absolute, from
``settings.PORTAL_URL``. A failed send is tried again after NOTIFY_RETRY_SECONDS × 2^(attempts-1),
at most an hour apart, and stays visible as pending (the notifications page, the admin) until it
is sent; it is never dropped.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from planner import access, queue
from planner.models import (
    Drill,
    Finding,
    Notification,
    NotificationKind,
    NotificationOptOut,
    PlanRevision,
    PlanState,
    RunError,
    RunStatus,
    SizingRun,
)
from planner.models.notifications import Channel, DeliveryStatus
from planner.roles import APPROVERS, OPERATORS

log = logging.getLogger(__name__)

REVIEW_NOTICE_DAYS = 30  # the issue: "yearly review due in 30 days"
SENDING_TIMEOUT = timedelta(minutes=10)  # a claim older than this was lost with its worker
MAX_RETRY_SECONDS = 3600
KIND_LABELS = dict(NotificationKind.choices)


@dataclass(frozen=True)
class Message:
    """What a notification says: a subject, paragraphs and the page it is about."""

    subject: str
    lines: tuple[str, ...]
    path: str  # the page, relative to the portal (reverse())
    action: str  # the link's text


# --- writing ------------------------------------------------------------------------------------


def email_enabled() -> bool:
    return bool(settings.EMAIL_HOST)


def _render(msg: Message, recipient) -> tuple[str, str, str]:
    url = settings.PORTAL_URL + msg.path
    context = {
        "name": recipient.get_full_name() or recipient.get_username(),
        "subject": msg.subject,
        "lines": msg.lines,
        "url": url,
        "action": msg.action,
        "preferences_url": settings.PORTAL_URL + reverse("notification-preferences"),
    }
    text = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)
    return text, html, url


def _notify(kind: str, event_key: str, recipients, msg: Message) -> list[int]:
    """One row per recipient who wants ``kind``; an event already recorded is skipped.
    Returns the ids of the rows created; the e-mail ones are queued after the commit."""
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    opted_out = set(
        NotificationOptOut.objects.filter(user_id__in=users, kind=kind).values_list(
            "user_id", flat=True
        )
    )
    done = set(
        Notification.objects.filter(event_key=event_key, recipient_id__in=users).values_list(
            "recipient_id", flat=True
        )
    )
    created, to_send, by_email = [], [], email_enabled()
    for pk, user in sorted(users.items()):
        if pk in opted_out or pk in done:
            continue
        text, html, url = _render(msg, user)
        email = by_email and bool(user.email)
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    event_key=event_key[:200],
                    recipient=user,
                    kind=kind,
                    channel=Channel.EMAIL if email else Channel.PORTAL,
                    status=DeliveryStatus.PENDING if email else DeliveryStatus.SHOWN,
                    subject=msg.subject[:200],
                    text=text,
                    html=html,
                    url=url[:500],
                    next_attempt_at=timezone.now() if email else None,
                )
        except IntegrityError:  # the same event recorded at the same moment elsewhere
            continue
        created.append(row.pk)
        if email:
            to_send.append(row.pk)
    if to_send:
        transaction.on_commit(partial(_enqueue, to_send))
    return created


def _enqueue(ids: list[int]) -> None:
    """Queue the sends after commit; never fails the event (the sweep sends them instead)."""
    for pk in ids:
        try:
            queue.enqueue(queue.SEND_NOTIFICATION, pk)
        except Exception as exc:  # kombu's OperationalError and friends: Redis down
            log.warning("notification %s not queued (%s): the sweep sends it", pk, exc)
            return


def _users_in(role: str):
    return (
        get_user_model()
        .objects.filter(Q(groups__name=role) | Q(is_superuser=True), is_active=True)
        .distinct()
    )


def _plan_path(rev: PlanRevision) -> str:
    return reverse("plan-detail", args=[rev.pk])


def plan_submitted(rev: PlanRevision, by, comment: str = "") -> list[int]:
    app = rev.application
    lines = [
        f"{by.get_full_name() or by.get_username()} submitted revision r{rev.number} of the "
        f"recovery plan of '{app.name}' for approval.",
    ]
    if comment:
        lines.append(f"Their comment: {comment}")
    lines.append("Review it, record waivers where a risk is accepted, then approve or reject it.")
    approvers = _users_in(APPROVERS).exclude(pk__in=[app.owner_id, by.pk])
    return _notify(
        NotificationKind.PLAN_SUBMITTED,
        f"plan-submitted:r{rev.pk}",
        approvers,
        Message(
            f"Plan to approve: {app.name} r{rev.number}",
            tuple(lines),
            _plan_path(rev),
            "Open the plan",
        ),
    )


def plan_decided(rev: PlanRevision) -> list[int]:
    app, who = rev.application, rev.decided_by
    by = who.get_full_name() or who.get_username() if who else "an approver"
    approved = rev.state == PlanState.APPROVED
    verb = "approved" if approved else "rejected"
    lines = [f"{by} {verb} revision r{rev.number} of the recovery plan of '{app.name}'."]
    if rev.decision_comment:
        lines.append(f"Their comment: {rev.decision_comment}")
    lines.append(
        "The signed PDF is on the plan's page."
        if approved
        else "Fix what the comment asks for, create a new revision and submit it."
    )
    return _notify(
        NotificationKind.PLAN_APPROVED if approved else NotificationKind.PLAN_REJECTED,
        f"plan-{verb}:r{rev.pk}",
        [app.owner],
        Message(
            f"Plan {verb}: {app.name} r{rev.number}", tuple(lines), _plan_path(rev), "Open the plan"
        ),
    )


def run_failed(run: SizingRun) -> list[int]:
    """A run that ended failed or partially failed: the people who can act on it. An owner
    hears only of their own apps' errors (owners see only their own apps)."""
    if run.status not in (RunStatus.FAILED, RunStatus.PARTIAL):
        return []
    errors = list(RunError.objects.filter(run=run).select_related("application__owner")[:200])
    recipients = {e.application.owner for e in errors if e.application_id}
    if run.application_id:
        recipients.add(run.application.owner)
    if run.requested_by_id:
        recipients.add(run.requested_by)
    if not recipients:  # a nightly estate run whose chunks failed: the operators see to it
        recipients = set(_users_in(OPERATORS))
    scope = f"'{run.application.name}'" if run.application_id else "the estate"
    created = []
    for user in sorted(recipients, key=lambda u: u.pk):
        sees_all = access.sees_all(user)
        mine = [
            e
            for e in errors
            if sees_all or (e.application_id and e.application.owner_id == user.pk)
        ]
        first = mine[0].message[:300] if mine else "see the run's page"
        lines = (
            f"Sizing run {run.pk} of {scope} ended {run.get_status_display().lower()}: "
            f"{len(mine)} error(s) recorded"
            + (" for your apps." if not sees_all and len(mine) < len(errors) else "."),
            f"First error: {first}",
            "Apps that failed keep their previous results; fix their inputs and size them again.",
        )
        created += _notify(
            NotificationKind.RUN_FAILED,
            f"run-failed:{run.pk}",
            [user],
            Message(
                f"Sizing run {run.pk} failed ({scope})",
                lines,
                *_run_link(run, mine, sees_all),
            ),
        )
    return created


def _run_link(run: SizingRun, errors: list[RunError], sees_all: bool) -> tuple[str, str]:
    """The run's page, or the owner's first failed app when the run is the estate's (an owner
    cannot open an estate-wide run)."""
    if run.application_id or sees_all:
        return reverse("run-detail", args=[run.pk]), "Open the run"
    app_id = next((e.application_id for e in errors if e.application_id), None)
    if app_id is None:
        return reverse("dashboard"), "Open the dashboard"
    return reverse("app-detail", args=[app_id]), "Open the app"


def notify_due(now: datetime | None = None) -> int:
    """Stale plans, reviews due soon or overdue, drills overdue; each reported once."""
    from planner.services.plans import plan_statuses

    now = now or timezone.now()
    created = 0
    app_ids = sorted(
        set(
            PlanRevision.objects.filter(state=PlanState.APPROVED).values_list(
                "application_id", flat=True
            )
        )
    )
    for start in range(0, len(app_ids), 200):
        statuses = plan_statuses(app_ids[start : start + 200], now=now)
        approved = {s["approved"].pk: s for s in statuses.values() if s["approved"]}
        revs = PlanRevision.objects.filter(pk__in=approved).defer("snapshot")
        for rev in revs.select_related("application__owner"):
            with transaction.atomic():
                created += len(_plan_due(rev, approved[rev.pk], now))
    overdue = (
        Finding.objects.filter(code="DRILL_OVERDUE")
        .select_related("application__owner")
        .order_by("application_id")
    )
    last = dict(
        Drill.objects.filter(application_id__in=overdue.values("application_id"))
        .values_list("application_id")
        .annotate(last=Max("started_at"))
    )
    for finding in overdue:
        app = finding.application
        with transaction.atomic():
            created += len(
                _notify(
                    NotificationKind.DRILL_OVERDUE,
                    f"drill-overdue:a{app.pk}:{last.get(app.pk, now):%Y%m%d}",
                    [app.owner],
                    Message(
                        f"Recovery drill overdue: {app.name}",
                        (
                            f"'{app.name}': {finding.message}.",
                            "Run a recovery drill and record it on the app's page.",
                        ),
                        reverse("app-detail", args=[app.pk]) + "#drills",
                        "Open the app",
                    ),
                )
            )
    return created


def _plan_due(rev: PlanRevision, status: dict, now: datetime) -> list[int]:
    app, out = rev.application, []
    path = reverse("app-plans", args=[app.pk])
    if status["stale"]:
        out += _notify(
            NotificationKind.PLAN_STALE,
            f"plan-stale:r{rev.pk}",
            [app.owner],
            Message(
                f"Plan stale: {app.name}",
                (
                    f"'{app.name}' changed since its approved plan r{rev.number} was signed, so "
                    "the plan no longer describes it.",
                    "Create a new revision and have it approved.",
                ),
                path,
                "Open the app's plans",
            ),
        )
    due = status["review_due"]
    if due is None:
        return out
    if due <= now:
        out += _notify(
            NotificationKind.REVIEW_OVERDUE,
            f"review-overdue:r{rev.pk}",
            [app.owner],
            Message(
                f"Yearly review overdue: {app.name}",
                (
                    f"The approved plan r{rev.number} of '{app.name}' was due for its yearly "
                    f"review on {due:%Y-%m-%d}.",
                    "Create a new revision, check it and have it approved.",
                ),
                path,
                "Open the app's plans",
            ),
        )
    elif due - now <= timedelta(days=REVIEW_NOTICE_DAYS):
        out += _notify(
            NotificationKind.REVIEW_SOON,
            f"review-soon:r{rev.pk}",
            [app.owner],
            Message(
                f"Yearly review due on {due:%Y-%m-%d}: {app.name}",
                (
                    f"The approved plan r{rev.number} of '{app.name}' is due for its yearly "
                    f"review on {due:%Y-%m-%d}, in {(due - now).days} days.",
                    "Create a new revision, check it and have it approved before then.",
                ),
                path,
                "Open the app's plans",
            ),
        )
    return out


# --- sending ------------------------------------------------------------------------------------


def _message_id(row: Notification) -> str:
    """The same Message-ID for every try, so a mail system can drop a duplicate delivery."""
    digest = hashlib.sha256(f"{row.event_key}|{row.recipient_id}".encode()).hexdigest()[:32]
    return f"<{digest}@recovery-planner>"


def _retry_in(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(MAX_RETRY_SECONDS, settings.NOTIFY_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    )


def send(notification_id: int, *, now: datetime | None = None) -> str:
    """Send one e-mail notification if it is due; the row records the outcome."""
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lte=now - SENDING_TIMEOUT
    )
    claimed = Notification.objects.filter(due, pk=notification_id).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now()
    )
    if claimed != 1:
        return f"notification {notification_id}: not due (sent, shown or claimed elsewhere)"
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not row.recipient.email:
        return _to_portal(row, "the recipient has no e-mail address any more")
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient.email],
        headers={"Message-ID": _message_id(row), "X-Recovery-Planner-Event": row.event_key},
    )
    message.attach_alternative(row.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:  # the address is refused for good
        return _to_portal(row, f"the SMTP server refused {row.recipient.email}: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        attempts = row.attempts + 1
        retry = _retry_in(attempts)
        Notification.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING,
            attempts=attempts,
            next_attempt_at=timezone.now() + retry,
            last_error=f"{exc.__class__.__name__}: {exc}"[:1000],
        )
        log.warning(
            "notification %s to %s not sent (attempt %d): %s; next try in %d s",
            row.pk,
            row.recipient.email,
            attempts,
            exc,
            retry.total_seconds(),
        )
        return f"notification {row.pk}: not sent ({exc.__class__.__name__}), retried"
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=row.attempts + 1, last_error=""
    )
    return f"notification {row.pk}: sent to {row.recipient.email}"


def _to_portal(row: Notification, why: str) -> str:
    """A message no e-mail can carry is shown in the portal instead: never dropped."""
    Notification.objects.filter(pk=row.pk).update(
        channel=Channel.PORTAL, status=DeliveryStatus.SHOWN, last_error=why[:1000]
    )
    log.warning("notification %s shown in the portal instead: %s", row.pk, why)
    return f"notification {row.pk}: shown in the portal ({why})"


def send_pending(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """The beat sweep: try every e-mail that is due again (oldest first)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - SENDING_TIMEOUT)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        send(pk, now=now)
    sent = Notification.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).count()
    return {"due": len(ids), "sent": sent}


# --- the portal ---------------------------------------------------------------------------------


def mark_read(user, ids=None) -> int:
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def wanted_kinds(user) -> set[str]:
    out = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {k for k in NotificationKind.values if k not in out}


@transaction.atomic
def set_preferences(user, kinds) -> set[str]:
    """Receive exactly ``kinds`` (unknown kinds are ignored); returns what the user receives."""
    wanted = {k for k in kinds if k in NotificationKind.values}
    NotificationOptOut.objects.filter(user=user, kind__in=wanted).delete()
    have = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    NotificationOptOut.objects.bulk_create(
        NotificationOptOut(user=user, kind=k)
        for k in NotificationKind.values
        if k not in wanted and k not in have
    )
    return wanted
