"""What-if on the app page: change a few inputs, see the plan recomputed beside the saved one.

Nothing is saved. The app's facts are loaded as a sizing run loads them, the changed inputs are
put in, and the same engine sizes and assesses it (``planner.assess``, with the same estate
context as a run: loads on the targets, dependencies across apps), so the figures and findings
read exactly as a run would write them.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from planner import assess
from planner.labels import SCHEMES, scheme_title
from planner.models import BackupPolicy
from planner.services.facts import app_facts, app_queryset, load_apps
from planner.services.sizing import Catalogs, estate_context
from planner.units import (
    fmt_gib,
    fmt_hours,
    fmt_mbps,
    fmt_money,
    fmt_num,
    fmt_recovery,
)
from portal import access
from portal.forms import WhatIfForm


def modified_facts(app_id: int, changes: dict):
    """The app's facts with the what-if changes applied (plain data, nothing saved)."""
    base = load_apps([app_id])[0]
    obj = app_queryset().get(pk=app_id)
    for name in ("scheme", "recovery_target", "backup_target", "policy", "link_mbps"):
        if name in changes:
            setattr(obj, name, changes[name])
    if "retention_points" in changes:
        policy = copy.copy(obj.policy) if obj.policy else BackupPolicy(name="what-if policy")
        policy.retention_points = changes["retention_points"]
        obj.policy = policy
    vms = base.vms
    if "growth_percent" in changes:
        vms = tuple(replace(v, growth_per_year=changes["growth_percent"] / 100) for v in vms)
    return app_facts(obj, vms, base.drills)


def recompute(app_facts_):
    catalogs = Catalogs.load()
    sizing = assess.size(app_facts_, catalogs.prices, catalogs.limits)
    ctx = estate_context([app_facts_], [sizing], limits=catalogs.limits).for_app(
        app_facts_, sizing, catalogs.limits, timezone.now(), prices=catalogs.prices
    )
    return assess.assess(app_facts_, sizing, ctx)


def _rpo(scheme):
    """An unbounded RPO of a protecting scheme is a link too slow for the change."""

    def fmt(value):
        if (value is None or value == float("inf")) and scheme != "none":
            return "unbounded (backlog grows)"
        return fmt_recovery(value)

    return fmt


def _scheme(value):
    if not value:
        return "none fits"
    return scheme_title(value) if value in SCHEMES else "none meets the objectives"


def comparison(result, a) -> list[tuple[str, str, str, bool]]:
    """(figure, saved, what-if, changed) rows."""
    s, cap = a.sizing, a.capability
    saved_cost = result.detail.get("cost_by_month", []) if result else []
    rows = [
        ("Protected VMs", "protected_vm_count", len(s.vms), str),
        ("Used data", "used_gib", s.used_gib, fmt_gib),
        ("Backup storage", "backup_gib", s.backup_gib, fmt_gib),
        ("Replica storage", "replica_gib", s.replica_gib, fmt_gib),
        ("Daily change", "churn_gib_day", s.churn_gib_day, lambda v: fmt_gib(v) + "/day"),
        ("Bandwidth", "bandwidth_mbps", s.bandwidth_mbps, fmt_mbps),
        ("Initial seeding / first full", "seeding_hours", a.onboarding_hours, fmt_hours),
        ("Stand-by vCPU", "standby_vcpu", s.standby_vcpu, lambda v: fmt_num(v, 1)),
        ("Stand-by memory", "standby_memory_gib", s.standby_memory_gib, fmt_gib),
        ("ASR appliances", "asr_appliances", s.asr_appliances, str),
        ("Public-cloud cost / month", "monthly_cost", s.monthly_cost, fmt_money),
        ("RTO capability", "rto_capability_minutes", cap.rto_minutes, fmt_recovery),
        ("RPO capability", "rpo_capability_minutes", cap.rpo_minutes, _rpo(a.app.scheme)),
        ("Blocking findings", "blocking_count", a.blocking, str),
        ("Warnings", "warning_count", a.warnings, str),
        ("Recommended scheme", "recommended_scheme", a.recommendation.scheme or "", _scheme),
    ]
    out = []
    for label, field, new, fmt in rows:
        old = getattr(result, field) if result else None
        old_text = "—" if result is None else fmt(old)
        new_text = fmt(new)
        out.append((label, old_text, new_text, old_text != new_text))
    for months in (12, 36):
        old = fmt_money(sum(saved_cost[:months])) if result else "—"
        new = fmt_money(sum(s.cost_by_month[:months]))
        out.append((f"Public-cloud cost, {months} months", old, new, old != new))
    return out


@login_required
@require_POST
def app_whatif(request, pk):
    app = access.app_for_user(request.user, pk)
    form = WhatIfForm(request.POST)
    context = {"app": app, "form": form}
    if form.is_valid():
        changes = form.changes()
        try:
            a = recompute(modified_facts(app.pk, changes))
        except ValueError as exc:
            context["error"] = f"The engine could not size this variant: {exc}"
        else:
            result = getattr(app, "result", None)
            saved = {(f.code, f.severity) for f in app.findings.all()}
            new = {(f.code, f.severity) for f in a.findings}
            context.update(
                {
                    "rows": comparison(result, a),
                    "findings": [
                        (f, (f.code, f.severity) not in saved)
                        for f in sorted(
                            a.findings, key=lambda f: (f.severity != "blocking", f.code)
                        )
                    ],
                    "resolved": sorted(saved - new),
                    "changes": changes,
                    "explanation": a.sizing.explanation,
                    "has_result": result is not None,
                }
            )
    template = "portal/_whatif_result.html"
    if not request.headers.get("HX-Request"):
        template = "portal/whatif_page.html"
    return render(request, template, context)
