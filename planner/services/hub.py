"""Inventory straight from a hub: connections, syncs over Azure Resource Manager, drift.

The far end is a hub's Azure Resource Manager endpoint, read with the Azure SDK for Python
(azure-identity's ClientSecretCredential and azure-mgmt-compute's ComputeManagementClient) at
Azure Stack Hub's 2020-09-01-hybrid profile: Microsoft.Compute 2020-06-01 for VMs and scale sets,
2019-07-01 for disks (``HYBRID_PROFILE``; azure-mgmt-compute 35.0.0 is the last release that
ships those API versions). The login endpoint and the token audience come from the endpoint's
own metadata (``GET {arm}/metadata/endpoints?api-version=2015-01-01``), as the Azure CLI does
for a registered hub.

    check_connection(conn) -> list[Check]
        The admin's "test connection": the secret, name resolution, TLS, the credentials, then
        read access to each subscription; stops at the first failure and says it in plain words.
        The outcome is recorded on the connection.
    request_sync(conn, trigger, user=None) -> HubSync
        Queue a sync on the ``sizing`` worker (after commit); a connection with a sync already
        pending or running gets that one back.
    run_sync(sync_id) -> str      the worker: fetch, then write (below)
    sync_due_connections() -> int  beat: request a sync of every enabled connection
    review_drift(app, user, ids=None) -> int   the owner marks drift reviewed
    claim_resource_group(app, subscription, name) / release_resource_group(app, claim_id)
        the resource groups whose new VMs a sync adds to the app
    drift_findings(app_ids) -> list[dict]      INVENTORY_DRIFT findings for the sizing service

A sync reads every subscription of the connection first (VMs, scale-set instances and managed
disks, page after page: ``nextLink``), with progress on the ``HubSync`` row; a 429 is retried
after its Retry-After by the SDK's retry policy. Any failure while reading (endpoint down,
TLS, credentials refused or expired, permissions, throttled past the retries) fails the sync
before anything is written: the inventory stays as it was and the connection says why. Then,
one transaction per subscription, the VMs go through the file import's service
(``inventory.parse_arm`` -> ``preview_import`` -> ``import_inventory``: create, update,
unchanged), grouped by the app that has them or claims their resource group. VMs that are gone
from the hub are removed. Each created, changed or removed VM is recorded as ``Drift`` for its
owner; created VMs are never opted in. VMs in resource groups no app claims are counted, not
imported. The changed apps are re-sized, and their drift is a finding until the owner reviews it;
an approved plan of a drifted app is stale because its inputs changed, as after an edit.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from planner import queue
from planner.models import (
    Application,
    Drift,
    DriftKind,
    HubConnection,
    HubSync,
    ResourceGroupClaim,
    Subscription,
    SyncStatus,
    VirtualMachine,
)
from planner.rules.findings import finding
from planner.services import inventory

log = logging.getLogger("planner.hub")

METADATA_API_VERSION = "2015-01-01"
HYBRID_PROFILE_NAME = "2020-09-01-hybrid"
# Apply nothing when a subscription's listing lacks more than this share of the VMs the planner
# knows there (a service principal that reads only some resource groups lists only their VMs).
MAX_REMOVED_SHARE = 0.5
MAX_REMOVED_FLOOR = 20  # ... unless it is at most this many VMs
COUNT_KEYS = ("read", "created", "updated", "unchanged", "removed", "unclaimed", "rejected")


def hybrid_profile():
    from azure.profiles import KnownProfiles

    return KnownProfiles.v2020_09_01_hybrid


def api_versions() -> dict[str, str]:
    """The Compute API versions the sync uses, from the SDK's hybrid profile."""
    tag = "azure.mgmt.compute.ComputeManagementClient"
    versions = hybrid_profile().value.get_profile_dict()[tag]
    return {
        "virtual machines, scale sets": versions[None],
        "disks": versions.get("disks", versions[None]),
        "metadata": METADATA_API_VERSION,
    }


