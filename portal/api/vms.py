"""VMs with their disks (nested, writable), the bulk opt-in, per-VM sizing and the inventory
import (the portal's formats, preview, and all-or-nothing commit: planner.services.inventory)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from planner import bounds, ranges
from planner.models import Disk, Subscription, VirtualMachine, VmResult, VmSize
from planner.services import actions, inventory
from planner.services.decisions import stamp_vm_decision
from portal.api.base import (
    ApiViewSet,
    ChangeableAppField,
    CreateMixin,
    IdentityUrlField,
    ModelCleanSerializer,
    ResizesItsApp,
    UpdateMixin,
)
from portal.api.filters import MAX_ID, VirtualMachineFilter
from portal.api.permissions import EstatePermission

MAX_DISKS_PER_VM = ranges.MAX_DATA_DISKS + 1  # the OS disk and at most 64 data disks
MAX_BULK_VMS = 10_000


class DiskSerializer(ModelCleanSerializer):
    clean_exclude = ("vm",)

    class Meta:
        model = Disk
        fields = ["id", "name", "lun", "provisioned_gib", "used_gib"]


@extend_schema_field(OpenApiTypes.INT)
class VisibleVmField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "VM {pk_value} does not exist or is not yours to see.",
    }

    def get_queryset(self):
        return VirtualMachine.objects.for_user(self.context["request"].user)


class VirtualMachineSerializer(ModelCleanSerializer):
    url = IdentityUrlField(view_name="api:virtualmachine-detail")
    application = ChangeableAppField()
    application_name = serializers.CharField(source="application.name", read_only=True)
    subscription = serializers.PrimaryKeyRelatedField(queryset=Subscription.objects.all())
    size = serializers.SlugRelatedField(
        slug_field="name",
        queryset=VmSize.objects.all(),
        allow_null=True,
        required=False,
        help_text="An Azure Stack Hub VM size, e.g. Standard_D2_v2 (null: unknown)",
    )
    vcpu = serializers.IntegerField(source="size.vcpu", read_only=True, allow_null=True)
    memory_gib = serializers.FloatField(source="size.memory_gib", read_only=True, allow_null=True)
    depends_on = VisibleVmField(
        many=True, required=False, help_text="Ids of VMs that must be running before this one"
    )
    no_protection_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who recorded the decision to go without protection (set by the server)",
    )
    disks = DiskSerializer(
        many=True,
        required=False,
        max_length=MAX_DISKS_PER_VM,
        help_text="On a write, the VM's full list of disks: matched by name (case-insensitive); "
        "disks left out are removed. Omit it in a PATCH to keep the disks as they are.",
    )

    class Meta:
        model = VirtualMachine
        fields = [
            "id",
            "url",
            "application",
            "application_name",
            "subscription",
            "resource_group",
            "name",
            "os_type",
            "size",
            "vcpu",
            "memory_gib",
            "role",
            "scale_set",
            "keep_in_backup",
            "opted_in",
            "no_protection_why",
            "no_protection_by",
            "no_protection_at",
            "change_rate",
            "growth_per_year",
            "boot_group",
            "restore_approach",
            "depends_on",
            "disks",
        ]
        read_only_fields = ["no_protection_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        current = self.instance
        errors = {}
        # "The subscription is in the app's source cloud": VirtualMachine.clean.
        if current is not None and any(d.pk == current.pk for d in attrs.get("depends_on", ())):
            errors["depends_on"] = ["A VM cannot depend on itself."]
        names = [d["name"].lower() for d in attrs.get("disks", ())]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            errors["disks"] = [f"Two disks are named {', '.join(twice)}: disk names are unique."]
        luns = [d["lun"] for d in attrs.get("disks", ()) if d.get("lun") is not None]
        if len(luns) > ranges.MAX_DATA_DISKS:
            errors["disks"] = [
                f"{len(luns)} data disks: a VM has at most {ranges.MAX_DATA_DISKS} "
                f"(LUN {bounds.LUN.text})."
            ]
        elif len(set(luns)) < len(luns):
            twice_luns = sorted({n for n in luns if luns.count(n) > 1})
            errors["disks"] = [
                f"Two data disks are on LUN {', '.join(map(str, twice_luns))}: one disk per LUN."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        disks = validated_data.pop("disks", [])
        depends_on = validated_data.pop("depends_on", [])
        vm = VirtualMachine(**validated_data)
        stamp_vm_decision(vm, self.context["request"].user)
        vm.save()
        vm.depends_on.set(depends_on)
        Disk.objects.bulk_create([Disk(vm=vm, **d) for d in disks])
        return vm

    def update(self, vm, validated_data):
        disks = validated_data.pop("disks", None)
        depends_on = validated_data.pop("depends_on", None)
        before = vm.no_protection_why
        for name, value in validated_data.items():
            setattr(vm, name, value)
        stamp_vm_decision(vm, self.context["request"].user, before=before)
        vm.save()
        if depends_on is not None:
            vm.depends_on.set(depends_on)
        if disks is not None:
            _replace_disks(vm, disks)
        return vm


class VirtualMachineRowSerializer(VirtualMachineSerializer):
    """A row of the VM list, as the schema describes it: the same fields as a VM, read-only.
    The rows themselves are built by ``list_rows``, with the same JSON as ``VirtualMachineSerializer``
    gives for each VM (tests/api/test_api_lists.py compares them)."""

    depends_on = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Ids of VMs that must be running before this one",
    )
    disks = DiskSerializer(many=True, read_only=True)


# The VM list's rows as ``VirtualMachineSerializer`` writes each VM (tests/api/test_api_lists.py
# compares the two on every kind of row): each key of the JSON, and the ``values()`` column
# it is read from. Building each row with the serializer took half the list's time (its fields
# looked up, read and converted one by one per row; bench/api_lists.py, issue 19).
LIST_COLUMNS = {
    "id": "id",
    "application": "application",
    "application_name": "application__name",
    "subscription": "subscription",
    "resource_group": "resource_group",
    "name": "name",
    "os_type": "os_type",
    "size": "size__name",
    "vcpu": "size__vcpu",
    "memory_gib": "size__memory_gib",
    "role": "role",
    "scale_set": "scale_set",
    "keep_in_backup": "keep_in_backup",
    "opted_in": "opted_in",
    "no_protection_why": "no_protection_why",
    "no_protection_by": "no_protection_by__username",
    "no_protection_at": "no_protection_at",
    "change_rate": "change_rate",
    "growth_per_year": "growth_per_year",
    "boot_group": "boot_group",
    "restore_approach": "restore_approach",
}
_DATETIME = serializers.DateTimeField()  # the serializer's own format for no_protection_at


def list_rows(ids: list[int], url: tuple[str, str, str]) -> list[dict]:
    """The JSON rows of the VMs ``ids``, in that order: one query for the VMs (``values()``),
    one each for their disks and dependencies. ``url`` is the detail URL split around its id."""
    if not ids:
        return []
    head, _, tail = url
    columns = list(LIST_COLUMNS.values())
    by_pk = {row["id"]: row for row in VirtualMachine.objects.filter(pk__in=ids).values(*columns)}
    rows = []
    for pk in ids:
        vm = by_pk.get(pk)
        if vm is None:
            continue  # deleted between the two queries
        row = {"id": pk, "url": f"{head}{pk}{tail}"}
        for key, column in LIST_COLUMNS.items():
            row[key] = vm[column]
        if row["no_protection_at"] is not None:
            row["no_protection_at"] = _DATETIME.to_representation(row["no_protection_at"])
        rows.append(row)
    disks: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    for disk in (
        Disk.objects.filter(vm_id__in=disks)
        .order_by("lun", "name", "pk")
        .values("vm_id", "id", "name", "lun", "provisioned_gib", "used_gib")
    ):
        disks[disk.pop("vm_id")].append(disk)
    depends: dict[int, list[int]] = {row["id"]: [] for row in rows}
    through = VirtualMachine.depends_on.through
    for vm_id, other in (
        through.objects.filter(from_virtualmachine_id__in=depends)
        .order_by("to_virtualmachine_id")
        .values_list("from_virtualmachine_id", "to_virtualmachine_id")
    ):
        depends[vm_id].append(other)
    for row in rows:
        row["depends_on"], row["disks"] = depends[row["id"]], disks[row["id"]]
    return rows


def _replace_disks(vm: VirtualMachine, disks: list[dict]) -> None:
    """Make the VM's disks exactly ``disks``: update by name, create new ones, delete the rest."""
    existing = {d.name.lower(): d for d in vm.disks.all()}
    wanted = {d["name"].lower(): d for d in disks}
    Disk.objects.filter(pk__in=[d.pk for n, d in existing.items() if n not in wanted]).delete()
    changed = []
    for name, data in wanted.items():
        disk = existing.get(name)
        if disk is not None:
            for field, value in data.items():
                setattr(disk, field, value)
            changed.append(disk)
    Disk.objects.bulk_update(changed, ["name", "lun", "provisioned_gib", "used_gib"])
    Disk.objects.bulk_create([Disk(vm=vm, **d) for n, d in wanted.items() if n not in existing])


