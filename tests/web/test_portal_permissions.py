"""Who may open what: every portal page × every role, as one table (RELIABILITY.md).

An owner sees and changes only their own apps and VMs (another owner's is a 404, in pages and
exports alike); an approver sees every app read-only (a change is a 403); an operator sees and
changes everything; an anonymous visitor is sent to the sign-in page.
"""

import pytest
from django.urls import reverse

from tests.conftest import _user
from tests.shared import module_rows, refetch
from tests.web.test_portal_estate import build

# One estate for the module (tests/shared.py): each test gets a clean copy of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("estate_once")]

# page -> (method, url builder, expected for alice (owner), bob (other owner), carol (approver),
# olga (operator)). 302 for a POST that succeeds (it redirects back to the app).
PAGES = {
    "dashboard": ("get", lambda e: reverse("dashboard"), (200, 200, 200, 200)),
    "app-list": ("get", lambda e: reverse("app-list"), (200, 200, 200, 200)),
    "app-list-csv": ("get", lambda e: reverse("app-list") + "?export=csv", (200, 200, 200, 200)),
    "app-create": ("get", lambda e: reverse("app-create"), (200, 200, 403, 200)),
    "app-detail": ("get", lambda e: e.app.get_absolute_url(), (200, 404, 200, 200)),
    "app-edit": ("get", lambda e: reverse("app-edit", args=[e.app.pk]), (200, 404, 403, 200)),
    "app-size": ("post", lambda e: reverse("app-size", args=[e.app.pk]), (302, 404, 403, 302)),
    "app-whatif": ("post", lambda e: reverse("app-whatif", args=[e.app.pk]), (200, 404, 200, 200)),
    "app-vms-csv": (
        "get",
        lambda e: reverse("app-vms-export", args=[e.app.pk]),
        (200, 404, 200, 200),
    ),
    "app-findings-csv": (
        "get",
        lambda e: reverse("app-findings-export", args=[e.app.pk]),
        (200, 404, 200, 200),
    ),
    "vm-list": ("get", lambda e: reverse("vm-list"), (200, 200, 200, 200)),
    "vm-list-csv": ("get", lambda e: reverse("vm-list") + "?export=csv", (200, 200, 200, 200)),
    "vm-create": ("get", lambda e: reverse("vm-create"), (200, 200, 403, 200)),
    "vm-create-for-app": (
        "get",
        lambda e: reverse("vm-create") + f"?app={e.app.pk}",
        (200, 404, 403, 200),
    ),
    "vm-detail": ("get", lambda e: e.vm.get_absolute_url(), (200, 404, 200, 200)),
    "vm-edit": ("get", lambda e: reverse("vm-edit", args=[e.vm.pk]), (200, 404, 403, 200)),
    "import": ("get", lambda e: reverse("inventory-upload"), (200, 200, 403, 200)),
    "import-for-app": (
        "get",
        lambda e: reverse("inventory-upload") + f"?app={e.app.pk}",
        (200, 404, 403, 200),
    ),
    "run-list": ("get", lambda e: reverse("run-list"), (200, 200, 200, 200)),
    "run-detail": ("get", lambda e: e.run.get_absolute_url(), (200, 404, 200, 200)),
    "run-progress": (
        "get",
        lambda e: reverse("run-progress", args=[e.run.pk]),
        (200, 404, 200, 200),
    ),
}
ROLES = ("owner", "other owner", "approver", "operator")


@pytest.fixture(scope="module")
def estate_once(django_db_setup, django_db_blocker):
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            estate = build(_user("alice", "owners"), _user("bob", "owners"))
        yield estate


@pytest.fixture
def estate(estate_once, alice, bob):
    return refetch(estate_once)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, estate, alice, bob, carol, olga, page, role):
    method, url, expected = PAGES[page]
    user = {"owner": alice, "other owner": bob, "approver": carol, "operator": olga}[role]
    client.force_login(user)
    response = getattr(client, method)(url(estate))
    assert response.status_code == expected[ROLES.index(role)], response.content[:500]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_sign_in(client, estate, page):
    method, url, _ = PAGES[page]
    response = getattr(client, method)(url(estate))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lists_and_exports_show_only_the_owners_own_rows(client, estate, bob):
    client.force_login(bob)
    for url in (reverse("app-list"), reverse("vm-list"), reverse("dashboard")):
        body = client.get(url).content.decode()
        assert "bob-crm" in body or "bob-vm-00" in body
        assert "alice-payroll" not in body and "alice-vm-00" not in body
    for url in (reverse("app-list") + "?export=csv", reverse("vm-list") + "?export=csv"):
        body = b"".join(client.get(url).streaming_content).decode()
        assert "alice" not in body and "bob" in body


def test_approver_sees_every_app_but_no_change_buttons(client, estate, carol):
    client.force_login(carol)
    body = client.get(estate.app.get_absolute_url()).content.decode()
    assert "read-only" in body
    assert reverse("app-edit", args=[estate.app.pk]) not in body
    assert 'name="select"' not in body  # no bulk opt-in checkboxes
    response = client.get(reverse("app-edit", args=[estate.app.pk]))
    assert "read-only" in response.content.decode()


def test_bulk_opt_in_never_touches_another_owners_vms(client, estate, bob):
    client.force_login(bob)
    estate.vm.opted_in = False
    estate.vm.save()
    response = client.post(
        reverse("vm-bulk-opt"),
        {"action": "opt_in", "select": [estate.vm.pk, estate.other_vm.pk], "next": "/vms/"},
    )
    assert response.status_code == 302
    estate.vm.refresh_from_db()
    assert estate.vm.opted_in is False


def test_forms_are_csrf_protected(estate, alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for url in (
        reverse("app-create"),
        reverse("app-size", args=[estate.app.pk]),
        reverse("vm-bulk-opt"),
        reverse("app-whatif", args=[estate.app.pk]),
        reverse("inventory-upload"),
    ):
        assert client.post(url, {}).status_code == 403, url


def test_navigation_shows_what_the_role_allows(client, estate, alice, carol, olga):
    client.force_login(olga)
    assert 'href="/admin/"' in client.get("/").content.decode()
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert 'href="/admin/"' not in body and reverse("inventory-upload") in body
    client.force_login(carol)
    body = client.get("/").content.decode()
    assert reverse("inventory-upload") not in body and reverse("app-create") not in body


def _vm_post(estate, app_pk, **extra):
    return {
        "application": app_pk,
        "subscription": estate.vm.subscription_id,
        "resource_group": "rg",
        "name": "new-vm",
        "os_type": "linux",
        "role": "app",
        "change_rate": "0.05",
        "growth_per_year": "0.1",
        "disks-TOTAL_FORMS": "0",
        "disks-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.mark.parametrize("url", ["vm-create", "vm-edit"])
def test_vm_form_never_lists_another_owners_vms(client, estate, bob, url):
    """Posting alice's app id as bob: refused, and none of alice's VM names in the answer."""
    client.force_login(bob)
    target = (
        reverse("vm-create")
        if url == "vm-create"
        else reverse("vm-edit", args=[estate.other_vm.pk])
    )
    for extra in ({}, {"depends_on": [estate.vm.pk]}, {"name": ""}):
        response = client.post(target, _vm_post(estate, estate.app.pk, **extra))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Select a valid choice" in page
        assert "alice-vm-" not in page and "alice-payroll" not in page
        form = response.context["form"]
        assert not form.fields["depends_on"].queryset.filter(application=estate.app).exists()
