"""Default price and limit catalogs: the public figures of DESIGN §4, each with its source.

The data migration loads these rows; operators edit them in the admin afterwards (a new row with
a later effective date supersedes an older one). The pure engine and rules read prices and limits
as plain ``{key: value}`` mappings, so the keys below are the names they use.
No Django import: tests and benchmarks use these defaults directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EFFECTIVE = date(2025, 1, 1)


@dataclass(frozen=True)
class Entry:
    key: str
    value: float
    unit: str
    description: str
    source: str


AZURE_BACKUP_PRICING = (
    "Azure Backup pricing (azure.microsoft.com/pricing/details/backup), list price"
)
ASR_PRICING = "Azure Site Recovery pricing (azure.microsoft.com/pricing/details/site-recovery)"
DISK_PRICING = "Azure Managed Disks pricing (azure.microsoft.com/pricing/details/managed-disks)"
VM_PRICING = "Azure Virtual Machines pricing, Dv5 pay-as-you-go, per vCPU-hour"
ASR_ASH_CAPACITY = (
    "Azure Site Recovery on Azure Stack Hub: capacity planning and known issues "
    "(azure-stack-docs, azure-stack/operator/site-recovery-capacity-planning.md)"
)
ASH_COMPUTE = (
    "Azure Stack Hub compute capacity planning "
    "(azure-stack-docs, azure-stack/operator/azure-stack-capacity-planning-compute.md)"
)
SEED = "Protect VMs deployed on Azure Stack Hub (Microsoft Learn)"
INTERNAL_RATE = "Operator's internal rate for on-premises capacity; 0 until an operator sets it"

PRICES: tuple[Entry, ...] = (
    # On-premises capacity has no list price: operators enter what it costs them. The sizing
    # engine says when a rate is still 0 (planner.sizing.cost.internal_cost).
    Entry(
        "internal.hub_vcpu_month",
        0.0,
        "USD/vCPU-month",
        "Azure Stack Hub vCPU reserved or running for stand-by VMs (internal rate)",
        INTERNAL_RATE,
    ),
    Entry(
        "internal.hub_storage_gib_month",
        0.0,
        "USD/GiB-month",
        "Azure Stack Hub storage for replicas (internal rate)",
        INTERNAL_RATE,
    ),
    Entry(
        "internal.backup_storage_gib_month",
        0.0,
        "USD/GiB-month",
        "On-premises backup-target storage (internal rate)",
        INTERNAL_RATE,
    ),
    Entry(
        "azure_backup.small_instance_month",
        5.0,
        "USD/instance-month",
        "Azure Backup protected-instance fee, instance of at most 50 GiB",
        AZURE_BACKUP_PRICING,
    ),
    Entry(
        "azure_backup.instance_month",
        10.0,
        "USD/instance-month",
        "Azure Backup protected-instance fee per started 500 GiB",
        AZURE_BACKUP_PRICING,
    ),
    Entry(
        "azure_backup.storage_lrs_gib_month",
        0.0224,
        "USD/GiB-month",
        "Azure Backup storage, locally redundant",
        AZURE_BACKUP_PRICING,
    ),
    Entry(
        "azure_backup.storage_grs_gib_month",
        0.0448,
        "USD/GiB-month",
        "Azure Backup storage, geo-redundant",
        AZURE_BACKUP_PRICING,
    ),
    Entry(
        "asr.instance_month",
        25.0,
        "USD/instance-month",
        "Azure Site Recovery to Azure, per protected instance (first 31 days free)",
        ASR_PRICING,
    ),
    Entry(
        "azure.managed_disk_gib_month",
        0.05,
        "USD/GiB-month",
        "Replica managed-disk storage in Azure (Standard SSD, per GiB)",
        DISK_PRICING,
    ),
    Entry(
        "azure.vcpu_hour",
        0.048,
        "USD/vCPU-hour",
        "Compute for failover drills in Azure",
        VM_PRICING,
    ),
    Entry(
        "service_provider.storage_gib_month",
        0.03,
        "USD/GiB-month",
        "Trusted service provider backup or replica storage (contract price; edit to yours)",
        "Operator contract; placeholder until the operator enters the provider's price",
    ),
    Entry(
        "service_provider.instance_month",
        15.0,
        "USD/instance-month",
        "Trusted service provider fee per protected VM (contract price; edit to yours)",
        "Operator contract; placeholder until the operator enters the provider's price",
    ),
)

LIMITS: tuple[Entry, ...] = (
    Entry(
        "asr_ash.max_disk_gib",
        1022,
        "GiB",
        "Largest disk Azure Site Recovery on ASH protects",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.max_reprotect_disks",
        31,
        "disks",
        "Disks re-protected at once per appliance",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.vms_per_appliance",
        120,
        "VMs",
        "VMs one ASR appliance was tested with",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.vaults_per_appliance", 1, "vaults", "Vaults per ASR appliance", ASR_ASH_CAPACITY
    ),
    Entry("asr_ash.max_vms_per_plan", 100, "VMs", "VMs per ASR recovery plan", ASR_ASH_CAPACITY),
    Entry(
        "asr_ash.appliance_vcpu",
        8,
        "vCPU",
        "ASR appliance VM on the source hub (Standard_DS4_v2)",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.appliance_memory_gib",
        28,
        "GiB",
        "ASR appliance VM on the source hub (Standard_DS4_v2)",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.rp_vcpu", 24, "vCPU", "ASR resource provider on the target hub", ASR_ASH_CAPACITY
    ),
    Entry(
        "asr_ash.rp_memory_gib",
        84,
        "GiB",
        "ASR resource provider on the target hub",
        ASR_ASH_CAPACITY,
    ),
    Entry(
        "asr_ash.rp_storage_gib",
        900,
        "GiB",
        "ASR resource provider on the target hub",
        ASR_ASH_CAPACITY,
    ),
    Entry("asr.free_days", 31, "days", "Free days per protected instance", ASR_PRICING),
    Entry(
        "azure_backup.small_instance_gib",
        50,
        "GiB",
        "Largest VM billed as a small protected instance",
        AZURE_BACKUP_PRICING,
    ),
    Entry(
        "azure_backup.instance_gib",
        500,
        "GiB",
        "Size covered by one protected instance",
        AZURE_BACKUP_PRICING,
    ),
    Entry("ash.max_vms_per_node", 60, "VMs", "Tenant VMs per scale-unit node", ASH_COMPUTE),
    Entry("ash.max_vms_per_stamp", 700, "VMs", "Tenant VMs per stamp", ASH_COMPUTE),
    Entry("ash.infra_base_gib", 242, "GiB", "Infrastructure memory, fixed part", ASH_COMPUTE),
    Entry("ash.infra_per_node_gib", 4, "GiB/node", "Infrastructure memory per node", ASH_COMPUTE),
    Entry(
        "drill.max_age_days",
        90,
        "days",
        "A recovery drill older than this is overdue",
        "DESIGN §5; NIST SP 800-34 exercise cadence",
    ),
    Entry("boot.max_groups", 7, "groups", "Start-up groups in a runbook", "DESIGN §5"),
    Entry(
        "seeding.goal_hours", 72, "hours", "Initial seeding should finish within this", "DESIGN §4"
    ),
    Entry(
        "plan.review_days", 365, "days", "Signed plans are reviewed at least yearly", "DESIGN §6"
    ),
)


def prices() -> dict[str, float]:
    return {e.key: e.value for e in PRICES}


def limits() -> dict[str, float]:
    return {e.key: e.value for e in LIMITS}
