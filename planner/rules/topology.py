"""Topology and sovereignty rules: the seed's "Recommended topologies" table, one code per row
and verdict; the recovery target in another cloud and datacenter ("Source/target
combinations"); data sovereignty for recovery and backup targets.
Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.facts import PROTECTING_SCHEMES, REPLICATING_SCHEMES, App, Cloud
from planner.rules import _units as u
from planner.rules.eligibility import (
    backup_country_reason,
    backup_kind_reason,
    backup_on_source_cloud,
    cloud_country_reason,
    cloud_kind_reason,
    same_cloud,
    same_site,
)
from planner.rules.findings import Finding, finding

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived

# The seed's "Source/target combinations" table: (source operator, target column) -> cell.
COMBINATIONS = {
    ("csp", "azure"): "User VMs are deployed to the CSP-operated Azure Stack Hub. User VMs are "
    "restored from backup or failed over directly to Azure.",
    ("csp", "csp"): "CSP operates the primary and secondary instances of Azure Stack Hub in "
    "their own datacenters. User VMs are restored or failed over between the two Azure Stack "
    "Hub instances.",
    ("csp", "customer"): "CSP operates Azure Stack Hub in the primary site. Customer's "
    "datacenter is the restore or failover target.",
    ("customer", "azure"): "User VMs are deployed to the customer-operated Azure Stack Hub. User "
    "VMs are restored from backup or failed over directly to Azure.",
    ("customer", "csp"): "Customer operates Azure Stack Hub in the primary site. CSP's "
    "datacenter is the restore or failover target.",
    ("customer", "customer"): "Customer operates the primary and secondary instances of Azure "
    "Stack Hub in their own datacenters. User VMs are restored or failed over between the two "
    "Azure Stack Hub instances.",
}


def combination_key(source: Cloud, target: Cloud) -> tuple[str, str]:
    src = "csp" if source.operated_by == "csp" else "customer"
    if target.kind == "azure":
        col = "azure"
    elif target.kind == "service_provider" or target.operated_by == "csp":
        col = "csp"
    else:
        col = "customer"
    return src, col


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    scheme = app.scheme
    if scheme not in PROTECTING_SCHEMES:
        return
    yield from _backup_target(app, ctx, d)
    yield from _recovery_target(app)


def _backup_target(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    bt = app.backup_target
    if bt is None:
        if app.scheme == "backup_restore":
            yield finding(
                "TOPOLOGY_NO_BACKUP_TARGET",
                app.id,
                f"'{app.name}' is protected by backup-restore but has no backup target",
            )
        return
    kind_reason = backup_kind_reason(app, bt)
    country_reason = backup_country_reason(app, bt)
    if kind_reason:
        yield finding("SOVEREIGNTY_BACKUP_KIND", app.id, kind_reason)
    if country_reason:
        yield finding("SOVEREIGNTY_BACKUP_COUNTRY", app.id, country_reason)
    on_source = backup_on_source_cloud(app, bt)
    src_name = app.source_cloud.name if app.source_cloud else "the source cloud"
    if bt.kind == "rack_appliance":
        yield finding(
            "TOPOLOGY_RACK_APPLIANCE",
            app.id,
            f"backup target '{bt.name}' is a physical appliance in the Azure Stack Hub rack: not "
            "supported (nothing else may be connected to the top-of-rack switches)",
        )
    elif on_source:
        if bt.continuous_external_copy:
            yield finding(
                "TOPOLOGY_SAME_CLOUD_BACKUP_COPIED",
                app.id,
                f"backup target '{bt.name}' runs on '{src_name}', the app's own cloud; all its "
                "data is continuously copied to an external location, which makes it acceptable",
            )
        else:
            yield finding(
                "TOPOLOGY_SAME_CLOUD_BACKUP",
                app.id,
                f"backup target '{bt.name}' runs on '{src_name}', the app's own cloud: not "
                "recommended — unplanned downtime of the cloud keeps you from both the primary "
                "and the backup data",
            )
    elif bt.kind in ("existing_external", "dedicated_external"):
        code = (
            "TOPOLOGY_BACKUP_EXISTING_EXTERNAL"
            if bt.kind == "existing_external"
            else "TOPOLOGY_BACKUP_DEDICATED_EXTERNAL"
        )
        what = (
            "an external target already deployed in your datacenter"
            if bt.kind == "existing_external"
            else "an external target dedicated to Azure Stack Hub"
        )
        size = ""
        if ctx.sizing is not None and ctx.sizing.backup_gib:
            size = f" (this app needs {u.gib(ctx.sizing.backup_gib)} on it)"
        yield finding(
            code,
            app.id,
            f"backup target '{bt.name}' is {what}: recommended. Size it for the additional VMs"
            f"{size} and keep it out of close proximity to the source",
        )
        if same_site(app, bt.site_id):
            yield finding(
                "TOPOLOGY_BACKUP_CLOSE_PROXIMITY",
                app.id,
                f"backup target '{bt.name}' is in the same datacenter as '{src_name}': the seed "
                "asks that backup infrastructure is not in close proximity to the source",
            )
    elif bt.kind in ("azure", "service_provider") and not kind_reason and not country_reason:
        where = "global Azure" if bt.kind == "azure" else "a trusted service provider"
        yield finding(
            "TOPOLOGY_BACKUP_AZURE_OR_SP",
            app.id,
            f"backup target '{bt.name}' stores backups directly in {where}: recommended, as the "
            "app's data sovereignty and privacy rules allow it",
        )


def _recovery_target(app: App) -> Iterator[Finding]:
    rt = app.recovery_target
    scheme = app.scheme
    replicating = scheme in REPLICATING_SCHEMES
    if rt is None:
        if replicating:
            yield finding(
                "TOPOLOGY_NO_RECOVERY_TARGET",
                app.id,
                f"'{app.name}' uses {u.scheme(scheme)} but has no recovery target to fail over to",
            )
        return
    src = app.source_cloud
    if same_cloud(app, rt):
        if replicating:
            yield finding(
                "TOPOLOGY_SAME_CLOUD_TARGET",
                app.id,
                f"the recovery target '{rt.name}' is the source cloud: each Azure Stack Hub is "
                "deployed to one datacenter and a separate environment is required to recover",
            )
        else:
            yield finding(
                "TOPOLOGY_RESTORE_TO_SOURCE",
                app.id,
                f"backups are restored to '{rt.name}', the source cloud: this recovers lost data "
                "but not the app when the cloud is offline for an extended time",
            )
        return
    problems = False
    # same_site() is only true with a source cloud: "?" is never written.
    src_name = src.name if src is not None else "?"
    if same_site(app, rt.site_id) and not replicating:
        yield finding(
            "TOPOLOGY_RESTORE_SAME_SITE",
            app.id,
            f"backups are restored to '{rt.name}', in the same datacenter "
            f"('{rt.site_name or rt.site_id}') as the source '{src_name}': this recovers from "
            "the loss of the cloud but not of the datacenter",
        )
    elif same_site(app, rt.site_id):
        problems = True
        yield finding(
            "TOPOLOGY_SAME_SITE_TARGET",
            app.id,
            f"the recovery target '{rt.name}' is in the same datacenter "
            f"('{rt.site_name or rt.site_id}') as the source '{src_name}': the recovery "
            "environment must be in a different datacenter",
        )
    reason = cloud_kind_reason(app, rt)
    if reason:
        problems = True
        yield finding("SOVEREIGNTY_TARGET_KIND", app.id, reason)
    reason = cloud_country_reason(app, rt)
    if reason:
        problems = True
        yield finding("SOVEREIGNTY_TARGET_COUNTRY", app.id, reason)
    if problems:
        return
    if replicating:
        if rt.kind == "azure_stack_hub":
            yield finding(
                "TOPOLOGY_REPLICATE_SEPARATE_ASH",
                app.id,
                f"{u.scheme(scheme)} to '{rt.name}', a separate Azure Stack Hub: recommended. The second "
                "Azure Stack Hub must be fully operational to avoid extended app downtime",
            )
        else:
            where = "global Azure" if rt.kind == "azure" else "a trusted service provider"
            yield finding(
                "TOPOLOGY_REPLICATE_AZURE_OR_SP",
                app.id,
                f"{u.scheme(scheme)} to '{rt.name}' in {where}: recommended, as the app's data sovereignty "
                "and privacy rules allow it",
            )
    if src is not None and src.kind == "azure_stack_hub":
        key = combination_key(src, rt)
        yield finding(
            "TOPOLOGY_COMBINATION",
            app.id,
            f"source '{src.name}' (Azure Stack Hub operated by {key[0]}) → target '{rt.name}': "
            f"{COMBINATIONS[key]}",
            remedy="",
        )
