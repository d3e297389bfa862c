"""The range of every number and the shape of every name the planner accepts, in one place.

Every entrance (the models' validators and check constraints, the portal's forms, the admin,
the REST API, the inventory import) checks against these, so a value the engine cannot size
never reaches it and every refusal names the field and the allowed range.

- ``Range``: a range of ``planner.ranges`` (where each is written once, with its reason, as
  plain data the engine's guard reads too) as a Django validator (a model field lists it in
  ``validators``) that gives the check constraint's condition (``Range.q``).
- ``name_problem()`` / ``validate_name``: names (apps, VMs, disks, resource groups, scale sets)
  are at most ``NAME_MAX_LENGTH`` characters with no control character (NUL, tab, newline...),
  which PostgreSQL refuses (NUL) or which breaks CSV exports, logs and the PDF.
- ``SEARCH_MAX_LENGTH``: the longest search string (a 60,000-character ``?q=`` made SQLite
  give up: "LIKE or GLOB pattern too complex").
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from planner import ranges

NAME_MAX_LENGTH = 80  # Azure's limit for VM and disk names; apps follow it (pages, PDF, CSV)
RESOURCE_GROUP_MAX_LENGTH = 90  # Azure's documented limit for resource group names
SEARCH_MAX_LENGTH = 200  # longer than any name plus context; SQLite's LIKE fails near 50,000


@dataclass(frozen=True)
class Range(ranges.Range):
    """A range of ``planner.ranges`` at an entrance: a Django validator (a model field lists it
    in ``validators``) that also gives the check constraint's condition (``Range.q``)."""

    @classmethod
    def of(cls, r: ranges.Range) -> Range:
        return cls(**asdict(r))

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


# --- the ranges (their numbers and reasons: planner.ranges) --------------------------------

LINK_MBPS = Range.of(ranges.LINK_MBPS)
LINK_OTHER_MBPS = Range.of(ranges.LINK_OTHER_MBPS)
GROWTH_HORIZON_DAYS = Range.of(ranges.GROWTH_HORIZON_DAYS)
GROWTH_PER_YEAR = Range.of(ranges.GROWTH_PER_YEAR)
CHANGE_RATE = Range.of(ranges.CHANGE_RATE)
DISK_GIB = Range.of(ranges.DISK_GIB)
USED_GIB = Range.of(ranges.USED_GIB)
LUN = Range.of(ranges.LUN)
OBJECTIVE_MINUTES = Range.of(ranges.OBJECTIVE_MINUTES)
REPLICATION_INTERVAL_MINUTES = Range.of(ranges.REPLICATION_INTERVAL_MINUTES)
BACKUP_INTERVAL_MINUTES = Range.of(ranges.BACKUP_INTERVAL_MINUTES)
RETENTION_POINTS = Range.of(ranges.RETENTION_POINTS)
REDUCTION = Range.of(ranges.REDUCTION)
FULL_EVERY = Range.of(ranges.FULL_EVERY)
GFS_WEEKLY = Range.of(ranges.GFS_WEEKLY)
GFS_MONTHLY = Range.of(ranges.GFS_MONTHLY)
GFS_YEARLY = Range.of(ranges.GFS_YEARLY)
DATA_LOSS_MINUTES = Range.of(ranges.DATA_LOSS_MINUTES)
NODES = Range.of(ranges.NODES)
NODE_MEMORY_GIB = Range.of(ranges.NODE_MEMORY_GIB)
STAMP_MEMORY_GIB = Range.of(ranges.STAMP_MEMORY_GIB)
RUNNING_VMS = Range.of(ranges.RUNNING_VMS)
TARGET_GIB = Range.of(ranges.TARGET_GIB)
INGEST_MBPS = Range.of(ranges.INGEST_MBPS)
RESTORE_MBPS = Range.of(ranges.RESTORE_MBPS)
WINDOW_HOURS = Range.of(ranges.WINDOW_HOURS)
STREAMS = Range.of(ranges.STREAMS)
SIZE_VCPU = Range.of(ranges.SIZE_VCPU)
SIZE_NICS = Range.of(ranges.SIZE_NICS)
DATA_DISKS = Range.of(ranges.DATA_DISKS)
DISK_GIB_OR_NONE = Range.of(ranges.DISK_GIB_OR_NONE)
CATALOG_VALUE = Range.of(ranges.CATALOG_VALUE)


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
