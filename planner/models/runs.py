"""Sizing runs and what they produce: per-VM and per-app results and findings.

Only ``planner.services`` writes these. An app's results are swapped in one transaction
(delete + bulk insert), so a reader sees the previous run's figures or the new ones, never half.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from planner.access import RestrictedQuerySet
from planner.links import object_url
from planner.models.estate import Application, VirtualMachine


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Succeeded with errors"
    FAILED = "failed", "Failed"


class RunPhase(models.TextChoices):
    """An estate run sizes in two passes so that no app reads another's figures from an older
    run: every app's own figures and capability first, then the rules across apps."""

    FIGURES = "figures", "Own figures of every app"
    ASSESS = "assess", "Rules across apps"


class Trigger(models.TextChoices):
    MANUAL = "manual", "Button in the portal"
    EDIT = "edit", "An edit of the app or its VMs"
    NIGHTLY = "nightly", "Nightly schedule"
    API = "api", "REST API"
    CLI = "cli", "Command line"


class SizingRunQuerySet(RestrictedQuerySet):
    """Operators and approvers see every run; owners the runs of their own apps (``for_user``:
    planner.access)."""


class SizingRun(models.Model):
    """One sizing run of an app or of the whole estate; also the outbox row for dispatch."""

    objects = SizingRunQuerySet.as_manager()

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="runs",
        help_text="Empty for an estate-wide run",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    total_vms = models.PositiveIntegerField(default=0)
    done_vms = models.PositiveIntegerField(default=0)
    total_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    failed_chunks = models.PositiveIntegerField(default=0)
    phase = models.CharField(max_length=10, choices=RunPhase.choices, default=RunPhase.ASSESS)
    figured_vms = models.PositiveIntegerField(
        default=0, help_text="VMs whose own figures the first pass of an estate run computed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="Coalescing delay for edits")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    prices_version = models.CharField(max_length=40, blank=True)
    limits_version = models.CharField(max_length=40, blank=True)
    sizes_version = models.CharField(max_length=40, blank=True, default="")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_vms__lte=models.F("total_vms")) | Q(total_vms=0),
                name="run_progress_le_total",
            )
        ]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        scope = self.application.name if self.application_id else "estate"
        return f"Run {self.pk} ({scope}, {self.status})"

    def get_absolute_url(self) -> str:
        return object_url("run-detail", self.pk)

    @property
    def percent(self) -> int:
        if self.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED):
            return 100
        if not self.total_vms:
            return 0
        if self.two_phase:  # each VM is visited once per pass
            return min(100, round(50 * (self.figured_vms + self.done_vms) / self.total_vms))
        return min(100, round(100 * self.done_vms / self.total_vms))

    @property
    def two_phase(self) -> bool:
        """An estate run: own figures of every app first, then the rules across apps."""
        return self.application_id is None

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class RunChunk(models.Model):
    """A slice of a run handled by one task; UNIQUE(run, index) + status make it idempotent."""

    run = models.ForeignKey(SizingRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    phase = models.CharField(max_length=10, choices=RunPhase.choices, default=RunPhase.ASSESS)
    app_ids = models.JSONField(default=list)
    vm_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="chunk_unique_per_run")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of run {self.run_id} ({self.phase}, {self.status})"


class RunFigures(models.Model):
    """One app's own figures and capability from the first pass of an estate run.

    The second pass computes the loads on backup targets and hubs and the capability of the
    apps a VM depends on from these rows of the same run, so the run's findings do not depend on
    which chunk ran first or on what an earlier run stored. Kept with the run (its record)."""

    run = models.ForeignKey(SizingRun, on_delete=models.CASCADE, related_name="figures")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    scheme = models.CharField(max_length=20)
    backup_target_id = models.IntegerField(null=True)
    recovery_target_id = models.IntegerField(null=True)
    protected_vm_count = models.PositiveIntegerField(default=0)
    backup_gib = models.FloatField(default=0)
    churn_gib_day = models.FloatField(default=0)
    standby_memory_gib = models.FloatField(default=0)
    rto_capability_minutes = models.FloatField(null=True)
    rpo_capability_minutes = models.FloatField(null=True)
    # The ASR appliance VMs the app runs on its source hub (hub_capacity counts them there).
    source_cloud_id = models.IntegerField(null=True)
    asr_appliances = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "application"], name="run_figures_once_per_app")
        ]

    def __str__(self) -> str:
        return f"figures of app {self.application_id} in run {self.run_id}"


