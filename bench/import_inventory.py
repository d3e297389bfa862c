"""Benchmark: importing an inventory of 10,000 VMs (the portal's and the API's import service).

Prints figures, never pass/fail. On a throwaway SQLite file under var/bench/ (a small demo
estate gives the app and the subscription), it builds an ARM-shaped JSON file and a CSV of
10,000 VMs with two disks each, then measures the median of several runs of:
  - parsing the file (``parse_inventory``);
  - the preview (``preview_import``: what a commit would create, update, leave or reject);
  - the commit (``import_inventory``: parse + preview + bulk writes, all or nothing);
  - re-importing the same file (the preview finds every row unchanged);
  - a floor: ``bulk_create`` of the same VMs and disks, no parsing and no checks.
The created VMs are deleted between runs (not timed). The last line reads
`ratio: <commit of the JSON file / floor>`.

    .venv/bin/python bench/import_inventory.py [--vms 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from common import BENCH, setup_django  # bench/common.py

PREFIX = "bulk-"


def arm_json(count: int) -> bytes:
    return json.dumps(
        [
            {
                "name": f"{PREFIX}{i:05d}",
                "resourceGroup": f"rg-{i % 20}",
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2_v2"},
                    "storageProfile": {
                        "osDisk": {"osType": "Windows", "diskSizeGB": 127, "name": "os"},
                        "dataDisks": [{"lun": 0, "name": "d0", "diskSizeGB": 256}],
                    },
                },
            }
            for i in range(count)
        ]
    ).encode()


def csv_file(count: int) -> bytes:
    lines = ["name,resource_group,os_type,vm_size,os_disk_gib,data_disks_gib"]
    lines += [f"{PREFIX}{i:05d},rg-{i % 20},linux,Standard_D2_v2,30,256;512" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def median_ms(fn, runs: int, reset=None) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        if reset:
            reset()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / "import_inventory.sqlite3"
    for f in BENCH.glob("import_inventory.sqlite3*"):
        f.unlink()
    setup_django(db)

    from django.core.management import call_command

    from planner.models import Application, Disk, Subscription, VirtualMachine
    from planner.services import inventory

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", apps=5, vms=50, seed=1, stdout=quiet)
    app = Application.objects.select_related("source_cloud").order_by("pk").first()
    subscription = Subscription.objects.filter(cloud=app.source_cloud).order_by("pk").first()
    where = {"application": app, "subscription": subscription}

    def reset() -> None:
        VirtualMachine.objects.filter(name__startswith=PREFIX).delete()

    files = {"ARM JSON": (arm_json(args.vms), "vms.json"), "CSV": (csv_file(args.vms), "vms.csv")}
    print(f"{args.vms:,} VMs, 2 disks each; median of {args.runs} runs (SQLite, WAL)")
    commit_ms = {}
    for label, (data, name) in files.items():
        parsed = inventory.parse_inventory(data, name)
        assert not parsed.errors, parsed.errors[:3]
        parse = median_ms(lambda d=data, n=name: inventory.parse_inventory(d, n), args.runs)
        preview = median_ms(lambda p=parsed: inventory.preview_import(p, **where), args.runs)
        commit_ms[label] = median_ms(
            lambda d=data, n=name: inventory.import_inventory(
                inventory.parse_inventory(d, n), **where
            ),
            args.runs,
            reset,
        )
        inventory.import_inventory(parsed, **where)
        again = inventory.preview_import(parsed, **where)
        unchanged = again.counts["unchanged"]
        reimport = median_ms(
            lambda d=data, n=name: inventory.import_inventory(
                inventory.parse_inventory(d, n), **where
            ),
            args.runs,
        )
        reset()
        size_mib = len(data) / 2**20
        print(f"  {label} ({size_mib:.1f} MiB)")
        print(f"    parse                         {parse:8.0f} ms")
        print(f"    preview                       {preview:8.0f} ms")
        print(f"    commit (parse+preview+write)  {commit_ms[label]:8.0f} ms")
        print(f"    re-import, nothing to change  {reimport:8.0f} ms   ({unchanged:,} unchanged)")

    def floor() -> None:
        vms = VirtualMachine.objects.bulk_create(
            [
                VirtualMachine(
                    application=app,
                    subscription=subscription,
                    resource_group=f"rg-{i % 20}",
                    name=f"{PREFIX}{i:05d}",
                    os_type="windows",
                )
                for i in range(args.vms)
            ],
            batch_size=1000,
        )
        Disk.objects.bulk_create(
            [
                Disk(vm=vm, name=n, lun=lun, provisioned_gib=gib, used_gib=round(gib * 0.6, 1))
                for vm in vms
                for n, lun, gib in (("os", None, 127), ("d0", 0, 256))
            ],
            batch_size=2000,
        )

    floor_ms = median_ms(floor, args.runs, reset)
    print(f"  floor: bulk_create of the same rows {floor_ms:8.0f} ms")
    print(
        f"commit / floor: JSON {commit_ms['ARM JSON'] / floor_ms:.2f}, "
        f"CSV {commit_ms['CSV'] / floor_ms:.2f}"
    )
    print(f"ratio: {commit_ms['ARM JSON'] / floor_ms:.2f}")


if __name__ == "__main__":
    main()
