"""Bounded inputs (planner.bounds): validators on every number and name, check constraints on
the figures the engine sizes with, and a clamp of the rows already outside the ranges.

The clamp runs first so the constraints can be added: a row outside a range was refused by no
entrance until now, and a value such as a 1e-5 Mbit/s link or a 3,000,000-day horizon made
sizing run out of memory or overflow (issue 15), so it is brought to the nearest end of its
range rather than kept; the value a clamp changes is a typing mistake, not a real estate.
App names longer than 80 characters are cut to 80 (with the app's id when two would clash):
the column shrinks from 120 to the shared name limit.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

import planner.bounds
from planner.bounds import Range

# The ranges as they were when this migration was written (planner.bounds may move on).
DISK_GIB, LUN_MAX, NAME_MAX = Range(1, 65_536), 63, 80

# (model, field, range, value for a NaN) of every clamped field
CLAMPED = (
    ("Application", "link_mbps", Range(0.1, 400_000), 1000),
    ("Application", "growth_horizon_days", Range(0, 3_650), 365),
    ("Application", "rto_minutes", Range(0, 5_256_000), None),
    ("Application", "rpo_minutes", Range(0, 5_256_000), None),
    ("Application", "replication_interval_minutes", Range(1, 1_440), 15),
    ("BackupPolicy", "retention_points", Range(1, 10_000), 14),
    ("BackupPolicy", "interval_minutes", Range(1, 43_200), 1440),
    ("Drill", "data_loss_minutes", Range(0, 5_256_000), 0),
)


def clamp_out_of_range(apps, schema_editor):
    for model_name, field, rng, nan_value in CLAMPED:
        model = apps.get_model("planner", model_name)
        for pk, value in model.objects.exclude(rng.q(field)).values_list("pk", field):
            if value is None:
                continue
            fixed = nan_value if value != value and nan_value is not None else rng.clamp(value)
            model.objects.filter(pk=pk).update(**{field: fixed})
    Disk = apps.get_model("planner", "Disk")
    outside = ~DISK_GIB.q("provisioned_gib") | Q(lun__gt=LUN_MAX)
    for disk in Disk.objects.filter(outside).only("provisioned_gib", "used_gib", "lun"):
        disk.provisioned_gib = DISK_GIB.clamp(disk.provisioned_gib)
        disk.used_gib = min(max(disk.used_gib, 0), disk.provisioned_gib)
        if disk.lun is not None:
            disk.lun = min(disk.lun, LUN_MAX)
        disk.save(update_fields=["provisioned_gib", "used_gib", "lun"])
    Application = apps.get_model("planner", "Application")
    taken = set(Application.objects.values_list("name", flat=True))
    for app in Application.objects.filter(name__regex=r"^.{81,}$").only("name"):
        short = app.name[:NAME_MAX].rstrip()
        if short in taken:
            suffix = f" #{app.pk}"
            short = app.name[: NAME_MAX - len(suffix)].rstrip() + suffix
        taken.discard(app.name)
        taken.add(short)
        app.name = short
        app.save(update_fields=["name"])
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks these updates queued now: PostgreSQL refuses to
        # ALTER a table with pending trigger events in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0008_h4_recommend"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(clamp_out_of_range, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="application",
            name="app_link_positive",
        ),
        migrations.AlterField(
            model_name="application",
            name="description",
            field=models.TextField(blank=True, validators=[planner.bounds.validate_text]),
        ),
        migrations.AlterField(
            model_name="application",
            name="growth_horizon_days",
            field=models.PositiveIntegerField(
                default=365, validators=[planner.bounds.named("GROWTH_HORIZON_DAYS")]
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="link_mbps",
            field=models.FloatField(
                default=1000,
                help_text="Replication link to the target, Mbit/s",
                validators=[planner.bounds.named("LINK_MBPS")],
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="manual_steps",
            field=models.TextField(
                blank=True,
                help_text="One manual failover step per line",
                validators=[planner.bounds.validate_text],
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="mtpd_minutes",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Maximum tolerable period of disruption, minutes",
                null=True,
                validators=[planner.bounds.named("OBJECTIVE_MINUTES")],
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="name",
            field=models.CharField(
                max_length=80, unique=True, validators=[planner.bounds.validate_name]
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="no_protection_why",
            field=models.TextField(blank=True, validators=[planner.bounds.validate_text]),
        ),
        migrations.AlterField(
            model_name="application",
            name="replication_interval_minutes",
            field=models.PositiveIntegerField(
                default=15, validators=[planner.bounds.named("REPLICATION_INTERVAL_MINUTES")]
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="rpo_minutes",
            field=models.PositiveIntegerField(
                help_text="Recovery point objective, minutes",
                validators=[planner.bounds.named("OBJECTIVE_MINUTES")],
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="rto_minutes",
            field=models.PositiveIntegerField(
                help_text="Recovery time objective, minutes",
                validators=[planner.bounds.named("OBJECTIVE_MINUTES")],
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="full_every",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Periodic fulls: a full every K runs (7 weekly, 30 monthly)",
                null=True,
                validators=[planner.bounds.named("FULL_EVERY")],
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="gfs_monthly",
            field=models.PositiveIntegerField(
                default=0, validators=[planner.bounds.named("GFS_MONTHLY")]
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="gfs_weekly",
            field=models.PositiveIntegerField(
                default=0, validators=[planner.bounds.named("GFS_WEEKLY")]
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="gfs_yearly",
            field=models.PositiveIntegerField(
                default=0, validators=[planner.bounds.named("GFS_YEARLY")]
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="interval_minutes",
            field=models.PositiveIntegerField(
                default=1440,
                help_text="Minutes between backups",
                validators=[planner.bounds.named("BACKUP_INTERVAL_MINUTES")],
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="reduction",
            field=models.FloatField(
                blank=True,
                help_text="Stored size / original after compression and deduplication; empty: the product's figure (0.5 when the product states none)",
                null=True,
                validators=[planner.bounds.named("REDUCTION")],
            ),
        ),
        migrations.AlterField(
            model_name="backuppolicy",
            name="retention_points",
            field=models.PositiveIntegerField(
                default=14, validators=[planner.bounds.named("RETENTION_POINTS")]
            ),
        ),
        migrations.AlterField(
            model_name="backuptarget",
            name="capacity_gib",
            field=models.FloatField(default=0, validators=[planner.bounds.named("TARGET_GIB")]),
        ),
        migrations.AlterField(
            model_name="backuptarget",
            name="ingest_mbps",
            field=models.FloatField(
                default=1000,
                help_text="Sustained ingest, Mbit/s",
                validators=[planner.bounds.named("INGEST_MBPS")],
            ),
        ),
        migrations.AlterField(
            model_name="backuptarget",
            name="streams",
            field=models.PositiveIntegerField(
                default=4,
                help_text="Concurrent backup streams",
                validators=[planner.bounds.named("STREAMS")],
            ),
        ),
        migrations.AlterField(
            model_name="backuptarget",
            name="used_gib",
            field=models.FloatField(
                default=0,
                help_text="Already used by data outside the planner",
                validators=[planner.bounds.named("TARGET_GIB")],
            ),
        ),
        migrations.AlterField(
            model_name="backuptarget",
            name="window_hours",
            field=models.FloatField(
                default=8,
                help_text="Nightly backup window",
                validators=[planner.bounds.named("WINDOW_HOURS")],
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="largest_vm_gib",
            field=models.FloatField(
                default=0,
                help_text="Memory of the largest VM deployed on the stamp (resiliency reserve)",
                validators=[planner.bounds.named("NODE_MEMORY_GIB")],
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="memory_per_node_gib",
            field=models.FloatField(
                default=0, validators=[planner.bounds.named("NODE_MEMORY_GIB")]
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="nodes",
            field=models.PositiveIntegerField(
                default=0,
                help_text="ASH scale-unit nodes (4-16)",
                validators=[planner.bounds.named("NODES")],
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="running_tenant_gib",
            field=models.FloatField(
                default=0,
                help_text="Memory already used by tenant VMs outside the planner",
                validators=[planner.bounds.named("STAMP_MEMORY_GIB")],
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="running_vm_count",
            field=models.PositiveIntegerField(
                default=0, validators=[planner.bounds.named("RUNNING_VMS")]
            ),
        ),
        migrations.AlterField(
            model_name="disk",
            name="lun",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Empty for the OS disk",
                null=True,
                validators=[planner.bounds.named("LUN")],
            ),
        ),
        migrations.AlterField(
            model_name="disk",
            name="name",
            field=models.CharField(max_length=80, validators=[planner.bounds.validate_name]),
        ),
        migrations.AlterField(
            model_name="disk",
            name="provisioned_gib",
            field=models.FloatField(validators=[planner.bounds.named("DISK_GIB")]),
        ),
        migrations.AlterField(
            model_name="disk",
            name="used_gib",
            field=models.FloatField(validators=[planner.bounds.named("USED_GIB")]),
        ),
        migrations.AlterField(
            model_name="drill",
            name="data_loss_minutes",
            field=models.FloatField(
                default=0,
                help_text="Data loss observed, minutes",
                validators=[planner.bounds.named("DATA_LOSS_MINUTES")],
            ),
        ),
        migrations.AlterField(
            model_name="drill",
            name="notes",
            field=models.TextField(blank=True, validators=[planner.bounds.validate_text]),
        ),
        migrations.AlterField(
            model_name="limit",
            name="value",
            field=models.FloatField(validators=[planner.bounds.named("CATALOG_VALUE")]),
        ),
        migrations.AlterField(
            model_name="price",
            name="value",
            field=models.FloatField(validators=[planner.bounds.named("CATALOG_VALUE")]),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="change_rate",
            field=models.FloatField(
                default=0.05,
                help_text="Fraction of used data changed daily",
                validators=[planner.bounds.named("CHANGE_RATE")],
            ),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="growth_per_year",
            field=models.FloatField(
                default=0.1,
                help_text="Fraction of growth per year",
                validators=[planner.bounds.named("GROWTH_PER_YEAR")],
            ),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="name",
            field=models.CharField(max_length=80, validators=[planner.bounds.validate_name]),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="resource_group",
            field=models.CharField(
                max_length=90, validators=[planner.bounds.validate_resource_group]
            ),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="scale_set",
            field=models.CharField(
                blank=True,
                help_text="Scale set it belongs to (its VMs are ephemeral)",
                max_length=80,
                validators=[planner.bounds.validate_name],
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(("link_mbps__gte", 0.1), ("link_mbps__lte", 400000)),
                name="app_link_range",
                violation_error_message="The replication link is 0.1 to 400,000 Mbit/s.",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("growth_horizon_days__gte", 0), ("growth_horizon_days__lte", 3650)
                ),
                name="app_growth_horizon_range",
                violation_error_message="The sizing horizon is 0 to 3,650 days.",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rto_minutes__gte", 0),
                    ("rto_minutes__lte", 5256000),
                    ("rpo_minutes__gte", 0),
                    ("rpo_minutes__lte", 5256000),
                ),
                name="app_objectives_range",
                violation_error_message="RTO and RPO are 0 to 5,256,000 minutes (10 years).",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("replication_interval_minutes__gte", 1),
                    ("replication_interval_minutes__lte", 1440),
                ),
                name="app_replication_interval_range",
                violation_error_message="The replication interval is 1 to 1,440 minutes (1 day).",
            ),
        ),
        migrations.AddConstraint(
            model_name="backuppolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(("retention_points__gte", 1), ("retention_points__lte", 10000)),
                name="policy_retention_range",
                violation_error_message="Retention: 1 to 10,000 restore points.",
            ),
        ),
        migrations.AddConstraint(
            model_name="backuppolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(("interval_minutes__gte", 1), ("interval_minutes__lte", 43200)),
                name="policy_interval_range",
                violation_error_message="The backup interval is 1 to 43,200 minutes (30 days).",
            ),
        ),
        migrations.AddConstraint(
            model_name="disk",
            constraint=models.CheckConstraint(
                condition=models.Q(("provisioned_gib__gte", 1), ("provisioned_gib__lte", 65536)),
                name="disk_size_range",
                violation_error_message="A disk is 1 to 65,536 GiB.",
            ),
        ),
        migrations.AddConstraint(
            model_name="disk",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lun__isnull", True),
                    models.Q(("lun__gte", 0), ("lun__lte", 63)),
                    _connector="OR",
                ),
                name="disk_lun_range",
                violation_error_message="LUNs run from 0 to 63.",
            ),
        ),
        migrations.AddConstraint(
            model_name="drill",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("data_loss_minutes__gte", 0), ("data_loss_minutes__lte", 5256000)
                ),
                name="drill_data_loss_range",
                violation_error_message="Data loss is 0 to 5,256,000 minutes (10 years).",
            ),
        ),
        migrations.AlterField(
            model_name="vmsize",
            name="max_data_disks",
            field=models.PositiveIntegerField(
                default=0, validators=[planner.bounds.named("DATA_DISKS")]
            ),
        ),
        migrations.AlterField(
            model_name="vmsize",
            name="max_nics",
            field=models.PositiveIntegerField(
                default=1, validators=[planner.bounds.named("SIZE_NICS")]
            ),
        ),
        migrations.AlterField(
            model_name="vmsize",
            name="memory_gib",
            field=models.FloatField(validators=[planner.bounds.named("NODE_MEMORY_GIB")]),
        ),
        migrations.AlterField(
            model_name="vmsize",
            name="temp_storage_gib",
            field=models.FloatField(
                default=0, validators=[planner.bounds.named("DISK_GIB_OR_NONE")]
            ),
        ),
        migrations.AlterField(
            model_name="vmsize",
            name="vcpu",
            field=models.PositiveIntegerField(validators=[planner.bounds.named("SIZE_VCPU")]),
        ),
        migrations.AlterField(
            model_name="virtualmachine",
            name="no_protection_why",
            field=models.CharField(
                blank=True,
                help_text="Why this VM goes without protection (a recorded decision)",
                max_length=500,
                validators=[planner.bounds.validate_text],
            ),
        ),
    ]
