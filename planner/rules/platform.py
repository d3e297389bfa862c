"""Product, operating system and scheme rules: the seed's "Considerations for IaaS VMs"
(Linux VMs: partner products only), "Backup-restore" (no hypervisor-level backup; API
snapshots), "Planning your backup strategy" (scale-set VMs are ephemeral), "High availability"
and "Fault tolerance" (native HA or clustering; scale sets), and a cheaper scheme that also
meets the objectives. Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.facts import PROTECTING_SCHEMES, App
from planner.rules import _units as u
from planner.rules.findings import Finding, finding
from planner.rules.recommend import COST_RANK

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    scheme = app.scheme
    if scheme not in PROTECTING_SCHEMES:
        return
    vms = d.protected
    p = app.product
    if p is None:
        yield finding(
            "PRODUCT_MISSING",
            app.id,
            f"'{app.name}' uses {u.scheme(scheme)} but no protection product is chosen, so OS and scheme "
            "support cannot be checked",
        )
    else:
        if p.level == "hypervisor":
            yield finding(
                "PRODUCT_HYPERVISOR_LEVEL",
                app.id,
                f"product '{p.name}' backs up at the hypervisor level: Azure Stack Hub doesn't "
                "support taking backups at the hypervisor level",
            )
        if scheme not in p.schemes:
            supported = ", ".join(u.scheme(s) for s in sorted(p.schemes)) or "no scheme"
            yield finding(
                "PRODUCT_SCHEME_UNSUPPORTED",
                app.id,
                f"product '{p.name}' does not support {u.scheme(scheme)} (it supports {supported})",
            )
        linux_ms = [v for v in vms if v.os_type == "linux"] if p.vendor == "microsoft" else []
        if linux_ms:
            yield finding(
                "PRODUCT_LINUX_MICROSOFT",
                app.id,
                f"{u.plural(len(linux_ms), 'Linux VM')} ({u.names([v.name for v in linux_ms])}) "
                f"would be protected by '{p.name}', a Microsoft product: for Linux-based VMs the "
                "only option is partner products",
                vm_ids=[v.id for v in linux_ms],
            )
        reported = {v.id for v in linux_ms}
        unsupported = [
            v
            for v in vms
            if v.id not in reported
            and (
                (v.os_type == "linux" and not p.supports_linux)
                or (v.os_type == "windows" and not p.supports_windows)
            )
        ]
        if unsupported:
            oses = ", ".join(sorted({v.os_type for v in unsupported}))
            yield finding(
                "PRODUCT_OS_UNSUPPORTED",
                app.id,
                f"product '{p.name}' does not support {oses}: "
                f"{u.names([v.name for v in unsupported])}",
                vm_ids=[v.id for v in unsupported],
            )
        if p.level == "api" and vms:
            yield finding(
                "PRODUCT_API_AGENT",
                app.id,
                f"product '{p.name}' snapshots VMs through the Azure Stack Hub storage and compute "
                f"APIs: the snapshots of {u.plural(len(vms), 'running VM')} need an in-guest agent "
                "to be consistent",
                vm_ids=[v.id for v in vms],
            )
    if scheme in ("high_availability", "fault_tolerance"):
        if not app.native_ha:
            yield finding(
                "SCHEME_NEEDS_NATIVE_HA",
                app.id,
                f"{u.scheme(scheme)} needs the app to support high availability natively or through "
                f"clustering software; '{app.name}' is not recorded as doing so",
            )
        loose = [v for v in vms if not v.scale_set]
        if loose:
            yield finding(
                "SCHEME_NO_SCALE_SET",
                app.id,
                f"{u.plural(len(loose), 'VM')} of an app protected by {u.scheme(scheme)} "
                f"{'is' if len(loose) == 1 else 'are'} not in a scale set "
                f"({u.names([v.name for v in loose])}): a node failure can take them down",
                vm_ids=[v.id for v in loose],
            )
    if scheme == "high_availability" and app.ha_replication == "synchronous":
        yield finding(
            "SCHEME_HA_SYNC_ASSUMED",
            app.id,
            "the HA capability counts RPO 0 because the app states synchronous replication; if "
            "it can only replicate asynchronously, state so and its RPO becomes the replication "
            "interval",
        )
    if scheme == "backup_restore":
        ephemeral = [v for v in vms if v.scale_set]
        if ephemeral:
            kept = [v for v in ephemeral if v.keep_in_backup]
            how = (
                f"{len(kept)} kept in backup storage by the owner, "
                f"{len(ephemeral) - len(kept)} left out of it"
                if kept
                else "left out of backup storage"
            )
            yield finding(
                "SCALESET_VM_BACKUP",
                app.id,
                f"{u.plural(len(ephemeral), 'scale-set VM')} opted into VM backup "
                f"({u.names([f'{v.name} in {v.scale_set}' for v in ephemeral])}; {how}): VMs in "
                "a scale set are ephemeral and can come and go without notice",
                vm_ids=[v.id for v in ephemeral],
            )
    rec = d.recommendation
    best, mine = rec.chosen, rec.current(app)
    if best is None or best == mine:
        return
    if ctx.candidates and mine is not None:
        if (
            best.monthly_cost is not None
            and mine.monthly_cost is not None
            and best.monthly_cost < mine.monthly_cost - 0.005
        ):
            yield finding(
                "SCHEME_CHEAPER_AVAILABLE",
                app.id,
                f"{best.label} costs ${best.monthly_cost:,.2f}/month, less than the chosen "
                f"{mine.label} at ${mine.monthly_cost:,.2f}/month, and also meets the objectives "
                f"and constraints: {best.why}",
            )
    elif COST_RANK[best.scheme] < COST_RANK[scheme]:
        yield finding(
            "SCHEME_CHEAPER_AVAILABLE",
            app.id,
            f"{u.scheme(best.scheme)} keeps fewer resources running than {u.scheme(scheme)} and "
            f"also meets the objectives: {best.why}",
        )
