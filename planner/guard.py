"""The engine's entry guard: whatever numbers reach ``planner.assess``, the engine computes.

The entrances (forms, API, admin, import) refuse numbers outside their ranges, but a number can
still reach the engine another way: a row stored before the ranges existed, a hand edit in the
database, a catalog entry, a test or benchmark building facts by hand. Before this guard, a link
of 1e-5 Mbit/s grew the onboarding schedule until the process ran out of memory, a horizon of
3,000,000 days raised OverflowError and a link of 1e308 put Infinity into the results.

``bound_app`` returns the app with every number outside the engine's domain replaced by the
nearest number inside it (NaN: the low end; a whole number where one is needed), and one note
per replacement naming the fact, the value and the range. ``assess`` turns the notes into a
blocking ``INPUT_OUT_OF_RANGE`` finding, so figures computed from a replaced value are never
taken for real ones. ``bound_catalog`` does the same for the price and limit catalogs.

The ranges are ``planner.ranges``', the same objects the entrances' validators
(``planner.bounds``) are made from, wherever an entrance takes the fact, so a value they accept
is never touched here; the others are the domain of the formula that reads the fact (a fraction
is 0..1, a count at least 1). ``tests/unit/test_engine_total.py`` checks that both agree.
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from planner import facts, ranges
from planner.ranges import Range

__all__ = ["CATALOG", "CATALOG_KEYS", "RANGES", "Range", "bound_app", "bound_catalog"]

# The sizing horizon is never shorter than the retention (points × interval), and data grows
# by (1 + g)^(days / 365): at the highest growth, 10 a year, more than about 290 years
# overflows a float. Retention up to a century (GFS yearly points: at most 100) stays finite.
MAX_RETENTION_MINUTES = 100 * 365 * 1_440
# The engine's own ranges, for facts no entrance takes as they are: durations it assumes,
# factors of its formulas, a VM's size as the inventory reports it (0: unknown).
DURATION_MINUTES = Range(0, ranges.TEN_YEARS_MINUTES, "minutes")
# The entrance's restore throughput 0 means "the 1,000 Mbit/s assumption": never 0 here.
RESTORE_THROUGHPUT_MBPS = Range(ranges.LINK_MBPS.low, ranges.RESTORE_MBPS.high, "Mbit/s")
FRACTION = Range(0.01, 1)

# fact class -> field -> range. A field missing here is not a number the formulas read.
RANGES: dict[type, dict[str, Range]] = {
    facts.App: {
        "tier": Range(1, 4, whole=True),
        "rto_minutes": ranges.OBJECTIVE_MINUTES,
        "rpo_minutes": ranges.OBJECTIVE_MINUTES,
        "mtpd_minutes": ranges.OBJECTIVE_MINUTES,
    },
    facts.Assumptions: {
        "restore_throughput_mbps": RESTORE_THROUGHPUT_MBPS,
        "redeploy_minutes": DURATION_MINUTES,
        "boot_minutes_per_group": DURATION_MINUTES,
        "checks_minutes_per_group": DURATION_MINUTES,
        "manual_steps_minutes": DURATION_MINUTES,
        "failover_detection_minutes": DURATION_MINUTES,
        "replication_interval_minutes": ranges.REPLICATION_INTERVAL_MINUTES,
        "link_mbps": ranges.LINK_MBPS,
        "delta_mbps": ranges.LINK_OTHER_MBPS,
        "wire_ratio": FRACTION,
        "efficiency": FRACTION,
        "peak_factor": Range(0.01, 100),
        "replica_overhead": Range(1, 3),
        "horizon_days": ranges.GROWTH_HORIZON_DAYS,
        "drills_per_year": Range(0, 365, whole=True),
        "drill_days": Range(0, 365, "days", whole=True),
    },
    facts.Vm: {
        "vcpu": Range(0, ranges.SIZE_VCPU.high, "vCPU", whole=True),
        "memory_gib": Range(0, 65_536, "GiB"),
        "change_rate": ranges.CHANGE_RATE,
        "growth_per_year": ranges.GROWTH_PER_YEAR,
        "boot_group": Range(0, 1_000, whole=True),
    },
    facts.Disk: {
        "provisioned_gib": Range(0, ranges.DISK_GIB.high, "GiB"),
        "used_gib": ranges.USED_GIB,
    },
    facts.BackupPolicy: {
        "interval_minutes": ranges.BACKUP_INTERVAL_MINUTES,
        "retention_points": ranges.RETENTION_POINTS,
        "full_every": ranges.FULL_EVERY,
        "gfs_weekly": ranges.GFS_WEEKLY,
        "gfs_monthly": ranges.GFS_MONTHLY,
        "gfs_yearly": ranges.GFS_YEARLY,
        "reduction": ranges.REDUCTION,
    },
    facts.BackupTarget: {
        "capacity_gib": ranges.TARGET_GIB,
        "used_gib": ranges.TARGET_GIB,
        "ingest_mbps": ranges.INGEST_MBPS,
        "streams": ranges.STREAMS,
        "window_hours": ranges.WINDOW_HOURS,
    },
    facts.Cloud: {
        "nodes": ranges.NODES,
        "memory_per_node_gib": ranges.NODE_MEMORY_GIB,
        "largest_vm_gib": ranges.NODE_MEMORY_GIB,
        "running_tenant_gib": ranges.STAMP_MEMORY_GIB,
        "running_vm_count": ranges.RUNNING_VMS,
    },
    facts.Drill: {"data_loss_minutes": ranges.DATA_LOSS_MINUTES},
}
# Prices (USD) and limits (counts, GiB, hours, fractions) are finite and below 10^12.
CATALOG = ranges.CATALOG_VALUE
# Limits the formulas divide by or count with (start-up groups, VMs per appliance...).
CATALOG_KEYS = {
    key: Range(1, 1e12)
    for key in (
        "boot.max_groups",
        "asr_ash.vms_per_appliance",
        "asr_ash.vaults_per_appliance",
        "asr_ash.max_vms_per_plan",
        "azure_backup.instance_gib",
        "azure_backup.small_instance_gib",
        "ash.max_vms_per_node",
        "ash.max_vms_per_stamp",
        "seeding.goal_hours",
    )
}

# Pairs of catalog entries where the first may not exceed the second.
CATALOG_ORDER = (("azure_backup.small_instance_gib", "azure_backup.instance_gib"),)


def _num(value: object) -> str:
    """A number as a message shows it: 3,000,000, 0.25, 1e-05, 1e+308, nan."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)[:40]
    if isinstance(value, int):
        if abs(value) < 10**15:
            return f"{value:,}"
        digits = str(abs(value))  # no float(): an int may be too large for one
        return f"{'-' if value < 0 else ''}{digits[0]}e+{len(digits) - 1}"
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if 1e-4 <= abs(value) < 1e15:
        return f"{value:,g}"
    return f"{value:g}"


