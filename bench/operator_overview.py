"""Benchmark: the operators' estate overview of 10,000 VMs in 1,000 apps, from stored results.

Prints figures, never pass/fail. On a throwaway SQLite file under var/bench/ holding the demo
estate (``seed_demo --apps 1000 --vms 10000``), sized once, with some approved plans (so the
plan-status rollup has work to do), it measures with the Django test Client, signed in as the
operator, the median of several runs each and the queries of one run:
  - the rollup alone (``planner.services.estate.rollup.estate_overview()``, no template);
  - the overview page (12 and 36 months), its biggest CSV exports and two drill-downs;
  - the same page on an estate a tenth the size, to show the query count does not grow.
The last line reads `ratio: <page ms / rollup ms>` (the share of the time spent laying out).

It runs its own Redis on a free loopback port (data under var/bench/redis, stopped at the end):
approving a plan queues its PDF, and with no broker each approval would wait on a connection
attempt, or, on `make run`'s port, hand another database's revisions to someone else's worker.

    .venv/bin/python bench/operator_overview.py [--apps 1000] [--vms 10000] [--runs 5]
                                                [--plans 100] [--keep]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

from common import BENCH, ROOT, setup_django  # bench/common.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis(command: str, port: int) -> None:
    """Start or stop the bench's own Redis (scripts/redis.sh)."""
    script = ROOT / "scripts" / "redis.sh"
    subprocess.run(["bash", str(script), command, str(port), str(BENCH / "redis")], check=True)


def setup(db: Path, redis_port: int) -> None:
    """Settings for a throwaway database; DATABASE_URL is set before django.setup()."""
    setup_django(db, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")


def timed(fn, runs: int) -> tuple[float, int, int]:
    """Median milliseconds over ``runs`` (after one warm-up), the queries and bytes of one run."""
    from django.db import connection

    fn()
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        size = fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), count[0], size or 0


def build(apps: int, vms: int, plans: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from planner.models import Application, AppResult, PlanState, Trigger
    from planner.services import plans as plan_service
    from planner.services import runs

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", apps=apps, vms=vms, seed=1, stdout=quiet)
    if AppResult.objects.count() < Application.objects.count():
        runs.run_sync(runs.request_run(trigger=Trigger.CLI, dispatch=False))
    approver = get_user_model().objects.get(username="approver")
    approved = Application.objects.filter(plans__state=PlanState.APPROVED).count()
    for app in Application.objects.exclude(scheme="none").order_by("id")[
        : max(0, plans - approved)
    ]:
        rev = plan_service.create_revision(app, app.owner)
        for code in rev.blocking_codes:
            plan_service.add_waiver(rev, code, app.owner, "Accepted for the benchmark.")
        plan_service.approve_revision(plan_service.submit_revision(rev, app.owner), approver)


def measure(label: str, runs: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from planner.models import Application, VirtualMachine
    from planner.services.estate.rollup import estate_overview

    client = Client()
    client.force_login(get_user_model().objects.get(username="operator"))

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                return len(b"".join(response.streaming_content))
            return len(response.content)

        return fetch

    print(
        f"{label}: {VirtualMachine.objects.count():,} VMs in {Application.objects.count():,} apps;"
        f" median of {runs} runs"
    )
    rows = [
        ("rollup: estate_overview()", estate_overview),
        ("page /admin/overview/", get("/admin/overview/")),
        ("page, 36 months", get("/admin/overview/?months=36")),
        (
            "CSV cost by subscription (36 months)",
            get("/admin/overview/export/cost-by-subscription.csv"),
        ),
        ("CSV onboarding, every VM", get("/admin/overview/export/onboarding-vms.csv")),
        ("drill-down: protected VMs, page 1", get("/admin/overview/vms/?state=protected")),
        ("drill-down: stale plans", get("/admin/overview/apps/?is=plan_stale")),
    ]
    out = {}
    for name, fn in rows:
        ms, queries, size = timed(fn, runs)
        out[name] = ms
        kib = f"{size / 1024:8.0f} KiB" if isinstance(size, int) and size else " " * 12
        print(f"  {name:<40} {ms:8.1f} ms  {queries:3d} queries {kib}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", type=int, default=100, help="apps with an approved plan")
    parser.add_argument("--keep", action="store_true", help="reuse var/bench/overview.sqlite3")
    args = parser.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / "overview.sqlite3"
    if not args.keep:
        for f in BENCH.glob("overview.sqlite3*"):
            f.unlink()
    port = free_port()
    redis("start", port)
    try:
        setup(db, port)
        # A tenth of the estate first (the same apps' first tenth), then the rest added, sized.
        started = time.perf_counter()
        build(args.apps // 10, args.vms // 10, args.plans // 10)
        small = measure("small estate", args.runs)
        build(args.apps, args.vms, args.plans)
        print(f"(estates built and sized in {time.perf_counter() - started:.1f} s)")
        large = measure("estate", args.runs)
    finally:
        redis("stop", port)
    page, rollup = large["page /admin/overview/"], large["rollup: estate_overview()"]
    growth = large["page /admin/overview/"] / small["page /admin/overview/"]
    print(f"page time, estate / small estate: {growth:.1f}x for 10x the VMs")
    print(f"ratio: {page / rollup:.2f}")


if __name__ == "__main__":
    main()
