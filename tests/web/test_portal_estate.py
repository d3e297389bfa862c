"""A small estate for the portal's web tests: alice's and bob's apps, VMs with disks, a run."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from planner.models import Application, SizingRun, VirtualMachine
from tests.factories import (
    ApplicationFactory,
    CloudFactory,
    DiskFactory,
    SubscriptionFactory,
    VmFactory,
)


@dataclass
class Estate:
    app: Application  # alice's
    vm: VirtualMachine
    other_app: Application  # bob's
    other_vm: VirtualMachine
    run: SizingRun


def build(alice, bob, vms: int = 3) -> Estate:
    source = CloudFactory(name="ASH Source")
    sub = SubscriptionFactory(cloud=source)
    app = ApplicationFactory(name="alice-payroll", owner=alice, source_cloud=source)
    other = ApplicationFactory(name="bob-crm", owner=bob, source_cloud=source)
    first = None
    for i in range(vms):
        vm = VmFactory(application=app, subscription=sub, name=f"alice-vm-{i:02d}")
        DiskFactory(vm=vm, name="osdisk")
        first = first or vm
    other_vm = VmFactory(application=other, subscription=sub, name="bob-vm-00")
    DiskFactory(vm=other_vm, name="osdisk")
    run = SizingRun.objects.create(
        application=app,
        trigger="manual",
        requested_by=alice,
        status="succeeded",
        total_vms=vms,
        done_vms=vms,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return Estate(app, first, other, other_vm, run)


def test_the_estate_gives_each_owner_their_own_app(db, alice, bob):
    estate = build(alice, bob, vms=2)
    assert estate.app.owner == alice and estate.other_app.owner == bob
    assert estate.app.vms.count() == 2 and estate.vm.disks.count() == 1
    assert estate.app.get_absolute_url() == f"/apps/{estate.app.pk}/"
    assert estate.vm.get_absolute_url() == f"/vms/{estate.vm.pk}/"
    assert estate.run.get_absolute_url() == f"/runs/{estate.run.pk}/"
