"""The sizing service: bounded queries per chunk, stored figures equal the engine's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planner import assess
from planner.demo import seed
from planner.models import Application, AppResult, Finding, SizingRun, Trigger, VmResult
from planner.services.facts import load_apps
from planner.services.sizing import Catalogs, size_and_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    seed(apps=24, vms=240, seed=4, password="x")
    return list(Application.objects.order_by("id").values_list("id", flat=True))


def queries(app_ids):
    with CaptureQueriesContext(connection) as ctx:
        size_and_save(app_ids)
    sql = [q["sql"] for q in ctx.captured_queries]
    inserts = [q for q in sql if q.startswith("INSERT")]
    return len(sql) - len(inserts), len(inserts)


def test_a_chunk_costs_a_bounded_number_of_queries(estate):
    # Reads and deletes: six to load facts (the tiers' service levels among them), the estate
    # context, the catalogs, one DELETE per result table, the savepoints (one around the batch of
    # results, so that an app whose rows the database refuses can be retried alone), four for the
    # hubs' running VMs (planner.services.hub_capacity), and one naming the other apps' stored
    # results that the messages and the results' detail show (none before any is stored); the
    # same for 2 apps as for 22.
    size_and_save(estate)
    small, small_inserts = queries(estate[:2])
    large, large_inserts = queries(estate[2:])  # eleven times the apps and VMs
    assert small == large, f"{small} queries for 2 apps, {large} for {len(estate) - 2}"
    assert large <= 32
    # Inserts are batched: one per table, more only where SQLite's 999-parameter limit splits.
    rows = VmResult.objects.count() + AppResult.objects.count() + Finding.objects.count()
    assert 3 <= small_inserts <= large_inserts <= 3 + rows * 25 // 999 + 3


def test_stored_results_are_the_engines_figures(estate):
    size_and_save(estate)
    app_id = estate[3]
    catalogs = Catalogs.load()
    app = load_apps([app_id])[0]
    sizing = assess.size(app, catalogs.prices, catalogs.limits)
    stored = AppResult.objects.get(application_id=app_id)
    assert stored.backup_gib == pytest.approx(sizing.backup_gib)
    assert stored.replica_gib == pytest.approx(sizing.replica_gib)
    assert stored.monthly_cost == pytest.approx(sizing.monthly_cost)
    assert stored.detail["cost_by_month"][0] == pytest.approx(sizing.cost_by_month[0], abs=0.01)
    assert VmResult.objects.filter(application_id=app_id).count() == len(sizing.vms)
    assert (
        stored.blocking_count
        == Finding.objects.filter(application_id=app_id, severity="blocking").count()
    )
    assert stored.compliant == (stored.blocking_count == 0)
    # Every opted-in VM has its boot group, and the explanation shows the arithmetic.
    for row in VmResult.objects.filter(application_id=app_id):
        assert row.boot_group is not None
        assert any("=" in line for line in row.explanation)


def test_every_topology_verdict_of_the_seed_appears_on_the_demo_estate(estate):
    size_and_save(estate)
    codes = set(Finding.objects.values_list("code", flat=True))
    from planner.rules.findings import CODES

    topology = {c for c in CODES if c.startswith("TOPOLOGY_")}
    for verdict in (
        "TOPOLOGY_BACKUP_EXISTING_EXTERNAL",  # recommended
        "TOPOLOGY_BACKUP_DEDICATED_EXTERNAL",  # recommended
        "TOPOLOGY_BACKUP_AZURE_OR_SP",  # recommended if sovereignty allows
        "TOPOLOGY_REPLICATE_SEPARATE_ASH",  # recommended
        "TOPOLOGY_REPLICATE_AZURE_OR_SP",  # recommended if sovereignty allows
        "TOPOLOGY_SAME_CLOUD_BACKUP",  # not recommended
        "TOPOLOGY_RACK_APPLIANCE",  # not supported
    ):
        assert verdict in topology, f"{verdict} is not a registered code"
        assert verdict in codes, f"{verdict} missing from the demo estate's findings"
    rack = Finding.objects.filter(code="TOPOLOGY_RACK_APPLIANCE").first()
    assert rack.severity == "blocking"
    assert Finding.objects.filter(code="TOPOLOGY_SAME_CLOUD_BACKUP").first().severity == "warning"


def test_an_admin_edit_requests_a_coalesced_resize(client, olga, estate):
    app = Application.objects.get(pk=estate[0])
    client.force_login(olga)
    url = reverse("admin:planner_application_change", args=[app.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "rto_minutes": 30,
            "vms-TOTAL_FORMS": 0,
            "vms-INITIAL_FORMS": 0,
            "drills-TOTAL_FORMS": 0,
            "drills-INITIAL_FORMS": 0,
            "findings-TOTAL_FORMS": 0,
            "findings-INITIAL_FORMS": 0,
            "resource_group_claims-TOTAL_FORMS": 0,
            "resource_group_claims-INITIAL_FORMS": 0,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert SizingRun.objects.filter(application=app, trigger=Trigger.EDIT).count() == 1
