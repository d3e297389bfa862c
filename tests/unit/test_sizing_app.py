"""App-level sizing over small hand-built apps: every scheme, every target kind, projections.

The app: VM "db" (disks 128/60 + 1,024/940 GiB: used 1,000, provisioned 1,152; 4 vCPU, 16 GiB,
change 0.05/day), VM "web" (128/40 GiB: used 40, provisioned 128; 2 vCPU, 8 GiB, change 0.02/day)
and VM "test" which is not opted in. Default assumptions: horizon 365 d, link 1,000 Mbit/s,
efficiency 0.75, wire ratio 1, replica overhead 1.5, 4 drills × 7 days a year.
"""

from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path

import pytest

from planner.catalog_defaults import limits, prices
from planner.facts import App, BackupPolicy, BackupTarget, Cloud, Decision, Disk, Vm
from planner.sizing import ENGINE_VERSION, AppSizing, VmSizing, size_app, size_vm

P, L = prices(), limits()
HUB_A = Cloud(1, "hub-a", "azure_stack_hub", "customer", nodes=4, memory_per_node_gib=384)
HUB_B = Cloud(2, "hub-b", "azure_stack_hub", "csp", nodes=4, memory_per_node_gib=384)
AZURE = Cloud(3, "West Europe", "azure", "microsoft")
PROVIDER = Cloud(4, "provider", "service_provider", "csp")
DB = Vm(
    1,
    "db",
    10,
    vcpu=4,
    memory_gib=16,
    role="database",
    opted_in=True,
    disks=(Disk("os", 128, 60), Disk("data", 1024, 940)),
    change_rate=0.05,
)
WEB = Vm(2, "web", 10, vcpu=2, memory_gib=8, opted_in=True, disks=(Disk("os", 128, 40),),
         change_rate=0.02)  # fmt: skip
TEST = Vm(3, "test", 10, vcpu=2, memory_gib=8, opted_in=False, disks=(Disk("os", 128, 40),))
DAILY = BackupPolicy("daily", retention_points=14, method="forever_forward", reduction=0.5)


def target(kind):
    return BackupTarget(1, f"{kind} target", kind)


def make_app(scheme="backup_restore", vms=(DB, WEB, TEST), **kw):
    kw.setdefault("source_cloud", HUB_A)
    return App(10, "shop", scheme=scheme, vms=vms, **kw)


def backup_app(kind="azure", policy=DAILY, **kw):
    return make_app("backup_restore", backup_target=target(kind), policy=policy, **kw)


def by_id(sizing):
    return {v.vm_id: v for v in sizing.vms}


# ---- result shape -------------------------------------------------------------------------------


def test_result_fields_the_database_stores():
    vm_fields = {f.name for f in fields(VmSizing)}
    assert {
        "vm_id", "used_gib", "used_gib_horizon", "provisioned_gib", "backup_data_gib",
        "backup_workspace_gib", "backup_gib", "replica_gib", "churn_gib_day", "bandwidth_mbps",
        "seeding_hours", "standby_vcpu", "standby_memory_gib", "public_instances", "monthly_cost",
        "explanation",
    } <= vm_fields  # fmt: skip
    app_fields = {f.name for f in fields(AppSizing)}
    assert {
        "app_id", "scheme", "vms", "used_gib", "provisioned_gib", "backup_gib", "replica_gib",
        "churn_gib_day", "bandwidth_mbps", "seeding_hours", "standby_vcpu", "standby_memory_gib",
        "public_instances", "monthly_cost", "asr_appliances", "appliance_vcpu",
        "appliance_memory_gib", "cost_by_month", "storage_by_point", "explanation",
    } <= app_fields  # fmt: skip
    assert ENGINE_VERSION == "2.2.0"


def test_only_opted_in_vms_are_sized():
    s = size_app(backup_app(), P, L)
    assert [v.vm_id for v in s.vms] == [1, 2]
    assert s.used_gib == pytest.approx(1040)
    assert s.provisioned_gib == pytest.approx(1280)


