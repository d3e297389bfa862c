"""Who may do what through the API: every endpoint and action × every role, as one table.

The portal's rules (planner/access.py, portal/access.py), enforced on querysets and on actions: another
owner's app (and what hangs off it) is a 404; an approver reads everything and changes nothing
but plans (a 403 that says so); an operator changes the estate and the catalogs but signs no
plan; creating something in another owner's app is a 400 naming the field; anonymous is a 401.
"""

from __future__ import annotations

import io

import pytest

from planner.models import Application
from planner.services import plans
from tests.api.support import (
    ROLES,
    WAIVER_WHY,
    client_for,
)

# One estate for the module (tests/shared.py): each test gets a clean copy of it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("estate_once")]

CSV = (
    "name,resource_group,os_type,vm_size,os_disk_gib,data_disks_gib\n"
    "imp-01,rg-import,linux,Standard_D2_v2,30,64\n"
)


def _new_app(e):
    return {
        "name": "new-app",
        "rto_minutes": 240,
        "rpo_minutes": 1440,
        "scheme": "backup_restore",
        "source_cloud": e.app.source_cloud_id,
    }


def _new_vm(e, app=None):
    return {
        "application": (app or e.app).pk,
        "subscription": e.subscription.pk,
        "resource_group": "rg-new",
        "name": "new-vm",
        "os_type": "linux",
        "disks": [{"name": "osdisk", "provisioned_gib": 30, "used_gib": 10}],
    }


def _upload(e):
    return {
        "file": io.BytesIO(CSV.encode()),
        "application": e.app.pk,
        "subscription": e.subscription.pk,
    }


def _upload_named(e):
    data = _upload(e)
    data["file"].name = "vms.csv"
    return data


def _draft_with_a_blocking_finding(e):
    """alice's spare app without a backup target (a blocking finding), and a draft of it."""
    Application.objects.filter(pk=e.spare.pk).update(backup_target=None)
    e.spare.refresh_from_db()
    e.draft = plans.create_revision(e.spare, e.spare.owner)
    assert "TOPOLOGY_NO_BACKUP_TARGET" in e.draft.blocking_codes
    return f"{A}/plans/{e.draft.pk}/waivers/"


# name -> (method, url, body, (anonymous, owner, other owner, approver, operator))
# The owner is alice, who owns e.app; the other owner is bob.
A = "/api/v1"


def _stored_pdf(e):
    """The submitted plan's PDF as the reports worker stores it (until then: a 202)."""
    plans.render_and_store_pdf(e.plan.pk)
    return f"{A}/plans/{e.plan.pk}/pdf/"


