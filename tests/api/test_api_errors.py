"""Errors are JSON a person can act on, never a 500 for bad input.

Two of them DRF turns into a 500 by default (RELIABILITY.md): a database constraint the
serializer did not check (here a serializer as DRF generates it, with its checks switched off,
so the database is the one to refuse: as in a race between two requests) and JSON nested
100,000 deep. And the writable serializers take only what the role may set: read-only fields
sent in a body change nothing.
"""

from __future__ import annotations

import io
import json

import pytest
from rest_framework import mixins, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory, force_authenticate

from planner.models import Application, Disk, PlanRevision, SizingRun
from portal.api.base import ApiViewSet
from tests.api.support import client_for

# One estate for the module (tests/shared.py): each test gets a clean copy of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("estate_once")]

DEEP = 100_000


def _deep(depth: int = DEEP) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


# --- JSON nested 100,000 deep ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", lambda e: "/api/v1/applications/"),
        ("patch", lambda e: f"/api/v1/applications/{e.app.pk}/"),
        ("post", lambda e: "/api/v1/vms/opt-in/"),
        ("post", lambda e: "/api/v1/runs/"),
        ("post", lambda e: f"/api/v1/plans/{e.plan.pk}/verify/"),
        ("post", lambda e: "/api/v1/auth/token/"),
    ],
)
def test_json_nested_100000_deep_is_a_400_that_says_so(estate, users, method, url):
    client = client_for(users["owner"])
    response = getattr(client, method)(url(estate), _deep(), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "nested too deeply" in body["detail"]


def test_an_inventory_file_nested_100000_deep_is_a_400_naming_the_file(estate, users):
    deep = io.BytesIO(b"[" * DEEP + b"]" * DEEP)
    deep.name = "vms.json"
    response = client_for(users["owner"]).post(
        "/api/v1/inventory/preview/",
        {"file": deep, "application": estate.app.pk, "subscription": estate.subscription.pk},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["fields"]) == ["file"], body
    assert body["detail"].startswith("file: ")


def test_json_nested_a_little_is_validated_as_usual(estate, users):
    response = client_for(users["owner"]).post(
        "/api/v1/applications/", b'{"name": [[["x"]]]}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "name" in response.json()["fields"]


# --- database constraints the serializer did not check --------------------------------------


class UncheckedDiskSerializer(serializers.ModelSerializer):
    """What DRF generates for Disk, with its unique-together check and the size's range
    switched off: the database is left to refuse a duplicate name, used > provisioned or a
    size out of range."""

    class Meta:
        model = Disk
        fields = ["id", "vm", "name", "lun", "provisioned_gib", "used_gib"]
        extra_kwargs = {"provisioned_gib": {"validators": []}}

    def get_validators(self):
        return []


class UncheckedDiskViewSet(ApiViewSet, mixins.CreateModelMixin):
    serializer_class = UncheckedDiskSerializer
    permission_classes = [IsAuthenticated]
    queryset = Disk.objects.all()


def _post_unchecked(user, data):
    request = APIRequestFactory().post("/api/v1/disks/", data, format="json")
    force_authenticate(request, user=user)
    response = UncheckedDiskViewSet.as_view({"post": "create"})(request)
    response.render()
    return response


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "osdisk", "provisioned_gib": 64, "used_gib": 1}, "name", "already exists"),
        ({"name": "new", "provisioned_gib": 64, "used_gib": 65}, "used_gib", "cannot exceed"),
        ({"name": "new", "provisioned_gib": 1e12, "used_gib": 0}, "provisioned_gib", "65,536 GiB"),
    ],
)
def test_a_constraint_only_the_database_checks_is_a_400_naming_the_field(
    estate, olga, data, field, words
):
    before = Disk.objects.count()
    response = _post_unchecked(olga, {"vm": estate.vm.pk, **data})
    assert response.status_code == 400, response.content
    body = response.data
    assert list(body["fields"]) == [field], body
    assert words in body["fields"][field][0]
    assert body["detail"].startswith(f"{field}: ")
    assert Disk.objects.count() == before  # and the request's transaction was rolled back
    # The database connection is still usable after the refusal.
    assert (
        _post_unchecked(
            olga, {"vm": estate.vm.pk, "name": "ok", "provisioned_gib": 8, "used_gib": 1}
        ).status_code
        == 201
    )