class RunError(models.Model):
    run = models.ForeignKey(SizingRun, on_delete=models.CASCADE, related_name="errors")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    vm = models.ForeignKey(
        VirtualMachine, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    chunk_index = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A redelivered chunk records the same failure once.
            models.UniqueConstraint(
                fields=["run", "application", "chunk_index"], name="run_error_once_per_app_chunk"
            )
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.message[:80]}"


class VmResult(models.Model):
    """The current sizing of one VM (one row per VM; replaced by each run that sizes its app)."""

    vm = models.OneToOneField(VirtualMachine, on_delete=models.CASCADE, related_name="result")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(SizingRun, on_delete=models.SET_NULL, null=True, related_name="+")
    used_gib = models.FloatField(default=0)
    used_gib_horizon = models.FloatField(default=0)
    provisioned_gib = models.FloatField(default=0)
    backup_gib = models.FloatField(default=0)
    backup_data_gib = models.FloatField(default=0)
    backup_workspace_gib = models.FloatField(default=0)
    replica_gib = models.FloatField(default=0)
    churn_gib_day = models.FloatField(default=0)
    bandwidth_mbps = models.FloatField(default=0)
    seeding_hours = models.FloatField(default=0)
    standby_vcpu = models.FloatField(default=0)
    standby_memory_gib = models.FloatField(default=0)
    public_instances = models.FloatField(default=0)
    monthly_cost = models.FloatField(default=0)
    boot_group = models.PositiveSmallIntegerField(null=True)
    onboarding_night = models.PositiveIntegerField(null=True)
    onboarding_offset_minutes = models.FloatField(null=True)
    explanation = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"sizing of VM {self.vm_id}"


class AppResult(models.Model):
    """The current sizing, capability, recommendation and plan data of one app."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="result")
    run = models.ForeignKey(SizingRun, on_delete=models.SET_NULL, null=True, related_name="+")
    computed_at = models.DateTimeField()
    engine_version = models.CharField(max_length=20)
    prices_version = models.CharField(max_length=40)
    limits_version = models.CharField(max_length=40)
    sizes_version = models.CharField(max_length=40, blank=True, default="")
    vm_count = models.PositiveIntegerField(default=0)
    protected_vm_count = models.PositiveIntegerField(default=0)
    used_gib = models.FloatField(default=0)
    provisioned_gib = models.FloatField(default=0)
    backup_gib = models.FloatField(default=0)
    replica_gib = models.FloatField(default=0)
    churn_gib_day = models.FloatField(default=0)
    bandwidth_mbps = models.FloatField(default=0)
    seeding_hours = models.FloatField(default=0)
    standby_vcpu = models.FloatField(default=0)
    standby_memory_gib = models.FloatField(default=0)
    public_instances = models.FloatField(default=0)
    monthly_cost = models.FloatField(default=0)
    asr_appliances = models.PositiveIntegerField(default=0)
    rto_capability_minutes = models.FloatField(null=True)
    rpo_capability_minutes = models.FloatField(null=True)
    mttr_minutes = models.FloatField(null=True)
    recommended_scheme = models.CharField(max_length=20, blank=True)
    blocking_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    compliant = models.BooleanField(default=False)
    onboarding_nights = models.PositiveIntegerField(default=0)
    # Structured detail for pages and the PDF: explanations, cost_by_month, storage_by_point,
    # capability and recommendation reasons, boot plan, onboarding schedule.
    detail = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"sizing of app {self.application_id}"


class Severity(models.TextChoices):
    BLOCKING = "blocking", "Blocking"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class Finding(models.Model):
    """A rule's finding on an app, replaced with the app's results at each run."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="findings")
    run = models.ForeignKey(SizingRun, on_delete=models.SET_NULL, null=True, related_name="+")
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.TextField()
    remedy = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    vm_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["application", "severity", "code", "id"]
        indexes = [models.Index(fields=["severity", "code"])]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"

    def get_absolute_url(self) -> str:
        return f"{reverse('app-detail', args=[self.application_id])}#finding-{self.pk}"
