"""Bounded inputs through the API (issue 15): each reproduction is a 400 naming the field and the
allowed range, never a 500, a stored Infinity or a sizing run that never ends; every import
problem is a rejected row, and a commit never fails after its preview said "create"; searches
are at most 200 characters."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planner.models import Application, Disk, VirtualMachine
from tests.api.support import client_for
from tests.unit.test_inventory_bounds import BAD_FILES

# One estate for the module (tests/shared.py): each test gets a clean copy of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("estate_once")]


def _fields(response) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    return response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"link_mbps": 1e-5}, "link_mbps", "0.1 to 400,000 Mbit/s"),
        ({"link_mbps": 1e308}, "link_mbps", "0.1 to 400,000 Mbit/s"),
        ({"link_mbps": 0}, "link_mbps", "0.1 to 400,000 Mbit/s"),
        ({"growth_horizon_days": 3_000_000}, "growth_horizon_days", "0 to 3,650 days"),
        ({"rto_minutes": 6_000_000}, "rto_minutes", "0 to 5,256,000 minutes"),
        ({"replication_interval_minutes": 0}, "replication_interval_minutes", "1 to 1,440"),
        ({"name": "n" * 81}, "name", "80"),
        ({"name": "pay\x00roll"}, "name", "Null characters are not allowed"),
        ({"name": "pay\troll"}, "name", "control character (U+0009)"),
        ({"description": "a\x00b"}, "description", "Null characters are not allowed"),
    ],
)
def test_an_app_value_out_of_range_is_a_400_naming_the_field_and_range(
    estate, users, body, field, words
):
    before = Application.objects.filter(pk=estate.spare.pk).values().get()
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/", body, format="json"
    )
    fields = _fields(response)
    assert list(fields) == [field] and words in " ".join(fields[field]), fields
    assert Application.objects.filter(pk=estate.spare.pk).values().get() == before


@pytest.mark.parametrize("raw", ["1e999", "-1e999"])
def test_json_that_reads_as_infinity_is_a_400_naming_the_field(estate, users, raw):
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/",
        f'{{"link_mbps": {raw}}}',
        content_type="application/json",
    )
    fields = _fields(response)
    assert fields["link_mbps"] == ["Give a finite number from 0.1 to 400,000 Mbit/s."]


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(estate, users, raw):
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/",
        f'{{"link_mbps": {raw}}}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Application.objects.get(pk=estate.spare.pk).link_mbps == 1000


def test_a_value_in_range_is_taken(estate, users):
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/",
        {"link_mbps": 0.1, "growth_horizon_days": 3650, "name": "s" * 80},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["link_mbps"] == 0.1


def _vm_body(estate, **changes) -> dict:
    return {
        "application": estate.app.pk,
        "subscription": estate.subscription.pk,
        "resource_group": "rg-bounds",
        "name": "bounds-01",
        "os_type": "linux",
        "disks": [{"name": "osdisk", "provisioned_gib": 30, "used_gib": 10}],
        **changes,
    }


def _disk(**changes) -> dict:
    return {"name": "data", "lun": 0, "provisioned_gib": 8, "used_gib": 1, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"disks": [_disk(provisioned_gib=1e12, used_gib=1)]}, "disks", "1 to 65,536 GiB"),
        ({"disks": [_disk(provisioned_gib=0.5, used_gib=0)]}, "disks", "1 to 65,536 GiB"),
        ({"disks": [_disk(lun=70_000)]}, "disks", "0 to 63"),
        ({"disks": [_disk(lun=-1)]}, "disks", "0 to 63"),
        ({"disks": [_disk(lun=1e20)]}, "disks", "0 to 63"),
        ({"disks": [_disk(name="d" * 5000)]}, "disks", "80"),
        ({"disks": [_disk(name="d\x00")]}, "disks", "Null characters"),
        (
            {"disks": [_disk(name=f"d{i}", lun=i % 64) for i in range(66)]},
            "disks",
            "no more than 65",
        ),
        (
            {"disks": [_disk(name="a", lun=3), _disk(name="b", lun=3)]},
            "disks",
            "Two data disks are on LUN 3",
        ),
        ({"name": "v" * 5000}, "name", "80"),
        ({"name": "vm\x00"}, "name", "Null characters"),
        ({"resource_group": "r" * 91}, "resource_group", "90"),
        ({"scale_set": "s\ns"}, "scale_set", "control character (U+000A)"),
        ({"growth_per_year": 10.5}, "growth_per_year", "between 0 % and 1,000 % a year"),
        ({"change_rate": -0.1}, "change_rate", "between 0 % and 100 %"),
    ],
)
def test_a_vm_value_out_of_range_is_a_400_naming_the_field_and_range(
    estate, users, changes, field, words
):
    response = client_for(users["owner"]).post(
        "/api/v1/vms/", _vm_body(estate, **changes), format="json"
    )
    fields = _fields(response)
    assert list(fields) == [field] and words in json.dumps(fields[field]), fields
    assert not VirtualMachine.objects.filter(resource_group="rg-bounds").exists()


def test_a_vm_with_64_data_disks_on_luns_0_to_63_is_taken(estate, users):
    disks = [{"name": "os", "provisioned_gib": 30, "used_gib": 1}]
    disks += [_disk(name=f"d{i}", lun=i) for i in range(64)]
    response = client_for(users["owner"]).post(
        "/api/v1/vms/", _vm_body(estate, disks=disks), format="json"
    )
    assert response.status_code == 201, response.json()
    assert Disk.objects.filter(vm__name="bounds-01").count() == 65


# --- search strings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/vms/", "q"),
        ("/api/v1/applications/", "q"),
        ("/api/v1/vms/", "name"),
        ("/api/v1/vms/", "resource_group"),
        ("/api/v1/applications/", "owner"),
        ("/api/v1/findings/", "code"),
    ],
)
def test_a_search_longer_than_200_characters_is_a_400_naming_it(estate, users, url, param):
    client = client_for(users["owner"])
    fields = _fields(client.get(url, {param: "x" * 60_000}))
    assert list(fields) == [param]
    assert "at most 200 characters (this one has 60000)" in fields[param][0]
    assert client.get(url, {param: "x" * 200}).status_code == 200


# --- inventory import -------------------------------------------------------------------------


def _import(client, estate, step, case, **extra):
    _, filename, data, _, _ = case
    return client.post(
        f"/api/v1/inventory/{step}/",
        {
            "file": SimpleUploadedFile(filename, data),
            "application": estate.spare.pk,
            "subscription": estate.subscription.pk,
            **extra,
        },
        format="multipart",
    )


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_every_import_problem_is_a_rejected_row_and_the_commit_keeps_its_word(estate, users, case):
    client = client_for(users["owner"])
    preview = _import(client, estate, "preview", case)
    assert preview.status_code == 200, preview.content[:300]
    body = preview.json()
    assert body["counts"] == {"create": 1, "update": 0, "unchanged": 0, "reject": 1}
    (rejected,) = [r for r in body["rows"] if r["action"] == "reject"]
    assert case[4] in rejected["detail"]

    refused = _import(client, estate, "commit", case)  # rows rejected: nothing is imported
    assert "1 row(s) are rejected" in _fields(refused)["file"][0]
    assert not estate.spare.vms.exists()

    committed = _import(client, estate, "commit", case, skip_rejected="true")
    assert committed.status_code == 200, committed.content[:300]
    assert (committed.json()["created"], committed.json()["rejected"]) == (1, 1)
    assert list(estate.spare.vms.values_list("name", flat=True)) == ["sql-01"]


# --- signed plans are kept (the admin refuses the same: tests/web/test_admin_bounds.py) ------


def test_deleting_an_app_with_a_submitted_plan_is_a_409_naming_the_plan(estate, users):
    response = client_for(users["operator"]).delete(f"/api/v1/applications/{estate.app.pk}/")
    assert response.status_code == 409
    assert "plan revision r1 (submitted)" in response.json()["detail"]
    assert Application.objects.filter(pk=estate.app.pk).exists()