def _bound(value: Any, r: Range) -> float:
    """``value`` if it is in ``r``, else the nearest value in it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            return int(r.low) if r.whole else r.low
    if isinstance(value, float) and math.isnan(value):
        value = r.low
    value = min(max(value, r.low), r.high)
    if r.whole and not isinstance(value, int):
        value = math.floor(value)
    return float(value) if not isinstance(value, int) else value


def _check(obj: Any, label: str, notes: list[str]) -> Any:
    """``obj`` with its numbers in range (the same object when all are). A whole number given
    as a float (3.0) becomes an int without a note: nothing changes for the formulas."""
    changes: dict[str, float] = {}
    for name, r in RANGES[type(obj)].items():
        value = getattr(obj, name)
        if value is None:  # optional (mtpd_minutes, full_every, boot_group): not given
            continue
        bounded = _bound(value, r)
        if type(bounded) is type(value) and bounded == value:
            continue
        changes[name] = bounded
        if isinstance(value, bool) or not isinstance(value, int | float) or value != bounded:
            notes.append(
                f"{label}{name} {_num(value)} is outside {r.text}: sized with {_num(bounded)}"
            )
    return replace(obj, **changes) if changes else obj


def bound_app(app: facts.App) -> tuple[facts.App, tuple[str, ...]]:
    """``app`` with every number in the engine's domain, and a note per number replaced."""
    notes: list[str] = []
    changes: dict[str, Any] = {}
    top = _check(app, "", notes)
    a = _check(app.assumptions, "", notes)
    if a.delta_mbps >= a.link_mbps and a.delta_mbps > 0:
        notes.append(
            f"delta_mbps {_num(a.delta_mbps)} leaves nothing of link_mbps {_num(a.link_mbps)}: "
            "sized with 0"
        )
        a = replace(a, delta_mbps=0.0)
    if a is not app.assumptions:
        changes["assumptions"] = a
    if app.policy is not None:
        p = _check(app.policy, "policy ", notes)
        span = p.retention_points * p.interval_minutes
        if span > MAX_RETENTION_MINUTES:
            points = max(1, MAX_RETENTION_MINUTES // p.interval_minutes)
            notes.append(
                f"policy retention_points {_num(p.retention_points)} × interval_minutes "
                f"{_num(p.interval_minutes)} keeps points for {_num(span / 525_600)} years, "
                f"more than 100: sized with {_num(points)} points"
            )
            p = replace(p, retention_points=points)
        if p is not app.policy:
            changes["policy"] = p
    if app.backup_target is not None:
        t = _check(app.backup_target, f"backup target '{app.backup_target.name}' ", notes)
        if t is not app.backup_target:
            changes["backup_target"] = t
    for key in ("source_cloud", "recovery_target"):
        cloud = getattr(app, key)
        if cloud is not None:
            c = _check(cloud, f"cloud '{cloud.name}' ", notes)
            if c.largest_vm_gib > c.memory_per_node_gib:
                notes.append(
                    f"cloud '{c.name}' largest_vm_gib {_num(c.largest_vm_gib)} exceeds "
                    f"memory_per_node_gib {_num(c.memory_per_node_gib)}: sized with "
                    f"{_num(c.memory_per_node_gib)}"
                )
                c = replace(c, largest_vm_gib=c.memory_per_node_gib)
            if c is not cloud:
                changes[key] = c
    vms, vm_changed = [], False
    for vm in app.vms:
        v = _check(vm, f"VM '{vm.name}' ", notes)
        disks, disk_changed = [], False
        for disk in vm.disks:
            d = _check(disk, f"VM '{vm.name}' disk '{disk.name}' ", notes)
            disk_changed |= d is not disk
            disks.append(d)
        if disk_changed:
            v = replace(v, disks=tuple(disks))
        vm_changed |= v is not vm
        vms.append(v)
    if vm_changed:
        changes["vms"] = tuple(vms)
    drills = tuple(_check(d, "drill ", notes) for d in app.drills)
    if any(d is not o for d, o in zip(drills, app.drills, strict=True)):
        changes["drills"] = drills
    if top is app and not changes:
        return app, ()
    return replace(top, **changes), tuple(notes)


def bound_catalog(table: Mapping[str, Any], name: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A price or limit catalog with every value a finite number in ``CATALOG``."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in table.items():
        try:
            number = float(value)  # Decimal from the database, int, float
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        r = CATALOG_KEYS.get(key, CATALOG)
        bounded = _bound(number, r)
        if bounded != number:
            notes.append(
                f"{name}[{key!r}] {_num(value)} is outside {r.text}: sized with {_num(bounded)}"
            )
            out[key] = bounded
        else:
            out[key] = value
    for low_key, high_key in CATALOG_ORDER:
        if low_key in out and high_key in out and float(out[low_key]) > float(out[high_key]):
            notes.append(
                f"{name}[{low_key!r}] {_num(out[low_key])} exceeds {name}[{high_key!r}] "
                f"{_num(out[high_key])}: sized with {_num(out[high_key])}"
            )
            out[low_key] = out[high_key]
    return out, tuple(notes)
