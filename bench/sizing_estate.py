"""Benchmark: size an estate of 10,000 VMs in 1,000 apps, in one process and through Celery.

Prints figures, never pass/fail. For SQLite and PostgreSQL (a throwaway cluster on loopback
under var/bench/), it measures:
  (a) the single-process floor: read the facts, compute, write the results, in one process;
  (b) the same estate run through Celery with real worker processes, from the request to the
      last committed result;
  (c) queries per chunk;
  (d) a run of one app (an owner's "size now", an edit): CPU of this process and of its
      PostgreSQL backend (from /proc, when PostgreSQL runs on this host), queries and rows read;
and the engine alone (VMs per second). Medians over several runs. The last line reads
`ratio: <(b)/(a) on SQLite>`.

    .venv/bin/python bench/sizing_estate.py [--apps 1000] [--vms 10000] [--runs 3] [--one-app-runs 40] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PY = sys.executable
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(args) -> dict:
    """Runs in a child process whose environment names the database and the broker."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planner import assess
    from planner.models import Application, RunChunk, SizingRun, Trigger, VmResult
    from planner.services import runs
    from planner.services.facts import load_apps
    from planner.services.sizing import Catalogs, size_and_save

    call_command("migrate", verbosity=0)
    call_command("seed_demo", apps=args.apps, vms=args.vms, seed=1, verbosity=0)
    out: dict = {"vms": VmResult.objects.count()}

    # Engine alone: facts already in memory.
    ids = list(Application.objects.values_list("id", flat=True))
    catalogs = Catalogs.load()
    apps = load_apps(ids)
    n_vms = sum(len(a.protected_vms) for a in apps)
    from django.utils import timezone

    now = timezone.now()
    t = time.perf_counter()
    for app in apps:
        sizing = assess.size(app, catalogs.prices, catalogs.limits)
        assess.assess(
            app, sizing, assess.rule_context(app, sizing, limits=catalogs.limits, now=now)
        )
    engine_s = time.perf_counter() - t
    out["engine_vms_per_s"] = n_vms / engine_s

    # (a) the floor: one process, chunk by chunk.
    floor = []
    for _ in range(args.runs):
        t = time.perf_counter()
        run = runs.run_sync(runs.request_run(trigger=Trigger.CLI, dispatch=False))
        floor.append(time.perf_counter() - t)
        assert run.status == "succeeded", run.status
    out["floor_s"] = floor
    out["sized_vms"] = VmResult.objects.count()

    # (c) queries per chunk.
    chunk = RunChunk.objects.filter(run=run).order_by("index").first()
    with CaptureQueriesContext(connection) as ctx:
        size_and_save(chunk.app_ids)
    out["queries_per_chunk"] = len(ctx.captured_queries)
    out["vms_per_chunk"] = chunk.vm_count

    # (d) one-app runs (what an owner's "size now" and an edit cost): CPU of this process and,
    # when PostgreSQL runs on this host, of its backend; queries and rows read in one of them.
    apps_ids = list(Application.objects.order_by("id").values_list("id", flat=True))
    picked = apps_ids[:: max(1, len(apps_ids) // args.one_app_runs)][: args.one_app_runs]
    here, there = [], []
    for app_id in picked:
        app = Application.objects.get(pk=app_id)
        b, t = backend_cpu(connection), time.process_time()
        one = runs.run_sync(runs.request_run(application=app, dispatch=False))
        here.append(time.process_time() - t)
        there.append(backend_cpu(connection) - b)
        assert one.status == "succeeded", one.status
    with CaptureQueriesContext(connection) as ctx:
        runs.run_sync(runs.request_run(application=app, dispatch=False))
    rows = 0
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            if q["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute(q["sql"])
                rows += len(cursor.fetchall())
    out["one_app"] = {
        "runs": len(picked),
        "cpu_ms": statistics.mean(here) * 1000,
        "db_cpu_ms": statistics.mean(there) * 1000 if connection.vendor == "postgresql" else None,
        "queries": len(ctx.captured_queries),
        "rows": rows,
    }

    # (b) through Celery: two worker processes (one per core).
    workers = []
    env = dict(os.environ)
    for i in range(2):
        log = (BENCH / f"worker-{i}.log").open("w")
        workers.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "-Q",
                    "sizing",
                    "-c",
                    "1",
                    "-n",
                    f"bench{i}@localhost",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        time.sleep(4)  # let both workers connect
        celery = []
        for _ in range(args.runs):
            t = time.perf_counter()
            run = runs.request_run(trigger=Trigger.CLI)
            run = runs.wait_for(run, timeout=900, poll=0.05)
            celery.append(time.perf_counter() - t)
            assert run.status == "succeeded", run.status
        out["celery_s"] = celery
        out["chunks"] = SizingRun.objects.get(pk=run.pk).total_chunks
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(30)
    return out


def backend_cpu(connection) -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (0 when it is not a process
    of this host that /proc shows, or not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def child(db_url: str, redis_url: str, args) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    cmd = [
        PY,
        __file__,
        "--child",
        "--apps",
        str(args.apps),
        "--vms",
        str(args.vms),
        "--runs",
        str(args.runs),
        "--one-app-runs",
        str(args.one_app_runs),
    ]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"measurement on {db_url} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(name: str, m: dict) -> float:
    a = statistics.median(m["floor_s"])
    b = statistics.median(m["celery_s"])
    print(f"{name}: {m['sized_vms']:,} VMs sized")
    print(f"  engine alone            {m['engine_vms_per_s']:>10,.0f} VMs/s")
    print(
        f"  (a) one process         {a:>10.2f} s  (runs: {', '.join(f'{x:.2f}' for x in m['floor_s'])})"
    )
    print(
        f"  (b) through Celery      {b:>10.2f} s  (runs: {', '.join(f'{x:.2f}' for x in m['celery_s'])}; 2 workers, {m['chunks']} chunks)"
    )
    print(
        f"  (c) queries per chunk   {m['queries_per_chunk']:>10}    ({m['vms_per_chunk']} VMs in the chunk)"
    )
    one = m["one_app"]
    db = f" + {one['db_cpu_ms']:.1f} ms PostgreSQL" if one["db_cpu_ms"] is not None else ""
    print(
        f"  (d) one-app run         {one['cpu_ms']:>10.1f} ms CPU{db}  (mean of {one['runs']}; "
        f"{one['queries']} queries, {one['rows']:,} rows read)"
    )
    print(f"  (b)/(a)                 {b / a:>10.2f}")
    return b / a


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one-app-runs", type=int, default=40)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args)))
        return

    shutil.rmtree(BENCH, ignore_errors=True)
    BENCH.mkdir(parents=True)
    redis_port = free_port()
    subprocess.run(
        ["bash", "scripts/redis.sh", "start", str(redis_port), str(BENCH / "redis")],
        cwd=ROOT,
        check=True,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    pg_port = free_port()
    try:
        sqlite = child(f"sqlite:///{BENCH / 'sizing.sqlite3'}", redis_url, args)
        pg = None
        if not args.no_pg:
            subprocess.run(
                ["bash", "scripts/pg.sh", "start", str(pg_port), str(BENCH / "pg")],
                cwd=ROOT,
                check=True,
            )
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(pg_port),
                    "-U",
                    "postgres",
                    "-c",
                    "CREATE DATABASE bench",
                ],
                check=True,
                capture_output=True,
            )
            pg = child(f"postgres://postgres@127.0.0.1:{pg_port}/bench", redis_url, args)
    finally:
        subprocess.run(["bash", "scripts/pg.sh", "stop", str(pg_port), str(BENCH / "pg")], cwd=ROOT)
        subprocess.run(
            ["bash", "scripts/redis.sh", "stop", str(redis_port), str(BENCH / "redis")], cwd=ROOT
        )
    print(f"Sizing {args.vms:,} VMs in {args.apps:,} apps; medians of {args.runs} runs")
    ratio = report("SQLite", sqlite)
    if pg:
        report("PostgreSQL", pg)
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
