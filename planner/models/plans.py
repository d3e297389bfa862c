"""Plan revisions: immutable snapshots of an app's plan, their sign-off trail and waivers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from planner.models.estate import Application


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PlanRevision(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=PlanState.choices, default=PlanState.DRAFT)
    snapshot = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    pdf = models.FileField(upload_to="plans/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="plan_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application} plan r{self.number} ({self.state})"


class PlanTransition(models.Model):
    """The audit trail: every change of state, who made it, when and why."""

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="transitions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=10, choices=PlanState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=PlanState.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["revision", "at", "id"]


class Waiver(models.Model):
    """An accepted blocking finding: who accepted it, when and why; printed in the PDF."""

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="waivers")
    code = models.CharField(max_length=60)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    justification = models.TextField()

    class Meta:
        ordering = ["revision", "code"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "code"], name="waiver_once_per_code")
        ]
