"""Dependency rules: cycles, start-up group merges, dependencies on unknown or unprotected VMs,
and shared dependencies across apps, on both sides:

- provider side: a VM of this app that other apps' VMs depend on inherits the strictest RTO and
  RPO among them (``ctx.dependents``); when this app cannot meet them → blocking;
- dependent side: a VM of this app depends on a VM of another app (``ctx.external_vms``) whose
  app cannot recover within this app's RTO / RPO → blocking (unknown capability → warning).

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from planner.facts import PROTECTING_SCHEMES, App, Vm
from planner.rules import _units as u
from planner.rules.bootorder import cycle_edges
from planner.rules.findings import Finding, finding

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    by_id = {v.id: v for v in app.vms}
    lay = d.all_layers
    if lay.cycle:
        parts = [
            f"{u.names([by_id[v].name for v in c])} ({cycle_edges(c, lay.deps, by_id)})"
            for c in lay.cycles
        ]
        yield finding(
            "DEPENDENCY_CYCLE",
            app.id,
            f"dependency cycle: {'; '.join(parts)} — no start-up order can satisfy it",
            vm_ids=lay.cycle,
        )
    protecting = app.scheme in PROTECTING_SCHEMES
    if protecting and d.layers.layers > d.max_groups:
        yield finding(
            "BOOT_GROUPS_MERGED",
            app.id,
            f"{d.layers.layers} dependency layers for at most {d.max_groups} start-up groups: "
            + "; ".join(d.layers.notes),
        )
    unknown: dict[int, list[int]] = {}
    needs: dict[int, list[int]] = {}
    for vid, ext in lay.external:
        (needs if ext in ctx.external_vms else unknown).setdefault(ext, []).append(vid)
    if unknown:
        users = sorted({vid for vids in unknown.values() for vid in vids})
        yield finding(
            "DEPENDENCY_UNKNOWN_VM",
            app.id,
            f"{u.names([by_id[v].name for v in users])} depend(s) on VM id(s) "
            f"{', '.join(str(e) for e in sorted(unknown))}, which the planner does not know",
            vm_ids=users,
        )
    if protecting:
        yield from _unprotected(app, by_id, d)
        yield from _prerequisites(app, ctx, by_id, needs)
    yield from _shared(app, ctx, by_id, d)


def _unprotected(app: App, by_id: Mapping[int, Vm], d: Derived) -> Iterator[Finding]:
    bad = []
    for v in d.protected:
        for dep in v.depends_on:
            other = by_id.get(dep)
            if other is not None and not other.opted_in and other.id != v.id:
                bad.append((v, other))
    if bad:
        yield finding(
            "DEPENDENCY_ON_UNPROTECTED_VM",
            app.id,
            "protected VMs depend on VMs that are not opted in and will not be recovered: "
            + ", ".join(f"'{v.name}' needs '{o.name}'" for v, o in bad),
            vm_ids=sorted({v.id for v, _ in bad} | {o.id for _, o in bad}),
        )


def _prerequisites(
    app: App, ctx: RuleContext, by_id: Mapping[int, Vm], needs: dict[int, list[int]]
) -> Iterator[Finding]:
    if not needs:
        return
    listed = []
    for ext_id in sorted(
        needs, key=lambda e: (ctx.external_vms[e].app_name, ctx.external_vms[e].name)
    ):
        ext = ctx.external_vms[ext_id]
        users = sorted(needs[ext_id])
        user_names = u.names([by_id[v].name for v in users])
        listed.append(f"'{ext.name}' of app '{ext.app_name}' (needed by {user_names})")
        if ext.scheme not in PROTECTING_SCHEMES or not ext.opted_in:
            why = "is not protected" if ext.opted_in else "is not opted in"
            rto = rpo = math.inf
        else:
            why = f"uses {u.scheme(ext.scheme)}"
            known_rto, known_rpo = ext.rto_capability_minutes, ext.rpo_capability_minutes
            if known_rto is None or known_rpo is None:
                yield finding(
                    "DEPENDENCY_PREREQUISITE_UNVERIFIED",
                    app.id,
                    f"{user_names} depend(s) on '{ext.name}' of app '{ext.app_name}' ({why}), "
                    "whose recovery capability is not known yet",
                    vm_ids=users,
                )
                continue
            rto, rpo = known_rto, known_rpo
        if rto > app.rto_minutes or rpo > app.rpo_minutes:
            yield finding(
                "DEPENDENCY_PREREQUISITE_AT_RISK",
                app.id,
                f"{user_names} depend(s) on '{ext.name}' of app '{ext.app_name}', which {why}: "
                f"it recovers in {u.dur_with_minutes(rto)} losing up to {u.dur_with_minutes(rpo)}, "
                f"but this app needs RTO {u.dur_with_minutes(app.rto_minutes)} and RPO "
                f"{u.dur_with_minutes(app.rpo_minutes)}",
                vm_ids=users,
            )
    yield finding(
        "DEPENDENCY_EXTERNAL_PREREQUISITES",
        app.id,
        "before failover these VMs of other apps must run in the recovery environment: "
        + "; ".join(listed),
        vm_ids=sorted({v for vids in needs.values() for v in vids}),
    )


def _shared(app: App, ctx: RuleContext, by_id: Mapping[int, Vm], d: Derived) -> Iterator[Finding]:
    if not ctx.dependents:
        return
    protecting = app.scheme in PROTECTING_SCHEMES
    cap = d.capability
    for vm_id in sorted(ctx.dependents):
        deps = ctx.dependents[vm_id]
        vm = by_id.get(vm_id)
        if vm is None or not deps:
            continue
        strict_rto = min(x.rto_minutes for x in deps)
        strict_rpo = min(x.rpo_minutes for x in deps)
        who_rto = min(deps, key=lambda x: (x.rto_minutes, x.app_name))
        who_rpo = min(deps, key=lambda x: (x.rpo_minutes, x.app_name))
        if protecting and vm.opted_in:
            rto, rpo = cap.rto_minutes, cap.rpo_minutes
            why = (
                f"{u.scheme(app.scheme)} recovers it in {u.dur_with_minutes(rto)} losing up to "
                f"{u.dur_with_minutes(rpo)}"
            )
        else:
            rto = rpo = math.inf
            why = "it is not protected (unrecoverable, complete data loss)"
        users = ", ".join(sorted({f"'{x.vm_name}' of '{x.app_name}'" for x in deps}))
        parts = []
        if strict_rto < app.rto_minutes or rto > strict_rto:
            parts.append(f"RTO {u.dur_with_minutes(strict_rto)} (from '{who_rto.app_name}')")
        if strict_rpo < app.rpo_minutes or rpo > strict_rpo:
            parts.append(f"RPO {u.dur_with_minutes(strict_rpo)} (from '{who_rpo.app_name}')")
        inherited = f"'{vm.name}' is needed by {users} and inherits {' and '.join(parts)}"
        if rto > strict_rto or rpo > strict_rpo:
            yield finding(
                "DEPENDENCY_SHARED_NOT_MET",
                app.id,
                f"{inherited}; {why}",
                vm_ids=[vm_id],
            )
        elif strict_rto < app.rto_minutes or strict_rpo < app.rpo_minutes:
            yield finding(
                "DEPENDENCY_SHARED_INHERITED",
                app.id,
                f"{inherited}, stricter than the app's own; {why}: met",
                vm_ids=[vm_id],
            )
