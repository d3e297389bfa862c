"""Findings and the registry of rule codes.

A rule yields a ``Finding``: a stable ``code``, a ``severity`` (blocking / warning / info), a
``message`` that says what is wrong with the actual figures, a ``remedy`` that says what to do,
and the ``source`` (seed section or public document) behind the rule. ``CODES`` lists every code
once, so the docs, the admin and the UI can show them. A code always has the severity recorded
in the registry: where the seed gives one situation two verdicts, there are two codes.
Pure Python: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.catalog_defaults import ASH_COMPUTE, ASR_ASH_CAPACITY

BLOCKING = "blocking"
WARNING = "warning"
INFO = "info"
SEVERITIES = (BLOCKING, WARNING, INFO)
SEVERITY_RANK = {BLOCKING: 0, WARNING: 1, INFO: 2}

SEED = "Protect VMs deployed on Azure Stack Hub (Microsoft Learn)"


def seed(section: str) -> str:
    """The seed article and one of its sections, as a finding's source."""
    return f'{SEED}, "{section}"'


S_TOPOLOGIES = seed("Recommended topologies")
S_COMBINATIONS = seed("Source/target combinations")
S_IAAS = seed("Considerations for IaaS VMs")
S_BACKUP = seed("Backup-restore")
S_BACKUP_PLAN = seed("Planning your backup strategy")
S_OBJECTIVES = seed("App recovery objectives")
S_REPLICATION = seed("Replication/manual failover")
S_HA = seed("High availability/automatic failover")
S_FT = seed("Fault tolerance")
S_NONE = seed("No recovery")
S_ASR = ASR_ASH_CAPACITY
S_ASH = ASH_COMPUTE
S_MTPD = (
    "ISO/TS 22317 (business impact analysis): the RTO is set within the maximum tolerable "
    "period of disruption"
)
S_DEPENDENCIES = (
    "DESIGN §5: a supporting asset inherits the strictest objectives of what depends on it "
    "(as CISO Assistant rolls objectives up to supporting assets)"
)
S_DRILLS = "DESIGN §5; NIST SP 800-34 Rev. 1 §3.5 (test, training and exercise cadence)"
S_STORAGE = "DESIGN §4 (backup storage and throughput on the target)"
S_HORIZON = "DESIGN §4: the horizon is never shorter than the longest retention"
S_SEEDING = "DESIGN §4: initial seeding goal (72 h by default), split into batches beyond"
S_BOOT = "DESIGN §5 (start-up order: at most 7 groups)"
S_LINK = "DESIGN §4 (required bandwidth against the link: (link − other traffic) × efficiency)"
S_VM_SIZES = "Azure Stack Hub VM sizes (azure-stack-docs, azure-stack/user/azure-stack-vm-sizes.md)"
S_INPUTS = "planner.guard: the engine's domain, the entrances' ranges (planner.bounds)"
S_DRIFT = (
    "Issue 20: the inventory synced from the hub's Azure Resource Manager endpoint differs from "
    "the one the app was planned on"
)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One rule code: its fixed severity, what it means, its source and the usual remedy."""

    code: str
    severity: str
    title: str
    source: str
    remedy: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's finding on one app.

    ``message`` says what is wrong (with the figures), ``remedy`` what to do, ``source`` the
    seed section or public document behind the rule; ``vm_ids`` names the VMs concerned.
    """

    code: str
    severity: str
    message: str
    source: str
    app_id: int
    vm_ids: tuple[int, ...] = ()
    remedy: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_RANK:
            raise ValueError(
                f"severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}"
            )

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING

    def sort_key(self) -> tuple[Any, ...]:
        return (SEVERITY_RANK[self.severity], self.code, self.vm_ids, self.message)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the ``Finding`` model's fields)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "remedy": self.remedy,
            "source": self.source,
            "app_id": self.app_id,
            "vm_ids": list(self.vm_ids),
        }