def test_scale_set_members_are_left_out_of_backup_storage_unless_kept():
    member = replace(WEB, id=5, name="web-vmss-0", scale_set="web-vmss")
    s = size_app(make_app("backup_restore", vms=(member,), backup_target=target("azure")), P, L)
    assert [v.vm_id for v in s.vms] == [5]
    assert (s.vms[0].backup_gib, s.vms[0].monthly_cost, s.backup_gib) == (0, 0, 0)
    assert "left out of backup storage" in "\n".join(s.vms[0].explanation)
    assert "scale-set VMs left out of backup storage (1): web-vmss-0" in s.explanation
    kept = replace(member, keep_in_backup=True)
    s = size_app(make_app("backup_restore", vms=(kept,), backup_target=target("azure")), P, L)
    assert s.vms[0].backup_gib > 0
    assert "scale-set VMs kept in backup storage by their owner (1): web-vmss-0" in s.explanation
    # Replication keeps sizing them: the rule is about VM backup.
    s = size_app(make_app("replication", vms=(member,)), P, L)
    assert s.vms[0].replica_gib > 0


# ---- backup_restore ---------------------------------------------------------------------------


def test_backup_to_azure():
    # db: data = 0.5 × 1,000 × (1 + 13 × 0.05) = 825; workspace = 525; total 1,350 GiB
    #     2 instances (ceil(1,000 / 500)) × 10 + 1,350 × 0.0224 = 20 + 30.24 = 50.24 USD
    # web: data = 0.5 × 40 × (1 + 13 × 0.02) = 25.2; workspace = 21; total 46.2 GiB
    #     1 small instance × 5 + 46.2 × 0.0224 = 6.03488 USD
    s = size_app(backup_app("azure"), P, L)
    db, web = by_id(s)[1], by_id(s)[2]
    assert db.backup_data_gib == pytest.approx(825)
    assert db.backup_workspace_gib == pytest.approx(525)
    assert db.backup_gib == pytest.approx(1350)
    assert db.public_instances == 2
    assert db.monthly_cost == pytest.approx(50.24)
    assert web.backup_gib == pytest.approx(46.2)
    assert web.public_instances == 1
    assert web.monthly_cost == pytest.approx(6.03488)
    assert s.backup_gib == pytest.approx(1396.2)
    assert s.public_instances == 3
    assert s.monthly_cost == pytest.approx(56.27488)
    assert (s.replica_gib, s.standby_vcpu, s.asr_appliances) == (0, 0, 0)
    # no growth: every month costs the same
    assert s.cost_by_month == pytest.approx([56.27488] * 36)


def test_backup_vm_explanation_shows_the_numbers():
    db = by_id(size_app(backup_app("azure"), P, L))[1]
    text = "\n".join(db.explanation)
    assert "data = 0.5 × 1,000 GiB × (1 + 13 × 0.05) = 825 GiB" in text
    assert "workspace = 0.5 × 1.05 × 1,000 GiB = 525 GiB" in text
    assert "ceil(1,000 ÷ 500) = 2 instances" in text
    assert "Azure Backup = 2 × USD 10.00 + 1,350 GiB × USD 0.0224/GiB = USD 50.24/month" in text


def test_backup_app_explanation_sums():
    s = size_app(backup_app("azure"), P, L)
    text = "\n".join(s.explanation)
    assert "backup storage = Σ 2 VMs = 850.2 GiB data + 546 GiB workspace = 1,396.2 GiB" in text
    assert "monthly cost (steady state) = Σ 2 VMs = USD 56.27" in text


def test_backup_bandwidth_and_first_full():
    # db: one run = 1,000 × 0.05 = 50 GiB in the 8 h window:
    # 50 × 8,589.934592 ÷ 28,800 s ÷ 0.75 = 19.884108 Mbit/s
    # first full: 1,000 GiB over 1,000 Mbit/s at 0.75 = 3.181457 h; the app's 1,040 GiB = 3.308715 h
    s = size_app(backup_app("azure"), P, L)
    db = by_id(s)[1]
    assert db.churn_gib_day == pytest.approx(50)
    assert db.bandwidth_mbps == pytest.approx(19.884108, rel=1e-6)
    assert db.seeding_hours == pytest.approx(3.181457, rel=1e-6)
    assert s.seeding_hours == pytest.approx(3.308715, rel=1e-6)
    assert s.bandwidth_mbps == pytest.approx(sum(v.bandwidth_mbps for v in s.vms))


