"""One page of an ordered queryset in two steps: the page's ids, then its rows (a "deferred join").

A page read with ``LIMIT 50 OFFSET n`` makes the database sort every matching row, with every
column the page shows (the joins, the per-row subqueries, a result's arithmetic text) before it
throws away all but 50: on 10,000 VMs the last page of the VM list took 1.3 s. Here the first
query selects only the primary keys, in the queryset's ordering (the joins the ordering needs and
nothing else; an index that serves the ordering makes it a walk of the index, see the VM model's
``vm_app_name`` index), and the second reads the full rows of those ids only. The rows come back
in the first query's order. Used by the portal's tables and the API's estate lists
(portal/api/pagination.py).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from planner.models import VirtualMachine


def page_rows(queryset, key: slice, total: int | None = None) -> list:
    """``list(queryset[key])``, reading the full rows of that slice only (see the module).

    A page holding every row (``total``, when the caller has counted them) is read in one query.
    """
    whole = total is not None and not key.start and (key.stop is None or key.stop >= total)
    if whole or not isinstance(queryset, QuerySet) or queryset.query.is_sliced:
        return list(queryset[key])
    ids = list(queryset.values_list("pk", flat=True)[key])
    if not ids:
        return []
    by_pk = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]


class DeferredJoinPaginator(Paginator):
    """Django's Paginator whose pages are read by ``page_rows``."""

    # A page holding every row is read in one query; False: always ids, then rows (the API's
    # lists promise the same number of queries whatever the page size).
    whole_in_one_query = True

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        total = self.count if self.whole_in_one_query else None
        return self._get_page(page_rows(self.object_list, slice(bottom, top), total), number, self)


def subcount(queryset, field: str):
    """A correlated COUNT subquery (no GROUP BY on the outer query, no row multiplication): a
    page read by ids counts for its own rows only, and its ids are sorted without the join."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(field).annotate(c=Count("pk")).values("c")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def vm_counts(total: str, protected: str) -> dict:
    """The annotations of an app's VMs and opted-in VMs, under the given names: one definition
    for the portal's app tables and the API's app list."""
    vms = VirtualMachine.objects.filter(application=OuterRef("pk"))
    return {
        total: subcount(vms, "application"),
        protected: subcount(vms.filter(opted_in=True), "application"),
    }
