"""Benchmark: the portal's VM list against the Django admin changelist of the same rows.

Prints figures, never pass/fail. On a throwaway SQLite file under var/bench/ holding the demo
estate of 10,000 VMs in 1,000 apps (``seed_demo --apps 1000 --vms 10000``, then sized so the
result columns are filled), it renders with the Django test Client, signed in as the operator
(who sees every row in both):
  - the portal's /vms/ page 1 and last page, at the admin's page size;
  - the admin's /admin/planner/virtualmachine/ page 1 and last page;
  - a floor: the same page of rows as a bare ``.values()`` query, no template;
the median of several runs each, with the number of queries; then the page against the floor
and the last page against the first (issue 19's goals). The last line reads
`ratio: <portal page 1 / admin page 1>` (below 1: the portal is faster).

    .venv/bin/python bench/list_pages.py [--apps 1000] [--vms 10000] [--runs 7] [--keep] [--cpu]

With --cpu the figures are this process's CPU time rather than wall time: SQLite runs in this
process, so that is all the work of each page, and it holds on a busy machine where wall times
do not (the lines read the same).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from common import BENCH, setup_django  # bench/common.py


def setup(db: Path) -> None:
    setup_django(db)


CLOCK = time.perf_counter  # time.process_time with --cpu


def timed(fn, runs: int) -> tuple[float, int]:
    """Median milliseconds over ``runs`` (after one warm-up) and the queries of one run."""
    from django.db import connection

    fn()
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    samples = []
    for _ in range(runs):
        started = CLOCK()
        fn()
        samples.append((CLOCK() - started) * 1000)
    return statistics.median(samples), count[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse var/bench/list_pages.sqlite3")
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    args = parser.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / "list_pages.sqlite3"
    if not args.keep:
        for f in BENCH.glob("list_pages.sqlite3*"):
            f.unlink()
    setup(db)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from planner.models import SizingRun, Trigger, VirtualMachine
    from planner.services import runs

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", apps=args.apps, vms=args.vms, seed=1, stdout=quiet)
    if not SizingRun.objects.filter(status="succeeded").exists():
        runs.run_sync(runs.request_run(trigger=Trigger.CLI, dispatch=False))
    total = VirtualMachine.objects.count()
    print(
        f"estate: {total:,} VMs in {args.apps:,} apps, ready in {time.perf_counter() - started:.1f} s"
    )

    client = Client()
    client.force_login(get_user_model().objects.get(username="operator"))
    admin_url = "/admin/planner/virtualmachine/"
    from django.contrib import admin

    per_page = admin.site._registry[VirtualMachine].list_per_page
    admin_last = portal_last = -(-total // per_page)

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return fetch

    def floor():
        from planner.models import VirtualMachine as Vm

        list(
            Vm.objects.order_by("application__name", "name").values(
                "id",
                "name",
                "application__name",
                "resource_group",
                "os_type",
                "size__name",
                "role",
                "opted_in",
                "result__backup_gib",
                "result__boot_group",
            )[:per_page]
        )

    rows = [
        ("portal /vms/ page 1", get(f"/vms/?per_page={per_page}")),
        (
            f"portal /vms/ page {portal_last} (last)",
            get(f"/vms/?per_page={per_page}&page={portal_last}"),
        ),
        ("admin changelist page 1", get(admin_url)),
        (f"admin changelist page {admin_last} (last)", get(f"{admin_url}?p={admin_last}")),
        (f"floor: .values() of {per_page} rows", floor),
    ]
    print(
        f"page size {per_page} rows (the admin's list_per_page); median of {args.runs} runs"
        + (" (CPU time)" if args.cpu else "")
    )
    results = {}
    for label, fn in rows:
        ms, queries = timed(fn, args.runs)
        results[label] = ms
        print(f"  {label:<38} {ms:8.1f} ms  {queries:3d} queries")
    portal, admin = results["portal /vms/ page 1"], results["admin changelist page 1"]
    last_portal = results[f"portal /vms/ page {portal_last} (last)"]
    last_admin = results[f"admin changelist page {admin_last} (last)"]
    floor = results[f"floor: .values() of {per_page} rows"]
    print(
        f"portal page 1 / floor: {portal / floor:.2f} (goal: at most 3); "
        f"portal last page / page 1: {last_portal / portal:.2f} (goal: at most 1.5)"
    )
    print(f"last page ratio (portal / admin): {last_portal / last_admin:.2f}")
    print(f"ratio: {portal / admin:.2f}")


if __name__ == "__main__":
    main()
