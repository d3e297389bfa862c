"""Sizing of one VM and of one application, from ``planner.facts`` and the price/limit catalogs.

This module only orchestrates: every formula lives in ``backup``, ``replication``, ``compute``
and ``cost`` (each function names its public source), and every explanation line comes from the
function that computed the figure. Pure Python: no Django import.

ENGINE_VERSION follows semantic versioning, recorded with every sizing run and plan revision:
- MAJOR when a figure changes for the same inputs (a formula, a default or a rounding changes)
  or a result field is renamed or removed: signed plans no longer reproduce;
- MINOR when fields or figures are added and every existing figure stays the same;
- PATCH when only explanation wording, performance or documentation change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planner.facts import (
    DEFAULT_REDUCTION,
    REPLICATING_SCHEMES,
    SCHEMES,
    App,
    BackupPolicy,
    Vm,
    effective_policy,
)
from planner.units import (
    fmt_duration,
    fmt_gib,
    fmt_hours,
    fmt_mbps,
    fmt_money,
    fmt_num,
    fmt_price,
    fmt_ratio,
)

from .backup import (
    WORKSPACE_METHODS,
    WORKSPACE_TIERS,
    BackupStorage,
    backup_storage,
    backup_total_at,
    change_per_run,
    check_growth,
    grown_used,
)
from .compute import asr_appliances, standby_compute
from .cost import (
    PROJECTION_MONTHS,
    Instances,
    asr_cost,
    asr_free_months,
    azure_backup_cost,
    azure_backup_instances,
    azure_standby_cost,
    drill_compute_cost,
    instance_count,
    internal_cost,
    month_growth,
    monthly_projection,
    service_provider_cost,
)
from .explain import check_choice, check_fraction, check_positive, lookup, lookup_optional
from .replication import (
    cache_gib,
    daily_churn,
    replica_storage,
    replication_bandwidth,
    seeding,
    transfer_rate,
)

__all__ = ["ENGINE_VERSION", "AppSizing", "VmSizing", "size_app", "size_vm"]

ENGINE_VERSION = "2.2.0"

ON_PREMISES_BACKUP_KINDS = frozenset(
    {"existing_external", "dedicated_external", "same_cloud_appliance", "rack_appliance"}
)
DEFAULT_WINDOW_HOURS = 8.0
MAX_CHART_POINTS = 60


@dataclass(frozen=True, slots=True)
class VmSizing:
    """Figures for one protected VM (the database stores these fields by name)."""

    vm_id: int
    used_gib: float  # now
    used_gib_horizon: float  # grown to the sizing horizon (backup: never shorter than retention)
    provisioned_gib: float
    backup_data_gib: float
    backup_workspace_gib: float
    backup_gib: float  # data + workspace; 0 unless scheme backup_restore
    replica_gib: float  # replicating schemes: provisioned × overhead; 0 otherwise
    cache_gib: float  # replication: churn × RPO share of a day; 0 otherwise
    churn_gib_day: float
    bandwidth_mbps: float  # replication: churn over 24 h; backup: one run within the window
    seeding_hours: float  # initial seeding (replication) or first full (backup) over the link
    standby_vcpu: float
    standby_memory_gib: float
    public_instances: int  # per-instance fees billed: Azure Backup, ASR or service provider
    monthly_cost: float  # steady-state month, in the catalog currency (USD)
    explanation: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AppSizing:
    """Figures for one application: its opted-in VMs, totals and projections."""

    app_id: int
    scheme: str
    vms: tuple[VmSizing, ...]
    used_gib: float
    used_gib_horizon: float
    provisioned_gib: float
    backup_data_gib: float
    backup_workspace_gib: float
    backup_gib: float
    replica_gib: float
    cache_gib: float
    churn_gib_day: float
    bandwidth_mbps: float  # sum of the VMs' bandwidths
    seeding_hours: float  # the whole app's used data over the link
    standby_vcpu: float
    standby_memory_gib: float
    public_instances: int
    monthly_cost: float
    asr_appliances: int  # ASR replication between two ASH clouds, on the source hub (rules agree)
    appliance_vcpu: float
    appliance_memory_gib: float
    cost_by_month: tuple[float, ...]  # months 1..36
    storage_by_point: tuple[tuple[str, float], ...]  # (label, cumulative GiB) for a chart
    explanation: tuple[str, ...]
    engine_version: str = ENGINE_VERSION
    backup_run_gib: float = 0.0  # backup: data one run moves, Σ U_h × change per run


class _Cost:
    """One VM's cost, split the way the monthly projection needs it."""

    __slots__ = ("explicit", "fixed", "growing", "growth", "waivable")

    def __init__(self) -> None:
        self.fixed = 0.0  # same every month
        self.waivable = 0.0  # ASR instance fee, waived during the free months
        self.growing = 0.0  # cost of today's data that grows with (1 + g)^(m/12)
        self.growth = 0.0
        self.explicit: list[float] | None = None  # month-by-month when not linear


