"""The recommended scheme: the cheapest whose capability meets the objectives and constraints.
Worked examples on the default app (3 VMs, 300 GiB used, 3 start-up groups): backup-restore
RTO 87.3 min / RPO 1,440 min; replication RTO 45 min / RPO 15 min; HA 1 min / 0; FT 0 / 0."""

from __future__ import annotations

from dataclasses import replace

from planner.rules import COST_RANK, Dependent, recommend_scheme
from tests.unit.rulefacts import (
    ASH_B,
    ASR,
    AZURE,
    CLUSTER,
    DB,
    DEDICATED,
    MABS,
    MID,
    SRC,
    VEEAM,
    WEB,
    app,
    ctx,
    decision,
)

CATALOG = (VEEAM, MABS, ASR, CLUSTER)
CLOUDS = (SRC, ASH_B, AZURE)


def rec(a, **kw):
    kw.setdefault("products", CATALOG)
    kw.setdefault("clouds", CLOUDS)
    return recommend_scheme(a, ctx(**kw), 3, 300)


def test_cost_rank_follows_the_resources_kept_running():
    assert sorted(COST_RANK, key=COST_RANK.get) == [
        "none",
        "backup_restore",
        "replication",
        "high_availability",
        "fault_tolerance",
    ]


def test_loose_objectives_give_backup_restore():
    r = rec(app())
    assert r.scheme == "backup_restore"
    assert [c.scheme for c in r.candidates] == sorted(COST_RANK, key=COST_RANK.get)
    assert r.reasons[0] == "objectives: RTO 240 min (4 h), RPO 1,440 min (1 d)"
    assert r.reasons[1].startswith("schemes are tried cheapest first")
    assert r.reasons[2].startswith("no protection: ruled out — only for tier-4")
    assert r.reasons[3].startswith("backup-restore: chosen — RTO 87.3 min ≤ 240 min (4 h)")
    assert "backup target 'bk-dedicated' (the app's choice) is allowed" in r.reasons[3]
    assert len(r.reasons) == 4  # stops at the chosen scheme
    assert r.to_json()["scheme"] == "backup_restore"


def test_rto_of_one_hour_gives_replication():
    r = rec(app(rto_minutes=60))
    assert r.scheme == "replication"
    assert "backup-restore: ruled out — RTO capability 87.3 min > 60 min" in r.reasons
    chosen = r.reasons[-1]
    assert chosen.startswith("replication: chosen — RTO 45 min ≤ 60 min")
    assert "recovery target 'ash-b' (the app's choice) is allowed" in chosen
    assert "product 'Veeam' (the app's choice) supports replication" in chosen


def test_rpo_of_ten_minutes_needs_ha_which_needs_native_ha():
    r = rec(app(rpo_minutes=10))
    assert r.scheme == ""
    ha = next(c for c in r.candidates if c.scheme == "high_availability")
    assert not ha.ok and "neither native HA nor clustering" in ha.why
    assert r.reasons[-1].startswith("no scheme meets the objectives and constraints")
    r = rec(app(rpo_minutes=10, native_ha=True))
    assert r.scheme == "high_availability"
    assert "product 'Clustering' supports high availability" in r.reasons[-1]


def test_zero_rto_gives_fault_tolerance():
    r = rec(app(rto_minutes=0, rpo_minutes=0, native_ha=True))
    assert r.scheme == "fault_tolerance"


def test_none_only_for_tier_4_with_a_recorded_decision():
    assert rec(app(tier=4)).scheme == "backup_restore"
    assert rec(app(tier=3, no_protection_decision=decision())).scheme == "backup_restore"
    r = rec(app(tier=4, no_protection_decision=decision(), rto_minutes=1))
    assert r.scheme == "none"
    assert "decision recorded by bob" in r.reasons[-1]
    assert "objectives are waived" in r.reasons[-1]


def test_sovereignty_rules_out_every_recovery_target():
    # Only Azure as a failover target, but the app may only stay on Azure Stack Hub.
    a = app(
        rto_minutes=60,
        recovery_target=AZURE,
        allowed_target_kinds=frozenset({"azure_stack_hub"}),
    )
    r = rec(a, clouds=(SRC, AZURE))
    assert r.scheme == ""
    repl = next(c for c in r.candidates if c.scheme == "replication")
    assert not repl.ok
    assert "no allowed recovery target: 'azure-weu' is of kind azure" in repl.why


def test_another_allowed_target_from_the_estate_is_proposed():
    a = app(rto_minutes=60, recovery_target=AZURE, allowed_countries=frozenset({"FR"}))
    r = rec(a)
    assert r.scheme == "replication"
    assert "recovery target 'ash-b' is allowed" in r.reasons[-1]


def test_same_datacenter_cloud_is_not_a_target():
    same_site = replace(ASH_B, site_id=1)
    r = rec(app(rto_minutes=60, recovery_target=same_site), clouds=(same_site,))
    assert r.scheme == ""
    assert "in the source's datacenter" in r.candidates[2].why


def test_backup_target_must_be_allowed():
    rack = replace(DEDICATED, kind="rack_appliance")
    r = rec(app(backup_target=rack))
    assert r.scheme == "replication"
    assert "no allowed backup target" in r.candidates[1].why
    assert "not supported" in r.candidates[1].why


def test_linux_vms_need_a_partner_product():
    linux = (DB, MID, replace(WEB, os_type="linux"))
    r = rec(app(vms=linux, product=MABS), products=(MABS, ASR))
    assert r.scheme == ""
    assert "Linux VMs need a partner product" in r.candidates[1].why
    r = rec(app(vms=linux, product=MABS))
    assert r.scheme == "backup_restore"
    assert "product 'Veeam' supports backup-restore" in r.reasons[-1]


def test_without_catalog_only_the_apps_product_is_checked():
    r = recommend_scheme(app(rto_minutes=60, product=MABS), ctx(), 3, 300)
    assert r.scheme == ""  # MABS backs up only; no other product known
    r = recommend_scheme(app(rto_minutes=60, product=None), ctx(), 3, 300)
    assert r.scheme == "replication"
    assert "no product chosen or listed: not checked" in r.reasons[-1]


def test_inherited_objectives_make_it_stricter():
    deps = {101: (Dependent(2, "billing", 30, 1440, "api", 201),)}
    r = rec(app(), dependents=deps)
    assert (r.rto_minutes, r.rpo_minutes) == (30, 1440)
    assert "RTO tightened to 30 min: VM 'api' of app 'billing' depends on 'db'" in r.reasons
    assert r.scheme == ""  # replication needs 45 min, HA needs native HA
    assert rec(app(native_ha=True), dependents=deps).scheme == "high_availability"
