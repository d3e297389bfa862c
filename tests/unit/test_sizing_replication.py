"""Replication: churn, bandwidth, seeding, replica storage and cache (DESIGN §4)."""

import pytest

from planner.sizing import (
    cache_gib,
    daily_churn,
    replica_storage,
    replication_bandwidth,
    replication_bandwidth_mbps,
    seeding,
    seeding_hours,
    transfer_rate,
)
from planner.sizing.replication import MBIT_PER_GIB

# 1 GiB = 1,073,741,824 bytes × 8 = 8,589,934,592 bits = 8,589.934592 Mbit


def test_mbit_per_gib():
    assert MBIT_PER_GIB == 8589.934592


def test_daily_churn():
    # 1,000 GiB × 0.05 = 50 GiB/day
    f = daily_churn(1000, 0.05)
    assert f.value == pytest.approx(50)
    assert f.explanation == ("churn = 1,000 GiB × 0.05/day = 50 GiB/day",)


def test_bandwidth_default_factors():
    # 50 GiB × 8,589.934592 = 429,496.7296 Mbit per day ÷ 86,400 s = 4.971027 Mbit/s
    # ÷ 0.75 efficiency = 6.628036 Mbit/s
    assert replication_bandwidth_mbps(50) == pytest.approx(6.628036, rel=1e-6)


def test_bandwidth_wire_ratio_and_peak():
    # 4.971027 × 0.5 wire ÷ 1.0 efficiency × 2 peak = 4.971027 Mbit/s
    mbps = replication_bandwidth_mbps(50, wire_ratio=0.5, efficiency=1.0, peak_factor=2.0)
    assert mbps == pytest.approx(4.971027, rel=1e-6)


def test_bandwidth_explanation():
    f = replication_bandwidth(50)
    assert f.value == pytest.approx(6.628036, rel=1e-6)
    line = f.explanation[0]
    assert "50 GiB" in line and "86,400 s" in line and "0.75" in line
    assert line.endswith("= 6.63 Mbit/s")


def test_zero_churn_needs_no_bandwidth():
    assert replication_bandwidth_mbps(0) == 0


def test_transfer_in_a_backup_window():
    # 50 GiB in 8 h: 429,496.7296 Mbit ÷ 28,800 s = 14.913081 ÷ 0.75 = 19.884108 Mbit/s
    f = transfer_rate(50, 8)
    assert f.value == pytest.approx(19.884108, rel=1e-6)
    assert "28,800 s" in f.explanation[0]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"daily_churn_gib": -1}, "daily_churn_gib"),
        ({"wire_ratio": 0}, "wire_ratio"),
        ({"wire_ratio": 1.5}, "wire_ratio"),
        ({"efficiency": 0}, "efficiency"),
        ({"efficiency": 1.2}, "efficiency"),
        ({"peak_factor": 0}, "peak_factor"),
        ({"peak_factor": -1}, "peak_factor"),
    ],
)
def test_bandwidth_bad_arguments(kwargs, name):
    churn = kwargs.pop("daily_churn_gib", 50)
    with pytest.raises(ValueError, match=name):
        replication_bandwidth_mbps(churn, **kwargs)


def test_seeding_1000_gib_on_1_gbit():
    # 1,000 GiB × 8,589.934592 = 8,589,934.592 Mbit ÷ 1,000 Mbit/s = 8,589.934592 s
    # ÷ 0.75 = 11,453.246 s ÷ 3,600 = 3.181457 h
    assert seeding_hours(1000, 1000) == pytest.approx(3.181457, rel=1e-6)


def test_seeding_with_delta_and_wire_ratio():
    # link 1,000 − delta 500 = 500 Mbit/s free: 3.181457 × 2 = 6.362915 h; × 0.5 wire = 3.181457 h
    assert seeding_hours(1000, 1000, delta_mbps=500) == pytest.approx(6.362915, rel=1e-6)
    assert seeding_hours(1000, 1000, delta_mbps=500, wire_ratio=0.5) == pytest.approx(
        3.181457, rel=1e-6
    )


def test_seeding_explanation():
    f = seeding(1000, 1000, delta_mbps=200)
    assert "(1,000 Mbit/s − 200 Mbit/s)" in f.explanation[0]
    assert f.explanation[0].endswith("= 3.98 h")  # 3.181457 × 1,000 ÷ 800 = 3.976821


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((1000, 100), {"delta_mbps": 100}, "link_mbps"),
        ((1000, 100), {"delta_mbps": 150}, "link_mbps"),
        ((1000, 0), {}, "link_mbps"),
        ((1000, -10), {}, "link_mbps"),
        ((-1, 100), {}, "used_gib"),
        ((1000, 100), {"delta_mbps": -1}, "delta_mbps"),
        ((1000, 100), {"efficiency": 0}, "efficiency"),
        ((1000, 100), {"wire_ratio": 2}, "wire_ratio"),
    ],
)
def test_seeding_bad_arguments(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        seeding_hours(*args, **kwargs)


def test_replica_storage():
    # 1,152 GiB × 1.5 = 1,728 GiB; × 2 = 2,304 GiB
    f = replica_storage(1152)
    assert f.value == pytest.approx(1728)
    assert f.explanation == ("replica = 1,152 GiB provisioned × 1.5 = 1,728 GiB",)
    assert replica_storage(1152, 2).value == pytest.approx(2304)


@pytest.mark.parametrize("overhead", [0.5, 0.99, 3.5, float("inf")])
def test_replica_overhead_out_of_range(overhead):
    with pytest.raises(ValueError, match="replica_overhead"):
        replica_storage(100, overhead)


def test_replica_negative_size():
    with pytest.raises(ValueError, match="provisioned_gib"):
        replica_storage(-1)


def test_cache():
    # 60 GiB/day × 15 min ÷ 1,440 min = 0.625 GiB; RPO of 2 days caps at one day: 60 GiB
    assert cache_gib(60, 15).value == pytest.approx(0.625)
    assert cache_gib(60, 2880).value == pytest.approx(60)
    assert "60 GiB/day" in cache_gib(60, 15).explanation[0]


def test_cache_bad_arguments():
    with pytest.raises(ValueError, match="rpo_minutes"):
        cache_gib(60, -1)
    with pytest.raises(ValueError, match="daily_churn_gib"):
        cache_gib(-60, 15)


def test_churn_bad_arguments():
    with pytest.raises(ValueError, match="change_rate"):
        daily_churn(100, 5)
    with pytest.raises(ValueError, match="used_gib"):
        daily_churn(-100, 0.05)
