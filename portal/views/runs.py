"""Sizing runs: history, one run with its errors, and the progress fragment htmx polls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from planner.models import SizingRun
from portal import access
from portal.filtersets import SizingRunFilterSet
from portal.tables import SizingRunTable
from portal.views.lists import list_page


@login_required
def run_list(request):
    return list_page(
        request,
        queryset=SizingRun.objects.for_user(request.user),
        filterset_class=SizingRunFilterSet,
        table_class=SizingRunTable,
        template="portal/run_list.html",
        export_filename="sizing-runs.csv",
    )


@login_required
def run_detail(request, pk):
    run = access.run_for_user(request.user, pk)
    return render(
        request,
        "portal/run_detail.html",
        {"run": run, "errors": list(run.errors.select_related("application", "vm")[:200])},
    )


@never_cache
@login_required
def run_progress(request, pk):
    """A small fragment: the bar, polled every second until the run has finished."""
    run = access.run_for_user(request.user, pk)
    return render(
        request,
        "portal/_run_progress.html",
        {"run": run, "where": request.GET.get("where", "run"), "polled": True},
    )