CASES = {
    # --- reading ---------------------------------------------------------------------------
    "apps list": ("get", lambda e: f"{A}/applications/", None, (401, 200, 200, 200, 200)),
    "app": ("get", lambda e: f"{A}/applications/{e.app.pk}/", None, (401, 200, 404, 200, 200)),
    "app boot order": (
        "get",
        lambda e: f"{A}/applications/{e.app.pk}/boot-order/",
        None,
        (401, 200, 404, 200, 200),
    ),
    "vms list": ("get", lambda e: f"{A}/vms/", None, (401, 200, 200, 200, 200)),
    "vm": ("get", lambda e: f"{A}/vms/{e.vm.pk}/", None, (401, 200, 404, 200, 200)),
    "vm result": ("get", lambda e: f"{A}/vms/{e.vm.pk}/result/", None, (401, 200, 404, 200, 200)),
    "drill": ("get", lambda e: f"{A}/drills/{e.drill.pk}/", None, (401, 200, 404, 200, 200)),
    "run": ("get", lambda e: f"{A}/runs/{e.run.pk}/", None, (401, 200, 404, 200, 200)),
    "finding": ("get", lambda e: f"{A}/findings/{e.finding.pk}/", None, (401, 200, 404, 200, 200)),
    "recommendation": (
        "get",
        lambda e: f"{A}/recommendations/{e.app.pk}/",
        None,
        (401, 200, 404, 200, 200),
    ),
    "plan": ("get", lambda e: f"{A}/plans/{e.plan.pk}/", None, (401, 200, 404, 200, 200)),
    "drills list": ("get", lambda e: f"{A}/drills/", None, (401, 200, 200, 200, 200)),
    "runs list": ("get", lambda e: f"{A}/runs/", None, (401, 200, 200, 200, 200)),
    "findings list": ("get", lambda e: f"{A}/findings/", None, (401, 200, 200, 200, 200)),
    "recommendations list": (
        "get",
        lambda e: f"{A}/recommendations/",
        None,
        (401, 200, 200, 200, 200),
    ),
    "plans list": ("get", lambda e: f"{A}/plans/", None, (401, 200, 200, 200, 200)),
    "plan pdf": ("get", lambda e: _stored_pdf(e), None, (401, 200, 404, 200, 200)),
    "plan annex (none: under 300 VMs)": (
        "get",
        lambda e: f"{A}/plans/{e.plan.pk}/annex/",
        None,
        (401, 404, 404, 404, 404),
    ),
    "catalog list": ("get", lambda e: f"{A}/clouds/", None, (401, 200, 200, 200, 200)),
    "catalog item": (
        "get",
        lambda e: f"{A}/clouds/{e.app.source_cloud_id}/",
        None,
        (401, 200, 200, 200, 200),
    ),
    "me": ("get", lambda e: f"{A}/auth/me/", None, (401, 200, 200, 200, 200)),
    "schema": ("get", lambda e: f"{A}/schema/", None, (200, 200, 200, 200, 200)),
    "docs": ("get", lambda e: f"{A}/docs/", None, (200, 200, 200, 200, 200)),
    "unknown path": ("get", lambda e: f"{A}/no-such-thing/", None, (404, 404, 404, 404, 404)),
    # --- tokens ----------------------------------------------------------------------------
    "get a token": (
        "post",
        lambda e: f"{A}/auth/token/",
        lambda e: {"username": "alice", "password": "pw-alice"},
        (200, 200, 200, 200, 200),
    ),
    "get a token, wrong password": (
        "post",
        lambda e: f"{A}/auth/token/",
        lambda e: {"username": "alice", "password": "guess"},
        (400, 400, 400, 400, 400),
    ),
    "revoke my token": ("delete", lambda e: f"{A}/auth/token/", None, (401, 204, 204, 204, 204)),
    # --- the estate ------------------------------------------------------------------------
    "create app": ("post", lambda e: f"{A}/applications/", _new_app, (401, 201, 201, 403, 201)),
    "change app": (
        "patch",
        lambda e: f"{A}/applications/{e.app.pk}/",
        lambda e: {"description": "changed"},
        (401, 200, 404, 403, 200),
    ),
    "delete app": (
        "delete",
        lambda e: f"{A}/applications/{e.spare.pk}/",
        None,
        (401, 403, 404, 403, 204),
    ),
    "create vm": ("post", lambda e: f"{A}/vms/", _new_vm, (401, 201, 400, 403, 201)),
    "change vm": (
        "patch",
        lambda e: f"{A}/vms/{e.vm.pk}/",
        lambda e: {"opted_in": False},
        (401, 200, 404, 403, 200),
    ),
    "delete vm": ("delete", lambda e: f"{A}/vms/{e.vm2.pk}/", None, (401, 204, 404, 403, 204)),
    "bulk opt-in": (
        "post",
        lambda e: f"{A}/vms/opt-in/",
        lambda e: {"vms": [e.vm.pk, e.vm2.pk], "opted_in": False},
        (401, 200, 400, 403, 200),
    ),
    "import preview": (
        "post-multipart",
        lambda e: f"{A}/inventory/preview/",
        _upload_named,
        (401, 200, 400, 403, 200),
    ),
    "import commit": (
        "post-multipart",
        lambda e: f"{A}/inventory/commit/",
        _upload_named,
        (401, 200, 400, 403, 200),
    ),
    "record drill": (
        "post",
        lambda e: f"{A}/drills/",
        lambda e: {
            "application": e.app.pk,
            "started_at": "2026-01-10T10:00:00Z",
            "restored_at": "2026-01-10T12:30:00Z",
        },
        (401, 201, 400, 403, 201),
    ),
    "change drill": (
        "patch",
        lambda e: f"{A}/drills/{e.drill.pk}/",
        lambda e: {"notes": "restored from the nightly backup"},
        (401, 200, 404, 403, 200),
    ),
    "delete drill": (
        "delete",
        lambda e: f"{A}/drills/{e.drill.pk}/",
        None,
        (401, 204, 404, 403, 204),
    ),
    "size app": (
        "post",
        lambda e: f"{A}/runs/",
        lambda e: {"application": e.app.pk},
        (401, 202, 400, 403, 202),
    ),
    "size estate": (
        "post",
        lambda e: f"{A}/runs/",
        lambda e: {"application": None},
        (401, 403, 403, 403, 202),
    ),
    # --- plans: the service decides who (only the app's owner takes and submits a plan) -----
    "create plan": (
        "post",
        lambda e: f"{A}/plans/",
        lambda e: {"application": e.spare.pk},
        (401, 201, 400, 403, 400),
    ),
    "submit plan": (
        "post",
        lambda e: f"{A}/plans/{e.plan.pk}/submit/",
        None,
        (401, 400, 404, 403, 400),
    ),
    "approve plan": (
        "post",
        lambda e: f"{A}/plans/{e.plan.pk}/approve/",
        lambda e: {"comment": "fine"},
        (401, 403, 403, 200, 403),
    ),
    "reject plan": (
        "post",
        lambda e: f"{A}/plans/{e.plan.pk}/reject/",
        lambda e: {"comment": "the RTO cannot be met"},
        (401, 403, 403, 200, 403),
    ),
    "waive on a draft (its owner only)": (
        "post",
        _draft_with_a_blocking_finding,
        lambda e: {"code": "TOPOLOGY_NO_BACKUP_TARGET", "justification": WAIVER_WHY},
        (401, 201, 404, 400, 400),
    ),
    "waive on a submitted plan": (
        "post",
        lambda e: f"{A}/plans/{e.plan.pk}/waivers/",
        lambda e: {"code": "NOT_A_BLOCKING_CODE", "justification": WAIVER_WHY},
        (401, 400, 404, 400, 400),
    ),
    "verify plan hash": (
        "post",
        lambda e: f"{A}/plans/{e.plan.pk}/verify/",
        lambda e: {"sha256": e.plan.sha256},
        (401, 200, 404, 200, 200),
    ),
    "edit submitted plan": (
        "patch",
        lambda e: f"{A}/plans/{e.plan.pk}/",
        lambda e: {"state": "approved"},
        (401, 405, 405, 403, 405),
    ),
    "delete submitted plan": (
        "delete",
        lambda e: f"{A}/plans/{e.plan.pk}/",
        None,
        (401, 405, 405, 403, 405),
    ),
    # --- catalogs: operators write ---------------------------------------------------------
    "create site": (
        "post",
        lambda e: f"{A}/sites/",
        lambda e: {"name": "Site Lyon", "country": "fr"},
        (401, 403, 403, 403, 201),
    ),
    "change cloud": (
        "patch",
        lambda e: f"{A}/clouds/{e.app.source_cloud_id}/",
        lambda e: {"region": "west"},
        (401, 403, 403, 403, 200),
    ),
    "delete cloud in use": (
        "delete",
        lambda e: f"{A}/clouds/{e.app.source_cloud_id}/",
        None,
        (401, 403, 403, 403, 409),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_permission_matrix(estate, users, case, role):
    method, url, body, expected = CASES[case]
    client = client_for(users[role])
    path = url(estate)  # before the body: it may set up what the body names
    data = body(estate) if body else None
    if method == "post-multipart":
        response = client.post(path, data, format="multipart")
    else:
        response = getattr(client, method)(path, data, format="json")
    want = expected[ROLES.index(role)]
    assert response.status_code == want, (case, role, response.status_code, response.content[:500])
    if want >= 400:
        body = response.json()
        assert body["detail"] and body["code"], body


def test_lists_hold_exactly_what_each_role_may_see(estate, users):
    expected = {
        "owner": {estate.app.pk, estate.spare.pk},
        "other owner": {estate.other_app.pk},
        "approver": {estate.app.pk, estate.spare.pk, estate.other_app.pk},
        "operator": {estate.app.pk, estate.spare.pk, estate.other_app.pk},
    }
    for role, apps in expected.items():
        client = client_for(users[role])
        listed = {a["id"] for a in client.get("/api/v1/applications/").json()["results"]}
        assert listed == apps, role
        vms = client.get("/api/v1/vms/").json()["results"]
        assert {v["application"] for v in vms} <= apps, role
        findings = client.get("/api/v1/findings/?page_size=1000").json()["results"]
        assert {f["application"] for f in findings} <= apps, role
        recommendations = client.get("/api/v1/recommendations/").json()["results"]
        assert {r["application"] for r in recommendations} == apps, role
        plans = client.get("/api/v1/plans/").json()["results"]
        assert {p["application"] for p in plans} <= apps, role


def test_an_owner_cannot_make_someone_else_the_owner(estate, users, bob):
    client = client_for(users["owner"])
    response = client.post("/api/v1/applications/", {**_new_app(estate), "owner": "bob"})
    assert response.status_code == 400
    assert "owner" in response.json()["fields"]
    response = client.patch(f"/api/v1/applications/{estate.app.pk}/", {"owner": "bob"})
    assert response.status_code == 400
    estate.app.refresh_from_db()
    assert estate.app.owner.username == "alice"


def test_an_operator_may_hand_an_app_to_another_owner(estate, users):
    client = client_for(users["operator"])
    response = client.patch(f"/api/v1/applications/{estate.spare.pk}/", {"owner": "bob"})
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == "bob"


def test_an_owner_cannot_move_a_vm_into_another_owners_app(estate, users):
    client = client_for(users["owner"])
    response = client.patch(
        f"/api/v1/vms/{estate.vm.pk}/", {"application": estate.other_app.pk}, format="json"
    )
    assert response.status_code == 400
    assert "does not exist or is not yours" in response.json()["fields"]["application"][0]


def test_an_owner_creating_a_vm_in_another_owners_app_is_told_which_field(estate, users):
    response = client_for(users["owner"]).post(
        "/api/v1/vms/", _new_vm(estate, estate.other_app), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["fields"]) == ["application"]
    assert body["detail"].startswith("application: App ")


def test_an_approver_who_owns_the_app_cannot_approve_its_plan(estate, users, carol):
    estate.app.owner = carol
    estate.app.save()
    response = client_for(carol).post(f"/api/v1/plans/{estate.plan.pk}/approve/", {})
    assert response.status_code == 400
    assert "nobody signs off their own plan" in response.json()["detail"]


def test_nobody_edits_a_submitted_revision_through_the_models_either(estate, users):
    # The approver's 403 and the others' 405 above: there is no route. Even the workflow
    # refuses a second submit of a submitted revision.
    response = client_for(users["owner"]).post(f"/api/v1/plans/{estate.plan.pk}/submit/", {})
    assert response.status_code == 400
    assert "already submitted" in response.json()["detail"]
