"""Plain facts about an application and its estate, read by the pure engine and rules.

This module is the contract between the database (``planner.services`` builds these from the
ORM) and the pure code (``planner.sizing`` computes figures, ``planner.rules`` yields findings).
It imports nothing from Django, so the engine, the rules, the benchmarks and the tests can build
facts by hand.

Units: storage in GiB, durations in minutes, bandwidth in Mbit/s (10^6 bit/s), fractions as
0..1 (0.05 = 5 %), money in the price catalog's currency (USD by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

# The seed's five recovery options ("App recovery objectives"), cheapest first.
SCHEMES = ("none", "backup_restore", "replication", "high_availability", "fault_tolerance")
PROTECTING_SCHEMES = ("backup_restore", "replication", "high_availability", "fault_tolerance")
REPLICATING_SCHEMES = ("replication", "high_availability", "fault_tolerance")

# Cloud kinds (the seed's "Source/target combinations") and who operates them.
CLOUD_KINDS = ("azure_stack_hub", "azure", "service_provider")
OPERATORS = ("customer", "csp", "microsoft")

# Backup target kinds: one per row of the seed's "Recommended topologies" table.
BACKUP_TARGET_KINDS = (
    "existing_external",  # external target already deployed in the datacenter: recommended
    "dedicated_external",  # external target dedicated to Azure Stack Hub: recommended
    "azure",  # directly to global Azure: recommended if sovereignty allows
    "service_provider",  # directly to a trusted service provider: idem
    "same_cloud_appliance",  # virtual appliance on the same ASH cloud: not recommended
    "rack_appliance",  # physical appliance in the ASH rack: not supported
)

BACKUP_METHODS = (
    "forever_forward",
    "reverse",
    "forward_periodic_full",
    "forward_periodic_synthetic_full",
)
OS_TYPES = ("windows", "linux")
ROLES = ("database", "middleware", "web", "other")  # start-up rank, first boots first
PRODUCT_VENDORS = ("microsoft", "partner")
PRODUCT_LEVELS = ("guest", "api", "hypervisor")  # ASH supports guest and API only
# The seed's restore options ("Planning your backup strategy", Restore): "Backup products can
# restore virtual disks, app data within an existing VM, or the entire VM resource and associated
# virtual disks ... it may be easier to redeploy SQL server from a template and then restore the
# databases". What each one moves and whether a redeploy is added: planner.rules.capability.
RESTORE_APPROACHES = ("whole_vm", "disks", "app_data", "redeploy")
# How a product keeps its backup chain: incrementals forever after one full, or periodic fulls.
PRODUCT_CHAINS = ("incremental_forever", "periodic_full")
REDUNDANCIES = ("lrs", "grs")  # Azure storage: locally or geo-redundant
HA_REPLICATION_MODES = ("synchronous", "asynchronous")


@dataclass(frozen=True)
class Cloud:
    id: int
    name: str
    kind: str  # one of CLOUD_KINDS
    operated_by: str  # one of OPERATORS
    site_id: int | None = None
    site_name: str = ""
    country: str = ""  # ISO 3166 alpha-2 of the site; "" for global Azure regions unknown
    # Azure Stack Hub stamp facts (0 for other kinds).
    nodes: int = 0
    memory_per_node_gib: float = 0.0
    largest_vm_gib: float = 0.0
    running_tenant_gib: float = 0.0  # memory already used by tenant VMs on the stamp
    running_vm_count: int = 0


@dataclass(frozen=True)
class BackupTarget:
    id: int
    name: str
    kind: str  # one of BACKUP_TARGET_KINDS
    site_id: int | None = None
    country: str = ""
    cloud_id: int | None = None  # the cloud it runs in (same_cloud_appliance: the ASH cloud)
    capacity_gib: float = 0.0
    used_gib: float = 0.0  # already used by data outside the planner's view
    ingest_mbps: float = 0.0  # sustained ingest throughput
    streams: int = 1  # concurrent backup streams
    window_hours: float = 8.0  # nightly backup window
    continuous_external_copy: bool = False  # all data copied on to an external location
    restore_mbps: float = 0.0  # restore throughput the operator measured; 0: not set (default)


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    vendor: str  # one of PRODUCT_VENDORS
    supports_windows: bool
    supports_linux: bool
    schemes: frozenset[str]  # subset of PROTECTING_SCHEMES
    level: str  # one of PRODUCT_LEVELS
    reduction: float | None = None  # stored / original the product achieves; None: not stated
    chain: str = "incremental_forever"  # one of PRODUCT_CHAINS
    full_every: int = 7  # periodic_full: a full every K runs


@dataclass(frozen=True)
class BackupPolicy:
    name: str
    interval_minutes: int = 1440
    retention_points: int = 14
    method: str = "forever_forward"
    full_every: int | None = None  # forward_periodic_*: a full every K runs
    gfs_weekly: int = 0
    gfs_monthly: int = 0
    gfs_yearly: int = 0
    reduction: float | None = 0.5  # stored / original; None: the product's figure (else 0.5)
    redundancy: str = "lrs"  # Azure Backup storage: one of REDUNDANCIES


@dataclass(frozen=True)
class Disk:
    name: str
    provisioned_gib: float
    used_gib: float
    os_disk: bool = False  # the OS disk (no LUN); the others hold data


@dataclass(frozen=True)
class Vm:
    id: int
    name: str
    app_id: int
    os_type: str = "windows"  # one of OS_TYPES
    size: str = ""
    vcpu: int = 0
    memory_gib: float = 0.0
    role: str = "other"  # one of ROLES
    scale_set: str = ""  # name of the VM scale set it belongs to, "" when none
    opted_in: bool = False
    disks: tuple[Disk, ...] = ()
    change_rate: float = 0.05  # fraction of used data changed per day
    growth_per_year: float = 0.0
    boot_group: int | None = None
    depends_on: tuple[int, ...] = ()  # ids of VMs (of this or another app) it needs running
    restore_approach: str = "whole_vm"  # one of RESTORE_APPROACHES
    keep_in_backup: bool = False  # a scale-set VM the owner keeps in backup storage anyway
    no_protection: Decision | None = None  # the owner decided this VM goes unprotected

    @property
    def size_known(self) -> bool:
        """Whether the VM's size is in the catalog (vCPU and memory known)."""
        return self.vcpu > 0 and self.memory_gib > 0

    @property
    def used_gib(self) -> float:
        return sum(d.used_gib for d in self.disks)

    @property
    def provisioned_gib(self) -> float:
        return sum(d.provisioned_gib for d in self.disks)


