"""Everything the rules read beyond an app's own facts (``planner.facts.App``).

The caller (``planner.services``) fills a ``RuleContext`` per app from the estate: the limit
catalog, the sizing figures it computed, the estate-wide loads on the targets, and the
dependencies across apps. All fields are plain numbers, strings and mappings, so tests and
benchmarks build them by hand. Pure Python: no Django import; nothing from ``planner.sizing``.

Units: storage in GiB, durations in minutes (``seeding_hours`` in hours), bandwidth in Mbit/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from planner.facts import BackupTarget, Cloud, Product


class VmFigures(NamedTuple):
    """Sizing figures of one VM: backup storage on the target, used and provisioned data
    (grown to the horizon, as the sizing engine computed them)."""

    backup_gib: float
    used_gib: float
    provisioned_gib: float


@dataclass(frozen=True, slots=True)
class SizingFigures:
    """The sizing engine's figures for one app, as plain numbers (see ``planner.sizing``).

    backup_gib          backup storage the app needs on its backup target
    replica_gib         replica storage on the recovery target
    seeding_hours       initial replication seeding time, hours
    standby_memory_gib  memory reserved or running on the recovery target (stand-by VMs)
    standby_vcpu        vCPU reserved or running on the recovery target
    bandwidth_mbps      replication bandwidth needed
    asr_appliances      ASR appliance VMs needed on the source hub (0 when not ASR)
    backup_run_gib      data one backup run moves (backup-restore; Σ U_h × change per run)
    vms                 per VM id: ``VmFigures(backup_gib, used_gib, provisioned_gib)``; when a
                        VM is listed, its ``used_gib`` replaces the facts' figure in the
                        capability estimate (restore time) and onboarding schedule
    """

    backup_gib: float = 0.0
    replica_gib: float = 0.0
    seeding_hours: float = 0.0
    standby_memory_gib: float = 0.0
    standby_vcpu: float = 0.0
    bandwidth_mbps: float = 0.0
    asr_appliances: int = 0
    vms: Mapping[int, VmFigures] = field(default_factory=dict)
    backup_run_gib: float = 0.0


@dataclass(frozen=True, slots=True)
class TargetLoad:
    """Estate-wide load on one backup target (all apps that use it, this one included).

    needed_gib          backup storage all those apps need on it
    nightly_ingest_gib  data to ingest in one nightly window (incrementals of all those apps)
    apps                how many apps use it (for the message; 0 when unknown)
    basis               where the other apps' figures come from when not from this run, for
                        the message: " (2 from stored results: 'crm' run 12 at …)"; "" when all
                        are from this run
    """

    needed_gib: float
    nightly_ingest_gib: float = 0.0
    apps: int = 0
    basis: str = ""


@dataclass(frozen=True, slots=True)
class CloudLoad:
    """Estate-wide load on one recovery target cloud (an Azure Stack Hub).

    standby_memory_gib   memory all apps failing over to it need (reserved or running)
    vm_count             stand-by VMs all those apps add to it (VMs already running on the
                         stamp are ``Cloud.running_vm_count`` and are added by the rule)
    available_memory_gib memory available for tenant VMs, computed by the caller with the ASH
                         formula: N*H - reserve - infrastructure - running tenant VMs
    apps                 how many apps fail over to it (for the message; 0 when unknown)
    basis                as ``TargetLoad.basis``
    running_vms          VMs already running on the stamp as the planner counts them
                         (``planner.sizing.hub_running``: inventoried + operator's figure + ASR
                         appliances); None: the cloud's ``running_vm_count`` alone
    explanation          how the running memory and the available memory were counted
    """

    standby_memory_gib: float
    vm_count: int
    available_memory_gib: float
    apps: int = 0
    basis: str = ""
    running_vms: int | None = None
    explanation: tuple[str, ...] = ()


class CandidateFigures(NamedTuple):
    """The sizing engine's figures for one recommendation candidate (a scheme with a target),
    computed by the caller (``planner.assess.candidate_figures``) as if the app chose it.

    monthly_cost        steady-state month in the catalog currency: public prices plus the
                        operators' internal rates for on-premises capacity
    cost_explanation    the arithmetic of that cost (say when an internal rate is still 0)
    backup_gib          backup storage it would need on the backup target
    standby_memory_gib  memory it would reserve or run on the recovery cloud
    standby_vm_count    stand-by VMs it would add to the recovery cloud
    replication_mbps    replication bandwidth it needs on the app's link (replicating schemes;
                        0 else): the candidate's RPO is checked against the usable link
    error               why it could not be sized ("" when sized)
    """

    monthly_cost: float | None
    cost_explanation: tuple[str, ...] = ()
    backup_gib: float = 0.0
    standby_memory_gib: float = 0.0
    standby_vm_count: int = 0
    error: str = ""
    replication_mbps: float = 0.0


class Dependent(NamedTuple):
    """A VM of another app that depends on a VM of this app, and that app's objectives."""

    app_id: int
    app_name: str
    rto_minutes: float
    rpo_minutes: float
    vm_name: str
    vm_id: int = 0


class ExternalVm(NamedTuple):
    """A VM of another app that a VM of this app depends on.

    rto/rpo_capability_minutes: the capability of that app's chosen scheme (None when not
    known yet; ``math.inf`` for an unprotected app). ``opted_in``: whether the VM is protected.
    """

    name: str
    app_id: int
    app_name: str
    scheme: str
    rto_capability_minutes: float | None = None
    rpo_capability_minutes: float | None = None
    opted_in: bool = True


@dataclass(frozen=True)
class RuleContext:
    """What the rules need beyond ``App``.

    limits            the limit catalog, ``{key: value}`` with the keys of
                      ``planner.catalog_defaults.LIMITS`` (rules never hard-code a limit)
    now               the time of the evaluation (drill age)
    sizing            this app's sizing figures, or None before sizing
    target_loads      backup target id -> estate-wide ``TargetLoad``
    cloud_loads       recovery cloud id -> estate-wide ``CloudLoad``
    dependents        VM id of this app -> the other apps' VMs that depend on it
    external_vms      VM id of another app that a VM of this app depends on -> ``ExternalVm``;
                      every such id should be present (else DEPENDENCY_UNKNOWN_VM)
    clouds            candidate recovery clouds of the estate (the recommendation looks for an
                      allowed one); empty: only the app's own recovery target is considered
    backup_targets    candidate backup targets of the estate; empty: only the app's own
    products          the product catalog; empty: only the app's own product is considered
    candidates        (scheme, target id) -> ``CandidateFigures`` of each recommendation
                      candidate (target id 0 for ``none`` or when no target is known); empty:
                      costs unknown, candidates are ranked by the resources they keep running
    """

    limits: Mapping[str, float]
    now: datetime
    sizing: SizingFigures | None = None
    target_loads: Mapping[int, TargetLoad] = field(default_factory=dict)
    cloud_loads: Mapping[int, CloudLoad] = field(default_factory=dict)
    dependents: Mapping[int, tuple[Dependent, ...]] = field(default_factory=dict)
    external_vms: Mapping[int, ExternalVm] = field(default_factory=dict)
    clouds: tuple[Cloud, ...] = ()
    backup_targets: tuple[BackupTarget, ...] = ()
    products: tuple[Product, ...] = ()
    candidates: Mapping[tuple[str, int], CandidateFigures] = field(default_factory=dict)

    def limit(self, key: str) -> float:
        """``limits[key]``, or a ValueError naming the missing key."""
        try:
            return float(self.limits[key])
        except KeyError:
            raise ValueError(f"limits[{key!r}] is missing from the limit catalog") from None
