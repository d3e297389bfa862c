"""The estate's onboarding calendar: the apps' stored schedules placed night by night on each
target (DESIGN §5)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from planner.models import Application, BackupTarget, Cloud
from planner.services.estate.capacity import EPS
from planner.services.estate.queries import data_target, target_label
from planner.units import gib_moved


@dataclass
class OnboardingTarget:
    """The estate's onboarding through one target: the apps' staggered schedules, placed night by
    night so that, together, they never need more than the target ingests in a night."""

    key: str
    name: str
    kind_label: str
    night_capacity_gib: float | None  # backup targets: ingest × window; seeding: per-app links
    apps: int = 0
    vms: int = 0
    gib: float = 0.0
    longest_app_nights: int = 0
    together_peak_gib: float = 0.0  # the busiest night if every app started on night 1
    gib_by_night: dict[int, float] = field(default_factory=dict)  # estate calendar
    vms_by_night: dict[int, int] = field(default_factory=dict)
    over_nights: list[int] = field(default_factory=list)  # one app alone needs more

    @property
    def nights(self) -> int:
        return max(self.gib_by_night, default=0)

    @property
    def peak_gib(self) -> float:
        return max(self.gib_by_night.values(), default=0.0)

    @property
    def min_nights(self) -> int | None:
        """Nights the estate needs at least through this target: total ÷ a night's capacity."""
        cap = self.night_capacity_gib
        if not cap or cap <= 0:
            return None
        return math.ceil(self.gib / cap - EPS) if self.gib > 0 else 0


@dataclass(frozen=True)
class AppOnboarding:
    """One app in the estate calendar: its own schedule, started on ``start_night``."""

    app_id: int
    name: str
    target: str
    start_night: int  # estate night of the app's night 1
    nights: int
    vms: int
    gib: float
    slots: tuple = field(default=(), repr=False, compare=False)  # the stored schedule's slots


@dataclass
class NightRow:
    night: int
    on: date
    vms: int  # VMs whose initial transfer starts that night
    gib: float  # GiB moved that night
    apps: list[int]  # apps with a transfer that night


SCHEDULE_FIELDS = ("result__onboarding_nights", "result__detail__schedule__slots")


def onboarding_calendar(*, now: datetime | None = None):
    """Only the onboarding part of ``estate_overview()`` (three queries), for its drill-downs."""
    today = timezone.localdate(now or timezone.now())
    apps = list(
        Application.objects.annotate(data_target=data_target())
        .filter(result__onboarding_nights__gt=0)
        .values("id", "name", "tier", "data_target", *SCHEDULE_FIELDS)
        .order_by("id")
    )
    targets = {t.id: t for t in BackupTarget.objects.all()}
    clouds = {c.id: c for c in Cloud.objects.all()}
    return place_onboarding(apps, targets, clouds, today)


def onboarding_night_q(calendar: Iterable[AppOnboarding], night: int) -> Q:
    """The VMs whose initial transfer starts on ``night`` of the estate calendar: night n of an
    app's own schedule falls on estate night start + n − 1."""
    q = Q(pk__in=[])
    for c in calendar:
        if c.start_night <= night < c.start_night + c.nights:
            q |= Q(application_id=c.app_id, result__onboarding_night=night - c.start_night + 1)
    return q


