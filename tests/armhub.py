"""A hub's Azure Resource Manager endpoint on loopback, over real HTTPS, for the sync's tests and
its benchmark: the far end is local, the SDK and the HTTP are real.

It answers what the sync asks, in the documented response shapes:
  GET  /metadata/endpoints?api-version=2015-01-01   the login endpoint and the token audience
  GET  /{tenant}/v2.0/.well-known/openid-configuration, POST /{tenant}/oauth2/v2.0/token
       the identity provider (client credentials grant; a wrong secret gets invalid_client)
  GET  /subscriptions/{id}/providers/Microsoft.Compute/virtualMachines          (2020-06-01)
  GET  /subscriptions/{id}/providers/Microsoft.Compute/virtualMachineScaleSets  (2020-06-01)
  GET  .../virtualMachineScaleSets/{name}/virtualMachines                       (2020-06-01)
  GET  /subscriptions/{id}/providers/Microsoft.Compute/disks                    (2019-07-01)
Lists come ``page_size`` items at a time with ``nextLink`` (``$skiptoken``). ``fail(...)``
queues error answers (a 429 with Retry-After, a 401, a 403) for requests whose path contains a
string; ``revoke_tokens()`` makes every token issued so far expire (ARM answers 401). The TLS
certificate is signed by a CA the hub generates (``ca_path``), valid for 127.0.0.1 only.
"""

from __future__ import annotations

import datetime
import json
import secrets
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

COMPUTE = "2020-06-01"
DISKS = "2019-07-01"


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "armhub test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class Fault:
    path_part: str
    status: int
    times: int
    headers: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)


@dataclass
class FakeSubscription:
    vms: list[dict] = field(default_factory=list)
    disks: list[dict] = field(default_factory=list)
    scale_sets: list[dict] = field(default_factory=list)
    instances: dict[str, list[dict]] = field(default_factory=dict)  # scale set name -> VMs