class _Context:
    """What every VM of an app shares: scheme, policy, target, assumptions, prices and limits."""

    __slots__ = (
        "app",
        "asr_free_days",
        "asr_instance",
        "backup_kind",
        "disk_gib",
        "drill_days",
        "drills_per_year",
        "horizon_days",
        "instance_fee",
        "instance_gib",
        "interval_days",
        "policy",
        "policy_lines",
        "prices",
        "public",
        "scheme",
        "small_gib",
        "small_instance",
        "sp_instance",
        "sp_storage",
        "storage_gib",
        "target_kind",
        "vcpu_hour",
        "window_hours",
    )

    def __init__(self, app: App, prices: Mapping[str, float], limits: Mapping[str, float]):
        self.app = app
        self.scheme = check_choice("scheme", app.scheme, SCHEMES)
        a = app.assumptions
        self.horizon_days = a.horizon_days
        self.public = None  # "azure", "service_provider" or None (no public cost)
        self.policy = None
        self.policy_lines: tuple[str, ...] = ()
        self.prices = prices
        self.backup_kind = None
        self.target_kind = None
        if self.scheme == "backup_restore":
            self.policy, self.policy_lines = effective_policy(app)
            check_choice("redundancy", self.policy.redundancy, ("lrs", "grs"))
            interval = check_positive("interval_minutes", self.policy.interval_minutes)
            self.interval_days = interval / 1440.0
            target = app.backup_target
            self.backup_kind = target.kind if target is not None else None
            window = target.window_hours if target is not None else DEFAULT_WINDOW_HOURS
            self.window_hours = min(window, self.interval_days * 24.0) if window > 0 else None
            if self.backup_kind == "azure":
                self.public = "azure"
                self.small_instance = lookup(prices, "azure_backup.small_instance_month", "prices")
                self.instance_fee = lookup(prices, "azure_backup.instance_month", "prices")
                self.storage_gib = lookup(
                    prices, f"azure_backup.storage_{self.policy.redundancy}_gib_month", "prices"
                )
                self.small_gib = lookup(limits, "azure_backup.small_instance_gib", "limits")
                self.instance_gib = lookup(limits, "azure_backup.instance_gib", "limits")
            elif self.backup_kind == "service_provider":
                self.public = "service_provider"
        elif self.scheme in REPLICATING_SCHEMES:
            rt = app.recovery_target
            self.target_kind = rt.kind if rt is not None else None
            if self.target_kind == "azure":
                self.public = "azure"
                self.disk_gib = lookup(prices, "azure.managed_disk_gib_month", "prices")
                self.vcpu_hour = lookup(prices, "azure.vcpu_hour", "prices")
                if self.scheme == "replication":
                    self.asr_instance = lookup(prices, "asr.instance_month", "prices")
                    self.asr_free_days = lookup(limits, "asr.free_days", "limits")
                    self.drills_per_year = a.drills_per_year
                    self.drill_days = a.drill_days
            elif self.target_kind == "service_provider":
                self.public = "service_provider"
        if self.public == "service_provider":
            self.sp_instance = lookup(prices, "service_provider.instance_month", "prices")
            self.sp_storage = lookup(prices, "service_provider.storage_gib_month", "prices")

    def backup_policy(self) -> BackupPolicy:
        """The policy a backup-restore app is sized with (set for that scheme only)."""
        if self.policy is None:
            raise ValueError(f"scheme {self.scheme} has no backup policy")
        return self.policy


