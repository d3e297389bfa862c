"""Inventory import: VMs and disks from Azure Stack Hub's own listing, or from a CSV.

Three steps, shared by the portal and (later) the REST API:

- ``parse_inventory(data, filename)`` reads the file, whatever the app: the JSON that
  ``az vm list --output json`` prints (the CLI's flattened shape: ``name``,
  ``resourceGroup``, ``hardwareProfile.vmSize``, ``storageProfile.osDisk.diskSizeGb``/``osType``,
  ``storageProfile.dataDisks[].diskSizeGb/lun/name``, ``virtualMachineScaleSet.id``), the ARM REST shape (the same under
  ``properties``, ``diskSizeGB``, a list or ``{"value": [...]}``), or a CSV with the header
  ``CSV_COLUMNS``. A VM that lists ``virtualMachineScaleSet.id`` is put in that scale set (the
  id's last segment). Rows that cannot be read are returned as errors with the reason; a file that
  cannot be read at all raises ``InventoryError``. ``disk_sizes`` (from ``parse_disk_listing``:
  what ``az disk list --output json`` prints) fills the managed disks' sizes the VM listing
  leaves empty, joined by disk id.
- ``parse_arm(vms, disks)`` does the same for ARM objects a hub sync read
  (planner.services.hub).
- ``preview_import(parsed, ...)`` says, row by row, what a commit would create, update, leave
  unchanged or reject, and why. Two queries whatever the size of the file.
- ``import_inventory(parsed, ...)`` writes exactly what the preview says, in one transaction with
  bulk writes (10,000 VMs in seconds). Importing the same file again changes nothing.

Used space is not in Azure's listing: a new disk's used GiB is assumed to be its provisioned size
times ``fill_ratio`` (0.6 unless the importer says otherwise); an existing disk keeps the used
GiB it has (capped at its new size), so a re-import never overwrites a figure someone entered.

Every value is checked against ``planner.bounds`` as it is read (names, LUNs, disk sizes, the
number of data disks, NaN and Infinity, CSV cells too long to read): a row the database or the
engine would refuse is a rejected row with its reason, never an error at commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower

from planner import access, bounds, ranges
from planner.models import Application, Disk, Subscription, VirtualMachine, VmSize
from planner.models.estate import OsType, Role, subscription_error

DEFAULT_FILL_RATIO = 0.6
MAX_DISK_GIB = bounds.DISK_GIB.high  # the largest managed disk size Azure lists (64 TiB)
CSV_CELL_LIMIT = csv.field_size_limit()  # Python's csv module refuses longer cells (131,072)
JSON_SUFFIXES = (".json",)
CSV_SUFFIXES = (".csv", ".txt")

# The CSV header: one row per VM; data disk sizes separated by ";" in LUN order (LUN 0 first).
CSV_COLUMNS = ("name", "resource_group", "os_type", "vm_size", "os_disk_gib", "data_disks_gib")
CSV_OPTIONAL = ("role", "scale_set", "location")
CSV_EXAMPLE = (
    "name,resource_group,os_type,vm_size,os_disk_gib,data_disks_gib,role\n"
    "sql-01,rg-payroll,windows,Standard_E8_v3,127,512;512,database\n"
    "web-01,rg-payroll,linux,Standard_D2_v2,30,,web\n"
)
_RG_IN_ID = re.compile(r"/resourceGroups/([^/]+)/", re.IGNORECASE)
_SCALE_SET_IN_ID = re.compile(r"/virtualMachineScaleSets/([^/]+)", re.IGNORECASE)


class InventoryError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to upload."""


@dataclass(frozen=True)
class DiskRow:
    name: str
    lun: int | None  # None for the OS disk
    provisioned_gib: float


@dataclass(frozen=True)
class InventoryRow:
    line: int  # position in the file: 1-based item of a JSON list, or the CSV line number
    name: str
    resource_group: str
    os_type: str
    vm_size: str
    disks: tuple[DiskRow, ...]
    role: str = ""
    scale_set: str = ""
    location: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_group.lower(), self.name.lower())


@dataclass(frozen=True)
class RowError:
    line: int
    name: str
    reason: str