class HubError(Exception):
    """A sync or a check failed; ``step`` names what (secret, name resolution, TLS, endpoint,
    credentials, permissions, throttled, listing), the message says it in plain words."""

    def __init__(self, step: str, message: str):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class Check:
    step: str
    ok: bool
    message: str


# --- the far end --------------------------------------------------------------------------------


def read_secret(conn: HubConnection) -> str:
    source = conn.secret_from
    if source.startswith("/"):
        try:
            secret = Path(source).read_text().strip()
        except OSError as exc:
            raise HubError(
                "secret",
                f"The client secret file {source} cannot be read ({exc.strerror}): create it, "
                "readable by the user the workers run as, with the secret on one line.",
            ) from None
    else:
        import os

        secret = os.environ.get(source, "").strip()
        if not secret:
            raise HubError(
                "secret",
                f"The environment variable {source} that should hold the client secret is not "
                "set for the workers: set it in their environment file (deploy/), then restart.",
            )
    if not secret:
        raise HubError("secret", f"The client secret in {source} is empty.")
    return secret


def _verify(conn: HubConnection):
    return conn.ca_bundle or True


def _host(conn: HubConnection) -> tuple[str, int]:
    parts = urlsplit(conn.arm_endpoint)
    return parts.hostname or "", parts.port or 443


def resolve(conn: HubConnection) -> None:
    host, port = _host(conn)
    try:
        socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        raise HubError(
            "name resolution",
            f"The name {host} does not resolve (DNS): check the endpoint's spelling and that "
            "the workers' DNS servers know the hub's zone.",
        ) from None


def _network_error(conn: HubConnection, exc: Exception, what: str) -> HubError:
    host, port = _host(conn)
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError) or "CERTIFICATE_VERIFY_FAILED" in text:
        ca = f"the CA file {conn.ca_bundle}" if conn.ca_bundle else "the system's CA store"
        return HubError(
            "TLS",
            f"TLS to {host}:{port} failed: its certificate is not trusted by {ca} or does not "
            f"name {host}. Give the connection the PEM of the CA that signed the hub's "
            "certificates (CA bundle).",
        )
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in text.lower():
        return HubError(
            "endpoint",
            f"{host}:{port} did not answer {what} in time: the hub or a firewall between the "
            "workers and the hub drops the traffic.",
        )
    return HubError(
        "endpoint",
        f"Nothing answers at {host}:{port} ({what}): the hub's endpoint is down or a firewall "
        "refuses the connection. Check the endpoint and try again later.",
    )


@dataclass(frozen=True)
class Endpoints:
    authority: str
    tenant: str
    audience: str


def discover(conn: HubConnection) -> Endpoints:
    """The login endpoint and the audience from the ARM endpoint's metadata."""
    url = conn.arm_endpoint.rstrip("/") + f"/metadata/endpoints?api-version={METADATA_API_VERSION}"
    try:
        response = requests.get(url, timeout=(10, 30), verify=_verify(conn))
    except (requests.exceptions.RequestException, ssl.SSLError, OSError) as exc:
        raise _network_error(conn, exc, "its metadata") from None
    if response.status_code != 200:
        raise HubError(
            "endpoint",
            f"{conn.arm_endpoint} answered {response.status_code} to its metadata request: is it "
            "the hub's Azure Resource Manager endpoint (https://management.<region>.<fqdn>)?",
        )
    try:
        auth = response.json()["authentication"]
        login = str(auth["loginEndpoint"]).rstrip("/")
        audience = str(auth["audiences"][0]).rstrip("/")
    except (ValueError, KeyError, IndexError, TypeError):
        raise HubError(
            "endpoint",
            f"{conn.arm_endpoint} answers, but not with Azure Resource Manager's metadata "
            "(authentication.loginEndpoint and audiences): check the endpoint.",
        ) from None
    if login.lower().endswith("/adfs"):  # an AD FS hub: the authority is the host, tenant "adfs"
        return Endpoints(login[: -len("/adfs")], "adfs", audience)
    return Endpoints(login, conn.tenant_id, audience)


