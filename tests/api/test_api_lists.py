"""Every list of the API: paginated, ordered and filtered, in a number of queries that does not
grow with the page (a per-row query would show as 5 more queries at page_size=50 than at 5)
and is exactly the number checked in below (QUERIES; the failure message lists the SQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from planner.models import Drill, RunError, SizingRun
from planner.services import plans
from planner.services.sizing import size_and_save
from tests.api.support import USERS, build_estate, client_for
from tests.conftest import _user
from tests.factories import (
    ApplicationFactory,
    BackupTargetFactory,
    CloudFactory,
    DiskFactory,
    PolicyFactory,
    SubscriptionFactory,
    VmFactory,
)
from tests.shared import module_rows

# One estate for the module, with big_estate's rows (tests/shared.py): each test gets a clean
# copy of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("estate_once")]

ESTATE_LISTS = [
    "applications",
    "vms",
    "drills",
    "runs",
    "findings",
    "recommendations",
    "plans",
]
CATALOG_LISTS = [
    "sites",
    "clouds",
    "subscriptions",
    "backup-targets",
    "backup-policies",
    "products",
    "vm-sizes",
    "prices",
    "limits",
]
SMALL, LARGE = 5, 50
# The queries one page of each list takes, for an operator and for an owner (the session's
# token and user, the count, the page, what the rows prefetch). A change here changes what every
# client pays: make it on purpose, and write the new number down.
QUERIES = {  # path: (operator, owner); the catalogs' lists are the same for every role
    # The estate's lists read a page's ids, then its rows (portal/api/pagination.py
    # IdsFirstPagination; the VM list its own way, the same two): one query more than OFFSET.
    "applications": (5, 5),
    "vms": (7, 7),
    "drills": (5, 5),
    "runs": (5, 5),
    "findings": (5, 5),
    "recommendations": (5, 5),
    "plans": (7, 7),
    "sites": (3, None),
    "clouds": (3, None),
    "subscriptions": (3, None),
    "backup-targets": (3, None),
    "backup-policies": (3, None),
    "products": (3, None),
    "vm-sizes": (3, None),
    "prices": (3, None),
    "limits": (3, None),
}


@pytest.fixture(scope="module")
def estate_once(django_db_setup, django_db_blocker):
    """tests/api/conftest.py's estate with big_estate's rows, built once for the module."""
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            users = [_user(*role) for role in USERS]
            estate = build_estate(users[0], users[1])
            _add_rows(estate, users[0])
        yield estate


@pytest.fixture
def big_estate(estate):
    """Enough rows that page_size=50 holds more than page_size=5 in every list: eight more of
    alice's apps without a backup target (blocking findings), each with VMs, disks, a
    dependency, a drill, a failed run with errors, a sizing and a plan revision."""
    return estate


def _add_rows(estate, alice):
    started = timezone.now() - timedelta(days=3)
    apps = []
    for i in range(8):
        app = ApplicationFactory(
            name=f"alice-extra-{i}",
            owner=alice,
            source_cloud=estate.app.source_cloud,
            recovery_target=estate.app.recovery_target,
            backup_target=None,
        )
        first = None
        for j in range(3):
            vm = VmFactory(application=app, subscription=estate.subscription, name=f"x{i}-{j}")
            DiskFactory(vm=vm, name="osdisk")
            DiskFactory(vm=vm, name="data0", lun=0)
            if first is None:
                first = vm
            else:
                vm.depends_on.add(first)
        Drill.objects.create(
            application=app, started_at=started, restored_at=started + timedelta(hours=1)
        )
        run = SizingRun.objects.create(application=app, trigger="api", requested_by=alice)
        RunError.objects.create(run=run, application=app, message="chunk failed")
        apps.append(app)
    size_and_save([a.pk for a in apps])
    for app in apps:
        plans.create_revision(app, alice)
    for i in range(6):  # more catalog rows than the small page (each cloud has its site)
        SubscriptionFactory(cloud=CloudFactory(), name=f"sub-extra-{i}")
        BackupTargetFactory()
        PolicyFactory(name=f"policy-extra-{i}")


def _get(client: APIClient, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:500])
    return response.json(), [q["sql"] for q in queries.captured_queries]


def _assert_constant(client, path, expected: int):
    small, small_sql = _get(client, f"/api/v1/{path}/?page_size={SMALL}")
    large, large_sql = _get(client, f"/api/v1/{path}/?page_size={LARGE}")
    assert len(small["results"]) == SMALL, (path, small["count"])
    assert len(large["results"]) > SMALL, (path, large["count"])
    assert len(small_sql) == len(large_sql), (
        f"{path}: {len(small_sql)} queries for {SMALL} rows, {len(large_sql)} for "
        f"{len(large['results'])}:\n" + "\n".join(large_sql)
    )
    assert len(large_sql) == expected, (
        f"{path}: {len(large_sql)} queries, {expected} in QUERIES:\n" + "\n".join(large_sql)
    )
    return len(large_sql)


@pytest.mark.parametrize("path", ESTATE_LISTS + CATALOG_LISTS)
def test_a_list_takes_as_many_queries_for_50_rows_as_for_5(big_estate, users, path):
    _assert_constant(client_for(users["operator"]), path, QUERIES[path][0])


@pytest.mark.parametrize("path", ESTATE_LISTS)
def test_an_owners_list_too(big_estate, users, path):
    _assert_constant(client_for(users["owner"]), path, QUERIES[path][1])


def test_every_list_has_its_query_count_written_down():
    assert set(QUERIES) == set(ESTATE_LISTS + CATALOG_LISTS)
    assert all(owner is not None for path, (_, owner) in QUERIES.items() if path in ESTATE_LISTS)


def test_the_last_page_takes_as_many_queries_as_the_first(big_estate, users):
    client = client_for(users["operator"])
    first, first_sql = _get(client, f"/api/v1/vms/?page_size={SMALL}")
    last_page = -(-first["count"] // SMALL)
    last, last_sql = _get(client, f"/api/v1/vms/?page_size={SMALL}&page={last_page}")
    assert last["next"] is None and last["previous"]
    assert len(first_sql) == len(last_sql)


def test_pages_hold_every_row_once(big_estate, users):
    client = client_for(users["owner"])
    seen, url = [], f"/api/v1/vms/?page_size={SMALL}&ordering=id"
    while url:
        page = client.get(url).json()
        seen.extend(v["id"] for v in page["results"])
        url = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == page["count"]


@pytest.mark.parametrize("path", ESTATE_LISTS + CATALOG_LISTS)
def test_every_list_orders_both_ways(big_estate, users, path):
    client = client_for(users["operator"])
    key = "application" if path == "recommendations" else "id"
    url = f"/api/v1/{path}/?page_size=1000&ordering="
    up = [r[key] for r in client.get(f"{url}{key}").json()["results"]]
    down = [r[key] for r in client.get(f"{url}-{key}").json()["results"]]
    assert len(up) > 1
    assert up == sorted(up) and down == sorted(up, reverse=True)


@pytest.mark.parametrize(
    ("path", "query", "check"),
    [
        ("applications", "name=ALICE-EXTRA-3", lambda r: r["name"] == "alice-extra-3"),
        ("vms", "name=x2-1", lambda r: r["name"] == "x2-1"),
        ("vms", "opted_in=false", lambda r: r["opted_in"] is False),
        ("vms", "opted_in=no", lambda r: r["opted_in"] is False),
        ("vms", "opted_in=true", lambda r: r["opted_in"] is True),
        ("findings", "severity=blocking", lambda r: r["severity"] == "blocking"),
        ("plans", "state=draft", lambda r: r["state"] == "draft"),
        ("runs", "trigger=api", lambda r: r["trigger"] == "api"),
        ("drills", "kind=drill", lambda r: r["kind"] == "drill"),
        ("recommendations", "compliant=false", lambda r: r["compliant"] is False),
        ("clouds", "kind=azure_stack_hub", lambda r: r["kind"] == "azure_stack_hub"),
    ],
)
def test_filters_select_the_rows_asked_for(big_estate, users, path, query, check):
    big_estate.vm2.opted_in = False
    big_estate.vm2.save()
    client = client_for(users["operator"])
    everything = client.get(f"/api/v1/{path}/?page_size=1000").json()
    rows = client.get(f"/api/v1/{path}/?{query}&page_size=1000").json()["results"]
    assert rows, (path, query)
    assert all(check(r) for r in rows), (path, query)
    assert len(rows) == sum(1 for r in everything["results"] if check(r))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("application=abc", "application"),
        ("application=99999999999999999999999", "application"),
        ("severity=catastrophic", "severity"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(estate, users, query, field):
    response = client_for(users["owner"]).get(f"/api/v1/findings/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert field in body["fields"] and body["detail"].startswith(f"{field}: ")


def test_a_page_past_the_end_is_a_404_that_says_so(estate, users):
    response = client_for(users["owner"]).get("/api/v1/vms/?page=999")
    assert response.status_code == 404
    assert "page" in response.json()["detail"].lower()


def test_page_size_is_capped(big_estate, users, monkeypatch):
    from portal.api.pagination import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "max_page_size", 7)  # 1,000 in the settings
    page = client_for(users["operator"]).get("/api/v1/vms/?page_size=100000").json()
    assert page["count"] > 7 and len(page["results"]) == 7


def test_a_vm_list_row_is_the_vms_own_json(big_estate, users):
    """The list's rows (built from values(): portal/api/vms.py list_rows) say exactly what the
    VM's own URL says: every field, for every kind of row (no size, no protection on purpose,
    a data disk without a LUN, dependencies), and each row's URL is that URL."""
    from planner.models import VirtualMachine

    vm = big_estate.vm2
    vm.size = None
    vm.opted_in = False
    vm.no_protection_why = "Rebuilt from its image <b>&</b>"
    vm.no_protection_by = users["owner"]
    vm.no_protection_at = timezone.now()
    vm.boot_group = 3
    vm.save()
    DiskFactory(vm=vm, name="scratch", lun=None)
    client = client_for(users["operator"])
    page = client.get("/api/v1/vms/?page_size=1000").json()
    assert page["count"] == VirtualMachine.objects.count() == len(page["results"])
    for row in page["results"]:
        own = client.get(row["url"]).json()
        assert row == own, row["name"]
        assert list(row) == list(own)  # the same keys in the same order
    assert any(r["no_protection_by"] and r["size"] is None for r in page["results"])
    assert any(
        r["depends_on"] and {d["lun"] for d in r["disks"]} == {None} for r in page["results"]
    )


