"""The operators' estate overview: rollups over the stored sizing results (DESIGN §1, operator).

Reads what the sizing services saved (AppResult, VmResult, Finding) and the estate's own rows;
sizes nothing. ``estate_overview()`` costs the same fixed number of queries whatever the size of
the estate (the catalogs, one row per app with its result, a few grouped counts), so the page
renders from stored results in about the same number of queries for 40 apps as for 1,000.

Every figure is traceable: the sets behind the figures are defined once, as query conditions
(``APP_CONDITIONS``, ``app_state()``, ``vm_state()``, ``data_target_q()``); the rollup counts them
and ``filter_apps()`` / ``filter_vms()`` list them, so a figure and its drill-down always agree.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from planner.facts import REPLICATING_SCHEMES
from planner.labels import PROTECTION_STATES
from planner.models import (
    Application,
    BackupTarget,
    Cloud,
    CloudKind,
    Drill,
    Finding,
    Limit,
    PlanRevision,
    PlanState,
    Price,
    Scheme,
    Severity,
    Subscription,
    Tier,
    VirtualMachine,
    VmResult,
    VmSize,
)
from planner.services.hub_capacity import hub_figures
from planner.sizing import ENGINE_VERSION, ash_vm_capacity
from planner.units import fmt_gib, fmt_num, gib_moved

PROTECTED, DECIDED, UNDECIDED = "protected", "decided", "undecided"
STATES = (PROTECTED, DECIDED, UNDECIDED)
STATE_LABELS = PROTECTION_STATES
REVIEW_SOON_DAYS = 30  # "due for review": the yearly review falls within this many days
FORECAST_DAYS = 10 * 365  # growth that exhausts a target later than this is shown as "> 10 years"
MONTHS = 36
_EPS = 1e-9


# --- the sets behind the figures (one definition each, used by the rollup and the drill-down) --


def _decision_recorded(prefix: str = "") -> Q:
    """A recorded decision to go without protection: who decided is optional, when and why not
    (the same test as ``planner.services.facts.app_facts``)."""
    return Q(**{f"{prefix}no_protection_at__isnull": False}) & ~Q(
        **{f"{prefix}no_protection_why": ""}
    )


def app_state() -> Case:
    """protected: a protecting scheme and at least one VM opted in; decided: otherwise, with a
    recorded decision to go without protection; undecided: the rest."""
    opted = VirtualMachine.objects.filter(application=OuterRef("pk"), opted_in=True)
    return Case(
        When(Exists(opted) & ~Q(scheme=Scheme.NONE), then=Value(PROTECTED)),
        When(_decision_recorded(), then=Value(DECIDED)),
        default=Value(UNDECIDED),
        output_field=CharField(),
    )


def vm_protected(prefix: str = "") -> Q:
    """A protected VM: opted in, in an app with a protecting scheme (not "none").

    The one definition of "VMs protected": the dashboard, the overview and the drill-downs count
    with it (``prefix`` reaches the VM through a relation, e.g. "vms__")."""
    return Q(**{f"{prefix}opted_in": True}) & ~Q(**{f"{prefix}application__scheme": Scheme.NONE})


def vm_state() -> Case:
    """protected: opted in, in an app with a protecting scheme; decided: otherwise, with a
    recorded decision to go without protection for the VM itself or for its app; undecided: the
    rest."""
    return Case(
        When(vm_protected(), then=Value(PROTECTED)),
        When(_decision_recorded(), then=Value(DECIDED)),
        When(_decision_recorded("application__"), then=Value(DECIDED)),
        default=Value(UNDECIDED),
        output_field=CharField(),
    )


# Where an app's protection data goes: its backup target (backup-restore) or its recovery cloud
# (replication, HA, FT). Keys "bt-<id>" and "rt-<id>" name them in rollups and drill-downs.
DATA_TARGETS = (
    ("bt", {"scheme": Scheme.BACKUP_RESTORE}, "backup_target_id"),
    ("rt", {"scheme__in": REPLICATING_SCHEMES}, "recovery_target_id"),
)


def data_target() -> Case:
    """The app's data-target key as an annotation ("" when it has none)."""
    return Case(
        *(
            When(
                Q(**scheme, **{f"{fk}__isnull": False}),
                then=Concat(Value(f"{kind}-"), Cast(fk, CharField())),
            )
            for kind, scheme, fk in DATA_TARGETS
        ),
        default=Value(""),
        output_field=CharField(),
    )


def data_target_q(key: str, prefix: str = "") -> Q:
    """The apps (or, with prefix "application__", the VMs) whose data goes to target ``key``."""
    kind, _, pk = key.partition("-")
    for k, scheme, fk in DATA_TARGETS:
        if k == kind and pk.isdigit():
            return Q(**{f"{prefix}{lookup}": v for lookup, v in scheme.items()}) & Q(
                **{f"{prefix}{fk}": int(pk)}
            )
    raise ValueError(f"unknown target {key!r}: use bt-<id> or rt-<id>")


