"""Reference data that ships with the product: VM sizes, products, prices and limits.

Loaded by the data migration 0002 and by `seed_demo`; idempotent (update_or_create by key).
"""

from __future__ import annotations

import csv
from pathlib import Path

from planner import catalog_defaults

DATA_DIR = Path(__file__).resolve().parent / "data"
VM_SIZES_SOURCE = (
    "VM sizes supported in Azure Stack Hub (azure-stack-docs, "
    "azure-stack/user/azure-stack-vm-sizes.md, last reviewed 2022-03-10)"
)
PARTNERS = "Azure Stack Hub BC/DR partner ecosystem datasheet (aka.ms/azurestackbcdrpartners)"

# name, vendor, windows, linux, schemes, level, source
PRODUCTS = (
    (
        "Azure Backup Server (MABS)",
        "microsoft",
        True,
        False,
        {"backup_restore"},
        "guest",
        "Use Azure Backup to back up files and apps on Azure Stack Hub (Microsoft Learn)",
    ),
    (
        "Azure Site Recovery on Azure Stack Hub",
        "microsoft",
        True,
        False,
        {"replication"},
        "guest",
        "Azure Site Recovery support for Azure Stack Hub (Microsoft Learn); the seed: Linux VMs "
        "use partner products",
    ),
    (
        "SQL Server Always On / Windows Server Failover Clustering",
        "microsoft",
        True,
        False,
        {"high_availability", "fault_tolerance"},
        "guest",
        "The seed: SQL Server supports high availability natively (synchronous commit)",
    ),
    (
        "Veeam Backup & Replication",
        "partner",
        True,
        True,
        {"backup_restore", "replication"},
        "guest",
        PARTNERS,
    ),
    (
        "Commvault Complete Backup & Recovery",
        "partner",
        True,
        True,
        {"backup_restore", "replication"},
        "api",
        PARTNERS,
    ),
    (
        "Zerto Virtual Replication",
        "partner",
        True,
        True,
        {"replication", "high_availability"},
        "api",
        PARTNERS,
    ),
    (
        "Partner clustering (e.g. SIOS, Pacemaker)",
        "partner",
        True,
        True,
        {"high_availability", "fault_tolerance"},
        "guest",
        PARTNERS,
    ),
    (
        "Hypervisor-level backup agent",
        "partner",
        True,
        True,
        {"backup_restore"},
        "hypervisor",
        "The seed: Azure Stack Hub doesn't support taking backups at the hypervisor level",
    ),
)


def vm_size_rows() -> list[dict]:
    with (DATA_DIR / "ash_vm_sizes.csv").open(newline="") as fh:
        return [
            {
                "name": r["size"],
                "series": r["series"],
                "vcpu": int(r["vcpu"]),
                "memory_gib": float(r["memory_gib"]),
                "temp_storage_gib": float(r["temp_storage_gib"]),
                "max_data_disks": int(r["max_data_disks"]),
                "premium_storage": r["premium_storage"].strip().lower() == "yes",
                "max_nics": int(r["max_nics"]),
                "source": VM_SIZES_SOURCE,
            }
            for r in csv.DictReader(fh)
        ]


def load(apps) -> None:
    """Create or refresh the reference rows (``apps`` is a migration's or the real registry)."""
    VmSize = apps.get_model("planner", "VmSize")
    for row in vm_size_rows():
        VmSize.objects.update_or_create(name=row["name"], defaults=row)
    Product = apps.get_model("planner", "Product")
    for name, vendor, win, lin, schemes, level, source in PRODUCTS:
        Product.objects.update_or_create(
            name=name,
            defaults={
                "vendor": vendor,
                "supports_windows": win,
                "supports_linux": lin,
                "supports_backup_restore": "backup_restore" in schemes,
                "supports_replication": "replication" in schemes,
                "supports_high_availability": "high_availability" in schemes,
                "supports_fault_tolerance": "fault_tolerance" in schemes,
                "level": level,
                "source": source,
            },
        )
    for model, entries in (("Price", catalog_defaults.PRICES), ("Limit", catalog_defaults.LIMITS)):
        Model = apps.get_model("planner", model)
        for e in entries:
            Model.objects.update_or_create(
                key=e.key,
                effective_date=catalog_defaults.EFFECTIVE,
                defaults={
                    "value": e.value,
                    "unit": e.unit,
                    "description": e.description,
                    "source": e.source,
                },
            )
