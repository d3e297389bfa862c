"""The recommended scheme: the cheapest candidate whose capability meets the objectives and the
constraints (DESIGN §5, last sentence).

A candidate is a scheme with one allowed target: ``none`` (no target), ``backup_restore`` with
each backup target, and each replicating scheme with each recovery cloud outside the source
cloud. The estate's targets come from the context, else the app's own choice. Each candidate
carries:

- its capability (``capability.scheme_capability`` as if the app chose that scheme and target);
- its monthly cost (``RuleContext.candidates``, computed by the sizing engine: public-cloud
  prices plus the operators' internal rates for on-premises capacity, 0 until set);
- whether it fits, and why not:
  - objectives: the capability meets the RTO and RPO, made stricter by what other apps' VMs
    that depend on this app's VMs need (``RuleContext.dependents``);
  - links: a replicating candidate's replication bandwidth (its sizing's) must fit the app's
    usable link, else its RPO is unbounded (the backlog grows) and the reason says by how much
    and what link would do (``capability.link_backlog``);
  - sovereignty and topology: the target is allowed (``eligibility``);
  - products: a product supports the scheme and every protected VM's OS (Linux: partner
    products only; no hypervisor-level product) — the catalog, else the app's own product;
  - high availability and fault tolerance need ``app.native_ha`` (the seed: "your app will need
    to support high availability natively or support the use of clustering software");
  - capacity: the backup target's free storage after the other apps' backups, the recovery
    hub's memory available for tenant VMs and its VM-count limit after the other apps' stand-by
    (the loads in ``RuleContext.target_loads`` / ``cloud_loads``, this app's own share taken
    out);
  - ``none`` only for a tier-4 (dev/test) app with a recorded decision; the decision waives the
    objectives.

The recommended candidate is the cheapest that fits; ties go to the lower RTO, then to the
scheme that keeps fewer resources running (``COST_RANK``), then to the app's own choice. When
the costs are not known (a context built without ``candidates``), candidates are ranked by
``COST_RANK`` first, and the reasons say so. Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from planner.facts import REPLICATING_SCHEMES, SCHEMES, App, BackupTarget, Cloud, Vm
from planner.rules import _units as u
from planner.rules.capability import Capability, link_backlog, scheme_capability
from planner.rules.context import CandidateFigures, RuleContext
from planner.rules.eligibility import (
    backup_target_reasons,
    cloud_reasons,
    product_reasons,
    same_cloud,
)

__all__ = [
    "COST_RANK",
    "Candidate",
    "Recommendation",
    "Target",
    "candidate_targets",
    "effective_objectives",
    "recommend_scheme",
]

COST_RANK = {s: i for i, s in enumerate(SCHEMES)}
_KEEPS_RUNNING = {
    "none": "nothing",
    "backup_restore": "backup storage only",
    "replication": "replica storage and reserved stand-by quota",
    "high_availability": "a stand-by deployment running in another cloud",
    "fault_tolerance": "a full active deployment in another cloud",
}
COST_LINE = (
    "the recommended candidate is the cheapest that fits (monthly cost from the price catalog: "
    "public prices plus the operators' internal rates for on-premises capacity); ties go to the "
    "lower RTO, then to the scheme that keeps fewer resources running: "
    + " < ".join(f"{s} ({_KEEPS_RUNNING[s]})" for s in SCHEMES)
)
RANK_LINE = (
    "costs not computed: candidates are ranked by the resources they keep running: "
    + " < ".join(f"{s} ({_KEEPS_RUNNING[s]})" for s in SCHEMES)
)
_EPS = 1e-9


class Target(NamedTuple):
    """Where a candidate recovers to: a backup target or a recovery cloud."""

    kind: str  # "backup_target" or "cloud"
    id: int
    name: str


class Candidate(NamedTuple):
    scheme: str
    capability: Capability
    ok: bool
    why: str
    target: Target | None = None
    monthly_cost: float | None = None
    cost_explanation: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.target is None:
            return u.scheme(self.scheme)
        return f"{u.scheme(self.scheme)} to '{self.target.name}'"

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "target": (
                None
                if self.target is None
                else {"kind": self.target.kind, "id": self.target.id, "name": self.target.name}
            ),
            "ok": self.ok,
            "why": self.why,
            "capability": self.capability.to_json(),
            "monthly_cost": (None if self.monthly_cost is None else round(self.monthly_cost, 2)),
            "cost_explanation": list(self.cost_explanation),
        }


@dataclass(frozen=True)
class Recommendation:
    """``scheme`` is "" when no candidate meets the objectives and constraints; ``chosen`` is
    the recommended candidate (None then)."""

    scheme: str
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    rto_minutes: float
    rpo_minutes: float
    chosen: Candidate | None = None

    def to_json(self) -> dict[str, Any]:
        c = self.chosen
        return {
            "scheme": self.scheme,
            "target": c.to_json()["target"] if c is not None else None,
            "monthly_cost": c.to_json()["monthly_cost"] if c is not None else None,
            "reasons": list(self.reasons),
            "rto_minutes": self.rto_minutes,
            "rpo_minutes": self.rpo_minutes,
            "candidates": [c.to_json() for c in self.candidates],
        }

    def current(self, app: App) -> Candidate | None:
        """The candidate that is the app's own choice of scheme and target, if listed."""
        own = _own_target(app, app.scheme)
        for c in self.candidates:
            if c.scheme == app.scheme and (c.target.id if c.target else 0) == (own or 0):
                return c
        return None


