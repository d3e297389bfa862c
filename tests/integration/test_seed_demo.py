"""seed_demo: counts, idempotence, determinism, every topology the seed's table names."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F

from planner.models import Application, BackupTarget, Cloud, Disk, Drill, VirtualMachine

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        VirtualMachine.objects.values_list(
            "name",
            "application__name",
            "os_type",
            "role",
            "scale_set",
            "opted_in",
            "change_rate",
            "size__name",
        )
    ), sorted(Disk.objects.values_list("vm__name", "name", "provisioned_gib", "used_gib"))


def test_counts_accounts_and_idempotence(capsys):
    call_command("seed_demo", apps=20, vms=150, seed=7)
    out = capsys.readouterr().out
    assert "20 apps and 150 VMs created" in out
    assert "owner, owner2, approver, operator" in out
    assert Application.objects.count() == 20
    assert VirtualMachine.objects.count() == 150
    first = snapshot()
    call_command("seed_demo", apps=20, vms=150, seed=7)
    assert "0 apps and 0 VMs created" in capsys.readouterr().out
    assert VirtualMachine.objects.count() == 150
    assert snapshot() == first
    operator = User.objects.get(username="operator")
    assert operator.is_staff and operator.groups.filter(name="operators").exists()
    assert User.objects.get(username="approver").groups.filter(name="approvers").exists()
    assert User.objects.get(username="owner").check_password("recovery-demo")


def test_same_seed_same_estate_other_seed_other_estate():
    call_command("seed_demo", apps=12, vms=80, seed=5)
    first = snapshot()
    Application.objects.all().delete()
    call_command("seed_demo", apps=12, vms=80, seed=5)
    assert snapshot() == first
    Application.objects.all().delete()
    call_command("seed_demo", apps=12, vms=80, seed=6)
    assert snapshot() != first


def test_estate_is_realistic():
    call_command("seed_demo", apps=24, vms=240, seed=1)
    assert set(Cloud.objects.values_list("kind", flat=True)) == {
        "azure_stack_hub",
        "azure",
        "service_provider",
    }
    assert set(
        Cloud.objects.filter(kind="azure_stack_hub").values_list("operated_by", flat=True)
    ) == {"customer", "csp"}
    assert len(set(Cloud.objects.values_list("site__country", flat=True))) >= 2
    # Every row of the seed's "Recommended topologies" table has a target in use.
    used_kinds = set(Application.objects.values_list("backup_target__kind", flat=True))
    assert set(BackupTarget.objects.values_list("kind", flat=True)) <= used_kinds
    assert set(Application.objects.values_list("tier", flat=True)) == {1, 2, 3, 4}
    assert set(Application.objects.values_list("scheme", flat=True)) >= {
        "none",
        "backup_restore",
        "replication",
        "high_availability",
        "fault_tolerance",
    }
    vms = VirtualMachine.objects
    assert vms.filter(os_type="linux").exists() and vms.filter(os_type="windows").exists()
    assert set(vms.values_list("role", flat=True)) >= {"database", "middleware", "web"}
    assert vms.exclude(scale_set="").exists()
    assert VirtualMachine.depends_on.through.objects.exists()
    # A dependency across apps (a shared database).
    through = VirtualMachine.depends_on.through.objects
    assert through.exclude(
        from_virtualmachine__application=F("to_virtualmachine__application")
    ).exists()
    assert Drill.objects.exists()
    assert Disk.objects.filter(provisioned_gib__gt=1022).exists()
