"""Human formatting and parsing of the engine's units (DESIGN §4 "Units").

Storage in GiB (1 GiB = 1,024³ bytes), bandwidth in Mbit/s (10⁶ bit/s), durations in minutes in
the model and shown as "90 min", "4 h", "2 d", money in the price catalog's currency (USD).
The engine's explanations and the portal use these helpers, so a figure reads the same everywhere.
Pure Python: no Django import and no engine import, so ``planner.sizing``, ``planner.rules``, the
services and the portal all use this one module.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

__all__ = [
    "MBIT_PER_GIB",
    "MINUTES_PER_DAY",
    "MINUTES_PER_HOUR",
    "fmt_count",
    "fmt_duration",
    "fmt_duration_with_minutes",
    "fmt_gib",
    "fmt_hours",
    "fmt_mbps",
    "fmt_minutes",
    "fmt_money",
    "fmt_names",
    "fmt_num",
    "fmt_price",
    "fmt_ratio",
    "fmt_recovery",
    "gib_moved",
    "parse_duration",
]

# 1 GiB = 1,024^3 bytes x 8 bits / 10^6 = 8,589.934592 Mbit.
MBIT_PER_GIB = 1024**3 * 8 / 1e6
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440
_SPECS = tuple(f",.{n}f" for n in range(7))


def gib_moved(mbps: float, hours: float) -> float:
    """GiB a stream of ``mbps`` Mbit/s moves in ``hours`` hours: mbps x hours x 3,600 / 8,589.93.

    The nightly capacity of a backup target is ``gib_moved(ingest_mbps, window_hours)``: 1,000
    Mbit/s over an 8 h window moves 1,000 x 8 x 3,600 / 8,589.934592 = 3,352.76 GiB (DESIGN §5,
    stagger: ingest throughput x window). One formula for the rules, the stagger and the overview."""
    return mbps * hours * 3600 / MBIT_PER_GIB


@lru_cache(maxsize=8192)
def fmt_num(value: float, decimals: int = 1) -> str:
    """``value`` with thousands separators and at most ``decimals`` decimals, trailing zeros cut.

    An infinite value reads "unlimited" (a capacity without a limit), never "inf".

    >>> fmt_num(1150.0), fmt_num(7065.6), fmt_num(0.125, 3), fmt_num(float("inf"))
    ('1,150', '7,065.6', '0.125', 'unlimited')
    """
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "nan"
        return "unlimited" if value > 0 else "-unlimited"
    text = format(value, _SPECS[decimals] if decimals < 7 else f",.{decimals}f")
    if decimals and text[-1] == "0":
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        return "0"
    return text


def fmt_gib(value: float) -> str:
    """A storage figure: "1,150 GiB", "7,065.6 GiB", "2.25 GiB" (two decimals below 10 GiB)."""
    if -10 < value < 10:
        return f"{fmt_num(value, 2)} GiB"
    return f"{fmt_num(value, 1)} GiB"


def fmt_mbps(value: float) -> str:
    """A bandwidth figure in Mbit/s (10⁶ bit/s): "6.63 Mbit/s", "1,000 Mbit/s"."""
    if -100 < value < 100:
        return f"{fmt_num(value, 2)} Mbit/s"
    return f"{fmt_num(value, 1)} Mbit/s"


def fmt_hours(value: float) -> str:
    """A duration already in hours: "3.18 h", "72 h"."""
    if -10 < value < 10:
        return f"{fmt_num(value, 2)} h"
    return f"{fmt_num(value, 1)} h"


def fmt_ratio(value: float) -> str:
    """A fraction shown with at least two decimals, as change rates are written: "0.10", "0.05".

    Up to four decimals are kept when they matter ("0.0125").
    """
    text = f"{value:.4f}".rstrip("0")
    head, _, tail = text.partition(".")
    if len(tail) < 2:
        tail = tail.ljust(2, "0")
    return f"{head}.{tail}"


def fmt_money(value: float, currency: str = "USD") -> str:
    """An amount of money with two decimals: "USD 1,234.50"."""
    text = f"{value:,.2f}"
    if text == "-0.00":
        text = "0.00"
    return f"{currency} {text}"


def fmt_price(value: float, currency: str = "USD") -> str:
    """A unit price, keeping up to four decimals: "USD 0.0224", "USD 25.00"."""
    text = f"{value:,.4f}"
    head, _, tail = text.partition(".")
    tail = tail.rstrip("0").ljust(2, "0")
    return f"{currency} {head}.{tail}"


def fmt_duration(minutes: float) -> str:
    """A duration in minutes, written in the largest unit that reads naturally.

    Exact whole days are written in days ("2 d"), exact whole hours from 2 h up in hours
    ("4 h"), anything under 2 h in minutes ("90 min"); other values are rounded to one decimal in
    days from 2 days up ("2.3 d") or in hours from 2 hours up ("2.5 h"). Raises ValueError for a
    negative, infinite or non-numeric value.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise ValueError(f"minutes must be a number, got {minutes!r}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
    if minutes == 0:
        return "0 min"
    if minutes % MINUTES_PER_DAY == 0:
        return f"{fmt_num(minutes / MINUTES_PER_DAY, 0)} d"
    if minutes < 2 * MINUTES_PER_HOUR:
        return f"{fmt_num(minutes, 1)} min"
    if minutes % MINUTES_PER_HOUR == 0:
        return f"{fmt_num(minutes / MINUTES_PER_HOUR, 0)} h"
    if minutes >= 2 * MINUTES_PER_DAY:
        return f"{fmt_num(minutes / MINUTES_PER_DAY, 1)} d"
    return f"{fmt_num(minutes / MINUTES_PER_HOUR, 1)} h"


def fmt_minutes(value: float) -> str:
    """Minutes as a plain figure with unit: "144.5 min"; infinity reads "unrecoverable"."""
    if math.isinf(value):
        return "unrecoverable"
    return f"{fmt_num(value, 1)} min"


def fmt_recovery(minutes: float | None) -> str:
    """A recovery time or data loss as ``fmt_duration`` writes it, for figures that may be infinite.

    Infinity (or None: nothing computed) reads "unrecoverable", the seed's "No recovery"; a
    negative value reads "0 min". Rule messages and the what-if page use it."""
    if minutes is None or math.isinf(minutes):
        return "unrecoverable"
    if minutes <= 0:
        return "0 min"
    return fmt_duration(minutes)


def fmt_duration_with_minutes(value: float) -> str:
    """ "144.5 min (2.4 h)" when the natural unit is not minutes, else "90 min"."""
    natural = fmt_recovery(value)
    plain = fmt_minutes(value)
    if natural == plain or math.isinf(value):
        return natural
    return f"{plain} ({natural})"


def fmt_names(items: list[str] | tuple[str, ...], limit: int = 8) -> str:
    """'a', 'b' and 2 more: quoted names, cut after ``limit``."""
    quoted = [f"'{n}'" for n in items]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    return ", ".join(quoted)


def fmt_count(count: int, word: str, many: str | None = None) -> str:
    """ "1 VM", "3 VMs", "1,200 VMs"."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


_UNITS = {
    "": 1.0,
    "m": 1.0,
    "min": 1.0,
    "mins": 1.0,
    "minute": 1.0,
    "minutes": 1.0,
    "h": 60.0,
    "hr": 60.0,
    "hrs": 60.0,
    "hour": 60.0,
    "hours": 60.0,
    "d": 1440.0,
    "day": 1440.0,
    "days": 1440.0,
}
_DURATION = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$")


def parse_duration(text: str) -> float:
    """Minutes from a written duration.

    Accepts a number followed by an optional unit, case-insensitive, space optional: "45" (minutes),
    "90 min", "90m", "90 minutes", "4 h", "4h", "1.5 h", "4 hours", "2 d", "2 days",
    "1,440 min". Returns minutes as a float. Raises ValueError naming the text otherwise
    (empty, negative, unknown unit, several numbers).
    """
    if not isinstance(text, str):
        raise ValueError(f"duration must be text such as '90 min', '4 h' or '2 d', got {text!r}")
    match = _DURATION.match(text.lower())
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(
            f"duration {text!r} is not understood: write a number of minutes ('45'), "
            "or a number with a unit: '90 min', '4 h', '1.5 h', '2 d'"
        )
    number = float(match.group(1).replace(",", ""))
    return number * _UNITS[match.group(2)]