def _header(vm: Vm, used: float, provisioned: float) -> str:
    n = len(vm.disks)
    return (
        f"{vm.name}: used {fmt_gib(used)} of {fmt_gib(provisioned)} provisioned on {n} "
        f"disk{'s' if n != 1 else ''}; change {fmt_ratio(vm.change_rate)}/day, growth "
        f"{fmt_ratio(vm.growth_per_year)}/year"
    )


def _backup_vm(
    vm: Vm, ctx: _Context, used: float, lines: list[str], cost: _Cost
) -> tuple[BackupStorage, float, float, float, int, float]:
    """Backup_restore: storage, churn, one run's transfer, first full, instances, monthly cost."""
    app = ctx.app
    a = app.assumptions
    policy = ctx.backup_policy()
    run = change_per_run(vm.change_rate, ctx.interval_days)
    lines.extend(run.explanation)
    per_run = run.value
    bs = backup_storage(
        used,
        change_rate=per_run,
        # effective_policy() always states the reduction; the default only satisfies the type.
        reduction=policy.reduction if policy.reduction is not None else DEFAULT_REDUCTION,
        retention_points=policy.retention_points,
        method=policy.method,
        full_every=policy.full_every,
        gfs_weekly=policy.gfs_weekly,
        gfs_monthly=policy.gfs_monthly,
        gfs_yearly=policy.gfs_yearly,
        growth_per_year=vm.growth_per_year,
        horizon_days=ctx.horizon_days,
        interval_days=ctx.interval_days,
    )
    lines.extend(bs.explanation)
    churn = daily_churn(bs.used_gib, vm.change_rate)
    lines.extend(churn.explanation)
    if ctx.window_hours:
        rate = transfer_rate(
            bs.used_gib * per_run,
            ctx.window_hours,
            wire_ratio=a.wire_ratio,
            efficiency=a.efficiency,
            what=f"backup run in {fmt_hours(ctx.window_hours)}",
        )
        lines.extend(rate.explanation)
        mbps = rate.value
    else:
        mbps = 0.0
    first = seeding(
        used, a.link_mbps, delta_mbps=a.delta_mbps, wire_ratio=a.wire_ratio, efficiency=a.efficiency
    )
    lines.append("first full: " + first.explanation[0])

    instances = 0
    monthly = 0.0
    kind = ctx.backup_kind
    if ctx.public == "azure":
        inst = azure_backup_instances(
            bs.used_gib, small_gib=ctx.small_gib, instance_gib=ctx.instance_gib
        )
        lines.extend(inst.explanation)
        lines.append(
            f"Azure Backup storage {policy.redundancy.upper()} (policy '{policy.name}'): "
            f"{fmt_price(ctx.storage_gib)}/GiB-month"
        )
        fig = azure_backup_cost(
            inst,
            bs.total_gib,
            small_instance_month=ctx.small_instance,
            instance_month=ctx.instance_fee,
            storage_gib_month=ctx.storage_gib,
        )
        lines.extend(fig.explanation)
        instances = inst.count
        monthly = fig.value
        _project_backup(vm, ctx, bs, cost, ctx.storage_gib, inst)
    elif ctx.public == "service_provider":
        fig = service_provider_cost(
            1,
            bs.total_gib,
            instance_month=ctx.sp_instance,
            storage_gib_month=ctx.sp_storage,
            what="service provider backup",
        )
        lines.extend(fig.explanation)
        instances = 1
        monthly = fig.value
        cost.fixed += ctx.sp_instance
        _project_backup(vm, ctx, bs, cost, ctx.sp_storage, None)
    elif kind is None:
        lines.append("no backup target chosen: no cost computed")
    else:
        lines.append(f"backup target {kind.replace('_', ' ')} is on premises: no public cost")
        fig = internal_cost(ctx.prices, backup_gib=bs.total_gib)
        lines.extend(fig.explanation)
        monthly = fig.value
        if monthly:
            gib_rate = fig.value / bs.total_gib
            _project_backup(vm, ctx, bs, cost, gib_rate, None)
    return bs, churn.value, mbps, first.value, instances, monthly


