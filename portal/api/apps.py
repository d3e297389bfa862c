"""Applications (with their boot order) and drills.

An app is validated as the portal's form validates it: the model's ``clean()`` and constraints;
the source is an Azure Stack Hub cloud; the recovery target, backup target and product are ones
the rules allow for the app as it stands (``planner.rules.eligibility``, the functions the form
offers its choices with), each refusal with its reason; the RTO fits within the MTPD; "no
recovery" needs a reason, recorded with who decided and when.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from planner import facts
from planner.models import (
    Application,
    Cloud,
    CloudKind,
    Drill,
    Scheme,
    TierServiceLevel,
    VirtualMachine,
)
from planner.rules.eligibility import backup_target_reasons, cloud_reasons, product_reasons
from planner.services import actions
from planner.services.facts import cloud_facts, product_facts, target_facts
from portal import access
from portal.api.base import (
    ApiViewSet,
    ChangeableAppField,
    CreateMixin,
    IdentityUrlField,
    ModelCleanSerializer,
    ResizesItsApp,
    UpdateMixin,
)
from portal.api.filters import ApplicationFilter, DrillFilter
from portal.api.pagination import IdsFirstPagination
from portal.api.permissions import EstatePermission
from portal.paging import vm_counts

User = get_user_model()

# Changing one of these can change which targets and products the rules allow.
ELIGIBILITY_INPUTS = (
    "source_cloud",
    "allow_azure",
    "allow_service_provider",
    "allowed_countries",
    "scheme",
    "recovery_target",
    "backup_target",
    "product",
)


class OwnerField(serializers.SlugRelatedField):
    """The owner, by username. Owners may name only themselves; operators anyone."""

    default_error_messages = {
        "does_not_exist": (
            "'{value}' cannot be made the owner: owners register apps under their own name; "
            "an operator can hand an app to another owner."
        ),
        "invalid": "Give the owner's username.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        return User.objects.all() if access.is_operator(user) else User.objects.filter(pk=user.pk)


class ResultSummarySerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField()
    compliant = serializers.BooleanField(help_text="No blocking finding")
    blocking_count = serializers.IntegerField()
    warning_count = serializers.IntegerField()
    recommended_scheme = serializers.CharField()
    monthly_cost = serializers.FloatField()


class ApplicationSerializer(ModelCleanSerializer):
    url = IdentityUrlField(view_name="api:application-detail")
    owner = OwnerField(default=serializers.CurrentUserDefault())
    source_cloud = serializers.PrimaryKeyRelatedField(
        queryset=Cloud.objects.filter(kind=CloudKind.AZURE_STACK_HUB),
        help_text="The Azure Stack Hub cloud the app's VMs run in",
    )
    no_protection_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who recorded the decision to go without protection",
    )
    vm_count = serializers.IntegerField(read_only=True)
    protected_vm_count = serializers.IntegerField(read_only=True)
    result = serializers.SerializerMethodField(
        help_text="The latest sizing in brief; null until the app has been sized"
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "url",
            "name",
            "description",
            "owner",
            "tier",
            "rto_minutes",
            "rpo_minutes",
            "mtpd_minutes",
            "scheme",
            "source_cloud",
            "recovery_target",
            "backup_target",
            "policy",
            "product",
            "allow_azure",
            "allow_service_provider",
            "allowed_countries",
            "native_ha",
            "ha_replication",
            "no_protection_why",
            "no_protection_by",
            "no_protection_at",
            "manual_steps",
            "link_mbps",
            "link_other_mbps",
            "replication_interval_minutes",
            "growth_horizon_days",
            "created_at",
            "changed_at",
            "vm_count",
            "protected_vm_count",
            "result",
        ]
        read_only_fields = ["no_protection_at", "created_at", "changed_at"]
        extra_kwargs = {
            "rto_minutes": {
                "required": False,
                "help_text": "Recovery time objective, minutes; on create, omitted: the tier's "
                "default set by operators",
            },
            "rpo_minutes": {
                "required": False,
                "help_text": "Recovery point objective, minutes; on create, omitted: the tier's "
                "default set by operators",
            },
        }

    @extend_schema_field(ResultSummarySerializer(allow_null=True))
    def get_result(self, app):
        result = getattr(app, "result", None)
        return ResultSummarySerializer(result).data if result is not None else None

    def before_clean(self, app, attrs):
        """Who decided to go without protection, and when (as the portal's form records it)."""
        decided = ("no_protection_by", "no_protection_at", "no_protection_why")
        why = (app.no_protection_why or "").strip()
        if app.scheme != Scheme.NONE:
            app.no_protection_by, app.no_protection_at, app.no_protection_why = None, None, ""
            return decided
        if not why:
            raise serializers.ValidationError(
                {
                    "no_protection_why": [
                        "Going without protection is an explicit decision: say why (e.g. "
                        "'dev/test, rebuilt from templates'), or choose a protection scheme."
                    ]
                }
            )
        before = self.instance.no_protection_why if self.instance else ""
        if why != before or not app.no_protection_by_id:
            app.no_protection_by = self.context["request"].user
            app.no_protection_at = timezone.now()
        app.no_protection_why = why
        return decided

    def validate(self, attrs):
        if self.instance is None:
            attrs = self._tier_defaults(attrs)
        attrs = super().validate(attrs)
        app = Application(**{**self._current(), **attrs})
        errors = {}  # "RTO within MTPD": Application.clean, through super().validate()
        if self.instance is None or any(name in attrs for name in ELIGIBILITY_INPUTS):
            errors.update(self._eligibility(app))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _tier_defaults(self, attrs: dict) -> dict:
        """A new app starts from its tier's service level: objectives left out take the tier's."""
        missing = [n for n in ("rto_minutes", "rpo_minutes") if attrs.get(n) is None]
        if not missing:
            return attrs
        tier = attrs.get("tier", Application._meta.get_field("tier").default)
        level = TierServiceLevel.for_tier(tier)
        if level is None:
            raise serializers.ValidationError(
                {
                    n: [f"Give this objective: operators have set no default for tier {tier}."]
                    for n in missing
                }
            )
        attrs = {**attrs, **{n: getattr(level, n) for n in missing}}
        if "mtpd_minutes" not in attrs and level.mtpd_minutes is not None:
            attrs["mtpd_minutes"] = level.mtpd_minutes
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {f.name: getattr(self.instance, f.name) for f in Application._meta.concrete_fields}

    def _eligibility(self, app: Application) -> dict:
        """Targets and product the rules refuse for this app, each with the rules' reasons."""
        vms = ()
        if app.pk:
            vms = tuple(
                facts.Vm(id=pk, name=name, app_id=app.pk, os_type=os_type, opted_in=True)
                for pk, name, os_type in VirtualMachine.objects.filter(
                    application_id=app.pk, opted_in=True
                ).values_list("pk", "name", "os_type")
            )
        state = facts.App(
            id=app.pk or 0,
            name=app.name or "this app",
            scheme=app.scheme,
            source_cloud=cloud_facts(app.source_cloud),
            allowed_target_kinds=app.allowed_target_kinds,
            allowed_countries=app.countries,
            vms=vms,
        )
        refused = {}
        if app.recovery_target_id:
            refused["recovery_target"] = cloud_reasons(state, cloud_facts(app.recovery_target))
        if app.backup_target_id:
            refused["backup_target"] = backup_target_reasons(state, target_facts(app.backup_target))
        if app.product_id and app.scheme in facts.PROTECTING_SCHEMES:
            refused["product"] = product_reasons(product_facts(app.product), app.scheme, vms)
        return {
            name: [f"Not allowed for this app: {'; '.join(reasons)}."]
            for name, reasons in refused.items()
            if reasons
        }


class BootVmSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class BootGroupSerializer(serializers.Serializer):
    group = serializers.IntegerField(help_text="1 boots first")
    vms = BootVmSerializer(many=True)


class BootOrderSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    groups = BootGroupSerializer(many=True)
    failover = serializers.ListField(child=serializers.CharField(), help_text="Runbook steps")
    failback = serializers.ListField(child=serializers.CharField())
    shutdown = serializers.ListField(child=serializers.CharField())
    cycle = serializers.ListField(
        child=serializers.IntegerField(), help_text="VMs in a dependency cycle"
    )
    external = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[VM id, id of the other app's VM it needs running first]",
    )
    notes = serializers.ListField(child=serializers.CharField())


class ApplicationViewSet(
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CreateMixin,
    UpdateMixin,
    mixins.DestroyModelMixin,
):
    """Apps: owners see and change their own; approvers see all read-only; operators all.

    A change re-sizes the app (a run is requested, coalesced with other quick edits). Deleting
    an app (with its VMs, results and plans) is for operators, as in the admin."""

    serializer_class = ApplicationSerializer
    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = ApplicationFilter
    ordering_fields = ["id", "name", "tier", "rto_minutes", "rpo_minutes", "changed_at", "vm_count"]
    ordering = ["name"]

    def get_queryset(self):
        return (
            Application.objects.for_user(self.request.user)
            .select_related("owner", "no_protection_by", "result")
            .defer("result__detail")
            .annotate(**vm_counts("vm_count", "protected_vm_count"))
        )

    def application_of(self, obj):
        return obj

    def perform_update(self, serializer):
        actions.save_app(serializer.instance, self.request.user, serializer.save)

    def perform_destroy(self, instance):
        if not access.is_operator(self.request.user):
            raise PermissionDenied(
                "Only operators delete apps (with their VMs, results and signed plans): ask one."
            )
        instance.delete()

    @extend_schema(responses=BootOrderSerializer)
    @action(detail=True, methods=["get"], url_path="boot-order")
    def boot_order(self, request, pk=None):
        """Start-up groups and the failover, failback and shutdown runbooks of the last sizing."""
        app = self.get_object()
        result = getattr(app, "result", None)
        if result is None:
            raise NotFound(
                "This app has not been sized yet: POST /api/v1/runs/ with its id, then try again."
            )
        boot = (result.detail or {}).get("boot", {})  # deferred in the list: one query here
        vms = {
            pk: (name, role)
            for pk, name, role in VirtualMachine.objects.filter(application=app).values_list(
                "pk", "name", "role"
            )
        }
        groups = [
            {
                "group": number,
                "vms": [
                    {"id": v, "name": vms.get(v, (f"#{v}", ""))[0], "role": vms.get(v, ("", ""))[1]}
                    for v in group
                ],
            }
            for number, group in enumerate(boot.get("groups", []), 1)
        ]
        data = {
            "application": app.pk,
            "computed_at": result.computed_at,
            "groups": groups,
            **{k: boot.get(k, []) for k in ("failover", "failback", "shutdown", "cycle", "notes")},
            "external": boot.get("external", []),
        }
        return Response(BootOrderSerializer(data).data)


class DrillSerializer(ModelCleanSerializer):
    url = IdentityUrlField(view_name="api:drill-detail")
    application = ChangeableAppField()
    duration_minutes = serializers.SerializerMethodField(
        help_text="From start to service restored: the MTTR of this drill"
    )

    class Meta:
        model = Drill
        fields = [
            "id",
            "url",
            "application",
            "kind",
            "started_at",
            "restored_at",
            "duration_minutes",
            "data_loss_minutes",
            "notes",
        ]

    def get_duration_minutes(self, drill) -> float:
        return round((drill.restored_at - drill.started_at).total_seconds() / 60, 1)


class DrillViewSet(
    ResizesItsApp,
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CreateMixin,
    UpdateMixin,
    mixins.DestroyModelMixin,
):
    """Drills and real incidents: MTTR is their mean (the seed: MTTR is empirical)."""

    serializer_class = DrillSerializer
    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = DrillFilter
    ordering_fields = ["id", "started_at", "restored_at", "data_loss_minutes"]
    ordering = ["-started_at"]

    def get_queryset(self):
        visible = Application.objects.for_user(self.request.user).values("pk")
        return Drill.objects.filter(application__in=visible).select_related("application")
