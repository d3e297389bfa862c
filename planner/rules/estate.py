"""Helpers for the caller that evaluates a whole estate: the capability of each app, and the
cross-app dependency maps each app's ``RuleContext`` needs (both sides of a shared dependency).

Objectives roll up transitively: when app A's VM depends on app B's VM, which depends on app
C's VM, C's VM inherits the strictest of A's and B's objectives (a VM's effective objectives are
its app's, made stricter by every VM that depends on it, directly or not).
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from planner.facts import REPLICATING_SCHEMES, App, Vm
from planner.rules.bootorder import layer_vms
from planner.rules.capability import Capability, scheme_capability
from planner.rules.context import Dependent, ExternalVm, SizingFigures

__all__ = ["app_capability", "dependency_maps"]


def app_capability(
    app: App, limits: Mapping[str, float], sizing: SizingFigures | None = None
) -> Capability:
    """Capability of the app's chosen scheme, as ``evaluate`` computes it."""
    protected = app.protected_vms
    per_vm = sizing.vms if sizing is not None else {}
    used = sum(per_vm[v.id].used_gib if v.id in per_vm else v.used_gib for v in protected)
    groups = len(layer_vms(protected, max_groups=int(limits["boot.max_groups"])).groups)
    return scheme_capability(
        app, app.scheme, groups, used_gib=used, replication_mbps=replication_mbps(app, sizing)
    )


def replication_mbps(app: App, sizing: SizingFigures | None) -> float | None:
    """The replication bandwidth the link must carry, for a replicating scheme (None else)."""
    if sizing is None or app.scheme not in REPLICATING_SCHEMES:
        return None
    return sizing.bandwidth_mbps


def dependency_maps(
    apps: Iterable[App], capabilities: Mapping[int, Capability] | None = None
) -> tuple[dict[int, dict[int, tuple[Dependent, ...]]], dict[int, dict[int, ExternalVm]]]:
    """Per app id: ``dependents`` (its VM id -> other apps' VMs needing it) and
    ``external_vms`` (other apps' VM id -> ``ExternalVm``), ready for ``RuleContext``.

    ``capabilities``: app id -> capability of its chosen scheme (see ``app_capability``);
    missing apps get an unknown capability (an unprotected app: infinite).
    """
    apps = list(apps)
    caps = capabilities or {}
    owner: dict[int, App] = {}
    vm_of: dict[int, Vm] = {}
    for app in apps:
        for v in app.vms:
            owner[v.id] = app
            vm_of[v.id] = v
    # Effective objectives per VM, rolled up from the VMs that depend on it (fixpoint).
    eff = {vid: (owner[vid].rto_minutes, owner[vid].rpo_minutes) for vid in owner}
    users: dict[int, list[int]] = {}
    for vid, v in vm_of.items():
        for dep in v.depends_on:
            if dep in owner and dep != vid:
                users.setdefault(dep, []).append(vid)
    work = list(users)
    while work:
        nxt: set[int] = set()
        for dep in work:
            rto, rpo = eff[dep]
            for user in users[dep]:
                urto, urpo = eff[user]
                if urto < rto or urpo < rpo:
                    rto, rpo = min(rto, urto), min(rpo, urpo)
            if (rto, rpo) != eff[dep]:
                eff[dep] = (rto, rpo)
                nxt.update(d for d in vm_of[dep].depends_on if d in owner and d in users)
        work = list(nxt)
    dependents: dict[int, dict[int, list[Dependent]]] = {}
    external: dict[int, dict[int, ExternalVm]] = {}
    for app in apps:
        for v in app.vms:
            for dep in v.depends_on:
                provider = owner.get(dep)
                if provider is None or provider.id == app.id:
                    continue
                rto, rpo = eff[v.id]
                dependents.setdefault(provider.id, {}).setdefault(dep, []).append(
                    Dependent(app.id, app.name, rto, rpo, v.name, v.id)
                )
                pv = vm_of[dep]
                cap = caps.get(provider.id)
                if provider.scheme == "none":
                    crto: float | None = math.inf
                    crpo: float | None = math.inf
                elif cap is not None:
                    crto, crpo = cap.rto_minutes, cap.rpo_minutes
                else:
                    crto = crpo = None
                external.setdefault(app.id, {})[dep] = ExternalVm(
                    pv.name, provider.id, provider.name, provider.scheme, crto, crpo, pv.opted_in
                )
    return (
        {
            a: {
                vid: tuple(sorted(ds, key=lambda x: (x.app_name, x.vm_name)))
                for vid, ds in m.items()
            }
            for a, m in dependents.items()
        },
        external,
    )
