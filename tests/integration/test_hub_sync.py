"""Inventory synced from a hub's Azure Resource Manager endpoint (issue 20).

The far end is tests/armhub.py: a real HTTPS server on 127.0.0.1 with its own CA, answering as
ARM and its identity provider do; the clients are the real azure-identity and azure-mgmt-compute
over real HTTP. Only the far end is local."""

from __future__ import annotations

import os
import socket
import time
from itertools import count
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings

from planner import reference
from planner.models import (
    Disk,
    Drift,
    DriftKind,
    Finding,
    HubConnection,
    HubSync,
    ResourceGroupClaim,
    SyncStatus,
    VirtualMachine,
)
from planner.services import hub as hubs
from planner.services import plans, sizing
from tests.armhub import ArmHub
from tests.factories import ApplicationFactory, DiskFactory, SubscriptionFactory, VmFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SECRET_ENV = "TEST_HUB_ARM_SECRET"
SUB_A = "aaaaaaaa-0000-4000-8000-000000000001"
SUB_B = "bbbbbbbb-0000-4000-8000-000000000002"
_dirs = count()


@pytest.fixture
def armhub():
    directory = Path(django_settings.VAR_DIR) / f"test-armhub-{os.getpid()}-{next(_dirs)}"
    hub = ArmHub(directory, page_size=100).start()
    yield hub
    hub.stop()


@pytest.fixture
def estate(armhub, alice, bob, monkeypatch):
    """Two subscriptions of one hub; alice's app claims rg-pay explicitly, bob's app has a VM in
    rg-web (an implicit claim); rg-other is nobody's."""
    monkeypatch.setenv(SECRET_ENV, armhub.secret)
    armhub.subscription(SUB_A), armhub.subscription(SUB_B)  # both exist at the far end
    sub_a = SubscriptionFactory(name="prod", subscription_id=SUB_A)
    sub_b = SubscriptionFactory(name="dev", subscription_id=SUB_B, cloud=sub_a.cloud)
    pay = ApplicationFactory(owner=alice, name="payroll", source_cloud=sub_a.cloud)
    web = ApplicationFactory(owner=bob, name="web", source_cloud=sub_a.cloud)
    ResourceGroupClaim.objects.create(application=pay, subscription=sub_a, resource_group="rg-pay")
    ResourceGroupClaim.objects.create(application=pay, subscription=sub_b, resource_group="rg-pay")
    known = VmFactory(
        application=web, subscription=sub_a, resource_group="rg-web", name="web-000", opted_in=True
    )
    DiskFactory(vm=known, name="web-000_OsDisk_1", lun=None, provisioned_gib=64, used_gib=20)
    conn = HubConnection.objects.create(
        name="hub 1",
        cloud=sub_a.cloud,
        arm_endpoint=armhub.url,
        tenant_id=armhub.tenant,
        client_id=armhub.client_id,
        secret_from=SECRET_ENV,
        ca_bundle=str(armhub.ca_path),
    )
    conn.subscriptions.set([sub_a, sub_b])
    return {"conn": conn, "pay": pay, "web": web, "sub_a": sub_a, "sub_b": sub_b, "known": known}


def far_end(armhub, pay_vms=1000, web_vms=500, dev_vms=300, other=50):
    for i in range(pay_vms):
        armhub.add_vm(SUB_A, "rg-pay", f"pay-{i:04d}", os_gib=127, data_gib=(256,))
    for i in range(web_vms):
        armhub.add_vm(SUB_A, "rg-web", f"web-{i:03d}", size="Standard_D2_v2", os_gib=64)
    for i in range(other):
        armhub.add_vm(SUB_A, "rg-other", f"x-{i:03d}")
    for i in range(dev_vms):
        armhub.add_vm(SUB_B, "RG-PAY", f"dev-{i:03d}", os_type="Linux", os_gib=30)
    armhub.add_scale_set(SUB_A, "rg-pay", "pay-ss", 3)


def sync(conn) -> HubSync:
    s = hubs.request_sync(conn)
    hubs.run_sync(s.pk)
    s.refresh_from_db()
    return s


def inventory_state():
    vms = sorted(
        VirtualMachine.objects.values_list(
            "id",
            "application_id",
            "resource_group",
            "name",
            "os_type",
            "size_id",
            "scale_set",
            "opted_in",
        )
    )
    disks = sorted(Disk.objects.values_list("id", "vm_id", "name", "lun", "provisioned_gib"))
    return vms, disks