def test_an_owners_vm_list_holds_their_vms_only(big_estate, users):
    from planner.models import VirtualMachine

    rows = client_for(users["owner"]).get("/api/v1/vms/?page_size=1000").json()["results"]
    mine = VirtualMachine.objects.for_user(users["owner"])
    assert sorted(r["id"] for r in rows) == sorted(mine.values_list("pk", flat=True))
    assert mine.count() < VirtualMachine.objects.count()


@pytest.mark.parametrize(
    ("path", "ordering"),
    [(p, "") for p in ESTATE_LISTS] + [("applications", "-vm_count"), ("vms", "-name")],
)
def test_pages_of_ids_hold_the_rows_of_one_big_page(big_estate, users, path, ordering):
    """Read ids first (IdsFirstPagination): small pages, joined, are the one big page, in its
    order, with the same JSON (the rows read by id are the rows the big page shows)."""
    client = client_for(users["operator"])
    query = f"&ordering={ordering}" if ordering else ""
    whole = client.get(f"/api/v1/{path}/?page_size=1000{query}").json()
    seen, url = [], f"/api/v1/{path}/?page_size={SMALL}{query}"
    while url:
        page = client.get(url).json()
        seen.extend(page["results"])
        url = page["next"]
    assert len(seen) > SMALL and seen == whole["results"], path


