"""Which recovery targets, backup targets and products an app may use.

Shared by the rules (one finding per reason) and the recommendation (one line per reason).
Every function returns the reason something is not allowed, or None when it is.
Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.facts import App, BackupTarget, Cloud, Product, Vm
from planner.rules import _units as u

_BACKUP_KIND_AS_CLOUD = {"azure": "azure", "service_provider": "service_provider"}


def _country(app: App, country: str, what: str) -> str | None:
    if not app.allowed_countries:
        return None
    allowed = ", ".join(sorted(app.allowed_countries))
    if not country:
        return f"{what} has no recorded country, so it cannot be shown to be in {allowed}"
    if country not in app.allowed_countries:
        return f"{what} is in {country}; the app's data may only go to {allowed}"
    return None


def cloud_kind_reason(app: App, cloud: Cloud) -> str | None:
    if cloud.kind in app.allowed_target_kinds:
        return None
    allowed = ", ".join(sorted(app.allowed_target_kinds)) or "none"
    return f"'{cloud.name}' is of kind {cloud.kind}, not allowed for this app (allowed: {allowed})"


def cloud_country_reason(app: App, cloud: Cloud) -> str | None:
    return _country(app, cloud.country, f"'{cloud.name}'")


def same_cloud(app: App, cloud: Cloud) -> bool:
    return app.source_cloud is not None and cloud.id == app.source_cloud.id


def same_site(app: App, site_id: int | None) -> bool:
    src = app.source_cloud
    return src is not None and src.site_id is not None and site_id == src.site_id


def cloud_reasons(app: App, cloud: Cloud) -> list[str]:
    """Why ``cloud`` cannot be the app's recovery target for failover (empty: it can)."""
    out = []
    if same_cloud(app, cloud):
        out.append(f"'{cloud.name}' is the source cloud")
    elif same_site(app, cloud.site_id):
        out.append(
            f"'{cloud.name}' is in the source's datacenter '{cloud.site_name or cloud.site_id}'"
        )
    for reason in (cloud_kind_reason(app, cloud), cloud_country_reason(app, cloud)):
        if reason:
            out.append(reason)
    return out


def backup_kind_reason(app: App, target: BackupTarget) -> str | None:
    kind = _BACKUP_KIND_AS_CLOUD.get(target.kind)
    if kind is None or kind in app.allowed_target_kinds:
        return None
    allowed = ", ".join(sorted(app.allowed_target_kinds)) or "none"
    return (
        f"backup target '{target.name}' stores the data in {kind.replace('_', ' ')}, "
        f"not allowed for this app (allowed: {allowed})"
    )


def backup_country_reason(app: App, target: BackupTarget) -> str | None:
    return _country(app, target.country, f"backup target '{target.name}'")


def backup_on_source_cloud(app: App, target: BackupTarget) -> bool:
    return target.kind == "same_cloud_appliance" or (
        app.source_cloud is not None
        and target.cloud_id is not None
        and target.cloud_id == app.source_cloud.id
    )


def backup_target_reasons(app: App, target: BackupTarget) -> list[str]:
    """Why ``target`` cannot hold the app's backups (empty: it can)."""
    out = []
    if target.kind == "rack_appliance":
        out.append(
            f"'{target.name}' is a physical appliance in the Azure Stack Hub rack: not supported"
        )
    elif backup_on_source_cloud(app, target) and not target.continuous_external_copy:
        out.append(
            f"'{target.name}' runs on the source cloud without a continuous external copy: "
            "the backups would be lost with the cloud"
        )
    for reason in (backup_kind_reason(app, target), backup_country_reason(app, target)):
        if reason:
            out.append(reason)
    return out


def product_reasons(product: Product, scheme: str, vms: Sequence[Vm]) -> list[str]:
    """Why ``product`` cannot protect ``vms`` with ``scheme`` (empty: it can)."""
    out = []
    if product.level == "hypervisor":
        out.append(
            f"'{product.name}' works at the hypervisor level, which Azure Stack Hub does not support"
        )
    if scheme not in product.schemes:
        out.append(f"'{product.name}' does not support {u.scheme(scheme)}")
    linux = any(v.os_type == "linux" for v in vms)
    windows = any(v.os_type == "windows" for v in vms)
    if linux and product.vendor == "microsoft":
        out.append(f"'{product.name}' is a Microsoft product and Linux VMs need a partner product")
    elif linux and not product.supports_linux:
        out.append(f"'{product.name}' does not support Linux")
    if windows and not product.supports_windows:
        out.append(f"'{product.name}' does not support Windows")
    return out