def test_sync_imports_a_few_thousand_vms_with_disk_sizes_and_a_second_sync_changes_nothing(
    armhub, estate
):
    far_end(armhub)
    first = sync(estate["conn"])
    assert first.status == SyncStatus.SUCCEEDED, first.message
    # 1000 + 500 + 50 + 3 scale-set instances in prod, 300 in dev
    assert first.vms_read == 1853
    assert first.subscriptions_done == first.subscriptions_total == 2
    assert first.counts["created"] == 1000 + 499 + 3 + 300
    assert first.counts["updated"] == 1  # web-000: its OS disk is 64 GiB on the hub too, but
    assert first.counts["unclaimed"] == 50  # ... the hub lists it under its ARM name
    pay = estate["pay"]
    assert VirtualMachine.objects.filter(application=pay).count() == 1303
    assert VirtualMachine.objects.filter(application=estate["web"]).count() == 500
    assert not VirtualMachine.objects.filter(resource_group="rg-other").exists()
    vm = VirtualMachine.objects.get(name="pay-0042")
    # Sizes come from the disk resources: the VM's own listing has none.
    assert {d.name: d.provisioned_gib for d in vm.disks.all()} == {
        "pay-0042_OsDisk_1": 127.0,
        "pay-0042_data0": 256.0,
    }
    assert vm.os_type == "windows" and vm.size.name == "Standard_D2_v2"
    assert not VirtualMachine.objects.filter(opted_in=True).exclude(pk=estate["known"].pk).exists()
    ss = VirtualMachine.objects.filter(scale_set="pay-ss")
    assert ss.count() == 3 and all(v.size_id for v in ss)
    assert Drift.objects.filter(kind=DriftKind.APPEARED, application=pay).count() == 1303
    assert VirtualMachine.objects.get(name="web-000").opted_in  # the owner's choice is kept
    # Paged: 100 VMs a page, every page followed.
    assert armhub.count("/virtualMachines?api-version=2020-06-01&$skiptoken=1500") == 1
    assert armhub.count("/disks?api-version=2019-07-01") >= 1

    before, drift_rows = inventory_state(), Drift.objects.count()
    second = sync(estate["conn"])
    assert second.status == SyncStatus.SUCCEEDED, second.message
    assert second.counts["created"] == second.counts["updated"] == 0
    assert second.counts["removed"] == 0
    assert second.counts["unchanged"] == 1853 - 50
    assert inventory_state() == before
    assert Drift.objects.count() == drift_rows
    estate["conn"].refresh_from_db()
    assert estate["conn"].status == SyncStatus.SUCCEEDED and estate["conn"].last_synced_at


def test_vm_removed_at_the_far_end_is_drift_and_marks_the_approved_plan_stale(
    armhub, estate, alice, carol
):
    far_end(armhub, pay_vms=6, web_vms=2, dev_vms=0, other=0)
    first = sync(estate["conn"])
    assert first.status == SyncStatus.SUCCEEDED, first.message
    pay = estate["pay"]
    VirtualMachine.objects.filter(application=pay).update(opted_in=True)
    hubs.review_drift(pay, alice)
    rev = plans.submit_revision(plans.create_revision(pay, alice), alice)
    # What this test checks is the drift: the approver waives whatever blocks the approval.
    for code in sorted(set(rev.blocking_codes)):
        plans.add_waiver(rev, code, carol, "Accepted while the restore target is being sized.")
    rev = plans.approve_revision(rev, carol, "ok")
    assert not plans.plan_status(pay)["stale"]
    assert not Finding.objects.filter(application=pay, code="INVENTORY_DRIFT").exists()

    armhub.remove_vm(SUB_A, "pay-0003")
    armhub.resize_vm(SUB_A, "pay-0004", "Standard_D4_v2")
    armhub.resize_disk(SUB_A, "pay-0005_data0", 512)
    armhub.add_vm(SUB_A, "rg-pay", "pay-new")
    done = sync(estate["conn"])
    assert done.status == SyncStatus.SUCCEEDED, done.message
    assert done.counts["removed"] == 1 and done.counts["updated"] == 2
    assert done.counts["created"] == 1
    assert not VirtualMachine.objects.filter(name="pay-0003").exists()
    assert not VirtualMachine.objects.get(name="pay-new").opted_in
    drift = {d.vm_name: d for d in Drift.objects.filter(application=pay, reviewed_at=None)}
    assert drift["pay-0003"].kind == DriftKind.DISAPPEARED
    assert drift["pay-0004"].kind == DriftKind.CHANGED
    assert "Standard_D4_v2" in drift["pay-0004"].detail
    assert drift["pay-0005"].kind == DriftKind.CHANGED and "512" in drift["pay-0005"].detail
    assert drift["pay-new"].kind == DriftKind.APPEARED and drift["pay-new"].vm_id
    status = plans.plan_status(pay)
    assert status["approved"] == rev and status["stale"]
    assert any("pay-0003" in c for c in status["changes"])

    sizing.size_and_save([pay.pk])
    f = Finding.objects.get(application=pay, code="INVENTORY_DRIFT")
    assert f.severity == "warning"
    assert "pay-0003" in f.message and "pay-new" in f.message
    assert hubs.review_drift(pay, alice) == 4
    sizing.size_and_save([pay.pk])
    assert not Finding.objects.filter(application=pay, code="INVENTORY_DRIFT").exists()


