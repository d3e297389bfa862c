"""The recommended scheme: the cheapest whose capability meets the objectives and constraints.
Worked examples on the default app (3 VMs, 300 GiB used, 3 start-up groups): backup-restore
RTO 87.3 min / RPO 1,440 min; replication RTO 45 min / RPO 15 min; HA 1 min / 0; FT 0 / 0."""

from __future__ import annotations

import math
from dataclasses import replace

from planner.facts import Assumptions
from planner.rules import (
    COST_RANK,
    CandidateFigures,
    CloudLoad,
    Dependent,
    SizingFigures,
    TargetLoad,
    recommend_scheme,
)
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
    # none; backup to the app's target; three replicating schemes × (ash-b, azure-weu).
    assert [(c.scheme, c.target.name if c.target else None) for c in r.candidates] == [
        ("none", None),
        ("backup_restore", "bk-dedicated"),
        ("replication", "ash-b"),
        ("replication", "azure-weu"),
        ("high_availability", "ash-b"),
        ("high_availability", "azure-weu"),
        ("fault_tolerance", "ash-b"),
        ("fault_tolerance", "azure-weu"),
    ]
    assert r.reasons[0] == "objectives: RTO 240 min (4 h), RPO 1,440 min (1 d)"
    assert r.reasons[1].startswith("costs not computed: candidates are ranked by the resources")
    assert r.reasons[2] == "8 candidates (scheme × allowed target), 3 fit"
    assert r.reasons[3].startswith(
        "backup-restore to 'bk-dedicated': recommended — cost unknown, RTO 87.3 min"
    )
    assert "target 'bk-dedicated' (the app's choice) is allowed and has room" in r.reasons[3]
    j = r.to_json()
    assert j["scheme"] == "backup_restore"
    assert j["target"] == {"kind": "backup_target", "id": 10, "name": "bk-dedicated"}
    first = j["candidates"][1]
    assert set(first) >= {"scheme", "target", "ok", "why", "capability", "monthly_cost"}
    assert first["monthly_cost"] is None and first["ok"] is True


def test_rto_of_one_hour_gives_replication():
    r = rec(app(rto_minutes=60))
    assert r.scheme == "replication"
    assert (
        "backup-restore to 'bk-dedicated' (cost unknown): ruled out — RTO capability 87.3 min > "
        "60 min"
    ) in r.reasons[-1]
    chosen = r.reasons[3]
    assert chosen.startswith("replication to 'ash-b': recommended — cost unknown, RTO 45 min")
    assert "target 'ash-b' (the app's choice) is allowed and has room" in chosen
    assert "product 'Veeam' (the app's choice) supports replication" in chosen


def test_rpo_of_ten_minutes_needs_ha_which_needs_native_ha():
    r = rec(app(rpo_minutes=10))
    assert r.scheme == ""
    ha = next(c for c in r.candidates if c.scheme == "high_availability")
    assert not ha.ok and "neither native HA nor clustering" in ha.why
    assert r.reasons[-1].startswith("no candidate meets the objectives and constraints")
    r = rec(app(rpo_minutes=10, native_ha=True))
    assert r.scheme == "high_availability"
    assert "product 'Clustering' supports high availability" in r.reasons[3]


def test_zero_rto_gives_fault_tolerance():
    r = rec(app(rto_minutes=0, rpo_minutes=0, native_ha=True))
    assert r.scheme == "fault_tolerance"


def test_none_only_for_tier_4_with_a_recorded_decision():
    assert rec(app(tier=4)).scheme == "backup_restore"
    assert rec(app(tier=3, no_protection_decision=decision())).scheme == "backup_restore"
    r = rec(app(tier=4, no_protection_decision=decision(), rto_minutes=1))
    assert r.scheme == "none"
    assert "decision recorded by bob" in r.reasons[3]
    assert "objectives are waived" in r.reasons[3]


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
    assert "'azure-weu' is of kind azure, not allowed for this app" in repl.why


def test_another_allowed_target_from_the_estate_is_proposed():
    a = app(rto_minutes=60, recovery_target=AZURE, allowed_countries=frozenset({"FR"}))
    r = rec(a)
    assert r.scheme == "replication"
    assert r.chosen.target.name == "ash-b"
    assert "target 'ash-b' is allowed and has room" in r.reasons[3]


