"""The dashboard: the user's apps, what needs attention first, totals and recent runs."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Q, Sum
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe

from planner.models import (
    Application,
    Finding,
    PlanRevision,
    PlanState,
    SizingRun,
    VirtualMachine,
)
from planner.services.estate.queries import vm_protected
from planner.services.plans import plan_statuses
from portal import access
from portal.paging import subcount
from portal.tables import ApplicationTable, SizingRunTable
from portal.templatetags.portal import show
from portal.views.drift import drift_by_app

ATTENTION = 8
APPS_SHOWN = 10
TO_SIGN = 10


class DashboardAppTable(ApplicationTable):
    """The apps table with each app's plan status (none, draft, submitted, approved, stale,
    review due), from ``plan_statuses`` for the whole page at once."""

    plan = tables.Column(empty_values=(), orderable=False, verbose_name="Plan")

    class Meta(ApplicationTable.Meta):
        sequence = (*ApplicationTable.Meta.sequence, "plan")

    def render_plan(self, record):
        status = getattr(record, "plan_status", None)
        if status is None:
            return "—"
        return plan_badge(status)


def plan_badge(s: dict) -> SafeString:
    """The HTML of portal/plan_badge.html for one status, written here: the same characters
    (tests/web/test_page_rows.py compares them) without a template render per row."""
    state = show(s["state"])
    flags = (" stale" if s["stale"] else "") + (" review-due" if s["due_for_review"] else "")
    head = f'\n<span class="plan-status" data-plan-state="{state}{flags}" title="{show(s["label"])}">\n'
    if s["state"] == "none":
        return mark_safe(head + '<span class="badge badge-muted">no plan</span></span>\n')  # noqa: S308
    parts = [head, "\n"]
    approved, latest = s["approved"], s["latest"]
    if approved:
        parts.append(
            f'<span class="badge badge-{"muted" if s["stale"] else "ok"}">'
            f"approved r{show(approved.number)}</span>"
        )
        if s["stale"]:
            parts.append(' <span class="badge badge-bad">stale: app changed</span>')
        if s["due_for_review"]:
            parts.append(' <span class="badge badge-warn">review due</span>')
    parts.append("\n")
    if latest != approved:
        kind = {"submitted": "warn", "rejected": "bad"}.get(s["state"], "info")
        parts.append(
            f' <span class="badge badge-{kind}">{state} r{show(getattr(latest, "number", ""))}</span>'
        )
    parts.append("\n</span>\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by show)


def _result(app):
    """The app's result, None when it was never sized."""
    return getattr(app, "result", None)


def _blocking(app) -> int | None:
    """The app's blocking findings, None when it was never sized."""
    result = _result(app)
    return None if result is None else result.blocking_count


def _totals(apps: list) -> tuple[dict, dict]:
    """The tiles' totals of ``apps`` (every app the user sees, as read for the apps table), as
    the aggregates of the other branch of ``dashboard`` compute them from the database: counts,
    sums that are None when no app is sized, and the VMs (the rows count their VMs, and their
    protected VMs as ``vm_protected`` says)."""
    results = [a.result for a in sorted(apps, key=lambda a: a.pk) if _result(a) is not None]
    totals = {
        "apps": len(apps),
        "sized": len(results),
        "noncompliant": sum(1 for r in results if not r.compliant),
        "blocking": sum(r.blocking_count for r in results) if results else None,
        "warnings": sum(r.warning_count for r in results) if results else None,
        "cost": sum(r.monthly_cost for r in results) if results else None,
    }
    vms = {
        "total": sum(a.n_vms for a in apps),
        "protected": sum(a.n_vm_protected for a in apps),
    }
    return totals, vms