class OptInSerializer(serializers.Serializer):
    vms = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BULK_VMS,
        help_text="Ids of the VMs to opt in or out (VMs of apps you may change)",
    )
    opted_in = serializers.BooleanField(help_text="true: protect them; false: opt them out")

    # All of them or none (VMs of apps you may change): planner.services.actions.set_opted_in.


class OptInResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="VMs whose opt-in changed")
    unchanged = serializers.IntegerField(help_text="VMs already as asked")
    applications = serializers.ListField(
        child=serializers.IntegerField(), help_text="Apps whose sizing will be updated"
    )


class VmResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = VmResult
        exclude = ["id", "vm", "application"]


class VirtualMachineViewSet(
    ResizesItsApp,
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CreateMixin,
    UpdateMixin,
    mixins.DestroyModelMixin,
):
    """VMs with their disks. A write re-sizes the VM's app (coalesced with other quick edits)."""

    permission_classes = [EstatePermission]
    filterset_class = VirtualMachineFilter
    ordering_fields = ["id", "name", "resource_group", "application__name", "os_type", "role"]
    ordering = ["application__name", "name"]

    def get_queryset(self):
        vms = VirtualMachine.objects.for_user(self.request.user)
        if self.action != "list":
            return vms.select_related("application", "size", "no_protection_by").prefetch_related(
                # Without the models' default orderings, which would join the VM and its app
                # again (a disk orders by its VM: the app's name, the VM's name) for nothing.
                Prefetch("disks", queryset=Disk.objects.order_by("lun", "name", "pk")),
                Prefetch("depends_on", queryset=VirtualMachine.objects.only("pk").order_by("pk")),
            )
        # A list sorts and pages the ids only, then reads the page's rows (``list``).
        return vms

    def get_serializer_class(self):
        return VirtualMachineRowSerializer if self.action == "list" else VirtualMachineSerializer

    def list(self, request, *args, **kwargs):
        """A page of VMs: its ids first (the ordering's joins and nothing else, as the portal's
        lists: portal/paging.py), then its rows as dicts (``list_rows``)."""
        ids = self.filter_queryset(self.get_queryset()).values_list("pk", flat=True)
        page = self.paginate_queryset(ids)
        mark = IdentityUrlField.MARK  # the detail URL reversed once, each row's id put in
        url = reverse("api:virtualmachine-detail", kwargs={"pk": mark}, request=request)
        rows = list_rows(list(ids) if page is None else page, url.rpartition(mark))
        return Response(rows) if page is None else self.get_paginated_response(rows)

    @extend_schema(request=OptInSerializer, responses=OptInResultSerializer)
    @action(detail=False, methods=["post"], url_path="opt-in")
    def opt_in(self, request):
        """Opt many VMs in (or out) at once: all of them, or none when one is not yours."""
        serializer = OptInSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ids, wanted = serializer.validated_data["vms"], serializer.validated_data["opted_in"]
        try:
            outcome = actions.set_opted_in(request.user, ids, wanted)
        except actions.OptInRefused as exc:
            raise serializers.ValidationError({"vms": [str(exc)]}) from None
        return Response(OptInResultSerializer(outcome.__dict__).data)

    @extend_schema(responses=VmResultSerializer)
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        """The VM's current sizing, with the arithmetic behind each figure (``explanation``)."""
        vm = self.get_object()
        result = VmResult.objects.filter(vm=vm).first()
        if result is None:
            raise NotFound(
                "This VM has not been sized yet (opt it in, then POST /api/v1/runs/ with its app)."
            )
        return Response(VmResultSerializer(result).data)


