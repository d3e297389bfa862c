"""Sizing runs (request one, watch its progress), findings and recommendations.

A run is requested through ``planner.services.runs.request_run``: the request records it and
answers 202 at once; Celery workers size it; ``GET`` on the run's URL shows its status and
progress until ``finished`` is true. Results and findings are written by the services only; the
API reads them.
"""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from planner.assess import FIGURE_SOURCES
from planner.models import Application, AppResult, Finding, RunError, SizingRun, Trigger
from planner.services.runs import request_run
from portal import access
from portal.api.base import ApiViewSet, ChangeableAppField, IdentityUrlField
from portal.api.filters import FindingFilter, RecommendationFilter, SizingRunFilter
from portal.api.pagination import IdsFirstPagination
from portal.api.permissions import EstatePermission

MAX_ERRORS_SHOWN = 200


class RunErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunError
        fields = ["application", "vm", "chunk_index", "message", "created_at"]


class SizingRunSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(view_name="api:sizingrun-detail")
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="null: the schedule"
    )
    percent = serializers.IntegerField(read_only=True, help_text="0-100")
    finished = serializers.BooleanField(read_only=True, help_text="Succeeded, partial or failed")
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    error_count = serializers.IntegerField(read_only=True)
    summary = serializers.JSONField(read_only=True, help_text="Totals once the run has finished")

    class Meta:
        model = SizingRun
        fields = [
            "id",
            "url",
            "application",
            "trigger",
            "requested_by",
            "status",
            "finished",
            "percent",
            "done_vms",
            "total_vms",
            "done_chunks",
            "failed_chunks",
            "total_chunks",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "engine_version",
            "prices_version",
            "limits_version",
            "error_count",
            "summary",
        ]
        read_only_fields = fields


class SizingRunDetailSerializer(SizingRunSerializer):
    errors = serializers.SerializerMethodField(help_text="What failed, per app or chunk")

    class Meta(SizingRunSerializer.Meta):
        fields = [*SizingRunSerializer.Meta.fields, "errors"]
        read_only_fields = fields

    @extend_schema_field(RunErrorSerializer(many=True))
    def get_errors(self, run):
        return RunErrorSerializer(run.errors.all()[:MAX_ERRORS_SHOWN], many=True).data


class RunRequestSerializer(serializers.Serializer):
    application = ChangeableAppField(
        allow_null=True,
        help_text="The app to size; null sizes the whole estate (operators only)",
    )


class SizingRunViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Sizing runs: POST requests one (202, its URL in ``Location``); GET shows its progress."""

    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = SizingRunFilter
    ordering_fields = ["id", "created_at", "finished_at", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return (
            SizingRun.objects.for_user(self.request.user)
            .select_related("requested_by")
            .annotate(error_count=Count("errors"))
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SizingRunDetailSerializer
        if self.action == "create":
            return RunRequestSerializer
        return SizingRunSerializer

    @extend_schema(request=RunRequestSerializer, responses={202: SizingRunDetailSerializer})
    def create(self, request):
        """Request a sizing run of one app (its owner or an operator) or of the whole estate
        (operators). Answers at once; the run waits for a worker if none is free."""
        serializer = RunRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        app = serializer.validated_data["application"]
        if app is None and not access.is_operator(request.user):
            raise PermissionDenied("Only operators size the whole estate: name an application.")
        run = request_run(application=app, trigger=Trigger.API, user=request.user)
        run = self.get_queryset().get(pk=run.pk)
        data = SizingRunDetailSerializer(run, context=self.get_serializer_context()).data
        return Response(
            data, status=status.HTTP_202_ACCEPTED, headers={"Location": str(data["url"])}
        )


class FindingSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(view_name="api:finding-detail")
    vm_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="The VMs the finding is about"
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "url",
            "application",
            "run",
            "code",
            "severity",
            "message",
            "remedy",
            "source",
            "vm_ids",
        ]


class FindingViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """What the rules found in the last sizing of each app: what is wrong, how to fix it, and
    the seed's or the source's line behind it (docs/rules.md lists every code)."""

    serializer_class = FindingSerializer
    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = FindingFilter
    ordering_fields = ["id", "severity", "code", "application"]
    ordering = ["application", "severity", "code", "id"]

    def get_queryset(self):
        visible = Application.objects.for_user(self.request.user).values("pk")
        return Finding.objects.filter(application__in=visible)


class CapabilityDetail(serializers.Serializer):
    rto_minutes = serializers.FloatField(allow_null=True, help_text="null: unrecoverable")
    rpo_minutes = serializers.FloatField(allow_null=True, help_text="null: complete loss")
    explanation = serializers.ListField(child=serializers.CharField())


class CandidateTarget(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["backup_target", "cloud"],
        help_text="backup_target (backup-restore) or cloud (the replicating schemes)",
    )
    id = serializers.IntegerField(help_text="The backup target's or the cloud's id")
    name = serializers.CharField()


class Candidate(serializers.Serializer):
    scheme = serializers.CharField(help_text="One of the five schemes")
    target = CandidateTarget(allow_null=True, help_text="null for 'none' or no known target")
    ok = serializers.BooleanField(help_text="Whether it fits the objectives and constraints")
    why = serializers.CharField(help_text="Why it fits, or every reason it does not")
    capability = CapabilityDetail()
    monthly_cost = serializers.FloatField(
        allow_null=True,
        help_text="Steady-state USD a month: public prices plus the operators' internal rates "
        "for on-premises capacity (0 until set; cost_explanation says so); null: not sized",
    )
    cost_explanation = serializers.ListField(child=serializers.CharField())


class RecommendationDetail(serializers.Serializer):
    scheme = serializers.CharField(
        help_text='The scheme of the cheapest candidate that fits ("": none fits)'
    )
    target = CandidateTarget(allow_null=True, help_text="The recommended candidate's target")
    monthly_cost = serializers.FloatField(
        allow_null=True, help_text="The recommended candidate's monthly cost"
    )
    reasons = serializers.ListField(child=serializers.CharField())
    rto_minutes = serializers.FloatField(allow_null=True, help_text="Effective RTO")
    rpo_minutes = serializers.FloatField(allow_null=True, help_text="Effective RPO")
    candidates = Candidate(
        many=True,
        help_text="Each scheme with each allowed target: capability, cost, fit and why",
    )


class RecommendationSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(
        view_name="api:recommendation-detail",
        lookup_field="application_id",
        lookup_url_kwarg="application",
    )
    application_name = serializers.CharField(source="application.name", read_only=True)
    scheme = serializers.CharField(source="application.scheme", help_text="The app's chosen scheme")
    recommendation = serializers.SerializerMethodField()
    capability = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField(
        help_text="The sizing's arithmetic, line by line"
    )
    sources = serializers.SerializerMethodField(
        help_text="Each sizing figure's source (DESIGN section or public document), by field"
    )
    target_hub = serializers.SerializerMethodField(
        help_text="How the target hub's memory was counted (replication to a hub); empty else"
    )
    cost_by_month = serializers.SerializerMethodField(help_text="Projected cost per month")
    schedule = serializers.SerializerMethodField(help_text="Staggered onboarding, night by night")
    drills = serializers.SerializerMethodField(help_text="Drills and incidents: MTTR, data loss")

    class Meta:
        model = AppResult
        exclude = ["id", "detail"]

    @extend_schema_field(RecommendationDetail)
    def get_recommendation(self, result):
        return result.detail.get("recommendation")

    @extend_schema_field(CapabilityDetail)
    def get_capability(self, result):
        return result.detail.get("capability")

    def get_explanation(self, result) -> list[str]:
        return result.detail.get("explanation", [])

    def get_sources(self, result) -> dict[str, str]:
        return result.detail.get("sources") or FIGURE_SOURCES

    def get_target_hub(self, result) -> list[str]:
        return result.detail.get("target_hub", [])

    def get_cost_by_month(self, result) -> list[float]:
        return result.detail.get("cost_by_month", [])

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_schedule(self, result):
        return result.detail.get("schedule")

    @extend_schema_field(serializers.JSONField())
    def get_drills(self, result):
        return result.detail.get("drills", {})


class RecommendationViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Per app, from its last sizing: the recommended scheme and why, the capability of the
    chosen scheme, the capacity and cost it needs. ``/recommendations/{app id}/``."""

    serializer_class = RecommendationSerializer
    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = RecommendationFilter
    lookup_field = "application"
    ordering_fields = ["application", "monthly_cost", "computed_at", "blocking_count"]
    ordering = ["application"]

    def get_queryset(self):
        visible = Application.objects.for_user(self.request.user).values("pk")
        return AppResult.objects.filter(application__in=visible).select_related("application")