def _project_backup(
    vm: Vm,
    ctx: _Context,
    bs: BackupStorage,
    cost: _Cost,
    gib_price: float,
    inst: Instances | None,
) -> None:
    """Split a VM's backup cost into fixed, growing and month-by-month parts for the projection.

    Month m sizes the chain with the used data at the end of that month, U₀·(1+g)^(m/12), at
    steady state (every point at that size), which is conservative for a chain still filling.
    """
    g = vm.growth_per_year
    u0 = bs.used_gib_now
    factors = month_growth(g)
    lo, hi = u0 * min(factors[0], factors[-1]), u0 * max(factors[0], factors[-1])
    linear_ws = bs.method not in WORKSPACE_METHODS or hi <= WORKSPACE_TIERS[0][0]
    fees_constant = inst is None or instance_count(lo, ctx.small_gib, ctx.instance_gib) == (
        instance_count(hi, ctx.small_gib, ctx.instance_gib)
    )
    if inst is not None and fees_constant:
        count, small = instance_count(hi, ctx.small_gib, ctx.instance_gib)
        cost.fixed += count * (ctx.small_instance if small else ctx.instance_fee)
    if linear_ws and fees_constant:
        # Linear in U (one workspace tier or none): total(U) = total(1 GiB) × U.
        cost.growing = gib_price * backup_total_at(bs, 1.0) * u0
        cost.growth = g
        return
    explicit = []
    for factor in factors:
        u = u0 * factor
        month = gib_price * backup_total_at(bs, u)
        if inst is not None and not fees_constant:
            count, small = instance_count(u, ctx.small_gib, ctx.instance_gib)
            month += count * (ctx.small_instance if small else ctx.instance_fee)
        explicit.append(month)
    cost.explicit = explicit


def _replicating_vm(
    vm: Vm, ctx: _Context, used: float, provisioned: float, lines: list[str], cost: _Cost
) -> tuple[float, float, float, float, float, float, float, float, int, float]:
    """Replication, HA and FT: churn, bandwidth, seeding, replica, cache, stand-by, cost."""
    app = ctx.app
    a = app.assumptions
    scheme = ctx.scheme
    grown = grown_used(used, vm.growth_per_year, ctx.horizon_days)
    lines.extend(grown.explanation)
    churn = daily_churn(grown.value, vm.change_rate)
    lines.extend(churn.explanation)
    bw = replication_bandwidth(
        churn.value, wire_ratio=a.wire_ratio, efficiency=a.efficiency, peak_factor=a.peak_factor
    )
    lines.extend(bw.explanation)
    seed = seeding(
        used, a.link_mbps, delta_mbps=a.delta_mbps, wire_ratio=a.wire_ratio, efficiency=a.efficiency
    )
    lines.extend(seed.explanation)
    replica = replica_storage(provisioned, a.replica_overhead)
    lines.extend(replica.explanation)
    if scheme == "replication":
        cache = cache_gib(churn.value, app.rpo_minutes)
        lines.extend(cache.explanation)
        cache_value = cache.value
    else:
        cache_value = 0.0
    standby = standby_compute(vm.vcpu, vm.memory_gib, scheme)
    lines.extend(standby.explanation)

    instances = 0
    monthly = 0.0
    kind = ctx.target_kind
    if ctx.public == "azure":
        if scheme == "replication":
            fig = asr_cost(
                replica.value, instance_month=ctx.asr_instance, disk_gib_month=ctx.disk_gib
            )
            lines.extend(fig.explanation)
            drills = drill_compute_cost(
                vm.vcpu,
                drills_per_year=ctx.drills_per_year,
                drill_days=ctx.drill_days,
                vcpu_hour=ctx.vcpu_hour,
            )
            lines.extend(drills.explanation)
            instances = 1
            monthly = fig.value + drills.value
            cost.waivable += ctx.asr_instance
            cost.fixed += monthly - ctx.asr_instance
        else:
            what = "stand-by compute" if scheme == "high_availability" else "second deployment"
            fig = azure_standby_cost(
                vm.vcpu,
                replica.value,
                vcpu_hour=ctx.vcpu_hour,
                disk_gib_month=ctx.disk_gib,
                what=what,
            )
            lines.extend(fig.explanation)
            monthly = fig.value
            cost.fixed += monthly
    elif ctx.public == "service_provider":
        fig = service_provider_cost(
            1,
            replica.value,
            instance_month=ctx.sp_instance,
            storage_gib_month=ctx.sp_storage,
            what="service provider",
        )
        lines.extend(fig.explanation)
        if scheme != "replication":
            lines.append("stand-by compute at the provider: in its contract (no catalog price)")
        instances = 1
        monthly = fig.value
        cost.fixed += monthly
    elif kind is None:
        lines.append("no recovery target chosen: no cost computed")
    else:
        lines.append("recovery target is another Azure Stack Hub: no public cost")
        fig = internal_cost(ctx.prices, vcpu=standby.vcpu, hub_gib=replica.value)
        lines.extend(fig.explanation)
        monthly = fig.value
        cost.fixed += monthly
    return (
        grown.value,
        churn.value,
        bw.value,
        seed.value,
        replica.value,
        cache_value,
        standby.vcpu,
        standby.memory_gib,
        instances,
        monthly,
    )


