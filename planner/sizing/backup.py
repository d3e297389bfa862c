"""Backup storage on the target: the restore-point model of DESIGN §4.

Sources: DESIGN §4 "Backup storage on the target", after the Veeam restore point simulator
(github.com/tdewin/rps, ``pureengine.js``: full = source × compression, increment = source ×
change × compression, working-space buckets 1.05 / 0.66 / 0.40 / 0.25 / 0.10 at 10 / 20 / 100 /
500 TiB) and the Veeam Backup & Replication best-practice guide (repository sizing).

Units: GiB (1 TiB = 1,024 GiB), days, fractions 0..1. Pure Python: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.facts import BACKUP_METHODS
from planner.units import fmt_duration, fmt_gib, fmt_num, fmt_ratio

from .explain import (
    Figure,
    check_choice,
    check_count,
    check_fraction,
    check_nonnegative,
    check_positive,
    check_range,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "WORKSPACE_TIERS",
    "BackupStorage",
    "ChainPoints",
    "backup_storage",
    "backup_total_at",
    "chain_data_gib",
    "chain_points",
    "change_per_run",
    "check_growth",
    "grown_used",
    "growth_factor",
    "retention_days",
    "workspace",
]

DAYS_PER_YEAR = 365.0
DAYS_PER_MONTH = DAYS_PER_YEAR / 12  # 30.42 days: a month in projections and GFS monthly spans
TIB = 1024.0

# (upper bound of the tier in GiB, weight): the rps working-space buckets.
WORKSPACE_TIERS: tuple[tuple[float, float], ...] = (
    (10 * TIB, 1.05),
    (20 * TIB, 0.66),
    (100 * TIB, 0.40),
    (500 * TIB, 0.25),
    (math.inf, 0.10),
)

# Methods whose chain needs merge or synthesis headroom on the repository.
WORKSPACE_METHODS = frozenset({"forever_forward", "reverse", "forward_periodic_synthetic_full"})
PERIODIC_METHODS = frozenset({"forward_periodic_full", "forward_periodic_synthetic_full"})
_METHOD_NAMES = {
    "forever_forward": "forever forward incremental",
    "reverse": "reverse incremental",
    "forward_periodic_full": "forward incremental with an active full every {k} runs",
    "forward_periodic_synthetic_full": "forward incremental with a synthetic full every {k} runs",
}
MAX_GROWTH_PER_YEAR = (
    10.0  # 1,000 %/year: larger values are taken for a percent typed as a fraction
)


@dataclass(frozen=True, slots=True)
class ChainPoints:
    """Restore points on disk in the worst case, and the fulls and incrementals among them."""

    points: int  # P: points kept at the worst moment (R, or R + K - 1 for periodic fulls)
    fulls: int  # F: fulls in the chain (GFS fulls not included)
    incrementals: int  # I = P - F
    full_every: int | None
    explanation: tuple[str, ...]


def chain_points(retention_points: int, method: str, full_every: int | None = None) -> ChainPoints:
    """Fulls and incrementals kept on disk (DESIGN §4; Veeam best-practice guide, tdewin/rps).

    ``forever_forward`` and ``reverse``: F = 1, I = R - 1. ``forward_periodic_full`` and
    ``forward_periodic_synthetic_full`` with a full every K runs: the oldest chain can only be
    deleted once the newest chain holds R points, so the worst case keeps P = R + K - 1 points,
    F = ceil(P / K) fulls and I = P - F incrementals. ``full_every`` is required for the periodic
    methods and ignored by the others.
    """
    r = check_count("retention_points", retention_points, 1)
    check_choice("method", method, BACKUP_METHODS)
    if method in PERIODIC_METHODS:
        if full_every is None:
            raise ValueError(f"full_every is required for method {method} (a full every K runs)")
        k = check_count("full_every", full_every, 1)
        p = r + k - 1
        f = -(-p // k)
        i = p - f
        line = (
            f"{_METHOD_NAMES[method].format(k=k)}, {r} points: worst case "
            f"P = {r} + {k} − 1 = {p} points kept, F = ceil({p} ÷ {k}) = {f} "
            f"full{'s' if f != 1 else ''}, I = {p} − {f} = {i} incremental{'s' if i != 1 else ''}"
        )
        return ChainPoints(p, f, i, k, (line,))
    i = r - 1
    line = (
        f"{_METHOD_NAMES[method]}, {r} point{'s' if r != 1 else ''}: 1 full + {i} "
        f"incremental{'s' if i != 1 else ''}"
    )
    return ChainPoints(r, 1, i, None, (line,))


def retention_days(
    points: int,
    interval_days: float = 1.0,
    *,
    gfs_weekly: int = 0,
    gfs_monthly: int = 0,
    gfs_yearly: int = 0,
) -> float:
    """Days of history the retention keeps: the longest of the chain and the GFS spans.

    The chain of ``points`` runs every ``interval_days`` covers points × interval days; W weekly
    GFS fulls cover 7·W days, M monthly 30.42·M days (365 ÷ 12), Y yearly 365·Y days
    (DESIGN §4: "the horizon is never shorter than the longest retention").
    """
    check_count("points", points, 1)
    interval = check_positive("interval_days", interval_days)
    w = check_count("gfs_weekly", gfs_weekly)
    m = check_count("gfs_monthly", gfs_monthly)
    y = check_count("gfs_yearly", gfs_yearly)
    return max(points * interval, 7.0 * w, DAYS_PER_MONTH * m, DAYS_PER_YEAR * y)


def growth_factor(growth_per_year: float, days: float) -> float:
    """Compound growth over ``days``: (1 + g)^(t / 365) (DESIGN §4, "growth: U(t) = U₀·(1+g)^(t/365)")."""
    if growth_per_year == 0 or days == 0:
        return 1.0
    factor: float = (1.0 + growth_per_year) ** (days / DAYS_PER_YEAR)
    return factor


def grown_used(used_gib: float, growth_per_year: float, days: float) -> Figure:
    """Used data after ``days`` of growth: U(t) = U₀·(1+g)^(t/365) (DESIGN §4), explained.

    No line is written when there is no growth (the figure is the used data itself).
    """
    u0 = check_nonnegative("used_gib", used_gib)
    g = check_growth(growth_per_year)
    t = check_nonnegative("days", days)
    if g == 0 or t == 0:
        return Figure(u0)
    u = u0 * growth_factor(g, t)
    return Figure(
        u,
        (
            f"used at horizon = {fmt_gib(u0)} × (1 + {fmt_ratio(g)})^({fmt_num(t)} d ÷ 365) = "
            f"{fmt_gib(u)}",
        ),
    )


def change_per_run(change_per_day: float, interval_days: float) -> Figure:
    """Change per backup run from the VM's daily change (DESIGN §4: d is "change per backup run").

    d_run = min(1, d_day × interval in days). A daily run changes d_day; runs every 4 h each carry
    a sixth of it, so the repository receives the same data a day whatever the interval; a weekly
    run carries 7 days of change (capped at everything). Overwrites of the same blocks between runs
    are not subtracted, which is conservative for long intervals.
    """
    d = check_fraction("change_rate", change_per_day)
    interval = check_positive("interval_days", interval_days)
    per_run = d * interval
    if per_run > 1.0:
        per_run = 1.0
    if interval == 1.0:
        return Figure(per_run)
    return Figure(
        per_run,
        (
            f"change per run = {fmt_ratio(d)}/day × {fmt_duration(interval * 1440)} = "
            f"{fmt_ratio(per_run)} (at most 1)",
        ),
    )


def check_growth(growth_per_year: object) -> float:
    """``growth_per_year`` as a fraction per year: > -1 (shrinking) and <= 10 (1,000 %)."""
    g = check_range("growth_per_year", growth_per_year, -1.0, MAX_GROWTH_PER_YEAR)
    if g == -1.0:
        raise ValueError("growth_per_year must be > -1 (a shrink of 100 % a year), got -1")
    return g


def workspace(used_gib: float, reduction: float) -> tuple[float, tuple[tuple[float, float], ...]]:
    """Merge/synthesis headroom on the repository (DESIGN §4; tdewin/rps working-space buckets).

    The source data U is cut into tiers (1 TiB = 1,024 GiB) and each part weighted:
    workspace = c × (1.05 × U up to 10 TiB + 0.66 × 10–20 TiB + 0.40 × 20–100 TiB +
    0.25 × 100–500 TiB + 0.10 × the rest). Returns the value and the (weight, part GiB) pairs.
    """
    if used_gib <= WORKSPACE_TIERS[0][0]:  # the common case: one tier
        return reduction * 1.05 * used_gib, ((1.05, used_gib),)
    parts = []
    weighted = 0.0
    low = 0.0
    for high, weight in WORKSPACE_TIERS:
        if used_gib <= low:
            break
        part = min(used_gib, high) - low
        parts.append((weight, part))
        weighted += weight * part
        low = high
    return reduction * weighted, tuple(parts)


def chain_data_gib(
    used_gib: float, reduction: float, fulls: int, incrementals: int, change_rate: float
) -> float:
    """Data of a chain: c·U·(F + I·d) (DESIGN §4; tdewin/rps full and increment sizes).

    ``fulls`` includes the GFS fulls. No argument checks: see ``backup_storage``.
    """
    return reduction * used_gib * (fulls + incrementals * change_rate)


@dataclass(frozen=True, slots=True)
class BackupStorage:
    """Backup storage on the target for one VM (or any data set) and how it was computed."""

    method: str
    points: int  # P, restore points kept in the worst case
    chain_fulls: int  # F
    gfs_fulls: int  # W + M + Y
    fulls: int  # F + W + M + Y
    incrementals: int  # I
    full_every: int | None  # K for the periodic methods
    change_rate: float  # d, change per backup run
    reduction: float  # c
    full_gib: float  # one full: c · U
    incremental_gib: float  # one incremental: c · U · d
    data_gib: float  # c · U · (fulls + I · d)
    workspace_gib: float
    total_gib: float  # data + workspace
    used_gib: float  # U grown to the sizing horizon
    used_gib_now: float  # U₀
    retention_days: float
    horizon_days: float  # t = max(plan horizon, retention)
    explanation: tuple[str, ...]


def backup_total_at(storage: BackupStorage, used_gib: float) -> float:
    """Total backup storage of the same chain and policy at another used size (no explanation).

    data = c·U·(F + I·d) (``chain_data_gib``) plus ``workspace(U, c)`` for the methods that need
    it. Used by the month-by-month projection.
    """
    total = chain_data_gib(
        used_gib, storage.reduction, storage.fulls, storage.incrementals, storage.change_rate
    )
    if storage.method in WORKSPACE_METHODS:
        total += workspace(used_gib, storage.reduction)[0]
    return total


def backup_storage(
    used_gib: float,
    *,
    change_rate: float,
    reduction: float,
    retention_points: int,
    method: str,
    full_every: int | None = None,
    gfs_weekly: int = 0,
    gfs_monthly: int = 0,
    gfs_yearly: int = 0,
    growth_per_year: float = 0.0,
    horizon_days: float = 0,
    interval_days: float = 1.0,
) -> BackupStorage:
    """Backup storage on the target (DESIGN §4; Veeam best-practice guide; tdewin/rps).

    U = used_gib grown to the horizon: U = U₀·(1+g)^(t/365) with t = max(horizon_days, retention
    in days), where retention in days is the longest of retention_points × interval_days, 7·W,
    30.42·M and 365·Y, so the plan never sizes a chain for data smaller than it will be when its
    oldest point is kept. Points: see ``chain_points``; GFS adds W + M + Y fulls.
    data = c·U·(F + W + M + Y + I·d), with c = reduction (stored/original) and d = change_rate
    per backup run. workspace = ``workspace(U, c)`` for forever_forward, reverse and
    forward_periodic_synthetic_full; 0 for forward_periodic_full (renewed by active fulls only).
    """
    u0 = check_nonnegative("used_gib", used_gib)
    d = check_fraction("change_rate", change_rate)
    c = check_fraction("reduction", reduction)
    g = check_growth(growth_per_year)
    horizon = check_nonnegative("horizon_days", horizon_days)
    chain = chain_points(retention_points, method, full_every)
    kept_days = retention_days(
        chain.points,
        interval_days,
        gfs_weekly=gfs_weekly,
        gfs_monthly=gfs_monthly,
        gfs_yearly=gfs_yearly,
    )
    gfs = gfs_weekly + gfs_monthly + gfs_yearly
    lines: list[str] = []

    t = horizon if horizon >= kept_days else kept_days
    if g == 0:
        u = u0
        lines.append(f"used = {fmt_gib(u0)} (no growth)")
    else:
        u = u0 * growth_factor(g, t)
        lines.append(
            f"used at horizon = {fmt_gib(u0)} × (1 + {fmt_ratio(g)})^({fmt_num(t)} d ÷ 365) = "
            f"{fmt_gib(u)} (horizon = max(plan {fmt_num(horizon)} d, retention "
            f"{fmt_num(kept_days)} d) = {fmt_num(t)} d)"
        )

    lines.extend(chain.explanation)
    fulls = chain.fulls + gfs
    if gfs:
        lines.append(
            f"GFS: {gfs_weekly} weekly + {gfs_monthly} monthly + {gfs_yearly} yearly = {gfs} more "
            f"full{'s' if gfs != 1 else ''}; fulls = {chain.fulls} + {gfs} = {fulls}"
        )
    if interval_days != 1.0:
        lines.append(
            f"retention spans {fmt_num(kept_days)} d (a run every "
            f"{fmt_duration(interval_days * 1440)})"
        )

    i = chain.incrementals
    full_gib = c * u
    data = chain_data_gib(u, c, fulls, i, d)
    lines.append(
        f"data = {fmt_num(c, 2)} × {fmt_gib(u)} × ({fulls} + {i} × {fmt_ratio(d)}) = {fmt_gib(data)}"
    )

    if method in WORKSPACE_METHODS:
        ws, parts = workspace(u, c)
        if len(parts) == 1:
            lines.append(f"workspace = {fmt_num(c, 2)} × 1.05 × {fmt_gib(u)} = {fmt_gib(ws)}")
        else:
            terms = " + ".join(f"{fmt_num(w, 2)} × {fmt_gib(p)}" for w, p in parts)
            lines.append(f"workspace = {fmt_num(c, 2)} × ({terms}) = {fmt_gib(ws)}")
    else:
        ws = 0.0
        lines.append(
            "workspace = 0 GiB (the chain is renewed by active fulls: no merge or synthesis)"
        )

    total = data + ws
    lines.append(f"backup storage = {fmt_gib(data)} + {fmt_gib(ws)} = {fmt_gib(total)}")
    return BackupStorage(
        method=method,
        points=chain.points,
        chain_fulls=chain.fulls,
        gfs_fulls=gfs,
        fulls=fulls,
        incrementals=i,
        full_every=chain.full_every,
        change_rate=d,
        reduction=c,
        full_gib=full_gib,
        incremental_gib=full_gib * d,
        data_gib=data,
        workspace_gib=ws,
        total_gib=total,
        used_gib=u,
        used_gib_now=u0,
        retention_days=kept_days,
        horizon_days=t,
        explanation=tuple(lines),
    )
