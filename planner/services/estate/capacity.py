"""Capacity of the estate's data targets and recovery clouds, from the stored results: what the
plans need against what each has, and when growth exhausts it."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from planner.models import CloudKind
from planner.services.hub_capacity import hub_figures
from planner.sizing import ash_vm_capacity
from planner.units import fmt_gib, fmt_num, gib_moved

FORECAST_DAYS = 10 * 365  # growth that exhausts a target later than this is shown as "> 10 years"


EPS = 1e-9


@dataclass(frozen=True)
class Exhaustion:
    """When growth makes ``needed`` exceed ``available``: needed(t) = needed × (1 + g)^(t/365)."""

    on: date | None  # None: never within the forecast (or nothing needed)
    days: float | None
    already: bool
    explanation: str

    @property
    def label(self) -> str:
        if self.already:
            return "exhausted now"
        if self.on is None:
            return "not within 10 years" if self.days is not None else "no growth"
        return self.on.isoformat()


def exhaustion(needed: float, available: float, growth: float, today: date) -> Exhaustion:
    """Solve needed × (1 + g)^(t/365) = available for t (days from today)."""
    if needed > available + EPS:
        return Exhaustion(
            today,
            0.0,
            True,
            f"{fmt_gib(needed)} needed > {fmt_gib(available)} available: short now",
        )
    if needed <= EPS or growth <= 0:
        why = "nothing needed" if needed <= EPS else "no growth recorded on the VMs"
        return Exhaustion(None, None, False, f"{why}: not exhausted by growth")
    days = 365.0 * math.log(available / needed) / math.log1p(growth)
    text = (
        f"{fmt_gib(needed)} × (1 + {fmt_num(growth, 3)})^(t ÷ 365) = {fmt_gib(available)} → "
        f"t = 365 × ln({fmt_num(available / needed, 3)}) ÷ ln({fmt_num(1 + growth, 3)}) = "
        f"{fmt_num(days, 0)} days"
    )
    if days > FORECAST_DAYS:
        return Exhaustion(None, days, False, text + " (beyond 10 years)")
    on = today + timedelta(days=math.floor(days))
    return Exhaustion(on, days, False, f"{text} → {on.isoformat()}")


@dataclass
class TargetCapacity:
    """A backup target: storage and nightly ingest needed by the plans against what it has."""

    id: int
    name: str
    kind: str
    kind_label: str
    apps: int
    vms: int
    needed_gib: float
    capacity_gib: float
    used_gib: float  # by data outside the planner
    ingest_needed_gib: float  # a night's backup runs: the daily change of the protected data
    ingest_mbps: float
    window_hours: float
    streams: int
    storage_growth: float
    ingest_growth: float
    storage_exhaustion: Exhaustion
    ingest_exhaustion: Exhaustion

    @property
    def key(self) -> str:
        return f"bt-{self.id}"

    @property
    def free_gib(self) -> float:
        return self.capacity_gib - self.used_gib

    @property
    def headroom_gib(self) -> float:
        return self.free_gib - self.needed_gib

    @property
    def storage_pct(self) -> float | None:
        return 100.0 * self.needed_gib / self.free_gib if self.free_gib > 0 else None

    @property
    def night_capacity_gib(self) -> float:
        return gib_moved(self.ingest_mbps, self.window_hours)

    @property
    def ingest_headroom_gib(self) -> float:
        return self.night_capacity_gib - self.ingest_needed_gib

    @property
    def ingest_pct(self) -> float | None:
        cap = self.night_capacity_gib
        return 100.0 * self.ingest_needed_gib / cap if cap > 0 else None

    @property
    def exhaustion(self) -> Exhaustion:
        """The earlier of storage and ingest."""
        a, b = self.storage_exhaustion, self.ingest_exhaustion
        if a.already or b.already:
            return a if a.already else b
        if a.on and b.on:
            return a if a.on <= b.on else b
        return a if a.on else b if b.on else a

    @property
    def deficit(self) -> bool:
        return self.headroom_gib < -EPS or self.ingest_headroom_gib < -EPS


@dataclass
class CloudCapacity:
    """A recovery cloud: stand-by memory (the ASH formula) and VM count against its limits."""

    id: int
    name: str
    kind: str
    kind_label: str
    apps: int  # apps whose stand-by VMs it hosts
    standby_vms: int
    standby_memory_gib: float
    standby_vcpu: float
    replica_apps: int
    replica_gib: float
    bandwidth_mbps: float
    running_vms: int
    memory_available_gib: float | None  # None: not an ASH stamp (no limit modelled)
    memory_explanation: tuple[str, ...]
    vm_limit: int | None
    vm_limit_explanation: str

    @property
    def is_hub(self) -> bool:
        return self.memory_available_gib is not None

    @property
    def memory_headroom_gib(self) -> float | None:
        if self.memory_available_gib is None:
            return None
        return self.memory_available_gib - self.standby_memory_gib

    @property
    def memory_pct(self) -> float | None:
        if not self.memory_available_gib or self.memory_available_gib <= 0:
            return None
        return 100.0 * self.standby_memory_gib / self.memory_available_gib

    @property
    def vms_needed(self) -> int:
        return self.running_vms + self.standby_vms

    @property
    def vm_headroom(self) -> int | None:
        return None if self.vm_limit is None else self.vm_limit - self.vms_needed

    @property
    def deficit(self) -> bool:
        mem = self.memory_headroom_gib
        return (mem is not None and mem < -EPS) or (
            self.vm_headroom is not None and self.vm_headroom < 0
        )


def _weighted(pairs: Iterable[tuple[float, float]]) -> float:
    """Σ w·g ÷ Σ w over (Σ w·g, Σ w) pairs; 0 when nothing weighs."""
    num = den = 0.0
    for wg, w in pairs:
        num += wg or 0.0
        den += w or 0.0
    return num / den if den > 0 else 0.0


def target_capacity(apps, targets, vm_figures, today) -> list[TargetCapacity]:
    """Needs of the apps backing up to each target (unsized apps count as apps, add nothing)."""
    by_key = defaultdict(list)
    for a in apps:
        if a["data_target"].startswith("bt-"):
            by_key[a["data_target"]].append(a)
    app_target = {a["id"]: a["data_target"] for a in apps}
    storage_w, ingest_w = defaultdict(list), defaultdict(list)
    sized_vms = Counter()
    for app_id, _sub, _cost, n, backup, backup_g, churn, churn_g in vm_figures:
        key = app_target.get(app_id, "")
        if key.startswith("bt-"):
            storage_w[key].append((backup_g, backup))
            ingest_w[key].append((churn_g, churn))
            sized_vms[key] += n
    out = []
    for t in targets.values():
        key = f"bt-{t.id}"
        rows = by_key.get(key, [])
        needed = sum(a["result__backup_gib"] or 0.0 for a in rows)
        churn = sum(a["result__churn_gib_day"] or 0.0 for a in rows)
        g_storage = _weighted(storage_w[key])
        g_ingest = _weighted(ingest_w[key])
        night = gib_moved(t.ingest_mbps, t.window_hours)
        out.append(
            TargetCapacity(
                id=t.id,
                name=t.name,
                kind=t.kind,
                kind_label=t.get_kind_display(),
                apps=len(rows),
                vms=sized_vms[key],
                needed_gib=needed,
                capacity_gib=t.capacity_gib,
                used_gib=t.used_gib,
                ingest_needed_gib=churn,
                ingest_mbps=t.ingest_mbps,
                window_hours=t.window_hours,
                streams=t.streams,
                storage_growth=g_storage,
                ingest_growth=g_ingest,
                storage_exhaustion=exhaustion(
                    needed, t.capacity_gib - t.used_gib, g_storage, today
                ),
                ingest_exhaustion=exhaustion(churn, night, g_ingest, today),
            )
        )
    out.sort(key=lambda c: (not c.deficit, -(c.storage_pct or 0), c.name))
    return out


def cloud_capacity(apps, clouds, limits) -> list[CloudCapacity]:
    standby = defaultdict(list)
    replicas = defaultdict(list)
    for a in apps:
        if a["recovery_target_id"] is None:
            continue
        if (a["result__standby_memory_gib"] or 0) > 0:
            standby[a["recovery_target_id"]].append(a)
        if a["data_target"].startswith("rt-"):
            replicas[a["recovery_target_id"]].append(a)
    per_node = int(limits.get("ash.max_vms_per_node", 60))
    per_stamp = int(limits.get("ash.max_vms_per_stamp", 700))
    hubs = hub_figures(list(clouds), limits)
    out = []
    for c in clouds.values():
        hub = c.kind == CloudKind.AZURE_STACK_HUB and c.nodes > 0
        if not hub and not standby[c.id] and not replicas[c.id]:
            continue
        available, lines, vm_limit, vm_text = None, (), None, "no VM-count limit modelled"
        running_vms = c.running_vm_count
        if hub:
            figures = hubs[c.id]
            available, lines = figures.available_gib, figures.explanation
            running_vms = figures.running.vm_count
            cap = ash_vm_capacity(c.nodes, per_node=per_node, per_stamp=per_stamp)
            vm_limit, vm_text = int(cap.value), cap.explanation[0]
        rows = standby[c.id]
        out.append(
            CloudCapacity(
                id=c.id,
                name=c.name,
                kind=c.kind,
                kind_label=c.get_kind_display(),
                apps=len(rows),
                standby_vms=sum(a["result__protected_vm_count"] or 0 for a in rows),
                standby_memory_gib=sum(a["result__standby_memory_gib"] or 0.0 for a in rows),
                standby_vcpu=sum(a["result__standby_vcpu"] or 0.0 for a in rows),
                replica_apps=len(replicas[c.id]),
                replica_gib=sum(a["result__replica_gib"] or 0.0 for a in replicas[c.id]),
                bandwidth_mbps=sum(a["result__bandwidth_mbps"] or 0.0 for a in replicas[c.id]),
                running_vms=running_vms,
                memory_available_gib=available,
                memory_explanation=tuple(lines),
                vm_limit=vm_limit,
                vm_limit_explanation=vm_text,
            )
        )
    out.sort(key=lambda c: (not c.deficit, not c.is_hub, c.name))
    return out
