"""The engine is total (issue 15): whatever numbers reach it, ``planner.assess`` returns figures
and findings, raises nothing, keeps the onboarding schedule within a year, and no NaN or
Infinity gets into the rows the database stores.

Property tests (hypothesis): ``EXAMPLES`` = 300 examples per test, ``derandomize=True`` (the same
examples on every run, so CI is reproducible), ``deadline=None`` (no timing assertion),
``database=None`` (nothing written under .hypothesis/). Every number of the facts and catalogs
may be drawn from ``ANY``: NaN, ±Infinity, 0, -0, 1e-300, 5e-324, 1e308, huge integers and any
other float or integer, in and out of the ranges.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import assess, facts
from planner.catalog_defaults import limits as default_limits
from planner.catalog_defaults import prices
from planner.guard import RANGES, bound_app, bound_catalog
from planner.rules import CloudLoad, TargetLoad
from planner.rules.stagger import MAX_NIGHTS, stagger
from tests.unit.rulefacts import (
    ASH_B,
    AZURE,
    BASE,
    DAILY,
    DEDICATED,
    NOW,
    PROVIDER,
    SRC,
    disk,
    vm,
)

EXAMPLES = 300
PROPERTY = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PRICES = prices()
LIMITS = default_limits()  # a copy of its own: other tests may change rulefacts.LIMITS
EXTREMES = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    1e-300,
    -1e-300,
    5e-324,
    1e-5,
    1e308,
    -1e308,
    1e12,
    3_000_000,
    10**20,
    -1,
    2**63,
]
ANY = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(),
    st.integers(min_value=-(10**25), max_value=10**25),
)


def changes(cls):
    """Some of the numbers of a fact class, each drawn from ANY."""
    return st.dictionaries(st.sampled_from(sorted(RANGES[cls])), ANY)


@st.composite
def apps(draw) -> facts.App:
    target = draw(
        st.sampled_from(
            [
                DEDICATED,
                replace(DEDICATED, kind="azure", site_id=None, country="NL"),
                replace(DEDICATED, kind="service_provider"),
                replace(DEDICATED, kind="same_cloud_appliance", cloud_id=1, site_id=1),
                None,
            ]
        )
    )
    if target is not None:
        target = replace(target, **draw(changes(facts.BackupTarget)))
    recovery = draw(st.sampled_from([ASH_B, AZURE, PROVIDER, None]))
    if recovery is not None:
        recovery = replace(recovery, **draw(changes(facts.Cloud)))
    method = draw(st.sampled_from(facts.BACKUP_METHODS))
    policy = replace(
        DAILY, **{"method": method, "full_every": 7, **draw(changes(facts.BackupPolicy))}
    )
    vms = []
    for i in range(draw(st.integers(1, 4))):
        disks = tuple(
            replace(disk(f"d{j}"), **draw(changes(facts.Disk)))
            for j in range(draw(st.integers(0, 3)))
        )
        vms.append(
            replace(
                vm(100 + i, f"vm{i}", disks=disks, depends_on=(100 + i - 1,) if i else ()),
                **draw(changes(facts.Vm)),
            )
        )
    return replace(
        BASE,
        scheme=draw(st.sampled_from(facts.SCHEMES)),
        source_cloud=replace(SRC, **draw(changes(facts.Cloud))),
        recovery_target=recovery,
        backup_target=target,
        policy=draw(st.sampled_from([policy, None])),
        vms=tuple(vms),
        drills=tuple(replace(d, **draw(changes(facts.Drill))) for d in BASE.drills),
        assumptions=replace(facts.Assumptions(), **draw(changes(facts.Assumptions))),
        **draw(changes(facts.App)),
    )


def catalog(table):
    return st.dictionaries(st.sampled_from(sorted(table)), ANY, max_size=4).map(
        lambda drawn: {**table, **drawn}
    )


def stored_json(rows) -> str:
    """What the database would get; NaN or Infinity anywhere raises ValueError here."""
    return json.dumps(rows, allow_nan=False, default=str)


def assessed(app, prices_=PRICES, limits=LIMITS):
    sizing = assess.size(app, prices_, limits)
    ctx = assess.rule_context(
        app,
        sizing,
        limits=limits,
        now=NOW,
        target_loads={DEDICATED.id: TargetLoad(sizing.backup_gib, sizing.churn_gib_day, 1)},
        cloud_loads={ASH_B.id: CloudLoad(sizing.standby_memory_gib, len(sizing.vms), 500.0, 1)},
    )
    return assess.assess(app, sizing, ctx)


@PROPERTY
@given(apps(), catalog(PRICES), catalog(LIMITS))
def test_any_numbers_are_sized_and_assessed_and_stored_finite(app, prices_, limits):
    a = assessed(app, prices_, limits)
    stored_json([a.app_row(), a.vm_rows(), a.finding_rows()])  # raises on NaN or Infinity
    if a.schedule is not None:
        assert a.schedule.nights <= MAX_NIGHTS
        assert len(a.schedule.slots) + len(a.schedule.unscheduled) == len(a.sizing.vms)
    replaced = bound_app(app)[1] + bound_catalog(limits, "limits")[1]
    codes = {f.code for f in a.findings}
    assert ("INPUT_OUT_OF_RANGE" in codes) == bool(replaced)


@PROPERTY
@given(apps())
def test_the_guard_is_idempotent_and_leaves_every_number_in_range(app):
    bounded, _ = bound_app(app)
    assert bound_app(bounded) == (bounded, ())
    for v in bounded.vms:
        for name, r in RANGES[facts.Vm].items():
            value = getattr(v, name)
            assert value is None or r.low <= value <= r.high


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(1, 10**6), st.text(max_size=5), ANY), max_size=30),
    # Any rate down to the smallest float; up to 10^12 Mbit/s (the guard keeps a target's
    # ingest at most 400,000, and 10^308 overflows the reported night capacity).
    st.floats(min_value=5e-324, max_value=1e12),
    st.floats(min_value=1e-300, max_value=24, exclude_min=False),
    st.integers(1, 10**15),
)
def test_stagger_returns_within_a_year_for_any_sizes_and_rates(items, ingest, window, streams):
    s = stagger(items, ingest_mbps=ingest, window_hours=window, streams=streams)
    assert s.nights <= MAX_NIGHTS
    assert len(s.slots) + len(s.unscheduled) == len(items)
    assert all(slot.night + slot.nights_spanned - 1 <= MAX_NIGHTS for slot in s.slots)
    stored_json(s.to_json())


# --- the reproductions, at the engine ---------------------------------------------


def with_assumptions(**kw):
    return replace(BASE, assumptions=replace(facts.Assumptions(), **kw))


@pytest.mark.parametrize("scheme", ["backup_restore", "replication"])
def test_a_link_of_1e_minus_5_is_named_and_the_schedule_stays_within_a_year(scheme):
    # Before: the schedule grew night by night until the process was killed (23 GB).
    app = replace(with_assumptions(link_mbps=1e-5), scheme=scheme)
    a = assessed(app)
    message = next(f.message for f in a.findings if f.code == "INPUT_OUT_OF_RANGE")
    assert "link_mbps 1e-05 is outside 0.1 to 400,000 Mbit/s: sized with 0.1" in message
    assert a.schedule.nights <= MAX_NIGHTS
    if scheme == "replication":  # 100 GiB a VM over a quarter of 0.075 Mbit/s: 530 nights
        assert a.schedule.unscheduled == tuple(sorted(v.id for v in BASE.vms))
        assert any("not scheduled" in w for w in a.schedule.warnings)


def test_a_backup_target_ingesting_1e_minus_5_mbit_s_schedules_nothing_beyond_a_year():
    target = replace(DEDICATED, ingest_mbps=1e-5)
    a = assessed(replace(BASE, backup_target=target))
    assert a.schedule.nights <= MAX_NIGHTS
    assert a.schedule.unscheduled == tuple(sorted(v.id for v in BASE.vms))
    assert "ONBOARDING_OVER_A_YEAR" in {f.code for f in a.findings}


def test_a_horizon_of_3_000_000_days_raises_no_overflow():
    # Before: OverflowError (a 500 on plan creation and what-if, a failed estate run).
    a = assessed(with_assumptions(horizon_days=3_000_000))
    assert "horizon_days 3,000,000 is outside 0 to 3,650 days: sized with 3,650" in next(
        f.message for f in a.findings if f.code == "INPUT_OUT_OF_RANGE"
    )
    stored_json(a.app_row())


@pytest.mark.parametrize(
    "app",
    [
        with_assumptions(link_mbps=1e308),
        replace(BASE, vms=(vm(1, "big", used=1e12, provisioned=1e12),)),
    ],
    ids=["link 1e308", "disk 1e12 GiB"],
)
def test_huge_values_put_no_infinity_into_the_results(app):
    # Before: Infinity in the result JSON, refused by the database, the whole chunk lost.
    a = assessed(app)
    stored_json([a.app_row(), a.vm_rows()])
    assert "INPUT_OUT_OF_RANGE" in {f.code for f in a.findings}


def test_a_nan_price_is_replaced_and_named():
    a = assessed(
        replace(BASE, backup_target=replace(DEDICATED, kind="azure")),
        {**PRICES, "azure_backup.instance_month": math.nan},
    )
    stored_json(a.app_row())
    assert a.sizing.monthly_cost >= 0


def test_the_guard_never_replaces_what_the_entrances_accept():
    """Where an entrance takes the fact, the guard's range is the same object the entrance's
    validator is made from (``planner.ranges``), so they cannot drift apart."""
    from dataclasses import asdict

    from planner import bounds, ranges

    pairs = {
        (facts.Assumptions, "link_mbps"): "LINK_MBPS",
        (facts.Assumptions, "delta_mbps"): "LINK_OTHER_MBPS",
        (facts.Assumptions, "horizon_days"): "GROWTH_HORIZON_DAYS",
        (facts.Assumptions, "replication_interval_minutes"): "REPLICATION_INTERVAL_MINUTES",
        (facts.Vm, "growth_per_year"): "GROWTH_PER_YEAR",
        (facts.Vm, "change_rate"): "CHANGE_RATE",
        (facts.Disk, "used_gib"): "USED_GIB",
        (facts.App, "rto_minutes"): "OBJECTIVE_MINUTES",
        (facts.App, "rpo_minutes"): "OBJECTIVE_MINUTES",
        (facts.App, "mtpd_minutes"): "OBJECTIVE_MINUTES",
        (facts.BackupPolicy, "interval_minutes"): "BACKUP_INTERVAL_MINUTES",
        (facts.BackupPolicy, "retention_points"): "RETENTION_POINTS",
        (facts.BackupPolicy, "reduction"): "REDUCTION",
        (facts.BackupPolicy, "full_every"): "FULL_EVERY",
        (facts.BackupPolicy, "gfs_weekly"): "GFS_WEEKLY",
        (facts.BackupPolicy, "gfs_monthly"): "GFS_MONTHLY",
        (facts.BackupPolicy, "gfs_yearly"): "GFS_YEARLY",
        (facts.BackupTarget, "capacity_gib"): "TARGET_GIB",
        (facts.BackupTarget, "used_gib"): "TARGET_GIB",
        (facts.BackupTarget, "ingest_mbps"): "INGEST_MBPS",
        (facts.BackupTarget, "window_hours"): "WINDOW_HOURS",
        (facts.BackupTarget, "streams"): "STREAMS",
        (facts.Cloud, "nodes"): "NODES",
        (facts.Cloud, "memory_per_node_gib"): "NODE_MEMORY_GIB",
        (facts.Cloud, "running_tenant_gib"): "STAMP_MEMORY_GIB",
        (facts.Cloud, "running_vm_count"): "RUNNING_VMS",
        (facts.Drill, "data_loss_minutes"): "DATA_LOSS_MINUTES",
    }
    for (cls, name), key in pairs.items():
        assert RANGES[cls][name] is getattr(ranges, key), (cls.__name__, name)
    # Every entrance's range is built from the table: the same numbers, unit and reason.
    table = {k: v for k, v in vars(ranges).items() if isinstance(v, ranges.Range)}
    assert len(table) >= 30
    for key, r in table.items():
        assert asdict(getattr(bounds, key)) == asdict(r), key
    # The guard's own ranges are wider than the entrance's where both read the fact.
    for (cls, name), key in {
        (facts.Disk, "provisioned_gib"): "DISK_GIB",
        (facts.Assumptions, "restore_throughput_mbps"): "LINK_MBPS",
    }.items():
        ours, entrance = RANGES[cls][name], getattr(ranges, key)
        assert ours.low <= entrance.low and entrance.high <= ours.high, (cls.__name__, name)