# --- inventory import -----------------------------------------------------------------------


class InventoryUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The JSON 'az vm list --output json' prints (or an ARM REST response), or a "
        "CSV with the header " + ",".join(inventory.CSV_COLUMNS)
    )
    disks = serializers.FileField(
        required=False,
        help_text="Optional: the JSON 'az disk list --output json' prints; fills the managed "
        "disk sizes the VM listing leaves empty, joined to the VMs by disk id",
    )
    application = ChangeableAppField(help_text="The app the VMs belong to")
    subscription = serializers.PrimaryKeyRelatedField(
        queryset=Subscription.objects.select_related("cloud"),
        help_text="The subscription the VMs run in (in the app's source cloud)",
    )
    fill_ratio = serializers.FloatField(
        min_value=0.01,
        max_value=1,
        default=inventory.DEFAULT_FILL_RATIO,
        help_text="Azure does not report used space: a new disk's used GiB is its provisioned "
        "size times this ratio",
    )
    opt_in = serializers.BooleanField(default=False, help_text="Opt the new VMs in")

    def validate_disks(self, upload):
        return self.validate_file(upload) if upload else None

    def validate_file(self, upload):
        limit = settings.INVENTORY_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MiB; the limit is "
                f"{limit / 1_048_576:.1f} MiB. Split the inventory (e.g. one file per resource "
                "group) and import the parts one after another."
            )
        return upload

    def validate(self, attrs):
        try:
            inventory.check_target(attrs["application"], attrs["subscription"])
        except inventory.InventoryError as exc:
            raise serializers.ValidationError({"subscription": [str(exc)]}) from None
        upload, disks = attrs["file"], attrs.get("disks")
        try:
            sizes = inventory.parse_disk_listing(disks.read(), disks.name) if disks else None
        except inventory.InventoryError as exc:
            raise serializers.ValidationError({"disks": [str(exc)]}) from None
        try:
            attrs["parsed"] = inventory.parse_inventory(upload.read(), upload.name, sizes)
        except inventory.InventoryError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return attrs

    def service_args(self) -> dict:
        data = self.validated_data
        return {
            "application": data["application"],
            "subscription": data["subscription"],
            "fill_ratio": data["fill_ratio"],
            "opt_in": data["opt_in"],
            "user": self.context["request"].user,
        }


