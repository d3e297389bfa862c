"""Replication and transfer figures: churn, bandwidth, seeding time, replica storage, cache.

Sources: DESIGN §4 "Replication"; Azure Site Recovery on Azure Stack Hub capacity planning
(azure-stack-docs, azure-stack/operator/site-recovery-capacity-planning.md) for the replica
overhead (1.5–2 × provisioned) and the source-side cache.

Units: 1 GiB = 1,024³ bytes = 8,589,934,592 bits = 8,589.934592 Mbit (1 Mbit = 10⁶ bits);
bandwidth in Mbit/s; time in hours (seeding) or days (churn per day); storage in GiB.
Pure Python: no Django import.
"""

from __future__ import annotations

from planner.units import MBIT_PER_GIB, fmt_gib, fmt_hours, fmt_mbps, fmt_num, fmt_ratio

from .explain import Figure, check_fraction, check_nonnegative, check_positive, check_range

__all__ = [
    "MBIT_PER_GIB",
    "cache_gib",
    "daily_churn",
    "replica_storage",
    "replication_bandwidth",
    "replication_bandwidth_mbps",
    "seeding",
    "seeding_hours",
    "transfer_rate",
]


SECONDS_PER_DAY = 86_400.0
MINUTES_PER_DAY = 1440.0
REPLICA_OVERHEAD_RANGE = (1.0, 3.0)  # ASR on ASH guidance is 1.5-2; outside 1..3 is a typo


def _check_link_factors(wire_ratio: float, efficiency: float) -> None:
    """Both factors are fractions of 0 < x <= 1: a zero would divide by zero or send nothing."""
    if check_fraction("wire_ratio", wire_ratio) == 0:
        raise ValueError("wire_ratio must be > 0 (bytes on the wire per byte of data), got 0")
    if check_fraction("efficiency", efficiency) == 0:
        raise ValueError("efficiency must be > 0 (share of the link that carries data), got 0")


def daily_churn(used_gib: float, change_rate: float) -> Figure:
    """Data changed per day: churn = U · d (DESIGN §4, "daily churn = U·d")."""
    u = check_nonnegative("used_gib", used_gib)
    d = check_fraction("change_rate", change_rate)
    churn = u * d
    return Figure(churn, (f"churn = {fmt_gib(u)} × {fmt_ratio(d)}/day = {fmt_gib(churn)}/day",))


def transfer_rate(
    gib: float,
    hours: float,
    *,
    wire_ratio: float = 1.0,
    efficiency: float = 0.75,
    peak_factor: float = 1.0,
    what: str = "rate",
) -> Figure:
    """Link rate that moves ``gib`` in ``hours`` (DESIGN §4 "Required bandwidth").

    rate [Mbit/s] = gib × 8,589.93 Mbit/GiB ÷ (hours × 3,600 s) × wire ratio ÷ efficiency ×
    peak factor. The wire ratio (bytes on the wire per byte of data: 1.0, 0.5 when compressible)
    shrinks the payload, the efficiency (share of the nominal link that carries payload) and
    the peak factor (busiest hour ÷ average hour) grow the rate.
    """
    g = check_nonnegative("gib", gib)
    h = check_positive("hours", hours)
    _check_link_factors(wire_ratio, efficiency)
    peak = check_positive("peak_factor", peak_factor)
    seconds = h * 3600.0
    mbps = g * MBIT_PER_GIB / seconds * wire_ratio / efficiency * peak
    line = (
        f"{what} = {fmt_gib(g)} × 8,589.93 Mbit/GiB ÷ {fmt_num(seconds, 0)} s × "
        f"{fmt_num(wire_ratio, 2)} ÷ {fmt_num(efficiency, 2)} × {fmt_num(peak, 2)} = {fmt_mbps(mbps)}"
    )
    return Figure(mbps, (line,))


def replication_bandwidth(
    daily_churn_gib: float,
    *,
    wire_ratio: float = 1.0,
    efficiency: float = 0.75,
    peak_factor: float = 1.0,
) -> Figure:
    """Bandwidth to keep up with replication (DESIGN §4): churn per second × wire ÷ eff × peak.

    churn per second = daily_churn_gib × 8,589.93 Mbit/GiB ÷ 86,400 s; the result is in Mbit/s.
    """
    try:
        return transfer_rate(
            daily_churn_gib,
            24.0,
            wire_ratio=wire_ratio,
            efficiency=efficiency,
            peak_factor=peak_factor,
            what="bandwidth",
        )
    except ValueError as error:
        if str(error).startswith("gib "):
            raise ValueError(str(error).replace("gib ", "daily_churn_gib ", 1)) from None
        raise