def test_backup_on_premises_has_no_public_cost():
    for kind in ("existing_external", "dedicated_external", "same_cloud_appliance"):
        s = size_app(backup_app(kind), P, L)
        assert s.backup_gib == pytest.approx(1396.2)
        assert (s.monthly_cost, s.public_instances) == (0, 0)
        assert not any(s.cost_by_month)
        assert any("on premises: no public cost" in line for line in s.vms[0].explanation)


def test_backup_to_service_provider():
    # db: 15 + 1,350 × 0.03 = 55.5; web: 15 + 46.2 × 0.03 = 16.386 → 71.886 USD
    s = size_app(backup_app("service_provider"), P, L)
    assert by_id(s)[1].monthly_cost == pytest.approx(55.5)
    assert s.monthly_cost == pytest.approx(71.886)
    assert s.public_instances == 2


def test_backup_without_target_or_policy():
    s = size_app(make_app("backup_restore"), P, L)  # default policy: 14 daily points, ff, 0.5
    assert s.backup_gib == pytest.approx(1396.2)
    assert s.monthly_cost == 0
    assert any("no backup target chosen" in line for line in s.vms[0].explanation)


def test_backup_hourly_policy_scales_change_per_run():
    # change per run = 0.05/day × 1/24 day; db data = 500 × (1 + 13 × 0.05/24) = 513.541667 GiB
    hourly = replace(DAILY, interval_minutes=60)
    db = by_id(size_app(backup_app("azure", policy=hourly), P, L))[1]
    assert db.backup_data_gib == pytest.approx(513.541667)
    assert any(line.startswith("change per run = 0.05/day × 60 min") for line in db.explanation)


def test_storage_by_point():
    # full 1 = 500 + 20 = 520 GiB; each incremental adds 25 + 0.4 = 25.4 GiB;
    # inc 13 → 520 + 13 × 25.4 = 850.2 (all data); workspace → 850.2 + 546 = 1,396.2
    chart = size_app(backup_app("azure"), P, L).storage_by_point
    assert len(chart) == 15
    assert chart[0] == ("full 1", pytest.approx(520))
    assert chart[1] == ("inc 1", pytest.approx(545.4))
    assert chart[13] == ("inc 13", pytest.approx(850.2))
    assert chart[-1] == ("workspace", pytest.approx(1396.2))


def test_storage_by_point_periodic_chain_and_gfs():
    # K = 7, R = 14 → P = 20: full, 6 inc, full, 6 inc, full, 5 inc; then 2 weekly fulls
    policy = replace(DAILY, method="forward_periodic_full", full_every=7, gfs_weekly=2)
    s = size_app(backup_app("azure", policy=policy), P, L)
    labels = [label for label, _ in s.storage_by_point]
    assert labels[0] == "full 1" and labels[7] == "full 2" and labels[14] == "full 3"
    assert labels[-2:] == ["weekly 1", "weekly 2"]
    assert s.storage_by_point[-1][1] == pytest.approx(s.backup_gib)  # no workspace


def test_storage_by_point_is_summarised():
    long = replace(DAILY, retention_points=100)
    chart = size_app(backup_app("azure", policy=long), P, L).storage_by_point
    assert len(chart) <= 60
    assert chart[1][0].startswith("inc 1–")
    s = size_app(backup_app("azure", policy=long), P, L)
    assert chart[-1][1] == pytest.approx(s.backup_gib)
    # alternating fulls and incrementals (K = 2) are merged across kinds
    alternating = replace(DAILY, retention_points=100, method="forward_periodic_full", full_every=2)
    s = size_app(backup_app("azure", policy=alternating), P, L)
    assert len(s.storage_by_point) <= 60
    assert s.storage_by_point[0][0].startswith("points 1–")
    assert s.storage_by_point[-1][1] == pytest.approx(s.backup_gib)


# ---- growth month by month ----------------------------------------------------------------------


