"""One app's full assessment: sizing, rules, capability, recommendation, runbook, onboarding.

Pure composition of ``planner.sizing`` and ``planner.rules`` (no Django): the sizing service,
the what-if on the app page, the plan snapshot and the benchmarks all call it, so a figure is
computed in one place and reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from planner import facts
from planner.guard import bound_app, bound_catalog
from planner.rules import evaluate
from planner.rules.bootorder import BootPlan, boot_order
from planner.rules.capability import usable_link
from planner.rules.context import CandidateFigures, RuleContext, SizingFigures, VmFigures
from planner.rules.drills import DrillSummary
from planner.rules.engine import derive
from planner.rules.findings import Finding
from planner.rules.recommend import candidate_targets
from planner.rules.stagger import Schedule, stagger
from planner.sizing import AppSizing, size_app

# Replication seeding runs around the clock over the app's link, a few VMs at a time.
SEEDING_WINDOW_HOURS = 24.0
SEEDING_STREAMS = 4

# The source of every sizing figure an app result shows (page, API "detail.sources", PDF).
FIGURE_SOURCES = {
    "used_gib": "inventory (disks' used GiB)",
    "backup_gib": "DESIGN §4 backup storage; Veeam restore point simulator and best-practice "
    "guide (repository sizing)",
    "replica_gib": "DESIGN §4 replication; Azure Site Recovery on Azure Stack Hub capacity "
    "planning (replica 1.5–2 × provisioned)",
    "churn_gib_day": "DESIGN §4 (daily churn = U · d)",
    "bandwidth_mbps": "DESIGN §4 (required bandwidth: change × 8,589.93 Mbit/GiB ÷ time ÷ "
    "efficiency)",
    "seeding_hours": "DESIGN §4 seeding (72 h goal) and the seed's \"Planning your backup "
    'strategy" (staggered onboarding): one schedule at min(target ingest, usable link)',
    "standby_vcpu": "DESIGN §4 stand-by compute; Azure Stack Hub VM sizes (catalog)",
    "standby_memory_gib": "DESIGN §4 stand-by compute; Azure Stack Hub VM sizes (catalog)",
    "asr_appliances": "Azure Site Recovery on Azure Stack Hub capacity planning (ASR products "
    "only)",
    "monthly_cost": "price catalog: Azure Backup, Site Recovery, Managed Disks and Virtual "
    "Machines pricing; the provider's contract",
    "rto_capability_minutes": "DESIGN §4 capability: backup RTO = data ÷ min(target restore "
    "throughput, usable link) + redeploy; the seed's restore approaches",
    "rpo_capability_minutes": "DESIGN §4 capability: backup interval, replication interval "
    "while the link carries the change",
    "hub_memory": "Azure Stack Hub compute capacity planning; inventoried VMs at catalog sizes",
}


def size(app: facts.App, prices: Mapping[str, float], limits: Mapping[str, float]) -> AppSizing:
    """The app's figures; numbers outside the engine's domain are replaced first
    (``planner.guard``), and ``assess`` reports them."""
    app, _ = bound_app(app)
    return size_app(app, bound_catalog(prices, "prices")[0], bound_catalog(limits, "limits")[0])


def own_capability(
    app: facts.App, sizing: AppSizing, limits: Mapping[str, float], now: datetime
) -> object:
    """The capability of the app's chosen scheme from its own facts and figures, with no estate
    context: what the first pass of an estate run records for the apps that depend on it (the
    same ``derive`` that ``assess`` runs, so both read the same)."""
    return derive(app, rule_context(app, sizing, limits=limits, now=now)).capability


_PRICED_KINDS = frozenset({"azure", "service_provider"})  # public prices; the rest on premises


def _sizing_key(app: facts.App, scheme: str, target) -> tuple:
    """What of a candidate's target changes its sizing: whether it is priced publicly (Azure, a
    service provider) or at the internal rates (on premises: every other kind sizes alike),
    and, for backup, its nightly window (the backup bandwidth)."""
    if target is None:
        return (scheme,)
    priced = target.kind if target.kind in _PRICED_KINDS else "on_premises"
    if scheme == "backup_restore":
        return (scheme, priced, target.window_hours)
    return (scheme, priced)


def candidate_figures(
    app: facts.App,
    chosen: AppSizing,
    prices: Mapping[str, float],
    limits: Mapping[str, float],
    *,
    clouds=(),
    backup_targets=(),
) -> dict[tuple[str, int], CandidateFigures]:
    """Size the app as if it chose each recommendation candidate (``candidate_targets``): the
    monthly cost and the capacity it would take. Candidates whose targets size alike share one
    sizing (``_sizing_key``); the app's own choice reuses ``chosen``. An app with no VM opted
    in is costed as if every VM were."""
    out: dict[tuple[str, int], CandidateFigures] = {}
    by_key: dict[tuple, CandidateFigures] = {}
    # An app with no VM opted in (scheme none, say) is costed as if all were: the candidates
    # are judged on the same VMs (``recommend._vms``), never at $0 for protecting nothing.
    whole = (
        app
        if app.protected_vms
        else replace(app, vms=tuple(replace(v, opted_in=True) for v in app.vms))
    )
    own_key = _sizing_key(
        app,
        app.scheme,
        app.backup_target if app.scheme == "backup_restore" else app.recovery_target,
    )
    for scheme in facts.SCHEMES:
        for target in candidate_targets(app, scheme, clouds, backup_targets):
            key = _sizing_key(app, scheme, target)
            fig = by_key.get(key)
            if fig is None:
                if key == own_key and whole is app:
                    s = chosen
                else:
                    if scheme == "backup_restore":
                        as_chosen = replace(whole, scheme=scheme, backup_target=target)
                    elif scheme == "none":
                        as_chosen = replace(whole, scheme=scheme)
                    else:
                        as_chosen = replace(whole, scheme=scheme, recovery_target=target)
                    try:
                        s = size(as_chosen, prices, limits)  # bounded, as the app's own sizing
                    except ValueError as exc:
                        by_key[key] = fig = CandidateFigures(None, error=str(exc))
                        s = None
                if s is not None:
                    fig = CandidateFigures(
                        s.monthly_cost,
                        _cost_lines(s),
                        s.backup_gib,
                        s.standby_memory_gib,
                        len(s.vms) if s.standby_memory_gib > 0 else 0,
                        replication_mbps=(
                            s.bandwidth_mbps if scheme in facts.REPLICATING_SCHEMES else 0.0
                        ),
                    )
                    by_key[key] = fig
            out[(scheme, target.id if target is not None else 0)] = fig
    return out


def _cost_lines(s: AppSizing) -> tuple[str, ...]:
    """The lines of a sizing that make up its monthly cost (app totals, not per VM)."""
    keep = ("monthly cost", "public instances", "month 1 ", "12-month")
    lines = [line for line in s.explanation if line.startswith(keep)]
    internal = sorted(
        {
            line
            for v in s.vms
            for line in v.explanation
            if line.startswith(("internal rate", "on-premises capacity")) and "not set" in line
        }
    )
    return tuple(lines + internal)


def rule_context(
    app: facts.App,
    sizing: AppSizing,
    *,
    limits: Mapping[str, float],
    now: datetime,
    target_loads=None,
    cloud_loads=None,
    dependents=None,
    external_vms=None,
    clouds=(),
    backup_targets=(),
    products=(),
    candidates=None,
) -> RuleContext:
    schedule = onboarding(app, sizing, limits)
    figures = SizingFigures(
        backup_gib=sizing.backup_gib,
        replica_gib=sizing.replica_gib,
        seeding_hours=schedule.total_hours if schedule is not None else sizing.seeding_hours,
        standby_memory_gib=sizing.standby_memory_gib,
        standby_vcpu=sizing.standby_vcpu,
        bandwidth_mbps=sizing.bandwidth_mbps,
        asr_appliances=sizing.asr_appliances,
        vms={v.vm_id: VmFigures(v.backup_gib, v.used_gib, v.provisioned_gib) for v in sizing.vms},
        backup_run_gib=sizing.backup_run_gib,
    )
    return RuleContext(
        limits=limits,
        now=now,
        sizing=figures,
        target_loads=target_loads or {},
        cloud_loads=cloud_loads or {},
        dependents=dependents or {},
        external_vms=external_vms or {},
        clouds=tuple(clouds),
        backup_targets=tuple(backup_targets),
        products=tuple(products),
        candidates=candidates or {},
    )


@dataclass(frozen=True)
class Assessment:
    app: facts.App
    sizing: AppSizing
    findings: tuple[Finding, ...]
    boot: BootPlan
    schedule: Schedule | None
    capability: object  # planner.rules.capability.Capability
    recommendation: object  # planner.rules.recommend.Recommendation
    drills: DrillSummary
    target_hub: tuple[str, ...] = ()  # how the target hub's memory was counted (rules agree)

    @property
    def blocking(self) -> int:
        return sum(1 for f in self.findings if f.severity == "blocking")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    # Rows for the result tables (planner.models.runs); the service adds run and versions.
    def vm_rows(self) -> list[dict]:
        slots = {s.vm_id: s for s in self.schedule.slots} if self.schedule else {}
        rows = []
        for v in self.sizing.vms:
            slot = slots.get(v.vm_id)
            rows.append(
                {
                    "vm_id": v.vm_id,
                    "application_id": self.app.id,
                    "used_gib": v.used_gib,
                    "used_gib_horizon": v.used_gib_horizon,
                    "provisioned_gib": v.provisioned_gib,
                    "backup_gib": v.backup_gib,
                    "backup_data_gib": v.backup_data_gib,
                    "backup_workspace_gib": v.backup_workspace_gib,
                    "replica_gib": v.replica_gib,
                    "churn_gib_day": v.churn_gib_day,
                    "bandwidth_mbps": v.bandwidth_mbps,
                    "seeding_hours": v.seeding_hours,
                    "standby_vcpu": v.standby_vcpu,
                    "standby_memory_gib": v.standby_memory_gib,
                    "public_instances": v.public_instances,
                    "monthly_cost": v.monthly_cost,
                    "boot_group": self.boot.group_of.get(v.vm_id),
                    "onboarding_night": slot.night if slot else None,
                    "onboarding_offset_minutes": slot.start_offset_minutes if slot else None,
                    "explanation": list(v.explanation),
                }
            )
        return rows

    def app_row(self) -> dict:
        s = self.sizing
        cap = self.capability
        return {
            "application_id": self.app.id,
            "vm_count": len(self.app.vms),
            "protected_vm_count": len(s.vms),
            "used_gib": s.used_gib,
            "provisioned_gib": s.provisioned_gib,
            "backup_gib": s.backup_gib,
            "replica_gib": s.replica_gib,
            "churn_gib_day": s.churn_gib_day,
            "bandwidth_mbps": s.bandwidth_mbps,
            "seeding_hours": self.onboarding_hours,
            "standby_vcpu": s.standby_vcpu,
            "standby_memory_gib": s.standby_memory_gib,
            "public_instances": s.public_instances,
            "monthly_cost": s.monthly_cost,
            "asr_appliances": s.asr_appliances,
            "rto_capability_minutes": _finite(cap.rto_minutes),
            "rpo_capability_minutes": _finite(cap.rpo_minutes),
            "mttr_minutes": self.drills.mttr_minutes,
            "recommended_scheme": self.recommendation.scheme or "",
            "blocking_count": self.blocking,
            "warning_count": self.warnings,
            "compliant": self.blocking == 0,
            "onboarding_nights": self.schedule.nights if self.schedule else 0,
            "detail": self.detail(),
        }

    @property
    def onboarding_hours(self) -> float:
        """The app's seeding or first-full time: the staggered schedule's elapsed hours when there
        is one (one computation for the page, the API and the PDF), else the sizing's figure."""
        if self.schedule is not None:
            return self.schedule.total_hours
        return self.sizing.seeding_hours

    def detail(self) -> dict:
        s = self.sizing
        explanation = list(s.explanation)
        if self.schedule is not None:
            explanation += [f"onboarding: {line}" for line in self.schedule.explanation]
        return {
            "explanation": explanation,
            "sources": dict(FIGURE_SOURCES),
            "cost_by_month": [round(c, 2) for c in s.cost_by_month],
            "storage_by_point": [[label, round(g, 1)] for label, g in s.storage_by_point],
            "appliances": {
                "count": s.asr_appliances,
                "vcpu": s.appliance_vcpu,
                "memory_gib": s.appliance_memory_gib,
            },
            "capability": self.capability.to_json(),
            "target_hub": list(self.target_hub),
            "recommendation": self.recommendation.to_json(),
            "boot": self.boot.to_json(),
            "schedule": self.schedule.to_json() if self.schedule else None,
            "drills": {
                "count": self.drills.count,
                "mttr_minutes": self.drills.mttr_minutes,
                "achieved_rpo_minutes": self.drills.achieved_rpo_minutes,
                "last_at": self.drills.last_at.isoformat() if self.drills.last_at else None,
                "explanation": list(self.drills.explanation),
            },
        }

    def finding_rows(self) -> list[dict]:
        return [
            {
                "application_id": self.app.id,
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "remedy": f.remedy,
                "source": f.source,
                "vm_ids": list(f.vm_ids),
            }
            for f in self.findings
        ]


