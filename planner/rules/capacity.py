"""Capacity rules: the backup target's storage and nightly ingest (estate-wide), the target
Azure Stack Hub's memory and VM count (the ASH compute capacity planning figures), and the
limits of Azure Site Recovery on Azure Stack Hub. Every limit is read from ``ctx.limits``.
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.facts import REPLICATING_SCHEMES, App, Cloud
from planner.rules import _units as u
from planner.rules.capability import link_backlog, usable_link
from planner.rules.eligibility import same_cloud
from planner.rules.findings import Finding, finding

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived

_EPS = 1e-9
ASH = "azure_stack_hub"


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    yield from _vm_sizes(app)
    if app.scheme == "none":
        return
    yield from _link(app, ctx)
    yield from _backup_target(app, ctx)
    yield from _backup_window(app, ctx)
    rt = app.recovery_target
    if (
        rt is not None
        and rt.kind == ASH
        and app.scheme in REPLICATING_SCHEMES
        and not same_cloud(app, rt)
    ):
        yield from _target_hub(app, ctx, rt)
        src = app.source_cloud
        if app.uses_asr and src is not None:
            yield from _asr(app, ctx, d, src, rt)


def _vm_sizes(app: App) -> Iterator[Finding]:
    """VMs whose size is not in the catalog: their compute is unknown, never counted as 0."""
    unknown = [v for v in app.vms if not v.size_known]
    if not unknown:
        return
    shown = ", ".join(f"'{v.name}'" + (f" (size '{v.size}')" if v.size else "") for v in unknown)
    yield finding(
        "VM_SIZE_UNKNOWN",
        app.id,
        f"{u.plural(len(unknown), 'VM')} of '{app.name}' {'has' if len(unknown) == 1 else 'have'} "
        f"a size not in the VM size catalog, so vCPU and memory are unknown (stand-by compute "
        f"and the hubs' running memory leave them out): {shown}",
        vm_ids=[v.id for v in unknown],
    )


def _link(app: App, ctx: RuleContext) -> Iterator[Finding]:
    """Replication bandwidth needed against the usable link (DESIGN §4)."""
    if app.scheme not in REPLICATING_SCHEMES or ctx.sizing is None:
        return
    needed = ctx.sizing.bandwidth_mbps
    backlog = link_backlog(app, needed) if needed > 0 else None
    if backlog is None:
        return
    yield finding(
        "LINK_TOO_SLOW_FOR_RPO",
        app.id,
        f"'{app.name}' needs {u.mbps(needed)} of link for {u.scheme(app.scheme)}: {backlog[1]}; "
        f"the RPO {u.dur_with_minutes(app.rpo_minutes)} cannot be met",
    )


def _backup_window(app: App, ctx: RuleContext) -> Iterator[Finding]:
    """One backup run must fit the window at min(usable link, target ingest) (DESIGN §4)."""
    bt = app.backup_target
    if app.scheme != "backup_restore" or bt is None or ctx.sizing is None:
        return
    gib = ctx.sizing.backup_run_gib
    if gib <= 0:
        return
    a = app.assumptions
    link, how = usable_link(a)
    interval_h = (app.policy.interval_minutes if app.policy else 1440) / 60
    window = min(bt.window_hours, interval_h) if bt.window_hours > 0 else interval_h
    rate = min(link, bt.ingest_mbps) if bt.ingest_mbps > 0 else link
    if rate <= 0:
        return
    hours = gib * a.wire_ratio * u.MBIT_PER_GIB / rate / 3600
    if hours <= window + _EPS:
        return
    ingest = f", target ingest {u.mbps(bt.ingest_mbps)}" if bt.ingest_mbps > 0 else ""
    yield finding(
        "BACKUP_WINDOW_EXCEEDED",
        app.id,
        f"one backup run moves {u.gib(gib)}; at min(usable link {how}{ingest}) = {u.mbps(rate)} "
        f"it takes {u.gib(gib)} × {u.num(a.wire_ratio, 2)} × {u.num(u.MBIT_PER_GIB, 2)} Mbit/GiB "
        f"÷ {u.mbps(rate)} ÷ 3,600 s/h = {u.hours(hours)}, longer than the "
        f"{u.hours(window)} window of '{bt.name}'",
    )


def _backup_target(app: App, ctx: RuleContext) -> Iterator[Finding]:
    bt = app.backup_target
    if bt is None:
        return
    load = ctx.target_loads.get(bt.id)
    if load is None:
        return
    apps = f" for {u.plural(load.apps, 'app')}{load.basis}" if load.apps else ""
    if bt.capacity_gib > 0:
        free = bt.capacity_gib - bt.used_gib
        if load.needed_gib > free + _EPS:
            yield finding(
                "CAPACITY_BACKUP_STORAGE",
                app.id,
                f"backup target '{bt.name}' needs {u.gib(load.needed_gib)} estate-wide{apps}, "
                f"but has {u.gib(bt.capacity_gib)} capacity − {u.gib(bt.used_gib)} used = "
                f"{u.gib(free)} free: {u.gib(load.needed_gib - free)} short",
            )
    if bt.ingest_mbps > 0 and bt.window_hours > 0:
        night = u.gib_moved(bt.ingest_mbps, bt.window_hours)
        if load.nightly_ingest_gib > night + _EPS and night > 0:  # 0: 5e-324 Mbit/s underflows
            yield finding(
                "CAPACITY_BACKUP_INGEST",
                app.id,
                f"backup target '{bt.name}' must ingest {u.gib(load.nightly_ingest_gib)} a night "
                f"estate-wide{apps}, but {u.mbps(bt.ingest_mbps)} × {u.hours(bt.window_hours)} "
                f"window = {u.gib(night)}: {u.num(load.nightly_ingest_gib / night * 100, 0)} % "
                "of the window",
            )


def _target_hub(app: App, ctx: RuleContext, rt: Cloud) -> Iterator[Finding]:
    load = ctx.cloud_loads.get(rt.id)
    if load is None:
        return
    apps = f" for {u.plural(load.apps, 'app')}{load.basis}" if load.apps else ""
    counted = f" ({'; '.join(load.explanation)})" if load.explanation else ""
    if load.standby_memory_gib > load.available_memory_gib + _EPS:
        yield finding(
            "CAPACITY_ASH_MEMORY",
            app.id,
            f"target hub '{rt.name}' needs {u.gib(load.standby_memory_gib)} of memory for stand-by "
            f"VMs estate-wide{apps}, but only {u.gib(load.available_memory_gib)} is available for "
            f"tenant VMs: {u.gib(load.standby_memory_gib - load.available_memory_gib)} short"
            f"{counted}",
        )
    stamp = ctx.limit("ash.max_vms_per_stamp")
    per_node = ctx.limit("ash.max_vms_per_node")
    limit = stamp
    how = f"{u.num(stamp, 0)} VMs per stamp"
    if rt.nodes > 0 and rt.nodes * per_node < stamp:
        limit = rt.nodes * per_node
        how = f"{rt.nodes} nodes × {u.num(per_node, 0)} VMs per node"
    running = rt.running_vm_count if load.running_vms is None else load.running_vms
    total = running + load.vm_count
    if total > limit:
        yield finding(
            "CAPACITY_ASH_VM_COUNT",
            app.id,
            f"target hub '{rt.name}' would hold {running:,} running + "
            f"{load.vm_count:,} stand-by VMs{apps} = {total:,}, over its limit of "
            f"{u.num(limit, 0)} ({how})",
        )


def _asr(app: App, ctx: RuleContext, d: Derived, src: Cloud, rt: Cloud) -> Iterator[Finding]:
    vms = d.protected
    if not vms:
        return
    max_disk = ctx.limit("asr_ash.max_disk_gib")
    for v in vms:
        big = [disk for disk in v.disks if disk.provisioned_gib > max_disk]
        if big:
            shown = ", ".join(f"'{disk.name}' ({u.gib(disk.provisioned_gib)})" for disk in big)
            yield finding(
                "ASR_DISK_TOO_LARGE",
                app.id,
                f"VM '{v.name}' has {u.plural(len(big), 'disk')} larger than the "
                f"{u.gib(max_disk)} Azure Site Recovery on Azure Stack Hub protects: {shown}",
                vm_ids=[v.id],
            )
    disks = sum(len(v.disks) for v in vms)
    max_reprotect = ctx.limit("asr_ash.max_reprotect_disks")
    if disks > max_reprotect:
        batches = math.ceil(disks / max_reprotect)
        yield finding(
            "ASR_REPROTECT_BATCHES",
            app.id,
            f"{u.plural(disks, 'disk')} in {u.plural(len(vms), 'VM')}: at most "
            f"{u.num(max_reprotect, 0)} disks are re-protected at once, so re-protection after "
            f"failover takes {batches} batches",
        )
    max_plan = ctx.limit("asr_ash.max_vms_per_plan")
    if len(vms) > max_plan:
        yield finding(
            "ASR_PLAN_SPLIT",
            app.id,
            f"{u.plural(len(vms), 'VM')} exceed the {u.num(max_plan, 0)} VMs of one recovery "
            f"plan: split into {math.ceil(len(vms) / max_plan)} plans",
        )
    per_appliance = ctx.limit("asr_ash.vms_per_appliance")
    appliances = ctx.sizing.asr_appliances if ctx.sizing and ctx.sizing.asr_appliances else 0
    if not appliances:
        appliances = math.ceil(len(vms) / per_appliance)
    vcpu = ctx.limit("asr_ash.appliance_vcpu")
    mem = ctx.limit("asr_ash.appliance_memory_gib")
    yield finding(
        "ASR_APPLIANCE_ON_SOURCE",
        app.id,
        f"{u.plural(appliances, 'ASR appliance VM')} on source hub '{src.name}': {appliances} × "
        f"{u.num(vcpu, 0)} vCPU, {u.gib(mem)} = {u.num(appliances * vcpu, 0)} vCPU, "
        f"{u.gib(appliances * mem)}; the ASR resource provider on target hub '{rt.name}' needs "
        f"{u.num(ctx.limit('asr_ash.rp_vcpu'), 0)} vCPU, {u.gib(ctx.limit('asr_ash.rp_memory_gib'))}"
        f" of memory and {u.gib(ctx.limit('asr_ash.rp_storage_gib'))} of storage",
    )
    if len(vms) > per_appliance:
        vaults = ctx.limit("asr_ash.vaults_per_appliance")
        yield finding(
            "ASR_MULTIPLE_APPLIANCES",
            app.id,
            f"{u.plural(len(vms), 'VM')} > {u.num(per_appliance, 0)} VMs one appliance was "
            f"tested with: {appliances} appliances, {u.num(vaults, 0)} vault each",
        )