@dataclass(frozen=True)
class Drill:
    started_at: datetime
    restored_at: datetime
    data_loss_minutes: float = 0.0
    kind: str = "drill"  # "drill" or "incident"

    @property
    def recovery_minutes(self) -> float:
        return (self.restored_at - self.started_at).total_seconds() / 60


@dataclass(frozen=True)
class Decision:
    """A recorded decision to go without protection (the seed's "No recovery")."""

    by: str
    at: datetime
    why: str


@dataclass(frozen=True)
class Assumptions:
    """Editable assumptions behind the capability estimates and bandwidth figures (DESIGN §4)."""

    restore_throughput_mbps: float = 1000.0
    redeploy_minutes: float = 30.0
    boot_minutes_per_group: float = 5.0
    checks_minutes_per_group: float = 5.0
    manual_steps_minutes: float = 15.0
    failover_detection_minutes: float = 1.0
    replication_interval_minutes: float = 15.0
    link_mbps: float = 1000.0
    delta_mbps: float = 0.0  # link already used by other traffic
    wire_ratio: float = 1.0
    efficiency: float = 0.75
    peak_factor: float = 1.0
    replica_overhead: float = 1.5  # replica storage = provisioned x this (1.5-2, ASR on ASH)
    horizon_days: int = 365
    drills_per_year: int = 4
    drill_days: int = 7


@dataclass(frozen=True)
class TierObjectives:
    """The default objectives operators set for a priority tier (the seed: "define a recovery
    SLA based on the priority of the apps")."""

    tier: int
    rto_minutes: float
    rpo_minutes: float
    mtpd_minutes: float | None = None


