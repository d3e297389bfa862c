"""MTTR, achieved RPO and drill age from recorded drills and incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from planner.rules import achieved_rpo_minutes, last_drill_at, mttr_minutes
from planner.rules.drills import age_days, summarize
from tests.unit.rulefacts import NOW, app, codes, ctx, drill, run


def test_mttr_worked_example():
    """Drills of 60 and 120 min and an incident of 300 min: MTTR = 480 / 3 = 160 min."""
    drills = (drill(10, 60, 5), drill(40, 120, 30), drill(80, 300, 90, kind="incident"))
    assert mttr_minutes(drills) == 160
    assert achieved_rpo_minutes(drills) == 90
    assert last_drill_at(drills) == NOW - timedelta(days=10)
    s = summarize(drills)
    assert (s.count, s.drills, s.incidents) == (3, 2, 1)
    assert s.explanation[0] == "MTTR = (60 + 120 + 300) min ÷ 3 recoveries = 160 min (2.7 h)"
    assert s.explanation[1] == "achieved RPO = worst data loss observed = 90 min"


def test_nothing_recorded():
    assert mttr_minutes(()) is None
    assert achieved_rpo_minutes(()) is None
    assert last_drill_at(()) is None
    assert summarize(()).mttr_minutes is None


def test_mttr_over_rto_blocks_and_equal_does_not():
    over = run(app(rto_minutes=159, drills=(drill(10, 60), drill(20, 260))))
    assert "OBJECTIVE_MTTR_OVER_RTO" in codes(over)
    assert "MTTR 160 min (2.7 h) (mean of 2 recoveries)" in next(
        f.message for f in over if f.code == "OBJECTIVE_MTTR_OVER_RTO"
    )
    assert "OBJECTIVE_MTTR_OVER_RTO" not in codes(
        run(app(rto_minutes=160, drills=(drill(10, 60), drill(20, 260))))
    )


def test_drill_age_uses_the_limit_catalog():
    a = app(drills=(drill(days_ago=45),))
    assert "DRILL_OVERDUE" not in codes(run(a))
    limits = dict(ctx().limits, **{"drill.max_age_days": 30})
    assert "DRILL_OVERDUE" in codes(run(a, ctx(limits=limits)))


def test_an_incident_counts_as_the_latest_exercise():
    a = app(drills=(drill(days_ago=200), drill(days_ago=5, kind="incident")))
    assert "DRILL_OVERDUE" not in codes(run(a))


def test_unprotected_apps_need_no_drill():
    assert "DRILL_NEVER" not in codes(run(app(scheme="none", drills=())))


def test_naive_and_aware_datetimes_are_compared_in_utc():
    aware = datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert age_days(aware, datetime(2025, 5, 31, 12)) == pytest.approx(1)
    assert age_days(
        datetime(2025, 6, 1, 12), datetime(2025, 5, 30, 12, tzinfo=UTC)
    ) == pytest.approx(2)