def replication_bandwidth_mbps(
    daily_churn_gib: float,
    *,
    wire_ratio: float = 1.0,
    efficiency: float = 0.75,
    peak_factor: float = 1.0,
) -> float:
    """``replication_bandwidth`` as a bare number of Mbit/s (10⁶ bit/s)."""
    return replication_bandwidth(
        daily_churn_gib, wire_ratio=wire_ratio, efficiency=efficiency, peak_factor=peak_factor
    ).value


def seeding(
    used_gib: float,
    link_mbps: float,
    *,
    delta_mbps: float = 0.0,
    wire_ratio: float = 1.0,
    efficiency: float = 0.75,
) -> Figure:
    """Initial seeding (or first full) time in hours (DESIGN §4).

    hours = U × 8,589.93 Mbit/GiB × wire ratio ÷ (link − delta) ÷ efficiency ÷ 3,600 s, where
    delta is the part of the link already used by other traffic. The goal is ≤ 72 h; beyond it,
    split the seeding into batches.
    """
    u = check_nonnegative("used_gib", used_gib)
    link = check_positive("link_mbps", link_mbps)
    delta = check_nonnegative("delta_mbps", delta_mbps)
    _check_link_factors(wire_ratio, efficiency)
    free = link - delta
    if free <= 0:
        raise ValueError(
            f"link_mbps ({fmt_num(link)} Mbit/s) must exceed delta_mbps ({fmt_num(delta)} Mbit/s), "
            "the share of the link already used by other traffic"
        )
    hours = u * MBIT_PER_GIB * wire_ratio / free / efficiency / 3600.0
    link_text = f"({fmt_mbps(link)} − {fmt_mbps(delta)})" if delta else fmt_mbps(link)
    line = (
        f"seeding = {fmt_gib(u)} × 8,589.93 Mbit/GiB × {fmt_num(wire_ratio, 2)} ÷ {link_text} ÷ "
        f"{fmt_num(efficiency, 2)} ÷ 3,600 s/h = {fmt_hours(hours)}"
    )
    return Figure(hours, (line,))


def seeding_hours(
    used_gib: float,
    link_mbps: float,
    *,
    delta_mbps: float = 0.0,
    wire_ratio: float = 1.0,
    efficiency: float = 0.75,
) -> float:
    """``seeding`` as a bare number of hours."""
    return seeding(
        used_gib, link_mbps, delta_mbps=delta_mbps, wire_ratio=wire_ratio, efficiency=efficiency
    ).value


def replica_storage(provisioned_gib: float, replica_overhead: float = 1.5) -> Figure:
    """Replica storage on the target = provisioned × overhead (ASR on ASH capacity planning).

    The guidance is 1.5 to 2 × the provisioned size (replica disks plus recovery points);
    values outside 1..3 are rejected as a likely typo.
    """
    p = check_nonnegative("provisioned_gib", provisioned_gib)
    low, high = REPLICA_OVERHEAD_RANGE
    k = check_range("replica_overhead", replica_overhead, low, high)
    replica = p * k
    return Figure(
        replica, (f"replica = {fmt_gib(p)} provisioned × {fmt_num(k, 2)} = {fmt_gib(replica)}",)
    )


def cache_gib(daily_churn_gib: float, rpo_minutes: float) -> Figure:
    """Replication cache = churn per day × RPO as a fraction of a day, at most one day (DESIGN §4).

    The changes not yet shipped are held in the cache; in the worst case a whole day's churn.
    """
    churn = check_nonnegative("daily_churn_gib", daily_churn_gib)
    rpo = check_nonnegative("rpo_minutes", rpo_minutes)
    share = min(rpo, MINUTES_PER_DAY) / MINUTES_PER_DAY
    cache = churn * share
    return Figure(
        cache,
        (
            f"cache = {fmt_gib(churn)}/day × min({fmt_num(rpo)} min, 1,440 min) ÷ 1,440 min = "
            f"{fmt_gib(cache)}",
        ),
    )
