"""Inventory import through the portal and its service: preview row by row, commit all or
nothing, re-import changes nothing, refusals say why; 10,000 VMs at once
(bench/import_inventory.py times it)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planner.models import Disk, VirtualMachine
from planner.services import inventory
from tests.unit.test_inventory_parse import AZ_CLI
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(alice, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads waiting for their commit land here
    return build(alice, bob)


def upload(client, estate, data, name="vms.json", **extra):
    form = {
        "file": SimpleUploadedFile(name, data),
        "application": estate.app.pk,
        "subscription": estate.vm.subscription_id,
        "fill_ratio": "0.6",
        **extra,
    }
    return client.post(reverse("inventory-upload"), form)


def test_upload_preview_commit_and_reimport(client, estate, alice):
    client.force_login(alice)
    response = upload(client, estate, json.dumps(AZ_CLI).encode(), opt_in="on")
    assert response.status_code == 302
    preview_url = response["Location"]
    page = client.get(preview_url)
    body = page.content.decode()
    assert page.context["counts"] == {"create": 2, "update": 0, "unchanged": 0, "reject": 0}
    assert "60% of its provisioned size" in body and "sql-01" in body
    assert not VirtualMachine.objects.filter(name="sql-01").exists()  # nothing written yet

    response = client.post(preview_url, follow=True)
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in response.content.decode()
    sql = VirtualMachine.objects.get(name="sql-01")
    assert sql.application == estate.app and sql.opted_in and sql.role == "database"
    assert sql.size.name == "Standard_E8_v3"
    assert sorted(sql.disks.values_list("name", "provisioned_gib", "used_gib")) == [
        ("sql-01_OsDisk", 127.0, 76.2),
        ("sql-01_data0", 512.0, 307.2),
        ("sql-01_data1", 256.0, 153.6),
    ]
    assert client.get(preview_url).status_code == 404  # committed: the upload is gone

    # the same file again: nothing to do, and nothing changes
    before = list(Disk.objects.order_by("pk").values_list("pk", "provisioned_gib", "used_gib"))
    response = upload(client, estate, json.dumps(AZ_CLI).encode())
    page = client.get(response["Location"])
    assert page.context["counts"] == {"create": 0, "update": 0, "unchanged": 2, "reject": 0}
    assert "Nothing to import" in page.content.decode()
    client.post(response["Location"])
    after = list(Disk.objects.order_by("pk").values_list("pk", "provisioned_gib", "used_gib"))
    assert before == after


def test_changed_file_updates_and_keeps_entered_used_space(estate):
    parsed = inventory.parse_inventory(json.dumps(AZ_CLI).encode(), "vms.json")
    args = {"application": estate.app, "subscription": estate.vm.subscription}
    inventory.import_inventory(parsed, **args)
    disk = Disk.objects.get(name="sql-01_data0")
    disk.used_gib = 100
    disk.save()
    changed = json.loads(json.dumps(AZ_CLI))
    changed[0]["storageProfile"]["dataDisks"] = [
        {"lun": 0, "name": "sql-01_data0", "diskSizeGb": 1024}
    ]
    changed[1]["hardwareProfile"]["vmSize"] = "Standard_D4_v2"
    parsed = inventory.parse_inventory(json.dumps(changed).encode(), "vms.json")
    preview = inventory.preview_import(parsed, **args)
    details = {r.name: (r.action, r.detail) for r in preview.rows}
    assert details["sql-01"][0] == "update" and "512 → 1024 GiB" in details["sql-01"][1]
    assert "sql-01_data1 removed" in details["sql-01"][1]
    assert details["web-01"] == ("update", "size → Standard_D4_v2")
    outcome = inventory.import_inventory(parsed, **args)
    assert (outcome.created, outcome.updated) == (0, 2)
    disk.refresh_from_db()
    assert (disk.provisioned_gib, disk.used_gib) == (1024, 100)
    assert not Disk.objects.filter(name="sql-01_data1").exists()
    assert VirtualMachine.objects.get(name="web-01").size.name == "Standard_D4_v2"


def test_vm_of_another_app_is_rejected_not_moved(estate, alice, olga):
    vms = json.loads(json.dumps(AZ_CLI))
    vms[0]["name"] = estate.other_vm.name
    vms[0]["resourceGroup"] = estate.other_vm.resource_group
    parsed = inventory.parse_inventory(json.dumps(vms).encode(), "vms.json")
    args = {"application": estate.app, "subscription": estate.vm.subscription}
    for user in (alice, None):  # bob's app is not named to alice (nor to nobody)
        preview = inventory.preview_import(parsed, **args, user=user)
        rejected = [r for r in preview.rows if r.action == "reject"]
        assert len(rejected) == 1
        assert "already registered in an app you cannot change" in rejected[0].detail
        assert "bob-crm" not in rejected[0].detail
    preview = inventory.preview_import(parsed, **args, user=olga)  # an operator may change it
    rejected = [r for r in preview.rows if r.action == "reject"]
    assert "already registered in app 'bob-crm'" in rejected[0].detail
    inventory.import_inventory(parsed, **args)
    estate.other_vm.refresh_from_db()
    assert estate.other_vm.application == estate.other_app


def test_commit_is_all_or_nothing(estate, monkeypatch):
    parsed = inventory.parse_inventory(json.dumps(AZ_CLI).encode(), "vms.json")

    def broken(*args, **kwargs):
        raise RuntimeError("disk write failed")

    monkeypatch.setattr(Disk.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        inventory.import_inventory(
            parsed, application=estate.app, subscription=estate.vm.subscription
        )
    assert not VirtualMachine.objects.filter(name__in=["sql-01", "web-01"]).exists()


def test_too_large_and_wrong_kind_are_refused_with_a_clear_message(client, estate, alice, settings):
    client.force_login(alice)
    settings.INVENTORY_MAX_UPLOAD_BYTES = 100
    body = upload(client, estate, b"[" + b" " * 200 + b"]").content.decode()
    assert "the limit is 0.0 MiB" in body and "Split the inventory" in body
    settings.INVENTORY_MAX_UPLOAD_BYTES = 1_000_000
    body = upload(client, estate, b"PK\x03\x04zip", name="vms.xlsx").content.decode()
    assert "neither JSON nor CSV" in body


def test_subscription_must_be_in_the_apps_source_cloud(client, estate, alice):
    from tests.factories import SubscriptionFactory

    client.force_login(alice)
    body = upload(
        client, estate, json.dumps(AZ_CLI).encode(), subscription=SubscriptionFactory().pk
    ).content.decode()
    assert "pick a subscription of that cloud" in body


def test_cannot_import_into_another_owners_app(client, estate, bob):
    client.force_login(bob)
    body = upload(client, estate, json.dumps(AZ_CLI).encode()).content.decode()
    assert "Select a valid choice" in body
    assert not VirtualMachine.objects.filter(name="sql-01").exists()


def test_ten_thousand_vms_import_and_reimport_changes_nothing(estate):
    # How long it takes is bench/import_inventory.py's to print, not a test's to assert.
    vms = []
    for i in range(10_000):
        vms.append(
            {
                "name": f"bulk-{i:05d}",
                "resourceGroup": f"rg-{i % 20}",
                "hardwareProfile": {"vmSize": "Standard_D2_v2"},
                "storageProfile": {
                    "osDisk": {"osType": "Windows", "diskSizeGb": 127, "name": "os"},
                    "dataDisks": [{"lun": 0, "name": "d0", "diskSizeGb": 256}],
                },
            }
        )
    data = json.dumps(vms).encode()
    args = {"application": estate.app, "subscription": estate.vm.subscription}
    outcome = inventory.import_inventory(inventory.parse_inventory(data, "big.json"), **args)
    assert (
        outcome.created == 10_000
        and Disk.objects.filter(vm__name__startswith="bulk-").count() == 20_000
    )
    again = inventory.preview_import(inventory.parse_inventory(data, "big.json"), **args)
    assert again.counts["unchanged"] == 10_000


def test_the_preview_page_never_names_another_owners_app(client, estate, alice):
    vms = json.loads(json.dumps(AZ_CLI))
    vms[0]["name"] = estate.other_vm.name
    vms[0]["resourceGroup"] = estate.other_vm.resource_group
    client.force_login(alice)
    response = upload(client, estate, json.dumps(vms).encode())
    page = client.get(response["Location"]).content.decode()
    assert "already registered in an app you cannot change" in page
    assert "bob-crm" not in page


def test_vm_listing_without_disk_sizes_imports_with_the_disk_listing(client, estate, alice):
    from tests.unit.test_inventory_parse import AZ_DISKS, NO_SIZES

    client.force_login(alice)
    alone = upload(client, estate, json.dumps(NO_SIZES).encode())
    page = client.get(alone["Location"])
    assert page.context["counts"]["reject"] == 1
    assert "az disk list --output json" in page.content.decode()
    disks = SimpleUploadedFile("disks.json", json.dumps(AZ_DISKS).encode())
    both = upload(client, estate, json.dumps(NO_SIZES).encode(), disks=disks)
    assert both.status_code == 302
    assert client.get(both["Location"]).context["counts"]["create"] == 1
    client.post(both["Location"])
    vm = VirtualMachine.objects.get(name="pay-01")
    assert sorted(vm.disks.values_list("name", "provisioned_gib")) == [
        ("pay-01_OsDisk", 127.0),
        ("pay-01_data0", 512.0),
    ]
    bad = upload(
        client, estate, json.dumps(NO_SIZES).encode(), disks=SimpleUploadedFile("d.json", b"{")
    )
    assert bad.status_code == 200 and "az disk list --output json" in bad.content.decode()
