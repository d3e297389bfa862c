"""The dashboard: the user's apps, what needs attention first, totals and recent runs."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q, Sum
from django.shortcuts import render
from django.template.loader import render_to_string

from planner.models import Application, Finding, PlanRevision, PlanState, SizingRun, VirtualMachine
from planner.services.estate.queries import vm_protected
from planner.services.plans import plan_statuses
from portal import access
from portal.tables import ApplicationTable, SizingRunTable
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
        return render_to_string("portal/plan_badge.html", {"s": status})


def _blocking(app) -> int | None:
    """The app's blocking findings, None when it was never sized."""
    result = getattr(app, "result", None)
    return None if result is None else result.blocking_count


@login_required
def dashboard(request):
    user = request.user
    approver = access.is_approver(user)
    sees_all = approver or access.is_operator(user)
    apps = Application.objects.for_user(user)
    # The rows' results without their detail (the arithmetic behind the figures, ~27 KB of JSON
    # an app on the demo estate): the tables show figures only.
    rows = ApplicationTable.rows(apps).defer("result__detail")
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
    # What needs attention first: apps with blocking findings (most first, most critical tier
    # first), then apps never sized.
    if totals["apps"] <= APPS_SHOWN:
        # All the user's apps are in the table below (an owner's few): the attention list is
        # the same rows, filtered and ordered here as the query below orders them (a stable
        # sort of rows already in name order). One query less.
        shown = list(rows.order_by("name")[:APPS_SHOWN])
        attention = sorted(
            (a for a in shown if _blocking(a) != 0),
            key=lambda a: (_blocking(a) is None, -(_blocking(a) or 0), a.tier),
        )[:ATTENTION]
    else:
        attention = list(
            rows.filter(Q(result__blocking_count__gt=0) | Q(result__isnull=True)).order_by(
                F("result__blocking_count").desc(nulls_last=True), "tier", "name"
            )[:ATTENTION]
        )
        shown = list(rows.order_by("name")[:APPS_SHOWN])
    first_blocking = {}
    for app_id, code, message in (
        Finding.objects.filter(application__in=[a.pk for a in attention], severity="blocking")
        .order_by("application_id", "code")
        .values_list("application_id", "code", "message")
    ):
        first_blocking.setdefault(app_id, (code, message))
    for app in attention:
        app.first_blocking = first_blocking.get(app.pk)
    statuses = plan_statuses(shown)
    for app in shown:
        app.plan_status = statuses[app.pk]
    table = DashboardAppTable(shown, orderable=False, exclude=("owner",) if not sees_all else ())
    # Plans waiting for a decision: an approver's queue (not their own apps': another approver
    # signs those); an owner sees their own submissions.
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