@login_required
def dashboard(request):
    user = request.user
    approver = access.is_approver(user)
    sees_all = approver or access.is_operator(user)
    apps = Application.objects.for_user(user)
    # The rows' results without their detail (the arithmetic behind the figures, ~27 KB of JSON
    # an app on the demo estate): the tables show figures only.
    rows = ApplicationTable.rows(apps).defer("result__detail")
    vm_protected_of_app = VirtualMachine.objects.filter(vm_protected(), application=OuterRef("pk"))
    # One row more than the table shows: fewer rows than that means every app the user sees is
    # here (an owner's few), and the totals and the attention list are computed from the rows
    # rather than asked of the database (two queries and one less: issue 19).
    shown = list(
        rows.annotate(n_vm_protected=subcount(vm_protected_of_app, "application")).order_by("name")[
            : APPS_SHOWN + 1
        ]
    )
    complete = len(shown) <= APPS_SHOWN
    if complete:
        totals, vms = _totals(shown)
        # The attention list is the same rows, filtered and ordered here as the query below
        # orders them (a stable sort of rows already in name order).
        attention = sorted(
            (a for a in shown if _blocking(a) != 0),
            key=lambda a: (_blocking(a) is None, -(_blocking(a) or 0), a.tier),
        )[:ATTENTION]
    else:
        shown = shown[:APPS_SHOWN]
        totals = apps.aggregate(
            apps=Count("pk"),
            sized=Count("result"),
            noncompliant=Count("pk", filter=Q(result__compliant=False)),
            blocking=Sum("result__blocking_count"),
            warnings=Sum("result__warning_count"),
            cost=Sum("result__monthly_cost"),
        )
        vms = VirtualMachine.objects.for_user(user).aggregate(
            total=Count("pk"), protected=Count("pk", filter=vm_protected())
        )
        # What needs attention first: apps with blocking findings (most first, most critical
        # tier first), then apps never sized.
        attention = list(
            rows.filter(Q(result__blocking_count__gt=0) | Q(result__isnull=True)).order_by(
                F("result__blocking_count").desc(nulls_last=True), "tier", "name"
            )[:ATTENTION]
        )
    # Each app's first blocking finding: all the findings of these few apps, the blocking ones
    # picked here. Filtered by severity in SQL, SQLite walks the severity index (every blocking
    # finding of the estate: 3 ms on 10,000 VMs) rather than the apps' (0.2 ms).
    first_blocking = {}
    for app_id, code, message, severity in (
        Finding.objects.filter(application__in=[a.pk for a in attention])
        .order_by("application_id", "code")
        .values_list("application_id", "code", "message", "severity")
    ):
        if severity == "blocking":
            first_blocking.setdefault(app_id, (code, message))
    for app in attention:
        app.first_blocking = first_blocking.get(app.pk)
    statuses = plan_statuses(shown, waivers=False)  # the badges show no waiver: one query less
    for app in shown:
        app.plan_status = statuses[app.pk]
    table = DashboardAppTable(shown, orderable=False, exclude=("owner",) if not sees_all else ())
    # Plans waiting for a decision: an approver's queue (not their own apps': another approver
    # signs those); an owner sees their own submissions. When the rows are every app the user
    # sees, their submitted revisions are already read (plan_statuses: one query less).
    if complete:
        to_sign = sorted(
            (
                rev
                for app in shown
                if not (approver and app.owner_id == user.pk)
                for rev in statuses[app.pk]["submitted"]
            ),
            key=lambda rev: rev.created_at,
        )[:TO_SIGN]
        by_pk = {app.pk: app for app in shown}
        for rev in to_sign:
            rev.application = by_pk[rev.application_id]
    else:
        waiting = PlanRevision.objects.for_user(user).filter(state=PlanState.SUBMITTED)
        if approver:
            waiting = waiting.exclude(application__owner=user)
        to_sign = list(
            waiting.defer("snapshot")
            .select_related("application", "created_by")
            .order_by("created_at")[:TO_SIGN]
        )
    runs = SizingRunTable(
        SizingRunTable.rows(SizingRun.objects.for_user(user))[:5], orderable=False
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "totals": totals,
            "vms": vms,
            "share": round(100 * vms["protected"] / vms["total"]) if vms["total"] else 0,
            "attention": attention,
            "table": table,
            "runs": runs,
            "to_sign": to_sign,
            "can_create": access.can_create(user),
            "sees_all": sees_all,
            "drift": drift_by_app(apps),
        },
    )
