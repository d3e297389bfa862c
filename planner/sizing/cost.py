"""Public-cloud consumption and cost: Azure Backup instances and storage, Azure Site Recovery,
replica disks, stand-by and drill compute, trusted service providers, monthly projections.

Sources: Azure Backup pricing (azure.microsoft.com/pricing/details/backup: protected-instance fee
by size, ≤ 50 GB small instance, then per started 500 GB; storage per GB-month), Azure Site
Recovery pricing (azure.microsoft.com/pricing/details/site-recovery: per protected instance per
month, first 31 days free), Azure Managed Disks and Virtual Machines pricing; DESIGN §4
"Public-cloud consumption and cost". Prices are never written here: the caller passes the
catalog's figures (``planner.catalog_defaults`` keys).

Units: USD (the catalog's currency) per month; a month is 730 hours (8,760 h ÷ 12).
Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from planner.units import fmt_gib, fmt_money, fmt_num, fmt_price

from .backup import DAYS_PER_MONTH, growth_factor
from .explain import Figure, check_count, check_nonnegative, check_positive

__all__ = [
    "HOURS_PER_MONTH",
    "PROJECTION_MONTHS",
    "Instances",
    "asr_cost",
    "asr_free_months",
    "azure_backup_cost",
    "azure_backup_instances",
    "azure_standby_cost",
    "drill_compute_cost",
    "instance_count",
    "internal_cost",
    "month_growth",
    "monthly_projection",
    "service_provider_cost",
    "standby_compute_cost",
]

HOURS_PER_MONTH = 730.0  # 8,760 h a year ÷ 12, as Azure prices a month
PROJECTION_MONTHS = 36


@dataclass(frozen=True, slots=True)
class Instances:
    """Azure Backup protected instances billed for one VM."""

    count: int
    small: bool  # True: one small instance (≤ 50 GiB), billed at the small-instance price
    explanation: tuple[str, ...]


def instance_count(
    used_gib: float, small_gib: float = 50, instance_gib: float = 500
) -> tuple[int, bool]:
    """Azure Backup protected instances for a VM of ``used_gib`` (Azure Backup pricing).

    ≤ small_gib (50): one small instance; ≤ instance_gib (500): one instance; above:
    ceil(U ÷ 500) instances. Returns (count, small). No argument checks: see
    ``azure_backup_instances``.
    """
    if used_gib <= small_gib:
        return 1, True
    if used_gib <= instance_gib:
        return 1, False
    return -int(-used_gib // instance_gib), False


def azure_backup_instances(
    used_gib: float, *, small_gib: float = 50, instance_gib: float = 500
) -> Instances:
    """Azure Backup protected instances for one VM, explained (see ``instance_count``)."""
    u = check_nonnegative("used_gib", used_gib)
    small_limit = check_nonnegative("small_gib", small_gib)
    size = check_positive("instance_gib", instance_gib)
    if small_limit > size:
        raise ValueError(
            f"small_gib ({fmt_num(small_limit)}) cannot exceed instance_gib ({fmt_num(size)})"
        )
    count, small = instance_count(u, small_limit, size)
    if small:
        line = f"Azure Backup: {fmt_gib(u)} ≤ {fmt_gib(small_limit)}: 1 small instance"
    elif count == 1:
        line = f"Azure Backup: {fmt_gib(u)} ≤ {fmt_gib(size)}: 1 instance"
    else:
        line = (
            f"Azure Backup: {fmt_gib(u)} > {fmt_gib(size)}: ceil({fmt_num(u)} ÷ {fmt_num(size)}) = "
            f"{count} instances"
        )
    return Instances(count, small, (line,))


def azure_backup_cost(
    instances: Instances,
    backup_gib: float,
    *,
    small_instance_month: float,
    instance_month: float,
    storage_gib_month: float,
) -> Figure:
    """Azure Backup per month = instance fees + backup storage × GiB-month price (Azure Backup pricing).

    A small instance is billed at ``small_instance_month``, others at ``instance_month`` each;
    storage is the backup storage (data + workspace) at the chosen redundancy's GiB-month price.
    """
    gib = check_nonnegative("backup_gib", backup_gib)
    fee = small_instance_month if instances.small else instance_month
    cost = instances.count * fee + gib * storage_gib_month
    return Figure(
        cost,
        (
            f"Azure Backup = {instances.count} × {fmt_price(fee)} + {fmt_gib(gib)} × "
            f"{fmt_price(storage_gib_month)}/GiB = {fmt_money(cost)}/month",
        ),
    )


def service_provider_cost(
    instances: int,
    storage_gib: float,
    *,
    instance_month: float,
    storage_gib_month: float,
    what: str = "service provider",
) -> Figure:
    """Trusted service provider per month = instances × fee + storage × GiB-month price.

    Source: the operator's contract with the provider (catalog keys ``service_provider.*``).
    """
    n = check_count("instances", instances)
    gib = check_nonnegative("storage_gib", storage_gib)
    cost = n * instance_month + gib * storage_gib_month
    return Figure(
        cost,
        (
            f"{what} = {n} × {fmt_price(instance_month)} + {fmt_gib(gib)} × "
            f"{fmt_price(storage_gib_month)}/GiB = {fmt_money(cost)}/month",
        ),
    )


def asr_cost(replica_gib: float, *, instance_month: float, disk_gib_month: float) -> Figure:
    """Azure Site Recovery to Azure per VM and month = instance fee + replica disks × GiB-month.

    Sources: Azure Site Recovery pricing (per protected instance), Azure Managed Disks pricing.
    The first free days are handled by the projection (``asr_free_months``), not here: this is
    the steady-state month.
    """
    gib = check_nonnegative("replica_gib", replica_gib)
    cost = instance_month + gib * disk_gib_month
    return Figure(
        cost,
        (
            f"Site Recovery = 1 × {fmt_price(instance_month)} + {fmt_gib(gib)} × "
            f"{fmt_price(disk_gib_month)}/GiB = {fmt_money(cost)}/month",
        ),
    )


def standby_compute_cost(
    vcpu: float, *, vcpu_hour: float, what: str = "stand-by compute"
) -> Figure:
    """Compute kept running in Azure per month = vCPU × 730 h × price per vCPU-hour.

    Source: Azure Virtual Machines pricing (catalog key ``azure.vcpu_hour``, pay-as-you-go); the
    stand-by runs all month (HA keeps it running; FT runs a full second deployment).
    """
    cpu = check_nonnegative("vcpu", vcpu)
    cost = cpu * HOURS_PER_MONTH * vcpu_hour
    return Figure(
        cost,
        (
            f"{what} = {fmt_num(cpu)} vCPU × 730 h × {fmt_price(vcpu_hour)}/vCPU-h = "
            f"{fmt_money(cost)}/month",
        ),
    )


def azure_standby_cost(
    vcpu: float,
    replica_gib: float,
    *,
    vcpu_hour: float,
    disk_gib_month: float,
    what: str = "stand-by compute",
) -> Figure:
    """HA stand-by or FT second deployment in Azure per month = compute + managed disks.

    compute = vCPU × 730 h × price per vCPU-hour (``standby_compute_cost``); disks = replica GiB ×
    managed-disk GiB-month price (Azure Virtual Machines and Managed Disks pricing). The app
    replicates natively, so no Site Recovery instance fee applies.
    """
    compute = standby_compute_cost(vcpu, vcpu_hour=vcpu_hour, what=what)
    gib = check_nonnegative("replica_gib", replica_gib)
    disks = gib * disk_gib_month
    cost = compute.value + disks
    return Figure(
        cost,
        (
            *compute.explanation,
            f"Azure = {fmt_money(compute.value)} compute + {fmt_gib(gib)} × "
            f"{fmt_price(disk_gib_month)}/GiB disks = {fmt_money(cost)}/month "
            "(app-native replication: no Site Recovery fee)",
        ),
    )


INTERNAL_KEYS = {
    "vcpu": "internal.hub_vcpu_month",
    "hub_gib": "internal.hub_storage_gib_month",
    "backup_gib": "internal.backup_storage_gib_month",
}


def internal_cost(
    rates: Mapping[str, float], *, vcpu: float = 0.0, hub_gib: float = 0.0, backup_gib: float = 0.0
) -> Figure:
    """On-premises capacity per month at the operators' internal rates (price catalog keys
    ``internal.*``; no public list price exists, so a rate is 0 until an operator sets it).

    per month = vCPU × hub vCPU-month rate + hub storage GiB × hub GiB-month rate
                + backup-target GiB × backup GiB-month rate, each term only when its quantity
    is above 0. A term whose rate is missing or 0 says so, so a $0 plan is never read as free.
    Worked example: 8 vCPU × $20 + 300 GiB × $0.05 = $160 + $15 = $175/month.
    """
    terms = (
        ("vcpu", check_nonnegative("vcpu", vcpu), "vCPU", "hub vCPU-month"),
        ("hub_gib", check_nonnegative("hub_gib", hub_gib), "GiB", "hub storage GiB-month"),
        (
            "backup_gib",
            check_nonnegative("backup_gib", backup_gib),
            "GiB",
            "backup-target GiB-month",
        ),
    )
    total = 0.0
    parts, unset = [], []
    for name, quantity, unit, what in terms:
        if not quantity:
            continue
        key = INTERNAL_KEYS[name]
        rate = float(rates.get(key) or 0.0)
        if rate < 0:
            raise ValueError(f"prices[{key!r}] cannot be negative, got {rate!r}")
        total += quantity * rate
        shown = fmt_gib(quantity) if unit == "GiB" else f"{fmt_num(quantity)} vCPU"
        parts.append(f"{shown} × {fmt_price(rate)}/{what}")
        if not rate:
            unset.append(key)
    if not parts:
        return Figure(0.0, ())
    line = f"on-premises capacity = {' + '.join(parts)} = {fmt_money(total)}/month (internal rates)"
    lines = [line]
    if unset:
        lines.append(
            f"internal rate{'s' if len(unset) > 1 else ''} {', '.join(unset)} not set: counted as "
            "0 until an operator enters it in the price catalog"
        )
    return Figure(total, tuple(lines))


def drill_compute_cost(
    vcpu: float, *, drills_per_year: float, drill_days: float, vcpu_hour: float
) -> Figure:
    """Failover-drill compute in Azure, spread evenly per month (DESIGN §4; Azure VM pricing).

    per month = drills a year × days per drill × 24 h × vCPU × price per vCPU-hour ÷ 12.
    """
    cpu = check_nonnegative("vcpu", vcpu)
    drills = check_nonnegative("drills_per_year", drills_per_year)
    days = check_nonnegative("drill_days", drill_days)
    cost = drills * days * 24.0 * cpu * vcpu_hour / 12.0
    return Figure(
        cost,
        (
            f"drills = {fmt_num(drills)}/year × {fmt_num(days)} d × 24 h × {fmt_num(cpu)} vCPU × "
            f"{fmt_price(vcpu_hour)}/vCPU-h ÷ 12 = {fmt_money(cost)}/month",
        ),
    )


def asr_free_months(free_days: float) -> int:
    """Whole months in which the ASR instance fee is waived (Azure Site Recovery pricing).

    Each protected instance is free for its first ``free_days`` (31) days. A month is waived
    when the free period covers all of it (a month = 365 ÷ 12 = 30.42 days): 31 days waive
    month 1; the one-day remainder is not credited (conservative).
    """
    days = check_nonnegative("free_days", free_days)
    return int(days / DAYS_PER_MONTH + 1e-9)


@lru_cache(maxsize=1024)
def month_growth(growth_per_year: float, months: int = PROJECTION_MONTHS) -> tuple[float, ...]:
    """Growth factor at the end of each month 1..months: (1 + g)^(m ÷ 12) (DESIGN §4 growth)."""
    return tuple(growth_factor(growth_per_year, m * DAYS_PER_MONTH) for m in range(1, months + 1))


def monthly_projection(
    *,
    fixed: float = 0.0,
    waivable: float = 0.0,
    waived_months: int = 0,
    growing: Mapping[float, float] | None = None,
    explicit: Sequence[float] | None = None,
    months: int = PROJECTION_MONTHS,
) -> tuple[float, ...]:
    """Cost of each month 1..months (DESIGN §4 "Projections month by month ... with growth").

    cost(m) = fixed + waivable × [m > waived_months] + Σ_g k_g × (1 + g)^(m ÷ 12) + explicit(m),
    where ``growing`` maps a growth rate g to the cost k_g that grows with the data (backup
    storage at today's size), ``waivable`` is what the free period waives (ASR instance fees),
    and ``explicit`` carries costs computed month by month (step changes such as an Azure Backup
    instance count that grows past 500 GiB).
    """
    n = check_count("months", months, 1)
    free = check_count("waived_months", waived_months)
    out = [fixed + (waivable if m > free else 0.0) for m in range(1, n + 1)]
    for g, k in (growing or {}).items():
        if k:
            for index, factor in enumerate(month_growth(g, n)):
                out[index] += k * factor
    if explicit is not None:
        if len(explicit) != n:
            raise ValueError(f"explicit must hold {n} months, got {len(explicit)}")
        for index, value in enumerate(explicit):
            out[index] += value
    return tuple(out)