def test_the_real_endpoints_check_those_constraints_before_the_database(estate, users):
    client = client_for(users["owner"])
    vm = client.get(f"/api/v1/vms/{estate.vm.pk}/").json()
    disks = [{"name": "osdisk", "provisioned_gib": 64, "used_gib": 80}]
    response = client.patch(f"/api/v1/vms/{estate.vm.pk}/", {"disks": disks}, format="json")
    assert response.status_code == 400
    assert "cannot exceed" in str(response.json()["fields"]["disks"])
    response = client.post(
        "/api/v1/vms/",
        {
            "application": estate.app.pk,
            "subscription": estate.subscription.pk,
            "resource_group": vm["resource_group"].upper(),
            "name": vm["name"].upper(),
            "os_type": "linux",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "name" in response.json()["fields"], response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"change_rate": 2}, "change_rate"),
        ({"boot_group": 9}, "boot_group"),
        ({"growth_per_year": -1}, "growth_per_year"),
    ],
)
def test_a_check_constraint_is_a_400_naming_the_field(estate, users, body, field):
    response = client_for(users["owner"]).patch(f"/api/v1/vms/{estate.vm.pk}/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_a_number_too_large_for_the_database_is_a_400(estate, users):
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.app.pk}/", {"rto_minutes": 2**70}, format="json"
    )
    assert response.status_code == 400
    assert "rto_minutes" in response.json()["fields"]


# --- writable serializers take only what the role may set -----------------------------------


