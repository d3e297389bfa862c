"""Benchmark: a hub sync of 5,000 VMs over ARM (planner.services.hub.run_sync).

Prints figures, never pass/fail. The far end is tests/armhub.py, a real HTTPS server on
127.0.0.1 answering as Azure Resource Manager does (100 items a page with nextLink, as ARM
pages VM lists); the clients are the real azure-identity and azure-mgmt-compute. On a
throwaway SQLite file under var/bench/ (a small demo estate gives the hub cloud), 5,000 VMs
with an OS and a data disk each, in resource groups claimed by 50 apps:
  - the first sync (everything created: read, parse, preview, write, drift recorded);
  - a second sync with nothing changed at the far end (every VM unchanged);
  - a third after 1 % of the VMs were resized and 1 % deleted at the far end;
and, for each, how long the reading over HTTPS took (token, pages, JSON) and how long the
writing. No broker runs: the re-sizing runs a sync requests for changed apps are recorded only. The last line reads `ratio: <second sync / first sync>`.

    .venv/bin/python bench/arm_sync.py [--vms 5000] [--apps 50]
"""

from __future__ import annotations

import argparse
import os
import time

from common import BENCH, setup_django  # bench/common.py

SUB = "5e5e5e5e-0000-4000-8000-00000000be9c"
SECRET_ENV = "BENCH_HUB_ARM_SECRET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=5000)
    parser.add_argument("--apps", type=int, default=50)
    args = parser.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / "arm_sync.sqlite3"
    for f in BENCH.glob("arm_sync.sqlite3*"):
        f.unlink()
    setup_django(db)

    from django.contrib.auth.models import User
    from django.core.management import call_command

    from planner.models import (
        Application,
        Cloud,
        CloudKind,
        HubConnection,
        ResourceGroupClaim,
        Subscription,
        VirtualMachine,
    )
    from planner.services import hub, runs
    from tests.armhub import ArmHub

    # No broker here: the re-sizing runs a sync requests are recorded, not published (each
    # publish would wait out the 2 s broker connect timeout).
    runs.dispatch_run = lambda run_id, countdown=0: False

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", apps=2, vms=10, seed=1, stdout=quiet)
    cloud = Cloud.objects.filter(kind=CloudKind.AZURE_STACK_HUB).order_by("pk").first()
    target = Cloud.objects.exclude(pk=cloud.pk).order_by("pk").first()
    sub = Subscription.objects.create(cloud=cloud, name="bench", subscription_id=SUB)
    owner = User.objects.create_user("bench-owner")
    for a in range(args.apps):
        app = Application.objects.create(
            name=f"bench-app-{a:03d}",
            owner=owner,
            rto_minutes=240,
            rpo_minutes=1440,
            source_cloud=cloud,
            recovery_target=target,
        )
        ResourceGroupClaim.objects.create(
            application=app, subscription=sub, resource_group=f"rg-{a:03d}"
        )

    armhub = ArmHub(BENCH / "armhub", page_size=100).start()
    for i in range(args.vms):
        armhub.add_vm(SUB, f"rg-{i % args.apps:03d}", f"vm-{i:05d}", data_gib=(256,))
    os.environ[SECRET_ENV] = armhub.secret
    conn = HubConnection.objects.create(
        name="bench hub",
        cloud=cloud,
        arm_endpoint=armhub.url,
        tenant_id=armhub.tenant,
        client_id=armhub.client_id,
        secret_from=SECRET_ENV,
        ca_bundle=str(armhub.ca_path),
    )
    conn.subscriptions.set([sub])

    # Split read and write time: wrap the two phases run_sync calls.
    phases = {"read": 0.0, "write": 0.0}

    def timed(name, fn):
        def wrapper(*a, **kw):
            started = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name] += time.perf_counter() - started

        return wrapper

    hub.connect = timed("read", hub.connect)
    hub.fetch = timed("read", hub.fetch)
    hub.apply_subscription = timed("write", hub.apply_subscription)

    def one_sync(label: str) -> float:
        phases.update(read=0.0, write=0.0)
        sync = hub.request_sync(conn)
        started = time.perf_counter()
        hub.run_sync(sync.pk)
        seconds = time.perf_counter() - started
        sync.refresh_from_db()
        assert sync.status == "succeeded", sync.message
        print(
            f"  {label:<34} {seconds:6.2f} s  (read over HTTPS {phases['read']:5.2f} s, "
            f"write {phases['write']:5.2f} s)  {sync.message}"
        )
        return seconds

    pages = -(-args.vms // armhub.page_size)
    print(
        f"{args.vms:,} VMs (an OS and a data disk each) in {args.apps} apps' resource groups; "
        f"ARM pages of {armhub.page_size} ({pages} VM pages, {2 * pages} disk pages); "
        "SQLite (WAL); Compute API 2020-06-01, disks 2019-07-01"
    )
    first = one_sync("first sync (all created)")
    second = one_sync("second sync (nothing changed)")
    step = 100
    for i in range(0, args.vms, step):
        armhub.resize_vm(SUB, f"vm-{i:05d}", "Standard_D4_v2")
    for i in range(1, args.vms, step):
        armhub.remove_vm(SUB, f"vm-{i:05d}")
    one_sync("third sync (1 % resized, 1 % gone)")
    armhub.stop()
    assert VirtualMachine.objects.filter(subscription=sub).count() == args.vms - args.vms // step
    print(f"ratio: {second / first:.2f}")


if __name__ == "__main__":
    main()
