"""The range of every number the planner reads, written once, as plain data (no Django).

``planner.bounds`` makes each range a Django validator and check constraint for the entrances
(models, forms, API, admin, import); ``planner.guard`` keeps the engine inside the same ranges
(and a few of its own, for facts no entrance takes). So a value an entrance accepts is never
replaced by the engine, and a range is changed in one place. Each range says why it is what it
is; a value outside it is a typing mistake, not a real estate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.units import MINUTES_PER_DAY

MAX_DATA_DISKS = 64  # the largest Azure Stack Hub sizes attach 64 data disks (LUN 0-63)
TEN_YEARS_MINUTES = 10 * 365 * MINUTES_PER_DAY  # 5,256,000


def _fmt(value: float) -> str:
    if abs(value) >= 1e15:  # 1e308 written out is 309 digits
        return f"{value:g}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


@dataclass(frozen=True)
class Range:
    """A closed interval ``low``..``high`` of finite numbers, with its unit and the reason."""

    low: float
    high: float
    unit: str = ""
    why: str = ""
    note: str = ""  # how to read the figure, when its unit is not enough (percentages)
    whole: bool = False  # a count: the engine's guard replaces it by a whole number

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        note = f" ({self.note})" if self.note else ""
        return f"{_fmt(self.low)} to {_fmt(self.high)}{unit}{note}"

    def problem(self, value: object) -> str | None:
        """None when ``value`` is a finite number in the range, else what is wrong."""
        if isinstance(value, bool):
            return f"{value!r} is not a number: give one from {self.text}"
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return f"{str(value)[:40]!r} is not a number: give one from {self.text}"
        if not math.isfinite(number):
            return f"{value!r} is not a finite number: give one from {self.text}"
        if not self.low <= number <= self.high:
            return f"{_fmt(number)} is outside the allowed range, {self.text}"
        return None

    def clamp(self, value: object) -> float:
        """The nearest value in range (non-finite: the nearest end, NaN: ``low``)."""
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return self.low
        if math.isnan(number):
            return self.low
        return min(max(number, self.low), self.high)


# --- the ranges -----------------------------------------------------------------------------

LINK_MBPS = Range(
    0.1,
    400_000,
    "Mbit/s",
    "0.1 Mbit/s is a dial-up line; 400,000 is 400 GbE, faster than any hub's uplink. "
    "Below 0.1 the onboarding schedule of an ordinary VM runs for years.",
)
LINK_OTHER_MBPS = Range(
    0,
    400_000,
    "Mbit/s",
    "Other traffic on the replication link: none up to the fastest link (400 GbE).",
)
GROWTH_HORIZON_DAYS = Range(
    0,
    3_650,
    "days",
    "Sizing further than ten years ahead is guesswork (0: today's size).",
    whole=True,
)
GROWTH_PER_YEAR = Range(
    0,
    10,
    "",
    "Ten-fold growth a year is already an outlier.",
    "between 0 % and 1,000 % a year; 0.1 = 10 %",
)
CHANGE_RATE = Range(
    0, 1, "", "At most all of it.", "between 0 % and 100 % of the used data a day; 0.05 = 5 %"
)
DISK_GIB = Range(
    1, 65_536, "GiB", "Azure's managed disks are 1 GiB to 64 TiB (Azure Stack Hub: 1 TiB)."
)
USED_GIB = Range(0, 65_536, "GiB", "At most the largest disk; at most the disk's own size.")
LUN = Range(0, MAX_DATA_DISKS - 1, "", "LUNs 0 to 63: at most 64 data disks per VM.")
OBJECTIVE_MINUTES = Range(
    0,
    TEN_YEARS_MINUTES,
    "minutes (10 years)",
    "0 is fault tolerance; an objective beyond ten years is none.",
)
REPLICATION_INTERVAL_MINUTES = Range(
    1,
    MINUTES_PER_DAY,
    "minutes (1 day)",
    "Replicas are updated every 30 s to a few hours; daily and rarer is a backup.",
)
BACKUP_INTERVAL_MINUTES = Range(
    1,
    43_200,
    "minutes (30 days)",
    "At least a monthly backup; yearly copies are GFS points.",
    whole=True,
)
RETENTION_POINTS = Range(
    1,
    10_000,
    "restore points",
    "Ten years of hourly points would be 87,600; 10,000 is plenty.",
    whole=True,
)
REDUCTION = Range(
    0.01,
    1,
    "",
    "1 stores data as is; 0.01 is 100:1, beyond any deduplication.",
    "stored size / original: 0.5 = 2:1",
)
FULL_EVERY = Range(1, 365, "runs", "A full at least once a year of daily runs.", whole=True)
GFS_WEEKLY = Range(0, 520, "weekly points", "Ten years of weeks.", whole=True)
GFS_MONTHLY = Range(0, 120, "monthly points", "Ten years of months.", whole=True)
GFS_YEARLY = Range(0, 100, "yearly points", "A century of yearly archives.", whole=True)
DATA_LOSS_MINUTES = Range(
    0, TEN_YEARS_MINUTES, "minutes (10 years)", "A drill's data loss: at most ten years."
)
NODES = Range(
    0, 16, "nodes", "An Azure Stack Hub scale unit has 4 to 16 nodes (0: not a hub).", whole=True
)
NODE_MEMORY_GIB = Range(0, 4_096, "GiB", "The largest integrated system nodes have 4 TiB.")
STAMP_MEMORY_GIB = Range(0, 65_536, "GiB", "16 nodes of 4 TiB.")
RUNNING_VMS = Range(0, 100_000, "VMs", "Far beyond what one stamp runs.", whole=True)
TARGET_GIB = Range(
    0, 1_073_741_824, "GiB (1 EiB)", "Backup targets: far beyond any appliance or account."
)
INGEST_MBPS = Range(0, 400_000, "Mbit/s", "As a link: at most 400 GbE.")
RESTORE_MBPS = Range(
    0,
    400_000,
    "Mbit/s",
    "As a link: at most 400 GbE (0: the 1,000 Mbit/s restore assumption of DESIGN §4).",
)
WINDOW_HOURS = Range(0.1, 24, "hours", "A backup window is part of a day.")
STREAMS = Range(1, 1_024, "streams", "Backup products run tens of concurrent streams.", whole=True)
SIZE_VCPU = Range(1, 1_024, "vCPU", "The largest Azure sizes have a few hundred vCPU.")
SIZE_NICS = Range(1, 64, "NICs", "Azure sizes attach at most a few dozen NICs.")
DATA_DISKS = Range(0, MAX_DATA_DISKS, "data disks", "LUNs 0 to 63.")
DISK_GIB_OR_NONE = Range(0, 65_536, "GiB", "A VM size's temporary disk: none up to a disk.")
CATALOG_VALUE = Range(
    0, 1e12, "", "Prices (USD) and limits (counts, GiB, hours) are finite and below 10^12."
)