def test_cost_by_month_with_growth():
    # db grows 20 %/year; month m uses U = 1,000 × 1.2^(m/12), data + workspace = 1.35 × U
    # month 12: U = 1,200 → 3 instances = 30 + 1,620 × 0.0224 = 36.288 → 66.288 (+ web 6.03488)
    # month 24: U = 1,440 → 3 instances = 30 + 1,944 × 0.0224 = 43.5456 → 73.5456 (+ 6.03488)
    # month 36: U = 1,728 → 4 instances = 40 + 2,332.8 × 0.0224 = 52.25472 → 92.25472 (+ 6.03488)
    grown = replace(DB, growth_per_year=0.2)
    s = size_app(backup_app("azure", vms=(grown, WEB)), P, L)
    assert s.cost_by_month[11] == pytest.approx(72.32288)
    assert s.cost_by_month[23] == pytest.approx(79.58048)
    assert s.cost_by_month[35] == pytest.approx(98.2896)
    assert s.cost_by_month[0] < s.cost_by_month[11] < s.cost_by_month[35]
    # steady state is sized at the 365-day horizon: equal to month 12
    assert s.monthly_cost == pytest.approx(72.32288)
    assert by_id(s)[1].used_gib_horizon == pytest.approx(1200)


def test_cost_by_month_linear_growth_at_a_provider():
    # SP: fee 15 fixed; storage 1,350 GiB × 0.03 = 40.5 grows 10 %/year → month 12: 15 + 44.55
    grown = replace(DB, growth_per_year=0.1)
    s = size_app(backup_app("service_provider", vms=(grown,)), P, L)
    assert s.cost_by_month[11] == pytest.approx(59.55)
    assert s.cost_by_month[35] == pytest.approx(15 + 40.5 * 1.1**3)


# ---- replication ------------------------------------------------------------------------------


def test_replication_to_azure():
    # db: replica = 1,152 × 1.5 = 1,728; ASR 25 + 1,728 × 0.05 = 111.4; drills 10.752 → 122.152
    # web: replica = 192; 25 + 9.6 = 34.6; drills 2 vCPU = 5.376 → 39.976; app 162.128 USD
    s = size_app(make_app("replication", recovery_target=AZURE), P, L)
    db, web = by_id(s)[1], by_id(s)[2]
    assert db.replica_gib == pytest.approx(1728)
    assert web.replica_gib == pytest.approx(192)
    assert db.monthly_cost == pytest.approx(122.152)
    assert s.monthly_cost == pytest.approx(162.128)
    assert s.public_instances == 2
    assert (s.standby_vcpu, s.standby_memory_gib) == (6, 24)
    assert s.backup_gib == 0
    assert s.asr_appliances == 0  # target is Azure
    # churn 50 GiB/day → 6.628036 Mbit/s; cache with RPO 1,440 min = one day = 50 GiB
    assert db.churn_gib_day == pytest.approx(50)
    assert db.bandwidth_mbps == pytest.approx(6.628036, rel=1e-6)
    assert db.cache_gib == pytest.approx(50)
    assert s.storage_by_point == (("replica", pytest.approx(1920)),)


def test_asr_first_month_free():
    # month 1: 162.128 − 2 × 25 = 112.128; months 2..36: 162.128
    s = size_app(make_app("replication", recovery_target=AZURE), P, L)
    assert s.cost_by_month[0] == pytest.approx(112.128)
    assert s.cost_by_month[1:] == pytest.approx([162.128] * 35)
    assert any("waived for 1 month (first 31 days free)" in line for line in s.explanation)


def test_asr_free_days_come_from_limits():
    s = size_app(make_app("replication", recovery_target=AZURE), P, L | {"asr.free_days": 62})
    assert s.cost_by_month[1] == pytest.approx(112.128)
    assert s.cost_by_month[2] == pytest.approx(162.128)


def test_replication_explanation():
    s = size_app(make_app("replication", recovery_target=AZURE), P, L)
    text = "\n".join(by_id(s)[1].explanation)
    assert "replica = 1,152 GiB provisioned × 1.5 = 1,728 GiB" in text
    assert "Site Recovery = 1 × USD 25.00 + 1,728 GiB × USD 0.05/GiB = USD 111.40/month" in text
    assert "drills = 4/year × 7 d × 24 h × 4 vCPU × USD 0.048/vCPU-h ÷ 12 = USD 10.75/month" in text
    assert "quota reserved" in text


def test_replication_between_hubs_counts_appliances():
    s = size_app(make_app("replication", recovery_target=HUB_B), P, L)
    assert (s.asr_appliances, s.appliance_vcpu, s.appliance_memory_gib) == (1, 8, 28)
    assert s.monthly_cost == 0 and s.public_instances == 0
    assert s.replica_gib == pytest.approx(1920)
    assert (s.standby_vcpu, s.standby_memory_gib) == (6, 24)
    # the limit decides: one VM per appliance → 2 appliances
    s = size_app(
        make_app("replication", recovery_target=HUB_B), P, L | {"asr_ash.vms_per_appliance": 1}
    )
    assert (s.asr_appliances, s.appliance_vcpu) == (2, 16)