@dataclass
class Session:
    conn: HubConnection
    endpoints: Endpoints
    credential: object

    def client(self, subscription_id: str):
        from azure.mgmt.compute import ComputeManagementClient

        return ComputeManagementClient(
            self.credential,
            subscription_id,
            base_url=self.conn.arm_endpoint.rstrip("/"),
            profile=hybrid_profile(),
            credential_scopes=[self.endpoints.audience + "/.default"],
            connection_verify=_verify(self.conn),
            connection_timeout=10,
            read_timeout=60,
            retry_total=settings.HUB_RETRIES,
            retry_backoff_max=60,
        )


def connect(conn: HubConnection) -> Session:
    """Secret, name, metadata, then a token: each failure named."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential

    secret = read_secret(conn)
    resolve(conn)
    endpoints = discover(conn)
    credential = ClientSecretCredential(
        endpoints.tenant,
        conn.client_id,
        secret,
        authority=endpoints.authority,
        disable_instance_discovery=True,
        connection_verify=_verify(conn),
        connection_timeout=10,
        read_timeout=30,
        retry_total=2,
    )
    try:
        credential.get_token(endpoints.audience + "/.default")
    except ClientAuthenticationError as exc:
        raise HubError(
            "credentials",
            f"The hub's identity provider ({endpoints.authority}) refused the service principal "
            f"{conn.client_id} in tenant {endpoints.tenant}: the client id, the tenant or the "
            f"secret is wrong, or the secret expired. Renew it and update {conn.secret_from}. "
            f"({_first_line(exc)})",
        ) from None
    return Session(conn, endpoints, credential)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return (text.splitlines() or [""])[0][:300]


def _arm_error(conn: HubConnection, subscription: Subscription, exc: Exception) -> HubError:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    code = getattr(exc, "status_code", None)
    sub = f"subscription {subscription.name} ({subscription.subscription_id})"
    if code == 401 or (isinstance(exc, ClientAuthenticationError) and code is None):
        return HubError(
            "credentials",
            f"The hub refused the service principal's token while reading {sub} (401): the "
            f"secret or the token expired, or the principal is not in the hub's directory. "
            f"Renew the secret in {conn.secret_from} and test the connection. "
            f"({_first_line(exc)})",
        )
    if code == 403:
        return HubError(
            "permissions",
            f"The service principal {conn.client_id} may not read {sub} (403): give it the "
            "Reader role on the subscription (Access control (IAM) in the hub's portal).",
        )
    if code == 404:
        return HubError(
            "permissions",
            f"The hub does not know {sub} (404): check the subscription's GUID, and that the "
            "service principal has access to it.",
        )
    if code == 429:
        return HubError(
            "throttled",
            f"The hub kept throttling the reads of {sub} (429) after "
            f"{settings.HUB_RETRIES} retries: the sync will run again at its next schedule.",
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return _network_error(conn, exc, "the listing")
    if isinstance(exc, HttpResponseError):
        return HubError(
            "listing",
            f"The hub answered {code} while reading {sub}: {_first_line(exc)}",
        )
    return HubError("listing", f"Reading {sub} failed: {_first_line(exc)}")


@dataclass
class Listing:
    subscription: Subscription
    vms: list[dict]
    disks: list[dict]


def fetch(session: Session, subscription: Subscription, progress=None) -> Listing:
    """Every VM (scale-set instances included) and managed disk of a subscription, as ARM dicts.

    The pages go through the SDK client's own pipeline (its credential and token scope, its
    retry policy that waits out a 429's Retry-After, its TLS settings) at the hybrid profile's
    API versions, and are read as the JSON ARM sends: the SDK's model (de)serialisation would
    take 5 ms of CPU per VM and disk, 45 s of a 5,000-VM sync. ``progress(text, vms_read)`` is
    called after each page."""
    from azure.core.exceptions import AzureError

    versions = api_versions()
    compute, disks_version = versions["virtual machines, scale sets"], versions["disks"]
    base = f"/subscriptions/{quote(subscription.subscription_id)}/providers/Microsoft.Compute"
    client = session.client(subscription.subscription_id)
    vms: list[dict] = []
    disks: list[dict] = []
    try:
        for page in _pages(session, client, f"{base}/virtualMachines", compute):
            vms.extend(page)
            if progress:
                progress(f"{subscription.name}: {len(vms):,} VMs read", len(vms))
        scale_sets = [
            s
            for page in _pages(session, client, f"{base}/virtualMachineScaleSets", compute)
            for s in page
        ]
        for scale_set in scale_sets:
            ss_id = str(scale_set.get("id") or "")
            ss_sku = (scale_set.get("sku") or {}).get("name") or ""
            for page in _pages(session, client, f"{ss_id}/virtualMachines", compute):
                for item in page:
                    props = item.setdefault("properties", {})
                    props["virtualMachineScaleSet"] = {"id": ss_id}
                    # A uniform scale set's instances carry their size as the sku.
                    size = (item.get("sku") or {}).get("name") or ss_sku
                    props.setdefault("hardwareProfile", {}).setdefault("vmSize", size)
                    vms.append(item)
                if progress:
                    progress(f"{subscription.name}: {len(vms):,} VMs read", len(vms))
        for page in _pages(session, client, f"{base}/disks", disks_version):
            disks.extend(page)
            if progress:
                progress(f"{subscription.name}: {len(disks):,} disks read", len(vms))
    except AzureError as exc:
        raise _arm_error(session.conn, subscription, exc) from None
    finally:
        client.close()
    return Listing(subscription, vms, disks)


def _pages(session: Session, client, path: str, api_version: str):
    """The ``value`` of each page of an ARM list, following ``nextLink`` on the same endpoint
    (a link elsewhere would carry the token away: refused)."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    endpoint = session.conn.arm_endpoint.rstrip("/")
    url = f"{endpoint}{quote(path)}?api-version={api_version}"
    while url:
        if not url.lower().startswith(endpoint.lower() + "/"):
            raise HubError("listing", f"The hub's nextLink leaves its endpoint ({url[:200]}).")
        response = client._client.send_request(
            HttpRequest("GET", url, headers={"Accept": "application/json"})
        )
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        try:
            body = response.json()
            page = body.get("value") or []
        except (ValueError, AttributeError):
            raise HubError(
                "listing", f"The hub answered {path} with something that is not an ARM list."
            ) from None
        yield [item for item in page if isinstance(item, dict)]
        url = body.get("nextLink")


