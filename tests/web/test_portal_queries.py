"""List pages cost a constant number of queries whatever the page size or the estate size.

Each test renders the page for a small and a larger estate, at two page sizes, and asserts the
exact count (django_assert_num_queries): a new per-row query fails here with the SQL printed.
"""

import pytest

from tests.factories import DiskFactory, VmFactory
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


def grow(estate, n):
    for i in range(n):
        vm = VmFactory(
            application=estate.app, subscription=estate.vm.subscription, name=f"grown-{i:03d}"
        )
        DiskFactory(vm=vm, name="osdisk")
        DiskFactory(vm=vm, name="data0", lun=0)


@pytest.mark.parametrize("extra_vms", [0, 40])
@pytest.mark.parametrize("query", ["", "?per_page=10", "?per_page=250", "?per_page=10&page=4"])
def test_vm_list(client, alice, bob, django_assert_num_queries, extra_vms, query):
    estate = build(alice, bob)
    grow(estate, extra_vms)
    client.force_login(alice)
    # 1 session, 2 user, 3 the user's groups (role in the navigation, cached), 4 "sees all?"
    # (VirtualMachine.objects.for_user), 5 COUNT(*) for the paginator, 6 the clouds of the
    # "target" filter, 7 the page of VMs with their app, size, result and disk total (subquery),
    # 8 the header's unread notifications (with their count, one query). A page that is not the
    # whole list reads its ids first, then its rows (portal/paging.py): one query more.
    partial = extra_vms and "per_page=10" in query
    with django_assert_num_queries(9 if partial else 8):
        assert client.get("/vms/" + query).status_code == 200


@pytest.mark.parametrize("extra_vms", [0, 40])
@pytest.mark.parametrize("query", ["", "?per_page=1", "?per_page=250&sort=-protected"])
def test_app_list(client, alice, bob, django_assert_num_queries, extra_vms, query):
    estate = build(alice, bob)
    grow(estate, extra_vms)
    for i in range(extra_vms // 10):
        from tests.factories import ApplicationFactory

        ApplicationFactory(owner=alice, name=f"more-{i}", source_cloud=estate.app.source_cloud)
    client.force_login(alice)
    # 1 session, 2 user, 3 "sees all?" (Application.objects.for_user), 4 the user's groups
    # (navigation), 5 COUNT(*), 6 the clouds and 7 the backup targets of the filters, 8 the page
    # of apps with owner, clouds and result, VM counts as subqueries, 9 the header's unread
    # notifications; a page that is not the whole list reads its ids first (portal/paging.py).
    partial = extra_vms and "per_page=1" in query and "per_page=10" not in query
    with django_assert_num_queries(10 if partial else 9):
        assert client.get("/apps/" + query).status_code == 200


@pytest.mark.parametrize("runs", [1, 30])
def test_run_list(client, alice, bob, django_assert_num_queries, runs):
    from planner.models import SizingRun

    estate = build(alice, bob)
    SizingRun.objects.bulk_create(
        SizingRun(application=estate.app, trigger="edit") for _ in range(runs)
    )
    client.force_login(alice)
    # 1 session, 2 user, 3 "sees all?", 4 COUNT(*), 5 the user's groups, 6 the page of runs
    # with app, requester and error count (subquery), 7 the header's unread notifications.
    with django_assert_num_queries(7):
        assert client.get("/runs/").status_code == 200


@pytest.mark.parametrize("extra_vms", [0, 40])
def test_dashboard(client, alice, bob, django_assert_num_queries, extra_vms):
    estate = build(alice, bob)
    grow(estate, extra_vms)
    client.force_login(alice)
    # 1 session, 2 user, 3 the user's groups, 4 "sees all?" for apps, 5 app totals (one
    # aggregate), 6 "sees all?" for VMs, 7 VM totals, 8 apps needing attention, 9 their first
    # blocking findings, 10 the apps table, 11-19 their plan status (plans.plan_statuses: the
    # review period, the revisions, the apps' current inputs in six, the tiers' service levels
    # among them), 20 "sees all?" and 21 the plans awaiting sign-off, 22 "sees all?" for runs,
    # 23 recent runs, 24 the header's unread notifications, 25 the apps with drift from a hub
    # sync (one aggregate). No revision yet: no waiver query.
    with django_assert_num_queries(24):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("apps_with_plans", [1, 6])
def test_dashboard_with_plans(
    client, alice, bob, carol, django_assert_num_queries, apps_with_plans
):
    """The plan status column costs the same whatever the number of apps and revisions."""
    from planner.services import plans
    from tests.factories import ApplicationFactory

    estate = build(alice, bob)
    apps = [estate.app] + [
        ApplicationFactory(owner=alice, name=f"planned-{i}", source_cloud=estate.app.source_cloud)
        for i in range(apps_with_plans - 1)
    ]
    for i, app in enumerate(apps):
        rev = plans.submit_revision(plans.create_revision(app, alice), alice)
        if i % 2 == 0:
            plans.approve_revision(rev, carol, "ok")
            plans.create_revision(app, alice)  # a newer draft beside the approved plan
    client.force_login(alice)
    # As above, plus 1 for the waivers of the latest revisions, less 1: every app is sized and
    # compliant now (taking a revision sizes it), so no app needs attention and there are no
    # first blocking findings to read.
    with django_assert_num_queries(24):
        response = client.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('class="plan-status"') == len(apps)  # not bob's


def test_exports_are_one_query_whatever_the_rows(client, alice, bob, django_assert_num_queries):
    estate = build(alice, bob)
    grow(estate, 30)
    client.force_login(alice)
    response = client.get("/vms/?export=csv")
    # the streamed body reads the rows: one query for all of them
    with django_assert_num_queries(1):
        body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 1 + 33
