"""Writes go through planner.services.actions, so the portal, the API and the admin agree: moving a
VM re-sizes the app it left as well as the one it joined; the admin refuses an RTO beyond the
MTPD as the portal and the API do; bulk opt-in is all or none everywhere."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from planner.models import SizingRun, VirtualMachine
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(alice, bob):
    return build(alice, bob)


class _Form(HTMLParser):
    """The values a browser would post for the page's form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.data[self._textarea][0]  # a browser drops the newline after the tag
            self.data[self._textarea][0] = value[1:] if value.startswith("\n") else value
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def admin_form(client, url) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(client.get(url).content.decode())
    return parser.data


def edit_runs(app) -> int:
    return SizingRun.objects.filter(application=app, trigger="edit").count()


def test_moving_a_vm_in_the_portal_resizes_both_apps(client, estate, olga):
    client.force_login(olga)  # an operator may change both apps
    vm = estate.vm
    data = {
        "application": estate.other_app.pk,
        "subscription": vm.subscription_id,
        "resource_group": vm.resource_group,
        "name": vm.name,
        "os_type": vm.os_type,
        "role": vm.role,
        "change_rate": "0.05",
        "growth_per_year": "0.1",
        "disks-TOTAL_FORMS": "0",
        "disks-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("vm-edit", args=[vm.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert VirtualMachine.objects.get(pk=vm.pk).application == estate.other_app
    assert edit_runs(estate.other_app) == 1
    assert edit_runs(estate.app) == 1  # the app it left no longer counts this VM


def test_moving_a_vm_in_the_admin_resizes_both_apps(client, estate, olga):
    client.force_login(olga)
    url = reverse("admin:planner_virtualmachine_change", args=[estate.vm.pk])
    data = admin_form(client, url)
    data["application"] = [str(estate.other_app.pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert VirtualMachine.objects.get(pk=estate.vm.pk).application == estate.other_app
    assert edit_runs(estate.other_app) == 1
    assert edit_runs(estate.app) == 1


def test_the_admin_refuses_an_rto_beyond_the_mtpd(client, estate, olga):
    client.force_login(olga)
    app = estate.app
    url = reverse("admin:planner_application_change", args=[app.pk])
    data = admin_form(client, url)
    data["rto_minutes"], data["mtpd_minutes"] = ["600"], ["240"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "must fit within the MTPD" in response.content.decode()
    app.refresh_from_db()
    assert (app.rto_minutes, app.mtpd_minutes) != (600, 240)
    assert edit_runs(app) == 0
    data["mtpd_minutes"] = ["720"]  # within: saved, and re-sized
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    app.refresh_from_db()
    assert (app.rto_minutes, app.mtpd_minutes) == (600, 720)
    assert edit_runs(app) == 1


def test_bulk_opt_in_in_the_portal_is_all_or_none_as_in_the_api(client, estate, alice):
    client.force_login(alice)
    VirtualMachine.objects.update(opted_in=False)
    response = client.post(
        reverse("vm-bulk-opt"),
        {"action": "opt_in", "select": [estate.vm.pk, estate.other_vm.pk], "next": "/vms/"},
        follow=True,
    )
    assert "1 of these VMs do not exist or are not yours to change" in response.content.decode()
    assert not VirtualMachine.objects.filter(opted_in=True).exists()
    assert edit_runs(estate.app) == 0
    client.post(reverse("vm-bulk-opt"), {"action": "opt_in", "select": [estate.vm.pk]})
    assert list(VirtualMachine.objects.filter(opted_in=True)) == [estate.vm]
    assert edit_runs(estate.app) == 1
