"""Structural rules are database constraints, each with a clear message (validation twin)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from planner.models import Application, BackupPolicy, Disk, Price, VirtualMachine
from tests.factories import (
    ApplicationFactory,
    BackupTargetFactory,
    CloudFactory,
    DiskFactory,
    SubscriptionFactory,
    VmFactory,
)

pytestmark = pytest.mark.django_db


def test_disk_used_above_provisioned_is_refused_with_a_message():
    disk = DiskFactory.build(vm=VmFactory(), provisioned_gib=100, used_gib=150)
    with pytest.raises(ValidationError, match="Used space cannot exceed the provisioned size"):
        disk.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        disk.save()


def test_disk_used_equal_to_provisioned_is_fine():
    DiskFactory(provisioned_gib=100, used_gib=100).full_clean()


@pytest.mark.parametrize("rate", [-0.01, 1.01])
def test_change_rate_outside_0_to_100_percent_is_refused(rate):
    vm = VmFactory.build(application=ApplicationFactory(), subscription=SubscriptionFactory())
    vm.change_rate = rate
    with pytest.raises(ValidationError, match="between 0 % and 100 %"):
        vm.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        vm.save()


def test_negative_rto_is_refused():
    app = ApplicationFactory()
    Application.objects.filter(pk=app.pk)  # a valid app exists
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=app.pk).update(rto_minutes=-5)


def test_vm_unique_per_subscription_resource_group_and_name_ignoring_case():
    vm = VmFactory(name="web01", resource_group="RG-Shop")
    twin = VirtualMachine(
        application=vm.application,
        subscription=vm.subscription,
        resource_group="rg-shop",
        name="WEB01",
    )
    with pytest.raises(ValidationError, match="already exists in this subscription"):
        twin.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # The same name in another resource group is another VM.
    VirtualMachine.objects.create(
        application=vm.application,
        subscription=vm.subscription,
        resource_group="rg-other",
        name="web01",
    )


def test_recovery_target_must_not_be_the_source_cloud():
    cloud = CloudFactory()
    app = ApplicationFactory.build(
        owner=ApplicationFactory().owner,
        source_cloud=cloud,
        recovery_target=cloud,
        backup_target=BackupTargetFactory(),
        policy=None,
    )
    with pytest.raises(ValidationError) as exc:
        app.full_clean()
    assert "another cloud than the source" in str(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        app.save()


def test_backup_target_used_above_capacity_is_refused():
    target = BackupTargetFactory.build(capacity_gib=100, used_gib=101)
    with pytest.raises(ValidationError, match="cannot exceed the capacity"):
        target.full_clean()


def test_policy_reduction_must_be_a_fraction():
    policy = BackupPolicy(name="odd", reduction=1.5)
    with pytest.raises(ValidationError, match=r"0\.01 to 1 \(stored size"):
        policy.full_clean()


def test_periodic_full_policy_needs_full_every():
    policy = BackupPolicy(name="weekly", method="forward_periodic_full")
    with pytest.raises(ValidationError, match="full every K runs"):
        policy.full_clean()


def test_allowed_countries_are_normalised_and_checked():
    app = ApplicationFactory(allowed_countries="de, at")
    app.full_clean()
    assert app.allowed_countries == "DE, AT"
    assert app.countries == {"DE", "AT"}
    app.allowed_countries = "Germany"
    with pytest.raises(ValidationError, match="two-letter ISO codes"):
        app.full_clean()


def test_reference_data_is_loaded_by_migration():
    from planner.models import Limit, Product, VmSize

    size = VmSize.objects.get(name="Standard_DS4_v2")
    assert (size.vcpu, size.memory_gib) == (8, 28)
    assert VmSize.objects.get(name="Basic_A0").memory_gib == 0.75
    assert VmSize.objects.count() == 86
    assert Price.in_force()["asr.instance_month"] == 25
    assert Limit.in_force()["asr_ash.max_disk_gib"] == 1022
    # The seed's OS rule in the catalog: no Microsoft product protects Linux VMs.
    assert not Product.objects.filter(vendor="microsoft", supports_linux=True).exists()
    assert Product.objects.filter(vendor="partner", supports_linux=True).exists()


def test_a_newer_price_supersedes_and_changes_the_version():
    from datetime import date, timedelta

    before = Price.version()
    Price.objects.create(
        key="asr.instance_month",
        value=30,
        unit="USD",
        description="new list price",
        source="test",
        effective_date=date.today() - timedelta(days=1),
    )
    assert Price.in_force()["asr.instance_month"] == 30
    assert Price.version() != before
    # A future price is not in force yet.
    Price.objects.create(
        key="asr.instance_month",
        value=99,
        unit="USD",
        description="future",
        source="test",
        effective_date=date.today() + timedelta(days=30),
    )
    assert Price.in_force()["asr.instance_month"] == 30


def test_disk_sizes_cannot_be_negative():
    disk = Disk(vm=VmFactory(), name="d", provisioned_gib=10, used_gib=-1)
    with pytest.raises(ValidationError, match="outside the allowed range, 0 to 65,536 GiB"):
        disk.full_clean()
