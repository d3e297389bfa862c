"""Staggered onboarding: spread initial full backups (or replication seeding) over nights.

The seed ("Planning your backup strategy"): "Consider staggered backups when on-boarding a large
number of new VMs". The model:

- A night has one backup *window* of ``window_hours`` (at most 24 h), nights are 24 h apart.
- The target ingests ``ingest_mbps`` in total, shared equally by ``streams`` concurrent
  streams: each stream moves ``ingest_mbps / streams``. A VM's transfer runs on one stream and
  lasts ``initial_gib × 8,589.93 Mbit/GiB ÷ stream rate``.
- A stream runs its VMs back to back inside the window (a *slot* is one stream on one night),
  so at most ``streams`` VMs transfer at once and a night never moves more than
  ``ingest_mbps × window``.
- VMs are placed largest first (ties by name, then id), each in the earliest night that has a
  stream with enough time left, on the stream that has the least time used (lowest number on a
  tie): first-fit decreasing, deterministic.
- A VM whose transfer is longer than a whole window cannot fit one night: it is still scheduled,
  alone from the start of an empty stream, spanning consecutive nights on that stream (the
  transfer is assumed to pause and resume with the window), and it is flagged.
- The schedule stops at ``MAX_NIGHTS`` (a year): a VM that cannot be placed within it (or whose
  size is not a finite number >= 0) is left out, listed in ``unscheduled`` and named in a
  warning, so a tiny throughput never grows the schedule (or its memory) without end.
- ``total_hours`` is the elapsed time from the first window's start to the end of the last
  transfer, counting the 24 h between nights; ``within_goal`` compares it with ``goal_hours``.

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from planner.rules import _units as u

__all__ = ["Schedule", "Slot", "stagger"]

_EPS = 1e-9
MAX_NIGHTS = 365  # a year of nights; beyond it the rest does not fit (module docstring)
NAMED_UNSCHEDULED = 10


@dataclass(frozen=True, slots=True)
class Slot:
    """Where and when one VM's initial transfer runs.

    night                 first night, 1-based
    stream                stream number, 1-based
    start_offset_minutes  minutes from the start of that night's window
    duration_minutes      transfer time at the stream's rate
    end_offset_minutes    minutes from the start of its last night's window to its end
    nights_spanned        1, or more for a VM larger than one window
    fits_window           False when the VM could not fit one window
    on                    the date of the first night, when a start date was given
    """

    vm_id: int
    name: str
    gib: float
    night: int
    stream: int
    start_offset_minutes: float
    duration_minutes: float
    end_offset_minutes: float
    nights_spanned: int = 1
    fits_window: bool = True
    on: date | None = None

    @property
    def end_elapsed_minutes(self) -> float:
        """Minutes from the first window's start to the end of this transfer."""
        days = (self.night - 1 + self.nights_spanned - 1) * u.MINUTES_PER_DAY
        return days + self.end_offset_minutes


@dataclass(frozen=True)
class Schedule:
    """An onboarding schedule: one ``Slot`` per VM, in night, stream and start order."""

    slots: tuple[Slot, ...]
    nights: int
    total_hours: float
    transfer_hours: float
    total_gib: float
    night_capacity_gib: float
    stream_mbps: float
    goal_hours: float
    within_goal: bool
    oversized: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    explanation: tuple[str, ...] = ()
    unscheduled: tuple[int, ...] = ()  # VMs that do not fit within MAX_NIGHTS

    def night_of(self, vm_id: int) -> int:
        for s in self.slots:
            if s.vm_id == vm_id:
                return s.night
        raise KeyError(vm_id)

    def by_night(self) -> dict[int, tuple[Slot, ...]]:
        """Night number -> the slots that start that night."""
        out: dict[int, list[Slot]] = {}
        for s in self.slots:
            out.setdefault(s.night, []).append(s)
        return {n: tuple(v) for n, v in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "nights": self.nights,
            "total_hours": self.total_hours,
            "transfer_hours": self.transfer_hours,
            "total_gib": self.total_gib,
            "night_capacity_gib": self.night_capacity_gib,
            "stream_mbps": self.stream_mbps,
            "goal_hours": self.goal_hours,
            "within_goal": self.within_goal,
            "oversized": list(self.oversized),
            "unscheduled": list(self.unscheduled),
            "warnings": list(self.warnings),
            "explanation": list(self.explanation),
            "slots": [
                {
                    "vm_id": s.vm_id,
                    "name": s.name,
                    "gib": s.gib,
                    "night": s.night,
                    "stream": s.stream,
                    "start_offset_minutes": s.start_offset_minutes,
                    "duration_minutes": s.duration_minutes,
                    "end_offset_minutes": s.end_offset_minutes,
                    "nights_spanned": s.nights_spanned,
                    "fits_window": s.fits_window,
                    "on": s.on.isoformat() if s.on else None,
                }
                for s in self.slots
            ],
        }