def effective_objectives(app: App, ctx: RuleContext) -> tuple[float, float, tuple[str, ...]]:
    """The app's RTO and RPO, made stricter by the apps whose VMs depend on its VMs."""
    rto, rpo = app.rto_minutes, app.rpo_minutes
    lines = [f"objectives: RTO {u.dur_with_minutes(rto)}, RPO {u.dur_with_minutes(rpo)}"]
    by_rto = by_rpo = None
    for vm_id, deps in ctx.dependents.items():
        for dep in deps:
            if dep.rto_minutes < rto:
                rto, by_rto = dep.rto_minutes, (vm_id, dep)
            if dep.rpo_minutes < rpo:
                rpo, by_rpo = dep.rpo_minutes, (vm_id, dep)
    names = {v.id: v.name for v in app.vms}
    for what, value, by in (("RTO", rto, by_rto), ("RPO", rpo, by_rpo)):
        if by is not None:
            vm_id, dep = by
            lines.append(
                f"{what} tightened to {u.dur_with_minutes(value)}: VM '{dep.vm_name}' of app "
                f"'{dep.app_name}' depends on '{names.get(vm_id, vm_id)}'"
            )
    return rto, rpo, tuple(lines)


def candidate_targets(
    app: App,
    scheme: str,
    clouds: Sequence[Cloud] = (),
    backup_targets: Sequence[BackupTarget] = (),
) -> list[BackupTarget | Cloud | None]:
    """The targets a scheme is tried with: every backup target (backup-restore) or every cloud
    outside the source cloud (replicating schemes) of the estate, else the app's own choice;
    ``[None]`` for ``none`` or when nothing is known. The sizing service sizes the same list."""
    if scheme == "none":
        return [None]
    items: list[BackupTarget | Cloud]
    if scheme == "backup_restore":
        own = app.backup_target
        items = list(backup_targets) or ([own] if own is not None else [])
    else:
        items = [c for c in clouds if not same_cloud(app, c)]
        if app.recovery_target is not None and all(c.id != app.recovery_target.id for c in items):
            items.append(app.recovery_target)
    by_name = sorted(items, key=lambda t: t.name)
    ordered: list[BackupTarget | Cloud | None] = [*by_name]
    return ordered or [None]


def _own_target(app: App, scheme: str) -> int | None:
    if scheme == "backup_restore":
        return app.backup_target.id if app.backup_target else None
    if scheme == "none":
        return None
    return app.recovery_target.id if app.recovery_target else None


def _vms(app: App) -> Sequence[Vm]:
    return app.protected_vms or app.vms


def _product_line(app: App, ctx: RuleContext, scheme: str, vms: Sequence[Vm]) -> tuple[bool, str]:
    products = list(ctx.products) or ([app.product] if app.product else [])
    if not products:
        return True, "no product chosen or listed: not checked"
    ordered = sorted(products, key=lambda p: (p != app.product, p.name))
    refused = []
    for p in ordered:
        reasons = product_reasons(p, scheme, vms)
        if not reasons:
            mine = " (the app's choice)" if p == app.product else ""
            return True, f"product '{p.name}'{mine} supports {u.scheme(scheme)} and the VMs' OS"
        refused.append(reasons[0])
    shown = "; ".join(refused[:3]) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")
    return False, f"no allowed product: {shown}"


def _backup_capacity(
    app: App, ctx: RuleContext, t: BackupTarget, fig: CandidateFigures | None
) -> str | None:
    """Why target ``t`` cannot hold this app's backups besides the other apps' (None: it can)."""
    if fig is None or t.capacity_gib <= 0:
        return None
    load = ctx.target_loads.get(t.id)
    others = load.needed_gib if load is not None else 0.0
    own = app.backup_target is not None and app.backup_target.id == t.id
    if own and app.scheme == "backup_restore" and ctx.sizing is not None:
        others = max(0.0, others - ctx.sizing.backup_gib)
    free = t.capacity_gib - t.used_gib - others
    if fig.backup_gib > free + _EPS:
        return (
            f"backup target '{t.name}' has {u.gib(max(free, 0.0))} free after the other apps' "
            f"{u.gib(others)}, this app needs {u.gib(fig.backup_gib)}"
        )
    return None