def test_a_429_is_retried_after_its_retry_after_and_the_sync_succeeds(armhub, estate):
    far_end(armhub, pay_vms=250, web_vms=0, dev_vms=0, other=0)
    armhub.fail("$skiptoken=100", 429, times=2, retry_after=1)
    done = sync(estate["conn"])
    assert done.status == SyncStatus.SUCCEEDED, done.message
    assert armhub.count("$skiptoken=100", 429) == 2
    assert done.counts["created"] == 253


def test_throttling_past_the_retries_fails_the_sync_and_changes_nothing(armhub, estate, settings):
    settings.HUB_RETRIES = 1
    far_end(armhub, pay_vms=150, web_vms=0, dev_vms=0, other=0)
    armhub.fail("/disks", 429, times=5, retry_after=0)
    before = inventory_state()
    done = sync(estate["conn"])
    assert done.status == SyncStatus.FAILED
    assert "throttl" in done.message and "429" in done.message
    assert inventory_state() == before and not Drift.objects.exists()


def test_an_expired_token_fails_the_sync_says_so_and_changes_nothing(armhub, estate):
    far_end(armhub, pay_vms=20, web_vms=2, dev_vms=20, other=0)
    first = sync(estate["conn"])
    assert first.status == SyncStatus.SUCCEEDED, first.message
    armhub.remove_vm(SUB_A, "pay-0001")
    armhub.resize_vm(SUB_B, "dev-001", "Standard_D4_v2")
    before, drift_rows = inventory_state(), Drift.objects.count()
    # The second subscription's disks answer 401: the first subscription is read already.
    armhub.fail(f"/subscriptions/{SUB_B}/providers/Microsoft.Compute/disks", 401)
    done = sync(estate["conn"])
    assert done.status == SyncStatus.FAILED
    assert done.message.startswith("credentials:") and "401" in done.message
    assert "Renew the secret" in done.message
    assert inventory_state() == before and Drift.objects.count() == drift_rows
    conn = HubConnection.objects.get(pk=estate["conn"].pk)
    assert conn.status == SyncStatus.FAILED and "credentials" in conn.status_message


def test_a_wrong_secret_is_refused_by_the_identity_provider(armhub, estate, monkeypatch):
    far_end(armhub, pay_vms=5, web_vms=0, dev_vms=0, other=0)
    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    done = sync(estate["conn"])
    assert done.status == SyncStatus.FAILED
    assert done.message.startswith("credentials:") and "secret" in done.message
    assert not VirtualMachine.objects.filter(application=estate["pay"]).exists()


def test_a_listing_that_lacks_most_known_vms_is_not_applied(armhub, estate):
    far_end(armhub, pay_vms=100, web_vms=0, dev_vms=0, other=0)
    first = sync(estate["conn"])
    assert first.status == SyncStatus.SUCCEEDED, first.message
    for i in range(60):
        armhub.remove_vm(SUB_A, f"pay-{i:04d}")
    before = inventory_state()
    done = sync(estate["conn"])
    assert done.status == SyncStatus.FAILED
    assert "Reader on the whole subscription" in done.message
    assert inventory_state() == before


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "step", "words"),
    [
        ({"arm_endpoint": "https://hub.invalid"}, "name resolution", "does not resolve"),
        ({"arm_endpoint": "https://127.0.0.1:{closed}"}, "endpoint", "Nothing answers"),
        ({"ca_bundle": ""}, "TLS", "not trusted"),
        ({"secret_from": "TEST_HUB_NO_SUCH_SECRET"}, "secret", "is not set"),
        ({"client_id": "00000000-dead-beef-0000-000000000000"}, "credentials", "refused"),
        ({"fault": 403}, "permissions", "Reader role"),
        ({"fault": 404}, "permissions", "does not know"),
    ],
)
def test_test_connection_says_what_failed(armhub, estate, change, step, words):
    conn = estate["conn"]
    far_end(armhub, pay_vms=2, web_vms=0, dev_vms=0, other=0)
    if change.get("fault") == 403:
        armhub.fail(f"/subscriptions/{SUB_B}/", 403)
    elif change.get("fault") == 404:
        armhub.subscriptions.pop(SUB_B)
    else:
        for field, value in change.items():
            setattr(conn, field, value.format(closed=_closed_port()))
        conn.save()
    checks = hubs.check_connection(conn)
    assert not checks[-1].ok and all(c.ok for c in checks[:-1])
    assert checks[-1].step == step and words in checks[-1].message
    conn.refresh_from_db()
    assert conn.status_message.startswith(f"Test failed at {step}")


