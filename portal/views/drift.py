"""Drift a hub sync found (planner.services.hub): the owner sees it and marks it reviewed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from planner.models import Drift, DriftKind
from planner.services import hub
from portal.views import access

SHOWN = 100
DASHBOARD_APPS = 10


def open_drift(app, limit: int = SHOWN) -> tuple[list[Drift], int]:
    """The app's drift nobody reviewed yet (newest first, at most ``limit``) and its count."""
    qs = Drift.objects.filter(application=app, reviewed_at__isnull=True)
    return list(qs.order_by("-detected_at", "vm_name")[:limit]), qs.count()


def drift_by_app(apps) -> list[dict]:
    """Apps (of the queryset the user may see) with unreviewed drift, counted by kind."""
    counts = {k: Count("pk", filter=Q(kind=k)) for k in DriftKind.values}
    return list(
        Drift.objects.filter(application__in=apps, reviewed_at__isnull=True)
        .values("application_id", "application__name")
        .annotate(total=Count("pk"), **counts)
        .order_by("-total", "application__name")[:DASHBOARD_APPS]
    )


@login_required
@require_POST
def app_drift_review(request, pk):
    app = access.app_for_change(request.user, pk)
    n = hub.review_drift(app, request.user)
    messages.success(
        request,
        f"{n} change(s) on the hub marked reviewed for '{app}': the drift finding goes at the "
        "next sizing. New VMs stay opted out until you opt them in.",
    )
    return redirect(f"{app.get_absolute_url()}#drift")
