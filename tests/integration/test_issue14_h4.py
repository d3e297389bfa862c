"""Issue 14 (items 3-7, 11, 12) through the services, the API and the PDF: the computed
recommendation on the demo estate, scale sets from an ARM import, a per-VM decision that clears
its finding and counts as decided, tier service levels, asynchronous HA and GRS."""

from __future__ import annotations

import io
import json
import math
import re

import pypdf
import pytest

from planner.demo import seed
from planner.models import (
    Application,
    AppResult,
    BackupPolicy,
    Finding,
    Subscription,
    TierServiceLevel,
    VirtualMachine,
)
from planner.services import inventory, plans
from planner.services.decisions import stamp_vm_decision
from planner.services.sizing import size_and_save
from portal.overview.filters import filter_vms
from tests.api.support import client_for
from tests.factories import BackupTargetFactory, CloudFactory
from tests.integration.test_plans import make_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _rank(c):
    rto = c["capability"]["rto_minutes"]
    return (round(c["monthly_cost"], 2), math.inf if rto is None else rto)


def test_every_demo_app_is_recommended_its_cheapest_fitting_candidate():
    seed(apps=12, vms=120, seed=1, password="x")
    size_and_save(list(Application.objects.values_list("id", flat=True)))
    results = list(AppResult.objects.select_related("application"))
    assert len(results) == 12
    for r in results:
        rec = r.detail["recommendation"]
        candidates = rec["candidates"]
        # none, every backup target of the demo (6) and the replicating schemes × the clouds
        # outside the source (4 of 5): 1 + 6 + 3 × 4 = 19.
        assert len(candidates) == 19, r.application.name
        for c in candidates:
            assert set(c) >= {"scheme", "target", "ok", "why", "capability", "monthly_cost"}
            assert c["monthly_cost"] is not None, (r.application.name, c)
            assert c["why"]
        fitting = [c for c in candidates if c["ok"]]
        if not fitting:
            assert rec["scheme"] == "" and r.recommended_scheme == ""
            continue
        best = min(fitting, key=_rank)
        assert _rank(best) == (round(rec["monthly_cost"], 2), _rank(best)[1])
        assert rec["scheme"] == r.recommended_scheme
        chosen = next(
            c for c in fitting if c["scheme"] == rec["scheme"] and c["target"] == rec["target"]
        )
        assert _rank(chosen) == _rank(best), r.application.name
    # The rack appliance is never a fitting candidate (not supported), whatever the app.
    for r in results:
        rack = [
            c
            for c in r.detail["recommendation"]["candidates"]
            if c["target"] and c["target"]["name"] == "Physical appliance in ASH Frankfurt rack"
        ]
        assert rack and not rack[0]["ok"] and "not supported" in rack[0]["why"]


def test_internal_rates_change_the_recommendation_and_say_so(alice):
    app = make_app(alice, name="ledger", vms=3, rpo_minutes=1440)
    size_and_save([app.pk])
    rec = AppResult.objects.get(application=app).detail["recommendation"]
    on_prem = next(c for c in rec["candidates"] if c["scheme"] == "backup_restore")
    assert on_prem["monthly_cost"] == 0
    assert any("not set" in line for line in on_prem["cost_explanation"])
    assert any("internal rates" in line and "$0" in line for line in rec["reasons"])


def test_an_imported_arm_vm_with_a_scale_set_id_is_in_that_scale_set(alice):
    app = make_app(alice, name="shop", vms=0)
    sub = Subscription.objects.filter(
        cloud=app.source_cloud
    ).first() or Subscription.objects.create(
        cloud=app.source_cloud, name="s", subscription_id="00000000-0000-0000-0000-000000000001"
    )
    scale_set = (
        "/subscriptions/s/resourceGroups/rg-shop/providers/Microsoft.Compute/"
        "virtualMachineScaleSets/vmss-front"
    )
    arm = {
        "value": [
            {
                "name": "front_0",
                "id": "/subscriptions/s/resourceGroups/rg-shop/providers/Microsoft.Compute/"
                "virtualMachines/front_0",
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2_v2"},
                    "storageProfile": {"osDisk": {"osType": "Linux", "diskSizeGB": 30}},
                    "virtualMachineScaleSet": {"id": scale_set},
                },
            }
        ]
    }
    parsed = inventory.parse_inventory(json.dumps(arm).encode(), "arm.json")
    preview = inventory.preview_import(parsed, application=app, subscription=sub, opt_in=True)
    inventory.import_inventory(parsed, application=app, subscription=sub, opt_in=True)
    assert preview.counts["create"] == 1
    vm = VirtualMachine.objects.get(application=app, name="front_0")
    assert vm.scale_set == "vmss-front"
    # Sized under backup-restore, it is left out of backup storage and the arithmetic says so.
    size_and_save([app.pk])
    result = AppResult.objects.get(application=app)
    assert result.backup_gib == 0
    assert any("left out of backup storage (1): front_0" in x for x in result.detail["explanation"])
    assert Finding.objects.filter(application=app, code="SCALESET_VM_BACKUP").exists()


