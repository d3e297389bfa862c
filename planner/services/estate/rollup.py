"""The whole estate at a glance: ``estate_overview()`` rolls up protection, attention, capacity,
cost and onboarding from the stored results in a fixed number of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, FloatField, Sum
from django.utils import timezone

from planner.models import (
    BackupTarget,
    Cloud,
    Finding,
    Limit,
    Severity,
    Subscription,
    Tier,
    VirtualMachine,
    VmResult,
)
from planner.services.estate.capacity import (
    CloudCapacity,
    TargetCapacity,
    cloud_capacity,
    target_capacity,
)
from planner.services.estate.costs import CostRow, cost_rows
from planner.services.estate.onboarding import (
    SCHEDULE_FIELDS,
    AppOnboarding,
    NightRow,
    OnboardingTarget,
    place_onboarding,
)
from planner.services.estate.queries import (
    Versions,
    annotated_apps,
    app_conditions,
    plan_flags,
    sub_name,
    vm_state,
)


@dataclass
class Counts:
    """How many are protected, unprotected with a recorded decision, unprotected with none."""

    protected: int = 0
    decided: int = 0
    undecided: int = 0

    def add(self, state: str, n: int = 1) -> None:
        setattr(self, state, getattr(self, state) + n)

    @property
    def total(self) -> int:
        return self.protected + self.decided + self.undecided

    @property
    def protected_pct(self) -> float | None:
        return 100.0 * self.protected / self.total if self.total else None

    def get(self, state: str) -> int:
        return getattr(self, state)


@dataclass
class ProtectionRow:
    """One cloud, subscription or tier: VMs and apps by protection state."""

    dimension: str  # "cloud", "sub" or "tier"
    key: int
    name: str
    vms: Counts = field(default_factory=Counts)
    apps: Counts | None = None  # by state (clouds, tiers); subscriptions count apps only
    app_count: int = 0

    @property
    def params(self) -> dict[str, str]:
        return {self.dimension: str(self.key)}


@dataclass
class VersionRow:
    engine: str
    prices: str
    limits: str
    apps: int
    current: bool

    @property
    def param(self) -> str:
        return f"{self.engine}|{self.prices}|{self.limits}"


@dataclass
class FindingRow:
    code: str
    apps: int
    findings: int


@dataclass
class EstateOverview:
    now: datetime
    today: date
    versions: Versions
    limits: dict[str, float]
    vms: Counts
    apps: Counts
    by_cloud: list[ProtectionRow]
    by_subscription: list[ProtectionRow]
    by_tier: list[ProtectionRow]
    attention: dict[str, int]
    blocking_by_code: list[FindingRow]
    version_rows: list[VersionRow]
    targets: list[TargetCapacity]
    clouds: list[CloudCapacity]
    cost_by_target: list[CostRow]
    cost_by_subscription: list[CostRow]
    cost_total: list[float]
    cost_prices_versions: dict[str, int]  # prices version -> apps with cost sized with it
    onboarding: list[OnboardingTarget]
    nights: list[NightRow]
    calendar: list[AppOnboarding]
    sized_apps: int

    def cost(self, n: int) -> float:
        return sum(self.cost_total[:n])


# The columns of one app read by the rollup (one query for the whole estate).
_APP_FIELDS = (
    "id",
    "name",
    "tier",
    "scheme",
    "source_cloud_id",
    "backup_target_id",
    "recovery_target_id",
    "state",
    "data_target",
    "last_approved_at",
    "result__id",
    "result__prices_version",
    "result__engine_version",
    "result__limits_version",
    "result__protected_vm_count",
    "result__backup_gib",
    "result__replica_gib",
    "result__churn_gib_day",
    "result__bandwidth_mbps",
    "result__standby_memory_gib",
    "result__standby_vcpu",
    "result__monthly_cost",
    "result__detail__cost_by_month",
    *SCHEDULE_FIELDS,
)


def estate_overview(*, now: datetime | None = None) -> EstateOverview:
    """The whole estate at a glance, from stored results (a fixed number of queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    limits = Limit.in_force(today)
    versions = Versions.current(today)
    conditions = app_conditions(now, limits, versions)
    flags = [f"is_{name}" for name in conditions]
    apps = list(annotated_apps(now, limits, versions).values(*_APP_FIELDS, *flags).order_by("id"))
    clouds = {c.id: c for c in Cloud.objects.select_related("site")}
    subs = {s.id: s for s in Subscription.objects.all()}
    targets = {t.id: t for t in BackupTarget.objects.all()}

    # Protection: VMs by subscription (hence cloud) and tier; apps by source cloud and tier.
    vm_rows = (
        VirtualMachine.objects.annotate(state=vm_state())
        .values_list("subscription_id", "application__tier", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    all_vms, all_apps = Counts(), Counts()
    by_cloud = {c: ProtectionRow("cloud", c, clouds[c].name, apps=Counts()) for c in clouds}
    by_sub = {s: ProtectionRow("sub", s, sub_name(subs[s], clouds)) for s in subs}
    by_tier = {t: ProtectionRow("tier", t, label, apps=Counts()) for t, label in Tier.choices}
    for sub_id, tier, state, n in vm_rows:
        all_vms.add(state, n)
        by_sub[sub_id].vms.add(state, n)
        by_cloud[subs[sub_id].cloud_id].vms.add(state, n)
        by_tier[tier].vms.add(state, n)
    for a in apps:
        all_apps.add(a["state"])
        by_cloud[a["source_cloud_id"]].apps.add(a["state"])
        by_tier[a["tier"]].apps.add(a["state"])
    for sub_id, n in (
        VirtualMachine.objects.values_list("subscription_id")
        .annotate(n=Count("application_id", distinct=True))
        .order_by()
    ):
        by_sub[sub_id].app_count = n
    for row in by_cloud.values():
        row.app_count = row.apps.total
    for row in by_tier.values():
        row.app_count = row.apps.total

    attention = {name: sum(1 for a in apps if a[f"is_{name}"]) for name in conditions}
    approved = [a["id"] for a in apps if a["last_approved_at"] is not None]
    attention |= {name: len(ids) for name, ids in plan_flags(approved, now).items()}
    blocking_by_code = [
        FindingRow(code, n_apps, n)
        for code, n_apps, n in Finding.objects.filter(severity=Severity.BLOCKING)
        .values_list("code")
        .annotate(apps=Count("application_id", distinct=True), n=Count("id"))
        .order_by("-apps", "code")
    ]
    version_count = Counter(
        (a["result__engine_version"], a["result__prices_version"], a["result__limits_version"])
        for a in apps
        if a["result__id"] is not None
    )
    version_rows = [
        VersionRow(e, p, lv, n, (e, p, lv) == (versions.engine, versions.prices, versions.limits))
        for (e, p, lv), n in sorted(version_count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    # Per-VM figures grouped by app and subscription: growth weights and the cost split.
    vm_figures = list(
        VmResult.objects.values_list("application_id", "vm__subscription_id")
        .annotate(
            cost=Sum("monthly_cost"),
            n=Count("id"),
            backup=Sum("backup_gib"),
            backup_g=Sum(F("backup_gib") * F("vm__growth_per_year"), output_field=FloatField()),
            churn=Sum("churn_gib_day"),
            churn_g=Sum(F("churn_gib_day") * F("vm__growth_per_year"), output_field=FloatField()),
        )
        .order_by()
    )

    targets_out = target_capacity(apps, targets, vm_figures, today)
    clouds_out = cloud_capacity(apps, clouds, limits)
    cost_by_target, cost_by_sub, cost_total, price_versions = cost_rows(
        apps, targets, clouds, subs, vm_figures
    )
    onboarding, nights, calendar = place_onboarding(apps, targets, clouds, today)

    return EstateOverview(
        now=now,
        today=today,
        versions=versions,
        limits=limits,
        vms=all_vms,
        apps=all_apps,
        by_cloud=[r for r in by_cloud.values() if r.vms.total or r.apps.total],
        by_subscription=[r for r in by_sub.values() if r.vms.total],
        by_tier=list(by_tier.values()),
        attention=attention,
        blocking_by_code=blocking_by_code,
        version_rows=version_rows,
        targets=targets_out,
        clouds=clouds_out,
        cost_by_target=cost_by_target,
        cost_by_subscription=cost_by_sub,
        cost_total=cost_total,
        cost_prices_versions=price_versions,
        onboarding=onboarding,
        nights=nights,
        calendar=calendar,
        sized_apps=sum(version_count.values()),
    )
