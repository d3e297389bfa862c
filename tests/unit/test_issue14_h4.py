"""Issue 14 (items 3-7, 11, 12) in the pure engine: internal rates, LRS/GRS, products' data
reduction and chain, scale-set VMs left out of backup storage, asynchronous HA, per-VM
decisions and tier service levels, and scale sets read from the import. Worked numbers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest

from planner.catalog_defaults import limits, prices
from planner.facts import (
    App,
    BackupPolicy,
    BackupTarget,
    Cloud,
    Decision,
    Disk,
    Product,
    TierObjectives,
    Vm,
    effective_policy,
)
from planner.rules import evaluate
from planner.services.inventory import parse_inventory
from planner.sizing import size_app
from planner.sizing.cost import internal_cost
from tests.unit.rulefacts import ctx

P, L = prices(), limits()
HUB_A = Cloud(1, "hub-a", "azure_stack_hub", "customer", site_id=1, country="DE", nodes=4)
HUB_B = Cloud(2, "hub-b", "azure_stack_hub", "customer", site_id=2, country="DE", nodes=4)
ON_PREM = BackupTarget(5, "bk", "dedicated_external", site_id=2, capacity_gib=100_000)
AZURE_BK = BackupTarget(6, "vault", "azure", capacity_gib=0)
VM = Vm(1, "db", 10, vcpu=4, memory_gib=16, opted_in=True, disks=(Disk("os", 1200, 1000),))
DAILY = BackupPolicy("daily", retention_points=14)
VEEAM = Product(
    1, "Veeam", "partner", True, True, frozenset({"backup_restore"}), "guest", reduction=0.4
)


def app(**kw) -> App:
    kw.setdefault("source_cloud", HUB_A)
    kw.setdefault("vms", (VM,))
    return App(10, "shop", scheme=kw.pop("scheme", "backup_restore"), **kw)


# ---- internal rates (item 3) -------------------------------------------------------------------


def test_internal_cost_worked_example():
    """8 vCPU × $20 + 300 GiB × $0.05 = $160 + $15 = $175/month."""
    rates = {"internal.hub_vcpu_month": 20.0, "internal.hub_storage_gib_month": 0.05}
    fig = internal_cost(rates, vcpu=8, hub_gib=300)
    assert fig.value == pytest.approx(175.0)
    assert fig.explanation == (
        "on-premises capacity = 8 vCPU × USD 20.00/hub vCPU-month + 300 GiB × USD 0.05/hub storage "
        "GiB-month = USD 175.00/month (internal rates)",
    )


def test_unset_internal_rates_count_as_zero_and_say_so():
    fig = internal_cost(P, backup_gib=1_575)
    assert fig.value == 0
    assert "internal rate internal.backup_storage_gib_month not set" in fig.explanation[1]


def test_on_premises_backup_is_priced_at_the_internal_rate():
    """1,000 GiB forever forward, 14 points, daily change 5 %, c 0.5: data 500 × (1 + 13 × 0.05)
    = 825 GiB + workspace 0.5 × 1.05 × 1,000 = 525 GiB = 1,350 GiB; × $0.03 = $40.50/month."""
    a = app(backup_target=ON_PREM, policy=DAILY)
    assert size_app(a, P, L).monthly_cost == 0
    priced = size_app(a, {**P, "internal.backup_storage_gib_month": 0.03}, L)
    assert priced.backup_gib == pytest.approx(1_350)
    assert priced.monthly_cost == pytest.approx(40.50)
    assert priced.cost_by_month[0] == pytest.approx(40.50)


def test_replication_to_a_hub_is_priced_at_the_internal_rates():
    """Replica 1,200 GiB × 1.5 = 1,800 GiB × $0.02 = $36 + 4 vCPU reserved × $10 = $40: $76."""
    a = app(scheme="replication", recovery_target=HUB_B)
    rates = {**P, "internal.hub_vcpu_month": 10.0, "internal.hub_storage_gib_month": 0.02}
    s = size_app(a, rates, L)
    assert s.monthly_cost == pytest.approx(76.0)
    assert s.cost_by_month[11] == pytest.approx(76.0)


# ---- LRS / GRS (item 6) ------------------------------------------------------------------------


def test_grs_backup_storage_is_priced_from_the_catalog():
    """Azure Backup, 1,000 GiB: 2 instances × $10 + 1,350 GiB × price; GRS − LRS = 1,350 ×
    (0.0448 − 0.0224) = $30.24 a month more."""
    lrs = size_app(app(backup_target=AZURE_BK, policy=DAILY), P, L)
    grs = size_app(app(backup_target=AZURE_BK, policy=replace(DAILY, redundancy="grs")), P, L)
    diff = P["azure_backup.storage_grs_gib_month"] - P["azure_backup.storage_lrs_gib_month"]
    assert grs.monthly_cost - lrs.monthly_cost == pytest.approx(lrs.backup_gib * diff)
    assert any("Azure Backup storage GRS (policy 'daily')" in x for x in grs.vms[0].explanation)
    assert any("storage GRS" in x for x in grs.explanation)


def test_unknown_redundancy_is_refused_by_name():
    with pytest.raises(ValueError, match="redundancy"):
        size_app(app(backup_target=AZURE_BK, policy=replace(DAILY, redundancy="zrs")), P, L)


# ---- products differ (item 12) -----------------------------------------------------------------


def test_the_products_reduction_applies_where_the_policy_does_not_say():
    """c = 0.4 from the product: data 0.4 × 1,000 × 1.65 = 660 + workspace 0.4 × 1,050 = 420
    = 1,080 GiB (1,350 GiB at the default 0.5)."""
    a = app(backup_target=ON_PREM, policy=replace(DAILY, reduction=None), product=VEEAM)
    s = size_app(a, P, L)
    assert s.backup_gib == pytest.approx(1_080)
    assert "reduction 0.4 from product 'Veeam' (the policy does not say)" in s.explanation
    # The policy's own figure wins.
    own = size_app(replace(a, policy=replace(DAILY, reduction=0.5)), P, L)
    assert own.backup_gib == pytest.approx(1_350)


def test_a_product_with_periodic_fulls_sizes_a_policyless_app_with_weekly_fulls():
    """No policy, product needs fulls every 7 runs: P = 14 + 7 − 1 = 20 points, F = 3, I = 17;
    data = 0.5 × 1,000 × (3 + 17 × 0.05) = 1,925 GiB, no workspace (active fulls)."""
    product = replace(VEEAM, reduction=None, chain="periodic_full", full_every=7)
    s = size_app(app(backup_target=ON_PREM, product=product), P, L)
    assert s.backup_gib == pytest.approx(1_925)
    assert any("needs periodic fulls, so an active full every 7 runs" in x for x in s.explanation)
    policy, lines = effective_policy(app(product=product))
    assert (policy.method, policy.full_every, policy.reduction) == ("forward_periodic_full", 7, 0.5)
    assert lines[-1].startswith("reduction 0.5 (DESIGN §4 default")


# ---- scale sets (item 4) -----------------------------------------------------------------------


def test_scale_set_vms_are_left_out_and_the_app_total_says_which():
    member = Vm(2, "web-0", 10, scale_set="vmss-web", opted_in=True, disks=(Disk("os", 64, 40),))
    kept = replace(member, id=3, name="web-1", keep_in_backup=True)
    s = size_app(app(backup_target=ON_PREM, policy=DAILY, vms=(VM, member, kept)), P, L)
    by_id = {v.vm_id: v for v in s.vms}
    assert by_id[2].backup_gib == 0 and by_id[3].backup_gib > 0
    assert s.backup_gib == pytest.approx(by_id[1].backup_gib + by_id[3].backup_gib)
    assert "scale-set VMs left out of backup storage (1): web-0" in s.explanation
    assert "scale-set VMs kept in backup storage by their owner (1): web-1" in s.explanation


def _vm_json(**extra):
    return {
        "name": "web-0",
        "resourceGroup": "rg",
        "storageProfile": {"osDisk": {"osType": "Linux", "diskSizeGb": 30}, "dataDisks": []},
        **extra,
    }


SS_ID = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/"
    "vmss-web"
)


def test_az_cli_and_arm_scale_set_ids_set_the_scale_set():
    cli = parse_inventory(
        json.dumps([_vm_json(virtualMachineScaleSet={"id": SS_ID})]).encode(), "vms.json"
    )
    arm_item = {
        "name": "web-1",
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-1",
        "properties": {
            "storageProfile": {"osDisk": {"osType": "Linux", "diskSizeGB": 30}},
            "virtualMachineScaleSet": {"id": SS_ID},
        },
    }
    arm = parse_inventory(json.dumps({"value": [arm_item]}).encode(), "arm.json")
    assert [r.scale_set for r in cli.rows] == ["vmss-web"]
    assert [r.scale_set for r in arm.rows] == ["vmss-web"]
    plain = parse_inventory(json.dumps([_vm_json()]).encode(), "vms.json")
    assert plain.rows[0].scale_set == ""


def test_a_scale_set_id_that_names_no_scale_set_is_a_row_error():
    bad = parse_inventory(
        json.dumps([_vm_json(virtualMachineScaleSet={"id": "/subscriptions/x"})]).encode(),
        "vms.json",
    )
    assert not bad.rows
    assert "names no scale set" in bad.errors[0].reason


# ---- HA, per-VM decisions, tiers (items 5, 7, 11) ----------------------------------------------


def _codes(a):
    return {f.code: f for f in evaluate(a, ctx())}


def test_a_recorded_vm_decision_clears_the_not_opted_in_finding():
    out = replace(VM, id=2, name="tmp", opted_in=False)
    assert "PROTECTION_VMS_NOT_OPTED_IN" in _codes(app(backup_target=ON_PREM, vms=(VM, out)))
    decided = replace(out, no_protection=Decision("alice", datetime(2026, 3, 1), "scratch disk"))
    codes = _codes(app(backup_target=ON_PREM, vms=(VM, decided)))
    assert "PROTECTION_VMS_NOT_OPTED_IN" not in codes
    assert "tmp (alice, 2026-03-01: scratch disk)" in codes["PROTECTION_VM_NONE_DECIDED"].message


def test_an_app_looser_than_its_tier_is_warned_naming_both():
    tier = TierObjectives(1, rto_minutes=60, rpo_minutes=15, mtpd_minutes=240)
    f = _codes(app(tier=1, rto_minutes=240, rpo_minutes=15, tier_objectives=tier))
    message = f["OBJECTIVES_LOOSER_THAN_TIER"].message
    assert "RTO 240 min (4 h) > tier 1's 60 min" in message
    assert "no MTPD, tier 1's is 240 min (4 h)" in message
    assert "RPO" not in message
    within = app(tier=1, rto_minutes=60, rpo_minutes=5, mtpd_minutes=120, tier_objectives=tier)
    assert "OBJECTIVES_LOOSER_THAN_TIER" not in _codes(within)