# --- test connection ----------------------------------------------------------------------------


def check_connection(conn: HubConnection) -> list[Check]:
    """Each step in order; stops at the first failure. Recorded on the connection."""
    checks: list[Check] = []
    try:
        read_secret(conn)
        checks.append(Check("secret", True, f"The client secret is read from {conn.secret_from}."))
        resolve(conn)
        checks.append(Check("name resolution", True, f"{_host(conn)[0]} resolves."))
        session = connect(conn)
        checks.append(
            Check(
                "TLS",
                True,
                f"{conn.arm_endpoint} answers over TLS with a trusted certificate.",
            )
        )
        checks.append(
            Check(
                "credentials",
                True,
                f"{session.endpoints.authority} issued a token to {conn.client_id}.",
            )
        )
        subscriptions = list(conn.subscriptions.all())
        if not subscriptions:
            raise HubError("permissions", "No subscription is selected: pick the ones to read.")
        for sub in subscriptions:
            client = session.client(sub.subscription_id)
            try:
                next(iter(client.virtual_machines.list_all().by_page()), None)
                next(iter(client.disks.list().by_page()), None)
            except Exception as exc:  # the SDK's errors, named by _arm_error
                raise _arm_error(conn, sub, exc) from None
            finally:
                client.close()
            checks.append(Check("permissions", True, f"Subscription {sub.name} can be read."))
    except HubError as exc:
        checks.append(Check(exc.step, False, str(exc)))
    failed = next((c for c in checks if not c.ok), None)
    conn.checked_at = timezone.now()
    conn.status_message = (
        f"Test failed at {failed.step}: {failed.message}"
        if failed
        else "Test passed: " + " ".join(c.message for c in checks)
    )
    HubConnection.objects.filter(pk=conn.pk).update(
        checked_at=conn.checked_at, status_message=conn.status_message[:4000]
    )
    return checks


