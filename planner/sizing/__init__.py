"""Recovery Planner's capacity-sizing engine: pure Python, no Django (DESIGN §4).

Every formula lives in one function of ``backup``, ``replication``, ``compute`` or ``cost``,
whose docstring names its public source; ``app`` sizes a VM and an application from
``planner.facts`` and the price and limit catalogs (``planner.catalog_defaults`` keys);
``planner.units`` (shared with the rules and the portal) formats and parses the figures. See
docs/sizing.md.
"""

from planner.units import fmt_duration, fmt_gib, fmt_money, parse_duration

from .app import ENGINE_VERSION, AppSizing, VmSizing, size_app, size_vm
from .backup import (
    BackupStorage,
    ChainPoints,
    backup_storage,
    backup_total_at,
    chain_data_gib,
    chain_points,
    change_per_run,
    grown_used,
    growth_factor,
    retention_days,
    workspace,
)
from .compute import (
    Appliances,
    AshMemory,
    HubRunning,
    Standby,
    ash_available_memory,
    ash_available_memory_gib,
    ash_vm_capacity,
    asr_appliances,
    hub_running,
    standby_compute,
)
from .cost import (
    Instances,
    asr_cost,
    asr_free_months,
    azure_backup_cost,
    azure_backup_instances,
    azure_standby_cost,
    drill_compute_cost,
    instance_count,
    monthly_projection,
    service_provider_cost,
    standby_compute_cost,
)
from .explain import Figure
from .replication import (
    cache_gib,
    daily_churn,
    replica_storage,
    replication_bandwidth,
    replication_bandwidth_mbps,
    seeding,
    seeding_hours,
    transfer_rate,
)

__all__ = [
    "ENGINE_VERSION",
    "AppSizing",
    "Appliances",
    "AshMemory",
    "BackupStorage",
    "ChainPoints",
    "Figure",
    "HubRunning",
    "Instances",
    "Standby",
    "VmSizing",
    "ash_available_memory",
    "ash_available_memory_gib",
    "ash_vm_capacity",
    "asr_appliances",
    "asr_cost",
    "asr_free_months",
    "azure_backup_cost",
    "azure_backup_instances",
    "azure_standby_cost",
    "backup_storage",
    "backup_total_at",
    "cache_gib",
    "chain_data_gib",
    "chain_points",
    "change_per_run",
    "daily_churn",
    "drill_compute_cost",
    "fmt_duration",
    "fmt_gib",
    "fmt_money",
    "grown_used",
    "growth_factor",
    "hub_running",
    "instance_count",
    "monthly_projection",
    "parse_duration",
    "replica_storage",
    "replication_bandwidth",
    "replication_bandwidth_mbps",
    "retention_days",
    "seeding",
    "seeding_hours",
    "service_provider_cost",
    "size_app",
    "size_vm",
    "standby_compute",
    "standby_compute_cost",
    "transfer_rate",
    "workspace",
]
