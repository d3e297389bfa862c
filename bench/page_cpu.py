"""Benchmark: CPU per request of each page bench/load.py hits, with queries and a profile.

Prints figures, never pass/fail. On a throwaway SQLite file under var/bench/ (or, with
--pg-port, a database in a throwaway PostgreSQL cluster under var/bench/, as the load test's
stack runs on: the driver's per-query cost is not sqlite3's) holding the load test's estate (``seed_demo --apps 1000 --vms 10000``, sized, then bench/load.py's own setup:
--users owners with five apps each and one submitted plan, and two approvers), with a
project-local Redis on --redis-port (the broker the setup's tasks are queued on, and the cache),
it requests each page with the Django test Client (the whole middleware stack) as one owner
(the approvers' queue as an approver), cycling through the owner's apps as the load test does:
  - dashboard, app list, VM list (pages 1 and 2), app page, run page (the pages of the goal);
  - the API calls: submitted plans (approver), plan PDF (owner);
for each, the median CPU milliseconds per request (this process's CPU time: Python, templates
and SQLite, or the PostgreSQL driver's side: the server spends its share in its own process,
printed apart with --pg-port), the wall median,
and the queries of one request. Then, with --profile N, the top N functions by cumulative time
over --runs requests of each page (apart from the timed requests), overall and in the project's
code. With --gc-freeze, every page is opened once and the collector then tuned as gunicorn's
workers tune it (deploy/gunicorn.conf.py: freeze, thresholds) before anything is timed; with
--gc-stats, a line `gc:` gives the collector's CPU per request over the timed requests. On a
shared machine compare CPU, not wall times, and the host's speed printed above the last line
(bench/common.py ``host_line``). The last line reads
`cpu_ms: <CPU per page in the load test's mix>` (bench/load.py's owners open the dashboard 3
times, the app list 2, the VM list 2, an app page 4 and a run page once in 12 pages).

    .venv/bin/python bench/page_cpu.py [--users 200] [--runs 30] [--profile 15] [--keep]
        [--gc-freeze] [--gc-stats] [--pg-port 55470]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import runpy
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from common import BENCH, ROOT, host_line, setup_django  # bench/common.py

DB_NAME = "page_cpu-{apps}-{vms}-{users}.sqlite3"  # one file per size: --keep reuses its own
# bench/load.py's owner_loop: how often each of the goal's pages is opened (the VM list's two
# pages share its weight).
MIX = {
    "dashboard": 3,
    "app list": 2,
    "vm list p1": 1,
    "vm list p2": 1,
    "app page": 4,
    "run page": 1,
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--apps", type=int, default=1000)
    p.add_argument("--vms", type=int, default=10_000)
    p.add_argument("--users", type=int, default=200, help="owners, as bench/load.py's --users")
    p.add_argument("--runs", type=int, default=30, help="requests per page (median)")
    p.add_argument("--profile", type=int, default=0, help="print the top N functions per page")
    p.add_argument("--pages", default="", help="comma-separated labels to measure (default all)")
    p.add_argument("--redis-port", type=int, default=6491)
    p.add_argument(
        "--pg-port", type=int, default=0, help="on PostgreSQL (a cluster on this port), not SQLite"
    )
    p.add_argument(
        "--gc-freeze", action="store_true", help="tune the collector as gunicorn's workers do"
    )
    p.add_argument("--gc-stats", action="store_true", help="print the collector's CPU per request")
    p.add_argument(
        "--keep", action="store_true", help="reuse var/bench/page_cpu-APPS-VMS-USERS.sqlite3"
    )
    args = p.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / DB_NAME.format(apps=args.apps, vms=args.vms, users=args.users)
    env = {}
    if args.pg_port:
        return on_postgresql(args, db.stem.replace("-", "_"))
    fresh = not (args.keep and db.exists())
    if fresh:
        for f in BENCH.glob(db.name + "*"):
            f.unlink()
    return with_redis(args, db, fresh, env)


def on_postgresql(args, name: str) -> int:
    """Run on a database ``name`` of a PostgreSQL cluster under var/bench/pg-PORT (kept with
    --keep, as the SQLite file is)."""
    cluster = BENCH / f"pg-{args.pg_port}"
    subprocess.run(
        ["scripts/pg.sh", "start", str(args.pg_port), str(cluster)], cwd=ROOT, check=True
    )
    psql = ["psql", "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres", "-qtA", "-c"]
    try:
        exists = (
            subprocess.run(
                [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            == "1"
        )
        fresh = not (args.keep and exists)
        if fresh:
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
            subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
        url = f"postgres://postgres@127.0.0.1:{args.pg_port}/{name}"
        # One connection kept, as gunicorn's workers keep theirs (scripts/prod.sh).
        env = {"DATABASE_URL": url, "DB_CONN_MAX_AGE": "60"}
        return with_redis(args, Path(name), fresh, env)
    finally:
        subprocess.run(["scripts/pg.sh", "stop", str(args.pg_port), str(cluster)], cwd=ROOT)


def with_redis(args, db: Path, fresh: bool, env: dict) -> int:
    redis_dir = BENCH / f"redis-{args.redis_port}"
    subprocess.run(
        ["scripts/redis.sh", "start", str(args.redis_port), str(redis_dir)], cwd=ROOT, check=True
    )
    try:
        return run(args, db, fresh, env)
    finally:
        subprocess.run(["scripts/redis.sh", "stop", str(args.redis_port), str(redis_dir)], cwd=ROOT)


def run(args, db: Path, fresh: bool, env: dict) -> int:
    setup_django(db, REDIS_URL=f"redis://127.0.0.1:{args.redis_port}/0", **env)
    from django.conf import settings

    settings.CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from planner.models import Application, PlanRevision, PlanState, SizingRun, VirtualMachine

    sys.path.insert(0, str(ROOT / "bench"))
    import load  # bench/load.py: its setup, so the estate is the load test's

    began = time.perf_counter()
    if fresh:
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", apps=args.apps, vms=args.vms, seed=1, stdout=quiet)
        load.setup_estate(SimpleNamespace(users=args.users, approvers=2, importers=0))
    print(
        f"estate: {Application.objects.count():,} apps, {VirtualMachine.objects.count():,} VMs, "
        f"{User.objects.filter(username__startswith='load-owner-').count()} owners "
        f"({db.name}); ready in {time.perf_counter() - began:.0f} s"
    )

    owner = User.objects.get(username="load-owner-00")
    apps = list(Application.objects.filter(owner=owner).order_by("pk").values_list("pk", flat=True))
    plan = PlanRevision.objects.filter(application_id=apps[0]).exclude(state=PlanState.DRAFT)
    plan_id = plan.values_list("pk", flat=True).first()
    run_obj = SizingRun.objects.filter(application_id__in=apps).order_by("-pk").first()
    if run_obj is None:
        from planner.services.runs import request_run

        run_obj = request_run(application=Application.objects.get(pk=apps[0]), dispatch=False)
    owner_client, approver_client = Client(), Client()
    owner_client.force_login(owner)
    approver_client.force_login(User.objects.get(username="load-approver-0"))
    turn = {"app": 0}

    def next_app() -> int:
        turn["app"] += 1
        return apps[turn["app"] % len(apps)]

    pages = [
        ("dashboard", owner_client, lambda: "/"),
        ("app list", owner_client, lambda: "/apps/"),
        ("vm list p1", owner_client, lambda: "/vms/?page=1"),
        ("vm list p2", owner_client, lambda: "/vms/?page=2"),
        ("app page", owner_client, lambda: f"/apps/{next_app()}/"),
        ("run page", owner_client, lambda: f"/runs/{run_obj.pk}/"),
        ("submitted plans (api)", approver_client, lambda: "/api/v1/plans/?state=submitted"),
        ("plan pdf (api)", owner_client, lambda: f"/api/v1/plans/{plan_id}/pdf/"),
    ]
    if args.pages:
        wanted = {w.strip() for w in args.pages.split(",")}
        pages = [p for p in pages if p[0] in wanted]

    def server_cpu() -> float:
        """CPU seconds of the PostgreSQL process serving this connection so far."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fetch(client, url: str) -> int:
        response = client.get(url)
        assert response.status_code in (200, 202), (url, response.status_code)
        return response.status_code

    if args.gc_freeze:  # as a worker that has served each page once (deploy/gunicorn.conf.py)
        for _, client, url in pages:
            fetch(client, url())
        runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["tune_gc"]()
    collections: list[float] = []  # the collector's CPU, start and stop of each collection

    def on_gc(phase: str, info: dict) -> None:
        collections.append(time.process_time())

    print(f"median of {args.runs} requests each (after one warm-up); CPU = this process's time")
    print(f"  {'page':<24}{'CPU ms':>9}{'wall ms':>9}{'queries':>9}")
    profiles, medians, server = {}, {}, {}
    for label, client, url in pages:
        fetch(client, url())
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            status = fetch(client, url())
        cpu, wall = [], []
        backend = server_cpu() if connection.vendor == "postgresql" else None
        if args.gc_stats:
            gc.collect(0)  # a collection does not start inside the callback being added
            gc.callbacks.append(on_gc)
        for _ in range(args.runs):
            u = url()
            c0, w0 = time.process_time(), time.perf_counter()
            fetch(client, u)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        if args.gc_stats:
            gc.callbacks.remove(on_gc)
        if backend is not None:
            server[label] = (server_cpu() - backend) * 1000 / args.runs
        if args.profile:  # apart: the profiler's own cost is not in the figures above
            profiles[label] = prof = cProfile.Profile()
            for _ in range(args.runs):
                u = url()
                prof.enable()
                fetch(client, u)
                prof.disable()
        note = "  (202: PDF not stored)" if status == 202 else ""
        medians[label] = statistics.median(cpu)
        print(
            f"  {label:<24}{statistics.median(cpu):>9.1f}{statistics.median(wall):>9.1f}"
            f"{count[0]:>9}{note}",
            flush=True,
        )
    for label, prof in profiles.items():
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("cumulative")
        for title, where in (("", ()), (" in the project's code", (r"/(portal|planner)/",))):
            out.seek(0)
            out.truncate()
            stats.print_stats(*where, args.profile)
            body = out.getvalue()
            body = body[body.find("   ncalls") :] if "   ncalls" in body else body
            print(
                f"\n--- {label}: top {args.profile} by cumulative time{title}, "
                f"{args.runs} requests ---"
            )
            print(body.rstrip().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))
    if server:
        print(
            "\nPostgreSQL server CPU ms per request (mean; its process, apart from the above): "
            + ", ".join(f"{label} {ms:.1f}" for label, ms in server.items())
        )
    if args.gc_stats:
        pairs = list(zip(collections[::2], collections[1::2], strict=True))
        timed = args.runs * len(medians)
        print(
            f"\ngc: {sum(b - a for a, b in pairs) * 1000 / timed:.2f} CPU ms per request, "
            f"{len(pairs)} collections in {timed} timed requests"
            + (" (frozen, deploy/gunicorn.conf.py)" if args.gc_freeze else "")
        )
    weighed = {label: w for label, w in MIX.items() if label in medians}
    if weighed:
        mix = sum(medians[label] * w for label, w in weighed.items()) / sum(weighed.values())
        print(f"\n{host_line()}")
        print(f"cpu_ms: {mix:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