# --- sync ---------------------------------------------------------------------------------------


def request_sync(conn: HubConnection, trigger: str = "manual", user=None) -> HubSync:
    return _request_sync(conn, trigger, user)[0]


def _request_sync(conn: HubConnection, trigger: str, user=None) -> tuple[HubSync, bool]:
    """The sync queued (after commit), and whether it is new: a connection with a sync already
    pending or running gets that one back."""
    with transaction.atomic():
        HubConnection.objects.select_for_update().filter(pk=conn.pk).first()
        busy = (
            HubSync.objects.filter(
                connection=conn, status__in=[SyncStatus.PENDING, SyncStatus.RUNNING]
            )
            .order_by("-id")
            .first()
        )
        if busy is not None:
            return busy, False
        sync = HubSync.objects.create(connection=conn, trigger=trigger, requested_by=user)
        HubConnection.objects.filter(pk=conn.pk).update(status=SyncStatus.PENDING)
        transaction.on_commit(lambda: _enqueue(sync.pk))
    return sync, True


def _enqueue(sync_id: int) -> None:
    try:
        queue.enqueue(queue.SYNC_HUB, sync_id)
    except Exception:  # broker down: beat's sweep queues it again
        log.warning("hub sync %s not queued (broker down?)", sync_id)


def sync_due_connections() -> int:
    """Beat: a scheduled sync for each enabled connection (a busy one is left alone)."""
    count = 0
    for conn in HubConnection.objects.filter(sync_enabled=True):
        count += _request_sync(conn, "schedule")[1]
    # A sync whose worker died past the task time limit will never finish: say so, free the
    # connection for the next one.
    lost = timezone.now() - timezone.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    for sync in HubSync.objects.filter(status=SyncStatus.RUNNING, started_at__lt=lost):
        _fail(sync, "the worker running it was lost (stopped or killed); the next sync reads all")
    # Syncs whose message was lost (broker down when requested) are queued again.
    stale = timezone.now() - timezone.timedelta(minutes=10)
    for pk in HubSync.objects.filter(status=SyncStatus.PENDING, requested_at__lt=stale).values_list(
        "pk", flat=True
    ):
        _enqueue(pk)
    return count


def _progress(sync: HubSync, **fields) -> None:
    HubSync.objects.filter(pk=sync.pk).update(**fields)


