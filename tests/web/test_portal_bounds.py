"""Bounded inputs through the portal's pages (issue 15): the app and VM forms refuse values out
of range with the range under the field; the what-if refuses a link beyond 400 Gbit/s; a
60,000-character search is a message, not a 500; every bad inventory file previews as a
rejected row with its reason and the commit imports the rest."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planner.models import Application, VirtualMachine
from tests.unit.test_inventory_bounds import BAD_FILES
from tests.web.test_portal_estate import build
from tests.web.test_portal_pages import _app_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(alice, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads waiting for their commit land here
    return build(alice, bob)


def _errors(response, field: str) -> str:
    assert response.status_code == 200
    return " ".join(response.context["form"].errors.get(field, []))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("link_mbps", "0.00001", "0.1 to 400,000 Mbit/s"),
        ("link_mbps", "1e308", "0.1 to 400,000 Mbit/s"),
        ("link_mbps", "inf", "Enter a finite number from 0.1 to 400,000 Mbit/s"),
        ("link_mbps", "nan", "Enter a finite number from 0.1 to 400,000 Mbit/s"),
        ("growth_horizon_days", "3000000", "0 to 3,650 days"),
        ("replication_interval_minutes", "2 d", "longer than 1 d"),
        ("name", "a" * 81, "at most 80 characters"),
        ("name", "pay\x00roll", "Null characters are not allowed"),
        ("name", "pay\x1broll", "control character (U+001B)"),
    ],
)
def test_the_app_form_refuses_a_value_out_of_range_under_its_field(
    client, estate, alice, field, value, words
):
    client.force_login(alice)
    response = client.post(reverse("app-create"), _app_post(estate, **{field: value}))
    assert words in _errors(response, field)
    assert not Application.objects.filter(name="new-app").exists()


def test_the_app_form_says_the_range_on_the_input(client, estate, alice):
    client.force_login(alice)
    form = client.get(reverse("app-create")).context["form"]
    link = form.fields["link_mbps"].widget.attrs
    assert (link["min"], link["max"], link["step"]) == ("0.1", "400000", "any")
    assert form.fields["growth_horizon_days"].widget.attrs["max"] == "3650"


def _vm_post(estate, **changes):
    data = {
        "application": estate.app.pk,
        "subscription": estate.vm.subscription_id,
        "resource_group": "rg-x",
        "name": "db-01",
        "os_type": "linux",
        "role": "database",
        "change_rate": "0.05",
        "growth_per_year": "0.1",
        "disks-TOTAL_FORMS": "2",
        "disks-INITIAL_FORMS": "0",
        "disks-0-name": "osdisk",
        "disks-0-provisioned_gib": "64",
        "disks-0-used_gib": "20",
        "disks-1-name": "data0",
        "disks-1-lun": "0",
        "disks-1-provisioned_gib": "100",
        "disks-1-used_gib": "50",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"disks-1-lun": "70000"}, "70,000 is outside the allowed range, 0 to 63"),
        ({"disks-1-lun": "-1"}, "Enter a whole number from 0 to 63"),
        ({"disks-1-provisioned_gib": "1e12"}, "1 to 65,536 GiB"),
        ({"disks-1-provisioned_gib": "inf"}, "Enter a finite number from 1 to 65,536 GiB"),
        ({"disks-1-name": "d" * 5000}, "at most 80 characters"),
        ({"name": "vm\x00"}, "Null characters are not allowed"),
        ({"growth_per_year": "11"}, "between 0 % and 1,000 % a year"),
        ({"disks-0-lun": "0"}, "Two data disks are on LUN 0"),
    ],
)
def test_the_vm_form_refuses_a_value_out_of_range(client, estate, alice, changes, words):
    client.force_login(alice)
    response = client.post(reverse("vm-create"), _vm_post(estate, **changes))
    assert response.status_code == 200
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not VirtualMachine.objects.filter(name="db-01").exists()


def test_the_vm_form_takes_at_most_64_data_disks(client, estate, alice):
    client.force_login(alice)
    data = _vm_post(estate, **{"disks-TOTAL_FORMS": "100"})
    for i in range(1, 100):
        data |= {
            f"disks-{i}-name": f"d{i}",
            f"disks-{i}-lun": str(i % 64),
            f"disks-{i}-provisioned_gib": "8",
            f"disks-{i}-used_gib": "1",
        }
    response = client.post(reverse("vm-create"), data)
    assert response.status_code == 200
    assert "Please submit at most 65 forms" in response.content.decode()
    assert not VirtualMachine.objects.filter(name="db-01").exists()


def test_the_whatif_refuses_a_link_beyond_400_gbit(client, estate, alice):
    client.force_login(alice)
    body = client.post(
        reverse("app-whatif", args=[estate.app.pk]),
        {"link_mbps": "500000"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Nothing was compared" in body and "less than or equal to 400000" in body


@pytest.mark.parametrize("url", ["/vms/", "/apps/"])
def test_a_search_of_60000_characters_is_a_message_not_a_500(client, estate, alice, url):
    client.force_login(alice)
    response = client.get(url, {"q": "x" * 60_000})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Search for at most 200 characters (this one has 60000)" in body
    assert not list(response.context["table"].page.object_list)
    found = client.get(url, {"q": "alice"})
    assert list(found.context["table"].page.object_list)


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_every_import_problem_is_a_rejected_row_on_the_page(client, estate, alice, case):
    _, filename, data, _, reason = case
    client.force_login(alice)
    response = client.post(
        reverse("inventory-upload"),
        {
            "file": SimpleUploadedFile(filename, data),
            "application": estate.app.pk,
            "subscription": estate.vm.subscription_id,
            "fill_ratio": "0.6",
        },
    )
    assert response.status_code == 302, response.content[:500]
    preview_url = response["Location"]
    page = client.get(preview_url)
    assert page.context["counts"] == {"create": 1, "update": 0, "unchanged": 0, "reject": 1}
    assert reason.replace("'", "&#x27;") in page.content.decode()

    done = client.post(preview_url, follow=True)
    assert done.status_code == 200
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in done.content.decode()
    assert estate.app.vms.filter(name="sql-01").exists()