def _size_vm(vm: Vm, ctx: _Context) -> tuple[VmSizing, _Cost, BackupStorage | None]:
    try:
        return _size_vm_unchecked(vm, ctx)
    except ValueError as error:
        raise ValueError(f"VM {vm.name} (id {vm.id}): {error}") from None


def _size_vm_unchecked(vm: Vm, ctx: _Context) -> tuple[VmSizing, _Cost, BackupStorage | None]:
    check_fraction("change_rate", vm.change_rate)
    check_growth(vm.growth_per_year)
    used = vm.used_gib
    provisioned = vm.provisioned_gib
    lines = [_header(vm, used, provisioned)]
    cost = _Cost()
    scheme = ctx.scheme
    bs = None
    if scheme == "backup_restore" and vm.scale_set and not vm.keep_in_backup:
        grown_figure = grown_used(used, vm.growth_per_year, ctx.horizon_days)
        lines.append(
            f"scale-set VM in {vm.scale_set}: left out of backup storage (scale-set VMs are "
            "ephemeral: back up their durable data, not the VM; the seed). Keep it in backup "
            "on the VM's page to size it"
        )
        sizing = VmSizing(
            vm.id, used, grown_figure.value, provisioned, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0, 0.0, tuple(lines),
        )  # fmt: skip
    elif scheme == "backup_restore":
        if vm.scale_set:
            lines.append(
                f"scale-set VM in {vm.scale_set}: kept in backup storage, as its owner chose"
            )
        bs, churn, mbps, seed_h, instances, monthly = _backup_vm(vm, ctx, used, lines, cost)
        sizing = VmSizing(
            vm.id,
            used,
            bs.used_gib,
            provisioned,
            bs.data_gib,
            bs.workspace_gib,
            bs.total_gib,
            0.0,
            0.0,
            churn,
            mbps,
            seed_h,
            0.0,
            0.0,
            instances,
            monthly,
            tuple(lines),
        )
    elif scheme in REPLICATING_SCHEMES:
        (grown, churn, mbps, seed_h, replica, cache, cpu, mem, instances, monthly) = (
            _replicating_vm(vm, ctx, used, provisioned, lines, cost)
        )
        sizing = VmSizing(
            vm.id,
            used,
            grown,
            provisioned,
            0.0,
            0.0,
            0.0,
            replica,
            cache,
            churn,
            mbps,
            seed_h,
            cpu,
            mem,
            instances,
            monthly,
            tuple(lines),
        )
    else:
        grown_figure = grown_used(used, vm.growth_per_year, ctx.horizon_days)
        lines.append("scheme none: nothing is protected, no storage, bandwidth or cost")
        sizing = VmSizing(
            vm.id,
            used,
            grown_figure.value,
            provisioned,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0,
            0.0,
            tuple(lines),
        )
    return sizing, cost, bs


def size_vm(vm: Vm, app: App, prices: Mapping[str, float], limits: Mapping[str, float]) -> VmSizing:
    """Size one VM of ``app`` under the app's scheme, targets, policy and assumptions.

    The VM is sized whether or not it is opted in (``size_app`` sizes opted-in VMs only).
    Raises ValueError naming the argument or catalog key that is wrong or missing.
    """
    return _size_vm(vm, _Context(app, prices, limits))[0]