def run_sync(sync_id: int) -> str:
    sync = HubSync.objects.select_related("connection").filter(pk=sync_id).first()
    if sync is None or sync.status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED):
        return f"sync {sync_id}: nothing to do"
    conn = sync.connection
    now = timezone.now()
    subscriptions = list(conn.subscriptions.all().order_by("pk"))
    _progress(
        sync,
        status=SyncStatus.RUNNING,
        started_at=now,
        subscriptions_total=len(subscriptions),
        step="connecting",
    )
    HubConnection.objects.filter(pk=conn.pk).update(status=SyncStatus.RUNNING)
    try:
        if not subscriptions:
            raise HubError("permissions", "No subscription is selected: pick the ones to read.")
        session = connect(conn)
        listings = []
        read_before = 0
        for sub in subscriptions:

            def progress(text, vms, base=read_before):
                _progress(sync, step=text, vms_read=base + vms)

            listing = fetch(session, sub, progress)
            read_before += len(listing.vms)
            listings.append(listing)
        plans = [plan_subscription(listing) for listing in listings]
    except HubError as exc:
        return _fail(sync, f"{exc.step}: {exc}")
    except Exception as exc:
        log.exception("hub sync %s failed", sync_id)
        return _fail(sync, f"unexpected error: {_first_line(exc)}")
    totals: dict[str, int] = dict.fromkeys(COUNT_KEYS, 0)
    changed_apps: set[int] = set()
    for done, plan in enumerate(plans, 1):
        _progress(sync, step=f"{plan.subscription.name}: writing")
        try:
            counts, apps = apply_subscription(plan, sync)
        except Exception as exc:
            log.exception("hub sync %s: writing %s failed", sync_id, plan.subscription)
            return _fail(
                sync,
                f"writing subscription {plan.subscription.name} failed, its inventory is as it "
                f"was ({done - 1} of {len(plans)} subscriptions written): {_first_line(exc)}",
                totals,
            )
        for key, value in counts.items():
            totals[key] += value
        changed_apps |= apps
        _progress(sync, subscriptions_done=done)
    finished = timezone.now()
    message = _summary(totals)
    _progress(
        sync,
        status=SyncStatus.SUCCEEDED,
        finished_at=finished,
        step="done",
        message=message,
        counts=dict(totals),
    )
    HubConnection.objects.filter(pk=conn.pk).update(
        status=SyncStatus.SUCCEEDED, status_message=message, last_synced_at=finished
    )
    if changed_apps:
        from planner.services.actions import resize_apps

        resize_apps(changed_apps)
    return f"sync {sync_id}: {message}"


def _fail(sync: HubSync, message: str, totals=None) -> str:
    _progress(
        sync,
        status=SyncStatus.FAILED,
        finished_at=timezone.now(),
        message=message[:4000],
        counts=dict(totals or {}),
    )
    HubConnection.objects.filter(pk=sync.connection_id).update(
        status=SyncStatus.FAILED, status_message=f"Last sync failed: {message}"[:4000]
    )
    return f"sync {sync.pk} failed: {message}"


def _summary(t: dict[str, int]) -> str:
    return (
        f"{t.get('read', 0):,} VMs read: {t.get('created', 0):,} added, "
        f"{t.get('updated', 0):,} changed, {t.get('removed', 0):,} removed, "
        f"{t.get('unchanged', 0):,} unchanged, {t.get('unclaimed', 0):,} in resource groups "
        f"no app claims, {t.get('rejected', 0):,} unreadable"
    )


@dataclass
class SubscriptionPlan:
    subscription: Subscription
    parsed: inventory.ParsedInventory
    by_app: dict[int, list[inventory.InventoryRow]]
    removed: list[tuple[int, int, str, str]]  # vm id, app id, name, resource group
    unclaimed: int


def claims(subscription: Subscription) -> dict[str, int]:
    """Resource group (lower case) -> the app that claims it: explicitly, or by having all the
    VMs the planner knows in it."""
    out: dict[str, int] = {}
    implicit: dict[str, set[int]] = defaultdict(set)
    for rg, app_id in VirtualMachine.objects.filter(subscription=subscription).values_list(
        "resource_group", "application_id"
    ):
        implicit[rg.lower()].add(app_id)
    for rg, apps in implicit.items():
        if len(apps) == 1:
            out[rg] = next(iter(apps))
    for rg, app_id in ResourceGroupClaim.objects.filter(subscription=subscription).values_list(
        "resource_group", "application_id"
    ):
        out[rg.lower()] = app_id
    return out


