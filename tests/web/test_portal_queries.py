"""List pages cost a constant number of queries whatever the page size or the estate size.

Each test renders the page for a small and a larger estate, at two page sizes, and asserts the
exact count (django_assert_num_queries): a new per-row query fails here with the SQL printed.
"""

import pytest
from django.utils import timezone

from planner.models import AppResult
from tests.factories import DiskFactory, VmFactory
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


def dashboard_part(client, start: str, end: str) -> str:
    """The dashboard's HTML from ``start`` to the next ``end``."""
    return client.get("/").content.decode().split(start)[1].split(end)[0]


def stored_result(app, **figures) -> AppResult:
    """A stored sizing result of ``app`` with the given figures (versions "t")."""
    return AppResult.objects.create(
        application=app,
        computed_at=timezone.now(),
        engine_version="t",
        prices_version="t",
        limits_version="t",
        **figures,
    )


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
    # 1 session, 2 user, 3 the user's groups (read once per request: planner.roles.has_role, for
    # VirtualMachine.objects.for_user and the navigation alike), 4 COUNT(*) for the paginator,
    # 5 the clouds of the "target" filter, 6 the page of VMs with their app, size, result and
    # disk total (subquery), 7 the header's unread notifications (with their count, one query).
    # A page that is not the whole list reads its ids first, then its rows (portal/paging.py):
    # one query more.
    partial = extra_vms and "per_page=10" in query
    with django_assert_num_queries(8 if partial else 7):
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
    # 1 session, 2 user, 3 the user's groups (once: Application.objects.for_user and the
    # navigation), 4 COUNT(*), 5 the clouds and 6 the backup targets of the filters, 7 the page
    # of apps with owner, clouds and result, VM counts as subqueries, 8 the header's unread
    # notifications; a page that is not the whole list reads its ids first (portal/paging.py).
    partial = extra_vms and "per_page=1" in query and "per_page=10" not in query
    with django_assert_num_queries(9 if partial else 8):
        assert client.get("/apps/" + query).status_code == 200


@pytest.mark.parametrize("runs", [1, 30])
def test_run_list(client, alice, bob, django_assert_num_queries, runs):
    from planner.models import SizingRun

    estate = build(alice, bob)
    SizingRun.objects.bulk_create(
        SizingRun(application=estate.app, trigger="edit") for _ in range(runs)
    )
    client.force_login(alice)
    # 1 session, 2 user, 3 the user's groups (once), 4 COUNT(*), 5 the page of runs with app,
    # requester and error count (subquery), 6 the header's unread notifications.
    with django_assert_num_queries(6):
        assert client.get("/runs/").status_code == 200


@pytest.mark.parametrize("extra_vms", [0, 40])
def test_dashboard(client, alice, bob, django_assert_num_queries, extra_vms):
    estate = build(alice, bob)
    grow(estate, extra_vms)
    client.force_login(alice)
    # 1 session, 2 user, 3 the user's groups (read once for every "sees all?": planner.access),
    # 4 the apps table (all of alice's apps: the app and VM totals are added up, and those
    # needing attention picked, from its rows), 5 their first blocking findings, 6 their plan
    # revisions (plans.plan_statuses; no revision yet: no waivers, and no approved plan: neither
    # the apps' current inputs nor the review period; the plans awaiting sign-off are their
    # submitted revisions), 7 recent runs, 8 the header's unread notifications, 9 the apps with
    # drift from a hub sync (one aggregate). More apps than the table shows: 13, the app and VM
    # totals, the apps needing attention and the plans awaiting sign-off read apart
    # (test_dashboard_attention_as_the_database_orders_it,
    # test_dashboard_totals_as_the_database_adds_them).
    with django_assert_num_queries(9):
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
    # As above (the plan badges read no waivers), less 1: every app is sized and compliant now
    # (taking a revision sizes it), so no app needs attention and there are no first blocking
    # findings to read.
    with django_assert_num_queries(15):
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


