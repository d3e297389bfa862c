"""Shared pieces of the sizing engine: the explained figure and argument checks.

A ``Figure`` is a value together with the lines that show how it was computed; the function that
computes a value writes its lines at the same time, so an explanation is never re-derived.
The checks raise ``ValueError`` with a message that names the offending argument.
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "Figure",
    "check_choice",
    "check_count",
    "check_fraction",
    "check_nonnegative",
    "check_positive",
    "check_range",
    "lookup",
    "lookup_optional",
]


@dataclass(frozen=True, slots=True)
class Figure:
    """A computed value and the lines that show its arithmetic with the actual numbers."""

    value: float
    explanation: tuple[str, ...] = ()


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_nonnegative(name: str, value: object) -> float:
    """``value`` if it is a finite number >= 0, else ValueError naming ``name``."""
    if (value.__class__ is float or value.__class__ is int) and 0 <= value < math.inf:
        return value
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def check_positive(name: str, value: object) -> float:
    """``value`` if it is a finite number > 0, else ValueError naming ``name``."""
    if (value.__class__ is float or value.__class__ is int) and 0 < value < math.inf:
        return value
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def check_fraction(name: str, value: object) -> float:
    """``value`` if it is a fraction between 0 and 1 inclusive (0.05 = 5 %), else ValueError."""
    if (value.__class__ is float or value.__class__ is int) and 0 <= value <= 1:
        return value
    value = _number(name, value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction between 0 and 1 (0.05 = 5 %), got {value!r}")
    return value


def check_range(name: str, value: object, low: float, high: float) -> float:
    """``value`` if ``low <= value <= high``, else ValueError naming ``name`` and the range."""
    value = _number(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return value


def check_count(name: str, value: object, minimum: int = 0) -> int:
    """``value`` if it is a whole number >= ``minimum``, else ValueError naming ``name``."""
    if value.__class__ is int and value >= minimum:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if not math.isfinite(value) or value != int(value) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else ValueError naming ``name`` and the choices."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def lookup(table: Mapping[str, float | Decimal], key: str, table_name: str) -> float:
    """``table[key]`` from the price or limit catalog, or ValueError naming the missing key."""
    try:
        value = table[key]
    except KeyError:
        raise ValueError(f"{table_name}[{key!r}] is missing from the catalog") from None
    if isinstance(value, Decimal):  # a DecimalField read straight from the database
        value = float(value)
    return _number(f"{table_name}[{key!r}]", value)


def lookup_optional(table: Mapping[str, float], key: str, table_name: str) -> float | None:
    """``lookup`` for a key the engine can do without: None when the catalog lacks it."""
    if key not in table:
        return None
    return lookup(table, key, table_name)
