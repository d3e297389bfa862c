"""Capability estimates per scheme (DESIGN §4), with their arithmetic."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from planner.facts import Assumptions
from planner.rules import scheme_capability
from tests.unit.rulefacts import DAILY, app

MBIT_PER_GIB = 1024**3 * 8 / 1e6  # 8,589.934592


def test_backup_restore_worked_example():
    """Link 2,000 Mbit/s × 0.75 = 1,500 > the default 1,000 Mbit/s restore throughput, so
    1,000 GiB ÷ 1,000 Mbit/s = 8,589.9 s = 143.2 min; + 30 min redeploy = 173.2 min."""
    cap = scheme_capability(
        app(assumptions=Assumptions(link_mbps=2000)), "backup_restore", 3, used_gib=1000
    )
    assert cap.rto_minutes == pytest.approx(1000 * MBIT_PER_GIB / 1000 / 60 + 30)
    assert cap.rto_minutes == pytest.approx(173.17, abs=0.01)
    assert cap.rpo_minutes == 1440
    text = "\n".join(cap.explanation)
    assert "1,000 GiB × 8,589.93 Mbit/GiB ÷ 1,000 Mbit/s = 8,589.9 s = 143.2 min" in text
    assert (
        "restore throughput = min(target 'bk-dedicated' default restore throughput (DESIGN §4 "
        "assumption) 1,000 Mbit/s, usable link 2,000 Mbit/s × efficiency 0.75 = 1,500 Mbit/s) "
        "= 1,000 Mbit/s" in text
    )
    assert "3 start-up groups restored one after another" in text
    assert "RTO = restore 143.2 min + redeploy overhead 30 min = 173.2 min (2.9 h)" in text
    assert "RPO = backup interval of policy 'daily' = 1,440 min (1 d)" in text


def test_backup_rpo_follows_the_policy_interval_and_rto_the_assumptions():
    a = app(
        policy=replace(DAILY, interval_minutes=240),
        assumptions=Assumptions(restore_throughput_mbps=500, redeploy_minutes=60),
    )
    cap = scheme_capability(a, "backup_restore", 1, used_gib=100)
    assert cap.rpo_minutes == 240
    assert cap.rto_minutes == pytest.approx(100 * MBIT_PER_GIB / 500 / 60 + 60)
    assert "one start-up group" in cap.explanation[2]


def test_backup_without_policy_assumes_a_daily_backup_and_says_so():
    cap = scheme_capability(app(policy=None), "backup_restore", 1, used_gib=0)
    assert cap.rpo_minutes == 1440
    assert cap.rto_minutes == 30
    assert cap.explanation[0].startswith("no backup policy")


def test_replication_groups_times_boot_and_checks_plus_manual_steps():
    cap = scheme_capability(app(), "replication", 3, used_gib=999)
    assert cap.rto_minutes == 3 * (5 + 5) + 15
    assert cap.rpo_minutes == 15
    assert cap.explanation[0] == "RPO = replication interval 15 min"
    assert cap.explanation[1] == (
        "RTO = 3 start-up group(s) × (boot 5 min + checks 5 min) + manual steps 15 min"
        " (re-point DNS) = 45 min"
    )


def test_replication_uses_the_assumptions():
    a = app(
        assumptions=Assumptions(
            boot_minutes_per_group=10,
            checks_minutes_per_group=20,
            manual_steps_minutes=0,
            replication_interval_minutes=5,
        )
    )
    cap = scheme_capability(a, "replication", 4, used_gib=0)
    assert (cap.rto_minutes, cap.rpo_minutes) == (120, 5)


def test_high_availability_synchronous_has_rpo_zero():
    cap = scheme_capability(app(), "high_availability", 3, used_gib=100)
    assert (cap.rto_minutes, cap.rpo_minutes) == (1, 0)
    assert "failover detection 1 min" in cap.explanation[0]
    assert "synchronous-commit" in cap.explanation[1]


def test_asynchronous_high_availability_has_the_rpo_of_its_interval():
    """Asynchronous HA every 15 min loses up to 15 min of data; the RTO stays detection."""
    a = replace(app(), ha_replication="asynchronous")
    cap = scheme_capability(a, "high_availability", 3, used_gib=100)
    assert (cap.rto_minutes, cap.rpo_minutes) == (1, 15)
    assert "RPO = replication interval 15 min" in cap.explanation[1]
    assert "asynchronous" in cap.explanation[1]
    slower = replace(a, assumptions=replace(a.assumptions, replication_interval_minutes=60))
    assert scheme_capability(slower, "high_availability", 3, used_gib=100).rpo_minutes == 60


def test_fault_tolerance_is_zero():
    cap = scheme_capability(app(), "fault_tolerance", 3, used_gib=100)
    assert (cap.rto_minutes, cap.rpo_minutes) == (0, 0)


def test_none_is_unrecoverable():
    cap = scheme_capability(app(), "none", 3, used_gib=100)
    assert math.isinf(cap.rto_minutes) and math.isinf(cap.rpo_minutes)
    assert "unrecoverable" in cap.explanation[0]
    assert cap.to_json()["rto_minutes"] is None
    assert not cap.meets(1e9, 1e9)


def test_meets():
    cap = scheme_capability(app(), "replication", 3, used_gib=0)
    assert cap.meets(45, 15) and not cap.meets(44, 15) and not cap.meets(45, 14)


@pytest.mark.parametrize(
    ("scheme", "groups", "used"),
    [
        ("bogus", 1, 0),
        ("replication", -1, 0),
        ("backup_restore", 1, -5),
        ("backup_restore", 1, math.inf),
    ],
)
def test_invalid_arguments(scheme, groups, used):
    with pytest.raises(ValueError):
        scheme_capability(app(), scheme, groups, used_gib=used)
