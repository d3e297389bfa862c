"""Formatting and parsing of the engine's units (planner.units)."""

import pytest

from planner.units import (
    fmt_duration,
    fmt_gib,
    fmt_hours,
    fmt_mbps,
    fmt_money,
    fmt_num,
    fmt_price,
    fmt_ratio,
    parse_duration,
)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (90, "90 min"),
        (119, "119 min"),
        (120, "2 h"),
        (150, "2.5 h"),
        (240, "4 h"),
        (720, "12 h"),
        (1440, "1 d"),
        (2160, "36 h"),
        (2880, "2 d"),
        (3000, "50 h"),
        (4000, "2.8 d"),  # 4,000 ÷ 1,440 = 2.78 d
        (43200, "30 d"),
        (0.5, "0.5 min"),
    ],
)
def test_fmt_duration(minutes, text):
    assert fmt_duration(minutes) == text


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "90", None, True])
def test_fmt_duration_rejects(bad):
    with pytest.raises(ValueError, match="minutes"):
        fmt_duration(bad)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90 min", 90),
        ("90m", 90),
        ("90 mins", 90),
        ("90 minutes", 90),
        ("4 h", 240),
        ("4h", 240),
        ("4 hours", 240),
        ("1.5 h", 90),
        ("2 d", 2880),
        ("2 days", 2880),
        ("45", 45),
        ("  2 D ", 2880),
        ("1,440 min", 1440),
        ("0", 0),
        (".5 h", 30),
    ],
)
def test_parse_duration(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "bad", ["", "abc", "-5", "5 weeks", "1 h 30 min", "4 hh", "1,44 min", "h", "2..5 h"]
)
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_parse_duration_rejects_non_text():
    with pytest.raises(ValueError, match="duration"):
        parse_duration(90)


@pytest.mark.parametrize("minutes", [1, 45, 90, 120, 150, 240, 1440, 2160, 2880, 3000, 43200])
def test_round_trip(minutes):
    assert parse_duration(fmt_duration(minutes)) == minutes


def test_numbers():
    assert fmt_num(1150.0) == "1,150"
    assert fmt_num(7065.6) == "7,065.6"
    assert fmt_num(-0.01) == "0"
    assert fmt_gib(1150) == "1,150 GiB"
    assert fmt_gib(7065.64) == "7,065.6 GiB"
    assert fmt_gib(2.25) == "2.25 GiB"
    assert fmt_gib(1_234_567) == "1,234,567 GiB"
    assert fmt_mbps(6.628036) == "6.63 Mbit/s"
    assert fmt_mbps(1000) == "1,000 Mbit/s"
    assert fmt_hours(3.181457) == "3.18 h"
    assert fmt_hours(72) == "72 h"
    assert fmt_ratio(0.1) == "0.10"
    assert fmt_ratio(0.05) == "0.05"
    assert fmt_ratio(0.0125) == "0.0125"
    assert fmt_ratio(1) == "1.00"


def test_money():
    assert fmt_money(1234.5) == "USD 1,234.50"
    assert fmt_money(0) == "USD 0.00"
    assert fmt_money(-0.001) == "USD 0.00"
    assert fmt_money(12, "EUR") == "EUR 12.00"
    assert fmt_price(0.0224) == "USD 0.0224"
    assert fmt_price(25) == "USD 25.00"
    assert fmt_price(0.05) == "USD 0.05"


def test_one_module_for_every_unit_infinity_reads_the_same_everywhere():
    from planner.rules import _units as u
    from planner.units import MBIT_PER_GIB, fmt_num, fmt_recovery, gib_moved

    assert MBIT_PER_GIB == 8589.934592
    assert fmt_num(float("inf")) == u.num(float("inf")) == "unlimited"
    assert fmt_recovery(float("inf")) == u.duration(float("inf")) == "unrecoverable"
    assert fmt_recovery(None) == "unrecoverable"
    assert fmt_recovery(-5) == "0 min"
    assert fmt_recovery(240) == "4 h"
    # 1,000 Mbit/s over an 8 h window: 1,000 x 8 x 3,600 / 8,589.934592 GiB.
    assert gib_moved(1000, 8) == pytest.approx(3352.761, abs=1e-3)
