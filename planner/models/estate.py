"""The estate app owners plan: backup policies, applications, VMs, disks and drills."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from planner import facts
from planner.models.catalog import BackupTarget, Cloud, CloudKind, Product, Subscription, VmSize


class Scheme(models.TextChoices):
    """The seed's five recovery options, cheapest first."""

    NONE = "none", "No recovery"
    BACKUP_RESTORE = "backup_restore", "Backup-restore"
    REPLICATION = "replication", "Replication / manual failover"
    HIGH_AVAILABILITY = "high_availability", "High availability / automatic failover"
    FAULT_TOLERANCE = "fault_tolerance", "Fault tolerance (active/active)"


class BackupMethod(models.TextChoices):
    FOREVER_FORWARD = "forever_forward", "Forever forward incremental"
    REVERSE = "reverse", "Reverse incremental"
    FORWARD_PERIODIC_FULL = "forward_periodic_full", "Forward with periodic active full"
    FORWARD_PERIODIC_SYNTHETIC_FULL = (
        "forward_periodic_synthetic_full",
        "Forward with periodic synthetic full",
    )


class Tier(models.IntegerChoices):
    MISSION_CRITICAL = 1, "1 - Mission critical"
    BUSINESS_CRITICAL = 2, "2 - Business critical"
    BUSINESS_OPERATIONAL = 3, "3 - Business operational"
    DEV_TEST = 4, "4 - Dev/test"


class OsType(models.TextChoices):
    WINDOWS = "windows", "Windows"
    LINUX = "linux", "Linux"


class RestoreApproach(models.TextChoices):
    """The seed's restore options ("Planning your backup strategy", Restore)."""

    WHOLE_VM = "whole_vm", "The whole VM and its disks"
    DISKS = "disks", "Its disks (a VM created from them)"
    APP_DATA = "app_data", "App data into the existing VM"
    REDEPLOY = "redeploy", "Redeploy from a template, then restore the data"


class Role(models.TextChoices):
    """Start-up rank: databases boot first, then middleware, then web, then the rest."""

    DATABASE = "database", "Database"
    MIDDLEWARE = "middleware", "Middleware"
    WEB = "web", "Web"
    OTHER = "other", "Other"


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user) -> ApplicationQuerySet:
        """Row-level access: operators and approvers see every app, owners their own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.groups.filter(name__in=["operators", "approvers"]).exists():
            return self
        return self.filter(owner=user)


class VirtualMachineQuerySet(models.QuerySet):
    def for_user(self, user) -> VirtualMachineQuerySet:
        """Row-level access through the VM's app (see ``ApplicationQuerySet.for_user``)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.groups.filter(name__in=["operators", "approvers"]).exists():
            return self
        return self.filter(application__owner=user)


class BackupPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    interval_minutes = models.PositiveIntegerField(
        default=1440, help_text="Minutes between backups"
    )
    retention_points = models.PositiveIntegerField(default=14)
    method = models.CharField(
        max_length=40, choices=BackupMethod.choices, default=BackupMethod.FOREVER_FORWARD
    )
    full_every = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Periodic fulls: a full every K runs (7 weekly, 30 monthly)",
    )
    gfs_weekly = models.PositiveIntegerField(default=0)
    gfs_monthly = models.PositiveIntegerField(default=0)
    gfs_yearly = models.PositiveIntegerField(default=0)
    reduction = models.FloatField(
        default=0.5, help_text="Stored size / original after compression and deduplication"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "backup policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_points__gte=1),
                name="policy_retention_at_least_one",
                violation_error_message="Keep at least one restore point.",
            ),
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=1),
                name="policy_interval_positive",
                violation_error_message="The backup interval must be at least one minute.",
            ),
            models.CheckConstraint(
                condition=Q(reduction__gt=0) & Q(reduction__lte=1),
                name="policy_reduction_fraction",
                violation_error_message="Reduction is a fraction above 0 and at most 1 (0.5 = 2:1).",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        periodic = self.method in (
            BackupMethod.FORWARD_PERIODIC_FULL,
            BackupMethod.FORWARD_PERIODIC_SYNTHETIC_FULL,
        )
        if periodic and not self.full_every:
            raise ValidationError(
                {"full_every": "Periodic fulls need 'full every K runs' (e.g. 7)."}
            )

    def to_facts(self) -> facts.BackupPolicy:
        return facts.BackupPolicy(
            name=self.name,
            interval_minutes=self.interval_minutes,
            retention_points=self.retention_points,
            method=self.method,
            full_every=self.full_every,
            gfs_weekly=self.gfs_weekly,
            gfs_monthly=self.gfs_monthly,
            gfs_yearly=self.gfs_yearly,
            reduction=self.reduction,
        )


class Application(models.Model):
    objects = ApplicationQuerySet.as_manager()

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.BUSINESS_CRITICAL)
    rto_minutes = models.PositiveIntegerField(help_text="Recovery time objective, minutes")
    rpo_minutes = models.PositiveIntegerField(help_text="Recovery point objective, minutes")
    mtpd_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Maximum tolerable period of disruption, minutes"
    )
    scheme = models.CharField(max_length=20, choices=Scheme.choices, default=Scheme.BACKUP_RESTORE)
    source_cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="applications")
    recovery_target = models.ForeignKey(
        Cloud,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recovering_applications",
        help_text="Where VMs are restored or failed over: another cloud in another datacenter",
    )
    backup_target = models.ForeignKey(
        BackupTarget, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    policy = models.ForeignKey(
        BackupPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    allow_azure = models.BooleanField(default=True, help_text="Sovereignty: global Azure allowed")
    allow_service_provider = models.BooleanField(
        default=True, help_text="Sovereignty: a trusted service provider allowed"
    )
    allowed_countries = models.CharField(
        max_length=200,
        blank=True,
        help_text="Comma-separated ISO codes data may be stored in; empty means any",
    )
    native_ha = models.BooleanField(
        default=False, help_text="The app supports HA natively or through clustering software"
    )
    no_protection_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_protection_at = models.DateTimeField(null=True, blank=True)
    no_protection_why = models.TextField(blank=True)
    manual_steps = models.TextField(blank=True, help_text="One manual failover step per line")
    link_mbps = models.FloatField(default=1000, help_text="Replication link to the target, Mbit/s")
    link_other_mbps = models.FloatField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1_000_000)],
        help_text="Part of the link other traffic already uses, Mbit/s",
    )
    replication_interval_minutes = models.PositiveIntegerField(default=15)
    growth_horizon_days = models.PositiveIntegerField(default=365)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mtpd_minutes__isnull=True) | Q(mtpd_minutes__gte=0),
                name="app_mtpd_not_negative",
                violation_error_message="MTPD cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(rto_minutes__gte=0) & Q(rpo_minutes__gte=0),
                name="app_objectives_not_negative",
                violation_error_message="RTO and RPO cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(link_mbps__gt=0),
                name="app_link_positive",
                violation_error_message="The replication link must be faster than 0 Mbit/s.",
            ),
            models.CheckConstraint(
                condition=~Q(recovery_target=F("source_cloud")),
                name="app_target_not_source",
                violation_error_message=(
                    "The recovery target must be another cloud than the source: "
                    "a separate environment is required to recover your apps."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("app-detail", args=[self.pk])

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.allowed_countries.split(",") if c.strip())

    def clean(self) -> None:
        errors = {}
        codes = [c.strip() for c in self.allowed_countries.split(",") if c.strip()]
        if any(len(c) != 2 or not c.isalpha() for c in codes):
            errors["allowed_countries"] = (
                "List two-letter ISO codes separated by commas, e.g. DE, AT."
            )
        self.allowed_countries = ", ".join(c.upper() for c in codes)
        if (self.link_other_mbps or 0) >= (self.link_mbps or 0) > 0:
            errors["link_other_mbps"] = (
                "Other traffic must leave part of the link free: enter less than the link's "
                f"{self.link_mbps:g} Mbit/s."
            )
        if self.recovery_target_id and self.recovery_target_id == self.source_cloud_id:
            errors["recovery_target"] = (
                "Pick another cloud than the source: a separate environment in another "
                "datacenter is required to recover the app."
            )
        if self.scheme == Scheme.NONE and self.no_protection_why and not self.no_protection_by_id:
            errors["no_protection_why"] = "A decision to go without protection needs who made it."
        if errors:
            raise ValidationError(errors)

    @property
    def allowed_target_kinds(self) -> frozenset[str]:
        kinds = {CloudKind.AZURE_STACK_HUB.value}
        if self.allow_azure:
            kinds.add(CloudKind.AZURE.value)
        if self.allow_service_provider:
            kinds.add(CloudKind.SERVICE_PROVIDER.value)
        return frozenset(kinds)


class VirtualMachine(models.Model):
    objects = VirtualMachineQuerySet.as_manager()

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="vms")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="vms")
    resource_group = models.CharField(max_length=90)
    name = models.CharField(max_length=80)
    os_type = models.CharField(max_length=10, choices=OsType.choices, default=OsType.WINDOWS)
    size = models.ForeignKey(VmSize, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.OTHER)
    scale_set = models.CharField(
        max_length=80, blank=True, help_text="Scale set it belongs to (its VMs are ephemeral)"
    )
    opted_in = models.BooleanField(default=False, help_text="Protection is opt-in per VM")
    change_rate = models.FloatField(default=0.05, help_text="Fraction of used data changed daily")
    growth_per_year = models.FloatField(default=0.1, help_text="Fraction of growth per year")
    boot_group = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Start-up group set by the owner (1 boots first)"
    )
    restore_approach = models.CharField(
        max_length=10,
        choices=RestoreApproach.choices,
        default=RestoreApproach.WHOLE_VM,
        help_text="What a restore brings back: it decides the data moved and the redeploy time",
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )

    class Meta:
        ordering = ["application__name", "name"]
        verbose_name = "VM"
        constraints = [
            models.UniqueConstraint(
                F("subscription"),
                Lower("resource_group"),
                Lower("name"),
                name="vm_unique_per_subscription_rg_name",
                violation_error_message=(
                    "A VM with this name already exists in this subscription and resource group."
                ),
            ),
            models.CheckConstraint(
                condition=Q(change_rate__gte=0) & Q(change_rate__lte=1),
                name="vm_change_rate_fraction",
                violation_error_message="The daily change rate is between 0 %% and 100 %%.",
            ),
            models.CheckConstraint(
                condition=Q(growth_per_year__gte=0) & Q(growth_per_year__lte=10),
                name="vm_growth_range",
                violation_error_message="Growth per year is between 0 %% and 1,000 %%.",
            ),
            models.CheckConstraint(
                condition=Q(boot_group__isnull=True)
                | (Q(boot_group__gte=1) & Q(boot_group__lte=7)),
                name="vm_boot_group_range",
                violation_error_message="Boot groups run from 1 to 7.",
            ),
        ]
        indexes = [models.Index(fields=["application", "opted_in"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vm-detail", args=[self.pk])


class Disk(models.Model):
    vm = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="disks")
    name = models.CharField(max_length=80)
    lun = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty for the OS disk")
    provisioned_gib = models.FloatField()
    used_gib = models.FloatField()

    class Meta:
        ordering = ["vm", "lun", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vm", "name"], name="disk_unique_per_vm"),
            models.CheckConstraint(
                condition=Q(provisioned_gib__gt=0) & Q(used_gib__gte=0),
                name="disk_sizes_positive",
                violation_error_message="Disk sizes cannot be negative (provisioned above 0 GiB).",
            ),
            models.CheckConstraint(
                condition=Q(used_gib__lte=F("provisioned_gib")),
                name="disk_used_le_provisioned",
                violation_error_message="Used space cannot exceed the provisioned size.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vm.name}/{self.name}"

    def get_absolute_url(self) -> str:
        return f"{reverse('vm-detail', args=[self.vm_id])}#disk-{self.pk}"


class Drill(models.Model):
    """A recovery drill or a real incident: MTTR is their mean (the seed: MTTR is empirical)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="drills")
    kind = models.CharField(
        max_length=10, choices=[("drill", "Drill"), ("incident", "Incident")], default="drill"
    )
    started_at = models.DateTimeField()
    restored_at = models.DateTimeField(help_text="When service was restored")
    data_loss_minutes = models.FloatField(default=0, help_text="Data loss observed, minutes")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(restored_at__gte=F("started_at")),
                name="drill_restored_after_start",
                violation_error_message="Service cannot be restored before the drill started.",
            ),
            models.CheckConstraint(
                condition=Q(data_loss_minutes__gte=0),
                name="drill_data_loss_not_negative",
                violation_error_message="Data loss cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.application} on {self.started_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return f"{reverse('app-detail', args=[self.application_id])}#drills"
