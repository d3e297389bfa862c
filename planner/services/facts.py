"""Load an app's (or a chunk of apps') facts from the database with a bounded number of queries.

Whatever the number of apps or VMs: one query each for the apps (with their clouds, targets,
policy and product), the VMs, the disks, the dependencies, the drills and the tiers' service
levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from planner import facts
from planner.models import Application, Disk, Drill, TierServiceLevel, VirtualMachine


def cloud_facts(cloud) -> facts.Cloud | None:
    if cloud is None:
        return None
    site = cloud.site
    return facts.Cloud(
        id=cloud.id,
        name=cloud.name,
        kind=cloud.kind,
        operated_by=cloud.operated_by,
        site_id=cloud.site_id,
        site_name=site.name if site else "",
        country=site.country if site else "",
        nodes=cloud.nodes,
        memory_per_node_gib=cloud.memory_per_node_gib,
        largest_vm_gib=cloud.largest_vm_gib,
        running_tenant_gib=cloud.running_tenant_gib,
        running_vm_count=cloud.running_vm_count,
    )


def target_facts(t) -> facts.BackupTarget | None:
    if t is None:
        return None
    return facts.BackupTarget(
        id=t.id,
        name=t.name,
        kind=t.kind,
        site_id=t.site_id,
        country=t.site.country if t.site_id else (t.cloud.site.country if t.cloud_id else ""),
        cloud_id=t.cloud_id,
        capacity_gib=t.capacity_gib,
        used_gib=t.used_gib,
        ingest_mbps=t.ingest_mbps,
        streams=t.streams,
        window_hours=t.window_hours,
        continuous_external_copy=t.continuous_external_copy,
        restore_mbps=t.restore_mbps,
    )


def product_facts(p) -> facts.Product | None:
    if p is None:
        return None
    return facts.Product(
        id=p.id,
        name=p.name,
        vendor=p.vendor,
        supports_windows=p.supports_windows,
        supports_linux=p.supports_linux,
        schemes=p.schemes,
        level=p.level,
        reduction=p.data_reduction,
        chain=p.chain,
        full_every=p.full_every,
    )


def app_queryset():
    return Application.objects.select_related(
        "owner",
        "source_cloud__site",
        "recovery_target__site",
        "backup_target__site",
        "backup_target__cloud__site",
        "policy",
        "product",
        "no_protection_by",
    )


def tier_levels() -> dict[int, facts.TierObjectives]:
    """The operators' default objectives per tier (one query)."""
    return {t.tier: t.to_facts() for t in TierServiceLevel.objects.all()}


def app_facts(
    app: Application,
    vms: Iterable[facts.Vm],
    drills: Iterable[facts.Drill],
    tiers: dict[int, facts.TierObjectives] | None = None,
):
    """The facts of one app; ``app`` is an Application loaded by ``app_queryset()``; ``tiers``
    from ``tier_levels()`` (loaded here when not given)."""
    if tiers is None:
        tiers = tier_levels()
    decision = None
    if app.no_protection_why and app.no_protection_at:
        decision = facts.Decision(
            by=app.no_protection_by.username if app.no_protection_by else "",
            at=app.no_protection_at,
            why=app.no_protection_why,
        )
    return facts.App(
        id=app.id,
        name=app.name,
        owner=app.owner.username,
        tier=app.tier,
        rto_minutes=app.rto_minutes,
        rpo_minutes=app.rpo_minutes,
        mtpd_minutes=app.mtpd_minutes,
        scheme=app.scheme,
        source_cloud=cloud_facts(app.source_cloud),
        recovery_target=cloud_facts(app.recovery_target),
        backup_target=target_facts(app.backup_target),
        policy=app.policy.to_facts() if app.policy else None,
        product=product_facts(app.product),
        allowed_target_kinds=app.allowed_target_kinds,
        allowed_countries=app.countries,
        native_ha=app.native_ha,
        ha_replication=app.ha_replication,
        tier_objectives=tiers.get(app.tier),
        no_protection_decision=decision,
        vms=tuple(vms),
        drills=tuple(drills),
        manual_steps=tuple(s.strip() for s in app.manual_steps.splitlines() if s.strip()),
        assumptions=facts.Assumptions(
            link_mbps=app.link_mbps,
            delta_mbps=app.link_other_mbps,
            replication_interval_minutes=app.replication_interval_minutes,
            horizon_days=app.growth_horizon_days,
        ),
    )


