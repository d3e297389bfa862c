"""The estate app owners plan: backup policies, applications, VMs, disks and drills."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from planner import bounds, facts, ranges
from planner.access import RestrictedQuerySet
from planner.labels import scheme_title
from planner.links import object_url
from planner.models.catalog import BackupTarget, Cloud, CloudKind, Product, Subscription, VmSize
from planner.units import fmt_duration


class Scheme(models.TextChoices):
    """The seed's five recovery options, cheapest first."""

    NONE = "none", scheme_title("none")
    BACKUP_RESTORE = "backup_restore", scheme_title("backup_restore")
    REPLICATION = "replication", scheme_title("replication")
    HIGH_AVAILABILITY = "high_availability", scheme_title("high_availability")
    FAULT_TOLERANCE = "fault_tolerance", scheme_title("fault_tolerance")


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


class Redundancy(models.TextChoices):
    """Azure storage redundancy of backups and replicas, priced from the catalog."""

    LRS = "lrs", "LRS (locally redundant)"
    GRS = "grs", "GRS (geo-redundant)"


class HaReplication(models.TextChoices):
    """How an app's own HA replicates: synchronous commit (RPO 0) or asynchronous (some loss)."""

    SYNCHRONOUS = "synchronous", "Synchronous (RPO 0)"
    ASYNCHRONOUS = "asynchronous", "Asynchronous (RPO = replication interval)"


class TierServiceLevel(models.Model):
    """The default objectives of a priority tier, set by operators (the seed: "Define a recovery
    service level agreement (SLA) based on the priority of the apps"). A new app starts from its
    tier's; an app whose objectives are looser gets OBJECTIVES_LOOSER_THAN_TIER."""

    tier = models.PositiveSmallIntegerField(choices=Tier.choices, unique=True)
    rto_minutes = models.PositiveIntegerField(help_text="Default recovery time objective, minutes")
    rpo_minutes = models.PositiveIntegerField(help_text="Default recovery point objective, minutes")
    mtpd_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Default maximum tolerable period of disruption, minutes"
    )

    class Meta:
        ordering = ["tier"]
        verbose_name = "tier service level"
        constraints = [
            models.CheckConstraint(
                condition=Q(rto_minutes__lte=525_600) & Q(rpo_minutes__lte=525_600),
                name="tier_objectives_within_a_year",
                violation_error_message="RTO and RPO are at most a year (525,600 minutes).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: RTO {self.rto_minutes} min, RPO {self.rpo_minutes} min"

    def clean(self) -> None:
        if (
            self.mtpd_minutes is not None
            and self.rto_minutes is not None
            and self.rto_minutes > self.mtpd_minutes
        ):
            raise ValidationError({"mtpd_minutes": "The MTPD cannot be shorter than the RTO."})

    @classmethod
    def for_tier(cls, tier) -> TierServiceLevel | None:
        """The operators' default objectives of ``tier``, or None when none are set."""
        try:
            return cls.objects.filter(tier=int(tier)).first()
        except (TypeError, ValueError):
            return None

    def to_facts(self) -> facts.TierObjectives:
        return facts.TierObjectives(
            self.tier, self.rto_minutes, self.rpo_minutes, self.mtpd_minutes
        )


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


class ApplicationQuerySet(RestrictedQuerySet):
    """Row-level access (``for_user``): planner.access."""

    owner_path = "owner"


class VirtualMachineQuerySet(RestrictedQuerySet):
    """Row-level access through the VM's app (``for_user``): planner.access."""


class BackupPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    interval_minutes = models.PositiveIntegerField(
        default=1440,
        help_text="Minutes between backups",
        validators=[bounds.BACKUP_INTERVAL_MINUTES],
    )
    retention_points = models.PositiveIntegerField(default=14, validators=[bounds.RETENTION_POINTS])
    method = models.CharField(
        max_length=40, choices=BackupMethod.choices, default=BackupMethod.FOREVER_FORWARD
    )
    full_every = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Periodic fulls: a full every K runs (7 weekly, 30 monthly)",
        validators=[bounds.FULL_EVERY],
    )
    gfs_weekly = models.PositiveIntegerField(default=0, validators=[bounds.GFS_WEEKLY])
    gfs_monthly = models.PositiveIntegerField(default=0, validators=[bounds.GFS_MONTHLY])
    gfs_yearly = models.PositiveIntegerField(default=0, validators=[bounds.GFS_YEARLY])
    reduction = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "Stored size / original after compression and deduplication; empty: the product's "
            "figure (0.5 when the product states none)"
        ),
        validators=[bounds.REDUCTION],
    )
    redundancy = models.CharField(
        max_length=3,
        choices=Redundancy.choices,
        default=Redundancy.LRS,
        help_text="Azure Backup storage redundancy, priced from the catalog",
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
                condition=bounds.RETENTION_POINTS.q("retention_points"),
                name="policy_retention_range",
                violation_error_message=f"Retention: {bounds.RETENTION_POINTS.text}.",
            ),
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=1),
                name="policy_interval_positive",
                violation_error_message="The backup interval must be at least one minute.",
            ),
            models.CheckConstraint(
                condition=bounds.BACKUP_INTERVAL_MINUTES.q("interval_minutes"),
                name="policy_interval_range",
                violation_error_message=(
                    f"The backup interval is {bounds.BACKUP_INTERVAL_MINUTES.text}."
                ),
            ),
            models.CheckConstraint(
                condition=Q(reduction__isnull=True) | (Q(reduction__gt=0) & Q(reduction__lte=1)),
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
            redundancy=self.redundancy,
        )


