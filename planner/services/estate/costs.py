"""Public-cloud cost of the estate month by month, by data target, by subscription and in all,
from the stored results."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from planner.services.estate.queries import sub_name, target_label

MONTHS = 36


@dataclass
class CostRow:
    """Public-cloud cost month by month (months 1..36, with growth) of a target or subscription."""

    dimension: str  # "data" (a target) or "sub"
    key: str
    name: str
    kind_label: str
    apps: int = 0
    months: list[float] = field(default_factory=lambda: [0.0] * MONTHS)
    prices_versions: Counter = field(default_factory=Counter)  # version -> paying apps

    def add(self, months: Iterable[float], share: float = 1.0) -> None:
        for i, v in enumerate(months):
            if i < MONTHS:
                self.months[i] += v * share

    def total(self, n: int) -> float:
        return sum(self.months[:n])

    @property
    def params(self) -> dict[str, str]:
        """The drill-down of its paying apps: for a subscription, those with VMs sized in it."""
        dimension = "billed_sub" if self.dimension == "sub" else self.dimension
        return {dimension: self.key, "is": "paying"}


def cost_rows(apps, targets, clouds, subs, vm_figures):
    """Cost by target, by subscription (each app's cost split by its VMs' share of its steady
    monthly cost, or by VM count when that is zero) and in all."""
    by_target: dict[str, CostRow] = {}
    by_sub: dict[int, CostRow] = {}
    total = [0.0] * MONTHS
    versions: Counter = Counter()
    shares = defaultdict(list)
    for app_id, sub_id, cost, n, *_ in vm_figures:
        shares[app_id].append((sub_id, cost or 0.0, n))
    for a in apps:
        months = a["result__detail__cost_by_month"] or []
        paying = (a["result__monthly_cost"] or 0) > 0
        if not paying and not any(months):
            continue
        for i, v in enumerate(months[:MONTHS]):
            total[i] += v
        if paying:
            versions[a["result__prices_version"]] += 1
        key = a["data_target"]
        if key:
            if key not in by_target:
                name, label = target_label(key, targets, clouds)
                by_target[key] = CostRow("data", key, name, label)
            by_target[key].add(months)
            by_target[key].apps += paying
            if paying:
                by_target[key].prices_versions[a["result__prices_version"]] += 1
        parts = shares.get(a["id"], [])
        weight = sum(c for _, c, _ in parts)
        count = sum(n for _, _, n in parts)
        for sub_id, c, n in parts:
            share = c / weight if weight > 0 else (n / count if count else 0.0)
            if sub_id not in by_sub:
                by_sub[sub_id] = CostRow("sub", str(sub_id), sub_name(subs[sub_id], clouds), "")
            by_sub[sub_id].add(months, share)
            by_sub[sub_id].apps += paying
            if paying:
                by_sub[sub_id].prices_versions[a["result__prices_version"]] += 1
    rows_t = sorted(by_target.values(), key=lambda r: (-r.total(MONTHS), r.name))
    rows_s = sorted(by_sub.values(), key=lambda r: (-r.total(MONTHS), r.name))
    return rows_t, rows_s, total, dict(versions)