def test_same_datacenter_cloud_is_not_a_target():
    same_site = replace(ASH_B, site_id=1)
    r = rec(app(rto_minutes=60, recovery_target=same_site), clouds=(same_site,))
    assert r.scheme == ""
    assert "in the source's datacenter" in r.candidates[2].why
    assert r.candidates[2].target.name == "ash-b"


def test_backup_target_must_be_allowed():
    rack = replace(DEDICATED, kind="rack_appliance")
    r = rec(app(backup_target=rack))
    assert r.scheme == "replication"
    assert "physical appliance in the Azure Stack Hub rack: not supported" in r.candidates[1].why


def test_linux_vms_need_a_partner_product():
    linux = (DB, MID, replace(WEB, os_type="linux"))
    r = rec(app(vms=linux, product=MABS), products=(MABS, ASR))
    assert r.scheme == ""
    assert "Linux VMs need a partner product" in r.candidates[1].why
    r = rec(app(vms=linux, product=MABS))
    assert r.scheme == "backup_restore"
    assert "product 'Veeam' supports backup-restore" in r.reasons[3]


def test_without_catalog_only_the_apps_product_is_checked():
    r = recommend_scheme(app(rto_minutes=60, product=MABS), ctx(), 3, 300)
    assert r.scheme == ""  # MABS backs up only; no other product known
    r = recommend_scheme(app(rto_minutes=60, product=None), ctx(), 3, 300)
    assert r.scheme == "replication"
    assert "no product chosen or listed: not checked" in r.reasons[3]


def test_inherited_objectives_make_it_stricter():
    deps = {101: (Dependent(2, "billing", 30, 1440, "api", 201),)}
    r = rec(app(), dependents=deps)
    assert (r.rto_minutes, r.rpo_minutes) == (30, 1440)
    assert "RTO tightened to 30 min: VM 'api' of app 'billing' depends on 'db'" in r.reasons
    assert r.scheme == ""  # replication needs 45 min, HA needs native HA
    assert rec(app(native_ha=True), dependents=deps).scheme == "high_availability"


# ---- costs: the cheapest candidate that fits ----------------------------------------------------

BK_AZURE = replace(DEDICATED, id=11, name="bk-azure", kind="azure", site_id=None, country="NL")


def costs(**by_key):
    """CandidateFigures by 'scheme:target id' keyword, e.g. backup_restore_10=12.5."""
    out = {}
    for key, value in by_key.items():
        scheme, _, target = key.rpartition("_")
        out[(scheme, int(target))] = (
            value if isinstance(value, CandidateFigures) else CandidateFigures(value, ())
        )
    return out


def test_the_cheapest_fitting_candidate_is_recommended_whatever_the_scheme():
    """Replication to ash-b at $40 beats backup to Azure at $55 and to the dedicated target at
    $60: the scheme ranking no longer decides, the monthly cost does."""
    figures = costs(
        backup_restore_10=60.0,
        backup_restore_11=55.0,
        replication_2=40.0,
        replication_3=90.0,
        high_availability_2=300.0,
        high_availability_3=500.0,
        fault_tolerance_2=700.0,
        fault_tolerance_3=900.0,
    )
    r = rec(app(), backup_targets=(DEDICATED, BK_AZURE), candidates=figures)
    assert (r.scheme, r.chosen.target.name, r.chosen.monthly_cost) == ("replication", "ash-b", 40)
    assert r.reasons[1].startswith("the recommended candidate is the cheapest that fits")
    assert r.reasons[3].startswith("replication to 'ash-b': recommended — $40.00/month, RTO 45 min")
    assert r.to_json()["monthly_cost"] == 40.0
    assert [c["monthly_cost"] for c in r.to_json()["candidates"]][:3] == [0.0, 55.0, 60.0]


def test_equal_costs_go_to_the_lower_rto():
    """On-premises targets at unset internal rates cost $0 each: replication (RTO 45 min) beats
    backup-restore (RTO 72.9 min)."""
    figures = costs(
        backup_restore_10=0.0,
        replication_2=0.0,
        replication_3=90.0,
        high_availability_2=0.0,
        high_availability_3=1.0,
        fault_tolerance_2=0.0,
        fault_tolerance_3=1.0,
    )
    r = rec(app(), candidates=figures)
    assert (r.scheme, r.chosen.capability.rto_minutes) == ("replication", 45)


