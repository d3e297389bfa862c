"""Connections to a hub's Azure Resource Manager endpoint, their syncs, the resource groups apps
claim and the drift a sync found (planner.services.hub writes them all)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from planner import bounds
from planner.models.catalog import Cloud, Subscription
from planner.models.estate import Application, VirtualMachine

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def validate_secret_from(value: str) -> None:
    if value.startswith("/"):
        if any(ord(c) < 32 for c in value):
            raise ValidationError("The file path has control characters.")
        return
    if not _ENV_NAME.match(value):
        raise ValidationError(
            "Name an environment variable (capitals, digits and _, e.g. HUB1_ARM_SECRET) or "
            "give the absolute path of a file holding the secret (e.g. /etc/recovery-planner/"
            "hub1.secret). The secret itself never goes into the database."
        )


def validate_identifier(value: str) -> None:
    if not _IDENTIFIER.match(value):
        raise ValidationError(
            "Enter the GUID (e.g. 8f2d6a3e-...), or 'adfs' for a hub that uses AD FS: letters, "
            "digits, '.', '-' and '_', at most 64 characters."
        )


class SyncStatus(models.TextChoices):
    NEVER = "never", "Never synced"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class HubConnection(models.Model):
    """How the planner reads one hub: its ARM endpoint, a service principal, the subscriptions."""

    name = models.CharField(
        max_length=bounds.NAME_MAX_LENGTH, unique=True, validators=[bounds.validate_name]
    )
    cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="connections")
    arm_endpoint = models.CharField(
        max_length=200,
        validators=[
            URLValidator(
                schemes=["https"],
                message="Enter the https:// address of the hub's Azure Resource Manager "
                "endpoint, e.g. https://management.region.azurestack.example",
            )
        ],
        help_text="The hub's Azure Resource Manager endpoint, e.g. "
        "https://management.region.azurestack.example (the tenant one, not the admin one)",
    )
    tenant_id = models.CharField(
        max_length=64,
        validators=[validate_identifier],
        help_text="The directory (tenant) GUID of the service principal; 'adfs' on an AD FS hub",
    )
    client_id = models.CharField(
        max_length=64,
        validators=[validate_identifier],
        help_text="The service principal's application (client) id",
    )
    secret_from = models.CharField(
        max_length=200,
        validators=[validate_secret_from],
        help_text="Where the client secret is read: an environment variable's name "
        "(HUB1_ARM_SECRET) or an absolute file path (/etc/recovery-planner/hub1.secret). Never "
        "the secret itself.",
    )
    ca_bundle = models.CharField(
        max_length=300,
        blank=True,
        help_text="Absolute path of a PEM file with the CA that signed the hub's certificates, "
        "when it is not in the system store (an internal PKI); empty: the system store",
    )
    subscriptions = models.ManyToManyField(
        Subscription,
        related_name="connections",
        help_text="The subscriptions to read (of this hub's cloud)",
    )
    sync_enabled = models.BooleanField(
        default=True, help_text="Synced on the schedule (HUB_SYNC_MINUTES) as well as on demand"
    )
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.NEVER)
    status_message = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "hub connection"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.ca_bundle and not self.ca_bundle.startswith("/"):
            raise ValidationError({"ca_bundle": "Give an absolute path, e.g. /etc/ssl/hub-ca.pem."})


class HubSync(models.Model):
    """One sync of a connection: progress while it runs, what it changed when it is done."""

    connection = models.ForeignKey(HubConnection, on_delete=models.CASCADE, related_name="syncs")
    trigger = models.CharField(
        max_length=10, choices=[("manual", "On demand"), ("schedule", "Schedule")]
    )
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    subscriptions_total = models.PositiveIntegerField(default=0)
    subscriptions_done = models.PositiveIntegerField(default=0)
    vms_read = models.PositiveIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True, help_text="What it is doing now")
    message = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "hub sync"

    def __str__(self) -> str:
        return f"{self.connection} sync {self.pk} ({self.get_status_display()})"


class ResourceGroupClaim(models.Model):
    """An app claims a resource group: VMs that appear in it are added to the app (never opted
    in). An app also claims, implicitly, the resource groups its VMs are in."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="resource_group_claims"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    resource_group = models.CharField(
        max_length=90,
        validators=[
            RegexValidator(
                r"^[-\w._()]{1,90}$",
                "A resource group name has letters, digits, '-', '_', '.', '(' and ')' only "
                "(Azure's rule), at most 90 characters.",
            )
        ],
    )

    class Meta:
        ordering = ["subscription", "resource_group"]
        constraints = [
            models.UniqueConstraint(
                F("subscription"),
                Lower("resource_group"),
                name="claim_unique_per_subscription_rg",
                violation_error_message="Another app already claims this resource group.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_group} ({self.subscription.name})"

    def clean(self) -> None:
        if (
            self.application_id
            and self.subscription_id
            and self.subscription.cloud_id != self.application.source_cloud_id
        ):
            raise ValidationError(
                {
                    "subscription": f"'{self.subscription}' is not in the cloud "
                    f"'{self.application}' runs in: pick a subscription of "
                    f"'{self.application.source_cloud}'."
                }
            )


class DriftKind(models.TextChoices):
    APPEARED = "appeared", "Appeared"
    DISAPPEARED = "disappeared", "Disappeared"
    CHANGED = "changed", "Changed"


class Drift(models.Model):
    """What a sync found different from the planner's inventory, until the owner reviews it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="drifts")
    sync = models.ForeignKey(HubSync, on_delete=models.SET_NULL, null=True, related_name="drifts")
    kind = models.CharField(max_length=12, choices=DriftKind.choices)
    vm = models.ForeignKey(
        VirtualMachine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    vm_name = models.CharField(max_length=80)
    resource_group = models.CharField(max_length=90)
    detail = models.CharField(max_length=500, blank=True)
    detected_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "-detected_at", "vm_name"]
        indexes = [models.Index(fields=["application", "reviewed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_at__gte=F("detected_at")),
                name="drift_reviewed_after_detected",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vm_name} {self.kind}"

    @property
    def sentence(self) -> str:
        where = f"in resource group {self.resource_group}"
        if self.kind == DriftKind.APPEARED:
            return f"VM {self.vm_name} appeared {where} (not opted in: opt it in if it needs protection)"
        if self.kind == DriftKind.DISAPPEARED:
            return (
                f"VM {self.vm_name} disappeared from the hub ({where}); it was removed from the app"
            )
        return f"VM {self.vm_name} changed on the hub: {self.detail}"