class ArmHub:
    def __init__(self, directory: Path, *, page_size: int = 100):
        self.directory = Path(directory)
        self.page_size = page_size
        self.tenant = str(uuid.uuid4())
        self.adfs = False  # True: the identity provider is AD FS (tenant "adfs"), as on a
        # disconnected hub
        self.client_id = str(uuid.uuid4())
        self.secret = secrets.token_urlsafe(24)
        self.subscriptions: dict[str, FakeSubscription] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, int]] = []
        self.tokens: set[str] = set()
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> ArmHub:
        self.ca_path, cert, key = _certificates(self.directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # --- the estate at the far end ---------------------------------------------------------

    def subscription(self, sub_id: str) -> FakeSubscription:
        return self.subscriptions.setdefault(sub_id, FakeSubscription())

    def add_vm(
        self,
        sub_id: str,
        rg: str,
        name: str,
        *,
        size: str = "Standard_D2_v2",
        os_type: str = "Windows",
        os_gib: int = 127,
        data_gib: tuple[int, ...] = (),
        with_sizes_on_vm: bool = False,
    ) -> dict:
        """A VM and its managed disks; like Azure's listing, the VM's disks carry no size
        unless ``with_sizes_on_vm`` (the sizes live on the disk resources)."""
        sub = self.subscription(sub_id)
        base = f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Compute"
        vm_id = f"{base}/virtualMachines/{name}"
        os_disk = {
            "osType": os_type,
            "name": f"{name}_OsDisk_1",
            "createOption": "FromImage",
            "caching": "ReadWrite",
            "managedDisk": {
                "storageAccountType": "Premium_LRS",
                "id": f"{base}/disks/{name}_OsDisk_1",
            },
        }
        data = []
        for lun, gib in enumerate(data_gib):
            data.append(
                {
                    "lun": lun,
                    "name": f"{name}_data{lun}",
                    "createOption": "Empty",
                    "caching": "None",
                    "managedDisk": {
                        "storageAccountType": "Premium_LRS",
                        "id": f"{base}/disks/{name}_data{lun}",
                    },
                }
            )
        if with_sizes_on_vm:
            os_disk["diskSizeGB"] = os_gib
            for d, gib in zip(data, data_gib, strict=True):
                d["diskSizeGB"] = gib
        vm = {
            "id": vm_id,
            "name": name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": "local",
            "tags": {},
            "properties": {
                "vmId": str(uuid.uuid4()),
                "hardwareProfile": {"vmSize": size},
                "storageProfile": {
                    "imageReference": {
                        "publisher": "MicrosoftWindowsServer",
                        "offer": "WindowsServer",
                        "sku": "2019-Datacenter",
                        "version": "latest",
                    },
                    "osDisk": os_disk,
                    "dataDisks": data,
                },
                "osProfile": {"computerName": name[:15], "adminUsername": "azureuser"},
                "networkProfile": {
                    "networkInterfaces": [
                        {
                            "id": f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/"
                            f"Microsoft.Network/networkInterfaces/{name}-nic"
                        }
                    ]
                },
                "provisioningState": "Succeeded",
            },
        }
        sub.vms.append(vm)
        for disk_name, gib, kind in [(os_disk["name"], os_gib, "os")] + [
            (d["name"], g, "data") for d, g in zip(data, data_gib, strict=True)
        ]:
            sub.disks.append(
                {
                    "id": f"{base}/disks/{disk_name}",
                    "name": disk_name,
                    "type": "Microsoft.Compute/disks",
                    "location": "local",
                    "managedBy": vm_id,
                    "sku": {"name": "Premium_LRS", "tier": "Premium"},
                    "properties": {
                        **({"osType": os_type} if kind == "os" else {}),
                        "creationData": {"createOption": "FromImage" if kind == "os" else "Empty"},
                        "diskSizeGB": gib,
                        "diskState": "Attached",
                        "provisioningState": "Succeeded",
                        "timeCreated": "2026-01-05T10:00:00.0000000+00:00",
                    },
                }
            )
        return vm

    def add_scale_set(self, sub_id: str, rg: str, name: str, count: int, size="Standard_D2_v2"):
        sub = self.subscription(sub_id)
        ss_id = (
            f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{name}"
        )
        sub.scale_sets.append(
            {
                "id": ss_id,
                "name": name,
                "type": "Microsoft.Compute/virtualMachineScaleSets",
                "location": "local",
                "sku": {"name": size, "tier": "Standard", "capacity": count},
                "properties": {
                    "upgradePolicy": {"mode": "Manual"},
                    "provisioningState": "Succeeded",
                    "overprovision": False,
                },
            }
        )
        sub.instances[name] = [
            {
                "id": f"{ss_id}/virtualMachines/{i}",
                "name": f"{name}_{i}",
                "instanceId": str(i),
                "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
                "location": "local",
                "sku": {"name": size, "tier": "Standard"},
                "properties": {
                    "latestModelApplied": True,
                    "storageProfile": {
                        "osDisk": {
                            "osType": "Linux",
                            "name": f"{name}_{name}_{i}_OsDisk",
                            "createOption": "FromImage",
                            "diskSizeGB": 30,
                            "managedDisk": {"storageAccountType": "Standard_LRS"},
                        },
                        "dataDisks": [],
                    },
                    "provisioningState": "Succeeded",
                },
            }
            for i in range(count)
        ]

    def remove_vm(self, sub_id: str, name: str) -> None:
        sub = self.subscription(sub_id)
        sub.vms = [v for v in sub.vms if v["name"] != name]
        sub.disks = [d for d in sub.disks if not d["name"].startswith(f"{name}_")]

    def resize_vm(self, sub_id: str, name: str, size: str) -> None:
        for v in self.subscription(sub_id).vms:
            if v["name"] == name:
                v["properties"]["hardwareProfile"]["vmSize"] = size

    def resize_disk(self, sub_id: str, disk_name: str, gib: int) -> None:
        for d in self.subscription(sub_id).disks:
            if d["name"] == disk_name:
                d["properties"]["diskSizeGB"] = gib

    # --- faults ----------------------------------------------------------------------------

    def fail(self, path_part: str, status: int, times: int = 1, **headers) -> None:
        codes = {
            429: ("TooManyRequests", "The request is being throttled."),
            401: ("ExpiredAuthenticationToken", "The access token expiry UTC time is in the past."),
            403: (
                "AuthorizationFailed",
                f"The client '{self.client_id}' does not have authorization to perform action "
                "'Microsoft.Compute/virtualMachines/read'.",
            ),
            500: ("InternalServerError", "Encountered an internal server error."),
        }
        code, message = codes.get(status, ("Error", "error"))
        with self._lock:
            self.faults.append(
                Fault(
                    path_part,
                    status,
                    times,
                    {k.replace("_", "-"): str(v) for k, v in headers.items()},
                    {"error": {"code": code, "message": message}},
                )
            )

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def count(self, path_part: str, status: int | None = None) -> int:
        return sum(
            1 for _, p, s in self.requests if path_part in p and (status is None or s == status)
        )


class _Handler(BaseHTTPRequestHandler):
    hub: ArmHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with self.hub._lock:
            self.hub.requests.append((self.command, self.path, status))

    def _fault(self) -> bool:
        hub = self.hub
        with hub._lock:
            for f in hub.faults:
                if f.times > 0 and f.path_part in self.path:
                    f.times -= 1
                    fault = f
                    break
            else:
                return False
        self._send(fault.status, fault.body, fault.headers)
        return True

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        hub = self.hub
        if self._fault():
            return
        if self.path in (f"/{hub.tenant}/oauth2/v2.0/token", "/adfs/oauth2/v2.0/token"):
            one = {k: v[0] for k, v in form.items()}
            if one.get("client_id") != hub.client_id or one.get("client_secret") != hub.secret:
                self._send(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                        "error_codes": [7000215],
                    },
                )
                return
            token = secrets.token_urlsafe(32)
            with hub._lock:
                hub.tokens.add(token)
            self._send(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": token,
                },
            )
            return
        self._send(404, {"error": "not_found"})

    def do_GET(self):
        hub = self.hub
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/metadata/endpoints":
            self._send(
                200,
                {
                    "galleryEndpoint": f"{hub.url}/gallery/",
                    "graphEndpoint": "https://graph.windows.net/",
                    "portalEndpoint": f"{hub.url}/portal/",
                    "authentication": {
                        "loginEndpoint": f"{hub.url}/adfs" if hub.adfs else f"{hub.url}/",
                        "audiences": [f"{hub.url}/audience/{hub.tenant}"],
                    },
                },
            )
            return
        if path in (
            f"/{hub.tenant}/v2.0/.well-known/openid-configuration",
            "/adfs/.well-known/openid-configuration",
        ):
            base = f"{hub.url}/adfs" if path.startswith("/adfs/") else f"{hub.url}/{hub.tenant}"
            self._send(
                200,
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                    "response_types_supported": ["code", "id_token", "token"],
                    "tenant_region_scope": "EU",
                },
            )
            return
        if self._fault():
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in hub.tokens:
            self._send(
                401,
                {
                    "error": {
                        "code": "ExpiredAuthenticationToken",
                        "message": "The access token expiry UTC time is in the past.",
                    }
                },
                {"WWW-Authenticate": 'Bearer authorization_uri="x", error="invalid_token"'},
            )
            return
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0].lower() != "subscriptions":
            self._send(404, {"error": {"code": "NotFound", "message": path}})
            return
        sub = hub.subscriptions.get(parts[1])
        if sub is None:
            self._send(
                404,
                {
                    "error": {
                        "code": "SubscriptionNotFound",
                        "message": f"The subscription '{parts[1]}' could not be found.",
                    }
                },
            )
            return
        kind = "/".join(parts[2:]).lower()
        version = query.get("api-version")
        if kind == "providers/microsoft.compute/virtualmachines":
            items, expected = sub.vms, COMPUTE
        elif kind == "providers/microsoft.compute/disks":
            items, expected = sub.disks, DISKS
        elif kind == "providers/microsoft.compute/virtualmachinescalesets":
            items, expected = sub.scale_sets, COMPUTE
        elif kind.endswith("/virtualmachines") and "/virtualmachinescalesets/" in kind:
            items, expected = sub.instances.get(parts[-2], []), COMPUTE
        else:
            self._send(404, {"error": {"code": "NotFound", "message": path}})
            return
        if version != expected:
            self._send(
                400,
                {
                    "error": {
                        "code": "NoRegisteredProviderFound",
                        "message": f"No registered resource provider found for API version "
                        f"'{version}'. The supported api-versions are '{expected}'.",
                    }
                },
            )
            return
        start = int(query.get("$skiptoken", "0"))
        page = items[start : start + hub.page_size]
        body = {"value": page}
        if start + hub.page_size < len(items):
            body["nextLink"] = (
                f"{hub.url}{path}?api-version={version}&$skiptoken={start + hub.page_size}"
            )
        self._send(200, body)
