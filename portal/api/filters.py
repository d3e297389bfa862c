"""FilterSets of the API: the portal's shared ones (portal.filtersets) plus the filters a script
needs and a page does not (by app, by subscription, by exact name), and one per model the
portal does not list.

Ids are filtered with ``IdFilter``: an integer within the database's range, so a huge number
is a 400 naming the parameter instead of a driver overflow (SQLite) or an aborted transaction
(PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters

from planner.models import AppResult, Drill, Finding, PlanRevision, Scheme, Severity
from planner.models.plans import PlanState
from planner.models.runs import Trigger
from portal.filtersets import (
    ApplicationFilterSet,
    BoundedCharFilter,
    SizingRunFilterSet,
    VirtualMachineFilterSet,
)

MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned to UTC before it reaches the database.

    Python accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: an offset of -19:30
    passed through would be a DataError (and an aborted transaction) instead of a filter."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                "This date-time is out of range once taken to UTC: give one between the years "
                "1 and 9999, e.g. 2026-01-31T09:00:00Z.",
                code="invalid",
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # the field's max_value is the bound


class OrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=``, with two fixes a script relies on when it pages through a list:

    - a foreign key sorts by the id the rows show (``ordering=application``), not by the
      related model's default ordering (the app's name), which Django would follow;
    - the primary key ends every ordering, so rows that tie (same severity, same state) keep
      one order from page to page and no row is shown twice or skipped.
    """

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        return [self._by_id(queryset.model, term) for term in valid]

    @staticmethod
    def _by_id(model, term: str) -> str:
        desc, name = term.startswith("-"), term.lstrip("-")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return term
        if field.concrete and (field.many_to_one or field.one_to_one):
            return ("-" if desc else "") + field.attname
        return term

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        ordering = list(ordering)
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        return queryset.order_by(*ordering)


def _opted_in(queryset, name, value):
    return queryset.filter(opted_in=value in ("true", "yes"))


class ApplicationFilter(ApplicationFilterSet):
    owner = BoundedCharFilter(field_name="owner__username", label="Owner's username")
    source_cloud = IdFilter(field_name="source_cloud")
    name = BoundedCharFilter(field_name="name", lookup_expr="iexact")

    class Meta(ApplicationFilterSet.Meta):
        fields = [*ApplicationFilterSet.Meta.fields, "owner", "source_cloud", "name"]


class VirtualMachineFilter(VirtualMachineFilterSet):
    # The portal's filter takes yes/no; scripts send JSON's true/false: both work here.
    opted_in = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("yes", "yes"), ("no", "no")],
        method=_opted_in,
        label="Opted in (true/false)",
    )
    application = IdFilter(field_name="application")
    subscription = IdFilter(field_name="subscription")
    resource_group = BoundedCharFilter(field_name="resource_group", lookup_expr="iexact")
    name = BoundedCharFilter(field_name="name", lookup_expr="iexact")
    scale_set = BoundedCharFilter(field_name="scale_set", lookup_expr="iexact")

    class Meta(VirtualMachineFilterSet.Meta):
        fields = [
            *VirtualMachineFilterSet.Meta.fields,
            "application",
            "subscription",
            "resource_group",
            "name",
            "scale_set",
        ]


class SizingRunFilter(SizingRunFilterSet):
    application = IdFilter(field_name="application")
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    estate = django_filters.BooleanFilter(
        field_name="application", lookup_expr="isnull", label="Estate-wide runs only (or none)"
    )

    class Meta(SizingRunFilterSet.Meta):
        fields = [*SizingRunFilterSet.Meta.fields, "application", "trigger", "estate"]


class FindingFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application")
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    code = BoundedCharFilter(field_name="code", lookup_expr="iexact")

    class Meta:
        model = Finding
        fields = ["application", "severity", "code"]


class DrillFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application")
    kind = django_filters.ChoiceFilter(choices=[("drill", "Drill"), ("incident", "Incident")])
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Drill
        fields = ["application", "kind", "started_after", "started_before"]


class RecommendationFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application")
    recommended_scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    compliant = django_filters.BooleanFilter()

    class Meta:
        model = AppResult
        fields = ["application", "recommended_scheme", "compliant"]


class PlanRevisionFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application")
    state = django_filters.ChoiceFilter(choices=PlanState.choices)

    class Meta:
        model = PlanRevision
        fields = ["application", "state"]
