"""The overview's drill-downs: the query string of a figure's link read into the apps or VMs
behind it. Unknown names or unreadable values raise ``BadFilter`` (the views answer 400)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from planner.models import (
    BackupTarget,
    Cloud,
    Finding,
    Limit,
    Severity,
    Subscription,
    Tier,
    VirtualMachine,
    VmResult,
)
from planner.services.estate.onboarding import onboarding_calendar, onboarding_night_q
from planner.services.estate.queries import (
    CONDITION_LABELS,
    PLAN_CONDITIONS,
    STATE_LABELS,
    STATES,
    Versions,
    annotated_apps,
    app_conditions,
    data_target_q,
    plan_flags,
    vm_state,
)


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