def test_app_page_whatever_the_subscriptions(client, alice, bob):
    """The resource-group claim form lists the subscriptions of the app's cloud, each labelled
    with that cloud's name: the same queries for one subscription as for six."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import SubscriptionFactory

    estate = build(alice, bob)
    client.force_login(alice)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/apps/{estate.app.pk}/")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        for _ in range(5):
            SubscriptionFactory(cloud=estate.app.source_cloud)
    assert response.content.decode().count(f"({estate.app.source_cloud.name})</option>") == 6
    assert counts[0] == counts[1], ctx.captured_queries


@pytest.mark.parametrize("url", ["/", "/apps/"])
def test_app_rows_leave_the_result_detail_unread(client, alice, bob, url):
    """The dashboard's and the app list's rows show figures only: the results' detail (the
    arithmetic, tens of KB of JSON an app) is not read, and not read later row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planner.services.runs import request_run, run_sync

    estate = build(alice, bob)
    run_sync(request_run(application=estate.app, dispatch=False))
    estate.app.refresh_from_db()
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert "alice-payroll" in response.content.decode()
    results = [q["sql"] for q in ctx.captured_queries if '"planner_appresult"' in q["sql"]]
    assert results, "the rows are read with their results"
    assert not [q for q in results if '"planner_appresult"."detail"' in q]