def test_replication_to_service_provider():
    # db: 15 + 1,728 × 0.03 = 66.84; web: 15 + 192 × 0.03 = 20.76 → 87.6 USD
    s = size_app(make_app("replication", recovery_target=PROVIDER), P, L)
    assert s.monthly_cost == pytest.approx(87.6)
    assert s.public_instances == 2
    assert s.cost_by_month[0] == pytest.approx(87.6)  # no ASR waiver at a provider


def test_replication_without_target():
    s = size_app(make_app("replication"), P, L)
    assert s.monthly_cost == 0
    assert s.replica_gib == pytest.approx(1920)


def test_replication_growth_sizes_churn_at_horizon():
    # U = 1,000 × 1.2 = 1,200 at 365 d; churn = 60 GiB/day; seeding uses today's 1,000 GiB
    s = size_app(make_app("replication", vms=(replace(DB, growth_per_year=0.2),)), P, L)
    assert s.vms[0].used_gib_horizon == pytest.approx(1200)
    assert s.churn_gib_day == pytest.approx(60)
    assert s.seeding_hours == pytest.approx(3.181457, rel=1e-6)


# ---- high availability and fault tolerance -------------------------------------------------


def test_high_availability_to_azure():
    # db: 4 vCPU × 730 h × 0.048 = 140.16 + 1,728 × 0.05 = 86.4 → 226.56
    # web: 70.08 + 9.6 = 79.68 → app 306.24 USD, every month (no ASR fee to waive)
    s = size_app(make_app("high_availability", recovery_target=AZURE), P, L)
    assert by_id(s)[1].monthly_cost == pytest.approx(226.56)
    assert s.monthly_cost == pytest.approx(306.24)
    assert s.cost_by_month == pytest.approx([306.24] * 36)
    assert s.public_instances == 0
    assert (s.standby_vcpu, s.standby_memory_gib) == (6, 24)
    assert by_id(s)[1].cache_gib == 0
    assert any("kept running" in line for line in by_id(s)[1].explanation)


def test_high_availability_between_hubs_needs_no_asr_appliance():
    # App-native HA or clustering fails over by itself; the ASR appliance is for replication.
    s = size_app(make_app("high_availability", recovery_target=HUB_B), P, L)
    assert s.asr_appliances == 0
    assert s.monthly_cost == 0


def test_fault_tolerance_on_another_hub():
    s = size_app(make_app("fault_tolerance", recovery_target=HUB_B), P, L)
    assert (s.standby_vcpu, s.standby_memory_gib) == (6, 24)
    assert s.asr_appliances == 0
    assert s.monthly_cost == 0
    assert any("second deployment" in line for line in s.vms[0].explanation)


def test_fault_tolerance_in_azure_and_at_a_provider():
    s = size_app(make_app("fault_tolerance", recovery_target=AZURE), P, L)
    assert s.monthly_cost == pytest.approx(306.24)
    s = size_app(make_app("fault_tolerance", recovery_target=PROVIDER), P, L)
    assert s.monthly_cost == pytest.approx(87.6)
    assert any("in its contract" in line for line in s.vms[0].explanation)


# ---- none -----------------------------------------------------------------------------------


def test_scheme_none_protects_nothing():
    decision = Decision("owner", datetime(2025, 3, 1), "dev/test")
    s = size_app(make_app("none", no_protection_decision=decision), P, L)
    assert s.used_gib == pytest.approx(1040)  # a fact, shown as unprotected
    for name in ("backup_gib", "replica_gib", "churn_gib_day", "bandwidth_mbps", "seeding_hours",
                 "standby_vcpu", "standby_memory_gib", "public_instances", "monthly_cost",
                 "asr_appliances"):  # fmt: skip
        assert getattr(s, name) == 0, name
    assert s.cost_by_month == (0.0,) * 36
    assert s.storage_by_point == ()
    assert any("nothing is protected" in line and "dev/test" in line for line in s.explanation)
    assert all("nothing is protected" in v.explanation[-1] for v in s.vms)


