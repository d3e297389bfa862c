"""The rules' short names for the engine's units and labels (DESIGN §4 "Units").

Nothing is defined here: every figure is formatted by ``planner.units`` and every scheme
named by ``planner.labels``, so a finding writes a figure and a scheme as the portal and the PDF
do. The short names keep the rules' f-strings readable (``u.gib(x)``, ``u.duration(m)``).
"""

from __future__ import annotations

from planner.labels import scheme
from planner.units import (
    MBIT_PER_GIB,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    gib_moved,
)
from planner.units import fmt_count as plural
from planner.units import fmt_duration_with_minutes as dur_with_minutes
from planner.units import fmt_gib as gib
from planner.units import fmt_hours as hours
from planner.units import fmt_mbps as mbps
from planner.units import fmt_minutes as minutes
from planner.units import fmt_names as names
from planner.units import fmt_num as num
from planner.units import fmt_recovery as duration

__all__ = [
    "MBIT_PER_GIB",
    "MINUTES_PER_DAY",
    "MINUTES_PER_HOUR",
    "dur_with_minutes",
    "duration",
    "gib",
    "gib_moved",
    "hours",
    "mbps",
    "minutes",
    "names",
    "num",
    "plural",
    "scheme",
]
