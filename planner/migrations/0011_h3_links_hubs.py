"""Links and hubs (issue 14 items 1, 2): the link's other traffic, the targets' restore
throughput, each VM's restore approach, the ASR appliances of an estate run's first pass, and
the operator's running figures now meaning the VMs the planner does not know. New numbers are
bounded by planner.bounds (validators and check constraints); their defaults are in range, so no
row needs a clamp."""

import planner.bounds
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0010_h10_vm_app_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="link_other_mbps",
            field=models.FloatField(
                default=0,
                help_text="Part of the link other traffic already uses, Mbit/s",
                validators=[planner.bounds.named("LINK_OTHER_MBPS")],
            ),
        ),
        migrations.AddField(
            model_name="backuptarget",
            name="restore_mbps",
            field=models.FloatField(
                default=0,
                help_text="Restore throughput you measured, Mbit/s (0: the default 1,000 Mbit/s restore throughput assumption of DESIGN §4 is used, and the plan says so)",
                validators=[planner.bounds.named("RESTORE_MBPS")],
            ),
        ),
        migrations.AddField(
            model_name="runfigures",
            name="asr_appliances",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="runfigures",
            name="source_cloud_id",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="virtualmachine",
            name="restore_approach",
            field=models.CharField(
                choices=[
                    ("whole_vm", "The whole VM and its disks"),
                    ("disks", "Its disks (a VM created from them)"),
                    ("app_data", "App data into the existing VM"),
                    ("redeploy", "Redeploy from a template, then restore the data"),
                ],
                default="whole_vm",
                help_text="What a restore brings back: it decides the data moved and the redeploy time",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="running_tenant_gib",
            field=models.FloatField(
                default=0,
                help_text="Memory used by tenant VMs the planner does not know (not in its inventory); inventoried VMs are counted at their catalog sizes",
                validators=[planner.bounds.named("STAMP_MEMORY_GIB")],
            ),
        ),
        migrations.AlterField(
            model_name="cloud",
            name="running_vm_count",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Tenant VMs on the stamp the planner does not know",
                validators=[planner.bounds.named("RUNNING_VMS")],
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(("link_other_mbps__gte", 0), ("link_other_mbps__lte", 400000)),
                name="app_link_other_range",
                violation_error_message="The link's other traffic is 0 to 400,000 Mbit/s.",
            ),
        ),
        migrations.AddConstraint(
            model_name="backuptarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("restore_mbps__gte", 0), ("restore_mbps__lte", 400000)),
                name="backup_target_restore_range",
                violation_error_message="The restore throughput is 0 to 400,000 Mbit/s.",
            ),
        ),
    ]