def test_app_without_vms():
    s = size_app(make_app("replication", vms=(TEST,), recovery_target=AZURE), P, L)
    assert s.vms == () and s.monthly_cost == 0 and s.seeding_hours == 0


# ---- size_vm and errors -------------------------------------------------------------------------


def test_size_vm_sizes_one_vm():
    v = size_vm(DB, backup_app("azure"), P, L)
    assert v.backup_gib == pytest.approx(1350)
    assert size_vm(TEST, backup_app("azure"), P, L).backup_gib > 0  # sized when asked


def test_unknown_scheme():
    with pytest.raises(ValueError, match="scheme"):
        size_app(make_app("warm_standby"), P, L)


def test_missing_price_names_the_key():
    incomplete = {k: v for k, v in P.items() if k != "asr.instance_month"}
    with pytest.raises(ValueError, match=r"asr\.instance_month"):
        size_app(make_app("replication", recovery_target=AZURE), incomplete, L)


def test_bad_vm_figures_name_the_vm_and_argument():
    bad = replace(DB, change_rate=5.0)
    with pytest.raises(ValueError, match=r"VM db \(id 1\).*change_rate"):
        size_app(backup_app("azure", vms=(bad,)), P, L)


def test_bad_assumptions_name_the_argument():
    app = make_app("replication", recovery_target=AZURE)
    with pytest.raises(ValueError, match="link_mbps"):
        size_app(replace(app, assumptions=replace(app.assumptions, delta_mbps=1000)), P, L)
    with pytest.raises(ValueError, match="replica_overhead"):
        size_app(replace(app, assumptions=replace(app.assumptions, replica_overhead=5)), P, L)


def test_bad_policy_names_the_argument():
    with pytest.raises(ValueError, match="retention_points"):
        size_app(backup_app(policy=replace(DAILY, retention_points=0)), P, L)
    with pytest.raises(ValueError, match="full_every"):
        size_app(backup_app(policy=replace(DAILY, method="forward_periodic_full")), P, L)


def test_seeding_beyond_the_goal_is_flagged():
    # 100 Mbit/s: 1,040 GiB × 8,589.934592 ÷ 100 ÷ 0.75 ÷ 3,600 = 33.09 h; 10 Mbit/s = 330.9 h
    app = make_app("replication", recovery_target=AZURE)
    slow = replace(app, assumptions=replace(app.assumptions, link_mbps=10))
    s = size_app(slow, P, L)
    assert s.seeding_hours == pytest.approx(330.8715, rel=1e-5)
    assert any("exceeds the 72 h goal" in line and "5 batches" in line for line in s.explanation)


def test_engine_imports_no_django():
    import planner.sizing

    for path in Path(planner.sizing.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import django" not in text and "from django" not in text, path.name


def test_catalog_values_may_be_decimals():
    from decimal import Decimal

    decimal_prices = {k: Decimal(str(v)) for k, v in P.items()}
    decimal_limits = {k: Decimal(str(v)) for k, v in L.items()}
    s = size_app(make_app("replication", recovery_target=AZURE), decimal_prices, decimal_limits)
    assert s.monthly_cost == pytest.approx(162.128)
    s = size_app(make_app("replication", recovery_target=HUB_B), decimal_prices, decimal_limits)
    assert s.asr_appliances == 1


def test_cost_by_month_when_data_crosses_the_10_tib_workspace_tier():
    # 10,000 GiB growing 10 %/year at a provider; month 36: U = 10,000 × 1.1³ = 13,310 GiB
    # data = 0.5 × 13,310 × (1 + 13 × 0.05) = 10,980.75
    # workspace = 0.5 × (1.05 × 10,240 + 0.66 × 3,070) = 0.5 × (10,752 + 2,026.2) = 6,389.1
    # cost = 15 + (10,980.75 + 6,389.1) × 0.03 = 15 + 521.0955 = 536.0955 USD
    big = replace(DB, disks=(Disk("data", 12000, 10000),), growth_per_year=0.1)
    s = size_app(backup_app("service_provider", vms=(big,)), P, L)
    assert s.cost_by_month[35] == pytest.approx(536.0955)
    # month 1 is still in the first tier: 15 + 0.03 × 1.35 × 10,000 × 1.1^(1/12)
    assert s.cost_by_month[0] == pytest.approx(15 + 0.03 * 1.35 * 10000 * 1.1 ** (1 / 12))