def test_read_only_fields_of_an_app_change_nothing(estate, users, carol):
    client = client_for(users["owner"])
    before = Application.objects.get(pk=estate.app.pk)
    response = client.patch(
        f"/api/v1/applications/{estate.app.pk}/",
        {
            "description": "changed",
            "no_protection_by": "carol",
            "no_protection_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
            "vm_count": 999,
            "result": {"compliant": True},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    after = Application.objects.get(pk=estate.app.pk)
    assert after.description == "changed"
    assert after.no_protection_by_id is None and after.no_protection_at is None
    assert after.created_at == before.created_at
    assert response.json()["vm_count"] == 2


def test_no_protection_is_recorded_as_the_requesting_user(estate, users, alice):
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/",
        {"scheme": "none", "no_protection_why": "dev/test, rebuilt from templates"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["no_protection_by"] == "alice"
    response = client_for(users["owner"]).patch(
        f"/api/v1/applications/{estate.spare.pk}/", {"scheme": "none", "no_protection_why": ""}
    )
    assert response.status_code == 400
    assert "no_protection_why" in response.json()["fields"]


def test_a_run_request_sets_nothing_but_the_app(estate, users, alice):
    response = client_for(users["owner"]).post(
        "/api/v1/runs/",
        {
            "application": estate.app.pk,
            "status": "succeeded",
            "requested_by": "bob",
            "total_vms": 7,
        },
        format="json",
    )
    assert response.status_code == 202
    run = SizingRun.objects.get(pk=response.json()["id"])
    assert run.status == "pending" and run.requested_by == alice and run.total_vms != 7


def test_a_plan_is_created_only_with_what_the_service_decides(estate, users, alice):
    response = client_for(users["owner"]).post(
        "/api/v1/plans/",
        {"application": estate.spare.pk, "state": "approved", "number": 42, "sha256": "0" * 64},
        format="json",
    )
    assert response.status_code == 201, response.json()
    rev = PlanRevision.objects.get(pk=response.json()["id"])
    assert rev.state == "draft" and rev.number == 1 and rev.sha256 != "0" * 64
    assert rev.created_by == alice


def test_an_approver_can_change_nothing_in_the_estate(estate, users):
    client = client_for(users["approver"])
    for method, url, body in [
        ("post", "/api/v1/applications/", {"name": "x"}),
        ("patch", f"/api/v1/applications/{estate.app.pk}/", {"description": "x"}),
        ("patch", f"/api/v1/vms/{estate.vm.pk}/", {"opted_in": False}),
        ("post", "/api/v1/vms/opt-in/", {"vms": [estate.vm.pk], "opted_in": False}),
        ("post", "/api/v1/sites/", {"name": "x", "country": "DE"}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.status_code)
        assert response.json()["detail"]


def test_an_operator_edits_a_catalog_row_and_a_bad_value_names_the_field(estate, users):
    client = client_for(users["operator"])
    response = client.post("/api/v1/sites/", {"name": "Site Lyon", "country": "fr"})
    assert response.status_code == 201 and response.json()["country"] == "FR"
    response = client.post("/api/v1/sites/", {"name": "Site Lyon", "country": "FR"})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["name"]
    response = client.post("/api/v1/sites/", {"name": "Site Nowhere", "country": "123"})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["country"]


def test_every_error_has_the_one_shape(estate, users):
    client = client_for(users["owner"])
    answers = [
        client_for(None).get("/api/v1/applications/"),  # 401
        client.get(f"/api/v1/applications/{estate.other_app.pk}/"),  # 404
        client.get("/api/v1/applications/abc/"),  # 404, not a number
        client.delete(f"/api/v1/applications/{estate.spare.pk}/"),  # 403
        client.post("/api/v1/applications/", {}, format="json"),  # 400
        client.post("/api/v1/applications/", b"not json", content_type="application/json"),
        client.post("/api/v1/applications/", b"<x/>", content_type="application/xml"),  # 415
        client.put(f"/api/v1/plans/{estate.plan.pk}/", {}, format="json"),  # 405
    ]
    for response in answers:
        assert response.status_code >= 400
        assert response["Content-Type"].startswith("application/json"), response
        body = response.json()
        assert isinstance(body["detail"], str) and body["detail"], body
        assert isinstance(body["code"], str) and body["code"], body


@pytest.mark.parametrize(
    "value, status",
    [
        ("0121-11-11T09:15:48-19:30", 200),  # Python takes the offset, PostgreSQL would not
        ("2026-11-11T09:15:48+14:00", 200),
        ("0001-01-01T00:30:00+01:00", 400),  # before year 1 once taken to UTC
        ("yesterday", 400),
    ],
)
def test_a_date_time_filter_never_reaches_the_database_out_of_range(estate, users, value, status):
    client = client_for(users["operator"])
    response = client.get("/api/v1/drills/", {"started_after": value})
    assert response.status_code == status, response.content
    if status == 400:
        assert "started_after" in response.json()["fields"]
    # The connection (and the test's transaction) is still usable.
    assert client.get("/api/v1/drills/").status_code == 200
    assert Application.objects.filter(pk=estate.app.pk).exists()


def test_a_date_time_with_an_offset_postgresql_refuses_is_stored_in_utc(estate, users):
    client = client_for(users["owner"])
    response = client.post(
        "/api/v1/drills/",
        {
            "application": estate.app.pk,
            "started_at": "2026-01-10T04:00:00-19:30",
            "restored_at": "2026-01-10T06:00:00-19:30",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    drill = estate.app.drills.get(pk=response.json()["id"])
    assert drill.started_at.isoformat() == "2026-01-10T23:30:00+00:00"
    assert client.get("/api/v1/drills/").status_code == 200


def test_an_inventory_with_its_disk_listing_fills_the_disk_sizes(estate, users):
    from tests.unit.test_inventory_parse import AZ_DISKS, NO_SIZES

    def post(disks: bytes | None):
        vms = io.BytesIO(json.dumps(NO_SIZES).encode())
        vms.name = "vms.json"
        form = {"file": vms, "application": estate.app.pk, "subscription": estate.subscription.pk}
        if disks is not None:
            form["disks"] = io.BytesIO(disks)
            form["disks"].name = "disks.json"
        return client_for(users["owner"]).post(
            "/api/v1/inventory/preview/", form, format="multipart"
        )

    alone = post(None).json()
    assert alone["counts"]["reject"] == 1 and "az disk list" in alone["rows"][0]["detail"]
    assert post(json.dumps(AZ_DISKS).encode()).json()["counts"]["create"] == 1
    bad = post(b"{")
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["disks"]
