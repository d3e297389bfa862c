"""The range of every number and the shape of every name the planner accepts, in one place.

Every entrance (the models' validators and check constraints, the portal's forms, the admin,
the REST API, the inventory import) checks against these, so a value the engine cannot size
never reaches it and every refusal names the field and the allowed range. Each range says why
it is what it is; a value outside it is a typing mistake, not a real estate.

- ``Range``: a closed interval of finite numbers; it is also a Django validator (a model
  field lists it in ``validators``) and gives the check constraint's condition (``Range.q``).
- ``name_problem()`` / ``validate_name``: names (apps, VMs, disks, resource groups, scale sets)
  are at most ``NAME_MAX_LENGTH`` characters with no control character (NUL, tab, newline...),
  which PostgreSQL refuses (NUL) or which breaks CSV exports, logs and the PDF.
- ``SEARCH_MAX_LENGTH``: the longest search string (a 60,000-character ``?q=`` made SQLite
  give up: "LIKE or GLOB pattern too complex").
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

NAME_MAX_LENGTH = 80  # Azure's limit for VM and disk names; apps follow it (pages, PDF, CSV)
RESOURCE_GROUP_MAX_LENGTH = 90  # Azure's documented limit for resource group names
SEARCH_MAX_LENGTH = 200  # longer than any name plus context; SQLite's LIKE fails near 50,000
MAX_DATA_DISKS = 64  # the largest Azure Stack Hub sizes attach 64 data disks (LUN 0-63)
MINUTES_PER_DAY = 1_440
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

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        note = f" ({self.note})" if self.note else ""
        return f"{_fmt(self.low)} to {_fmt(self.high)}{unit}{note}"

    def problem(self, value) -> str | None:
        """None when ``value`` is a finite number in the range, else what is wrong."""
        if isinstance(value, bool):
            return f"{value!r} is not a number: give one from {self.text}"
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            return f"{str(value)[:40]!r} is not a number: give one from {self.text}"
        if not math.isfinite(number):
            return f"{value!r} is not a finite number: give one from {self.text}"
        if not self.low <= number <= self.high:
            return f"{_fmt(number)} is outside the allowed range, {self.text}"
        return None

    def __call__(self, value) -> None:
        problem = self.problem(value)
        if problem is not None:
            raise ValidationError(
                "%(problem)s.",
                code="out_of_range",
                params={"problem": problem[0].upper() + problem[1:]},
            )

    def deconstruct(self):
        """Migrations refer to a range by its name here, so rewording ``why`` is no migration."""
        for key, value in globals().items():
            if value is self:
                return ("planner.bounds.named", (key,), {})
        raise ValueError("only the ranges defined in planner.bounds can be used as validators")

    def q(self, field: str) -> Q:
        """The check constraint's condition: NaN and Infinity fail it on every database."""
        return Q(**{f"{field}__gte": self.low}) & Q(**{f"{field}__lte": self.high})

    def clamp(self, value: float) -> float:
        """The nearest value in range (non-finite: the nearest end, NaN: ``low``)."""
        try:
            number = float(value)
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
    0, 3_650, "days", "Sizing further than ten years ahead is guesswork (0: today's size)."
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
    1, 43_200, "minutes (30 days)", "At least a monthly backup; yearly copies are GFS points."
)
RETENTION_POINTS = Range(
    1, 10_000, "restore points", "Ten years of hourly points would be 87,600; 10,000 is plenty."
)
REDUCTION = Range(
    0.01,
    1,
    "",
    "1 stores data as is; 0.01 is 100:1, beyond any deduplication.",
    "stored size / original: 0.5 = 2:1",
)
FULL_EVERY = Range(1, 365, "runs", "A full at least once a year of daily runs.")
GFS_WEEKLY = Range(0, 520, "weekly points", "Ten years of weeks.")
GFS_MONTHLY = Range(0, 120, "monthly points", "Ten years of months.")
GFS_YEARLY = Range(0, 100, "yearly points", "A century of yearly archives.")
DATA_LOSS_MINUTES = Range(
    0, TEN_YEARS_MINUTES, "minutes (10 years)", "A drill's data loss: at most ten years."
)
NODES = Range(0, 16, "nodes", "An Azure Stack Hub scale unit has 4 to 16 nodes (0: not a hub).")
NODE_MEMORY_GIB = Range(0, 4_096, "GiB", "The largest integrated system nodes have 4 TiB.")
STAMP_MEMORY_GIB = Range(0, 65_536, "GiB", "16 nodes of 4 TiB.")
RUNNING_VMS = Range(0, 100_000, "VMs", "Far beyond what one stamp runs.")
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
STREAMS = Range(1, 1_024, "streams", "Backup products run tens of concurrent streams.")
SIZE_VCPU = Range(1, 1_024, "vCPU", "The largest Azure sizes have a few hundred vCPU.")
SIZE_NICS = Range(1, 64, "NICs", "Azure sizes attach at most a few dozen NICs.")
DATA_DISKS = Range(0, MAX_DATA_DISKS, "data disks", "LUNs 0 to 63.")
DISK_GIB_OR_NONE = Range(0, 65_536, "GiB", "A VM size's temporary disk: none up to a disk.")
CATALOG_VALUE = Range(
    0, 1e12, "", "Prices (USD) and limits (counts, GiB, hours) are finite and below 10^12."
)


def named(key: str) -> Range:
    """A range by its name in this module (what migrations store: keep every name they use)."""
    value = globals()[key]
    assert isinstance(value, Range), key
    return value


# --- names ----------------------------------------------------------------------------------


def name_problem(value: str, max_length: int = NAME_MAX_LENGTH) -> str | None:
    """None when ``value`` is a usable name, else what is wrong with it."""
    if len(value) > max_length:
        return f"{len(value):,} characters is longer than {max_length}: shorten it"
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            label = "NUL" if ch == "\x00" else f"U+{ord(ch):04X}"
            return (
                f"it contains a control character ({label}): names are printable text, "
                "without NUL, tabs or line breaks"
            )
    return None


def _refuse_name(value, max_length: int) -> None:
    problem = name_problem(str(value), max_length)
    if problem is not None:
        raise ValidationError(
            "%(problem)s.", code="bad_name", params={"problem": problem[0].upper() + problem[1:]}
        )


def validate_name(value) -> None:
    """The shared validator of names: at most 80 characters, no control character."""
    _refuse_name(value, NAME_MAX_LENGTH)


def validate_resource_group(value) -> None:
    """Resource group names: as names, up to Azure's 90 characters."""
    _refuse_name(value, RESOURCE_GROUP_MAX_LENGTH)


def validate_text(value) -> None:
    """Free text (descriptions, reasons): anything printable, line breaks and tabs too, but no
    NUL, which PostgreSQL refuses in text."""
    if "\x00" in str(value):
        raise ValidationError(
            "The text contains a NUL character: remove it (paste the text as plain text).",
            code="null_characters_not_allowed",
        )
