"""The dashboard: the user's apps, what needs attention first, totals and recent runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q, Sum
from django.shortcuts import render

from planner.models import Application, Finding, SizingRun, VirtualMachine
from portal.tables import ApplicationTable, SizingRunTable
from portal.views import access

ATTENTION = 8


@login_required
def dashboard(request):
    user = request.user
    sees_all = access.is_operator(user) or access.is_approver(user)
    apps = Application.objects.for_user(user)
    totals = apps.aggregate(
        apps=Count("pk"),
        sized=Count("result"),
        noncompliant=Count("pk", filter=Q(result__compliant=False)),
        blocking=Sum("result__blocking_count"),
        warnings=Sum("result__warning_count"),
        cost=Sum("result__monthly_cost"),
    )
    vms = VirtualMachine.objects.for_user(user).aggregate(
        total=Count("pk"), protected=Count("pk", filter=Q(opted_in=True))
    )
    # What needs attention first: apps with blocking findings (most first, most critical tier
    # first), then apps never sized.
    attention = list(
        ApplicationTable.rows(apps)
        .filter(Q(result__blocking_count__gt=0) | Q(result__isnull=True))
        .order_by(F("result__blocking_count").desc(nulls_last=True), "tier", "name")[:ATTENTION]
    )
    first_blocking = {}
    for app_id, code, message in (
        Finding.objects.filter(application__in=[a.pk for a in attention], severity="blocking")
        .order_by("application_id", "code")
        .values_list("application_id", "code", "message")
    ):
        first_blocking.setdefault(app_id, (code, message))
    for app in attention:
        app.first_blocking = first_blocking.get(app.pk)
    table = ApplicationTable(
        ApplicationTable.rows(apps).order_by("name")[:10],
        orderable=False,
        exclude=("owner",) if not sees_all else (),
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
            "can_create": access.can_create(user),
            "sees_all": sees_all,
        },
    )
