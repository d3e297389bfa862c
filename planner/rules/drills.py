"""Drills and incidents: MTTR, achieved RPO, drill age — and the drill rules.

The seed ("App recovery objectives"): "Mean Time to Recover (MTTR) ... is an empirical value for
a system. If MTTR exceeds the RTO, then a failure in the system will cause an unacceptable
business disruption". MTTR here is the mean recovery time of the recorded drills *and*
incidents (both are real recoveries); the achieved RPO is the worst data loss observed; the
last drill date is the start of the most recent drill or incident recovery.
Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from planner.facts import PROTECTING_SCHEMES, App, Drill
from planner.rules import _units as u
from planner.rules.findings import Finding, finding

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived

__all__ = [
    "DrillSummary",
    "achieved_rpo_minutes",
    "age_days",
    "last_drill_at",
    "mttr_minutes",
    "summarize",
]


def mttr_minutes(drills: Iterable[Drill]) -> float | None:
    """Mean recovery minutes over drills and incidents; None when none is recorded."""
    times = [d.recovery_minutes for d in drills]
    return sum(times) / len(times) if times else None


def achieved_rpo_minutes(drills: Iterable[Drill]) -> float | None:
    """The worst data loss observed in drills and incidents; None when none is recorded."""
    losses = [d.data_loss_minutes for d in drills]
    return max(losses) if losses else None


def last_drill_at(drills: Iterable[Drill]) -> datetime | None:
    """Start of the most recent drill or incident recovery; None when none is recorded."""
    return max((d.started_at for d in drills), default=None)


def age_days(now: datetime, then: datetime) -> float:
    """Days from ``then`` to ``now``; a naive and an aware datetime are compared in UTC."""
    if (now.tzinfo is None) != (then.tzinfo is None):
        now = _naive_utc(now)
        then = _naive_utc(then)
    return (now - then).total_seconds() / 86400


def _naive_utc(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class DrillSummary:
    count: int
    drills: int
    incidents: int
    mttr_minutes: float | None
    achieved_rpo_minutes: float | None
    last_at: datetime | None
    explanation: tuple[str, ...] = ()


def summarize(drills: Iterable[Drill]) -> DrillSummary:
    """MTTR, achieved RPO and last date, with the arithmetic."""
    drills = tuple(drills)
    if not drills:
        return DrillSummary(0, 0, 0, None, None, None, ("no drill or incident recorded",))
    times = [d.recovery_minutes for d in drills]
    mttr = sum(times) / len(times)
    n_inc = sum(1 for d in drills if d.kind == "incident")
    shown = " + ".join(u.num(t, 1) for t in times[:10]) + (" + …" if len(times) > 10 else "")
    return DrillSummary(
        count=len(drills),
        drills=len(drills) - n_inc,
        incidents=n_inc,
        mttr_minutes=mttr,
        achieved_rpo_minutes=max(d.data_loss_minutes for d in drills),
        last_at=max(d.started_at for d in drills),
        explanation=(
            f"MTTR = ({shown}) min ÷ {len(times)} recoveries = {u.dur_with_minutes(mttr)}",
            f"achieved RPO = worst data loss observed = "
            f"{u.minutes(max(d.data_loss_minutes for d in drills))}",
        ),
    )


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    """DRILL_NEVER, DRILL_OVERDUE, DRILL_LOSS_OVER_RPO, OBJECTIVE_MTTR_OVER_RTO."""
    s: DrillSummary = d.drill
    if s.mttr_minutes is not None and s.mttr_minutes > app.rto_minutes:
        yield finding(
            "OBJECTIVE_MTTR_OVER_RTO",
            app.id,
            f"MTTR {u.dur_with_minutes(s.mttr_minutes)} (mean of {u.plural(s.count, 'recovery', 'recoveries')})"
            f" exceeds the RTO {u.dur_with_minutes(app.rto_minutes)}: a failure would cause an "
            "unacceptable business disruption",
        )
    if s.achieved_rpo_minutes is not None and s.achieved_rpo_minutes > app.rpo_minutes:
        yield finding(
            "DRILL_LOSS_OVER_RPO",
            app.id,
            f"up to {u.dur_with_minutes(s.achieved_rpo_minutes)} of data was lost in a recorded "
            f"recovery, more than the RPO {u.dur_with_minutes(app.rpo_minutes)}",
        )
    if app.scheme not in PROTECTING_SCHEMES:
        return
    if s.last_at is None:
        yield finding(
            "DRILL_NEVER",
            app.id,
            f"no recovery drill or incident is recorded for '{app.name}': its MTTR is unknown, "
            "so the plan cannot show it recovers within the RTO",
        )
        return
    max_age = ctx.limit("drill.max_age_days")
    age = age_days(ctx.now, s.last_at)
    if age > max_age:
        yield finding(
            "DRILL_OVERDUE",
            app.id,
            f"the last recovery drill started {s.last_at:%Y-%m-%d}, {u.num(age, 0)} days ago, "
            f"more than the {u.num(max_age, 0)} days allowed",
        )
