"""What each portal page shows, and the forms' behaviour (choices the rules allow, durations,
errors that say how to fix them), the bulk opt-in, the sizing button and the what-if."""

import csv
import io

import pytest
from django.urls import reverse

from planner.models import Application, BackupTarget, Cloud, Product, SizingRun
from planner.services.sizing import size_and_save
from tests.factories import BackupTargetFactory, CloudFactory, PolicyFactory, SiteFactory
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(alice, bob):
    return build(alice, bob)


@pytest.fixture
def sized(estate):
    size_and_save([estate.app.pk])
    return estate


def text(response):
    return response.content.decode()


def test_login_page_and_wrong_password(client, alice):
    assert "Sign in" in text(client.get(reverse("login")))
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert "didn't match" in text(response)
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302


def test_dashboard_lists_what_needs_attention(client, sized, alice):
    client.force_login(alice)
    body = text(client.get("/"))
    assert "What needs attention first" in body
    assert "alice-payroll" in body and "VMs protected" in body


def test_app_detail_shows_results_arithmetic_findings_and_charts(client, sized, alice):
    client.force_login(alice)
    body = text(client.get(sized.app.get_absolute_url()))
    for expected in (
        "Sizing, with its arithmetic",
        "How these were computed",
        "Recommended scheme",
        "Start-up order",
        "Drills and MTTR",
        "<svg",
        "Backup storage by restore point",
        "Public-cloud cost per month, 12 months",
        'id="findings"',
        "alice-vm-00",
    ):
        assert expected in body, expected
    # This app's targets are on premises: the cost chart says nothing is billed, over 36 too.
    assert sized.app.result.monthly_cost == 0
    assert "36 months: none" in text(client.get(sized.app.get_absolute_url() + "?months=36"))