def _finite(value: float) -> float | None:
    return None if value is None or math.isinf(value) else value


def onboarding(app: facts.App, sizing: AppSizing, limits: Mapping[str, float]) -> Schedule | None:
    """Spread the initial fulls (backup) or the seeding (replication) over nights.

    The one onboarding computation: its elapsed hours are the app's "seeding / first full"
    figure (``Assessment.onboarding_hours``) and the ONBOARDING_* rules read the same schedule.
    Backup: the initial fulls (used × reduction) move at min(target ingest, usable link) in the
    target's window. Replication: the seeding (used × wire ratio) moves at the usable link around
    the clock. Streams are used as the data needs: never more streams than VMs, so one VM gets
    the whole rate rather than a stream's share.
    """
    goal = float(limits.get("seeding.goal_hours", 72))
    used = {v.vm_id: v.used_gib for v in sizing.vms}
    names = {v.id: v.name for v in app.vms}
    if not used:
        return None
    link, _ = usable_link(app.assumptions)
    if app.scheme == "backup_restore" and app.backup_target is not None:
        t = app.backup_target
        reduction = facts.effective_policy(app)[0].reduction
        items = [(vm_id, names[vm_id], gib * reduction) for vm_id, gib in used.items()]
        rate = min(t.ingest_mbps, link) if link > 0 else t.ingest_mbps
        if not (0 < rate < math.inf) or not 0 < t.window_hours <= 24:
            return None
        return stagger(
            items,
            ingest_mbps=rate,
            window_hours=t.window_hours,
            streams=max(1, min(t.streams, len(items))),
            goal_hours=goal,
        )
    if app.scheme in facts.REPLICATING_SCHEMES:
        a = app.assumptions
        if link <= 0:
            return None
        items = [(vm_id, names[vm_id], gib * a.wire_ratio) for vm_id, gib in used.items()]
        return stagger(
            items,
            ingest_mbps=link,
            window_hours=SEEDING_WINDOW_HOURS,
            streams=max(1, min(SEEDING_STREAMS, len(items))),
            goal_hours=goal,
        )
    return None