@pytest.mark.parametrize("extra", [0, 6])
def test_dashboard_attention_as_the_database_orders_it(client, alice, bob, monkeypatch, extra):
    """An owner's attention list, picked from the apps table's rows, is the list the database
    orders for an estate larger than the table (most blocking first, then the most critical
    tier, then the name; never-sized apps last), whatever the rows' names."""
    import re

    from portal.views import dashboard
    from tests.factories import ApplicationFactory

    estate = build(alice, bob)
    cases = [  # name, tier, blocking (None: never sized)
        ("b-two", 2, 3),
        ("a-two", 2, 3),
        ("Z-one", 1, 3),
        ("c-none", 1, None),
        ("d-zero", 1, 0),
        ("e-five", 4, 5),
        ("f-one", 3, 1),
        ("A-none", 3, None),
    ][: 4 + extra // 2]
    for name, tier, blocking in cases:
        app = ApplicationFactory(
            owner=alice, name=name, tier=tier, source_cloud=estate.app.source_cloud
        )
        if blocking is not None:
            stored_result(app, blocking_count=blocking)
    client.force_login(alice)

    def attention():
        panel = dashboard_part(client, "What needs attention first", '<div class="panel"')
        return re.findall(r'<td class="strong"><a href="[^"]+">([^<]+)</a>', panel)

    picked = attention()
    monkeypatch.setattr(dashboard, "APPS_SHOWN", 0)  # every estate "larger than the table"
    ordered = attention()
    assert picked == ordered
    assert "d-zero" not in picked and "alice-payroll" in picked  # compliant out, unsized in
    assert picked[0] == ("e-five" if extra else "Z-one")


def test_dashboard_totals_as_the_database_adds_them(client, alice, bob, monkeypatch):
    """An owner's tiles, added up from the apps table's rows, are the tiles the database's
    aggregates give for an estate larger than the table: apps, sized, not compliant, blocking
    findings and warnings, the cost (None when nothing is sized), VMs protected (opted in, in an
    app whose scheme protects: an opted-in VM of an unprotected app is not)."""
    import re

    from planner.models import Scheme, VirtualMachine
    from portal.views import dashboard
    from tests.factories import ApplicationFactory

    estate = build(alice, bob)
    grow(estate, 3)
    cloud, subscription = estate.app.source_cloud, estate.vm.subscription
    for name, scheme, result in [
        ("sized-bad", Scheme.BACKUP_RESTORE, (2, 5, False, 1234.5678)),
        ("sized-ok", Scheme.BACKUP_RESTORE, (0, 1, True, 10.105)),
        ("unprotected", Scheme.NONE, (0, 0, True, 0.1)),
        ("never-sized", Scheme.BACKUP_RESTORE, None),
    ]:
        app = ApplicationFactory(owner=alice, name=name, scheme=scheme, source_cloud=cloud)
        for i, opted_in in enumerate((True, True, False)):
            VmFactory(
                application=app, subscription=subscription, name=f"{name}-{i}", opted_in=opted_in
            )
        if result is not None:
            blocking, warnings, compliant, cost = result
            stored_result(
                app,
                blocking_count=blocking,
                warning_count=warnings,
                compliant=compliant,
                monthly_cost=cost,
            )
    client.force_login(alice)

    def tiles():
        return dashboard_part(client, '<div class="tiles">', '<div class="panel">')

    from_rows = tiles()
    monkeypatch.setattr(dashboard, "APPS_SHOWN", 0)  # every estate "larger than the table"
    from_database = tiles()
    assert from_rows == from_database
    values = re.findall(r'<div class="value[^"]*">([^<]+)</div>', from_rows)
    assert values[:3] == ["5", "1", "2"]  # alice's apps, not compliant, blocking findings
    assert "USD 1,244.77" in from_rows  # the three sized apps' costs
    opted_in = VirtualMachine.objects.filter(application__owner=alice, opted_in=True)
    protected = opted_in.exclude(application__scheme=Scheme.NONE).count()
    assert 0 < protected < opted_in.count()
    assert f"{protected} of 18 opted in" in from_rows  # 6 of alice-payroll, 3 of each new app


@pytest.mark.parametrize("query", ["", "?page=2", "?os_type=linux", "?page=2&sort=-name"])
def test_app_page_counts_its_vms_from_the_list_it_reads(client, alice, bob, query):
    """The app page's VM table takes its count from the app's VM list the page reads anyway when
    nothing is filtered (one query less), and counts in SQL when something is: the same
    "N in all", pages and rows either way."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    estate = build(alice, bob)
    grow(estate, 57)  # 60 VMs: two pages of 50
    estate.app.vms.filter(name__startswith="grown-00").update(os_type="linux")  # ten of them
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(f"/apps/{estate.app.pk}/{query}").content.decode()
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == (1 if "os_type" in query else 0), counts
    table = html.split('id="vms"')[1]
    total = estate.app.vms.filter(os_type="linux").count() if "os_type" in query else 60
    if total > 50:
        page = 2 if "page=2" in query else 1
        shown = total - 50 if page == 2 else 50
        start = 51 if page == 2 else 1
        assert f"{start}–{start + shown - 1} of {total}" in table
    else:
        assert f"{total} in all" in table
    assert 0 < len(re.findall(r'name="select" value="\d+"', table)) <= 50


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_dashboard_plans_to_sign_as_the_database_lists_them(
    client, alice, bob, carol, monkeypatch, who
):
    """The plans awaiting sign-off, taken from the apps table's plan statuses when the table
    holds every app the user sees, are the panel the database's query gives for an estate larger
    than the table: oldest first, every submitted revision (two of one app too), an approver's
    own apps left out (the panel as the page shows it, the same either way)."""
    from datetime import timedelta

    from django.utils import timezone

    from planner.models import PlanRevision, PlanState
    from planner.services import plans
    from portal.views import dashboard
    from tests.factories import ApplicationFactory

    estate = build(alice, bob)
    apps = [estate.app] + [
        ApplicationFactory(owner=owner, name=f"p-{i}", source_cloud=estate.app.source_cloud)
        for i, owner in enumerate([alice, alice, carol])
    ]
    now = timezone.now()
    # Not in pk order: the panel sorts by when each was taken (set while still a draft); one
    # app with two submitted revisions.
    for i, app in enumerate([*apps, apps[1]]):
        rev = plans.create_revision(app, app.owner)
        PlanRevision.objects.filter(pk=rev.pk).update(created_at=now - timedelta(hours=(i * 7) % 5))
        plans.submit_revision(rev, app.owner)
    assert PlanRevision.objects.filter(state=PlanState.SUBMITTED).count() == 5
    user = {"alice": alice, "carol": carol}[who]
    client.force_login(user)

    def panel():
        return dashboard_part(client, 'id="plans-to-sign"', '<div class="panel"')

    from_rows = panel()
    monkeypatch.setattr(dashboard, "APPS_SHOWN", 0)  # every estate "larger than the table"
    assert from_rows == panel()
    # alice: her three apps, one twice; carol: every app but her own.
    assert from_rows.count("badge-warn") == 4