def test_a_full_backup_target_is_ruled_out_with_its_figures():
    """bk-dedicated: 100,000 GiB − 10,000 used − 89,000 for other apps = 1,000 GiB free; the app
    needs 1,500 GiB there, so it does not fit and the next candidate is recommended."""
    figures = costs(
        backup_restore_10=CandidateFigures(10.0, (), backup_gib=1500),
        backup_restore_11=CandidateFigures(30.0, (), backup_gib=1500),
    )
    loads = {10: TargetLoad(89_000, 0, apps=12)}
    r = rec(app(), backup_targets=(DEDICATED, BK_AZURE), candidates=figures, target_loads=loads)
    dedicated = next(c for c in r.candidates if c.target and c.target.name == "bk-dedicated")
    assert not dedicated.ok
    assert (
        "backup target 'bk-dedicated' has 1,000 GiB free after the other apps' 89,000 GiB, "
        "this app needs 1,500 GiB"
    ) in dedicated.why
    assert r.chosen.target.name == "bk-azure"


def test_a_hub_without_memory_is_ruled_out():
    """ash-b has 500 GiB for tenant VMs; other apps hold 450 GiB; the app needs 96 GiB."""
    figures = costs(
        backup_restore_10=500.0,
        replication_2=CandidateFigures(0.0, (), standby_memory_gib=96, standby_vm_count=3),
        replication_3=80.0,
    )
    loads = {2: CloudLoad(450, 10, 500)}
    r = rec(app(rto_minutes=60), candidates=figures, cloud_loads=loads)
    hub = next(c for c in r.candidates if c.scheme == "replication")
    assert not hub.ok
    assert (
        "hub 'ash-b' has 50 GiB of memory left for stand-by VMs after the other apps' 450 GiB"
        in (hub.why)
    )
    assert (r.scheme, r.chosen.target.name) == ("replication", "azure-weu")


def test_a_replicating_candidate_whose_link_is_too_slow_does_not_fit():
    """Replication needs 62.7 Mbit/s: 62.7 × 0.75 = 47.03 Mbit/s of data on a 50 Mbit/s link
    carrying 50 × 0.75 = 37.5; the backlog grows by (47.03 − 37.5) × 86,400 ÷ 8,589.93 =
    95.8 GiB a day, so the RPO is unbounded and the candidate is ruled out (issue 14 item 1)."""
    slow = app(rto_minutes=60, assumptions=Assumptions(link_mbps=50))
    figures = costs(
        backup_restore_10=10.0,
        replication_2=CandidateFigures(20.0, (), replication_mbps=62.7),
        replication_3=CandidateFigures(30.0, (), replication_mbps=62.7),
    )
    r = rec(slow, candidates=figures)
    to_hub = next(c for c in r.candidates if c.scheme == "replication")
    assert not to_hub.ok
    assert to_hub.capability.rpo_minutes == math.inf
    assert "the link is too slow for any RPO" in to_hub.why
    assert "95.8 GiB a day; a link of at least 62.7 Mbit/s would do" in to_hub.why
    assert r.chosen is None  # backup-restore at 37.5 Mbit/s misses the 60 min RTO too
    # A 100 Mbit/s link carries 75 Mbit/s of data: the same candidate fits.
    fast = replace(slow, assumptions=Assumptions(link_mbps=100))
    r = rec(fast, candidates=figures)
    assert (r.scheme, r.chosen.target.name, r.chosen.capability.rpo_minutes) == (
        "replication",
        "ash-b",
        15,
    )


def test_without_costs_a_replicating_app_checks_every_replicating_candidate_on_its_link():
    """No candidate figures: the app's own sizing's bandwidth (62.7 Mbit/s) stands for every
    replicating scheme (the same churn), so none fits a 50 Mbit/s link."""
    a = app(
        scheme="replication",
        recovery_target=ASH_B,
        native_ha=True,
        rto_minutes=60,
        assumptions=Assumptions(link_mbps=50),
    )
    r = rec(a, sizing=SizingFigures(bandwidth_mbps=62.7))
    replicating_ = [c for c in r.candidates if c.scheme in ("replication", "high_availability")]
    assert replicating_ and all(not c.ok and "the link is too slow" in c.why for c in replicating_)
