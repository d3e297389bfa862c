"""Formatting of figures in rule messages and explanations.

The same conventions as the sizing engine (DESIGN §4 "Units"): storage in GiB, bandwidth in
Mbit/s (10^6 bit/s), durations in minutes shown as "90 min", "4 h", "2 d". Kept here rather than
imported so that ``planner.rules`` depends on nothing but ``planner.facts`` and
``planner.catalog_defaults``. Pure Python.
"""

from __future__ import annotations

import math
from functools import lru_cache

# 1 GiB = 1,024^3 bytes x 8 bits / 10^6 = 8,589.934592 Mbit.
MBIT_PER_GIB = 1024**3 * 8 / 1_000_000
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440


@lru_cache(maxsize=8192)
def num(value: float, decimals: int = 1) -> str:
    """``value`` with thousands separators and at most ``decimals`` decimals, zeros cut."""
    if isinstance(value, float) and not math.isfinite(value):
        return "unlimited" if value > 0 else "-unlimited"
    text = f"{value:,.{decimals}f}"
    if decimals > 0:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def gib(value: float) -> str:
    """A storage figure: "1,150 GiB", "2.25 GiB"."""
    return f"{num(value, 2 if -10 < value < 10 else 1)} GiB"


def mbps(value: float) -> str:
    """A bandwidth figure: "6.63 Mbit/s", "1,000 Mbit/s"."""
    return f"{num(value, 2 if -100 < value < 100 else 1)} Mbit/s"


def hours(value: float) -> str:
    """A duration already in hours: "3.18 h", "72 h"."""
    return f"{num(value, 2 if -10 < value < 10 else 1)} h"


def minutes(value: float) -> str:
    """Minutes as a plain figure with unit: "144.5 min"; infinity reads "unrecoverable"."""
    if math.isinf(value):
        return "unrecoverable"
    return f"{num(value, 1)} min"


def duration(value: float) -> str:
    """A duration in minutes in the unit that reads naturally: "90 min", "4 h", "2.5 h", "2 d".

    Infinity reads "unrecoverable" (the seed's "No recovery").
    """
    if math.isinf(value):
        return "unrecoverable"
    if value <= 0:
        return "0 min"
    if value % MINUTES_PER_DAY == 0:
        return f"{num(value / MINUTES_PER_DAY, 0)} d"
    if value < 2 * MINUTES_PER_HOUR:
        return f"{num(value, 1)} min"
    if value % MINUTES_PER_HOUR == 0:
        return f"{num(value / MINUTES_PER_HOUR, 0)} h"
    if value >= 2 * MINUTES_PER_DAY:
        return f"{num(value / MINUTES_PER_DAY, 1)} d"
    return f"{num(value / MINUTES_PER_HOUR, 1)} h"


def dur_with_minutes(value: float) -> str:
    """ "144.5 min (2.4 h)" when the natural unit is not minutes, else "90 min"."""
    natural = duration(value)
    plain = minutes(value)
    if natural == plain or math.isinf(value):
        return natural
    return f"{plain} ({natural})"


def names(items: list[str] | tuple[str, ...], limit: int = 8) -> str:
    """'a', 'b' and 2 more — quoted names, cut after ``limit``."""
    quoted = [f"'{n}'" for n in items]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    return ", ".join(quoted)


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 VM", "3 VMs"."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


SCHEME_LABELS = {
    "none": "no protection",
    "backup_restore": "backup-restore",
    "replication": "replication",
    "high_availability": "high availability",
    "fault_tolerance": "fault tolerance",
}


def scheme(name: str) -> str:
    """A scheme's name as the seed writes it: "backup-restore", "high availability"."""
    return SCHEME_LABELS.get(name, name)
