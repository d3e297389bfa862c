"""What the API tests share (no tests here): an estate of three owners' apps, sized, with a
submitted plan, and API clients that authenticate each role with its token. The fixtures built
on it live in tests/api/conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from planner.models import (
    Application,
    Drill,
    Finding,
    PlanRevision,
    SizingRun,
    Subscription,
    VirtualMachine,
)
from planner.services import plans
from planner.services.sizing import size_and_save
from tests.factories import (
    ApplicationFactory,
    CloudFactory,
    DiskFactory,
    SubscriptionFactory,
    VmFactory,
)

ROLES = ("anonymous", "owner", "other owner", "approver", "operator")
# The users of tests/conftest.py's fixtures (username, group, staff), for estates built once.
USERS = (
    ("alice", "owners"),
    ("bob", "owners"),
    ("carol", "approvers"),
    ("olga", "operators", True),
)
WAIVER_WHY = "Accepted for this test estate: the risk is reviewed in the next quarter."


@dataclass
class Estate:
    app: Application  # alice's, sized, with a submitted plan (r1)
    spare: Application  # alice's, sized, no plan: deletable
    other_app: Application  # bob's
    subscription: Subscription
    vm: VirtualMachine  # in app
    vm2: VirtualMachine  # in app
    other_vm: VirtualMachine  # in other_app
    drill: Drill
    run: SizingRun
    finding: Finding
    plan: PlanRevision  # app's r1, submitted, its blocking findings waived


def build_estate(alice, bob) -> Estate:
    source = CloudFactory(name="ASH Source")
    target = CloudFactory(name="ASH Target")
    sub = SubscriptionFactory(cloud=source)

    def app(name, owner):
        return ApplicationFactory(
            name=name, owner=owner, source_cloud=source, recovery_target=target
        )

    payroll, spare, crm = (
        app("alice-payroll", alice),
        app("alice-spare", alice),
        app("bob-crm", bob),
    )
    vm = VmFactory(application=payroll, subscription=sub, name="pay-db-01", role="database")
    DiskFactory(vm=vm, name="osdisk", provisioned_gib=128, used_gib=60)
    DiskFactory(vm=vm, name="data0", lun=0, provisioned_gib=512, used_gib=300)
    vm2 = VmFactory(application=payroll, subscription=sub, name="pay-web-01", role="web")
    DiskFactory(vm=vm2, name="osdisk")
    vm2.depends_on.add(vm)
    other_vm = VmFactory(application=crm, subscription=sub, name="crm-01")
    DiskFactory(vm=other_vm, name="osdisk")
    started = timezone.now() - timedelta(days=10)
    drill = Drill.objects.create(
        application=payroll, started_at=started, restored_at=started + timedelta(hours=2)
    )
    size_and_save([payroll.pk, spare.pk, crm.pk])
    run = SizingRun.objects.create(application=payroll, trigger="manual", requested_by=alice)
    plan = plans.create_revision(payroll, alice)  # re-sizes the app: findings are replaced
    for code in plan.blocking_codes:
        plans.add_waiver(plan, code, alice, WAIVER_WHY)
    plan = plans.submit_revision(plan, alice)
    finding = Finding.objects.filter(application=payroll).first()
    return Estate(payroll, spare, crm, sub, vm, vm2, other_vm, drill, run, finding, plan)


def client_for(user) -> APIClient:
    """An API client sending the user's token (None: anonymous)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
