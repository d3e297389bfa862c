"""One FilterSet per listed model, shared by the list pages, their CSV exports and the REST API.

Each filter reads one column or one join that the list's queryset already makes (select_related),
so filtering adds WHERE clauses, never queries. Text filters take at most
``planner.bounds.SEARCH_MAX_LENGTH`` characters (``BoundedCharFilter``): a longer one is a form
error naming the parameter (a 400 in the API, a message on the page), never a LIKE pattern
SQLite gives up on.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from planner.bounds import SEARCH_MAX_LENGTH
from planner.models import (
    Application,
    BackupTarget,
    Cloud,
    OsType,
    Role,
    Scheme,
    SizingRun,
    Tier,
    VirtualMachine,
)
from planner.models.runs import RunStatus

COMPLIANCE_CHOICES = (
    ("compliant", "Compliant (no blocking finding)"),
    ("blocking", "Has blocking findings"),
    ("unsized", "Not sized yet"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))


def _compliance(queryset, prefix: str, value: str):
    if value == "compliant":
        return queryset.filter(**{f"{prefix}result__compliant": True})
    if value == "blocking":
        return queryset.filter(**{f"{prefix}result__compliant": False})
    if value == "unsized":
        return queryset.filter(**{f"{prefix}result__isnull": True})
    return queryset


class BoundedCharFilter(django_filters.CharFilter):
    """A text filter of at most ``SEARCH_MAX_LENGTH`` characters."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault(
            "error_messages",
            {
                "max_length": "Search for at most %(limit_value)d characters (this one has "
                "%(show_value)d): a name or a part of one."
            },
        )
        super().__init__(*args, **kwargs)


class _Base(django_filters.FilterSet):
    q = BoundedCharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Name, description…", "type": "search"}),
    )


class ApplicationFilterSet(_Base):
    tier = django_filters.ChoiceFilter(choices=Tier.choices, empty_label="Any tier")
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices, empty_label="Any scheme")
    recovery_target = django_filters.ModelChoiceFilter(
        queryset=Cloud.objects.all(), label="Recovery target", empty_label="Any target"
    )
    backup_target = django_filters.ModelChoiceFilter(
        queryset=BackupTarget.objects.all(), empty_label="Any backup target"
    )
    compliance = django_filters.ChoiceFilter(
        choices=COMPLIANCE_CHOICES,
        method="filter_compliance",
        label="Compliance",
        empty_label="Any compliance",
    )

    class Meta:
        model = Application
        fields = ["q", "tier", "scheme", "recovery_target", "backup_target", "compliance"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_compliance(self, queryset, name, value):
        return _compliance(queryset, "", value)


class VirtualMachineFilterSet(_Base):
    tier = django_filters.ChoiceFilter(
        field_name="application__tier", choices=Tier.choices, label="Tier", empty_label="Any tier"
    )
    scheme = django_filters.ChoiceFilter(
        field_name="application__scheme",
        choices=Scheme.choices,
        label="Scheme",
        empty_label="Any scheme",
    )
    target = django_filters.ModelChoiceFilter(
        field_name="application__recovery_target",
        queryset=Cloud.objects.all(),
        label="Recovery target",
        empty_label="Any target",
    )
    compliance = django_filters.ChoiceFilter(
        choices=COMPLIANCE_CHOICES,
        method="filter_compliance",
        label="Compliance",
        empty_label="Any compliance",
    )
    os_type = django_filters.ChoiceFilter(choices=OsType.choices, label="OS", empty_label="Any OS")
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any role")
    opted_in = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_opted_in", label="Opted in", empty_label="Opted in or not"
    )

    class Meta:
        model = VirtualMachine
        fields = ["q", "tier", "scheme", "target", "compliance", "os_type", "role", "opted_in"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(resource_group__icontains=value)
            | Q(application__name__icontains=value)
        )

    def filter_compliance(self, queryset, name, value):
        return _compliance(queryset, "application__", value)

    def filter_opted_in(self, queryset, name, value):
        return queryset.filter(opted_in=value == "yes")


class SizingRunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, empty_label="Any status")

    class Meta:
        model = SizingRun
        fields = ["status"]
