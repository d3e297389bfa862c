"""Worked numbers for the link, restore, hub and onboarding formulas (issue 14 items 1, 2, 8, 9).

Each test's docstring is the arithmetic docs/sizing.md and docs/rules.md show.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner import assess
from planner.catalog_defaults import limits, prices
from planner.facts import Assumptions, Disk
from planner.rules import SizingFigures, scheme_capability
from planner.rules.capability import link_backlog, restore_throughput, usable_link
from planner.sizing import hub_running, size_app
from tests.unit.rulefacts import ASR, DB, MID, VEEAM, WEB, app, ctx, only, replicating, run

MBIT_PER_GIB = 1024**3 * 8 / 1e6


def test_usable_link():
    """(1,000 − 200 other traffic) × 0.75 = 600 Mbit/s of data."""
    rate, text = usable_link(Assumptions(link_mbps=1000, delta_mbps=200))
    assert rate == pytest.approx(600)
    assert text == "(1,000 Mbit/s − 200 Mbit/s other traffic) × efficiency 0.75 = 600 Mbit/s"


def test_link_backlog_worked_example():
    """62.7 Mbit/s needed × 0.75 = 47.03 Mbit/s of data; 50 × 0.75 = 37.5 carried; backlog
    (47.03 − 37.5) × 86,400 ÷ 8,589.93 = 95.8 GiB a day; a 62.7 Mbit/s link would do."""
    a = replicating(assumptions=Assumptions(link_mbps=50))
    backlog, text = link_backlog(a, 62.7)
    assert backlog == pytest.approx((62.7 * 0.75 - 37.5) * 86_400 / MBIT_PER_GIB)
    assert backlog == pytest.approx(95.8, abs=0.05)
    assert "47.03 Mbit/s of changed data" in text and "= 37.5 Mbit/s" in text
    assert "95.8 GiB a day" in text and "a link of at least 62.7 Mbit/s would do" in text
    assert link_backlog(replicating(assumptions=Assumptions(link_mbps=63)), 62.7) is None
    # Other traffic adds to the link that would do: 62.7 + 10 = 72.7.
    other = replicating(assumptions=Assumptions(link_mbps=50, delta_mbps=10))
    assert "a link of at least 72.7 Mbit/s would do" in link_backlog(other, 62.7)[1]


def test_replication_rpo_is_unbounded_when_the_link_is_too_slow():
    a = replicating(assumptions=Assumptions(link_mbps=50))
    cap = scheme_capability(a, "replication", 3, used_gib=0, replication_mbps=62.7)
    assert cap.rpo_minutes == float("inf") and cap.rto_minutes == 45
    assert cap.explanation[0].startswith("RPO = unbounded, the backlog grows")
    ok = scheme_capability(a, "replication", 3, used_gib=0, replication_mbps=30)
    assert ok.rpo_minutes == 15
    ha = scheme_capability(a, "high_availability", 3, used_gib=0, replication_mbps=62.7)
    assert ha.rpo_minutes == float("inf") and ha.rto_minutes == 1


def test_link_rule_on_the_engine():
    a = replicating(assumptions=Assumptions(link_mbps=5))
    findings = run(a, ctx(sizing=SizingFigures(bandwidth_mbps=62.7)))
    f = only(findings, "LINK_TOO_SLOW_FOR_RPO")
    assert f.severity == "blocking" and "needs 62.7 Mbit/s of link" in f.message
    assert "OBJECTIVE_RPO_NOT_MET" in {x.code for x in findings}


def test_restore_throughput_is_the_smaller_of_target_and_link():
    """min(target 400 operator, 1,000 × 0.75 = 750) = 400; min(default 1,000, 100 × 0.75 = 75)
    = 75."""
    a = app()
    a = replace(a, backup_target=replace(a.backup_target, restore_mbps=400))
    rate, text = restore_throughput(a)
    assert rate == 400
    assert "target 'bk-dedicated' restore throughput (operator) 400 Mbit/s" in text
    rate, text = restore_throughput(app(assumptions=Assumptions(link_mbps=100)))
    assert rate == 75
    assert "default restore throughput (DESIGN §4 assumption) 1,000 Mbit/s" in text


def test_restore_approach_worked_example():
    """db whole VM (OS 40 + data 100 = 140 GiB), app app data (data 60 of 100 GiB), web redeploy
    (data 0 of 30): moved = 140 + 60 + 0 = 200 GiB at 750 Mbit/s = 2,290.6 s = 38.2 min; the
    redeploy overhead is added (not every VM restores app data): RTO = 68.2 min."""
    vms = (
        replace(DB, disks=(Disk("os", 64, 40, os_disk=True), Disk("data", 256, 100))),
        replace(
            MID,
            restore_approach="app_data",
            disks=(Disk("os", 64, 40, os_disk=True), Disk("data", 128, 60)),
        ),
        replace(WEB, restore_approach="redeploy", disks=(Disk("os", 64, 30, os_disk=True),)),
    )
    a = app(vms=vms)
    cap = scheme_capability(a, "backup_restore", 1, used_gib=140 + 100 + 30)
    assert cap.rto_minutes == pytest.approx(200 * MBIT_PER_GIB / 750 / 60 + 30)
    assert cap.rto_minutes == pytest.approx(68.2, abs=0.05)
    text = " ".join(cap.explanation)
    assert "whole VM 1 VM 140 GiB + app data into the existing VM 1 VM 60 GiB" in text
    assert "redeploy from template + data 1 VM 0 GiB = 200 GiB" in text
    only_data = app(vms=tuple(replace(v, restore_approach="app_data") for v in vms))
    cap = scheme_capability(only_data, "backup_restore", 1, used_gib=270)
    assert cap.rto_minutes == pytest.approx(160 * MBIT_PER_GIB / 750 / 60)


def test_backup_window_worked_example():
    """min(1,000 × 0.75, ingest 1,000) = 750 Mbit/s; 2,600 GiB × 8,589.93 ÷ 750 ÷ 3,600 =
    8.27 h > 8 h window."""
    f = only(run(app(), ctx(sizing=SizingFigures(backup_run_gib=2600))), "BACKUP_WINDOW_EXCEEDED")
    assert "= 8.27 h, longer than the 8 h window" in f.message


def test_hub_running_worked_example():
    """272 VMs 1,088 GiB + 3 outside 24 GiB + RP 84 GiB + 2 appliances × 28 = 56 GiB =
    1,252 GiB; 272 + 3 + 2 = 277 VMs."""
    h = hub_running(
        inventory_vms=272,
        inventory_memory_gib=1088,
        unknown_size_vms=1,
        other_vms=3,
        other_memory_gib=24,
        asr_rp=True,
        appliances=2,
    )
    assert (h.memory_gib, h.vm_count) == (1252, 277)
    assert "1 of unknown size, memory not known" in h.explanation[0]
    assert h.explanation[0].endswith("= 1,252 GiB, 277 VMs")


def test_asr_appliances_only_for_asr_products():
    P, L = prices(), limits()
    assert size_app(replicating(product=ASR), P, L).asr_appliances == 1
    assert size_app(replicating(product=None), P, L).asr_appliances == 1
    assert size_app(replicating(product=VEEAM), P, L).asr_appliances == 0


def test_onboarding_uses_streams_as_the_data_needs_and_the_link():
    """One 800 GiB VM, reduction 0.5: 400 GiB at min(ingest 1,000, 1,000 × 0.75) = 750 Mbit/s
    on one stream (not a quarter of it): 400 × 8,589.93 ÷ 750 ÷ 3,600 = 1.27 h."""
    P, L = prices(), limits()
    a = app(vms=(replace(DB, disks=(Disk("os", 1024, 800),)),))
    sizing = size_app(a, P, L)
    s = assess.onboarding(a, sizing, L)
    assert s.stream_mbps == pytest.approx(750)
    assert s.total_hours == pytest.approx(400 * MBIT_PER_GIB / 750 / 3600)
    c = assess.rule_context(a, sizing, limits=L, now=ctx().now)
    assert c.sizing.seeding_hours == pytest.approx(s.total_hours)
    assert assess.assess(a, sizing, c).app_row()["seeding_hours"] == pytest.approx(s.total_hours)