_RULES: tuple[RuleInfo, ...] = (
    # --- Topology: the seed's "Recommended topologies" table, one code per row and verdict ---
    RuleInfo(
        "TOPOLOGY_BACKUP_EXISTING_EXTERNAL",
        INFO,
        "Backup to an external target already deployed in the datacenter: recommended",
        S_TOPOLOGIES,
        "Size the existing backup infrastructure for the additional VMs and keep it away "
        "from the source (not in close proximity).",
    ),
    RuleInfo(
        "TOPOLOGY_BACKUP_DEDICATED_EXTERNAL",
        INFO,
        "Backup to an external target dedicated to Azure Stack Hub: recommended",
        S_TOPOLOGIES,
        "Size the dedicated target and keep it away from the source (not in close proximity).",
    ),
    RuleInfo(
        "TOPOLOGY_BACKUP_AZURE_OR_SP",
        INFO,
        "Backup directly to global Azure or a trusted service provider: recommended "
        "(sovereignty allows it)",
        S_TOPOLOGIES,
        "Keep the data privacy and regulatory review on record; prefer a provider that "
        "also runs Azure Stack Hub for a consistent restore.",
    ),
    RuleInfo(
        "TOPOLOGY_REPLICATE_SEPARATE_ASH",
        INFO,
        "Replication / failover to a separate Azure Stack Hub instance: recommended",
        S_TOPOLOGIES,
        "Keep the second Azure Stack Hub fully operational (capacity, updates, quotas) so "
        "failover does not extend the downtime.",
    ),
    RuleInfo(
        "TOPOLOGY_REPLICATE_AZURE_OR_SP",
        INFO,
        "Replication / failover directly to Azure or a trusted service provider: "
        "recommended (sovereignty allows it)",
        S_TOPOLOGIES,
        "Keep the data privacy and regulatory review on record; prefer a provider that "
        "also runs Azure Stack Hub for a consistent experience after failover.",
    ),
    RuleInfo(
        "TOPOLOGY_SAME_CLOUD_BACKUP",
        WARNING,
        "Backup target on the same Azure Stack Hub cloud as the app: not recommended",
        S_TOPOLOGIES,
        "Move backups to an external target, or copy all backup data continuously to an "
        "external location.",
    ),
    RuleInfo(
        "TOPOLOGY_SAME_CLOUD_BACKUP_COPIED",
        INFO,
        "Backup appliance on the same cloud, with all data continuously copied to an "
        "external location: acceptable",
        S_TOPOLOGIES,
        "Monitor the external copy: without it this topology is not recommended.",
    ),
    RuleInfo(
        "TOPOLOGY_RACK_APPLIANCE",
        BLOCKING,
        "Physical backup appliance in the Azure Stack Hub rack: not supported",
        S_TOPOLOGIES,
        "Choose an external backup target outside the rack; nothing else may be connected "
        "to the top-of-rack switches.",
    ),
    RuleInfo(
        "TOPOLOGY_BACKUP_CLOSE_PROXIMITY",
        WARNING,
        "Backup target in the same datacenter as the source cloud",
        S_TOPOLOGIES,
        "Place the backup target (or a copy of it) in another datacenter, away from the source.",
    ),
    RuleInfo(
        "TOPOLOGY_SAME_CLOUD_TARGET",
        BLOCKING,
        "Recovery target is the source cloud itself",
        S_COMBINATIONS,
        "Choose another environment: an Azure Stack Hub in another datacenter, global "
        "Azure or a trusted service provider.",
    ),
    RuleInfo(
        "TOPOLOGY_SAME_SITE_TARGET",
        BLOCKING,
        "Failover target in the same datacenter as the source cloud",
        S_COMBINATIONS,
        "Choose a recovery target in a different datacenter (or global Azure / a trusted "
        "service provider).",
    ),
    RuleInfo(
        "TOPOLOGY_RESTORE_TO_SOURCE",
        INFO,
        "Backups are restored to the source cloud: this covers data loss, not the loss of "
        "the cloud",
        S_BACKUP,
        "Also plan a restore to another environment for a cloud that stays offline.",
    ),
    RuleInfo(
        "TOPOLOGY_RESTORE_SAME_SITE",
        INFO,
        "Backups are restored to another cloud in the source's datacenter: this covers the "
        "loss of the cloud, not of the datacenter",
        S_BACKUP,
        "Also plan a restore to another datacenter or the public cloud.",
    ),
    RuleInfo(
        "TOPOLOGY_NO_BACKUP_TARGET",
        BLOCKING,
        "Backup-restore chosen but no backup target",
        S_BACKUP,
        "Choose a backup target outside the source cloud.",
    ),
    RuleInfo(
        "TOPOLOGY_NO_RECOVERY_TARGET",
        BLOCKING,
        "Replication, HA or fault tolerance chosen but no recovery target",
        S_COMBINATIONS,
        "Choose the cloud the app fails over to, in another datacenter.",
    ),
    RuleInfo(
        "TOPOLOGY_COMBINATION",
        INFO,
        "The seed's explanation of the chosen source/target combination",
        S_COMBINATIONS,
        "",
    ),
    # --- Sovereignty ---
    RuleInfo(
        "SOVEREIGNTY_TARGET_KIND",
        BLOCKING,
        "Recovery target kind not allowed by the app's data sovereignty / privacy rules",
        S_COMBINATIONS,
        "Choose a recovery target of an allowed kind, or record a revised sovereignty decision.",
    ),
    RuleInfo(
        "SOVEREIGNTY_TARGET_COUNTRY",
        BLOCKING,
        "Recovery target in a country the app's data may not go to (or of unknown country)",
        S_COMBINATIONS,
        "Choose a recovery target in an allowed country, or record the target's country.",
    ),
    RuleInfo(
        "SOVEREIGNTY_BACKUP_KIND",
        BLOCKING,
        "Backup target kind (global Azure / service provider) not allowed by sovereignty",
        S_TOPOLOGIES,
        "Back up to a target the app may use (e.g. an external target in an allowed datacenter).",
    ),
    RuleInfo(
        "SOVEREIGNTY_BACKUP_COUNTRY",
        BLOCKING,
        "Backup target in a country the app's data may not go to (or of unknown country)",
        S_COMBINATIONS,
        "Choose a backup target in an allowed country, or record the target's country.",
    ),
    # --- Products and operating systems ---
    RuleInfo(
        "PRODUCT_MISSING",
        WARNING,
        "No protection product chosen for a protected app",
        S_IAAS,
        "Choose a validated product that supports the scheme and every VM's OS.",
    ),
    RuleInfo(
        "PRODUCT_LINUX_MICROSOFT",
        BLOCKING,
        "Linux VM protected with a Microsoft product (Linux VMs: partner products only)",
        S_IAAS,
        "Protect Linux VMs with a validated partner product.",
    ),
    RuleInfo(
        "PRODUCT_OS_UNSUPPORTED",
        BLOCKING,
        "The product does not support a protected VM's operating system",
        S_IAAS,
        "Choose a product that supports the OS, or protect those VMs with another product.",
    ),
    RuleInfo(
        "PRODUCT_SCHEME_UNSUPPORTED",
        BLOCKING,
        "The product does not support the chosen protection scheme",
        S_IAAS,
        "Choose a product that supports the scheme, or change the scheme.",
    ),
    RuleInfo(
        "PRODUCT_HYPERVISOR_LEVEL",
        BLOCKING,
        "Hypervisor-level backup product: Azure Stack Hub does not support it",
        S_BACKUP,
        "Use a product that works in the guest OS or through the Azure Stack Hub storage "
        "and compute APIs.",
    ),
    RuleInfo(
        "PRODUCT_API_AGENT",
        INFO,
        "API-level snapshots of running VMs need an in-guest agent for consistency",
        S_BACKUP,
        "Install the product's in-guest agent (or quiesce the app) on every protected VM.",
    ),
    # --- Schemes ---
    RuleInfo(
        "SCHEME_NEEDS_NATIVE_HA",
        BLOCKING,
        "High availability / fault tolerance needs app-native HA or clustering software",
        S_HA,
        "Enable the app's native HA or clustering (and record it), or choose replication.",
    ),
    RuleInfo(
        "SCHEME_HA_SYNC_ASSUMED",
        INFO,
        "HA RPO of 0 counted because the app states synchronous replication",
        S_HA,
        "Confirm the app commits synchronously; if it replicates asynchronously, state so on the "
        "app: its RPO becomes the replication interval.",
    ),
    RuleInfo(
        "SCHEME_NO_SCALE_SET",
        WARNING,
        "HA / fault-tolerant app VMs not deployed in scale sets",
        S_FT,
        "Deploy the app VMs in scale sets with fault domains to survive node failures.",
    ),
    RuleInfo(
        "SCHEME_CHEAPER_AVAILABLE",
        INFO,
        "A cheaper candidate (scheme and target) also meets the objectives and constraints",
        S_OBJECTIVES,
        "Consider the cheaper scheme or target, unless another reason keeps the current one.",
    ),
    RuleInfo(
        "SCALESET_VM_BACKUP",
        WARNING,
        "Scale-set VM opted into VM backup (scale-set VMs are ephemeral)",
        S_BACKUP_PLAN,
        "Opt the scale-set VM out; back up the durable data (database, object store) instead. "
        "Scale-set VMs are left out of backup storage unless the owner keeps them in.",
    ),
    # --- Objectives ---
    RuleInfo(
        "OBJECTIVE_RTO_NOT_MET",
        BLOCKING,
        "The scheme's estimated recovery time exceeds the RTO",
        S_OBJECTIVES,
        "Choose a faster scheme, shorten the restore (throughput, fewer start-up groups) "
        "or renegotiate the RTO.",
    ),
    RuleInfo(
        "OBJECTIVE_RPO_NOT_MET",
        BLOCKING,
        "The scheme's data loss exceeds the RPO",
        S_OBJECTIVES,
        "Back up or replicate more often, choose a scheme with less data loss, or "
        "renegotiate the RPO.",
    ),
    RuleInfo(
        "OBJECTIVES_LOOSER_THAN_TIER",
        WARNING,
        "The app's objectives are looser than its priority tier's service level",
        S_BACKUP_PLAN,
        "Tighten the app's RTO, RPO or MTPD to its tier's, or move the app to the tier whose "
        "service level it really needs.",
    ),
    RuleInfo(
        "OBJECTIVE_RTO_OVER_MTPD",
        BLOCKING,
        "The RTO is longer than the maximum tolerable period of disruption",
        S_MTPD,
        "Set an RTO within the MTPD.",
    ),
    RuleInfo(
        "OBJECTIVE_MTTR_OVER_RTO",
        BLOCKING,
        "The measured MTTR exceeds the RTO",
        S_OBJECTIVES,
        "Make recovery faster (scheme, automation, runbook) and prove it in a drill, or "
        "renegotiate the RTO.",
    ),
    RuleInfo(
        "OBJECTIVE_MET",
        INFO,
        "The scheme's estimated capability meets the RTO and RPO",
        S_OBJECTIVES,
        "",
    ),
    # --- Drills ---
    RuleInfo(
        "DRILL_NEVER",
        WARNING,
        "No recovery drill or incident recovery recorded: MTTR unknown",
        S_DRILLS,
        "Run a recovery drill and record its start, recovery time and data loss.",
    ),
    RuleInfo(
        "DRILL_OVERDUE",
        WARNING,
        "The last recovery drill is older than the allowed age",
        S_DRILLS,
        "Run a recovery drill.",
    ),
    RuleInfo(
        "DRILL_LOSS_OVER_RPO",
        WARNING,
        "Data lost in a drill or incident exceeded the RPO",
        S_OBJECTIVES,
        "Find why more data was lost than planned and fix the schedule or the scheme.",
    ),
    # --- Protection ---
    RuleInfo(
        "PROTECTION_NONE_UNDECIDED",
        BLOCKING,
        "No protection and no recorded decision to go without it",
        S_NONE,
        "Choose a protection scheme, or record who decided to go without it and why.",
    ),
    RuleInfo(
        "PROTECTION_NONE_DECIDED",
        INFO,
        "No protection, by recorded decision",
        S_NONE,
        "Review the decision when the app's use changes.",
    ),
    RuleInfo(
        "PROTECTION_NONE_TIER1",
        WARNING,
        "A tier-1 (mission-critical) app without protection",
        S_NONE,
        "Mission-critical apps are rarely without protection: confirm the decision or "
        "choose a scheme.",
    ),
    RuleInfo(
        "PROTECTION_NO_VMS_OPTED_IN",
        WARNING,
        "The app has VMs but none is opted in to protection",
        S_BACKUP_PLAN,
        "Opt in the VMs that hold the app and its data (protection is opt-in per VM).",
    ),
    RuleInfo(
        "PROTECTION_VM_NONE_DECIDED",
        INFO,
        "VMs go without protection by a recorded decision",
        S_BACKUP_PLAN,
        "Review the decisions with the plan; opt a VM in when its reason no longer holds.",
    ),
    RuleInfo(
        "PROTECTION_VMS_NOT_OPTED_IN",
        INFO,
        "Some VMs of a protected app are not opted in",
        S_BACKUP_PLAN,
        "Opt them in, or record on each VM's page that it goes without protection and why "
        "(e.g. redeployed from a template).",
    ),
    # --- Capacity ---
    RuleInfo(
        "CAPACITY_BACKUP_STORAGE",
        BLOCKING,
        "Backup target capacity exceeded estate-wide",
        S_STORAGE,
        "Add capacity to the target, move apps to another target or shorten retention.",
    ),
    RuleInfo(
        "CAPACITY_BACKUP_INGEST",
        WARNING,
        "Nightly backup ingest exceeds the target's throughput x window",
        S_STORAGE,
        "Widen the window, raise the target's throughput or spread the backups.",
    ),
    RuleInfo(
        "CAPACITY_ASH_MEMORY",
        BLOCKING,
        "Target Azure Stack Hub has not enough memory for the stand-by VMs",
        S_ASH,
        "Add nodes or memory to the target hub, or move apps to another target.",
    ),
    RuleInfo(
        "CAPACITY_ASH_VM_COUNT",
        BLOCKING,
        "Target Azure Stack Hub VM count limit exceeded",
        S_ASH,
        "Move apps to another target hub or add nodes (per-stamp limit permitting).",
    ),
    RuleInfo(
        "LINK_TOO_SLOW_FOR_RPO",
        BLOCKING,
        "The link carries less than the replication needs: the backlog grows, no RPO holds",
        S_LINK,
        "Raise the link to at least the figure shown, lower the other traffic on it, or choose "
        "a scheme that moves less data (backup-restore).",
    ),
    RuleInfo(
        "BACKUP_WINDOW_EXCEEDED",
        WARNING,
        "One backup run does not fit the window at min(link, target ingest)",
        S_STORAGE,
        "Widen the backup window, raise the link or the target's ingest, or back up less often "
        "per run.",
    ),
    RuleInfo(
        "VM_SIZE_UNKNOWN",
        WARNING,
        "A VM's size is not in the VM size catalog: its vCPU and memory are unknown",
        S_VM_SIZES,
        "Set the VM's size to one of the catalog's Azure Stack Hub sizes (or add the size to "
        "the catalog) so its compute is counted.",
    ),
    # --- Azure Site Recovery on Azure Stack Hub ---
    RuleInfo(
        "ASR_DISK_TOO_LARGE",
        BLOCKING,
        "A disk is larger than Azure Site Recovery on Azure Stack Hub protects",
        S_ASR,
        "Split the data over smaller disks or protect this VM with another product.",
    ),
    RuleInfo(
        "ASR_REPROTECT_BATCHES",
        WARNING,
        "More disks than can be re-protected at once",
        S_ASR,
        "Plan re-protection after failover in batches.",
    ),
    RuleInfo(
        "ASR_PLAN_SPLIT",
        WARNING,
        "More VMs than one recovery plan holds",
        S_ASR,
        "Split the VMs over several recovery plans, keeping start-up groups together.",
    ),
    RuleInfo(
        "ASR_APPLIANCE_ON_SOURCE",
        INFO,
        "The ASR appliance VMs count against the source hub; the resource provider "
        "against the target hub",
        S_ASR,
        "Reserve the appliance's vCPU and memory on the source hub.",
    ),
    RuleInfo(
        "ASR_MULTIPLE_APPLIANCES",
        INFO,
        "More VMs than one ASR appliance was tested with: several appliances, one vault each",
        S_ASR,
        "Deploy one appliance (and vault) per group of VMs.",
    ),
    # --- Dependencies and start-up order ---
    RuleInfo(
        "DEPENDENCY_CYCLE",
        BLOCKING,
        "VMs depend on each other in a cycle: no start-up order exists",
        S_REPLICATION,
        "Break the cycle: remove the dependency that is not needed to start.",
    ),
    RuleInfo(
        "DEPENDENCY_UNKNOWN_VM",
        WARNING,
        "A VM depends on a VM the planner does not know",
        S_REPLICATION,
        "Fix the dependency or register the VM it needs.",
    ),
    RuleInfo(
        "DEPENDENCY_SHARED_NOT_MET",
        BLOCKING,
        "A VM other apps depend on cannot meet the strictest objectives it inherits",
        S_DEPENDENCIES,
        "Protect this app to the strictest RTO/RPO of the apps that depend on it.",
    ),
    RuleInfo(
        "DEPENDENCY_SHARED_INHERITED",
        INFO,
        "A VM inherits stricter objectives from the apps that depend on it (met)",
        S_DEPENDENCIES,
        "Keep a scheme that meets the inherited objectives.",
    ),
    RuleInfo(
        "DEPENDENCY_PREREQUISITE_AT_RISK",
        BLOCKING,
        "A VM of another app this app needs cannot be recovered within this app's objectives",
        S_DEPENDENCIES,
        "Ask the owner of the other app to protect it to this app's objectives, or remove "
        "the dependency.",
    ),
    RuleInfo(
        "DEPENDENCY_PREREQUISITE_UNVERIFIED",
        WARNING,
        "A VM of another app this app needs has no known recovery capability",
        S_DEPENDENCIES,
        "Size the other app so its capability is known.",
    ),
    RuleInfo(
        "DEPENDENCY_EXTERNAL_PREREQUISITES",
        INFO,
        "VMs of other apps must run before this app fails over",
        S_REPLICATION,
        "Put them at the head of the runbook.",
    ),
    RuleInfo(
        "DEPENDENCY_ON_UNPROTECTED_VM",
        WARNING,
        "A protected VM depends on a VM of the same app that is not opted in",
        S_REPLICATION,
        "Opt in the VM it depends on, or remove the dependency.",
    ),
    RuleInfo(
        "BOOT_GROUPS_MERGED",
        INFO,
        "More dependency layers than start-up groups: layers were merged",
        S_BOOT,
        "Check the merged group's start order in the runbook.",
    ),
    # --- Backup policy ---
    RuleInfo(
        "POLICY_MISSING",
        BLOCKING,
        "Backup-restore chosen but no backup policy",
        S_BACKUP,
        "Choose a backup policy (interval, retention, method).",
    ),
    RuleInfo(
        "POLICY_HORIZON_SHORT",
        WARNING,
        "The planning horizon is shorter than the longest retention",
        S_HORIZON,
        "Set the horizon to at least the longest retention (sizing extends it).",
    ),
    RuleInfo(
        "POLICY_PERIODIC_FULL",
        INFO,
        "Periodic active fulls: prefer incremental / synthetic fulls",
        S_BACKUP_PLAN,
        "Use forever-forward incrementals or synthetic fulls to avoid moving full copies.",
    ),
    # --- Onboarding and seeding ---
    RuleInfo(
        "SEEDING_OVER_GOAL",
        WARNING,
        "Initial replication seeding takes longer than the goal",
        S_SEEDING,
        "Seed in batches, raise the link or seed offline.",
    ),
    RuleInfo(
        "ONBOARDING_STAGGERED",
        INFO,
        "Initial full backups need several nights: staggered onboarding",
        S_BACKUP_PLAN,
        "Onboard the VMs night by night as scheduled.",
    ),
    RuleInfo(
        "INPUT_OUT_OF_RANGE",
        BLOCKING,
        "An input is outside what the engine sizes: the nearest value in range was used",
        S_INPUTS,
        "Correct the value the message names (it gives the allowed range) and size again.",
    ),
    RuleInfo(
        "ONBOARDING_OVER_A_YEAR",
        BLOCKING,
        "The onboarding schedule does not fit in a year of nightly windows",
        S_BACKUP_PLAN,
        "Seed the VMs offline, raise the target's throughput or the link, or split the app.",
    ),
    RuleInfo(
        "ONBOARDING_VM_OVER_WINDOW",
        WARNING,
        "A VM's initial full backup does not fit one backup window",
        S_BACKUP_PLAN,
        "Seed it offline, widen the window or give it more throughput; it spans nights.",
    ),
    RuleInfo(
        "INVENTORY_DRIFT",
        WARNING,
        "The hub's VMs changed since the app was planned (appeared, disappeared, resized)",
        S_DRIFT,
        "Review the drift on the app's page: opt new VMs in if they need protection, check the "
        "plan still fits, then mark the drift reviewed and sign a new revision.",
    ),
)

CODES: dict[str, RuleInfo] = {r.code: r for r in _RULES}
# Raised by planner.services from the database, not by a rule over an app's facts: the drift a
# hub sync recorded (planner.services.hub.drift_findings), until the owner reviews it.
RAISED_BY_SERVICES = frozenset({"INVENTORY_DRIFT"})
assert len(CODES) == len(_RULES), "duplicate rule code"


def finding(
    code: str,
    app_id: int,
    message: str,
    remedy: str | None = None,
    vm_ids: tuple[int, ...] | list[int] = (),
) -> Finding:
    """A ``Finding`` of a registered code: severity and source come from the registry; the
    remedy defaults to the registry's."""
    info = CODES[code]
    return Finding(
        code,
        info.severity,
        message,
        info.source,
        app_id,
        tuple(sorted(vm_ids)),
        info.remedy if remedy is None else remedy,
    )
