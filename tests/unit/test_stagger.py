"""Staggered onboarding: worked examples, a VM larger than one window, the stream and night
limits on random inputs, determinism and dates."""

from __future__ import annotations

import random
from datetime import date
from itertools import pairwise

import pytest

from planner.rules import stagger
from planner.rules.stagger import MAX_NIGHTS

MBIT_PER_GIB = 1024**3 * 8 / 1e6


def test_worked_example_first_fit_largest_first():
    """1,000 Mbit/s, 8 h window, 2 streams of 500 Mbit/s: 0.2863 min/GiB, 480 min a stream.

    A 1,500 GiB = 429.5 min -> night 1, stream 1 at 0
    B 1,000 GiB = 286.3 min -> night 1, stream 2 at 0
    C   700 GiB = 200.4 min -> night 1 has 50.5 and 193.7 min left: night 2, stream 1 at 0
    D   600 GiB = 171.8 min -> fits night 1, stream 2 after B (286.3 + 171.8 = 458.1 <= 480)
    """
    s = stagger(
        [(1, "A", 1500), (2, "B", 1000), (3, "C", 700), (4, "D", 600)],
        ingest_mbps=1000,
        window_hours=8,
        streams=2,
    )
    per = {x.name: x for x in s.slots}
    assert (per["A"].night, per["A"].stream, per["A"].start_offset_minutes) == (1, 1, 0)
    assert (per["B"].night, per["B"].stream, per["B"].start_offset_minutes) == (1, 2, 0)
    assert (per["C"].night, per["C"].stream, per["C"].start_offset_minutes) == (2, 1, 0)
    assert (per["D"].night, per["D"].stream) == (1, 2)
    assert per["D"].start_offset_minutes == pytest.approx(1000 * MBIT_PER_GIB / 500 / 60)
    assert per["A"].duration_minutes == pytest.approx(1500 * MBIT_PER_GIB / 500 / 60)
    assert s.nights == 2
    assert s.night_capacity_gib == pytest.approx(1000 * 8 * 3600 / MBIT_PER_GIB)
    assert s.stream_mbps == 500
    # Elapsed: night 2 starts 24 h after night 1; C ends 200.4 min into it.
    assert s.total_hours == pytest.approx(24 + 700 * MBIT_PER_GIB / 500 / 3600)
    assert s.transfer_hours == pytest.approx(3800 * MBIT_PER_GIB / 500 / 3600)
    assert s.within_goal and s.warnings == () and s.oversized == ()
    assert [x.name for x in s.slots] == ["A", "B", "D", "C"]
    assert s.night_of(3) == 2
    assert {n: [x.name for x in v] for n, v in s.by_night().items()} == {
        1: ["A", "B", "D"],
        2: ["C"],
    }
    assert "3,352.8 GiB" in s.explanation[0]


def test_vm_larger_than_one_window_spans_nights_and_is_flagged():
    """One stream of 1,000 Mbit/s, 8 h: 3,352.8 GiB a night. 4,000 GiB = 572.7 min > 480."""
    s = stagger([(1, "huge", 4000), (2, "small", 100)], ingest_mbps=1000, window_hours=8, streams=1)
    huge, small = (next(x for x in s.slots if x.name == n) for n in ("huge", "small"))
    assert not huge.fits_window and huge.nights_spanned == 2
    assert (huge.night, huge.stream, huge.start_offset_minutes) == (1, 1, 0)
    assert huge.end_offset_minutes == pytest.approx(4000 * MBIT_PER_GIB / 1000 / 60 - 480)
    # Night 1 is full; the small VM runs on night 2 after the huge one's remainder.
    assert small.night == 2
    assert small.start_offset_minutes == pytest.approx(huge.end_offset_minutes)
    assert s.oversized == (1,)
    assert s.nights == 2
    assert any("'huge'" in w and "across 2 nights" in w for w in s.warnings)


def test_oversized_vm_takes_a_free_stream_while_others_run_beside_it():
    s = stagger(
        [(1, "huge", 4000), (2, "a", 100), (3, "b", 100)],
        ingest_mbps=2000,
        window_hours=8,
        streams=2,
    )
    per = {x.name: x for x in s.slots}
    assert per["huge"].stream == 1 and per["huge"].nights_spanned == 2
    assert per["a"].night == 1 and per["a"].stream == 2
    assert per["b"].night == 1 and per["b"].stream == 2


def test_goal_exceeded_is_reported():
    items = [(i, f"vm{i}", 3000) for i in range(5)]
    s = stagger(items, ingest_mbps=1000, window_hours=8, streams=1, goal_hours=72)
    assert s.nights == 5
    assert not s.within_goal
    assert any("72 h goal" in w for w in s.warnings)
    assert stagger(items, ingest_mbps=1000, window_hours=8, streams=1, goal_hours=200).within_goal


def test_dates_follow_the_start():
    s = stagger(
        [(1, "a", 3000), (2, "b", 3000)],
        ingest_mbps=1000,
        window_hours=8,
        streams=1,
        start=date(2025, 3, 1),
    )
    assert [x.on for x in s.slots] == [date(2025, 3, 1), date(2025, 3, 2)]
    assert s.to_json()["slots"][1]["on"] == "2025-03-02"