def plan_subscription(listing: Listing) -> SubscriptionPlan:
    """Which app each listed VM goes to, and what is gone; raises HubError (nothing written)
    when the listing lacks too much of what the planner knows."""
    sub = listing.subscription
    parsed = inventory.parse_arm(listing.vms, listing.disks)
    existing = {
        (rg.lower(), name.lower()): (vm_id, app_id, name, rg)
        for vm_id, app_id, name, rg in VirtualMachine.objects.filter(subscription=sub).values_list(
            "id", "application_id", "name", "resource_group"
        )
    }
    owner_of = claims(sub)
    by_app: dict[int, list[inventory.InventoryRow]] = defaultdict(list)
    unclaimed = 0
    listed = set()
    for row in parsed.rows:
        listed.add(row.key)
        found = existing.get(row.key)
        app_id = found[1] if found else owner_of.get(row.resource_group.lower())
        if app_id is None:
            unclaimed += 1
        else:
            by_app[app_id].append(row)
    # A VM whose row could not be read is still on the hub: never removed for that.
    unreadable = {e.name.lower() for e in parsed.errors}
    removed = [v for key, v in existing.items() if key not in listed and key[1] not in unreadable]
    if len(removed) > max(MAX_REMOVED_FLOOR, MAX_REMOVED_SHARE * len(existing)):
        raise HubError(
            "permissions",
            f"Subscription {sub.name}: the hub lists {len(existing) - len(removed):,} of the "
            f"{len(existing):,} VMs the planner knows there; nothing was changed. A service "
            "principal that may read only some resource groups sees only their VMs: give it "
            "Reader on the whole subscription. If the VMs really are gone, delete them in the "
            "portal first.",
        )
    return SubscriptionPlan(sub, parsed, dict(by_app), removed, unclaimed)


def apply_subscription(plan: SubscriptionPlan, sync: HubSync | None) -> tuple[dict, set[int]]:
    """Write one subscription's plan in one transaction; drift recorded with it."""
    now = timezone.now()
    counts: dict[str, int] = dict.fromkeys(COUNT_KEYS, 0)
    counts["read"] = len(plan.parsed.rows) + len(plan.parsed.errors)
    counts["unclaimed"] = plan.unclaimed
    counts["rejected"] = len(plan.parsed.errors)
    changed: set[int] = set()
    with transaction.atomic():
        apps = Application.objects.in_bulk(
            set(plan.by_app) | {app_id for _, app_id, _, _ in plan.removed}
        )
        drifts: list[Drift] = []
        for app_id, rows in sorted(plan.by_app.items()):
            parsed = inventory.ParsedInventory(format="arm", rows=rows)
            args = {"application": apps[app_id], "subscription": plan.subscription}
            preview = inventory.preview_import(parsed, **args)
            outcome = inventory.import_inventory(parsed, preview=preview, **args)
            counts["created"] += outcome.created
            counts["updated"] += outcome.updated
            counts["unchanged"] += outcome.unchanged
            counts["rejected"] += outcome.rejected
            for p in preview.rows:
                if p.action in (inventory.CREATE, inventory.UPDATE):
                    changed.add(app_id)
                    drifts.append(
                        Drift(
                            application_id=app_id,
                            sync=sync,
                            kind=DriftKind.APPEARED
                            if p.action == inventory.CREATE
                            else DriftKind.CHANGED,
                            vm_id=p.vm_id,
                            vm_name=p.name[:80],
                            resource_group=p.resource_group[:90],
                            detail=p.detail[:500],
                            detected_at=now,
                        )
                    )
        if plan.removed:
            for _vm_id, app_id, name, rg in plan.removed:
                changed.add(app_id)
                drifts.append(
                    Drift(
                        application_id=app_id,
                        sync=sync,
                        kind=DriftKind.DISAPPEARED,
                        vm_name=name,
                        resource_group=rg,
                        detail="no longer listed by the hub",
                        detected_at=now,
                    )
                )
            VirtualMachine.objects.filter(pk__in=[r[0] for r in plan.removed]).delete()
            counts["removed"] += len(plan.removed)
        _link_created(drifts, plan.subscription)
        Drift.objects.bulk_create(drifts, batch_size=1000)
    return counts, changed