def test_findings_show_their_remedy_and_export_neutralises_formulas(client, sized, alice):
    finding = sized.app.findings.first()
    finding.message = "=cmd|' /C calc'!A0"
    finding.save()
    client.force_login(alice)
    body = text(client.get(sized.app.get_absolute_url()))
    assert finding.remedy in body
    response = client.get(reverse("app-findings-export", args=[sized.app.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert any(r[2] == "'=cmd|' /C calc'!A0" for r in rows[1:])


def test_vm_list_filters_sorts_and_exports(client, estate, alice):
    estate.vm.os_type = "linux"
    estate.vm.name = "-linux-box"
    estate.vm.save()
    client.force_login(alice)
    body = text(client.get("/vms/?os_type=linux"))
    assert "-linux-box" in body and "alice-vm-01" not in body
    assert "alice-vm-01" in text(client.get("/vms/?q=vm-01&sort=-name"))
    response = client.get("/vms/?export=csv&os_type=linux")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Name" and rows[1][0] == "'-linux-box" and len(rows) == 2


def test_app_list_filters_by_compliance(client, sized, alice):
    client.force_login(alice)
    assert "alice-payroll" not in text(client.get("/apps/?compliance=unsized"))
    bob_app = Application.objects.create(
        name="alice-unsized",
        owner=alice,
        rto_minutes=60,
        rpo_minutes=60,
        source_cloud=sized.app.source_cloud,
    )
    assert bob_app.name in text(client.get("/apps/?compliance=unsized"))


def _app_post(estate, **overrides):
    data = {
        "name": "new-app",
        "tier": 2,
        "rto_minutes": "4 h",
        "rpo_minutes": "90 min",
        "mtpd_minutes": "",
        "source_cloud": estate.app.source_cloud_id,
        "allow_azure": "on",
        "allow_service_provider": "on",
        "allowed_countries": "",
        "scheme": "backup_restore",
        "recovery_target": estate.app.recovery_target_id,
        "backup_target": estate.app.backup_target_id,
        "policy": estate.app.policy_id,
        "product": Product.objects.get(name="Veeam Backup & Replication").pk,
        "link_mbps": 1000,
        "replication_interval_minutes": "15 min",
        "growth_horizon_days": 365,
    }
    data.update(overrides)
    return data


def test_create_app_with_durations(client, estate, alice):
    client.force_login(alice)
    response = client.post(reverse("app-create"), _app_post(estate))
    app = Application.objects.get(name="new-app")
    assert response.status_code == 302 and response["Location"] == app.get_absolute_url()
    assert (app.owner, app.rto_minutes, app.rpo_minutes) == (alice, 240, 90)


def test_wrong_duration_says_how_to_write_it(client, estate, alice):
    client.force_login(alice)
    body = text(client.post(reverse("app-create"), _app_post(estate, rto_minutes="soon")))
    assert "not understood" in body and "&#x27;4 h&#x27;" in body
    body = text(client.post(reverse("app-create"), _app_post(estate, mtpd_minutes="1 h")))
    assert "must fit within the MTPD" in body


def test_source_cloud_is_never_offered_as_target(client, estate, alice):
    client.force_login(alice)
    response = client.get(reverse("app-edit", args=[estate.app.pk]))
    offered = set(response.context["form"].fields["recovery_target"].queryset)
    assert estate.app.source_cloud not in offered and estate.app.recovery_target in offered
    body = text(
        client.post(
            reverse("app-edit", args=[estate.app.pk]),
            _app_post(estate, name=estate.app.name, recovery_target=estate.app.source_cloud_id),
        )
    )
    assert "not allowed for this app" in body and "is the source cloud" in body


def test_sovereignty_hides_public_targets(client, estate, alice):
    azure = CloudFactory(name="Azure", kind="azure", operated_by="microsoft", nodes=0)
    BackupTargetFactory(name="Azure vault", kind="azure", cloud=azure, site=azure.site)
    client.force_login(alice)
    form = client.get(reverse("app-create")).context["form"]
    assert azure in set(form.fields["recovery_target"].queryset)
    # the htmx refresh re-renders the form for the boxes as they are now (azure unticked)
    data = _app_post(estate, _refresh="1")
    data.pop("allow_azure")
    response = client.post(reverse("app-create"), data)
    form = response.context["form"]
    assert azure not in set(form.fields["recovery_target"].queryset)
    assert not form.fields["backup_target"].queryset.filter(name="Azure vault").exists()
    assert any("Azure" in r for r in form.not_offered["recovery_target"])
    assert not Application.objects.filter(name="new-app").exists()  # a refresh saves nothing


def test_form_shows_the_seeds_text_for_the_combination(client, estate, alice):
    csp = CloudFactory(name="CSP hub", operated_by="csp", site=SiteFactory(name="CSP DC"))
    client.force_login(alice)
    response = client.post(
        reverse("app-create"), _app_post(estate, recovery_target=csp.pk, _refresh="1")
    )
    assert "CSP&#x27;s datacenter is the restore or failover target" in text(response)


def test_products_that_cannot_protect_linux_vms_are_not_offered(client, estate, alice):
    estate.vm.os_type = "linux"
    estate.vm.save()
    client.force_login(alice)
    form = client.get(reverse("app-edit", args=[estate.app.pk])).context["form"]
    names = {p.name for p in form.fields["product"].queryset}
    assert "Azure Backup Server (MABS)" not in names and "Veeam Backup & Replication" in names


def test_no_protection_needs_a_recorded_decision(client, estate, alice):
    client.force_login(alice)
    body = text(client.post(reverse("app-create"), _app_post(estate, scheme="none", product="")))
    assert "explicit decision" in body
    client.post(
        reverse("app-create"),
        _app_post(estate, scheme="none", product="", no_protection_why="dev/test"),
    )
    app = Application.objects.get(name="new-app")
    assert app.no_protection_by == alice and app.no_protection_at is not None


def test_edit_requests_a_coalesced_resize(client, estate, alice):
    client.force_login(alice)
    client.post(reverse("app-edit", args=[estate.app.pk]), _app_post(estate, name="renamed"))
    client.post(reverse("app-edit", args=[estate.app.pk]), _app_post(estate, name="renamed2"))
    assert SizingRun.objects.filter(application=estate.app, trigger="edit").count() == 1


def test_bulk_opt_in_and_out(client, estate, alice):
    client.force_login(alice)
    ids = list(estate.app.vms.values_list("pk", flat=True))
    response = client.post(
        reverse("vm-bulk-opt"),
        {"action": "opt_out", "select": ids, "next": estate.app.get_absolute_url()},
    )
    assert response["Location"] == estate.app.get_absolute_url()
    assert not estate.app.vms.filter(opted_in=True).exists()
    response = client.post(reverse("vm-bulk-opt"), {"action": "opt_in"}, follow=True)
    assert "Select at least one VM" in text(response)


def test_run_sizing_button_records_a_run_and_shows_progress(client, estate, alice):
    client.force_login(alice)
    response = client.post(reverse("app-size", args=[estate.app.pk]), follow=True)
    run = SizingRun.objects.filter(trigger="manual").latest("id")
    body = text(response)
    assert f"Sizing run #{run.pk} started" in body
    assert f'hx-get="/runs/{run.pk}/progress/?where=app"' in body and 'role="progressbar"' in body
    progress = text(client.get(reverse("run-progress", args=[run.pk]) + "?where=app"))
    assert "every 1s" in progress and "0 %" in progress


def test_finished_run_fragment_stops_polling_and_loads_the_results(client, estate, alice):
    client.force_login(alice)
    body = text(client.get(reverse("run-progress", args=[estate.run.pk]) + "?where=app"))
    assert "100 %" in body and "every 1s" not in body and 'hx-select="#app-results"' in body


def test_vm_create_and_edit_with_disks(client, estate, alice):
    client.force_login(alice)
    data = {
        "application": estate.app.pk,
        "subscription": estate.vm.subscription_id,
        "resource_group": "rg-x",
        "name": "db-01",
        "os_type": "linux",
        "role": "database",
        "opted_in": "on",
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
        "disks-1-used_gib": "200",
    }
    body = text(client.post(reverse("vm-create"), data))
    assert "Used space cannot exceed the provisioned size" in body
    data["disks-1-used_gib"] = "50"
    response = client.post(reverse("vm-create"), data)
    vm = estate.app.vms.get(name="db-01")
    assert response["Location"] == vm.get_absolute_url()
    assert sorted(vm.disks.values_list("name", "used_gib")) == [("data0", 50.0), ("osdisk", 20.0)]
    page = text(client.get(vm.get_absolute_url()))
    assert "data0" in page and "Sized at the next run" in page


def test_vm_in_a_subscription_of_another_cloud_is_refused(client, estate, alice):
    from tests.factories import SubscriptionFactory

    elsewhere = SubscriptionFactory()
    client.force_login(alice)
    data = {
        "application": estate.app.pk,
        "subscription": elsewhere.pk,
        "resource_group": "rg",
        "name": "x",
        "os_type": "windows",
        "role": "other",
        "change_rate": "0.05",
        "growth_per_year": "0.1",
        "disks-TOTAL_FORMS": "0",
        "disks-INITIAL_FORMS": "0",
    }
    assert "pick a subscription of that cloud" in text(client.post(reverse("vm-create"), data))


def test_whatif_recomputes_beside_the_saved_plan(client, sized, alice):
    client.force_login(alice)
    policy = PolicyFactory(name="daily 60", retention_points=60)
    response = client.post(
        reverse("app-whatif", args=[sized.app.pk]),
        {"policy": policy.pk, "growth_percent": 50},
        HTTP_HX_REQUEST="true",
    )
    body = text(response)
    assert 'id="whatif-comparison"' in body and "<html" not in body
    rows = {label: (saved, new) for label, saved, new, _ in response.context["rows"]}
    saved, new = rows["Backup storage"]
    assert saved != new
    assert sized.app.result.backup_gib > 0  # the saved plan is untouched
    sized.app.refresh_from_db()
    assert sized.app.policy.name != "daily 60"


def test_whatif_with_a_bad_value_says_what_is_wrong(client, sized, alice):
    client.force_login(alice)
    body = text(
        client.post(
            reverse("app-whatif", args=[sized.app.pk]),
            {"retention_points": 0},
            HTTP_HX_REQUEST="true",
        )
    )
    assert "Nothing was compared" in body and "Retention points" in body


def test_run_detail_lists_errors(client, estate, alice):
    from planner.models import RunError

    RunError.objects.create(run=estate.run, application=estate.app, message="disk too large")
    client.force_login(alice)
    body = text(client.get(estate.run.get_absolute_url()))
    assert "disk too large" in body and "alice-payroll" in body


def test_unused_reference_rows_do_not_break_pages(client, estate, alice):
    Cloud.objects.create(
        name="Lonely", kind="service_provider", operated_by="csp", site=SiteFactory()
    )
    BackupTarget.objects.create(
        name="Rack", kind="rack_appliance", site=SiteFactory(), capacity_gib=1
    )
    client.force_login(alice)
    form = client.get(reverse("app-create")).context["form"]
    assert not form.fields["backup_target"].queryset.filter(name="Rack").exists()
    assert any("not supported" in r for r in form.not_offered["backup_target"])


@pytest.mark.parametrize("url", ["/apps/", "/vms/", "/runs/"])
def test_every_filter_has_a_readable_label(client, estate, alice, url):
    client.force_login(alice)
    body = text(client.get(url))
    assert "invalid name" not in body.lower()
    assert ">Search<" in body or url == "/runs/"


def test_dashboard_counts_vms_protected_as_the_overview_does(client, alice):
    """One definition (planner.services.estate.queries.vm_protected): opted in, in an app whose scheme
    protects. An opted-in VM of an app with scheme "none" is not protected."""
    from tests.factories import ApplicationFactory, VmFactory

    protecting = ApplicationFactory(owner=alice, name="alice-protected")
    unprotected = ApplicationFactory(owner=alice, name="alice-none", scheme="none")
    VmFactory(application=protecting, name="p1")
    VmFactory(application=protecting, name="p2", opted_in=False)
    VmFactory(application=unprotected, name="n1")
    client.force_login(alice)
    body = text(client.get("/"))
    assert "1 of 3 opted in with a protecting scheme" in body
    assert "33 %" in body


def test_vm_no_protection_decision_is_recorded_with_who_and_when(client, estate, alice, olga):
    """The portal's VM form and the admin stamp the decision alike (planner.services.decisions)."""
    client.force_login(alice)
    data = {
        "application": estate.app.pk,
        "subscription": estate.vm.subscription_id,
        "resource_group": "rg-x",
        "name": "tmp-01",
        "os_type": "linux",
        "role": "other",
        "opted_in": "on",
        "no_protection_why": "scratch VM",
        "change_rate": "0.05",
        "growth_per_year": "0.1",
        "disks-TOTAL_FORMS": "0",
        "disks-INITIAL_FORMS": "0",
    }
    body = text(client.post(reverse("vm-create"), data))
    assert "An opted-in VM is protected" in body
    del data["opted_in"]
    client.post(reverse("vm-create"), data)
    vm = estate.app.vms.get(name="tmp-01")
    assert (vm.no_protection_why, vm.no_protection_by, vm.no_protection_at is not None) == (
        "scratch VM",
        alice,
        True,
    )
    page = text(client.get(vm.get_absolute_url()))
    assert "No protection: scratch VM" in page and "recorded by alice" in page
    # The admin keeps the author of an unchanged reason and stamps a changed one.
    client.force_login(olga)
    url = reverse("admin:planner_virtualmachine_change", args=[vm.pk])
    form = client.get(url).context["adminform"].form
    post = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    post.update(
        {
            "application": vm.application_id,
            "subscription": vm.subscription_id,
            "no_protection_why": "scratch VM, rebuilt nightly",
            "disks-TOTAL_FORMS": "0",
            "disks-INITIAL_FORMS": "0",
        }
    )
    post.pop("opted_in", None)
    post.pop("keep_in_backup", None)
    response = client.post(url, post)
    assert response.status_code == 302, text(response)[:2000]
    vm.refresh_from_db()
    assert (vm.no_protection_why, vm.no_protection_by) == ("scratch VM, rebuilt nightly", olga)