def test_ties_are_broken_by_name_then_id():
    s = stagger(
        [(2, "b", 10), (1, "a", 10), (3, "a", 10)], ingest_mbps=100, window_hours=8, streams=1
    )
    assert [(x.name, x.vm_id) for x in s.slots] == [("a", 1), ("a", 3), ("b", 2)]


def test_empty():
    s = stagger([], ingest_mbps=100, window_hours=8, streams=2)
    assert s.nights == 0 and s.slots == () and s.total_hours == 0 and s.within_goal


@pytest.mark.parametrize(
    "kw",
    [
        {"ingest_mbps": 0, "window_hours": 8, "streams": 1},
        {"ingest_mbps": 100, "window_hours": 0, "streams": 1},
        {"ingest_mbps": 100, "window_hours": 25, "streams": 1},
        {"ingest_mbps": 100, "window_hours": 8, "streams": 0},
    ],
)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError):
        stagger([(1, "a", 1)], **kw)


@pytest.mark.parametrize("gib", [-1, float("nan"), float("inf")])
def test_a_size_that_is_not_a_finite_number_is_left_out_and_named(gib):
    s = stagger([(1, "a", gib), (2, "b", 10)], ingest_mbps=100, window_hours=8, streams=1)
    assert s.unscheduled == (1,)
    assert [slot.vm_id for slot in s.slots] == [2]
    assert not s.within_goal
    assert any("'a'" in w and "not scheduled" in w for w in s.warnings)


def test_the_schedule_stops_at_a_year_and_says_the_rest_does_not_fit():
    # 0.001 Mbit/s: a 1 GiB VM takes 99 days of transfer, 298 nights of 8 hours; a 2 GiB VM
    # would need 597 nights; a 1,000,000 GiB one 298 million (the issue: 23 GB of memory).
    items = [(1, "one", 1.0), (2, "two", 2.0), (3, "huge", 1e6), (4, "tiny", 1e-6)]
    s = stagger(items, ingest_mbps=0.001, window_hours=8, streams=1)
    assert s.nights <= MAX_NIGHTS == 365
    assert s.unscheduled == (2, 3)
    assert {slot.vm_id for slot in s.slots} == {1, 4}
    assert any("2 VMs ('huge', 'two')" in w and "365 nights" in w for w in s.warnings)
    assert s.to_json()["unscheduled"] == [2, 3]


def test_streams_beyond_the_vms_allocate_nothing_more():
    s = stagger([(1, "a", 10)], ingest_mbps=1e15, window_hours=8, streams=10**12)
    assert len(s.slots) == 1 and s.slots[0].stream == 1
    assert s.stream_mbps == 1e15 / 10**12


def test_random_estates_respect_streams_window_and_night_capacity():
    rng = random.Random(7)
    for _ in range(50):
        streams = rng.randint(1, 6)
        ingest = rng.choice([100, 500, 1000, 4000])
        window = rng.choice([4, 8, 12])
        items = [(i, f"vm{i:03d}", rng.uniform(0, 3000)) for i in range(rng.randint(1, 60))]
        s = stagger(items, ingest_mbps=ingest, window_hours=window, streams=streams)
        # Every VM is scheduled, or left out once the year is full.
        assert sorted([x.vm_id for x in s.slots] + list(s.unscheduled)) == [i for i, _, _ in items]
        assert s.nights <= MAX_NIGHTS
        assert not s.unscheduled or s.nights > MAX_NIGHTS // 2
        lane: dict[tuple[int, int], list[tuple[float, float]]] = {}
        moved: dict[int, float] = {}
        for x in s.slots:
            assert 1 <= x.stream <= streams
            if x.fits_window:
                end = x.start_offset_minutes + x.duration_minutes
                assert end <= window * 60 + 1e-6
                lane.setdefault((x.night, x.stream), []).append((x.start_offset_minutes, end))
                moved[x.night] = moved.get(x.night, 0) + x.gib
            else:
                assert x.start_offset_minutes == 0 and x.nights_spanned >= 2
                for j in range(x.nights_spanned):
                    last = j == x.nights_spanned - 1
                    end = x.end_offset_minutes if last else window * 60
                    lane.setdefault((x.night + j, x.stream), []).append((0.0, end))
                    moved[x.night + j] = (
                        moved.get(x.night + j, 0) + end * s.stream_mbps * 60 / MBIT_PER_GIB
                    )
        for runs in lane.values():  # a stream runs its VMs back to back, never two at once
            runs.sort()
            for (_, end), (start, _) in pairwise(runs):
                assert start >= end - 1e-6
        for gib in moved.values():  # a night never moves more than ingest x window
            assert gib <= s.night_capacity_gib + 1e-6


def test_deterministic():
    items = [(i, f"vm{i % 7}", (i * 37) % 500) for i in range(100)]
    a = stagger(items, ingest_mbps=500, window_hours=6, streams=3)
    b = stagger(list(reversed(items)), ingest_mbps=500, window_hours=6, streams=3)
    assert a == b