class Application(models.Model):
    objects = ApplicationQuerySet.as_manager()

    name = models.CharField(
        max_length=bounds.NAME_MAX_LENGTH, unique=True, validators=[bounds.validate_name]
    )
    description = models.TextField(blank=True, validators=[bounds.validate_text])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.BUSINESS_CRITICAL)
    rto_minutes = models.PositiveIntegerField(
        help_text="Recovery time objective, minutes", validators=[bounds.OBJECTIVE_MINUTES]
    )
    rpo_minutes = models.PositiveIntegerField(
        help_text="Recovery point objective, minutes", validators=[bounds.OBJECTIVE_MINUTES]
    )
    mtpd_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Maximum tolerable period of disruption, minutes",
        validators=[bounds.OBJECTIVE_MINUTES],
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
    ha_replication = models.CharField(
        max_length=12,
        choices=HaReplication.choices,
        default=HaReplication.SYNCHRONOUS,
        help_text="How the app's HA replicates: asynchronous HA has the RPO of its interval",
    )
    no_protection_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_protection_at = models.DateTimeField(null=True, blank=True)
    no_protection_why = models.TextField(blank=True, validators=[bounds.validate_text])
    manual_steps = models.TextField(
        blank=True,
        help_text="One manual failover step per line",
        validators=[bounds.validate_text],
    )
    link_mbps = models.FloatField(
        default=1000,
        help_text="Replication link to the target, Mbit/s",
        validators=[bounds.LINK_MBPS],
    )
    link_other_mbps = models.FloatField(
        default=0,
        validators=[bounds.LINK_OTHER_MBPS],
        help_text="Part of the link other traffic already uses, Mbit/s",
    )
    replication_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[bounds.REPLICATION_INTERVAL_MINUTES]
    )
    growth_horizon_days = models.PositiveIntegerField(
        default=365, validators=[bounds.GROWTH_HORIZON_DAYS]
    )
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
                condition=bounds.LINK_MBPS.q("link_mbps"),
                name="app_link_range",
                violation_error_message=f"The replication link is {bounds.LINK_MBPS.text}.",
            ),
            models.CheckConstraint(
                condition=bounds.LINK_OTHER_MBPS.q("link_other_mbps"),
                name="app_link_other_range",
                violation_error_message=(
                    f"The link's other traffic is {bounds.LINK_OTHER_MBPS.text}."
                ),
            ),
            models.CheckConstraint(
                condition=bounds.GROWTH_HORIZON_DAYS.q("growth_horizon_days"),
                name="app_growth_horizon_range",
                violation_error_message=(
                    f"The sizing horizon is {bounds.GROWTH_HORIZON_DAYS.text}."
                ),
            ),
            models.CheckConstraint(
                condition=bounds.OBJECTIVE_MINUTES.q("rto_minutes")
                & bounds.OBJECTIVE_MINUTES.q("rpo_minutes"),
                name="app_objectives_range",
                violation_error_message=f"RTO and RPO are {bounds.OBJECTIVE_MINUTES.text}.",
            ),
            models.CheckConstraint(
                condition=bounds.REPLICATION_INTERVAL_MINUTES.q("replication_interval_minutes"),
                name="app_replication_interval_range",
                violation_error_message=(
                    f"The replication interval is {bounds.REPLICATION_INTERVAL_MINUTES.text}."
                ),
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
        return object_url("app-detail", self.pk)

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
        rto, mtpd = self.rto_minutes, self.mtpd_minutes
        if rto is not None and mtpd is not None and rto > mtpd:
            errors["mtpd_minutes"] = (
                f"The RTO ({fmt_duration(rto)}) must fit within the MTPD ({fmt_duration(mtpd)}): "
                "shorten the RTO or lengthen the MTPD."
            )
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
    resource_group = models.CharField(
        max_length=bounds.RESOURCE_GROUP_MAX_LENGTH, validators=[bounds.validate_resource_group]
    )
    name = models.CharField(max_length=bounds.NAME_MAX_LENGTH, validators=[bounds.validate_name])
    os_type = models.CharField(max_length=10, choices=OsType.choices, default=OsType.WINDOWS)
    size = models.ForeignKey(VmSize, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.OTHER)
    scale_set = models.CharField(
        max_length=bounds.NAME_MAX_LENGTH,
        blank=True,
        help_text="Scale set it belongs to (its VMs are ephemeral)",
        validators=[bounds.validate_name],
    )
    opted_in = models.BooleanField(default=False, help_text="Protection is opt-in per VM")
    keep_in_backup = models.BooleanField(
        default=False,
        help_text="A scale-set VM kept in backup storage anyway (left out unless ticked)",
    )
    no_protection_why = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why this VM goes without protection (a recorded decision)",
        validators=[bounds.validate_text],
    )
    no_protection_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_protection_at = models.DateTimeField(null=True, blank=True)
    change_rate = models.FloatField(
        default=0.05,
        help_text="Fraction of used data changed daily",
        validators=[bounds.CHANGE_RATE],
    )
    growth_per_year = models.FloatField(
        default=0.1, help_text="Fraction of growth per year", validators=[bounds.GROWTH_PER_YEAR]
    )
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
        indexes = [
            models.Index(fields=["application", "opted_in"]),
            # Serves the lists' ordering (the app's name, then the VM's name): with the app's
            # unique name index, a page is a walk of two indexes instead of a sort of every VM.
            models.Index(fields=["application", "name"], name="vm_app_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return object_url("vm-detail", self.pk)

    def clean(self) -> None:
        errors = {}
        why = (self.no_protection_why or "").strip()
        if why and self.opted_in:
            errors["no_protection_why"] = (
                "An opted-in VM is protected: clear the reason, or opt the VM out to record that "
                "it goes without protection."
            )
        elif any(ord(c) < 32 and c not in "\t\n\r" for c in why):
            errors["no_protection_why"] = "Remove the control characters from the reason."
        if self.application_id and self.subscription_id:
            error = subscription_error(self.application, self.subscription)
            if error:
                errors["subscription"] = error
        if errors:
            raise ValidationError(errors)


def subscription_error(application: Application, subscription: Subscription) -> str:
    """Why the app's VMs cannot be in this subscription ("" when they can): the VMs of an app run
    in its source cloud."""
    if subscription.cloud_id == application.source_cloud_id:
        return ""
    return (
        f"'{subscription}' is in '{subscription.cloud}', but the VMs of '{application}' run in "
        f"'{application.source_cloud}': pick a subscription of that cloud, or change the app's "
        "source cloud."
    )


class Disk(models.Model):
    vm = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="disks")
    name = models.CharField(max_length=bounds.NAME_MAX_LENGTH, validators=[bounds.validate_name])
    lun = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty for the OS disk", validators=[bounds.LUN]
    )
    provisioned_gib = models.FloatField(validators=[bounds.DISK_GIB])
    used_gib = models.FloatField(validators=[bounds.USED_GIB])

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
            models.CheckConstraint(
                condition=bounds.DISK_GIB.q("provisioned_gib"),
                name="disk_size_range",
                violation_error_message=f"A disk is {bounds.DISK_GIB.text}.",
            ),
            models.CheckConstraint(
                condition=Q(lun__isnull=True) | bounds.LUN.q("lun"),
                name="disk_lun_range",
                violation_error_message=f"LUNs run from {bounds.LUN.text}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vm.name}/{self.name}"

    def clean(self) -> None:
        # A new data disk on a VM that has all 64 already (the admin's disk page adds one at
        # a time; the VM form, the API and the import check their whole list).
        if self._state.adding and self.lun is not None and self.vm_id:
            data_disks = Disk.objects.filter(vm_id=self.vm_id, lun__isnull=False).count()
            if data_disks >= ranges.MAX_DATA_DISKS:
                raise ValidationError(
                    {
                        "lun": f"This VM has {data_disks} data disks already: a VM has at most "
                        f"{ranges.MAX_DATA_DISKS} (LUN {bounds.LUN.text})."
                    }
                )

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
    data_loss_minutes = models.FloatField(
        default=0, help_text="Data loss observed, minutes", validators=[bounds.DATA_LOSS_MINUTES]
    )
    notes = models.TextField(blank=True, validators=[bounds.validate_text])

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
            models.CheckConstraint(
                condition=bounds.DATA_LOSS_MINUTES.q("data_loss_minutes"),
                name="drill_data_loss_range",
                violation_error_message=f"Data loss is {bounds.DATA_LOSS_MINUTES.text}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.application} on {self.started_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return f"{reverse('app-detail', args=[self.application_id])}#drills"