class InventoryCommitSerializer(InventoryUploadSerializer):
    skip_rejected = serializers.BooleanField(
        default=False,
        help_text="Import the valid rows when some are rejected (default: import nothing)",
    )


class PreviewRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Item of the JSON list, or line of the CSV")
    action = serializers.ChoiceField(choices=["create", "update", "unchanged", "reject"])
    name = serializers.CharField()
    resource_group = serializers.CharField()
    detail = serializers.CharField(help_text="What changes, or why the row is rejected")


class PreviewCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    reject = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="az-cli, arm or csv")
    counts = PreviewCountsSerializer()
    assumption = serializers.CharField()
    rows = PreviewRowSerializer(many=True)


class ImportOutcomeSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    run = serializers.URLField(
        allow_null=True, help_text="The sizing run that will update the app (null: no change)"
    )


class InventoryViewSet(ApiViewSet):
    """Import VMs and disks: preview what a commit would do, then commit it in one transaction.

    Both take the same multipart form. The commit writes exactly what the preview shows; when a
    row is rejected it imports nothing unless ``skip_rejected`` is true."""

    permission_classes = [EstatePermission]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = InventoryUploadSerializer

    @extend_schema(request=InventoryUploadSerializer, responses=PreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """Row by row: what a commit would create, update, leave unchanged or reject, and why."""
        upload = InventoryUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        preview = inventory.preview_import(upload.validated_data["parsed"], **upload.service_args())
        return Response(PreviewSerializer(_preview_data(preview)).data)

    @extend_schema(request=InventoryCommitSerializer, responses=ImportOutcomeSerializer)
    @action(detail=False, methods=["post"])
    def commit(self, request):
        """Write what the preview shows, all or nothing; the app is re-sized afterwards."""
        upload = InventoryCommitSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        parsed, args = upload.validated_data["parsed"], upload.service_args()
        if not upload.validated_data["skip_rejected"]:
            preview = inventory.preview_import(parsed, **args)
            rejected = [r for r in preview.rows if r.action == inventory.REJECT]
            if rejected:
                raise serializers.ValidationError(
                    {
                        "file": [
                            f"{len(rejected)} row(s) are rejected, so nothing was imported: fix "
                            "them, or send skip_rejected=true to import the other rows."
                        ]
                        + [f"line {r.line} ({r.name}): {r.detail}" for r in rejected[:50]]
                    }
                )
        outcome, run = actions.import_inventory(parsed, **args)
        data = {
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "rejected": outcome.rejected,
            "run": reverse("api:sizingrun-detail", args=[run.pk], request=request) if run else None,
        }
        return Response(ImportOutcomeSerializer(data).data)


def _preview_data(preview) -> dict:
    return {
        "format": preview.format,
        "counts": preview.counts,
        "assumption": preview.assumption,
        "rows": [
            {
                "line": r.line,
                "action": r.action,
                "name": r.name,
                "resource_group": r.resource_group,
                "detail": r.detail,
            }
            for r in preview.rows
        ],
    }