@dataclass(frozen=True)
class Versions:
    """The catalog versions in force now; results recorded with others are flagged."""

    engine: str
    prices: str
    limits: str
    sizes: str = ""

    @classmethod
    def current(cls, on: date | None = None) -> Versions:
        return cls(ENGINE_VERSION, Price.version(on), Limit.version(on), VmSize.version())


def app_conditions(now: datetime, limits: Mapping[str, float], versions: Versions) -> dict:
    """Name -> condition on ``annotated_apps()``: the app sets the overview counts and lists."""
    drill_before = now - timedelta(days=limits.get("drill.max_age_days", 90))
    protecting = ~Q(scheme=Scheme.NONE)
    return {
        "blocking": Q(result__blocking_count__gt=0),
        "unsized": Q(result__isnull=True),
        "outdated": Q(result__isnull=False)
        & (
            ~Q(result__engine_version=versions.engine)
            | ~Q(result__prices_version=versions.prices)
            | ~Q(result__limits_version=versions.limits)
            | ~Q(result__sizes_version=versions.sizes)
        ),
        "edited": Q(result__computed_at__lt=F("changed_at")),
        "no_plan": Q(state=PROTECTED, last_approved_at__isnull=True),
        "drill_never": protecting & Q(last_drill_at__isnull=True),
        "drill_overdue": protecting & Q(last_drill_at__lt=drill_before),
        "paying": Q(result__monthly_cost__gt=0),
        "scheduled": Q(result__onboarding_nights__gt=0),
    }


CONDITION_LABELS = {
    "blocking": "Apps with blocking findings",
    "unsized": "Apps never sized",
    "outdated": "Results computed with an older engine, price or limit catalog",
    "edited": "Apps edited since their last sizing",
    "plan_stale": "Approved plans gone stale (the app changed since)",
    "review_overdue": "Approved plans due for their yearly review",
    "review_soon": f"Approved plans due for review within {REVIEW_SOON_DAYS} days",
    "no_plan": "Protected apps without an approved plan",
    "drill_never": "Protected apps never drilled",
    "drill_overdue": "Protected apps with an overdue drill",
    "paying": "Apps with public-cloud cost",
    "scheduled": "Apps with an onboarding schedule",
}


def annotated_apps(now: datetime, limits: Mapping[str, float], versions: Versions) -> QuerySet:
    """Applications with their protection state, data target, latest approved plan, latest drill
    and one boolean per condition of ``app_conditions()``."""
    last_approved = (
        PlanRevision.objects.filter(application=OuterRef("pk"), state=PlanState.APPROVED)
        .order_by("-number")
        .values("decided_at")[:1]
    )
    last_drill = (
        Drill.objects.filter(application=OuterRef("pk"))
        .order_by("-started_at")
        .values("started_at")
    )[:1]
    qs = Application.objects.annotate(
        state=app_state(),
        data_target=data_target(),
        last_approved_at=Subquery(last_approved),
        last_drill_at=Subquery(last_drill),
    )
    flags = {
        f"is_{name}": ExpressionWrapper(q, output_field=BooleanField())
        for name, q in app_conditions(now, limits, versions).items()
    }
    return qs.annotate(**flags)


PLAN_CONDITIONS = ("plan_stale", "review_overdue", "review_soon")


def plan_flags(app_ids: Iterable[int], now: datetime) -> dict[str, set[int]]:
    """The apps whose approved plan is stale, due for its yearly review, or due within
    ``REVIEW_SOON_DAYS``: from ``planner.services.plans.plan_statuses`` (the workflow decides
    what stale means: the app's inputs no longer hash to the approved snapshot's)."""
    from planner.services.plans import plan_statuses

    soon = now + timedelta(days=REVIEW_SOON_DAYS)
    out: dict[str, set[int]] = {name: set() for name in PLAN_CONDITIONS}
    for app_id, s in plan_statuses(list(app_ids), now=now).items():
        if s["approved"] is None:
            continue
        if s["stale"]:
            out["plan_stale"].add(app_id)
        if s["due_for_review"]:
            out["review_overdue"].add(app_id)
        elif s["review_due"] is not None and s["review_due"] <= soon:
            out["review_soon"].add(app_id)
    return out


# --- drill-down ---------------------------------------------------------------------------------


class BadFilter(ValueError):
    """A drill-down parameter the overview does not know or cannot read."""