def stagger(
    items: Iterable[tuple[int, str, float]],
    *,
    ingest_mbps: float,
    window_hours: float,
    streams: int,
    goal_hours: float = 72,
    start: date | None = None,
) -> Schedule:
    """Spread ``items`` — (vm_id, name, initial_gib) — over nightly windows (module docstring).

    ``initial_gib`` is what moves on the first night: the initial full (used × reduction) or the
    replication seeding volume.
    """
    if not ingest_mbps > 0 or not math.isfinite(ingest_mbps):
        raise ValueError(f"ingest_mbps must be a finite number > 0, got {ingest_mbps!r}")
    if not 0 < window_hours <= 24:
        raise ValueError(f"window_hours must be > 0 and <= 24, got {window_hours!r}")
    if int(streams) != streams or streams < 1:
        raise ValueError(f"streams must be a whole number >= 1, got {streams!r}")
    streams = int(streams)
    work = []
    left_out: list[tuple[int, str, float]] = []  # not scheduled within MAX_NIGHTS
    for vm_id, name, gib in items:
        if not (gib >= 0 and math.isfinite(gib)):
            left_out.append((vm_id, name, gib))
            continue
        work.append((vm_id, name, float(gib)))
    work.sort(key=lambda it: (-it[2], it[1], it[0]))
    # A VM runs on one stream at a time: lanes beyond the number of VMs are never used, so
    # a huge ``streams`` allocates nothing more (the stream rate still divides by ``streams``).
    lanes_n = max(1, min(streams, len(work)))

    window = window_hours * 60.0
    stream_mbps = ingest_mbps / streams
    # A rate that underflows to 0 (5e-324 Mbit/s over 2 streams) moves nothing: infinite time.
    minutes_per_gib = u.MBIT_PER_GIB / stream_mbps / 60.0 if stream_mbps > 0 else math.inf
    night_capacity = u.gib_moved(ingest_mbps, window_hours)

    used: list[list[float]] = []  # used[night][stream], minutes
    placed: list[tuple[int, str, float, int, int, float, float, int, bool, float]] = []
    oversized: list[int] = []
    warnings: list[str] = []

    night_min: list[float] = []  # least used stream time per night

    def add_night() -> None:
        used.append([0.0] * lanes_n)
        night_min.append(0.0)

    for vm_id, name, gib in work:
        t = gib * minutes_per_gib
        if not t < window * MAX_NIGHTS:  # also NaN or infinite: a rate of 1e-300 Mbit/s
            left_out.append((vm_id, name, gib))
            continue
        if t <= window + _EPS:
            night = 0
            while True:
                if night == MAX_NIGHTS:
                    left_out.append((vm_id, name, gib))
                    break
                if night == len(used):
                    add_night()
                if night_min[night] + t <= window + _EPS:
                    lanes = used[night]
                    best = lanes.index(night_min[night])
                    start_at = lanes[best]
                    lanes[best] = start_at + t
                    night_min[night] = min(lanes)
                    placed.append(
                        (vm_id, name, gib, night, best, start_at, t, 1, True, start_at + t)
                    )
                    break
                night += 1
            continue
        # Larger than one window: an empty stream on k consecutive nights.
        k = math.ceil(t / window - _EPS)
        last = t - (k - 1) * window
        night = 0
        while True:
            if night + k > MAX_NIGHTS:
                break
            while len(used) < night + k:
                add_night()
            free = [s for s in range(lanes_n) if all(used[night + j][s] == 0 for j in range(k))]
            if free:
                s = free[0]
                for j in range(k - 1):
                    used[night + j][s] = window
                used[night + k - 1][s] = last
                for j in range(k):
                    night_min[night + j] = min(used[night + j])
                placed.append((vm_id, name, gib, night, s, 0.0, t, k, False, last))
                break
            night += 1
        if night + k > MAX_NIGHTS:
            left_out.append((vm_id, name, gib))
            continue
        oversized.append(vm_id)
        warnings.append(
            f"VM '{name}' needs {u.dur_with_minutes(t)} for {u.gib(gib)} at "
            f"{u.mbps(stream_mbps)} per stream, longer than the {u.hours(window_hours)} window: "
            f"scheduled on stream {s + 1} across {k} nights from night {night + 1}"
        )

    slots = []
    for vm_id, name, gib, night, s, start_at, t, k, fits, last_end in placed:
        slot = Slot(
            vm_id=vm_id,
            name=name,
            gib=gib,
            night=night + 1,
            stream=s + 1,
            start_offset_minutes=start_at,
            duration_minutes=t,
            end_offset_minutes=last_end,
            nights_spanned=k,
            fits_window=fits,
            on=start + timedelta(days=night) if start else None,
        )
        slots.append(slot)
    slots.sort(key=lambda s: (s.night, s.stream, s.start_offset_minutes, s.name, s.vm_id))
    nights = len(used)
    end = max((s.end_elapsed_minutes for s in slots), default=0.0)
    total_hours = end / 60.0
    transfer_hours = sum(s.duration_minutes for s in slots) / 60.0
    total_gib = sum(s.gib for s in slots)
    within = total_hours <= goal_hours + _EPS and not left_out
    if left_out:
        left_out.sort(key=lambda it: (it[1], it[0]))
        names = ", ".join(f"'{name}'" for _, name, _ in left_out[:NAMED_UNSCHEDULED])
        more = len(left_out) - NAMED_UNSCHEDULED
        warnings.append(
            f"{u.plural(len(left_out), 'VM')} ({names}{f' and {more} more' if more > 0 else ''}) "
            f"do not fit within {MAX_NIGHTS} nights of {u.hours(window_hours)} at "
            f"{u.mbps(stream_mbps)} per stream: not scheduled"
        )
    if not within and total_hours > goal_hours + _EPS:
        warnings.append(
            f"onboarding takes {u.hours(total_hours)} elapsed over {u.plural(nights, 'night')}, "
            f"longer than the {u.hours(goal_hours)} goal: onboard in batches or raise throughput"
        )
    explanation = (
        f"night capacity = {u.mbps(ingest_mbps)} × {u.hours(window_hours)} × 3,600 s/h ÷ "
        f"{u.num(u.MBIT_PER_GIB, 2)} Mbit/GiB = {u.gib(night_capacity)}",
        f"{u.plural(streams, 'stream')} of {u.mbps(stream_mbps)} each; a stream runs its VMs back "
        "to back inside the window",
        f"{u.plural(len(slots), 'VM')}, {u.gib(total_gib)} in all, largest first: "
        f"{u.plural(nights, 'night')}, {u.hours(total_hours)} elapsed "
        f"({u.hours(transfer_hours)} of transfer)",
    )
    return Schedule(
        slots=tuple(slots),
        nights=nights,
        total_hours=total_hours,
        transfer_hours=transfer_hours,
        total_gib=total_gib,
        night_capacity_gib=night_capacity,
        stream_mbps=stream_mbps,
        goal_hours=float(goal_hours),
        within_goal=within,
        oversized=tuple(sorted(oversized)),
        warnings=tuple(warnings),
        explanation=explanation,
        unscheduled=tuple(sorted(vm_id for vm_id, _, _ in left_out)),
    )