def place_onboarding(apps, targets, clouds, today):
    """The estate's onboarding calendar, from the apps' stored schedules (DESIGN §5).

    Each app's schedule was staggered on its own: started together, apps sharing a backup
    target would need more than it ingests on the first nights. So the calendar places whole
    app schedules, most critical tier first (then by name): each app starts on the first night
    from which, night by night, its load fits in what the target has left. An app keeps its own
    schedule; only its start night moves. Replication seeding runs over each app's own link, so
    those apps all start on night 1.
    """
    per_app = []  # (tier, name, app_id, key, loads {night: GiB}, starts {night: VMs}, slots)
    out: dict[str, OnboardingTarget] = {}
    for a in apps:
        slots = a["result__detail__schedule__slots"] or []
        key = a["data_target"]
        if not slots or not key:
            continue
        if key not in out:
            name, _ = target_label(key, targets, clouds)
            cap, label = None, "replication seeding (each app's own link)"
            if key.startswith("bt-"):
                t = targets[int(key[3:])]
                cap = gib_moved(t.ingest_mbps, t.window_hours)
                label = "backup target (initial fulls)"
            out[key] = OnboardingTarget(key, name, label, cap)
        loads, starts = _app_loads(slots)
        o = out[key]
        o.apps += 1
        o.vms += len(slots)
        o.gib += sum(float(s["gib"]) for s in slots)
        o.longest_app_nights = max(o.longest_app_nights, max(loads, default=0))
        per_app.append((a["tier"], a["name"], a["id"], key, loads, starts, tuple(slots)))
    per_app.sort(key=lambda p: p[:3])
    together: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    calendar = []
    for _tier, name, app_id, key, loads, starts, slots in per_app:
        o = out[key]
        for n, g in loads.items():
            together[key][n] += g
        start = _place(o, loads)
        for n, g in loads.items():
            night = start + n - 1
            o.gib_by_night[night] = o.gib_by_night.get(night, 0.0) + g
            cap = o.night_capacity_gib
            if cap is not None and g > cap + EPS and night not in o.over_nights:
                o.over_nights.append(night)
        for n, v in starts.items():
            night = start + n - 1
            o.vms_by_night[night] = o.vms_by_night.get(night, 0) + v
        calendar.append(
            AppOnboarding(
                app_id,
                name,
                key,
                start,
                max(loads, default=0),
                sum(starts.values()),
                sum(loads.values()),
                slots,
            )
        )
    for key, o in out.items():
        o.together_peak_gib = max(together[key].values(), default=0.0)
        o.over_nights.sort()
    rows = sorted(out.values(), key=lambda o: (-o.gib, o.name))
    last_night = max((o.nights for o in rows), default=0)
    active = defaultdict(list)
    for c in calendar:
        for n in range(c.start_night, c.start_night + c.nights):
            active[n].append(c.app_id)
    nights = [
        NightRow(
            night=n,
            on=today + timedelta(days=n - 1),
            vms=sum(o.vms_by_night.get(n, 0) for o in rows),
            gib=sum(o.gib_by_night.get(n, 0.0) for o in rows),
            apps=active.get(n, []),
        )
        for n in range(1, last_night + 1)
    ]
    calendar.sort(key=lambda c: (c.start_night, c.target, c.name))
    return rows, nights, calendar


def _app_loads(slots) -> tuple[dict[int, float], dict[int, int]]:
    """GiB moved and VMs started on each night of one app's schedule (1-based, its own nights).

    A VM longer than a window moves a window's worth on each full night and the rest on its
    last one (``planner.rules.stagger``: the transfer pauses and resumes with the window)."""
    loads: dict[int, float] = defaultdict(float)
    starts: dict[int, int] = defaultdict(int)
    for s in slots:
        night, gib = int(s["night"]), float(s["gib"])
        span = int(s.get("nights_spanned") or 1)
        duration = float(s.get("duration_minutes") or 0)
        starts[night] += 1
        if span <= 1 or duration <= 0:
            loads[night] += gib
            continue
        last = float(s.get("end_offset_minutes") or 0)
        full = (duration - last) / (span - 1)
        for j in range(span - 1):
            loads[night + j] += gib * full / duration
        loads[night + span - 1] += gib * last / duration
    return dict(loads), dict(starts)


def _place(o: OnboardingTarget, loads: Mapping[int, float]) -> int:
    """The first estate night from which ``loads`` fits, night by night, in what ``o`` has left.

    A night an app alone overfills (the target shrank since the sizing) needs an empty night."""
    cap = o.night_capacity_gib
    if cap is None or not loads:
        return 1
    used = o.gib_by_night
    start = 1
    while True:
        if all(
            used.get(start + n - 1, 0.0) + g <= cap + EPS
            or (g > cap and used.get(start + n - 1, 0.0) == 0)
            for n, g in loads.items()
        ):
            return start
        start += 1
