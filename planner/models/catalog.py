"""Catalogs operators keep: sites, clouds, subscriptions, backup targets, products, VM sizes,
prices and limits. Each reference row names its public source."""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from planner import bounds, facts


class CloudKind(models.TextChoices):
    AZURE_STACK_HUB = "azure_stack_hub", "Azure Stack Hub"
    AZURE = "azure", "Global Azure"
    SERVICE_PROVIDER = "service_provider", "Trusted service provider"


class Operator(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    CSP = "csp", "Cloud service provider (CSP)"
    MICROSOFT = "microsoft", "Microsoft"


class BackupTargetKind(models.TextChoices):
    EXISTING_EXTERNAL = "existing_external", "External target already in the datacenter"
    DEDICATED_EXTERNAL = "dedicated_external", "External target dedicated to Azure Stack Hub"
    AZURE = "azure", "Global Azure (Azure Backup)"
    SERVICE_PROVIDER = "service_provider", "Trusted service provider"
    SAME_CLOUD_APPLIANCE = "same_cloud_appliance", "Virtual appliance on the same ASH cloud"
    RACK_APPLIANCE = "rack_appliance", "Physical appliance in the ASH rack"


class Site(models.Model):
    """A datacenter. Each Azure Stack Hub cloud is deployed to one datacenter (the seed)."""

    name = models.CharField(max_length=100, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2 code, e.g. DE")
    city = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def clean(self) -> None:
        self.country = (self.country or "").upper()
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError({"country": "Enter a two-letter ISO country code, e.g. DE."})


class Cloud(models.Model):
    """A cloud a VM runs in or recovers to: an ASH stamp, global Azure, or a service provider."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=CloudKind.choices)
    operated_by = models.CharField(max_length=12, choices=Operator.choices)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="clouds")
    region = models.CharField(max_length=60, blank=True, help_text="Azure region or ASH region")
    nodes = models.PositiveIntegerField(
        default=0, help_text="ASH scale-unit nodes (4-16)", validators=[bounds.NODES]
    )
    memory_per_node_gib = models.FloatField(default=0, validators=[bounds.NODE_MEMORY_GIB])
    largest_vm_gib = models.FloatField(
        default=0,
        help_text="Memory of the largest VM deployed on the stamp (resiliency reserve)",
        validators=[bounds.NODE_MEMORY_GIB],
    )
    running_tenant_gib = models.FloatField(
        default=0,
        help_text="Memory used by tenant VMs the planner does not know (not in its inventory); "
        "inventoried VMs are counted at their catalog sizes",
        validators=[bounds.STAMP_MEMORY_GIB],
    )
    running_vm_count = models.PositiveIntegerField(
        default=0,
        help_text="Tenant VMs on the stamp the planner does not know",
        validators=[bounds.RUNNING_VMS],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(memory_per_node_gib__gte=0)
                & Q(largest_vm_gib__gte=0)
                & Q(running_tenant_gib__gte=0),
                name="cloud_memory_not_negative",
                violation_error_message="Memory figures cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == CloudKind.AZURE_STACK_HUB:
            errors = {}
            if not 4 <= (self.nodes or 0) <= 16:
                errors["nodes"] = "An Azure Stack Hub scale unit has 4 to 16 nodes."
            if (self.memory_per_node_gib or 0) <= 0:
                errors["memory_per_node_gib"] = "Enter the memory of one node in GiB."
            if errors:
                raise ValidationError(errors)
        if self.kind == CloudKind.AZURE and self.operated_by != Operator.MICROSOFT:
            raise ValidationError({"operated_by": "Global Azure is operated by Microsoft."})


class Subscription(models.Model):
    cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="subscriptions")
    name = models.CharField(max_length=100)
    subscription_id = models.CharField(max_length=64, help_text="The subscription's GUID")

    class Meta:
        ordering = ["cloud__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "subscription_id"], name="subscription_unique_per_cloud"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cloud})"


class BackupTarget(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=24, choices=BackupTargetKind.choices)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="backup_targets"
    )
    cloud = models.ForeignKey(
        Cloud,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backup_targets",
        help_text="The cloud it runs in: the ASH cloud of an appliance, Azure, the provider",
    )
    capacity_gib = models.FloatField(default=0, validators=[bounds.TARGET_GIB])
    used_gib = models.FloatField(
        default=0,
        help_text="Already used by data outside the planner",
        validators=[bounds.TARGET_GIB],
    )
    ingest_mbps = models.FloatField(
        default=1000, help_text="Sustained ingest, Mbit/s", validators=[bounds.INGEST_MBPS]
    )
    streams = models.PositiveIntegerField(
        default=4, help_text="Concurrent backup streams", validators=[bounds.STREAMS]
    )
    window_hours = models.FloatField(
        default=8, help_text="Nightly backup window", validators=[bounds.WINDOW_HOURS]
    )
    restore_mbps = models.FloatField(
        default=0,
        validators=[bounds.RESTORE_MBPS],
        help_text="Restore throughput you measured, Mbit/s (0: the default 1,000 Mbit/s "
        "restore throughput assumption of DESIGN §4 is used, and the plan says so)",
    )
    continuous_external_copy = models.BooleanField(
        default=False, help_text="All data is continuously copied to an external location"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_gib__gte=0) & Q(capacity_gib__gte=0),
                name="backup_target_sizes_not_negative",
                violation_error_message="Capacity and used space cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(used_gib__lte=models.F("capacity_gib")),
                name="backup_target_used_le_capacity",
                violation_error_message="Used space cannot exceed the capacity.",
            ),
            models.CheckConstraint(
                condition=Q(window_hours__gt=0) & Q(window_hours__lte=24),
                name="backup_target_window_in_day",
                violation_error_message="The backup window is between 0 and 24 hours.",
            ),
            models.CheckConstraint(
                condition=Q(ingest_mbps__gte=0),
                name="backup_target_ingest_not_negative",
                violation_error_message="Ingest throughput cannot be negative.",
            ),
            models.CheckConstraint(
                condition=bounds.RESTORE_MBPS.q("restore_mbps"),
                name="backup_target_restore_range",
                violation_error_message=f"The restore throughput is {bounds.RESTORE_MBPS.text}.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in (BackupTargetKind.SAME_CLOUD_APPLIANCE,) and not self.cloud_id:
            raise ValidationError(
                {"cloud": "Name the Azure Stack Hub cloud the appliance runs on."}
            )
        if not self.site_id and not self.cloud_id:
            raise ValidationError("Name the site or the cloud where the backup target is.")


class Product(models.Model):
    """A backup or replication product validated for Azure Stack Hub."""

    name = models.CharField(max_length=100, unique=True)
    vendor = models.CharField(
        max_length=10, choices=[("microsoft", "Microsoft"), ("partner", "Partner")]
    )
    supports_windows = models.BooleanField(default=True)
    supports_linux = models.BooleanField(default=False)
    supports_backup_restore = models.BooleanField(default=False)
    supports_replication = models.BooleanField(default=False)
    supports_high_availability = models.BooleanField(default=False)
    supports_fault_tolerance = models.BooleanField(default=False)
    level = models.CharField(
        max_length=10,
        choices=[
            ("guest", "Guest OS"),
            ("api", "ASH storage/compute API"),
            ("hypervisor", "Hypervisor"),
        ],
        help_text="Azure Stack Hub supports guest-level and API-level protection only",
    )
    data_reduction = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "Stored / original size the product achieves (0.5 = 2:1); used where a backup "
            "policy does not state one. Empty: not stated"
        ),
    )
    chain = models.CharField(
        max_length=20,
        choices=[
            ("incremental_forever", "Incrementals forever"),
            ("periodic_full", "Periodic fulls"),
        ],
        default="incremental_forever",
        help_text="How the product keeps its backup chain when no backup policy says",
    )
    full_every = models.PositiveIntegerField(
        default=7, help_text="Periodic fulls: a full every K backups (7 weekly, 30 monthly)"
    )
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(data_reduction__isnull=True)
                | (Q(data_reduction__gt=0) & Q(data_reduction__lte=1)),
                name="product_reduction_fraction",
                violation_error_message=(
                    "Data reduction is a fraction above 0 and at most 1 (0.5 = 2:1)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(full_every__gte=1) & Q(full_every__lte=365),
                name="product_full_every_range",
                violation_error_message="A full every 1 to 365 backups.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def schemes(self) -> frozenset[str]:
        return frozenset(s for s in facts.PROTECTING_SCHEMES if getattr(self, f"supports_{s}"))


class VmSize(models.Model):
    """A VM size Azure Stack Hub supports (azure-stack-docs, azure-stack-vm-sizes.md)."""

    name = models.CharField(max_length=40, unique=True)
    series = models.CharField(max_length=20)
    vcpu = models.PositiveIntegerField(validators=[bounds.SIZE_VCPU])
    memory_gib = models.FloatField(validators=[bounds.NODE_MEMORY_GIB])
    temp_storage_gib = models.FloatField(default=0, validators=[bounds.DISK_GIB_OR_NONE])
    max_data_disks = models.PositiveIntegerField(default=0, validators=[bounds.DATA_DISKS])
    premium_storage = models.BooleanField(default=False)
    max_nics = models.PositiveIntegerField(default=1, validators=[bounds.SIZE_NICS])
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["series", "vcpu", "name"]
        verbose_name = "VM size"

    @classmethod
    def version(cls) -> str:
        """A short fingerprint of the size catalog (the figures sizing reads), recorded with
        every result so an edited size marks the results sized before it as outdated."""
        rows = sorted(
            cls.objects.values_list("name", "vcpu", "memory_gib", "max_data_disks").order_by()
        )
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:10]
        return f"{len(rows)}:{digest}"

    def __str__(self) -> str:
        return self.name


class CatalogEntry(models.Model):
    """A versioned figure: the row in force is the latest whose effective date has come."""

    key = models.CharField(max_length=80)
    value = models.FloatField(validators=[bounds.CATALOG_VALUE])
    unit = models.CharField(max_length=40)
    description = models.CharField(max_length=200)
    source = models.CharField(max_length=300)
    effective_date = models.DateField(default=date.today)

    class Meta:
        abstract = True
        ordering = ["key", "-effective_date"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value:g} {self.unit} (from {self.effective_date})"

    @classmethod
    def in_force(cls, on: date | None = None) -> dict[str, float]:
        """The value of each key on a date (today by default)."""
        on = on or timezone.localdate()
        current: dict[str, float] = {}
        rows = cls.objects.filter(effective_date__lte=on).order_by("key", "-effective_date")
        for key, value in rows.values_list("key", "value"):
            current.setdefault(key, value)
        return current

    @classmethod
    def version(cls, on: date | None = None) -> str:
        """A short fingerprint of the figures in force, recorded with every result."""
        on = on or timezone.localdate()
        latest = cls.objects.filter(effective_date__lte=on).aggregate(
            m=models.Max("effective_date")
        )
        values = sorted(cls.in_force(on).items())
        digest = hashlib.sha256(repr(values).encode()).hexdigest()[:10]
        return f"{latest['m']}:{digest}"


class Price(CatalogEntry):
    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_date"], name="price_key_date_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
        ]


class Limit(CatalogEntry):
    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_date"], name="limit_key_date_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="limit_not_negative",
                violation_error_message="A limit cannot be negative.",
            ),
        ]