def _link_created(drifts: list[Drift], subscription: Subscription) -> None:
    """Point 'appeared' drift at the VM rows the import just created."""
    wanted = {
        (d.resource_group.lower(), d.vm_name.lower()): d
        for d in drifts
        if d.kind == DriftKind.APPEARED
    }
    if not wanted:
        return
    for vm_id, rg, name in VirtualMachine.objects.filter(
        subscription=subscription, application_id__in={d.application_id for d in wanted.values()}
    ).values_list("id", "resource_group", "name"):
        d = wanted.get((rg.lower(), name.lower()))
        if d is not None:
            d.vm_id = vm_id


# --- resource groups apps claim -----------------------------------------------------------------


def claim_resource_group(application: Application, subscription: Subscription, name: str):
    """The app claims a resource group: the next sync adds the VMs in it (never opted in).

    Raises ``ValidationError`` with a message for the owner: a name Azure would refuse, a
    subscription of another cloud, or a group another app claims or has VMs in."""
    from django.core.exceptions import ValidationError

    claim = ResourceGroupClaim(
        application=application, subscription=subscription, resource_group=name.strip()
    )
    claim.full_clean(validate_constraints=False)
    rg = claim.resource_group.lower()
    other = (
        ResourceGroupClaim.objects.filter(subscription=subscription)
        .annotate(rg=Lower("resource_group"))
        .filter(rg=rg)
        .select_related("application")
        .first()
    )
    if other is not None:
        whose = "this app" if other.application_id == application.pk else f"'{other.application}'"
        raise ValidationError(
            f"{claim.resource_group} in {subscription.name} is already claimed by {whose}."
        )
    holder = (
        VirtualMachine.objects.filter(subscription=subscription)
        .annotate(rg=Lower("resource_group"))
        .filter(rg=rg)
        .exclude(application=application)
        .select_related("application")
        .first()
    )
    if holder is not None:
        raise ValidationError(
            f"{claim.resource_group} in {subscription.name} holds VMs of "
            f"'{holder.application}' (e.g. {holder.name}): a resource group belongs to one app; "
            "ask its owner or an operator."
        )
    claim.save()
    return claim


def release_resource_group(application: Application, claim_id: int) -> bool:
    """The app no longer claims it: VMs that appear there later are not added."""
    return bool(ResourceGroupClaim.objects.filter(application=application, pk=claim_id).delete()[0])


# --- drift for owners and sizing ----------------------------------------------------------------


def open_drift(app_ids) -> dict[int, list[Drift]]:
    out: dict[int, list[Drift]] = defaultdict(list)
    for d in Drift.objects.filter(application_id__in=list(app_ids), reviewed_at__isnull=True):
        out[d.application_id].append(d)
    return out


def review_drift(application: Application, user, ids=None) -> int:
    """The owner has seen the drift (all of the app's, or ``ids``): it stops being a finding."""
    now = timezone.now()
    qs = Drift.objects.filter(application=application, reviewed_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(reviewed_at=now, reviewed_by=user)


def drift_findings(app_ids) -> list[dict]:
    """One INVENTORY_DRIFT finding per app with drift nobody reviewed (the sizing service)."""
    out = []
    for app_id, drifts in open_drift(app_ids).items():
        kinds = defaultdict(list)
        for d in drifts:
            kinds[d.kind].append(d.vm_name)
        parts = []
        for kind, label in (
            (DriftKind.APPEARED, "appeared (not opted in)"),
            (DriftKind.DISAPPEARED, "disappeared"),
            (DriftKind.CHANGED, "changed size or disks"),
        ):
            names = sorted(set(kinds.get(kind, [])))
            if names:
                more = f" and {len(names) - 5} more" if len(names) > 5 else ""
                parts.append(f"{label}: {', '.join(names[:5])}{more}")
        f = finding(
            "INVENTORY_DRIFT",
            app_id,
            "The hub's inventory differs from the one this app was planned on: "
            + "; ".join(parts)
            + ".",
            vm_ids=[d.vm_id for d in drifts if d.vm_id],
        )
        row = f.to_dict()
        row["application_id"] = row.pop("app_id")
        out.append(row)
    return out
