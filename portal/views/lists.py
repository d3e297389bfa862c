"""List pages: a FilterSet, a table, sorting, pagination and the CSV export of the same rows."""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import render
from django_tables2 import RequestConfig

from planner.exports import csv_response

PER_PAGE_CHOICES = (25, 50, 100, 250, 500)
DEFAULT_PER_PAGE = 50


def per_page(request, default: int = DEFAULT_PER_PAGE) -> int:
    try:
        wanted = int(request.GET.get("per_page", default))
    except ValueError:
        return default
    return max(1, min(wanted, PER_PAGE_CHOICES[-1]))


# What a list's query string holds besides its filters (the page, its size, the sort).
NOT_FILTERS = frozenset({"page", "per_page", "sort"})


def build_table(
    request,
    *,
    queryset,
    filterset_class,
    table_class,
    exclude=(),
    size=None,
    count=None,
    not_filters=(),
):
    """The filtered, sorted table (paginated unless ``size`` is 0) and its FilterSet.

    ``count``: how many rows ``queryset`` holds, when the caller has read them already; used
    instead of a COUNT query when the query string holds nothing but NOT_FILTERS and the page's
    own ``not_filters``."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    # A refused filter (a search too long, a choice that does not exist) lists nothing rather
    # than everything: the form says what to correct.
    rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else queryset.none()
    table = table_class(table_class.rows(rows), exclude=exclude)
    if count is not None and set(request.GET) <= NOT_FILTERS.union(not_filters):
        # django-tables2 keeps a queryset's length here once it has counted it.
        table.data._length = count
    RequestConfig(request, paginate=False).configure(table)  # sorting from ?sort=
    if size != 0:
        size = size or per_page(request)
        try:
            table.paginate(page=request.GET.get("page", 1), per_page=size)
        except PageNotAnInteger:
            table.paginate(page=1, per_page=size)
        except EmptyPage:
            table.paginate(page=table.paginator.num_pages, per_page=size)
    return table, filterset


def export_csv(request, table, filename: str, exclude=("select",)):
    """The table's columns and rows (all pages) as a CSV safe from formula injection."""
    values = table.as_values(exclude_columns=exclude)
    header = next(values)
    return csv_response(filename, header, values)


def list_page(
    request,
    *,
    queryset,
    filterset_class,
    table_class,
    template,
    export_filename,
    context=None,
    exclude=(),
):
    if request.GET.get("export") == "csv":
        table, _ = build_table(
            request,
            queryset=queryset,
            filterset_class=filterset_class,
            table_class=table_class,
            exclude=exclude,
            size=0,
        )
        return export_csv(request, table, export_filename)
    table, filterset = build_table(
        request,
        queryset=queryset,
        filterset_class=filterset_class,
        table_class=table_class,
        exclude=exclude,
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        template,
        {
            "table": table,
            "filter": filterset,
            "per_page_choices": PER_PAGE_CHOICES,
            "per_page": per_page(request),
            "querystring": query.urlencode(),
            **(context or {}),
        },
    )