def _hub_capacity(app: App, ctx: RuleContext, c: Cloud, fig: CandidateFigures | None) -> list[str]:
    """Why hub ``c`` cannot take this app's stand-by besides the other apps' (empty: it can)."""
    if fig is None or c.kind != "azure_stack_hub" or not fig.standby_memory_gib:
        return []
    load = ctx.cloud_loads.get(c.id)
    if load is None:
        return []
    mem, vms = load.standby_memory_gib, load.vm_count
    own = app.recovery_target is not None and app.recovery_target.id == c.id
    if own and ctx.sizing is not None and ctx.sizing.standby_memory_gib > 0:
        mem = max(0.0, mem - ctx.sizing.standby_memory_gib)
        vms = max(0, vms - len(ctx.sizing.vms))
    out = []
    if mem + fig.standby_memory_gib > load.available_memory_gib + _EPS:
        out.append(
            f"hub '{c.name}' has {u.gib(max(load.available_memory_gib - mem, 0.0))} of memory "
            f"left for stand-by VMs after the other apps' {u.gib(mem)}, this app needs "
            f"{u.gib(fig.standby_memory_gib)}"
        )
    stamp = ctx.limit("ash.max_vms_per_stamp")
    per_node = ctx.limit("ash.max_vms_per_node")
    limit = min(stamp, c.nodes * per_node) if c.nodes > 0 else stamp
    total = c.running_vm_count + vms + fig.standby_vm_count
    if total > limit:
        out.append(
            f"hub '{c.name}' would hold {total:,} VMs ({c.running_vm_count:,} running + {vms:,} "
            f"stand-by of other apps + {fig.standby_vm_count:,}), over its limit of "
            f"{u.num(limit, 0)}"
        )
    return out


def _candidate(
    app: App,
    ctx: RuleContext,
    scheme: str,
    target: Any,
    rto: float,
    rpo: float,
    boot_groups: int,
    used: float,
    product: tuple[bool, str],
) -> Candidate:
    if scheme == "backup_restore" and target is not None:
        as_chosen = replace(app, scheme=scheme, backup_target=target)
        ref = Target("backup_target", target.id, target.name)
    elif scheme != "none" and target is not None:
        as_chosen = replace(app, scheme=scheme, recovery_target=target)
        ref = Target("cloud", target.id, target.name)
    else:
        as_chosen, ref = replace(app, scheme=scheme), None
    fig: CandidateFigures | None = ctx.candidates.get((scheme, ref.id if ref else 0))
    needed = _replication_mbps(app, ctx, scheme, fig)
    cap = scheme_capability(as_chosen, scheme, boot_groups, used_gib=used, replication_mbps=needed)
    backlog = link_backlog(as_chosen, needed) if needed else None
    problems: list[str] = []
    good: list[str] = []
    if scheme == "none":
        if app.tier != 4:
            problems.append(f"only for tier-4 (dev/test) apps; this app is tier {app.tier}")
        if app.no_protection_decision is None:
            problems.append("no recorded decision to go without protection")
        else:
            dec = app.no_protection_decision
            good.append(
                f"decision recorded by {dec.by} on {dec.at:%Y-%m-%d} ({dec.why}); the "
                "objectives are waived"
            )
    else:
        if cap.rto_minutes > rto:
            problems.append(
                f"RTO capability {u.dur_with_minutes(cap.rto_minutes)} > {u.dur_with_minutes(rto)}"
            )
        if backlog is not None:
            problems.append(f"the link is too slow for any RPO: {backlog[1]}")
        elif cap.rpo_minutes > rpo:
            problems.append(
                f"RPO capability {u.dur_with_minutes(cap.rpo_minutes)} > {u.dur_with_minutes(rpo)}"
            )
        if not problems:
            good.append(
                f"RTO {u.dur_with_minutes(cap.rto_minutes)} ≤ {u.dur_with_minutes(rto)} and "
                f"RPO {u.dur_with_minutes(cap.rpo_minutes)} ≤ {u.dur_with_minutes(rpo)}"
            )
        if scheme in ("high_availability", "fault_tolerance") and not app.native_ha:
            problems.append("the app supports neither native HA nor clustering")
        if target is None:
            noun = "backup target" if scheme == "backup_restore" else "recovery target"
            good.append(f"no {noun} chosen or listed: not checked")
        else:
            if scheme == "backup_restore":
                refused = backup_target_reasons(app, target)
                full = _backup_capacity(app, ctx, target, fig)
                refused += [full] if full else []
            else:
                refused = cloud_reasons(app, target) + _hub_capacity(app, ctx, target, fig)
            if refused:
                problems.extend(refused)
            else:
                own = ref is not None and ref.id == _own_target(app, scheme)
                mine = " (the app's choice)" if own else ""
                good.append(f"target '{target.name}'{mine} is allowed and has room")
        ok, line = product
        (good if ok else problems).append(line)
    if fig is not None and fig.error:
        problems.append(f"could not be sized: {fig.error}")
    ok = not problems
    why = "; ".join(good) if ok else "; ".join(problems)
    cost = fig.monthly_cost if fig is not None and not fig.error else None
    if scheme == "none":
        cost = 0.0
    explanation = fig.cost_explanation if fig is not None else ()
    return Candidate(scheme, cap, ok, why, ref, cost, explanation)


