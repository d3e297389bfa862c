"""Pages read by ids first (portal/paging.py): the same rows, in the same order, as a slice."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from planner.models import VirtualMachine
from portal.paging import DeferredJoinPaginator, page_rows
from portal.tables import VirtualMachineTable
from tests.factories import VmFactory

pytestmark = pytest.mark.django_db


def test_pages_by_ids_match_offset_pages():
    for i in range(23):
        VmFactory(name=f"vm-{(i * 7) % 23:02d}")
    vms = VirtualMachineTable.rows(VirtualMachine.objects.order_by("-name", "pk"))
    for key in (slice(0, 10), slice(10, 20), slice(20, 30), slice(30, 40)):
        assert [v.pk for v in page_rows(vms, key)] == [v.pk for v in vms[key]]
    assert page_rows(vms, slice(0, 3))[0].disk_gib == vms[0].disk_gib  # annotations kept
    plain, deferred = Paginator(vms, 10), DeferredJoinPaginator(vms, 10)
    for n in (1, 2, 3):
        assert [v.pk for v in deferred.page(n)] == [v.pk for v in plain.page(n)]