def assess(app: facts.App, sizing: AppSizing, ctx: RuleContext) -> Assessment:
    """Evaluate the rules on a sized app and derive its runbook and onboarding schedule."""
    # The rules see the facts as given and report the numbers the guard replaces
    # (INPUT_OUT_OF_RANGE); the runbook and the schedule below use the same replaced values
    # (``derive`` bounds them; ``evaluate`` reuses its recommendation when nothing was replaced).
    derived = derive(app, ctx)
    findings = tuple(evaluate(app, ctx, derived))
    app, ctx = derived.app, derived.ctx
    external_names = {
        vm_id: f"{ext.name} ({ext.app_name})" for vm_id, ext in ctx.external_vms.items()
    }
    boot = boot_order(
        app.protected_vms,
        max_groups=int(ctx.limit("boot.max_groups")),
        manual_steps=app.manual_steps,
        external_names=external_names,
    )
    return Assessment(
        app=app,
        sizing=sizing,
        findings=findings,
        boot=boot,
        schedule=onboarding(app, sizing, ctx.limits),
        capability=derived.capability,
        recommendation=derived.recommendation,
        drills=derived.drill,
        target_hub=_target_hub(app, ctx),
    )


def _target_hub(app: facts.App, ctx: RuleContext) -> tuple[str, ...]:
    """The target hub's memory as the CAPACITY_ASH_* rules count it, for the page and the PDF."""
    rt = app.recovery_target
    load = ctx.cloud_loads.get(rt.id) if rt is not None else None
    if load is None or app.scheme not in facts.REPLICATING_SCHEMES:
        return ()
    return (
        f"target hub '{rt.name}': stand-by VMs need {load.standby_memory_gib:,.1f} GiB "
        f"estate-wide; {load.available_memory_gib:,.1f} GiB is available for tenant VMs",
        *load.explanation,
    )
