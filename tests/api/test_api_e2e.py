"""What an owner and an approver do, end to end, over HTTP only (docs/api.md walks the same
path with curl): against Django's live server and a real Celery worker process consuming the
``sizing`` and ``reports`` queues, both sharing the test database.

The owner gets a token, registers an app, previews then commits an ``az vm list`` inventory,
opts the VMs in, requests a sizing run (202 and its URL) and polls it to completion, reads the
findings, the recommendation and the boot order, takes a plan revision, waives its blocking
findings and submits it; the approver (another user, with their own token) approves it; the
signed PDF, rendered by the worker, is downloaded and read back with pypdf, and its hash
verified through the API.
"""

from __future__ import annotations

import io
import json
import time

import pytest
import requests
from pypdf import PdfReader

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "e2e-api-pw"
APP = "Payroll API"
WHY = "Backups go to the Munich target from next quarter; accepted until then by the CFO."
AZ_VM_LIST = [
    {
        "name": name,
        "resourceGroup": "rg-payroll",
        "location": "frankfurt",
        "hardwareProfile": {"vmSize": size},
        "storageProfile": {
            "osDisk": {"name": f"{name}_OsDisk", "osType": os_type, "diskSizeGb": 127},
            "dataDisks": [{"lun": 0, "name": f"{name}_data0", "diskSizeGb": data}],
        },
        "tags": {"role": role},
    }
    for name, size, os_type, data, role in (
        ("pay-sql-01", "Standard_E8_v3", "Windows", 512, "database"),
        ("pay-app-01", "Standard_D4_v2", "Windows", 128, "middleware"),
        ("pay-web-01", "Standard_D2_v2", "Windows", 64, "web"),
    )
]


@pytest.fixture
def demo(transactional_db):
    from planner.demo import seed

    seed(apps=2, vms=4, seed=7, password=PASSWORD)