def test_test_connection_passes_against_a_working_hub(armhub, estate):
    checks = hubs.check_connection(estate["conn"])
    assert all(c.ok for c in checks)
    assert [c.step for c in checks] == [
        "secret",
        "name resolution",
        "TLS",
        "credentials",
        "permissions",
        "permissions",
    ]


def test_api_versions_are_the_hybrid_profiles():
    assert hubs.api_versions() == {
        "virtual machines, scale sets": "2020-06-01",
        "disks": "2019-07-01",
        "metadata": "2015-01-01",
    }


def test_beat_requests_a_sync_of_enabled_connections_only(armhub, estate):
    other = HubConnection.objects.create(
        name="hub 2",
        cloud=estate["sub_a"].cloud,
        arm_endpoint=armhub.url,
        tenant_id="adfs",
        client_id="x",
        secret_from=SECRET_ENV,
        sync_enabled=False,
    )
    assert hubs.sync_due_connections() == 1
    assert HubSync.objects.filter(connection=estate["conn"], trigger="schedule").count() == 1
    assert not HubSync.objects.filter(connection=other).exists()
    assert hubs.sync_due_connections() == 0  # the pending one is not doubled


@pytest.fixture
def reference_rows():
    """A transactional test may follow one that flushed the reference rows (test_backup)."""
    reference.load(django_apps)


@pytest.mark.django_db(transaction=True)
def test_sync_on_demand_runs_on_the_sizing_worker_with_progress(
    reference_rows, armhub, estate, start_worker
):
    far_end(armhub, pay_vms=400, web_vms=10, dev_vms=40, other=0)
    start_worker("sizing", **{SECRET_ENV: armhub.secret})
    s = hubs.request_sync(estate["conn"])
    deadline = time.monotonic() + 120
    seen_running = False
    while time.monotonic() < deadline:
        s.refresh_from_db()
        seen_running |= s.status == SyncStatus.RUNNING
        if s.status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED):
            break
        time.sleep(0.05)
    assert s.status == SyncStatus.SUCCEEDED, s.message
    assert s.vms_read == 453 and s.subscriptions_done == 2 and s.started_at and s.finished_at
    assert VirtualMachine.objects.filter(application=estate["pay"]).count() == 443


def test_an_endpoint_that_is_down_fails_the_sync_and_changes_nothing(armhub, estate):
    far_end(armhub, pay_vms=10, web_vms=2, dev_vms=0, other=0)
    assert sync(estate["conn"]).status == SyncStatus.SUCCEEDED
    before, drift_rows = inventory_state(), Drift.objects.count()
    armhub.stop()  # the hub goes away
    done = sync(estate["conn"])
    assert done.status == SyncStatus.FAILED
    assert done.message.startswith("endpoint:") and "Nothing answers" in done.message
    assert inventory_state() == before and Drift.objects.count() == drift_rows
    conn = HubConnection.objects.get(pk=estate["conn"].pk)
    assert conn.status == SyncStatus.FAILED and conn.last_synced_at is not None


def test_a_hub_that_signs_in_with_ad_fs(armhub, estate):
    """A disconnected hub's identity provider is AD FS: the metadata's login endpoint ends in
    /adfs and the tenant is "adfs", whatever the connection says."""
    armhub.adfs = True
    far_end(armhub, pay_vms=3, web_vms=0, dev_vms=0, other=0)
    done = sync(estate["conn"])
    assert done.status == SyncStatus.SUCCEEDED, done.message
    assert armhub.count("/adfs/oauth2/v2.0/token", 200) == 1
    assert VirtualMachine.objects.filter(application=estate["pay"]).count() == 6
