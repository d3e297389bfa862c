"""Plan revisions: create, submit, waive, approve, reject, download the PDF, verify a hash.

Every step calls ``planner.services.plans``, which owns the workflow, its (durable) transactions
and its rules: who may do what, in which state. A refusal is its ``PlanError`` message as a 400.
A revision is never edited: there is no PUT, PATCH or DELETE here, and the models refuse it too.
"""

from __future__ import annotations

import hmac

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from planner.exports import content_disposition
from planner.models import PlanRevision, PlanTransition, Waiver
from planner.services import plans
from portal.api.base import ApiViewSet, ChangeableAppField, IdentityUrlField
from portal.api.filters import PlanRevisionFilter
from portal.api.pagination import IdsFirstPagination
from portal.api.parsers import JSONParser
from portal.api.permissions import ApproverPermission, EstatePermission

SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf`` (or text/csv); the views answer with
    the stored bytes themselves, and errors still as JSON."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:  # an error: JSON, and labelled so
            response["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data)


class CsvDownloadRenderer(DownloadRenderer):
    media_type = "text/csv"
    format = "csv"


class PlanTransitionSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlanTransition
        fields = ["from_state", "to_state", "by", "at", "comment"]


class WaiverSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Waiver
        fields = ["id", "code", "by", "at", "justification"]
        read_only_fields = ["id", "by", "at"]


class PlanRevisionSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(view_name="api:planrevision-detail")
    pdf_url = IdentityUrlField(
        view_name="api:planrevision-pdf", help_text="Where to download the PDF"
    )
    application_name = serializers.CharField(source="application.name", read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The owner who took the revision"
    )
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="The approver"
    )
    sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the frozen content")
    pdf_sha256 = serializers.CharField(
        read_only=True, help_text="SHA-256 of the stored PDF (empty until it is stored)"
    )
    transitions = PlanTransitionSerializer(many=True, read_only=True)
    waivers = WaiverSerializer(many=True, read_only=True)

    class Meta:
        model = PlanRevision
        fields = [
            "id",
            "url",
            "application",
            "application_name",
            "number",
            "state",
            "sha256",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "flagged_for_review_at",
            "pdf_url",
            "pdf_sha256",
            "transitions",
            "waivers",
        ]
        read_only_fields = fields


class AllowedActionsSerializer(serializers.Serializer):
    submit = serializers.CharField(allow_null=True)
    approve = serializers.CharField(allow_null=True)
    reject = serializers.CharField(allow_null=True)
    waive = serializers.CharField(allow_null=True)


class PlanRevisionDetailSerializer(PlanRevisionSerializer):
    blocking_codes = serializers.ListField(child=serializers.CharField(), read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="For you, now: null when you may do it, else the reason you may not"
    )
    snapshot = serializers.JSONField(read_only=True, help_text="The frozen content of the plan")

    class Meta(PlanRevisionSerializer.Meta):
        fields = [
            *PlanRevisionSerializer.Meta.fields,
            "blocking_codes",
            "allowed_actions",
            "snapshot",
        ]
        read_only_fields = fields

    @extend_schema_field(AllowedActionsSerializer)
    def get_allowed_actions(self, rev):
        return plans.allowed_actions(rev, self.context["request"].user)


class CreateRevisionSerializer(serializers.Serializer):
    application = ChangeableAppField(help_text="The app to take a plan revision of")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="Why: the owner needs it to fix")


class VerifySerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="A PDF to compare with the stored one")
    sha256 = serializers.RegexField(
        SHA256_PATTERN,
        required=False,
        help_text="A SHA-256 (hex) to compare with the PDF's and the content's",
    )

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("sha256"):
            raise ValidationError("Send the PDF as 'file' (multipart) or its hash as 'sha256'.")
        return attrs


class VerifyResultSerializer(serializers.Serializer):
    match = serializers.BooleanField()
    matches = serializers.ChoiceField(
        choices=["pdf", "content"],
        allow_null=True,
        help_text="pdf: the stored PDF's SHA-256; content: the frozen content's (printed in the "
        "PDF); null: neither",
    )
    pdf_sha256 = serializers.CharField()
    content_sha256 = serializers.CharField()


# The columns PlanRevisionSerializer reads (its users by name, its app by id and name), for the
# list; a related row's id comes with it.
LIST_COLUMNS = (
    "application__name",
    "number",
    "state",
    "sha256",
    "created_by__username",
    "created_at",
    "decided_by__username",
    "decided_at",
    "decision_comment",
    "flagged_for_review_at",
    "pdf_sha256",
)
TRANSITION_COLUMNS = ("revision", "from_state", "to_state", "by__username", "at", "comment")
WAIVER_COLUMNS = ("revision", "code", "by__username", "at", "justification")


class PlanRevisionViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Plan revisions of the apps you may see. The owner creates, waives (draft) and submits;
    an approver who does not own the app waives (submitted), approves or rejects."""

    atomic_writes = False  # the plans service runs each action in its own durable transaction
    permission_classes = [EstatePermission]
    pagination_class = IdsFirstPagination
    filterset_class = PlanRevisionFilter
    ordering_fields = ["id", "number", "created_at", "decided_at", "state", "application"]
    ordering = ["application", "-number"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if self.action == "list":
            # What the list's rows show and nothing else (approvers read 50 revisions a page):
            # not the snapshot, nor the app's and the users' other columns, each of them
            # decoded into a model instance (issue 19). tests/api/test_api_lists.py pins the
            # queries and each field of a row.
            return (
                PlanRevision.objects.for_user(self.request.user)
                .select_related("application", "created_by", "decided_by")
                .only(*LIST_COLUMNS)
                .prefetch_related(
                    Prefetch(
                        "transitions",
                        PlanTransition.objects.select_related("by").only(*TRANSITION_COLUMNS),
                    ),
                    Prefetch("waivers", Waiver.objects.select_related("by").only(*WAIVER_COLUMNS)),
                )
            )
        queryset = (
            PlanRevision.objects.for_user(self.request.user)
            .select_related("application", "created_by", "decided_by")
            .prefetch_related(
                Prefetch("transitions", PlanTransition.objects.select_related("by")),
                Prefetch("waivers", Waiver.objects.select_related("by")),
            )
        )
        return queryset if self.action == "retrieve" else queryset.defer("snapshot")

    def get_serializer_class(self):
        if self.action == "list":
            return PlanRevisionSerializer
        return PlanRevisionDetailSerializer

    def application_of(self, obj):
        return obj.application

    def _answer(self, rev, code=status.HTTP_200_OK):
        rev = self.get_queryset().get(pk=rev.pk)
        data = PlanRevisionDetailSerializer(rev, context=self.get_serializer_context()).data
        headers = {"Location": str(data["url"])} if code == status.HTTP_201_CREATED else {}
        return Response(data, status=code, headers=headers)

    @extend_schema(request=CreateRevisionSerializer, responses={201: PlanRevisionDetailSerializer})
    def create(self, request):
        """Take a revision of an app (its owner): the app is re-sized and everything frozen."""
        serializer = CreateRevisionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rev = plans.create_revision(data["application"], request.user, data["comment"])
        return self._answer(rev, status.HTTP_201_CREATED)

    @extend_schema(request=CommentSerializer, responses=PlanRevisionDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the latest draft for approval (its owner)."""
        rev = self.get_object()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            plans.submit_revision(rev, request.user, serializer.validated_data["comment"])
        )

    @extend_schema(request=CommentSerializer, responses=PlanRevisionDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ApproverPermission])
    def approve(self, request, pk=None):
        """Approve a submitted revision (an approver who does not own the app)."""
        rev = self.get_object()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            plans.approve_revision(rev, request.user, serializer.validated_data["comment"])
        )

    @extend_schema(request=RejectSerializer, responses=PlanRevisionDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ApproverPermission])
    def reject(self, request, pk=None):
        """Reject a submitted revision, saying why (an approver who does not own the app)."""
        rev = self.get_object()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            plans.reject_revision(rev, request.user, serializer.validated_data["comment"])
        )

    @extend_schema(request=WaiverSerializer, responses={201: WaiverSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def waivers(self, request, pk=None):
        """Accept a blocking finding with a justification: the owner on a draft, an approver
        (not the owner) on a submitted revision. Printed in the PDF."""
        rev = self.get_object()
        serializer = WaiverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        waiver = plans.add_waiver(rev, data["code"], request.user, data["justification"])
        return Response(WaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF (served from storage once stored)"
            ),
            (202, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Not stored yet (the reports worker is rendering it): `detail` "
                "says so, `retry_after` and the Retry-After header say when to ask again",
            ),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def pdf(self, request, pk=None):
        """The plan as a PDF. A draft's is rendered by the reports worker into a cache keyed by
        the draft's content (one render per user at a time); a submitted or decided revision's
        is rendered once by the reports worker, stored with its SHA-256 and served from
        storage. Until it is ready: 202 with ``Retry-After`` (seconds) and a message."""
        try:
            data, filename = plans.revision_pdf(
                self.get_object(), wait_for_worker=True, user=request.user
            )
        except plans.PdfNotReady as exc:
            return Response(
                {"detail": str(exc), "retry_after": exc.retry_after},
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": str(exc.retry_after)},
            )
        return _download(data, filename, "application/pdf")

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The VM annex of a plan of over 300 VMs"
            )
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, CsvDownloadRenderer],
    )
    def annex(self, request, pk=None):
        """The CSV VM annex stored beside the PDF of a large app (404 when there is none)."""
        annex = plans.revision_annex(self.get_object())
        if annex is None:
            raise NotFound("This revision has no VM annex (only apps of over 300 VMs have one).")
        return _download(*annex, "text/csv")

    @extend_schema(request=VerifySerializer, responses=VerifyResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def verify(self, request, pk=None):
        """Is this PDF (or this SHA-256) the one Recovery Planner stored for the revision?"""
        rev = self.get_object()
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload, digest = (
            serializer.validated_data.get("file"),
            serializer.validated_data.get("sha256", ""),
        )
        if upload is not None:
            matches = "pdf" if plans.verify_pdf(rev, upload) else None
        else:
            digest = digest.lower()
            if hmac.compare_digest(digest, rev.sha256):
                matches = "content"
            elif rev.pdf_sha256 and hmac.compare_digest(digest, rev.pdf_sha256):
                matches = "pdf"
            elif not rev.pdf_sha256:
                plans.verify_pdf(rev, b"")  # raises the service's "no stored PDF yet" error
                matches = None
            else:
                matches = None
        data = {
            "match": matches is not None,
            "matches": matches,
            "pdf_sha256": rev.pdf_sha256,
            "content_sha256": rev.sha256,
        }
        return Response(VerifyResultSerializer(data).data)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Content-Length"] = str(len(data))
    return response