@dataclass
class ParsedInventory:
    format: str  # "az-cli", "arm" or "csv"
    rows: list[InventoryRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- parsing ------------------------------------------------------------------------------------


def parse_inventory(
    data: bytes, filename: str, disk_sizes: dict[str, float] | None = None
) -> ParsedInventory:
    """Rows and per-row errors from an uploaded file; raises InventoryError for a wrong file.

    ``disk_sizes`` (``parse_disk_listing``: managed disk id -> GiB) fills the disk sizes the VM
    listing leaves empty."""
    name = (filename or "").lower()
    if not name.endswith(JSON_SUFFIXES + CSV_SUFFIXES):
        raise InventoryError(
            f"'{filename}' is neither JSON nor CSV: upload the file that "
            "'az vm list --output json' writes (.json), or a CSV (.csv) with the "
            f"header {','.join(CSV_COLUMNS)}."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InventoryError(
            f"'{filename}' is not UTF-8 text (is it a spreadsheet or an archive?): save it as "
            "JSON or as CSV (UTF-8) and upload it again."
        ) from None
    if not text.strip():
        raise InventoryError(f"'{filename}' is empty: it lists no VM.")
    if name.endswith(JSON_SUFFIXES):
        parsed = _parse_json(text, filename, disk_sizes or {})
    else:
        parsed = _parse_csv(text, filename)
    _reject_duplicates(parsed)
    return parsed


def _load_json(text: str, filename: str, what: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise InventoryError(
            f"'{filename}' is not valid JSON{where}: upload the output of '{what}' unchanged."
        ) from None


def _parse_json(text: str, filename: str, disk_sizes: dict[str, float]) -> ParsedInventory:
    doc = _load_json(text, filename, "az vm list --output json")
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        items = doc["value"]  # an ARM REST list response
    elif isinstance(doc, dict) and ("name" in doc or "properties" in doc):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        raise InventoryError(
            f"'{filename}' is JSON but not a list of VMs: expected the array that "
            "'az vm list --output json' prints, or an ARM response with 'value'."
        )
    return _parse_items(items, disk_sizes)


def _parse_items(items: list, disk_sizes: dict[str, float]) -> ParsedInventory:
    arm = any(isinstance(i, dict) and isinstance(i.get("properties"), dict) for i in items)
    parsed = ParsedInventory(format="arm" if arm else "az-cli")
    for index, item in enumerate(items, 1):
        try:
            parsed.rows.append(_json_row(index, item, disk_sizes))
        except _RowProblem as problem:
            parsed.errors.append(RowError(index, _shown(problem.name), str(problem)))
    return parsed


class _RowProblem(ValueError):
    def __init__(self, name: str, reason: str):
        super().__init__(reason)
        self.name = name


def _get(d, *keys):
    """The first present key of a dict, case variants included (diskSizeGb / diskSizeGB)."""
    if not isinstance(d, dict):
        return None
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return None


def _json_row(index: int, item, disk_sizes: dict[str, float]) -> InventoryRow:
    if not isinstance(item, dict):
        raise _RowProblem("", 'not a VM object (expected {"name": ..., ...})')
    name = str(item.get("name") or "").strip()
    props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    hardware = _get(item, "hardwareProfile") or _get(props, "hardwareProfile") or {}
    storage = _get(item, "storageProfile") or _get(props, "storageProfile") or {}
    rg = str(item.get("resourceGroup") or "").strip()
    if not rg:
        match = _RG_IN_ID.search(str(item.get("id") or ""))
        rg = match.group(1) if match else ""
    os_disk = _get(storage, "osDisk") or {}
    os_type = str(_get(os_disk, "osType") or "").strip()
    disks = [_disk(name, "OS disk", os_disk, None, disk_sizes)]
    data_disks = _get(storage, "dataDisks") or []
    if not isinstance(data_disks, list):
        raise _RowProblem(name, "storageProfile.dataDisks is not a list of disks")
    _check_disk_count(name, len(data_disks))
    for data_disk in data_disks:
        lun = _get(data_disk, "lun")
        disks.append(_disk(name, f"data disk LUN {str(lun)[:20]}", data_disk, lun, disk_sizes))
    tags = item.get("tags") if isinstance(item.get("tags"), dict) else {}
    scale_set = _get(item, "virtualMachineScaleSet") or _get(props, "virtualMachineScaleSet")
    return _row(
        index,
        name=name,
        resource_group=rg,
        os_type=os_type,
        vm_size=str(_get(hardware, "vmSize") or "").strip(),
        disks=disks,
        role=str(tags.get("role") or ""),
        scale_set=_scale_set_name(name, _get(scale_set, "id")),
        location=str(item.get("location") or ""),
    )


def _scale_set_name(vm_name: str, scale_set_id) -> str:
    """The scale set's name from ``virtualMachineScaleSet.id`` (ARM and az CLI), "" when none."""
    if not scale_set_id:
        return ""
    match = _SCALE_SET_IN_ID.search(str(scale_set_id))
    if match is None:
        raise _RowProblem(
            vm_name,
            f"virtualMachineScaleSet.id {str(scale_set_id)[:120]!r} names no scale set "
            "(expected …/providers/Microsoft.Compute/virtualMachineScaleSets/<name>)",
        )
    return match.group(1)


def _disk(vm_name: str, what: str, d, lun, disk_sizes: dict[str, float]) -> DiskRow:
    size = _get(d, "diskSizeGb", "diskSizeGB", "diskSizeGiB")
    if size is None:
        disk_id = str(_get(_get(d, "managedDisk"), "id") or "").lower()
        size = disk_sizes.get(disk_id)
    if size is None:
        raise _RowProblem(
            vm_name,
            f"{what} has no size (diskSizeGb is empty: a managed disk's size lives on the disk "
            "resource, not on the VM): upload the disks too, the JSON 'az disk list --output "
            "json' prints, which the import joins to the VMs by disk id; or sync the hub, or "
            "import a CSV",
        )
    lun_value = None if lun is None else _lun(vm_name, what, lun)
    name = str(_get(d, "name") or ("osdisk" if lun is None else f"data{lun_value}"))
    problem = bounds.name_problem(name)
    if problem:
        raise _RowProblem(vm_name, f"{what}: the disk name: {problem}")
    return DiskRow(name=name, lun=lun_value, provisioned_gib=_gib(vm_name, what, size))


def _lun(vm_name: str, what: str, value) -> int:
    problem = bounds.LUN.problem(value)
    if problem is None and float(value) != int(float(value)):
        problem = f"{value!r} is not a whole number: give one from {bounds.LUN.text}"
    if problem:
        raise _RowProblem(vm_name, f"{what}: the LUN: {problem}")
    return int(float(value))


def _gib(vm_name: str, what: str, value) -> float:
    problem = bounds.DISK_GIB.problem(str(value).strip()[:100])
    if problem:
        raise _RowProblem(vm_name, f"{what}: the size in GiB: {problem}")
    return float(str(value).strip())


def _check_disk_count(vm_name: str, data_disks: int) -> None:
    if data_disks > ranges.MAX_DATA_DISKS:
        raise _RowProblem(
            vm_name,
            f"{data_disks:,} data disks: a VM has at most {ranges.MAX_DATA_DISKS} "
            f"(LUN {bounds.LUN.text})",
        )


def _row(index: int, *, name, resource_group, os_type, vm_size, disks, role, scale_set, location):
    if not name:
        raise _RowProblem("", "the VM has no name")
    problem = bounds.name_problem(name)
    if problem:
        raise _RowProblem(name, f"the VM name: {problem}")
    if not resource_group:
        raise _RowProblem(name, "no resource group (resourceGroup, or one in the VM's id)")
    problem = bounds.name_problem(resource_group, bounds.RESOURCE_GROUP_MAX_LENGTH)
    if problem:
        raise _RowProblem(name, f"the resource group: {problem}")
    problem = bounds.name_problem(scale_set.strip())
    if problem:
        raise _RowProblem(name, f"the scale set: {problem}")
    problem = bounds.name_problem(vm_size)
    if problem:
        raise _RowProblem(name, f"the VM size: {problem}")
    os_value = os_type.lower()
    if os_value not in OsType.values:
        raise _RowProblem(
            name,
            f"OS type {os_type[:40]!r} is not Windows or Linux"
            if os_type
            else "no OS type (storageProfile.osDisk.osType): write Windows or Linux",
        )
    role_value = role.strip().lower()
    if role_value and role_value not in Role.values:
        raise _RowProblem(
            name, f"role {role[:40]!r} is not one of {', '.join(Role.values)} (or leave it empty)"
        )
    seen, luns = set(), set()
    for d in disks:
        if d.name.lower() in seen:
            raise _RowProblem(name, f"two disks are named '{d.name}'")
        seen.add(d.name.lower())
        if d.lun is not None and d.lun in luns:
            raise _RowProblem(name, f"two data disks are on LUN {d.lun}")
        luns.add(d.lun)
    return InventoryRow(
        line=index,
        name=name,
        resource_group=resource_group,
        os_type=os_value,
        vm_size=vm_size,
        disks=tuple(disks),
        role=role_value,
        scale_set=scale_set.strip(),
        location=location[:100],
    )


def _shown(name: str) -> str:
    """A name as a rejected row shows it: printable, and short enough to read."""
    printable = "".join(c if c.isprintable() else "?" for c in name[:80])
    return printable + ("…" if len(name) > 80 else "")


def _parse_csv(text: str, filename: str) -> ParsedInventory:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InventoryError(
            f"'{filename}': the header line cannot be read ({exc}): the CSV header is "
            f"{','.join(CSV_COLUMNS)}."
        ) from None
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise InventoryError(
            f"'{filename}' lacks the column(s) {', '.join(missing)}: the CSV header is "
            f"{','.join(CSV_COLUMNS)} (optional: {', '.join(CSV_OPTIONAL)})."
        )
    reader.fieldnames = header
    parsed = ParsedInventory(format="csv")
    for line, record in _csv_records(reader, parsed):
        cells = {k: (v or "").strip() if isinstance(v, str) else "" for k, v in record.items() if k}
        name = cells.get("name", "")
        try:
            disks = [DiskRow("osdisk", None, _gib(name, "OS disk", cells["os_disk_gib"]))]
            cell = cells.get("data_disks_gib", "")
            sizes = [s.strip() for s in cell.replace(",", ";").split(";") if s.strip()]
            _check_disk_count(name, len(sizes))
            for lun, size in enumerate(sizes):
                disks.append(DiskRow(f"data{lun}", lun, _gib(name, f"data disk LUN {lun}", size)))
            parsed.rows.append(
                _row(
                    line,
                    name=name,
                    resource_group=cells.get("resource_group", ""),
                    os_type=cells.get("os_type", ""),
                    vm_size=cells.get("vm_size", ""),
                    disks=disks,
                    role=cells.get("role", ""),
                    scale_set=cells.get("scale_set", ""),
                    location=cells.get("location", ""),
                )
            )
        except _RowProblem as problem:
            parsed.errors.append(RowError(line, _shown(problem.name or name), str(problem)))
    if not parsed.rows and not parsed.errors:
        raise InventoryError(f"'{filename}' has a header but no VM rows.")
    return parsed


def _csv_records(reader: csv.DictReader, parsed: ParsedInventory):
    """(line, record) for each readable row; a row the csv module cannot read (a cell longer
    than it allows) is a rejected row, and reading goes on with the next line."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            parsed.errors.append(
                RowError(
                    reader.reader.line_num,  # DictReader's own count stops at the last good row
                    "",
                    f"the line cannot be read ({exc}): no cell may be longer than "
                    f"{CSV_CELL_LIMIT:,} characters",
                )
            )
            continue
        yield reader.line_num, record


def _reject_duplicates(parsed: ParsedInventory) -> None:
    first: dict[tuple[str, str], int] = {}
    kept = []
    for row in parsed.rows:
        if row.key in first:
            parsed.errors.append(
                RowError(
                    row.line,
                    row.name,
                    f"listed twice in the file (first at {first[row.key]}): only the first counts",
                )
            )
        else:
            first[row.key] = row.line
            kept.append(row)
    parsed.rows = kept
    parsed.errors.sort(key=lambda e: e.line)


# --- disks and ARM objects ---------------------------------------------------------------------


def parse_disk_listing(data: bytes, filename: str) -> dict[str, float]:
    """Managed disk id (lower case) -> size in GiB, from what 'az disk list --output json'
    prints (``diskSizeGb``) or an ARM disks list (``properties.diskSizeGB``, ``value``).

    Disks without an id or a size are left out: a VM disk they would size stays an error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InventoryError(
            f"'{filename}' is not UTF-8 text: upload the JSON unchanged."
        ) from None
    doc = _load_json(text, filename, "az disk list --output json")
    return disk_sizes_from(doc, filename)


def disk_sizes_from(doc, filename: str = "the disk listing") -> dict[str, float]:
    items = doc.get("value") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InventoryError(
            f"'{filename}' is JSON but not a list of disks: expected the array that "
            "'az disk list --output json' prints, or an ARM response with 'value'."
        )
    sizes = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
        size = _get(item, "diskSizeGb", "diskSizeGB") or _get(props, "diskSizeGb", "diskSizeGB")
        disk_id = str(item.get("id") or "").lower()
        if disk_id and size is not None:
            try:
                sizes[disk_id] = float(size)
            except (TypeError, ValueError, OverflowError):  # 1e400 as an integer: too big
                continue
        # an unreadable size is left out: the VM's disk then says it has no size
    return sizes


def resource_group_of(resource_id: str) -> str:
    """The resource group named in an ARM resource id ('' when none)."""
    match = _RG_IN_ID.search(str(resource_id or ""))
    return match.group(1) if match else ""


def parse_arm(vms: list[dict], disks: list[dict]) -> ParsedInventory:
    """Rows from ARM objects as the Compute API returns them (``properties`` shape, e.g. an SDK
    model's ``serialize(keep_readonly=True)``), sizes of managed disks joined from ``disks``
    (the subscription's disk resources) by id. The sync's path into the import."""
    parsed = _parse_items(list(vms), disk_sizes_from(list(disks)))
    parsed.format = "arm"
    _reject_duplicates(parsed)
    return parsed


# --- preview ------------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED, REJECT = "create", "update", "unchanged", "reject"


@dataclass(frozen=True)
class PreviewRow:
    line: int
    action: str  # CREATE, UPDATE, UNCHANGED or REJECT
    name: str
    resource_group: str = ""
    detail: str = ""  # what changes, why it is rejected, or a note
    row: InventoryRow | None = None
    vm_id: int | None = None


@dataclass
class Preview:
    application: Application
    subscription: Subscription
    fill_ratio: float
    opt_in: bool
    format: str
    rows: list[PreviewRow]
    sizes: dict[str, int]  # lower-case size name -> VmSize id
    existing_disks: dict[int, dict[str, tuple[int, float, float, int | None]]]
    scale_sets: dict[int, str] = field(default_factory=dict)  # VM id -> its scale set now

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in (CREATE, UPDATE, UNCHANGED, REJECT)}

    @property
    def assumption(self) -> str:
        return (
            f"Azure's listing has no used space: a new disk's used GiB is taken as "
            f"{self.fill_ratio:.0%} of its provisioned size (fill ratio {self.fill_ratio:g}); "
            "disks that already exist keep the used GiB they have. Correct it per disk on the "
            "VM's page."
        )


def check_target(application: Application, subscription: Subscription) -> None:
    error = subscription_error(application, subscription)
    if error:
        raise InventoryError(error)


def _may_change(user, owner_id) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return access.can_change_owned(user, owner_id)


def preview_import(
    parsed: ParsedInventory,
    *,
    application: Application,
    subscription: Subscription,
    fill_ratio: float = DEFAULT_FILL_RATIO,
    opt_in: bool = False,
    user=None,
) -> Preview:
    """What a commit would do, row by row. Three queries whatever the size of the file.

    A row of a VM registered in another app names that app only when ``user`` may change it
    (its owner, or an operator); otherwise it says "an app you cannot change"."""
    check_target(application, subscription)
    if not 0 < fill_ratio <= 1:
        raise InventoryError("the fill ratio is a fraction above 0 and at most 1 (0.6 = 60 %)")
    sizes = {n.lower(): i for n, i in VmSize.objects.values_list("name", "id")}
    # Only the file's resource groups matter (a row's key is resource group + name): the
    # index behind the VMs' unique constraint finds them without reading the subscription.
    groups = sorted({row.key[0] for row in parsed.rows})
    in_groups = VirtualMachine.objects.annotate(rg_key=Lower("resource_group")).filter(
        subscription=subscription, rg_key__in=groups
    )
    existing = {}
    for (
        vm_id,
        rg,
        name,
        app_id,
        app_name,
        owner_id,
        os_type,
        size_id,
        scale_set,
    ) in in_groups.values_list(
        "id",
        "resource_group",
        "name",
        "application_id",
        "application__name",
        "application__owner_id",
        "os_type",
        "size_id",
        "scale_set",
    ):
        if not _may_change(user, owner_id):
            app_name = None
        existing[(rg.lower(), name.lower())] = (
            vm_id,
            app_id,
            app_name,
            os_type,
            size_id,
            scale_set,
        )
    disks: dict[int, dict[str, tuple[int, float, float, int | None]]] = {}
    for disk_id, vm_id, name, prov, used, lun in Disk.objects.filter(
        vm__in=in_groups.values("pk")
    ).values_list("id", "vm_id", "name", "provisioned_gib", "used_gib", "lun"):
        disks.setdefault(vm_id, {})[name.lower()] = (disk_id, prov, used, lun)
    rows = [
        PreviewRow(e.line, REJECT, e.name or "(no name)", detail=e.reason) for e in parsed.errors
    ]
    for row in parsed.rows:
        note = ""
        if row.vm_size and row.vm_size.lower() not in sizes:
            note = (
                f"size '{row.vm_size}' is not in the Azure Stack Hub size catalog: "
                "vCPU and memory stay empty"
            )
        found = existing.get(row.key)
        if found is None:
            disks_text = f"{row.os_type.title()}, {row.vm_size or 'size unknown'}; " + ", ".join(
                f"{d.name} {d.provisioned_gib:g} GiB" for d in row.disks
            )
            rows.append(
                PreviewRow(
                    row.line,
                    CREATE,
                    row.name,
                    row.resource_group,
                    "; ".join(x for x in (disks_text, note) if x),
                    row,
                )
            )
            continue
        vm_id, app_id, app_name, os_type, size_id, scale_set = found
        if app_id != application.pk:
            rows.append(
                PreviewRow(
                    row.line,
                    REJECT,
                    row.name,
                    row.resource_group,
                    (
                        f"already registered in app '{app_name}' in this subscription: a VM "
                        "belongs to one app; import it into that app, or move it there first"
                        if app_name is not None
                        else "already registered in an app you cannot change, in this "
                        "subscription: a VM belongs to one app; ask an operator to move it"
                    ),
                    row,
                    vm_id,
                )
            )
            continue
        changes = _changes(row, os_type, size_id, scale_set, sizes, disks.get(vm_id, {}))
        rows.append(
            PreviewRow(
                row.line,
                UPDATE if changes else UNCHANGED,
                row.name,
                row.resource_group,
                "; ".join(x for x in (", ".join(changes), note) if x),
                row,
                vm_id,
            )
        )
    rows.sort(key=lambda r: r.line)
    return Preview(
        application=application,
        subscription=subscription,
        fill_ratio=fill_ratio,
        opt_in=opt_in,
        format=parsed.format,
        rows=rows,
        sizes=sizes,
        existing_disks=disks,
        scale_sets={v[0]: v[5] for v in existing.values() if v[5]},
    )


def _changes(row: InventoryRow, os_type, size_id, scale_set, sizes, disks) -> list[str]:
    out = []
    if row.os_type != os_type:
        out.append(f"OS {os_type} → {row.os_type}")
    # A listing that names a scale set sets it; one that names none leaves the owner's entry.
    if row.scale_set and row.scale_set != scale_set:
        out.append(f"scale set {scale_set or 'none'} → {row.scale_set}")
    new_size = sizes.get(row.vm_size.lower()) if row.vm_size else None
    if new_size != size_id:
        out.append(f"size → {row.vm_size or 'none'}")
    names = {d.name.lower() for d in row.disks}
    for d in row.disks:
        old = disks.get(d.name.lower())
        if old is None:
            out.append(f"new disk {d.name} {d.provisioned_gib:g} GiB")
        elif old[1] != d.provisioned_gib or old[3] != d.lun:
            out.append(f"disk {d.name} {old[1]:g} → {d.provisioned_gib:g} GiB")
    for name in sorted(set(disks) - names):
        out.append(f"disk {name} removed")
    return out


# --- commit -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    rejected: int


def import_inventory(
    parsed: ParsedInventory,
    *,
    application: Application,
    subscription: Subscription,
    fill_ratio: float = DEFAULT_FILL_RATIO,
    opt_in: bool = False,
    preview: Preview | None = None,
    user=None,
) -> ImportOutcome:
    """Write what ``preview_import`` shows, all or nothing (one transaction, bulk writes).

    Rejected rows are left out, exactly as the preview listed them. A caller already in a
    transaction may pass the ``preview`` it made there (the hub sync records it as drift)."""
    with transaction.atomic():
        preview = preview or preview_import(
            parsed,
            application=application,
            subscription=subscription,
            fill_ratio=fill_ratio,
            opt_in=opt_in,
            user=user,
        )
        new_vms, new_disk_rows = [], []
        for p in preview.rows:
            if p.action != CREATE:
                continue
            vm = _vm(p.row, application, subscription, preview, opt_in)
            new_vms.append(vm)
            new_disk_rows.append(p.row.disks)
        VirtualMachine.objects.bulk_create(new_vms, batch_size=1000)
        disks_to_create = [
            _new_disk(vm, d, fill_ratio)
            for vm, rows in zip(new_vms, new_disk_rows, strict=True)
            for d in rows
        ]
        _apply_updates(preview, fill_ratio, disks_to_create)
        Disk.objects.bulk_create(disks_to_create, batch_size=2000)
    counts = preview.counts
    return ImportOutcome(counts[CREATE], counts[UPDATE], counts[UNCHANGED], counts[REJECT])


def _vm(row: InventoryRow, application, subscription, preview: Preview, opt_in: bool):
    return VirtualMachine(
        application=application,
        subscription=subscription,
        resource_group=row.resource_group,
        name=row.name,
        os_type=row.os_type,
        size_id=preview.sizes.get(row.vm_size.lower()) if row.vm_size else None,
        role=row.role or Role.OTHER,
        scale_set=row.scale_set,
        opted_in=opt_in,
    )


def _new_disk(vm, d: DiskRow, fill_ratio: float) -> Disk:
    return Disk(
        vm=vm,
        name=d.name,
        lun=d.lun,
        provisioned_gib=d.provisioned_gib,
        used_gib=round(d.provisioned_gib * fill_ratio, 1),
    )


def _apply_updates(preview: Preview, fill_ratio: float, disks_to_create: list[Disk]) -> None:
    vms, disks, delete_ids = [], [], []
    for p in preview.rows:
        if p.action != UPDATE:
            continue
        row = p.row
        vms.append(
            VirtualMachine(
                pk=p.vm_id,
                os_type=row.os_type,
                size_id=preview.sizes.get(row.vm_size.lower()) if row.vm_size else None,
                scale_set=row.scale_set or preview.scale_sets.get(p.vm_id, ""),
            )
        )
        old = preview.existing_disks.get(p.vm_id, {})
        names = set()
        for d in row.disks:
            names.add(d.name.lower())
            found = old.get(d.name.lower())
            if found is None:
                disks_to_create.append(_new_disk(VirtualMachine(pk=p.vm_id), d, fill_ratio))
            elif found[1] != d.provisioned_gib or found[3] != d.lun:
                disk_id, _, used, _ = found
                disks.append(
                    Disk(
                        pk=disk_id,
                        lun=d.lun,
                        provisioned_gib=d.provisioned_gib,
                        used_gib=min(used, d.provisioned_gib),
                    )
                )
        delete_ids.extend(v[0] for k, v in old.items() if k not in names)
    if delete_ids:
        Disk.objects.filter(pk__in=delete_ids).delete()
    if vms:
        VirtualMachine.objects.bulk_update(
            vms, ["os_type", "size_id", "scale_set"], batch_size=1000
        )
    if disks:
        Disk.objects.bulk_update(disks, ["lun", "provisioned_gib", "used_gib"], batch_size=1000)


def rows_for_display(preview: Preview, limit: int = 500) -> Iterable[PreviewRow]:
    """Every rejected row, then the others up to ``limit`` (a 10,000-row page helps nobody)."""
    rejected = [r for r in preview.rows if r.action == REJECT]
    others = [r for r in preview.rows if r.action != REJECT][: max(0, limit - len(rejected))]
    return sorted(rejected + others, key=lambda r: r.line)