def load_apps(app_ids: Iterable[int], failed: list | None = None) -> list[facts.App]:
    """Facts of the given apps, in id order: six queries whatever their size.

    With ``failed``, an app whose facts cannot be built is left out and ``(app id, message)``
    appended there, so one broken row does not stop a chunk."""
    app_ids = sorted(set(app_ids))
    apps = list(app_queryset().filter(id__in=app_ids).order_by("id"))
    vm_rows = list(
        VirtualMachine.objects.filter(application_id__in=app_ids)
        .order_by("application_id", "name")
        .values_list(
            "id",
            "application_id",
            "name",
            "os_type",
            "size__name",
            "size__vcpu",
            "size__memory_gib",
            "role",
            "scale_set",
            "opted_in",
            "change_rate",
            "growth_per_year",
            "boot_group",
            "restore_approach",
            "keep_in_backup",
            "no_protection_why",
            "no_protection_at",
            "no_protection_by__username",
        )
    )
    disks = defaultdict(list)
    for vm_id, name, prov, used, lun in (
        Disk.objects.filter(vm__application_id__in=app_ids)
        .order_by("vm_id", "lun", "name")
        .values_list("vm_id", "name", "provisioned_gib", "used_gib", "lun")
    ):
        disks[vm_id].append(facts.Disk(name, prov, used, os_disk=lun is None))
    deps = defaultdict(list)
    through = VirtualMachine.depends_on.through
    for src, dst in through.objects.filter(
        from_virtualmachine__application_id__in=app_ids
    ).values_list("from_virtualmachine_id", "to_virtualmachine_id"):
        deps[src].append(dst)
    drills = defaultdict(list)
    for app_id, started, restored, loss, kind in Drill.objects.filter(
        application_id__in=app_ids
    ).values_list("application_id", "started_at", "restored_at", "data_loss_minutes", "kind"):
        drills[app_id].append(facts.Drill(started, restored, loss, kind))
    vms_by_app = defaultdict(list)
    for (
        vm_id,
        app_id,
        name,
        os_type,
        size,
        vcpu,
        mem,
        role,
        scale_set,
        opted_in,
        change,
        growth,
        group,
        approach,
        keep,
        why,
        decided_at,
        decided_by,
    ) in vm_rows:
        vms_by_app[app_id].append(
            facts.Vm(
                id=vm_id,
                name=name,
                app_id=app_id,
                os_type=os_type,
                size=size or "",
                vcpu=vcpu or 0,
                memory_gib=mem or 0.0,
                role=role,
                scale_set=scale_set,
                opted_in=opted_in,
                disks=tuple(disks.get(vm_id, ())),
                change_rate=change,
                growth_per_year=growth,
                boot_group=group,
                depends_on=tuple(sorted(deps.get(vm_id, ()))),
                restore_approach=approach,
                keep_in_backup=keep,
                no_protection=(
                    facts.Decision(decided_by or "", decided_at, why)
                    if why and decided_at
                    else None
                ),
            )
        )
    tiers = tier_levels()
    if failed is None:
        return [app_facts(a, vms_by_app.get(a.id, ()), drills.get(a.id, ()), tiers) for a in apps]
    out = []
    for a in apps:
        try:
            out.append(app_facts(a, vms_by_app.get(a.id, ()), drills.get(a.id, ()), tiers))
        except Exception as exc:  # a broken row names its app; the others are still sized
            failed.append((a.id, f"{a.name}: its facts could not be read: {_reason(exc)}"))
    return out


def _reason(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:500]
