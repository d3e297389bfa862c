"""Every rule code: one case that makes it fire and one, as close as possible, that keeps it
quiet; and the registry is fully covered by these cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from planner.facts import Assumptions, Decision, Disk, TierObjectives
from planner.rules import CODES, CloudLoad, Dependent, ExternalVm, SizingFigures, TargetLoad
from planner.rules.findings import RAISED_BY_SERVICES, SEVERITIES
from tests.unit.rulefacts import (
    ASH_B,
    ASH_SAME_SITE,
    AZURE,
    BASE,
    CLUSTER,
    DAILY,
    DB,
    DEDICATED,
    MABS,
    MID,
    SRC,
    VEEAM,
    WEB,
    app,
    asr_app,
    codes,
    ctx,
    decision,
    drill,
    many_vms,
    replicating,
    run,
    vm,
)

SAME_CLOUD_APPLIANCE = replace(DEDICATED, kind="same_cloud_appliance", cloud_id=1, site_id=1)
AZURE_TARGET = replace(DEDICATED, kind="azure", site_id=None, country="NL", capacity_gib=0)
DECISION = Decision("owner", datetime(2026, 1, 5), "rebuilt from its template in minutes")
HA_VMS = tuple(replace(v, scale_set="ss-" + v.name) for v in (DB, MID, WEB))


def ha(**kw):
    kw.setdefault("native_ha", True)
    kw.setdefault("product", CLUSTER)
    kw.setdefault("vms", HA_VMS)
    kw.setdefault("scheme", "high_availability")
    return replicating(**kw)


def chain(n: int):
    """n VMs, each depending on the previous one: n dependency layers."""
    out = [vm(200, "c0")]
    for i in range(1, n):
        out.append(vm(200 + i, f"c{i}", depends_on=(200 + i - 1,)))
    return tuple(out)


def disks(n: int):
    return tuple(Disk(f"d{i}", 128, 10) for i in range(n))


EXT = ExternalVm("ad-1", 2, "directory", "backup_restore", 60, 60)
DEPENDS_OUT = (DB, MID, replace(WEB, depends_on=(102, 999)))

# code -> (firing case, quiet case); each case returns (app, context).
CASES = {
    # Topology
    "TOPOLOGY_BACKUP_EXISTING_EXTERNAL": (
        lambda: (app(backup_target=replace(DEDICATED, kind="existing_external")), ctx()),
        lambda: (app(), ctx()),
    ),
    "TOPOLOGY_BACKUP_DEDICATED_EXTERNAL": (
        lambda: (app(), ctx()),
        lambda: (app(backup_target=replace(DEDICATED, kind="existing_external")), ctx()),
    ),
    "TOPOLOGY_BACKUP_AZURE_OR_SP": (
        lambda: (app(backup_target=AZURE_TARGET), ctx()),
        lambda: (
            app(backup_target=AZURE_TARGET, allowed_target_kinds=frozenset({"azure_stack_hub"})),
            ctx(),
        ),
    ),
    "TOPOLOGY_REPLICATE_SEPARATE_ASH": (
        lambda: (replicating(), ctx()),
        lambda: (replicating(recovery_target=AZURE), ctx()),
    ),
    "TOPOLOGY_REPLICATE_AZURE_OR_SP": (
        lambda: (replicating(recovery_target=AZURE), ctx()),
        lambda: (
            replicating(recovery_target=AZURE, allowed_countries=frozenset({"FR"})),
            ctx(),
        ),
    ),
    "TOPOLOGY_SAME_CLOUD_BACKUP": (
        lambda: (app(backup_target=SAME_CLOUD_APPLIANCE), ctx()),
        lambda: (
            app(backup_target=replace(SAME_CLOUD_APPLIANCE, continuous_external_copy=True)),
            ctx(),
        ),
    ),
    "TOPOLOGY_SAME_CLOUD_BACKUP_COPIED": (
        lambda: (
            app(backup_target=replace(SAME_CLOUD_APPLIANCE, continuous_external_copy=True)),
            ctx(),
        ),
        lambda: (app(backup_target=SAME_CLOUD_APPLIANCE), ctx()),
    ),
    "TOPOLOGY_RACK_APPLIANCE": (
        lambda: (app(backup_target=replace(DEDICATED, kind="rack_appliance", site_id=1)), ctx()),
        lambda: (app(), ctx()),
    ),
    "TOPOLOGY_BACKUP_CLOSE_PROXIMITY": (
        lambda: (app(backup_target=replace(DEDICATED, site_id=1)), ctx()),
        lambda: (app(), ctx()),
    ),
    "TOPOLOGY_SAME_CLOUD_TARGET": (
        lambda: (replicating(recovery_target=SRC), ctx()),
        lambda: (replicating(), ctx()),
    ),
    "TOPOLOGY_SAME_SITE_TARGET": (
        lambda: (replicating(recovery_target=ASH_SAME_SITE), ctx()),
        lambda: (replicating(), ctx()),
    ),
    "TOPOLOGY_RESTORE_TO_SOURCE": (
        lambda: (app(recovery_target=SRC), ctx()),
        lambda: (app(), ctx()),
    ),
    "TOPOLOGY_RESTORE_SAME_SITE": (
        lambda: (app(recovery_target=ASH_SAME_SITE), ctx()),
        lambda: (replicating(recovery_target=ASH_SAME_SITE), ctx()),
    ),
    "TOPOLOGY_NO_BACKUP_TARGET": (
        lambda: (app(backup_target=None), ctx()),
        lambda: (app(), ctx()),
    ),
    "TOPOLOGY_NO_RECOVERY_TARGET": (
        lambda: (replicating(recovery_target=None), ctx()),
        lambda: (replicating(), ctx()),
    ),
    "TOPOLOGY_COMBINATION": (
        lambda: (app(), ctx()),
        lambda: (app(recovery_target=None), ctx()),
    ),
    # Sovereignty
    "SOVEREIGNTY_TARGET_KIND": (
        lambda: (
            replicating(recovery_target=AZURE, allowed_target_kinds=frozenset({"azure_stack_hub"})),
            ctx(),
        ),
        lambda: (replicating(recovery_target=AZURE), ctx()),
    ),
    "SOVEREIGNTY_TARGET_COUNTRY": (
        lambda: (
            replicating(recovery_target=AZURE, allowed_countries=frozenset({"FR"})),
            ctx(),
        ),
        lambda: (
            replicating(recovery_target=AZURE, allowed_countries=frozenset({"FR", "NL"})),
            ctx(),
        ),
    ),
    "SOVEREIGNTY_BACKUP_KIND": (
        lambda: (
            app(backup_target=AZURE_TARGET, allowed_target_kinds=frozenset({"azure_stack_hub"})),
            ctx(),
        ),
        lambda: (app(allowed_target_kinds=frozenset({"azure_stack_hub"})), ctx()),
    ),
    "SOVEREIGNTY_BACKUP_COUNTRY": (
        lambda: (
            app(
                backup_target=replace(DEDICATED, country="DE"), allowed_countries=frozenset({"FR"})
            ),
            ctx(),
        ),
        lambda: (app(allowed_countries=frozenset({"FR"})), ctx()),
    ),
    # Products and OS
    "PRODUCT_MISSING": (
        lambda: (app(product=None), ctx()),
        lambda: (app(), ctx()),
    ),
    "PRODUCT_LINUX_MICROSOFT": (
        lambda: (app(product=MABS, vms=(DB, MID, replace(WEB, os_type="linux"))), ctx()),
        lambda: (app(product=MABS), ctx()),
    ),
    "PRODUCT_OS_UNSUPPORTED": (
        lambda: (
            app(
                product=replace(VEEAM, supports_linux=False),
                vms=(DB, MID, replace(WEB, os_type="linux")),
            ),
            ctx(),
        ),
        lambda: (app(vms=(DB, MID, replace(WEB, os_type="linux"))), ctx()),
    ),
    "PRODUCT_SCHEME_UNSUPPORTED": (
        lambda: (app(product=replace(VEEAM, schemes=frozenset({"replication"}))), ctx()),
        lambda: (app(), ctx()),
    ),
    "PRODUCT_HYPERVISOR_LEVEL": (
        lambda: (app(product=replace(VEEAM, level="hypervisor")), ctx()),
        lambda: (app(), ctx()),
    ),
    "PRODUCT_API_AGENT": (
        lambda: (app(product=replace(VEEAM, level="api")), ctx()),
        lambda: (app(), ctx()),
    ),
    # Schemes
    "SCHEME_NEEDS_NATIVE_HA": (
        lambda: (ha(native_ha=False), ctx()),
        lambda: (ha(), ctx()),
    ),
    "SCHEME_HA_SYNC_ASSUMED": (
        lambda: (ha(), ctx()),
        lambda: (ha(ha_replication="asynchronous"), ctx()),
    ),
    "SCHEME_NO_SCALE_SET": (
        lambda: (ha(vms=(DB, MID, WEB)), ctx()),
        lambda: (ha(), ctx()),
    ),
    "SCHEME_CHEAPER_AVAILABLE": (
        lambda: (replicating(), ctx()),
        lambda: (replicating(rto_minutes=60), ctx()),
    ),
    "SCALESET_VM_BACKUP": (
        lambda: (app(vms=(DB, MID, replace(WEB, scale_set="web-ss"))), ctx()),
        lambda: (app(vms=(DB, MID, replace(WEB, scale_set="web-ss", opted_in=False))), ctx()),
    ),
    # Objectives
    "OBJECTIVE_RTO_NOT_MET": (
        lambda: (app(rto_minutes=60), ctx()),
        lambda: (app(), ctx()),
    ),
    "OBJECTIVE_RPO_NOT_MET": (
        lambda: (app(rpo_minutes=60), ctx()),
        lambda: (app(), ctx()),
    ),
    "OBJECTIVE_RTO_OVER_MTPD": (
        lambda: (app(mtpd_minutes=120), ctx()),
        lambda: (app(mtpd_minutes=480), ctx()),
    ),
    "OBJECTIVE_MTTR_OVER_RTO": (
        lambda: (app(drills=(drill(minutes=200), drill(days_ago=60, minutes=400))), ctx()),
        lambda: (app(drills=(drill(minutes=200), drill(days_ago=60, minutes=200))), ctx()),
    ),
    "OBJECTIVE_MET": (
        lambda: (app(), ctx()),
        lambda: (app(rto_minutes=60), ctx()),
    ),
    # Drills
    "DRILL_NEVER": (
        lambda: (app(drills=()), ctx()),
        lambda: (app(), ctx()),
    ),
    "DRILL_OVERDUE": (
        lambda: (app(drills=(drill(days_ago=91),)), ctx()),
        lambda: (app(drills=(drill(days_ago=89),)), ctx()),
    ),
    "DRILL_LOSS_OVER_RPO": (
        lambda: (app(drills=(drill(loss=1500),)), ctx()),
        lambda: (app(drills=(drill(loss=1440),)), ctx()),
    ),
    # Protection
    "PROTECTION_NONE_UNDECIDED": (
        lambda: (app(scheme="none", tier=4), ctx()),
        lambda: (app(scheme="none", tier=4, no_protection_decision=decision()), ctx()),
    ),
    "PROTECTION_NONE_DECIDED": (
        lambda: (app(scheme="none", tier=4, no_protection_decision=decision()), ctx()),
        lambda: (app(scheme="none", tier=4), ctx()),
    ),
    "PROTECTION_NONE_TIER1": (
        lambda: (app(scheme="none", tier=1, no_protection_decision=decision()), ctx()),
        lambda: (app(scheme="none", tier=4, no_protection_decision=decision()), ctx()),
    ),
    "PROTECTION_NO_VMS_OPTED_IN": (
        lambda: (app(vms=tuple(replace(v, opted_in=False) for v in (DB, MID, WEB))), ctx()),
        lambda: (app(), ctx()),
    ),
    "PROTECTION_VM_NONE_DECIDED": (
        lambda: (app(vms=(DB, MID, replace(WEB, opted_in=False, no_protection=DECISION))), ctx()),
        lambda: (app(vms=(DB, MID, replace(WEB, opted_in=False, depends_on=()))), ctx()),
    ),
    "OBJECTIVES_LOOSER_THAN_TIER": (
        lambda: (app(tier_objectives=TierObjectives(2, 240, 60)), ctx()),
        lambda: (app(tier_objectives=TierObjectives(2, 240, 1440)), ctx()),
    ),
    "PROTECTION_VMS_NOT_OPTED_IN": (
        lambda: (app(vms=(DB, MID, replace(WEB, opted_in=False, depends_on=()))), ctx()),
        lambda: (
            app(vms=(DB, MID, replace(WEB, opted_in=False, depends_on=(), scale_set="ss"))),
            ctx(),
        ),
    ),
    # Capacity
    "CAPACITY_BACKUP_STORAGE": (
        lambda: (app(), ctx(target_loads={10: TargetLoad(95_000, 100, apps=40)})),
        lambda: (app(), ctx(target_loads={10: TargetLoad(90_000, 100, apps=40)})),
    ),
    "CAPACITY_BACKUP_INGEST": (
        lambda: (app(), ctx(target_loads={10: TargetLoad(1_000, 3_400)})),
        lambda: (app(), ctx(target_loads={10: TargetLoad(1_000, 3_300)})),
    ),
    "LINK_TOO_SLOW_FOR_RPO": (
        lambda: (
            replicating(assumptions=Assumptions(link_mbps=50)),
            ctx(sizing=SizingFigures(bandwidth_mbps=62.7)),
        ),
        lambda: (
            replicating(assumptions=Assumptions(link_mbps=63)),
            ctx(sizing=SizingFigures(bandwidth_mbps=62.7)),
        ),
    ),
    # min(1,000 × 0.75, ingest 1,000) = 750 Mbit/s × 8 h window = 2,514.6 GiB a run
    "BACKUP_WINDOW_EXCEEDED": (
        lambda: (app(), ctx(sizing=SizingFigures(backup_run_gib=2_600))),
        lambda: (app(), ctx(sizing=SizingFigures(backup_run_gib=2_400))),
    ),
    "VM_SIZE_UNKNOWN": (
        lambda: (app(vms=(DB, MID, replace(WEB, vcpu=0, memory_gib=0, size="X9"))), ctx()),
        lambda: (app(), ctx()),
    ),
    "CAPACITY_ASH_MEMORY": (
        lambda: (replicating(), ctx(cloud_loads={2: CloudLoad(600, 10, 500)})),
        lambda: (replicating(), ctx(cloud_loads={2: CloudLoad(600, 10, 700)})),
    ),
    "CAPACITY_ASH_VM_COUNT": (
        lambda: (
            replicating(recovery_target=replace(ASH_B, running_vm_count=200)),
            ctx(cloud_loads={2: CloudLoad(100, 41, 1000)}),
        ),
        lambda: (
            replicating(recovery_target=replace(ASH_B, running_vm_count=200)),
            ctx(cloud_loads={2: CloudLoad(100, 40, 1000)}),
        ),
    ),
    # Azure Site Recovery on Azure Stack Hub
    "ASR_DISK_TOO_LARGE": (
        lambda: (asr_app((DB, MID, vm(103, "web", disks=(Disk("data", 1023, 10),)))), ctx()),
        lambda: (asr_app((DB, MID, vm(103, "web", disks=(Disk("data", 1022, 10),)))), ctx()),
    ),
    "ASR_REPROTECT_BATCHES": (
        lambda: (asr_app((vm(1, "big", disks=disks(32)),)), ctx()),
        lambda: (asr_app((vm(1, "big", disks=disks(31)),)), ctx()),
    ),
    "ASR_PLAN_SPLIT": (
        lambda: (asr_app(many_vms(101)), ctx()),
        lambda: (asr_app(many_vms(100)), ctx()),
    ),
    "ASR_APPLIANCE_ON_SOURCE": (
        lambda: (asr_app(), ctx()),
        lambda: (replicating(), ctx()),
    ),
    "ASR_MULTIPLE_APPLIANCES": (
        lambda: (asr_app(many_vms(121)), ctx()),
        lambda: (asr_app(many_vms(120)), ctx()),
    ),
    # Dependencies
    "DEPENDENCY_CYCLE": (
        lambda: (app(vms=(replace(DB, depends_on=(103,)), MID, WEB)), ctx()),
        lambda: (app(), ctx()),
    ),
    "DEPENDENCY_UNKNOWN_VM": (
        lambda: (app(vms=DEPENDS_OUT), ctx()),
        lambda: (app(vms=DEPENDS_OUT), ctx(external_vms={999: EXT})),
    ),
    "DEPENDENCY_SHARED_NOT_MET": (
        lambda: (app(), ctx(dependents={101: (Dependent(2, "billing", 30, 15, "api", 201),)})),
        lambda: (app(), ctx(dependents={101: (Dependent(2, "billing", 300, 1440, "api"),)})),
    ),
    "DEPENDENCY_SHARED_INHERITED": (
        lambda: (app(), ctx(dependents={101: (Dependent(2, "billing", 120, 1440, "api"),)})),
        lambda: (app(), ctx(dependents={101: (Dependent(2, "billing", 300, 1440, "api"),)})),
    ),
    "DEPENDENCY_PREREQUISITE_AT_RISK": (
        lambda: (
            app(vms=DEPENDS_OUT),
            ctx(external_vms={999: EXT._replace(rto_capability_minutes=600)}),
        ),
        lambda: (app(vms=DEPENDS_OUT), ctx(external_vms={999: EXT})),
    ),
    "DEPENDENCY_PREREQUISITE_UNVERIFIED": (
        lambda: (
            app(vms=DEPENDS_OUT),
            ctx(external_vms={999: EXT._replace(rto_capability_minutes=None)}),
        ),
        lambda: (app(vms=DEPENDS_OUT), ctx(external_vms={999: EXT})),
    ),
    "DEPENDENCY_EXTERNAL_PREREQUISITES": (
        lambda: (app(vms=DEPENDS_OUT), ctx(external_vms={999: EXT})),
        lambda: (app(), ctx(external_vms={999: EXT})),
    ),
    "DEPENDENCY_ON_UNPROTECTED_VM": (
        lambda: (app(vms=(replace(DB, opted_in=False), MID, WEB)), ctx()),
        lambda: (app(), ctx()),
    ),
    "BOOT_GROUPS_MERGED": (
        lambda: (app(vms=chain(8)), ctx()),
        lambda: (app(vms=chain(7)), ctx()),
    ),
    # Policy, seeding, onboarding
    "POLICY_MISSING": (
        lambda: (app(policy=None), ctx()),
        lambda: (app(), ctx()),
    ),
    "POLICY_HORIZON_SHORT": (
        lambda: (app(policy=replace(DAILY, gfs_yearly=2)), ctx()),
        lambda: (app(policy=replace(DAILY, gfs_yearly=1)), ctx()),
    ),
    "POLICY_PERIODIC_FULL": (
        lambda: (app(policy=replace(DAILY, method="forward_periodic_full", full_every=7)), ctx()),
        lambda: (
            app(policy=replace(DAILY, method="forward_periodic_synthetic_full", full_every=7)),
            ctx(),
        ),
    ),
    "SEEDING_OVER_GOAL": (
        lambda: (replicating(), ctx(sizing=SizingFigures(seeding_hours=72.5))),
        lambda: (replicating(), ctx(sizing=SizingFigures(seeding_hours=72))),
    ),
    "ONBOARDING_STAGGERED": (
        lambda: (app(backup_target=replace(DEDICATED, ingest_mbps=40, streams=1)), ctx()),
        lambda: (app(backup_target=replace(DEDICATED, ingest_mbps=100, streams=1)), ctx()),
    ),
    "ONBOARDING_OVER_A_YEAR": (
        # 500 GiB of initial full at 0.001 Mbit/s: about 136 years of 8-hour windows.
        lambda: (app(backup_target=replace(DEDICATED, ingest_mbps=0.001, streams=1)), ctx()),
        lambda: (app(backup_target=replace(DEDICATED, ingest_mbps=100, streams=1)), ctx()),
    ),
    "INPUT_OUT_OF_RANGE": (
        lambda: (replace(BASE, rto_minutes=float("nan")), ctx()),
        lambda: (replace(BASE, rto_minutes=5_256_000), ctx()),
    ),
    "ONBOARDING_VM_OVER_WINDOW": (
        lambda: (
            app(
                vms=(vm(1, "huge", used=680),),
                backup_target=replace(DEDICATED, ingest_mbps=100, streams=1),
            ),
            ctx(),
        ),
        lambda: (
            app(
                vms=(vm(1, "huge", used=660),),
                backup_target=replace(DEDICATED, ingest_mbps=100, streams=1),
            ),
            ctx(),
        ),
    ),
}


def test_every_registered_code_has_a_firing_and_a_quiet_case():
    assert set(CASES) == set(CODES) - RAISED_BY_SERVICES


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires(code):
    findings = run(*CASES[code][0]())
    assert code in codes(findings)
    for f in findings:
        if f.code == code:
            info = CODES[code]
            assert f.severity == info.severity
            assert f.source == info.source and f.source
            assert f.message and f.app_id == BASE.id


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_quiet(code):
    assert code not in codes(run(*CASES[code][1]()))


def test_the_default_app_is_clean():
    findings = run(BASE)
    assert {f.severity for f in findings} == {"info"}
    assert codes(findings) == {
        "OBJECTIVE_MET",
        "TOPOLOGY_BACKUP_DEDICATED_EXTERNAL",
        "TOPOLOGY_COMBINATION",
    }


def test_registry_is_well_formed():
    for code, info in CODES.items():
        assert info.code == code
        assert info.severity in SEVERITIES
        assert info.title and info.source
        assert code == code.upper() and len(code) <= 60
        assert info.remedy or info.severity == "info"