def _replication_mbps(
    app: App, ctx: RuleContext, scheme: str, fig: CandidateFigures | None
) -> float | None:
    """The replication bandwidth a replicating candidate needs on the app's link: its own
    sizing's, else (costs not computed) the app's sizing when its chosen scheme replicates too
    (the same churn whatever the replicating scheme); None: not known, the link is not checked."""
    if scheme not in REPLICATING_SCHEMES:
        return None
    if fig is not None and fig.replication_mbps > 0:
        return fig.replication_mbps
    if ctx.sizing is not None and app.scheme in REPLICATING_SCHEMES and ctx.sizing.bandwidth_mbps:
        return ctx.sizing.bandwidth_mbps
    return None


def _money(value: float | None) -> str:
    return "cost unknown" if value is None else f"${value:,.2f}/month"


def recommend_scheme(
    app: App, ctx: RuleContext, boot_groups: int, used_gib: float
) -> Recommendation:
    """The cheapest candidate meeting the objectives and constraints (module docstring)."""
    rto, rpo, lines = effective_objectives(app, ctx)
    vms = _vms(app)
    products = {s: _product_line(app, ctx, s, vms) if s != "none" else (True, "") for s in SCHEMES}
    candidates = [
        _candidate(
            app,
            ctx,
            scheme,
            target,
            rto,
            rpo,
            boot_groups,
            used_gib,
            products[scheme],
        )
        for scheme in SCHEMES
        for target in candidate_targets(app, scheme, ctx.clouds, ctx.backup_targets)
    ]
    costed = bool(ctx.candidates)
    own = {s: _own_target(app, s) for s in SCHEMES}

    def rank(c: Candidate) -> tuple[Any, ...]:
        mine = c.scheme != app.scheme or (c.target.id if c.target else None) != own[c.scheme]
        finite_rto = c.capability.rto_minutes if math.isfinite(c.capability.rto_minutes) else 1e18
        if costed:
            cost = round(c.monthly_cost, 2) if c.monthly_cost is not None else math.inf
            return (cost, finite_rto, COST_RANK[c.scheme], mine, c.target.name if c.target else "")
        return (COST_RANK[c.scheme], finite_rto, mine, c.target.name if c.target else "")

    fitting = sorted((c for c in candidates if c.ok), key=rank)
    reasons = [*lines, COST_LINE if costed else RANK_LINE]
    chosen = fitting[0] if fitting else None
    fit = len(fitting)
    reasons.append(
        f"{u.plural(len(candidates), 'candidate')} (scheme × allowed target), {fit} "
        f"{'fits' if fit == 1 else 'fit'}"
    )
    if chosen is not None:
        reasons.append(
            f"{chosen.label}: recommended — {_money(chosen.monthly_cost)}, RTO "
            f"{u.dur_with_minutes(chosen.capability.rto_minutes)}; {chosen.why}"
        )
        unset = sorted({line for c in fitting for line in c.cost_explanation if "not set" in line})
        if unset:
            reasons.append(
                "on-premises capacity is priced at the operators' internal rates, and "
                + "; ".join(unset)
                + ": candidates on premises cost $0 a month until they are set, so equal costs "
                "go to the lower RTO"
            )
        cheaper = [
            c
            for c in sorted(candidates, key=rank)
            if not c.ok and rank(c) < rank(chosen) and c.scheme != "none"
        ]
        for c in cheaper[:5]:
            reasons.append(f"{c.label} ({_money(c.monthly_cost)}): ruled out — {c.why}")
        if len(cheaper) > 5:
            reasons.append(f"and {len(cheaper) - 5} more cheaper candidates ruled out")
    else:
        reasons.append(
            "no candidate meets the objectives and constraints: relax the RTO/RPO, enable "
            "native HA or clustering, allow another target kind or country, free capacity on a "
            "target, or add a target or product"
        )
    return Recommendation(
        chosen.scheme if chosen else "",
        tuple(reasons),
        tuple(candidates),
        rto,
        rpo,
        chosen,
    )
