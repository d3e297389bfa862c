"""The recommended scheme: the cheapest one whose capability meets the objectives and the
constraints (DESIGN §5, last sentence).

Cost rank — schemes are ranked by the resources they keep running, after the seed's
descriptions of each option:

    none              nothing ("No recovery")
  < backup_restore    backup storage only; nothing runs on stand-by (active/passive)
  < replication       replica storage plus stand-by quota reserved on the target (active/passive
                      stand-by); VMs are powered on only at failover
  < high_availability the software deployed and running on stand-by in another cloud
                      (active/active stand-by)
  < fault_tolerance   a full second deployment serving requests (active/active)

Constraints, per scheme:
- objectives: the capability (``capability.scheme_capability``) meets the RTO and RPO, made
  stricter by what other apps' VMs that depend on this app's VMs need (``RuleContext.dependents``);
- sovereignty and topology: an allowed backup target (backup-restore) or an allowed recovery
  cloud in another datacenter (the replicating schemes) exists — the estate's candidates from
  the context, else the app's own choice;
- products: a product supports the scheme and every protected VM's OS (Linux: partner products
  only; no hypervisor-level product) — the catalog from the context, else the app's own product;
- high availability and fault tolerance need ``app.native_ha`` (the seed: "your app will need
  to support high availability natively or support the use of clustering software");
- ``none`` only for a tier-4 (dev/test) app with a recorded decision; the decision waives the
  objectives.
When nothing is known (no candidates and no choice), a constraint is not checked and the line
says so. Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from planner.facts import SCHEMES, App, Vm
from planner.rules import _units as u
from planner.rules.capability import Capability, scheme_capability
from planner.rules.context import RuleContext
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
    "schemes are tried cheapest first, ranked by the resources they keep running (after the "
    "seed's descriptions): " + " < ".join(f"{s} ({_KEEPS_RUNNING[s]})" for s in SCHEMES)
)


class Candidate(NamedTuple):
    scheme: str
    capability: Capability
    ok: bool
    why: str


@dataclass(frozen=True)
class Recommendation:
    """``scheme`` is "" when no scheme meets the objectives and constraints."""

    scheme: str
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    rto_minutes: float
    rpo_minutes: float

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "reasons": list(self.reasons),
            "rto_minutes": self.rto_minutes,
            "rpo_minutes": self.rpo_minutes,
            "candidates": [
                {"scheme": c.scheme, "ok": c.ok, "why": c.why, "capability": c.capability.to_json()}
                for c in self.candidates
            ],
        }


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


def _first_allowed(
    items: Sequence[Any],
    own: Any,
    reasons_of: Callable[[Any], Sequence[str]],
    noun: str,
    missing: str,
    fits: str = "is allowed",
) -> tuple[bool, str]:
    """(ok, line) for the first allowed candidate, the app's own choice first."""
    if not items:
        return True, missing
    ordered = sorted(items, key=lambda x: (x != own, x.name))
    refused = []
    for item in ordered:
        reasons = reasons_of(item)
        if not reasons:
            if own is not None and item == own:
                return True, f"{noun} '{item.name}' (the app's choice) {fits}"
            return True, f"{noun} '{item.name}' {fits}"
        refused.append(reasons[0])
    shown = "; ".join(refused[:3]) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")
    return False, f"no allowed {noun}: {shown}"


def _vms(app: App) -> Sequence[Vm]:
    return app.protected_vms or app.vms


def recommend_scheme(
    app: App, ctx: RuleContext, boot_groups: int, used_gib: float
) -> Recommendation:
    """The cheapest scheme meeting the objectives and constraints (module docstring)."""
    rto, rpo, lines = effective_objectives(app, ctx)
    reasons = [*lines, COST_LINE]
    vms = _vms(app)
    products = list(ctx.products) or ([app.product] if app.product else [])
    backup_targets = list(ctx.backup_targets) or ([app.backup_target] if app.backup_target else [])
    clouds = [c for c in ctx.clouds if not same_cloud(app, c)]
    if app.recovery_target is not None and app.recovery_target not in clouds:
        clouds.append(app.recovery_target)
    candidates: list[Candidate] = []
    chosen = ""
    for scheme in SCHEMES:
        cap = scheme_capability(app, scheme, boot_groups, used_gib=used_gib)
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
            if cap.rpo_minutes > rpo:
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
            if scheme == "backup_restore":
                ok, line = _first_allowed(
                    backup_targets,
                    app.backup_target,
                    lambda t: backup_target_reasons(app, t),
                    "backup target",
                    "no backup target chosen or listed: not checked (choose one outside the "
                    "source cloud)",
                )
            else:
                ok, line = _first_allowed(
                    clouds,
                    app.recovery_target,
                    lambda c: cloud_reasons(app, c),
                    "recovery target",
                    "no recovery target chosen or listed: not checked (choose a cloud in "
                    "another datacenter)",
                )
            (good if ok else problems).append(line)
            ok, line = _first_allowed(
                products,
                app.product,
                partial(product_reasons, scheme=scheme, vms=vms),
                "product",
                "no product chosen or listed: not checked",
                fits=f"supports {u.scheme(scheme)} and the VMs' OS",
            )
            (good if ok else problems).append(line)
        ok = not problems
        why = "; ".join(good) if ok else "; ".join(problems)
        candidates.append(Candidate(scheme, cap, ok, why))
        if not chosen:
            reasons.append(f"{u.scheme(scheme)}: {'chosen' if ok else 'ruled out'} — {why}")
            if ok:
                chosen = scheme
    if not chosen:
        reasons.append(
            "no scheme meets the objectives and constraints: relax the RTO/RPO, enable native "
            "HA or clustering, allow another target kind or country, or add a target or product"
        )
    return Recommendation(chosen, tuple(reasons), tuple(candidates), rto, rpo)