def _int(name: str, value: str) -> int:
    if not value.isdigit():
        raise BadFilter(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _named(rows: QuerySet, name: str, value: str, label) -> str:
    """``label`` of the row ``value`` names (one query), or "#<id>" when there is none."""
    row = rows.filter(pk=_int(name, value)).first()
    return label(row) if row is not None else f"#{value}"


def _cloud(name: str, value: str) -> str:
    return _named(Cloud.objects.all(), name, value, lambda c: c.name)


def _sub(name: str, value: str) -> str:
    return _named(
        Subscription.objects.select_related("cloud"),
        name,
        value,
        lambda s: f"{s.name} ({s.cloud.name})",
    )


def _target(value: str) -> str:
    """The name of a data target ("bt-3", "rt-2"), after ``data_target_q`` has checked the key."""
    kind, _, pk = value.partition("-")
    rows = BackupTarget.objects.all() if kind == "bt" else Cloud.objects.all()
    return _named(rows, "data", pk, lambda t: t.name)


def _tier(value: str) -> str:
    return dict(Tier.choices).get(_int("tier", value), f"tier {value}")


def _state(value: str) -> str:
    if value not in STATES:
        raise BadFilter(f"state must be one of {', '.join(STATES)}, got {value!r}")
    return value


def filter_apps(params: Mapping[str, str], *, now: datetime | None = None):
    """The apps behind a figure: ``params`` as the overview writes them in its links.

    Returns (queryset, [description, ...]). Unknown names or unreadable values raise BadFilter.
    """
    now = now or timezone.now()
    limits = Limit.in_force(timezone.localdate(now))
    versions = Versions.current(timezone.localdate(now))
    qs = annotated_apps(now, limits, versions)
    conditions = app_conditions(now, limits, versions)
    said = []
    for name, value in params.items():
        if name == "state":
            qs = qs.filter(state=_state(value))
            said.append(STATE_LABELS[value])
        elif name == "cloud":
            qs = qs.filter(source_cloud_id=_int(name, value))
            said.append(f"source cloud {_cloud(name, value)}")
        elif name == "tier":
            qs = qs.filter(tier=_int(name, value))
            said.append(_tier(value))
        elif name == "sub":
            in_sub = VirtualMachine.objects.filter(
                application=OuterRef("pk"), subscription_id=_int(name, value)
            )
            qs = qs.filter(Exists(in_sub))
            said.append(f"with VMs in subscription {_sub(name, value)}")
        elif name == "billed_sub":
            sized_in_sub = VmResult.objects.filter(
                application=OuterRef("pk"), vm__subscription_id=_int(name, value)
            )
            qs = qs.filter(Exists(sized_in_sub))
            said.append(f"with sized VMs in subscription {_sub(name, value)}")
        elif name == "data":
            try:
                qs = qs.filter(data_target_q(value))
            except ValueError as exc:
                raise BadFilter(str(exc)) from None
            said.append(f"data to {_target(value)}")
        elif name == "standby":
            qs = qs.filter(recovery_target_id=_int(name, value), result__standby_memory_gib__gt=0)
            said.append(f"stand-by VMs on {_cloud(name, value)}")
        elif name == "code":
            blocking = Finding.objects.filter(
                application=OuterRef("pk"), severity=Severity.BLOCKING, code=value
            )
            qs = qs.filter(Exists(blocking))
            said.append(f"blocking finding {value}")
        elif name == "versions":
            engine, _, rest = value.partition("|")
            prices, _, limits_v = rest.partition("|")
            qs = qs.filter(
                result__engine_version=engine,
                result__prices_version=prices,
                result__limits_version=limits_v,
            )
            said.append(f"sized with engine {engine}, prices {prices}, limits {limits_v}")
        elif name == "is":
            if value in PLAN_CONDITIONS:
                approved = qs.filter(last_approved_at__isnull=False).values_list("pk", flat=True)
                qs = qs.filter(pk__in=plan_flags(approved, now)[value])
            elif value in conditions:
                qs = qs.filter(conditions[value])
            else:
                names = ", ".join([*conditions, *PLAN_CONDITIONS])
                raise BadFilter(f"is must be one of {names}, got {value!r}")
            said.append(CONDITION_LABELS[value])
        else:
            raise BadFilter(f"unknown filter {name!r}")
    return qs, said


def filter_vms(params: Mapping[str, str]):
    """The VMs behind a figure (see ``filter_apps``)."""
    qs = VirtualMachine.objects.annotate(state=vm_state())
    said = []
    for name, value in params.items():
        if name == "state":
            qs = qs.filter(state=_state(value))
            said.append(STATE_LABELS[value])
        elif name == "cloud":
            qs = qs.filter(subscription__cloud_id=_int(name, value))
            said.append(f"in cloud {_cloud(name, value)}")
        elif name == "sub":
            qs = qs.filter(subscription_id=_int(name, value))
            said.append(f"in subscription {_sub(name, value)}")
        elif name == "tier":
            qs = qs.filter(application__tier=_int(name, value))
            said.append(_tier(value))
        elif name == "data":
            try:
                qs = qs.filter(data_target_q(value, "application__"))
            except ValueError as exc:
                raise BadFilter(str(exc)) from None
            said.append(f"data to {_target(value)}")
        elif name == "standby":
            qs = qs.filter(
                application__recovery_target_id=_int(name, value),
                application__result__standby_memory_gib__gt=0,
                result__isnull=False,
            )
            said.append(f"stand-by VMs on {_cloud(name, value)}")
        elif name == "night":
            night = _int(name, value)
            _, _, calendar = onboarding_calendar()
            qs = qs.filter(onboarding_night_q(calendar, night))
            said.append(f"initial transfer starts on night {value} of the estate calendar")
        elif name == "app":
            qs = qs.filter(application_id=_int(name, value))
            said.append(f"app #{value}")
        elif name == "sized":
            qs = qs.filter(result__isnull=(value != "1"))
            said.append("sized (opted in at the last sizing)" if value == "1" else "not sized")
        else:
            raise BadFilter(f"unknown filter {name!r}")
    return qs, said


def onboarding_night_q(calendar: Iterable[AppOnboarding], night: int) -> Q:
    """The VMs whose initial transfer starts on ``night`` of the estate calendar: night n of an
    app's own schedule falls on estate night start + n − 1."""
    q = Q(pk__in=[])
    for c in calendar:
        if c.start_night <= night < c.start_night + c.nights:
            q |= Q(application_id=c.app_id, result__onboarding_night=night - c.start_night + 1)
    return q


def target_names() -> dict[str, str]:
    """Data-target key -> name, for lists of apps (two queries)."""
    names = {f"bt-{pk}": name for pk, name in BackupTarget.objects.values_list("id", "name")}
    names.update({f"rt-{pk}": name for pk, name in Cloud.objects.values_list("id", "name")})
    return names


def onboarding_calendar(*, now: datetime | None = None):
    """Only the onboarding part of ``estate_overview()`` (three queries), for its drill-downs."""
    today = timezone.localdate(now or timezone.now())
    apps = list(
        Application.objects.annotate(data_target=data_target())
        .filter(result__onboarding_nights__gt=0)
        .values("id", "name", "tier", "data_target", *_SCHEDULE_FIELDS)
        .order_by("id")
    )
    targets = {t.id: t for t in BackupTarget.objects.all()}
    clouds = {c.id: c for c in Cloud.objects.all()}
    return _onboarding(apps, targets, clouds, today)


# --- the rollup ---------------------------------------------------------------------------------


@dataclass
class Counts:
    """How many are protected, unprotected with a recorded decision, unprotected with none."""

    protected: int = 0
    decided: int = 0
    undecided: int = 0

    def add(self, state: str, n: int = 1) -> None:
        setattr(self, state, getattr(self, state) + n)

    @property
    def total(self) -> int:
        return self.protected + self.decided + self.undecided

    @property
    def protected_pct(self) -> float | None:
        return 100.0 * self.protected / self.total if self.total else None

    def get(self, state: str) -> int:
        return getattr(self, state)


@dataclass
class ProtectionRow:
    """One cloud, subscription or tier: VMs and apps by protection state."""

    dimension: str  # "cloud", "sub" or "tier"
    key: int
    name: str
    vms: Counts = field(default_factory=Counts)
    apps: Counts | None = None  # by state (clouds, tiers); subscriptions count apps only
    app_count: int = 0

    @property
    def params(self) -> dict[str, str]:
        return {self.dimension: str(self.key)}


@dataclass(frozen=True)
class Exhaustion:
    """When growth makes ``needed`` exceed ``available``: needed(t) = needed × (1 + g)^(t/365)."""

    on: date | None  # None: never within the forecast (or nothing needed)
    days: float | None
    already: bool
    explanation: str

    @property
    def label(self) -> str:
        if self.already:
            return "exhausted now"
        if self.on is None:
            return "not within 10 years" if self.days is not None else "no growth"
        return self.on.isoformat()


def exhaustion(needed: float, available: float, growth: float, today: date) -> Exhaustion:
    """Solve needed × (1 + g)^(t/365) = available for t (days from today)."""
    if needed > available + _EPS:
        return Exhaustion(
            today,
            0.0,
            True,
            f"{fmt_gib(needed)} needed > {fmt_gib(available)} available: short now",
        )
    if needed <= _EPS or growth <= 0:
        why = "nothing needed" if needed <= _EPS else "no growth recorded on the VMs"
        return Exhaustion(None, None, False, f"{why}: not exhausted by growth")
    days = 365.0 * math.log(available / needed) / math.log1p(growth)
    text = (
        f"{fmt_gib(needed)} × (1 + {fmt_num(growth, 3)})^(t ÷ 365) = {fmt_gib(available)} → "
        f"t = 365 × ln({fmt_num(available / needed, 3)}) ÷ ln({fmt_num(1 + growth, 3)}) = "
        f"{fmt_num(days, 0)} days"
    )
    if days > FORECAST_DAYS:
        return Exhaustion(None, days, False, text + " (beyond 10 years)")
    on = today + timedelta(days=math.floor(days))
    return Exhaustion(on, days, False, f"{text} → {on.isoformat()}")


@dataclass
class TargetCapacity:
    """A backup target: storage and nightly ingest needed by the plans against what it has."""

    id: int
    name: str
    kind: str
    kind_label: str
    apps: int
    vms: int
    needed_gib: float
    capacity_gib: float
    used_gib: float  # by data outside the planner
    ingest_needed_gib: float  # a night's backup runs: the daily change of the protected data
    ingest_mbps: float
    window_hours: float
    streams: int
    storage_growth: float
    ingest_growth: float
    storage_exhaustion: Exhaustion
    ingest_exhaustion: Exhaustion

    @property
    def key(self) -> str:
        return f"bt-{self.id}"

    @property
    def free_gib(self) -> float:
        return self.capacity_gib - self.used_gib

    @property
    def headroom_gib(self) -> float:
        return self.free_gib - self.needed_gib

    @property
    def storage_pct(self) -> float | None:
        return 100.0 * self.needed_gib / self.free_gib if self.free_gib > 0 else None

    @property
    def night_capacity_gib(self) -> float:
        return gib_moved(self.ingest_mbps, self.window_hours)

    @property
    def ingest_headroom_gib(self) -> float:
        return self.night_capacity_gib - self.ingest_needed_gib

    @property
    def ingest_pct(self) -> float | None:
        cap = self.night_capacity_gib
        return 100.0 * self.ingest_needed_gib / cap if cap > 0 else None

    @property
    def exhaustion(self) -> Exhaustion:
        """The earlier of storage and ingest."""
        a, b = self.storage_exhaustion, self.ingest_exhaustion
        if a.already or b.already:
            return a if a.already else b
        if a.on and b.on:
            return a if a.on <= b.on else b
        return a if a.on else b if b.on else a

    @property
    def deficit(self) -> bool:
        return self.headroom_gib < -_EPS or self.ingest_headroom_gib < -_EPS


@dataclass
class CloudCapacity:
    """A recovery cloud: stand-by memory (the ASH formula) and VM count against its limits."""

    id: int
    name: str
    kind: str
    kind_label: str
    apps: int  # apps whose stand-by VMs it hosts
    standby_vms: int
    standby_memory_gib: float
    standby_vcpu: float
    replica_apps: int
    replica_gib: float
    bandwidth_mbps: float
    running_vms: int
    memory_available_gib: float | None  # None: not an ASH stamp (no limit modelled)
    memory_explanation: tuple[str, ...]
    vm_limit: int | None
    vm_limit_explanation: str

    @property
    def is_hub(self) -> bool:
        return self.memory_available_gib is not None

    @property
    def memory_headroom_gib(self) -> float | None:
        if self.memory_available_gib is None:
            return None
        return self.memory_available_gib - self.standby_memory_gib

    @property
    def memory_pct(self) -> float | None:
        if not self.memory_available_gib or self.memory_available_gib <= 0:
            return None
        return 100.0 * self.standby_memory_gib / self.memory_available_gib

    @property
    def vms_needed(self) -> int:
        return self.running_vms + self.standby_vms

    @property
    def vm_headroom(self) -> int | None:
        return None if self.vm_limit is None else self.vm_limit - self.vms_needed

    @property
    def deficit(self) -> bool:
        mem = self.memory_headroom_gib
        return (mem is not None and mem < -_EPS) or (
            self.vm_headroom is not None and self.vm_headroom < 0
        )


@dataclass
class CostRow:
    """Public-cloud cost month by month (months 1..36, with growth) of a target or subscription."""

    dimension: str  # "data" (a target) or "sub"
    key: str
    name: str
    kind_label: str
    apps: int = 0
    months: list[float] = field(default_factory=lambda: [0.0] * MONTHS)
    prices_versions: Counter = field(default_factory=Counter)  # version -> paying apps

    def add(self, months: Iterable[float], share: float = 1.0) -> None:
        for i, v in enumerate(months):
            if i < MONTHS:
                self.months[i] += v * share

    def total(self, n: int) -> float:
        return sum(self.months[:n])

    @property
    def params(self) -> dict[str, str]:
        """The drill-down of its paying apps: for a subscription, those with VMs sized in it."""
        dimension = "billed_sub" if self.dimension == "sub" else self.dimension
        return {dimension: self.key, "is": "paying"}


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
        return math.ceil(self.gib / cap - _EPS) if self.gib > 0 else 0


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


@dataclass
class VersionRow:
    engine: str
    prices: str
    limits: str
    apps: int
    current: bool

    @property
    def param(self) -> str:
        return f"{self.engine}|{self.prices}|{self.limits}"


@dataclass
class FindingRow:
    code: str
    apps: int
    findings: int


@dataclass
class EstateOverview:
    now: datetime
    today: date
    versions: Versions
    limits: dict[str, float]
    vms: Counts
    apps: Counts
    by_cloud: list[ProtectionRow]
    by_subscription: list[ProtectionRow]
    by_tier: list[ProtectionRow]
    attention: dict[str, int]
    blocking_by_code: list[FindingRow]
    version_rows: list[VersionRow]
    targets: list[TargetCapacity]
    clouds: list[CloudCapacity]
    cost_by_target: list[CostRow]
    cost_by_subscription: list[CostRow]
    cost_total: list[float]
    cost_prices_versions: dict[str, int]  # prices version -> apps with cost sized with it
    onboarding: list[OnboardingTarget]
    nights: list[NightRow]
    calendar: list[AppOnboarding]
    sized_apps: int

    def cost(self, n: int) -> float:
        return sum(self.cost_total[:n])


_SCHEDULE_FIELDS = ("result__onboarding_nights", "result__detail__schedule__slots")
# The columns of one app read by the rollup (one query for the whole estate).
_APP_FIELDS = (
    "id",
    "name",
    "tier",
    "scheme",
    "source_cloud_id",
    "backup_target_id",
    "recovery_target_id",
    "state",
    "data_target",
    "last_approved_at",
    "result__id",
    "result__prices_version",
    "result__engine_version",
    "result__limits_version",
    "result__protected_vm_count",
    "result__backup_gib",
    "result__replica_gib",
    "result__churn_gib_day",
    "result__bandwidth_mbps",
    "result__standby_memory_gib",
    "result__standby_vcpu",
    "result__monthly_cost",
    "result__detail__cost_by_month",
    *_SCHEDULE_FIELDS,
)


def estate_overview(*, now: datetime | None = None) -> EstateOverview:
    """The whole estate at a glance, from stored results (a fixed number of queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    limits = Limit.in_force(today)
    versions = Versions.current(today)
    conditions = app_conditions(now, limits, versions)
    flags = [f"is_{name}" for name in conditions]
    apps = list(annotated_apps(now, limits, versions).values(*_APP_FIELDS, *flags).order_by("id"))
    clouds = {c.id: c for c in Cloud.objects.select_related("site")}
    subs = {s.id: s for s in Subscription.objects.all()}
    targets = {t.id: t for t in BackupTarget.objects.all()}

    # Protection: VMs by subscription (hence cloud) and tier; apps by source cloud and tier.
    vm_rows = (
        VirtualMachine.objects.annotate(state=vm_state())
        .values_list("subscription_id", "application__tier", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    all_vms, all_apps = Counts(), Counts()
    by_cloud = {c: ProtectionRow("cloud", c, clouds[c].name, apps=Counts()) for c in clouds}
    by_sub = {s: ProtectionRow("sub", s, _sub_name(subs[s], clouds)) for s in subs}
    by_tier = {t: ProtectionRow("tier", t, label, apps=Counts()) for t, label in Tier.choices}
    for sub_id, tier, state, n in vm_rows:
        all_vms.add(state, n)
        by_sub[sub_id].vms.add(state, n)
        by_cloud[subs[sub_id].cloud_id].vms.add(state, n)
        by_tier[tier].vms.add(state, n)
    for a in apps:
        all_apps.add(a["state"])
        by_cloud[a["source_cloud_id"]].apps.add(a["state"])
        by_tier[a["tier"]].apps.add(a["state"])
    for sub_id, n in (
        VirtualMachine.objects.values_list("subscription_id")
        .annotate(n=Count("application_id", distinct=True))
        .order_by()
    ):
        by_sub[sub_id].app_count = n
    for row in by_cloud.values():
        row.app_count = row.apps.total
    for row in by_tier.values():
        row.app_count = row.apps.total

    attention = {name: sum(1 for a in apps if a[f"is_{name}"]) for name in conditions}
    approved = [a["id"] for a in apps if a["last_approved_at"] is not None]
    attention |= {name: len(ids) for name, ids in plan_flags(approved, now).items()}
    blocking_by_code = [
        FindingRow(code, n_apps, n)
        for code, n_apps, n in Finding.objects.filter(severity=Severity.BLOCKING)
        .values_list("code")
        .annotate(apps=Count("application_id", distinct=True), n=Count("id"))
        .order_by("-apps", "code")
    ]
    version_count = Counter(
        (a["result__engine_version"], a["result__prices_version"], a["result__limits_version"])
        for a in apps
        if a["result__id"] is not None
    )
    version_rows = [
        VersionRow(e, p, lv, n, (e, p, lv) == (versions.engine, versions.prices, versions.limits))
        for (e, p, lv), n in sorted(version_count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    # Per-VM figures grouped by app and subscription: growth weights and the cost split.
    vm_figures = list(
        VmResult.objects.values_list("application_id", "vm__subscription_id")
        .annotate(
            cost=Sum("monthly_cost"),
            n=Count("id"),
            backup=Sum("backup_gib"),
            backup_g=Sum(F("backup_gib") * F("vm__growth_per_year"), output_field=FloatField()),
            churn=Sum("churn_gib_day"),
            churn_g=Sum(F("churn_gib_day") * F("vm__growth_per_year"), output_field=FloatField()),
        )
        .order_by()
    )

    targets_out = _target_capacity(apps, targets, vm_figures, today)
    clouds_out = _cloud_capacity(apps, clouds, limits)
    cost_by_target, cost_by_sub, cost_total, price_versions = _costs(
        apps, targets, clouds, subs, vm_figures
    )
    onboarding, nights, calendar = _onboarding(apps, targets, clouds, today)

    return EstateOverview(
        now=now,
        today=today,
        versions=versions,
        limits=limits,
        vms=all_vms,
        apps=all_apps,
        by_cloud=[r for r in by_cloud.values() if r.vms.total or r.apps.total],
        by_subscription=[r for r in by_sub.values() if r.vms.total],
        by_tier=list(by_tier.values()),
        attention=attention,
        blocking_by_code=blocking_by_code,
        version_rows=version_rows,
        targets=targets_out,
        clouds=clouds_out,
        cost_by_target=cost_by_target,
        cost_by_subscription=cost_by_sub,
        cost_total=cost_total,
        cost_prices_versions=price_versions,
        onboarding=onboarding,
        nights=nights,
        calendar=calendar,
        sized_apps=sum(version_count.values()),
    )


def _sub_name(sub: Subscription, clouds: Mapping[int, Cloud]) -> str:
    return f"{sub.name} ({clouds[sub.cloud_id].name})"


def _weighted(pairs: Iterable[tuple[float, float]]) -> float:
    """Σ w·g ÷ Σ w over (Σ w·g, Σ w) pairs; 0 when nothing weighs."""
    num = den = 0.0
    for wg, w in pairs:
        num += wg or 0.0
        den += w or 0.0
    return num / den if den > 0 else 0.0


def _target_capacity(apps, targets, vm_figures, today) -> list[TargetCapacity]:
    """Needs of the apps backing up to each target (unsized apps count as apps, add nothing)."""
    by_key = defaultdict(list)
    for a in apps:
        if a["data_target"].startswith("bt-"):
            by_key[a["data_target"]].append(a)
    app_target = {a["id"]: a["data_target"] for a in apps}
    storage_w, ingest_w = defaultdict(list), defaultdict(list)
    sized_vms = Counter()
    for app_id, _sub, _cost, n, backup, backup_g, churn, churn_g in vm_figures:
        key = app_target.get(app_id, "")
        if key.startswith("bt-"):
            storage_w[key].append((backup_g, backup))
            ingest_w[key].append((churn_g, churn))
            sized_vms[key] += n
    out = []
    for t in targets.values():
        key = f"bt-{t.id}"
        rows = by_key.get(key, [])
        needed = sum(a["result__backup_gib"] or 0.0 for a in rows)
        churn = sum(a["result__churn_gib_day"] or 0.0 for a in rows)
        g_storage = _weighted(storage_w[key])
        g_ingest = _weighted(ingest_w[key])
        night = gib_moved(t.ingest_mbps, t.window_hours)
        out.append(
            TargetCapacity(
                id=t.id,
                name=t.name,
                kind=t.kind,
                kind_label=t.get_kind_display(),
                apps=len(rows),
                vms=sized_vms[key],
                needed_gib=needed,
                capacity_gib=t.capacity_gib,
                used_gib=t.used_gib,
                ingest_needed_gib=churn,
                ingest_mbps=t.ingest_mbps,
                window_hours=t.window_hours,
                streams=t.streams,
                storage_growth=g_storage,
                ingest_growth=g_ingest,
                storage_exhaustion=exhaustion(
                    needed, t.capacity_gib - t.used_gib, g_storage, today
                ),
                ingest_exhaustion=exhaustion(churn, night, g_ingest, today),
            )
        )
    out.sort(key=lambda c: (not c.deficit, -(c.storage_pct or 0), c.name))
    return out


def _cloud_capacity(apps, clouds, limits) -> list[CloudCapacity]:
    standby = defaultdict(list)
    replicas = defaultdict(list)
    for a in apps:
        if a["recovery_target_id"] is None:
            continue
        if (a["result__standby_memory_gib"] or 0) > 0:
            standby[a["recovery_target_id"]].append(a)
        if a["data_target"].startswith("rt-"):
            replicas[a["recovery_target_id"]].append(a)
    per_node = int(limits.get("ash.max_vms_per_node", 60))
    per_stamp = int(limits.get("ash.max_vms_per_stamp", 700))
    hubs = hub_figures(list(clouds), limits)
    out = []
    for c in clouds.values():
        hub = c.kind == CloudKind.AZURE_STACK_HUB and c.nodes > 0
        if not hub and not standby[c.id] and not replicas[c.id]:
            continue
        available, lines, vm_limit, vm_text = None, (), None, "no VM-count limit modelled"
        running_vms = c.running_vm_count
        if hub:
            figures = hubs[c.id]
            available, lines = figures.available_gib, figures.explanation
            running_vms = figures.running.vm_count
            cap = ash_vm_capacity(c.nodes, per_node=per_node, per_stamp=per_stamp)
            vm_limit, vm_text = int(cap.value), cap.explanation[0]
        rows = standby[c.id]
        out.append(
            CloudCapacity(
                id=c.id,
                name=c.name,
                kind=c.kind,
                kind_label=c.get_kind_display(),
                apps=len(rows),
                standby_vms=sum(a["result__protected_vm_count"] or 0 for a in rows),
                standby_memory_gib=sum(a["result__standby_memory_gib"] or 0.0 for a in rows),
                standby_vcpu=sum(a["result__standby_vcpu"] or 0.0 for a in rows),
                replica_apps=len(replicas[c.id]),
                replica_gib=sum(a["result__replica_gib"] or 0.0 for a in replicas[c.id]),
                bandwidth_mbps=sum(a["result__bandwidth_mbps"] or 0.0 for a in replicas[c.id]),
                running_vms=running_vms,
                memory_available_gib=available,
                memory_explanation=tuple(lines),
                vm_limit=vm_limit,
                vm_limit_explanation=vm_text,
            )
        )
    out.sort(key=lambda c: (not c.deficit, not c.is_hub, c.name))
    return out


def _target_name(key: str, targets, clouds) -> tuple[str, str]:
    kind, _, pk = key.partition("-")
    if kind == "bt":
        t = targets[int(pk)]
        return t.name, f"backup target · {t.get_kind_display()}"
    c = clouds[int(pk)]
    return c.name, f"recovery cloud · {c.get_kind_display()}"


def _costs(apps, targets, clouds, subs, vm_figures):
    """Cost by target, by subscription (each app's cost split by its VMs' share of its steady
    monthly cost, or by VM count when that is zero) and in all."""
    by_target: dict[str, CostRow] = {}
    by_sub: dict[int, CostRow] = {}
    total = [0.0] * MONTHS
    versions: Counter = Counter()
    shares = defaultdict(list)
    for app_id, sub_id, cost, n, *_ in vm_figures:
        shares[app_id].append((sub_id, cost or 0.0, n))
    for a in apps:
        months = a["result__detail__cost_by_month"] or []
        paying = (a["result__monthly_cost"] or 0) > 0
        if not paying and not any(months):
            continue
        for i, v in enumerate(months[:MONTHS]):
            total[i] += v
        if paying:
            versions[a["result__prices_version"]] += 1
        key = a["data_target"]
        if key:
            if key not in by_target:
                name, label = _target_name(key, targets, clouds)
                by_target[key] = CostRow("data", key, name, label)
            by_target[key].add(months)
            by_target[key].apps += paying
            if paying:
                by_target[key].prices_versions[a["result__prices_version"]] += 1
        parts = shares.get(a["id"], [])
        weight = sum(c for _, c, _ in parts)
        count = sum(n for _, _, n in parts)
        for sub_id, c, n in parts:
            share = c / weight if weight > 0 else (n / count if count else 0.0)
            if sub_id not in by_sub:
                by_sub[sub_id] = CostRow("sub", str(sub_id), _sub_name(subs[sub_id], clouds), "")
            by_sub[sub_id].add(months, share)
            by_sub[sub_id].apps += paying
            if paying:
                by_sub[sub_id].prices_versions[a["result__prices_version"]] += 1
    rows_t = sorted(by_target.values(), key=lambda r: (-r.total(MONTHS), r.name))
    rows_s = sorted(by_sub.values(), key=lambda r: (-r.total(MONTHS), r.name))
    return rows_t, rows_s, total, dict(versions)


def _onboarding(apps, targets, clouds, today):
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
            name, _ = _target_name(key, targets, clouds)
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
            if cap is not None and g > cap + _EPS and night not in o.over_nights:
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
            used.get(start + n - 1, 0.0) + g <= cap + _EPS
            or (g > cap and used.get(start + n - 1, 0.0) == 0)
            for n, g in loads.items()
        ):
            return start
        start += 1