def _chart_items(bs: BackupStorage, policy: BackupPolicy) -> list[tuple[str, int]]:
    """The kinds of the restore points on disk in the worst case, oldest first."""
    items: list[tuple[str, int]] = []
    k = bs.full_every
    for j in range(bs.points):
        full = j % k == 0 if k else j == 0
        items.append(("full" if full else "inc", 1))
    items.extend(("weekly", 1) for _ in range(policy.gfs_weekly))
    items.extend(("monthly", 1) for _ in range(policy.gfs_monthly))
    items.extend(("yearly", 1) for _ in range(policy.gfs_yearly))
    return items


def _storage_points(
    results: list[BackupStorage], policy: BackupPolicy
) -> tuple[tuple[str, float], ...]:
    """Cumulative backup storage point by point, summed over the VMs, at most 60 points.

    Every VM shares the app's policy, so the i-th point of each VM's chain is of the same kind;
    a full adds Σ c·U, an incremental Σ c·U·d, the workspace comes last. Beyond 60 points, runs of
    points of the same kind are merged ("inc 2–7"), then runs of any kind ("points 1–9").
    """
    if not results:
        return ()
    full = sum(b.full_gib for b in results)
    inc = sum(b.incremental_gib for b in results)
    ws = sum(b.workspace_gib for b in results)
    kinds = [kind for kind, _ in _chart_items(results[0], policy)]
    sizes = {"inc": inc}
    budget = MAX_CHART_POINTS - (1 if ws else 0)
    numbered: list[tuple[str, int, float]] = []  # (kind, number within the kind, GiB)
    counters: dict[str, int] = {}
    for kind in kinds:
        counters[kind] = counters.get(kind, 0) + 1
        numbered.append((kind, counters[kind], sizes.get(kind, full)))
    groups = _group(numbered, budget, same_kind=True)
    if len(groups) > budget:
        groups = _group(numbered, budget, same_kind=False)
    out: list[tuple[str, float]] = []
    total = 0.0
    for label, gib in groups:
        total += gib
        out.append((label, round(total, 3)))
    if ws:
        out.append(("workspace", round(total + ws, 3)))
    return tuple(out)