class Api:
    """A script's view of the API: a base URL, a token, JSON in and out."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def call(self, method: str, path: str, expect: int, **kwargs) -> requests.Response:
        response = self.session.request(method, self.url(path), timeout=60, **kwargs)
        assert response.status_code == expect, (
            method,
            path,
            response.status_code,
            response.text[:1000],
        )
        return response

    def get(self, path, expect=200, **kwargs):
        return self.call("GET", path, expect, **kwargs).json()

    def post(self, path, body=None, expect=200, **kwargs):
        response = self.call("POST", path, expect, json=body, **kwargs)
        return response.json() if response.content else None

    def upload(self, path, fields: dict, content: bytes, name: str, expect=200):
        files = {"file": (name, io.BytesIO(content), "application/json")}
        return self.call("POST", path, expect, data=fields, files=files).json()

    def all(self, path: str) -> list[dict]:
        """Every row of a list, page after page."""
        rows, url = [], path
        while url:
            page = self.get(url)
            rows.extend(page["results"])
            url = page["next"]
        return rows


def token_for(base: str, username: str) -> str:
    response = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


def poll(fetch, done, timeout=120, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}: {value}")


def test_an_owner_and_an_approver_do_everything_through_the_api(
    demo, live_server, start_worker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = start_worker("sizing,reports", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    base = live_server.url

    # --- the owner: a token, then who am I -------------------------------------------------
    anonymous = Api(base)
    error = anonymous.get("/applications/", expect=401)
    assert error["code"] == "not_authenticated" and error["detail"]
    owner = Api(base, token_for(base, "owner"))
    assert owner.get("/auth/me/") == {"username": "owner", "roles": ["owners"]}

    # --- catalogs: where the app runs and recovers ----------------------------------------
    clouds = {c["name"]: c for c in owner.all("/clouds/?kind=azure_stack_hub")}
    source, target = clouds["ASH Frankfurt"], clouds["ASH Munich"]
    policy = next(p for p in owner.all("/backup-policies/") if p["name"].startswith("Daily, 14"))
    subscription = owner.all(f"/subscriptions/?cloud={source['id']}")[0]

    # --- register the app: backup-restore, but no backup target chosen yet (blocking) ------
    app = owner.post(
        "/applications/",
        {
            "name": APP,
            "description": "Monthly payroll",
            "rto_minutes": 480,
            "rpo_minutes": 1440,
            "scheme": "backup_restore",
            "source_cloud": source["id"],
            "recovery_target": target["id"],
            "policy": policy["id"],
        },
        expect=201,
    )
    assert app["owner"] == "owner" and app["vm_count"] == 0 and app["result"] is None
    app_id = app["id"]
    assert owner.get(app["url"])["name"] == APP

    # --- import the inventory: preview, then the all-or-nothing commit --------------------
    fields = {"application": app_id, "subscription": subscription["id"]}
    inventory = json.dumps(AZ_VM_LIST).encode()
    preview = owner.upload("/inventory/preview/", fields, inventory, "vms.json")
    assert preview["format"] == "az-cli"
    assert preview["counts"] == {"create": 3, "update": 0, "unchanged": 0, "reject": 0}
    assert {r["name"] for r in preview["rows"]} == {v["name"] for v in AZ_VM_LIST}
    assert owner.get(f"/vms/?application={app_id}")["count"] == 0  # a preview writes nothing
    outcome = owner.upload("/inventory/commit/", fields, inventory, "vms.json")
    assert outcome["created"] == 3 and outcome["rejected"] == 0
    assert outcome["run"].startswith(base)
    again = owner.upload("/inventory/preview/", fields, inventory, "vms.json")
    assert again["counts"]["unchanged"] == 3  # the commit wrote exactly what was previewed

    # --- opt the VMs in, all at once ------------------------------------------------------
    vms = owner.all(f"/vms/?application={app_id}")
    assert len(vms) == 3 and not any(v["opted_in"] for v in vms)
    assert {d["name"] for d in vms[0]["disks"]} == {
        f"{vms[0]['name']}_OsDisk",
        f"{vms[0]['name']}_data0",
    }
    opted = owner.post("/vms/opt-in/", {"vms": [v["id"] for v in vms], "opted_in": True})
    assert opted == {"changed": 3, "unchanged": 0, "applications": [app_id]}
    assert owner.get(f"/vms/?application={app_id}&opted_in=true")["count"] == 3

    # --- a sizing run: 202 and its URL, polled to the end ---------------------------------
    response = owner.call("POST", "/runs/", 202, json={"application": app_id})
    run = response.json()
    assert response.headers["Location"] == run["url"]
    assert run["status"] in ("pending", "running") and not run["finished"]
    run = poll(lambda: owner.get(run["url"]), lambda r: r["finished"], what="the sizing run")
    assert run["status"] == "succeeded", run["errors"]
    assert run["percent"] == 100 and run["done_vms"] == run["total_vms"] == 3
    assert run["done_chunks"] == run["total_chunks"] >= 1 and not run["failed_chunks"]

    # --- what the rules found, the recommendation, the boot order -------------------------
    findings = owner.all(f"/findings/?application={app_id}")
    blocking = {f["code"] for f in findings if f["severity"] == "blocking"}
    assert "TOPOLOGY_NO_BACKUP_TARGET" in blocking
    for finding in findings:
        assert finding["message"]
        assert finding["remedy"] or finding["severity"] != "blocking", finding
    recommendation = owner.get(f"/recommendations/{app_id}/")
    assert recommendation["application"] == app_id and not recommendation["compliant"]
    assert recommendation["recommendation"]["scheme"]
    assert recommendation["recommendation"]["reasons"]
    assert owner.get(f"/applications/{app_id}/")["result"]["blocking_count"] == len(
        [f for f in findings if f["severity"] == "blocking"]
    )
    boot = owner.get(f"/applications/{app_id}/boot-order/")
    booted = [vm["name"] for group in boot["groups"] for vm in group["vms"]]
    assert sorted(booted) == sorted(v["name"] for v in AZ_VM_LIST)
    assert boot["groups"][0]["vms"][0]["role"] == "database"  # the database starts first
    assert boot["failover"]

    # --- a plan revision: waive each blocking finding, then submit ------------------------
    plan = owner.post("/plans/", {"application": app_id}, expect=201)
    assert plan["state"] == "draft" and plan["number"] == 1
    assert set(plan["blocking_codes"]) == blocking
    assert plan["allowed_actions"]["approve"]  # an owner may not approve: the reason is given
    for code in plan["blocking_codes"]:
        waiver = owner.post(
            f"/plans/{plan['id']}/waivers/", {"code": code, "justification": WHY}, expect=201
        )
        assert waiver["by"] == "owner" and waiver["code"] == code
    plan = owner.post(f"/plans/{plan['id']}/submit/", {"comment": "Ready for sign-off."})
    assert plan["state"] == "submitted"
    refused = owner.post(f"/plans/{plan['id']}/approve/", {}, expect=403)
    assert "approvers" in refused["detail"]

    # --- the approver: their own token; approves ------------------------------------------
    approver = Api(base, token_for(base, "approver"))
    assert approver.get("/auth/me/")["roles"] == ["approvers"]
    pending = approver.all("/plans/?state=submitted")
    assert plan["id"] in [p["id"] for p in pending]
    seen = approver.get(plan["url"])
    assert seen["allowed_actions"]["approve"] is None, seen["allowed_actions"]
    assert {w["code"] for w in seen["waivers"]} == blocking
    plan = approver.post(f"/plans/{plan['id']}/approve/", {"comment": "Fits the BC/DR plan."})
    assert plan["state"] == "approved" and plan["decided_by"] == "approver"
    assert [t["to_state"] for t in plan["transitions"]] == ["draft", "submitted", "approved"]
    owner.call("PATCH", plan["url"], 405, json={"state": "draft"})  # never edited

    # --- the signed PDF, rendered by the worker on the reports queue ----------------------
    plan = poll(
        lambda: owner.get(plan["url"]),
        lambda p: bool(p["pdf_sha256"]),
        what="the worker to store the approved PDF",
    )
    download = owner.call("GET", plan["pdf_url"], 200)
    assert download.headers["Content-Type"] == "application/pdf"
    assert "payroll-api-plan-r1.pdf" in download.headers["Content-Disposition"].lower()
    pdf = download.content
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert APP in text
    assert plan["sha256"] in text.replace(" ", "").replace("\n", "")
    assert "approved" in text.lower()

    # --- verify: the PDF, the content's hash, and something else --------------------------
    verified = owner.call(
        "POST",
        f"/plans/{plan['id']}/verify/",
        200,
        files={"file": ("plan.pdf", io.BytesIO(pdf), "application/pdf")},
    ).json()
    assert verified["match"] and verified["matches"] == "pdf"
    assert verified["pdf_sha256"] == plan["pdf_sha256"]
    by_hash = approver.post(f"/plans/{plan['id']}/verify/", {"sha256": plan["sha256"]})
    assert by_hash["match"] and by_hash["matches"] == "content"
    forged = owner.call(
        "POST",
        f"/plans/{plan['id']}/verify/",
        200,
        files={"file": ("plan.pdf", io.BytesIO(pdf + b"\n%tampered"), "application/pdf")},
    ).json()
    assert not forged["match"] and forged["matches"] is None

    # --- the worker did the work; a revoked token stops working ---------------------------
    log = worker.log.read_text()
    assert "planner.tasks.render_plan_pdf" in log and "reports" in log
    assert "sizing" in log
    owner.call("DELETE", "/auth/token/", 204)
    assert owner.get("/auth/me/", expect=401)["code"] in (
        "authentication_failed",
        "not_authenticated",
    )