@dataclass(frozen=True)
class App:
    id: int
    name: str
    owner: str = ""
    tier: int = 2  # 1 = mission critical ... 4 = dev/test
    rto_minutes: float = 240.0
    rpo_minutes: float = 1440.0
    mtpd_minutes: float | None = None
    scheme: str = "backup_restore"  # one of SCHEMES
    source_cloud: Cloud | None = None
    recovery_target: Cloud | None = None
    backup_target: BackupTarget | None = None
    policy: BackupPolicy | None = None
    product: Product | None = None
    allowed_target_kinds: frozenset[str] = frozenset(CLOUD_KINDS)  # sovereignty: where it may go
    allowed_countries: frozenset[str] = frozenset()  # empty: any country
    native_ha: bool = False  # the app supports HA natively or through clustering software
    ha_replication: str = "synchronous"  # one of HA_REPLICATION_MODES
    tier_objectives: TierObjectives | None = None  # the operators' defaults for its tier
    no_protection_decision: Decision | None = None
    vms: tuple[Vm, ...] = ()
    drills: tuple[Drill, ...] = ()
    manual_steps: tuple[str, ...] = ()
    assumptions: Assumptions = field(default_factory=Assumptions)

    @property
    def protected_vms(self) -> tuple[Vm, ...]:
        return tuple(v for v in self.vms if v.opted_in)

    @property
    def uses_asr(self) -> bool:
        """Replication from one Azure Stack Hub to another with Azure Site Recovery: the scheme
        is replication, both clouds are hubs and the product is Microsoft's (or not chosen yet,
        in which case ASR, the hub-to-hub replication Microsoft documents, is assumed). Only then
        are ASR appliances and the ASR resource provider counted (sizing and rules alike)."""
        src, rt = self.source_cloud, self.recovery_target
        return (
            self.scheme == "replication"
            and src is not None
            and rt is not None
            and src.kind == "azure_stack_hub"
            and rt.kind == "azure_stack_hub"
            and src.id != rt.id
            and (self.product is None or self.product.vendor == "microsoft")
        )


DEFAULT_REDUCTION = 0.5  # DESIGN §4: stored / original when neither policy nor product says


def effective_policy(app: App) -> tuple[BackupPolicy, tuple[str, ...]]:
    """The backup policy sizing uses, with what the app's policy leaves unsaid taken from its
    product (the seed: "evaluate backup products that efficiently capture, transmit and store").

    - no policy: daily, 14 points; the chain is the product's (incrementals forever: forever
      forward; periodic fulls: forward with an active full every ``product.full_every`` runs);
    - reduction not stated by the policy (None): the product's data reduction, else 0.5.
    The lines name where each figure came from; an explicit policy figure always wins.
    """
    product = app.product
    policy = app.policy
    lines: list[str] = []
    if policy is None:
        if product is not None and product.chain == "periodic_full":
            policy = BackupPolicy(
                name=f"default for {product.name}",
                method="forward_periodic_full",
                full_every=product.full_every,
                reduction=None,
            )
            lines.append(
                f"no backup policy: daily, 14 points; product '{product.name}' needs periodic "
                f"fulls, so an active full every {product.full_every} runs"
            )
        else:
            policy = BackupPolicy(name="default", reduction=None)
            keeps = (
                f"; product '{product.name}' keeps incrementals forever"
                if product is not None
                else ""
            )
            lines.append(f"no backup policy: daily, 14 points, forever forward{keeps}")
    if policy.reduction is None:
        if product is not None and product.reduction is not None:
            reduction = product.reduction
            lines.append(
                f"reduction {reduction:g} from product '{product.name}' (the policy does not say)"
            )
        else:
            reduction = DEFAULT_REDUCTION
            lines.append(
                f"reduction {reduction:g} (DESIGN §4 default: neither the policy nor the "
                "product states one)"
            )
        policy = replace(policy, reduction=reduction)
    return policy, tuple(lines)
