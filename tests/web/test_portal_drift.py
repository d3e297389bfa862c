"""Drift a hub sync found, as owners see it (dashboard, app page, "mark reviewed"), and hub
connections in the admin (form checks, the "test connection" action)."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from planner.models import Drift, DriftKind, HubConnection, HubSync
from tests.factories import ApplicationFactory, SubscriptionFactory, VmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drifted(alice, bob):
    app = ApplicationFactory(owner=alice, name="payroll")
    other = ApplicationFactory(owner=bob, name="shop")
    vm = VmFactory(application=app, name="pay-new", opted_in=False)
    now = timezone.now()
    Drift.objects.create(
        application=app,
        kind=DriftKind.APPEARED,
        vm=vm,
        vm_name="pay-new",
        resource_group="rg-pay",
        detected_at=now,
    )
    Drift.objects.create(
        application=app,
        kind=DriftKind.DISAPPEARED,
        vm_name="pay-old",
        resource_group="rg-pay",
        detail="no longer listed by the hub",
        detected_at=now,
    )
    Drift.objects.create(
        application=other,
        kind=DriftKind.CHANGED,
        vm_name="shop-secret-vm",
        resource_group="rg-shop",
        detail="size → Standard_D4_v2",
        detected_at=now,
    )
    return app, other


def test_owner_sees_drift_on_the_dashboard_and_the_app_page(client, alice, drifted):
    app, _ = drifted
    client.force_login(alice)
    dash = client.get(reverse("dashboard")).content.decode()
    assert "Changed on the hub" in dash and "payroll" in dash
    assert "shop" not in dash  # bob's app: not alice's to see
    page = client.get(reverse("app-detail", args=[app.pk])).content.decode()
    assert "VM pay-new appeared in resource group rg-pay" in page
    assert "VM pay-old disappeared from the hub" in page
    assert reverse("app-drift-review", args=[app.pk]) in page


def test_owner_marks_drift_reviewed_and_it_leaves_the_pages(client, alice, drifted):
    app, other = drifted
    client.force_login(alice)
    response = client.post(reverse("app-drift-review", args=[app.pk]))
    assert response.status_code == 302
    assert not Drift.objects.filter(application=app, reviewed_at=None).exists()
    assert Drift.objects.filter(application=other, reviewed_at=None).count() == 1
    assert "Changed on the hub" not in client.get(reverse("dashboard")).content.decode()
    reviewed = Drift.objects.filter(application=app).first()
    assert reviewed.reviewed_by == alice


def test_another_owner_cannot_review_or_see_the_drift(client, bob, drifted):
    app, _ = drifted
    client.force_login(bob)
    assert client.post(reverse("app-drift-review", args=[app.pk])).status_code == 404
    assert client.get(reverse("app-drift-review", args=[app.pk])).status_code in (404, 405)
    assert Drift.objects.filter(application=app, reviewed_at=None).count() == 2


def _connection(**kw) -> HubConnection:
    sub = SubscriptionFactory()
    conn = HubConnection.objects.create(
        name="hub 1",
        cloud=sub.cloud,
        arm_endpoint=kw.pop("arm_endpoint", "https://127.0.0.1:1"),
        tenant_id="adfs",
        client_id="11111111-2222-3333-4444-555555555555",
        secret_from="TEST_HUB_ADMIN_SECRET",
        **kw,
    )
    conn.subscriptions.set([sub])
    return conn


def test_admin_test_connection_says_what_failed(client, olga, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TEST_HUB_ADMIN_SECRET", "s3cret")
    conn = _connection(arm_endpoint=f"https://127.0.0.1:{port}")
    client.force_login(olga)
    response = client.post(
        reverse("admin:planner_hubconnection_changelist"),
        {"action": "test_connection", "_selected_action": [conn.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "failed at endpoint" in text and f"127.0.0.1:{port}" in text
    conn.refresh_from_db()
    assert conn.status_message.startswith("Test failed at endpoint") and conn.checked_at


def test_admin_sync_now_queues_one_sync(client, olga):
    conn = _connection()
    client.force_login(olga)
    for _ in range(2):
        client.post(
            reverse("admin:planner_hubconnection_changelist"),
            {"action": "sync_now", "_selected_action": [conn.pk]},
        )
    assert HubSync.objects.filter(connection=conn, status="pending").count() == 1
    page = client.get(reverse("admin:planner_hubconnection_change", args=[conn.pk]))
    assert page.status_code == 200 and "2020-06-01" in page.content.decode()


def test_admin_refuses_a_secret_in_the_secret_field_and_foreign_subscriptions(client, olga):
    sub = SubscriptionFactory()
    other = SubscriptionFactory()  # another cloud
    client.force_login(olga)
    response = client.post(
        reverse("admin:planner_hubconnection_add"),
        {
            "name": "hub 2",
            "cloud": sub.cloud_id,
            "arm_endpoint": "https://management.local.azurestack.external",
            "tenant_id": "adfs",
            "client_id": "11111111-2222-3333-4444-555555555555",
            "secret_from": "p@ss w0rd!",
            "subscriptions": [sub.pk, other.pk],
            "sync_enabled": "on",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "never goes into the database" in text
    assert "belong to another cloud" in text
    assert not HubConnection.objects.exists()


def test_owner_claims_and_releases_a_resource_group_on_the_app_page(client, alice, bob):
    from planner.models import ResourceGroupClaim

    app = ApplicationFactory(owner=alice, name="payroll")
    other = ApplicationFactory(owner=bob, name="shop", source_cloud=app.source_cloud)
    sub = SubscriptionFactory(cloud=app.source_cloud)
    VmFactory(application=other, subscription=sub, resource_group="rg-shop")
    client.force_login(alice)
    url = reverse("app-claim", args=[app.pk])
    page = client.get(reverse("app-detail", args=[app.pk])).content.decode()
    assert 'id="claims"' in page and url in page

    client.post(url, {"subscription": sub.pk, "resource_group": "rg-pay"})
    claim = ResourceGroupClaim.objects.get(application=app)
    assert claim.resource_group == "rg-pay"
    # Bob's VMs are in rg-shop; an Azure-invalid name; a second claim of rg-pay
    for name, words in [
        ("RG-SHOP", "holds VMs of &#x27;shop&#x27;"),
        ("rg pay!", "letters, digits"),
        ("RG-Pay", "already claimed by this app"),
    ]:
        response = client.post(url, {"subscription": sub.pk, "resource_group": name}, follow=True)
        assert words in response.content.decode(), name
    assert ResourceGroupClaim.objects.count() == 1
    client.force_login(bob)  # not bob's app: 404, nothing released
    assert client.post(url, {"release": claim.pk}).status_code == 404
    client.force_login(alice)
    client.post(url, {"release": claim.pk})
    assert not ResourceGroupClaim.objects.exists()


@pytest.mark.parametrize("n", [0, 3, 5])
def test_open_drift_counts_without_a_second_query_below_the_limit(
    db, alice, bob, django_assert_num_queries, n
):
    """The app page's drift: the newest ``limit`` and how many in all. Below the limit the list
    is all of it; at the limit the count is read apart, and right."""
    from portal.views.drift import open_drift
    from tests.web.test_portal_estate import build

    estate = build(alice, bob)
    Drift.objects.bulk_create(
        Drift(
            application=estate.app,
            kind=DriftKind.APPEARED,
            vm_name=f"vm-{i}",
            resource_group="rg",
            detected_at=timezone.now(),
        )
        for i in range(n)
    )
    with django_assert_num_queries(1 if n < 5 else 2):
        shown, count = open_drift(estate.app, limit=5)
    assert len(shown) == min(n, 5) and count == n
    if n == 5:
        Drift.objects.create(
            application=estate.app,
            kind=DriftKind.APPEARED,
            vm_name="vm-late",
            resource_group="rg",
            detected_at=timezone.now(),
        )
        shown, count = open_drift(estate.app, limit=5)
        assert len(shown) == 5 and count == 6