def _group(
    numbered: list[tuple[str, int, float]], budget: int, *, same_kind: bool
) -> list[tuple[str, float]]:
    """Merge consecutive points into chunks so that at most about ``budget`` remain."""
    if len(numbered) <= budget:
        return [(f"{kind} {n}", gib) for kind, n, gib in numbered]
    size = -(-len(numbered) // budget)
    groups: list[tuple[str, float]] = []
    index = 0
    position = 0
    while index < len(numbered):
        kind, n, _ = numbered[index]
        end = index + 1
        while (
            end < len(numbered)
            and end - index < size
            and (not same_kind or numbered[end][0] == kind)
        ):
            end += 1
        gib = sum(item[2] for item in numbered[index:end])
        last_n = numbered[end - 1][1]
        if same_kind:
            label = f"{kind} {n}" if end - index == 1 else f"{kind} {n}–{last_n}"
        else:
            label = (
                f"point {position + 1}"
                if end - index == 1
                else f"points {position + 1}–{position + end - index}"
            )
        groups.append((label, gib))
        position += end - index
        index = end
    return groups


def size_app(app: App, prices: Mapping[str, float], limits: Mapping[str, float]) -> AppSizing:
    """Size every opted-in VM of ``app`` and add up the app's figures and projections.

    Scale-set members are sized like any VM (the rules warn about them). Totals are sums over the
    VMs except ``seeding_hours`` (the whole app's used data over the link) and the ASR appliances
    (ceil(VMs ÷ 120) on the source hub for replication or HA between two Azure Stack Hubs).
    ``cost_by_month`` holds months 1..36 with growth, the ASR free period and drills.
    Raises ValueError naming the argument or catalog key that is wrong or missing.
    """
    ctx = _Context(app, prices, limits)
    scheme = ctx.scheme
    a = app.assumptions
    vms = app.protected_vms
    n = len(vms)
    sizings: list[VmSizing] = []
    storages: list[BackupStorage] = []
    fixed = waivable = 0.0
    growing: dict[float, float] = {}
    explicit: list[float] | None = None
    for vm in vms:
        sizing, cost, bs = _size_vm(vm, ctx)
        sizings.append(sizing)
        if bs is not None:
            storages.append(bs)
        fixed += cost.fixed
        waivable += cost.waivable
        if cost.growing:
            growing[cost.growth] = growing.get(cost.growth, 0.0) + cost.growing
        if cost.explicit is not None:
            if explicit is None:
                explicit = [0.0] * PROJECTION_MONTHS
            for index, value in enumerate(cost.explicit):
                explicit[index] += value

    def total(field: str) -> float:
        value: float = sum(getattr(s, field) for s in sizings)
        return value

    used = total("used_gib")
    used_h = total("used_gib_horizon")
    provisioned = total("provisioned_gib")
    backup_data = total("backup_data_gib")
    backup_ws = total("backup_workspace_gib")
    backup = total("backup_gib")
    replica = total("replica_gib")
    cache = total("cache_gib")
    churn = total("churn_gib_day")
    bandwidth = total("bandwidth_mbps")
    standby_vcpu = total("standby_vcpu")
    standby_mem = total("standby_memory_gib")
    instances = sum(s.public_instances for s in sizings)
    monthly = total("monthly_cost")
    vm_word = f"{n} VM{'s' if n != 1 else ''}"

    lines = [
        f"{app.name}: scheme {scheme.replace('_', ' ')}, {n} opted-in of {len(app.vms)} VMs; "
        f"horizon {fmt_num(a.horizon_days)} d; engine {ENGINE_VERSION}"
    ]
    if scheme == "none":
        decision = app.no_protection_decision
        if decision is not None:
            lines.append(
                f"scheme none: nothing is protected, as decided by {decision.by} on "
                f"{decision.at:%Y-%m-%d} ({decision.why})"
            )
        else:
            lines.append("scheme none: nothing is protected (no recorded decision)")
        lines.append(f"used = Σ {vm_word} = {fmt_gib(used)} (unprotected)")
        return AppSizing(
            app.id, scheme, tuple(sizings), used, used_h, provisioned,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0, 0.0, 0.0,
            (0.0,) * PROJECTION_MONTHS, (), tuple(lines),
        )  # fmt: skip

    lines.append(f"used = Σ {vm_word} = {fmt_gib(used)} now, {fmt_gib(used_h)} at horizon")
    if scheme == "backup_restore":
        policy = ctx.backup_policy()
        lines.extend(ctx.policy_lines)
        left_out = [v.name for v in vms if v.scale_set and not v.keep_in_backup]
        kept = [v.name for v in vms if v.scale_set and v.keep_in_backup]
        if left_out:
            lines.append(
                f"scale-set VMs left out of backup storage ({len(left_out)}): "
                + ", ".join(left_out[:10])
                + (f" and {len(left_out) - 10} more" if len(left_out) > 10 else "")
            )
        if kept:
            lines.append(
                f"scale-set VMs kept in backup storage by their owner ({len(kept)}): "
                + ", ".join(kept[:10])
                + (f" and {len(kept) - 10} more" if len(kept) > 10 else "")
            )
        lines.append(
            f"policy {policy.name}: {policy.method.replace('_', ' ')}, {policy.retention_points} "
            f"points every {fmt_duration(policy.interval_minutes)}, reduction "
            f"{fmt_num(policy.reduction, 2)}, storage {policy.redundancy.upper()}"
        )
        lines.append(
            f"backup storage = Σ {vm_word} = {fmt_gib(backup_data)} data + {fmt_gib(backup_ws)} "
            f"workspace = {fmt_gib(backup)}"
        )
        chart = _storage_points(storages, policy)
    else:
        lines.append(
            f"replica storage = Σ {vm_word} = {fmt_gib(replica)} "
            f"({fmt_gib(provisioned)} provisioned × {fmt_num(a.replica_overhead, 2)})"
        )
        if cache:
            lines.append(f"replication cache = Σ {vm_word} = {fmt_gib(cache)}")
        chart = (("replica", replica),) if n else ()
    lines.append(f"churn = Σ {vm_word} = {fmt_gib(churn)}/day")
    lines.append(f"bandwidth = Σ {vm_word} = {fmt_mbps(bandwidth)}")
    seed = seeding(
        used, a.link_mbps, delta_mbps=a.delta_mbps, wire_ratio=a.wire_ratio, efficiency=a.efficiency
    )
    lines.append(("whole app " if scheme in REPLICATING_SCHEMES else "whole app first full: ")
                 + seed.explanation[0])  # fmt: skip
    goal = lookup_optional(limits, "seeding.goal_hours", "limits")
    if goal and seed.value > goal:
        batches = -int(-seed.value // goal)
        lines.append(
            f"{fmt_hours(seed.value)} exceeds the {fmt_hours(goal)} goal: split into at least "
            f"{batches} batches (staggered onboarding)"
        )

    appliances = 0
    appliance_vcpu = appliance_mem = 0.0
    if scheme in REPLICATING_SCHEMES:
        lines.append(
            f"stand-by on the target = Σ {vm_word} = {fmt_num(standby_vcpu)} vCPU, "
            f"{fmt_gib(standby_mem)} memory"
        )
        if app.uses_asr:
            appl = asr_appliances(
                n,
                vms_per_appliance=lookup(limits, "asr_ash.vms_per_appliance", "limits"),
                appliance_vcpu=lookup(limits, "asr_ash.appliance_vcpu", "limits"),
                appliance_memory_gib=lookup(limits, "asr_ash.appliance_memory_gib", "limits"),
            )
            appliances, appliance_vcpu, appliance_mem = appl.count, appl.vcpu, appl.memory_gib
            lines.extend(appl.explanation)
            rp_vcpu = lookup_optional(limits, "asr_ash.rp_vcpu", "limits")
            rp_mem = lookup_optional(limits, "asr_ash.rp_memory_gib", "limits")
            rp_disk = lookup_optional(limits, "asr_ash.rp_storage_gib", "limits")
            if rp_vcpu is not None and rp_mem is not None and rp_disk is not None:
                lines.append(
                    f"the target hub also needs the ASR resource provider once ({fmt_num(rp_vcpu)} "
                    f"vCPU, {fmt_gib(rp_mem)} memory, {fmt_gib(rp_disk)} storage), shared by all "
                    "apps replicating to it"
                )

    lines.append(f"public instances = Σ {vm_word} = {instances}")
    lines.append(f"monthly cost (steady state) = Σ {vm_word} = {fmt_money(monthly)}")
    waived = 0
    if waivable:
        waived = asr_free_months(ctx.asr_free_days)
    by_month = monthly_projection(
        fixed=fixed,
        waivable=waivable,
        waived_months=waived,
        growing=growing,
        explicit=explicit,
    )
    if monthly or any(by_month):
        if waived:
            lines.append(
                f"month 1 = {fmt_money(by_month[0])}: Site Recovery fees of "
                f"{fmt_money(waivable)} waived for {waived} month{'s' if waived != 1 else ''} "
                f"(first {fmt_num(ctx.asr_free_days)} days free)"
            )
        else:
            lines.append(f"month 1 = {fmt_money(by_month[0])}")
        lines.append(
            f"month 12 = {fmt_money(by_month[11])}, month 36 = {fmt_money(by_month[35])} "
            f"(data grown month by month, U₀·(1+g)^(m/12))"
        )
        lines.append(
            f"12-month total = {fmt_money(sum(by_month[:12]))}, 36-month total = "
            f"{fmt_money(sum(by_month))}"
        )
    run_gib = 0.0
    if scheme == "backup_restore":
        run_gib = sum(b.used_gib * b.change_rate for b in storages)
    return AppSizing(
        app.id,
        scheme,
        tuple(sizings),
        used,
        used_h,
        provisioned,
        backup_data,
        backup_ws,
        backup,
        replica,
        cache,
        churn,
        bandwidth,
        seed.value if n else 0.0,
        standby_vcpu,
        standby_mem,
        instances,
        monthly,
        appliances,
        appliance_vcpu,
        appliance_mem,
        by_month,
        chart,
        tuple(lines),
        ENGINE_VERSION,
        run_gib,
    )
