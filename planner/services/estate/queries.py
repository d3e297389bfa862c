"""The sets behind the estate overview's figures, one definition each (DESIGN §1, operator).

Query conditions and annotations (``app_state()``, ``vm_state()``, ``vm_protected()``,
``data_target()``, ``app_conditions()``) that the rollups count and the drill-downs list, so a
figure and its drill-down always agree; and the names of the data targets they group by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from planner.facts import REPLICATING_SCHEMES
from planner.labels import PROTECTION_STATES
from planner.models import (
    Application,
    BackupTarget,
    Cloud,
    Drill,
    Limit,
    PlanRevision,
    PlanState,
    Price,
    Scheme,
    Subscription,
    VirtualMachine,
    VmSize,
)
from planner.sizing import ENGINE_VERSION

PROTECTED, DECIDED, UNDECIDED = "protected", "decided", "undecided"


STATES = (PROTECTED, DECIDED, UNDECIDED)


STATE_LABELS = PROTECTION_STATES


REVIEW_SOON_DAYS = 30  # "due for review": the yearly review falls within this many days


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


def target_names() -> dict[str, str]:
    """Data-target key -> name, for lists of apps (two queries)."""
    names = {f"bt-{pk}": name for pk, name in BackupTarget.objects.values_list("id", "name")}
    names.update({f"rt-{pk}": name for pk, name in Cloud.objects.values_list("id", "name")})
    return names


def target_label(key: str, targets, clouds) -> tuple[str, str]:
    kind, _, pk = key.partition("-")
    if kind == "bt":
        t = targets[int(pk)]
        return t.name, f"backup target · {t.get_kind_display()}"
    c = clouds[int(pk)]
    return c.name, f"recovery cloud · {c.get_kind_display()}"


def sub_name(sub: Subscription, clouds: Mapping[int, Cloud]) -> str:
    return f"{sub.name} ({clouds[sub.cloud_id].name})"


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