def test_a_plan_rows_fields_are_the_revisions_own(big_estate, users):
    """The plan list reads only the columns its rows show (portal/api/plans.py LIST_COLUMNS):
    each row is the revision's detail without the detail's own fields, decided, waived and
    rejected revisions included (their approver, transitions and waivers by name)."""
    from planner.models import PlanRevision

    alice, carol = users["owner"], users["approver"]
    drafts = list(PlanRevision.objects.filter(application__owner=alice, state="draft"))
    approved, rejected = drafts[0], drafts[1]
    for rev in (approved, rejected):
        plans.submit_revision(rev, alice)
        rev.refresh_from_db()
    for code in approved.blocking_codes:
        plans.add_waiver(approved, code, carol, "Accepted for this test: reviewed next quarter.")
    assert approved.blocking_codes, "a waiver to show"
    plans.approve_revision(approved, carol, "fine")
    plans.reject_revision(rejected, carol, "not yet")
    client = client_for(users["operator"])
    rows, sql = _get(client, "/api/v1/plans/?page_size=1000")
    rows_sql = [q for q in sql if "planner_planrevision" in q or "revision_id" in q]
    assert not [q for q in rows_sql if '"planner_planrevision"."snapshot"' in q]
    assert not [q for q in rows_sql if '"auth_user"."password"' in q], rows_sql
    shown = {row["id"]: row for row in rows["results"]}
    assert {approved.pk, rejected.pk} <= set(shown)
    detail_only = {"blocking_codes", "allowed_actions", "snapshot"}
    for pk, row in shown.items():
        detail = client.get(f"/api/v1/plans/{pk}/").json()
        assert row == {k: v for k, v in detail.items() if k not in detail_only}
    assert shown[approved.pk]["decided_by"] == carol.username
    assert shown[approved.pk]["waivers"][0]["by"] == carol.username
