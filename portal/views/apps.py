"""App pages: list, create, edit, detail (results, findings, charts, VMs), sizing runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from planner import charts
from planner.assess import FIGURE_SOURCES
from planner.facts import REPLICATING_SCHEMES
from planner.models import Application, Finding, SizingRun, VirtualMachine
from planner.services import actions
from planner.services.runs import request_run
from portal import access
from portal.filtersets import ApplicationFilterSet, VirtualMachineFilterSet
from portal.forms import ApplicationForm, WhatIfForm
from portal.tables import ApplicationTable, SizingRunTable, VirtualMachineTable
from portal.views.drift import claims_context, open_drift
from portal.views.lists import build_table, export_csv, list_page

DETAIL_RELATED = (
    "owner",
    "source_cloud__site",
    "recovery_target__site",
    "backup_target__site",
    "policy",
    "product",
    "no_protection_by",
    "result",
)


@login_required
def app_list(request):
    return list_page(
        request,
        # Figures only: not each result's detail (the arithmetic, ~27 KB of JSON an app).
        queryset=Application.objects.for_user(request.user).defer("result__detail"),
        filterset_class=ApplicationFilterSet,
        table_class=ApplicationTable,
        template="portal/app_list.html",
        export_filename="apps.csv",
        context={"can_create": access.can_create(request.user)},
    )


def _form_page(request, form, app=None):
    return render(
        request,
        "portal/app_form.html",
        {"form": form, "app": app, "refresh_fields": list(form.fields)},
    )


@login_required
def app_create(request):
    if not access.can_create(request.user):
        raise PermissionDenied("Only app owners and operators register apps.")
    instance = Application(owner=request.user)
    if request.method == "POST":
        form = ApplicationForm(request.POST, instance=instance, user=request.user)
        if request.POST.get("_refresh"):
            return _refreshed(request, form)
        if form.is_valid():
            app = actions.save_app(instance, request.user, form.save, resize=False)
            messages.success(
                request,
                f"App '{app}' registered. Next: import its VMs (or add them one by one), opt "
                "them in, and run a sizing.",
            )
            return redirect(app)
    else:
        form = ApplicationForm(instance=instance, user=request.user)
    return _form_page(request, form)


@login_required
def app_edit(request, pk):
    app = access.app_for_change(request.user, pk)
    if request.method == "POST":
        form = ApplicationForm(request.POST, instance=app, user=request.user)
        if request.POST.get("_refresh"):
            return _refreshed(request, form, app)
        if form.is_valid():
            app = actions.save_app(app, request.user, form.save)
            messages.success(request, f"'{app}' saved; a sizing run will update its results.")
            return redirect(app)
    else:
        form = ApplicationForm(instance=app, user=request.user)
    return _form_page(request, form, app)


def _refreshed(request, form, app=None):
    """The form re-rendered for what is now chosen (htmx), without saving or showing errors."""
    form.refresh = True
    form._errors = {}  # a half-filled form is not an error yet
    return _form_page(request, form, app)


@login_required
def app_detail(request, pk):
    user = request.user
    app = access.app_for_user(user, pk, Application.objects.select_related(*DETAIL_RELATED))
    result = getattr(app, "result", None)
    vms = list(
        VirtualMachine.objects.filter(application=app).values_list(
            "pk", "name", "opted_in", "size_id"
        )
    )
    vm_table, vm_filter = build_table(
        request,
        queryset=VirtualMachine.objects.filter(application=app),
        filterset_class=VirtualMachineFilterSet,
        table_class=VirtualMachineTable,
        exclude=("application",) if access.can_change(user, app) else ("application", "select"),
        count=len(vms),  # all the app's VMs: the table's count when nothing is filtered
        not_filters=("months",),  # the cost chart's period
    )
    findings = list(app.findings.all())
    names = {pk: name for pk, name, _, _ in vms}
    for f in findings:
        f.vm_names = [names.get(i, f"#{i}") for i in f.vm_ids]
    detail = result.detail if result else {}
    months = 36 if request.GET.get("months") == "36" else 12
    runs = list(SizingRunTable.rows(SizingRun.objects.filter(application=app))[:5])
    active = next((r for r in runs if not r.finished), None)
    context = {
        "app": app,
        "result": result,
        "detail": detail,
        "findings": findings,
        "blocking": [f for f in findings if f.severity == "blocking"],
        "vm_table": vm_table,
        "vm_filter": vm_filter,
        "vm_names": names,
        "boot_groups": [
            [names.get(v, f"#{v}") for v in group]
            for group in detail.get("boot", {}).get("groups", [])
        ],
        # Shown in the sized app's section only: an app never sized reads none (one query less).
        "drills": list(app.drills.all()[:20]) if result else [],
        "runs": runs,
        "active_run": active,
        "can_change": access.can_change(user, app),
        "months": months,
        "storage_chart": charts.storage_chart(detail.get("storage_by_point", [])) if result else "",
        "cost_chart": charts.cost_chart(detail.get("cost_by_month", []), months) if result else "",
        "whatif_form": WhatIfForm(),
        "combination": _combination(app),
        # Every sizing figure names its source (stored results older than the sources: today's).
        "sources": detail.get("sources") or FIGURE_SOURCES,
        # VMs whose size is not in the catalog: their compute is unknown, never shown as 0.
        "unknown_sizes": sum(1 for _, _, opted_in, size in vms if opted_in and size is None)
        if app.scheme in REPLICATING_SCHEMES
        else 0,
    }
    context["drift"], context["drift_count"] = open_drift(app)
    context.update(claims_context(app))
    return render(request, "portal/app_detail.html", context)


def _combination(app) -> str:
    from planner.rules.topology import COMBINATIONS, combination_key
    from planner.services.facts import cloud_facts

    if app.recovery_target is None:
        return ""
    return COMBINATIONS.get(
        combination_key(cloud_facts(app.source_cloud), cloud_facts(app.recovery_target)), ""
    )


@login_required
def app_vms_export(request, pk):
    app = access.app_for_user(request.user, pk)
    table, _ = build_table(
        request,
        queryset=VirtualMachine.objects.filter(application=app),
        filterset_class=VirtualMachineFilterSet,
        table_class=VirtualMachineTable,
        size=0,
    )
    return export_csv(request, table, f"{app.name}-vms.csv")


@login_required
def app_findings_export(request, pk):
    from planner.exports import csv_response

    app = access.app_for_user(request.user, pk)
    rows = Finding.objects.filter(application=app).values_list(
        "severity", "code", "message", "remedy", "source"
    )
    return csv_response(
        f"{app.name}-findings.csv", ["severity", "code", "message", "remedy", "source"], rows
    )


@login_required
@require_POST
def app_size(request, pk):
    app = access.app_for_change(request.user, pk)
    run = request_run(application=app, trigger="manual", user=request.user)
    messages.info(request, f"Sizing run #{run.pk} started for '{app}'.")
    return redirect(app)


@login_required
@require_POST
def vm_bulk_opt(request):
    """Opt the selected VMs in or out: all of them, or none when one is not the user's to change
    (``actions.set_opted_in``, as the API does)."""
    action = request.POST.get("action")
    if action not in ("opt_in", "opt_out"):
        messages.error(request, "Choose “Opt in” or “Opt out” for the selected VMs.")
        return _back(request)
    ids = [int(i) for i in request.POST.getlist("select") if i.isdigit()]
    if not ids:
        messages.error(request, "Select at least one VM (tick its box) first.")
        return _back(request)
    try:
        outcome = actions.set_opted_in(request.user, ids, action == "opt_in")
    except actions.OptInRefused as exc:
        messages.error(request, str(exc))
        return _back(request)
    changed = outcome.changed
    verb = "opted in" if action == "opt_in" else "opted out"
    messages.success(
        request,
        f"{changed} VM{'s' if changed != 1 else ''} {verb}"
        + (". The sizing will be updated." if changed else "."),
    )
    return _back(request)


def _back(request):
    target = request.POST.get("next") or ""
    from django.utils.http import url_has_allowed_host_and_scheme

    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "vm-list"
    return redirect(target)