def test_a_recorded_vm_decision_clears_the_finding_and_counts_as_decided(alice):
    app = make_app(alice, name="billing", vms=3)
    vm = app.vms.order_by("name").last()
    vm.opted_in = False
    vm.save()
    size_and_save([app.pk])
    assert Finding.objects.filter(application=app, code="PROTECTION_VMS_NOT_OPTED_IN").exists()
    assert vm.pk in filter_vms({"state": "undecided"})[0].values_list("pk", flat=True)
    vm.no_protection_why = "stateless batch node, redeployed from its template"
    stamp_vm_decision(vm, alice)
    vm.full_clean()
    vm.save()
    assert (vm.no_protection_by, vm.no_protection_at is not None) == (alice, True)
    size_and_save([app.pk])
    assert not Finding.objects.filter(application=app, code="PROTECTION_VMS_NOT_OPTED_IN").exists()
    decided = Finding.objects.get(application=app, code="PROTECTION_VM_NONE_DECIDED")
    assert "stateless batch node" in decided.message and "alice" in decided.message
    assert vm.pk in filter_vms({"state": "decided"})[0].values_list("pk", flat=True)
    # The PDF's VM annex prints the decision with who and when.
    rev = plans.create_revision(app, alice)
    pdf, _ = plans.revision_pdf(rev)
    text = re.sub(
        r"\s+", " ", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    )
    assert "VMs without protection by decision" in text
    assert "stateless batch node, redeployed from its template (recorded by alice" in text
    # The recommendation table lists targets with their monthly cost.
    assert "USD / month" in text and "(recommended)" in text


def test_the_api_records_a_vm_decision_with_who_and_when(alice):
    app = make_app(alice, name="crm", vms=2)
    vm = app.vms.first()
    api = client_for(alice)
    url = f"/api/v1/vms/{vm.pk}/"
    r = api.patch(url, {"no_protection_why": "scratch"}, format="json")
    assert r.status_code == 400 and "opted-in VM is protected" in str(r.json())
    r = api.patch(
        url,
        {"opted_in": False, "no_protection_why": "scratch", "no_protection_by": "bob"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["no_protection_why"], body["no_protection_by"]) == ("scratch", "alice")
    assert body["no_protection_at"]
    at = body["no_protection_at"]
    r = api.patch(url, {"change_rate": 0.1}, format="json")  # unchanged reason keeps its stamp
    assert r.json()["no_protection_at"] == at
    r = api.patch(url, {"no_protection_why": ""}, format="json")
    assert (r.json()["no_protection_by"], r.json()["no_protection_at"]) == (None, None)


def test_a_new_app_starts_from_its_tier_and_a_looser_one_is_warned(alice):
    TierServiceLevel.objects.create(tier=1, rto_minutes=60, rpo_minutes=15, mtpd_minutes=240)
    src = CloudFactory()
    api = client_for(alice)
    r = api.post(
        "/api/v1/applications/",
        {"name": "trading", "tier": 1, "scheme": "backup_restore", "source_cloud": src.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert (r.json()["rto_minutes"], r.json()["rpo_minutes"], r.json()["mtpd_minutes"]) == (
        60,
        15,
        240,
    )
    r = api.post(
        "/api/v1/applications/",
        {"name": "reports", "tier": 3, "scheme": "backup_restore", "source_cloud": src.pk},
        format="json",
    )
    assert r.status_code == 400 and "no default for tier 3" in str(
        r.json()["fields"]["rto_minutes"]
    )
    app = make_app(alice, name="loose", vms=1, tier=1, rpo_minutes=1440)
    size_and_save([app.pk])
    f = Finding.objects.get(application=app, code="OBJECTIVES_LOOSER_THAN_TIER")
    assert f.severity == "warning"
    assert "RTO 240 min (4 h) > tier 1's 60 min" in f.message
    assert "RPO 1,440 min (1 d) > tier 1's 15 min" in f.message


def test_asynchronous_ha_has_the_rpo_of_its_interval(alice):
    target = CloudFactory(name="hub-b")
    app = make_app(
        alice,
        name="orders",
        vms=2,
        scheme="high_availability",
        native_ha=True,
        recovery_target=target,
        ha_replication="asynchronous",
        replication_interval_minutes=30,
        rpo_minutes=15,
    )
    size_and_save([app.pk])
    result = AppResult.objects.get(application=app)
    assert result.rpo_capability_minutes == 30
    assert Finding.objects.filter(application=app, code="OBJECTIVE_RPO_NOT_MET").exists()
    Application.objects.filter(pk=app.pk).update(ha_replication="synchronous")
    size_and_save([app.pk])
    assert AppResult.objects.get(application=app).rpo_capability_minutes == 0


def test_grs_on_the_policy_prices_azure_backup_storage_at_grs(alice):
    vault = BackupTargetFactory(kind="azure", name="vault")
    app = make_app(alice, name="docs", vms=2, backup_target=vault)
    size_and_save([app.pk])
    lrs = AppResult.objects.get(application=app)
    BackupPolicy.objects.filter(pk=app.policy_id).update(redundancy="grs")
    size_and_save([app.pk])
    grs = AppResult.objects.get(application=app)
    assert grs.backup_gib == pytest.approx(lrs.backup_gib)
    assert grs.monthly_cost == pytest.approx(lrs.monthly_cost + lrs.backup_gib * (0.0448 - 0.0224))
