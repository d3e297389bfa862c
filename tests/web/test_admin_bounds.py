"""The admin with issue 15's inputs: deleting a submitted or approved plan, or an app with one,
is refused with a message naming the plan (it was a 500, RevisionLocked), one at a time or in
bulk; a search of 60,000 characters is a message; values out of range are refused under their
field as in the portal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import Application, PlanRevision
from planner.services import plans
from tests.api.support import build_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(alice, bob, carol):
    estate = build_estate(alice, bob)  # app: r1 submitted; spare: no plan
    return estate


def _body(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_deleting_an_app_with_a_submitted_plan_is_refused_with_a_message(client, olga, estate):
    client.force_login(olga)
    url = reverse("admin:planner_application_delete", args=[estate.app.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "alice-payroll plan r1 (submitted): submitted and signed plans" in _body(page)
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200 and "cannot be deleted" in _body(response)
    assert Application.objects.filter(pk=estate.app.pk).exists()
    assert PlanRevision.objects.filter(pk=estate.plan.pk, state="submitted").exists()


def test_deleting_an_approved_plan_is_refused_with_a_message(client, olga, carol, estate):
    plans.approve_revision(estate.plan, carol, "Fine.")
    client.force_login(olga)
    url = reverse("admin:planner_planrevision_delete", args=[estate.plan.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "alice-payroll plan r1 (approved)" in _body(response)
    assert PlanRevision.objects.filter(pk=estate.plan.pk, state="approved").exists()


def test_deleting_in_bulk_refuses_all_when_one_app_has_a_signed_plan(client, olga, estate):
    client.force_login(olga)
    response = client.post(
        reverse("admin:planner_application_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [estate.app.pk, estate.spare.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 200
    assert "alice-payroll plan r1 (submitted)" in _body(response)
    assert Application.objects.filter(pk__in=[estate.app.pk, estate.spare.pk]).count() == 2


def test_an_app_without_a_signed_plan_is_still_deleted(client, olga, estate):
    client.force_login(olga)
    url = reverse("admin:planner_application_delete", args=[estate.spare.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Application.objects.filter(pk=estate.spare.pk).exists()


@pytest.mark.parametrize("model", ["virtualmachine", "application", "disk", "finding"])
def test_an_admin_search_of_60000_characters_is_a_message(client, olga, estate, model):
    client.force_login(olga)
    response = client.get(reverse(f"admin:planner_{model}_changelist"), {"q": "x" * 60_000})
    assert response.status_code == 200
    assert "search for at most 200" in _body(response)
    assert not list(response.context["cl"].result_list)


def test_the_admin_refuses_a_link_out_of_range_under_the_field(client, olga, estate):
    client.force_login(olga)
    url = reverse("admin:planner_application_change", args=[estate.spare.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "link_mbps": "0.00001",
            "owner": estate.spare.owner_id,
            "vms-TOTAL_FORMS": "0",
            "vms-INITIAL_FORMS": "0",
            "drills-TOTAL_FORMS": "0",
            "drills-INITIAL_FORMS": "0",
            "findings-TOTAL_FORMS": "0",
            "findings-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "0.1 to 400,000 Mbit/s" in " ".join(errors["link_mbps"]), errors
    estate.spare.refresh_from_db()
    assert estate.spare.link_mbps == 1000


def test_the_admin_adds_no_65th_data_disk(client, olga, estate):
    from planner.models import Disk

    Disk.objects.filter(vm=estate.vm2).delete()
    Disk.objects.bulk_create(
        Disk(vm=estate.vm2, name=f"d{i}", lun=i, provisioned_gib=8, used_gib=1) for i in range(64)
    )
    client.force_login(olga)
    response = client.post(
        reverse("admin:planner_disk_add"),
        {"vm": estate.vm2.pk, "name": "one-more", "lun": 5, "provisioned_gib": 8, "used_gib": 1},
    )
    assert response.status_code == 200
    assert "has 64 data disks already" in " ".join(response.context["adminform"].form.errors["lun"])
    assert Disk.objects.filter(vm=estate.vm2).count() == 64
