"""Load and faults against the `make prod` stack, on loopback only, bounded in time.

    .venv/bin/python bench/load.py [--users 50] [--approvers 2] [--duration 60]

1. Starts scripts/prod.sh (gunicorn, PostgreSQL, append-only Redis, two separate `sizing`
   worker processes, a `reports` worker, beat) with its own ports and directory (var/load/,
   wiped first), seeded with the demo estate (1,000 apps, 10,000 VMs) and sized once.
2. Gives 50 owners five demo apps each (one with a submitted plan), and 2 approvers.
3. For --duration seconds (users started 5 a second, clicking every 3 s on average, as people
   who read what they open): every owner signs in and browses the dashboard, the app and VM
   lists and app pages, starts sizing runs and downloads plan PDFs through the API; five of
   them import a 500-VM inventory (preview, then commit); the approvers approve plans.
   At a third of the time one sizing worker is killed with SIGKILL (prod.sh restarts it, as
   systemd would; the tasks it held come back once the broker's visibility timeout, shortened
   here to 30 s, has passed); at a half Redis is shut down and started again.
4. Waits (bounded) until every run has finished and every submitted plan has its PDF, then
   sizes the whole estate again on the quiet system and compares: every opted-in VM has
   exactly one result, and no figure or finding differs from the quiet run's.
5. Stops the stack, and prints requests per second, p50/p95/p99 per page, the errors, the
   fault outcomes, the host's speed before and after (bench/common.py ``host_line``: the same
   fixed work's CPU time, to compare runs on a shared host), and on its last line
   `p95_ms: <worst page p95>`.

A figure printer, not a pass/fail test; the exit code is 1 when a check above failed.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests
from common import host_line  # bench/common.py

ROOT = Path(__file__).resolve().parents[1]
STACK = "var/load"
PASSWORD = "load-test-pw"  # throwaway accounts of a throwaway database
ESTATE_CODES = ("CAPACITY_BACKUP_", "CAPACITY_ASH_", "DEPENDENCY_")  # see estate_drift()
PAGES = ("dashboard", "app list", "vm list", "app page", "run page")  # the "pages" of the goal


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=50, help="simulated owners (default 50)")
    p.add_argument("--approvers", type=int, default=2)
    p.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    p.add_argument("--importers", type=int, default=5, help="owners importing 500 VMs")
    p.add_argument("--import-vms", type=int, default=500)
    p.add_argument("--apps", type=int, default=1000)
    p.add_argument("--vms", type=int, default=10_000)
    p.add_argument(
        "--think", type=float, default=3.0, help="mean think time between clicks, s (default 3)"
    )
    p.add_argument(
        "--spawn-rate", type=float, default=5.0, help="users started per second (default 5)"
    )
    p.add_argument("--settle", type=float, default=300, help="max seconds to wait for runs")
    p.add_argument("--no-faults", action="store_true", help="no SIGKILL, no Redis restart")
    p.add_argument("--port", type=int, default=8123)
    p.add_argument("--pg-port", type=int, default=55437)
    p.add_argument("--redis-port", type=int, default=6397)
    return p.parse_args()


# --- the stack ---------------------------------------------------------------------------------


class Stack:
    """scripts/prod.sh with the load test's ports and directory; stopped by stop()."""

    def __init__(self, args):
        self.args = args
        self.dir = ROOT / STACK
        self.base = f"http://127.0.0.1:{args.port}"
        self.env = {
            **os.environ,
            "PORT": str(args.port),
            "PG_PORT": str(args.pg_port),
            "REDIS_PORT": str(args.redis_port),
            "PROD_DIR": STACK,
            "SIZING_WORKERS": "2",
            "SEED_DEMO_ARGS": f"--apps {args.apps} --vms {args.vms}",
            # A killed worker's unacknowledged tasks go back to the queue after this long.
            "CELERY_VISIBILITY_TIMEOUT": "30",
            # A run published just as Redis shut down is lost in the broker: the sweep publishes
            # it again after this long (10 min by default, longer than the settle time).
            "RUN_REDISPATCH_SECONDS": "60",
            # 52 users sign in from one address within seconds.
            "API_THROTTLE_TOKEN": "100000/min",
            "RESIZE_COALESCE_SECONDS": "2",
            "PDF_SWEEP_SECONDS": "20",
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.log = open(self.dir / "prod.out", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            ["bash", "scripts/prod.sh"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"scripts/prod.sh exited early: see {self.dir}/prod.out")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise SystemExit(f"the stack did not answer /healthz in 300 s: see {self.dir}/prod.out")

    def django(self) -> None:
        """Configure this process's Django against the stack's database and Redis."""
        os.environ.update(
            DEBUG="0",
            SECRET_KEY_FILE=str(self.dir / "secret_key"),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{self.args.pg_port}/planner",
            REDIS_URL=f"redis://127.0.0.1:{self.args.redis_port}/0",
            DJANGO_SETTINGS_MODULE="portal.settings",
            CELERY_VISIBILITY_TIMEOUT="30",
        )
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def worker_pid(self, n: int) -> int:
        return int((self.dir / f"sizing{n}.pid").read_text().strip())

    def restart_redis(self) -> float:
        began = time.monotonic()
        port, where = str(self.args.redis_port), str(self.dir / "redis")
        subprocess.run(["scripts/redis.sh", "stop", port, where], cwd=ROOT, check=True)
        time.sleep(2)  # requests meet a dead broker for a while
        subprocess.run(["scripts/redis.sh", "start", port, where], cwd=ROOT, check=True)
        return time.monotonic() - began

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


# --- setup (ORM, in this process) --------------------------------------------------------------


def setup_estate(args) -> dict:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from planner.models import Application, Subscription
    from planner.roles import APPROVERS, OWNERS
    from planner.services import plans

    # Twice: the first run of a fresh estate checks each chunk's capacity against the other
    # chunks' figures as stored (none yet); the second starts from the estate's own figures.
    for _ in range(2):
        call_command("size_estate", "--sync", stdout=io.StringIO())
    owners_group, approvers_group = (
        Group.objects.get(name=OWNERS),
        Group.objects.get(name=APPROVERS),
    )
    apps = list(Application.objects.order_by("pk").values_list("pk", flat=True))
    per_owner = max(1, min(5, len(apps) // max(args.users, 1)))
    owners, approvers = [], []
    for i in range(args.users):
        user = User.objects.create_user(f"load-owner-{i:02d}", password=PASSWORD)
        user.groups.add(owners_group)
        mine = apps[i * per_owner : (i + 1) * per_owner]
        Application.objects.filter(pk__in=mine).update(owner=user)
        owners.append({"username": user.username, "apps": mine, "plan": None, "import_app": None})
    for i in range(args.approvers):
        user = User.objects.create_user(f"load-approver-{i}", password=PASSWORD)
        user.groups.add(approvers_group)
        approvers.append({"username": user.username})
    # One submitted plan per owner, its blocking findings waived: PDFs to download, plans to sign.
    for o in owners:
        user = User.objects.get(username=o["username"])
        rev = plans.create_revision(Application.objects.get(pk=o["apps"][0]), user)
        for code in rev.blocking_codes:
            plans.add_waiver(rev, code, user, "Accepted for the load test's throwaway estate.")
        o["plan"] = plans.submit_revision(rev, user).pk
    # The importers' empty apps, in the source cloud of their first app.
    for o in owners[: args.importers]:
        first = Application.objects.get(pk=o["apps"][0])
        sub = Subscription.objects.filter(cloud=first.source_cloud).first()
        app = Application.objects.create(
            name=f"{o['username']}-imported",
            owner=first.owner,
            source_cloud=first.source_cloud,
            recovery_target=first.recovery_target,
            rto_minutes=first.rto_minutes,
            rpo_minutes=first.rpo_minutes,
            scheme=first.scheme,
            backup_target=first.backup_target,
            policy=first.policy,
            product=first.product,
        )
        o["import_app"], o["subscription"] = app.pk, sub.pk
    return {"owners": owners, "approvers": approvers}


def inventory_csv(owner: str, n: int) -> bytes:
    rows = ["name,resource_group,os_type,vm_size,os_disk_gib,data_disks_gib,role"]
    for i in range(n):
        os_type = "linux" if i % 3 == 0 else "windows"
        rows.append(
            f"{owner}-vm-{i:03d},rg-{owner},{os_type},Standard_D2_v2,127,{64 + i % 7 * 64},web"
        )
    return ("\n".join(rows) + "\n").encode()


# --- the load -----------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.timeline: list[tuple[float, str, float]] = []  # (when, label, ms)
        self.errors: Counter = Counter()
        self.pending: Counter = Counter()  # 202 "not stored yet, ask again"
        self.error_examples: dict[str, str] = {}
        self.users_cpu = 0.0  # CPU seconds of the simulated people's threads

    def call(self, label: str, session, method: str, url: str, expect=(200,), **kw):
        began = time.perf_counter()
        try:
            r = session.request(method, url, timeout=60, **kw)
            status, body = r.status_code, r
        except requests.RequestException as exc:
            status, body = 0, exc
        ms = (time.perf_counter() - began) * 1000
        with self.lock:
            self.samples[label].append(ms)
            self.timeline.append((time.monotonic(), label, ms))
            if status not in expect:
                self.errors[label] += 1
                text = body.text[:300] if hasattr(body, "text") else str(body)
                self.error_examples.setdefault(label, f"{status}: {text}")
        return body if status in expect else None


def sign_in(
    base: str, username: str, rec: Recorder, token: bool = False
) -> tuple[requests.Session, requests.Session]:
    """Sign in to the portal once, as a person does (each password check is an Argon2id hash,
    portal/hashers.py). The API is called with that session and its CSRF token, as the
    portal's own pages would, or, for the scripts (``token``), with an API token."""
    s = requests.Session()
    s.get(base + "/login/", timeout=30)
    rec.call(
        "sign in",
        s,
        "POST",
        base + "/login/",
        expect=(302,),
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": s.cookies.get("csrftoken", ""),
        },
        allow_redirects=False,
    )
    if not token:
        s.headers["X-CSRFToken"] = s.cookies.get("csrftoken", "")  # rotated by the sign-in
        return s, s
    api = requests.Session()
    r = rec.call(
        "api token",
        api,
        "POST",
        base + "/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
    )
    api.headers["Authorization"] = f"Token {r.json()['token'] if r is not None else ''}"
    return s, api


def owner_loop(base, owner, rec, stop_at, think, import_vms, run_ids, start_at):
    rng = random.Random(owner["username"])
    time.sleep(max(0.0, start_at - time.monotonic()))
    s, api = sign_in(base, owner["username"], rec, token=bool(owner["import_app"]))
    # Within the first 20 s, or the first half of a shorter run (an import that never started
    # would fail the "imports incomplete" check).
    latest = min(20.0, max(2.0, (stop_at - time.monotonic()) / 2))
    import_at = time.monotonic() + rng.uniform(2, latest) if owner["import_app"] else None
    actions = ["dashboard"] * 3 + ["apps"] * 2 + ["vms"] * 2 + ["app"] * 4 + ["run", "pdf"]
    while time.monotonic() < stop_at:
        if import_at and time.monotonic() >= import_at:
            import_at = None
            data = inventory_csv(owner["username"], import_vms)
            form = {
                "application": owner["import_app"],
                "subscription": owner["subscription"],
                "opt_in": "true",
            }
            for step in ("preview", "commit"):
                r = rec.call(
                    f"import {import_vms} VMs ({step})",
                    api,
                    "POST",
                    f"{base}/api/v1/inventory/{step}/",
                    data=form,
                    files={"file": ("inventory.csv", data, "text/csv")},
                )
                if step == "commit" and r is not None and r.json().get("run"):
                    run_ids.add(int(r.json()["run"].rstrip("/").rsplit("/", 1)[1]))
            continue
        action = rng.choice(actions)
        app = rng.choice(owner["apps"])
        if action == "dashboard":
            rec.call("dashboard", s, "GET", base + "/")
        elif action == "apps":
            rec.call("app list", s, "GET", base + "/apps/")
        elif action == "vms":
            rec.call(
                "vm list", s, "GET", f"{base}/vms/?page={rng.randint(1, 2)}", expect=(200, 404)
            )
        elif action == "app":
            rec.call("app page", s, "GET", f"{base}/apps/{app}/")
        elif action == "run":
            r = rec.call(
                "start run (api)",
                api,
                "POST",
                base + "/api/v1/runs/",
                expect=(202,),
                json={"application": app},
            )
            if r is not None:
                run_ids.add(r.json()["id"])
                rec.call("run page", s, "GET", f"{base}/runs/{r.json()['id']}/")
        elif action == "pdf":
            # 202 "being rendered, ask again in 5 s" while the reports worker renders a just
            # approved plan's signed PDF: not an error, and not a page (it is counted apart).
            url = f"{base}/api/v1/plans/{owner['plan']}/pdf/"
            r = rec.call("plan pdf (api)", api, "GET", url, expect=(200, 202))
            if r is not None and r.status_code == 202:
                with rec.lock:
                    rec.pending["plan pdf (api)"] += 1
            elif r is not None and not r.content.startswith(b"%PDF"):
                with rec.lock:
                    rec.errors["plan pdf (api)"] += 1
        time.sleep(rng.expovariate(1 / think))
    with rec.lock:
        rec.users_cpu += time.thread_time()


def approver_loop(base, approver, rec, stop_at, think, approved, start_at):
    rng = random.Random(approver["username"])
    time.sleep(max(0.0, start_at - time.monotonic()))
    _, api = sign_in(base, approver["username"], rec)
    while time.monotonic() < stop_at:
        r = rec.call("submitted plans (api)", api, "GET", base + "/api/v1/plans/?state=submitted")
        for plan in (r.json().get("results", []) if r is not None else [])[:1]:
            # Two approvers race for the same plan: one wins, the other is told it is decided.
            r = rec.call(
                "approve (api)",
                api,
                "POST",
                f"{base}/api/v1/plans/{plan['id']}/approve/",
                expect=(200, 400, 409),
                json={"comment": "Signed during the load test."},
            )
            if r is not None and r.status_code == 200:
                approved.add(plan["id"])
        time.sleep(rng.expovariate(1 / (think * 2)))
    with rec.lock:
        rec.users_cpu += time.thread_time()


def faults(stack, args, began, log):
    if args.no_faults:
        return
    time.sleep(max(0.0, began + args.duration / 3 - time.monotonic()))
    pid = stack.worker_pid(1)
    os.kill(pid, signal.SIGKILL)
    log.append(f"t={time.monotonic() - began:5.1f}s SIGKILL sizing worker 1 (pid {pid})")
    time.sleep(max(0.0, began + args.duration / 2 - time.monotonic()))
    took = stack.restart_redis()
    log.append(f"t={time.monotonic() - began:5.1f}s Redis shut down and restarted ({took:.1f} s)")


# --- checks -------------------------------------------------------------------------------------


def settle(run_ids: set[int], limit: float) -> tuple[Counter, float]:
    from planner.models import PlanRevision, PlanState, RunStatus, SizingRun

    began = time.monotonic()
    while True:
        statuses = Counter(
            SizingRun.objects.filter(pk__in=run_ids).values_list("status", flat=True)
        )
        open_runs = statuses[RunStatus.PENDING] + statuses[RunStatus.RUNNING]
        pdfs_missing = (
            PlanRevision.objects.exclude(state=PlanState.DRAFT).filter(pdf_sha256="").count()
        )
        if (not open_runs and not pdfs_missing) or time.monotonic() - began > limit:
            statuses["pdfs missing"] = pdfs_missing
            return statuses, time.monotonic() - began
        time.sleep(2)


def snapshot() -> dict:
    from planner.models import AppResult, Finding, VirtualMachine, VmResult

    def r(x):
        return None if x is None else round(x, 6)

    vm_fields = (
        "backup_gib",
        "replica_gib",
        "bandwidth_mbps",
        "standby_memory_gib",
        "monthly_cost",
        "boot_group",
    )
    app_fields = (
        "vm_count",
        "protected_vm_count",
        "backup_gib",
        "replica_gib",
        "monthly_cost",
        "recommended_scheme",
    )
    return {
        "opted_in": set(VirtualMachine.objects.filter(opted_in=True).values_list("pk", flat=True)),
        "vm_rows": Counter(VmResult.objects.values_list("vm_id", flat=True)),
        "vm": {
            row[0]: tuple(r(v) if isinstance(v, float) else v for v in row[1:])
            for row in VmResult.objects.values_list("vm_id", *vm_fields)
        },
        "app": {  # figures only: the finding counts follow the findings, compared below
            row[0]: tuple(r(v) if isinstance(v, float) else v for v in row[1:])
            for row in AppResult.objects.values_list("application_id", *app_fields)
        },
        "findings": Counter(Finding.objects.values_list("application_id", "code", "severity")),
    }


def compare(loaded: dict, quiet: dict) -> list[str]:
    out = []
    missing = quiet["opted_in"] - set(loaded["vm_rows"])
    if missing:
        out.append(f"{len(missing)} opted-in VMs had no result after the load (lost)")
    dup = [vm for vm, n in loaded["vm_rows"].items() if n > 1]
    if dup:
        out.append(f"{len(dup)} VMs had more than one result row (duplicated)")
    differ = [vm for vm, row in quiet["vm"].items() if loaded["vm"].get(vm) != row]
    if differ:
        out.append(f"{len(differ)} VM results differ from the quiet run (e.g. VM {differ[0]})")
    differ = [a for a, row in quiet["app"].items() if loaded["app"].get(a) != row]
    if differ:
        out.append(f"{len(differ)} app results differ from the quiet run (e.g. app {differ[0]})")
    extra = loaded["findings"] - quiet["findings"]
    lost = quiet["findings"] - loaded["findings"]
    local = [k for k in (extra + lost).elements() if not k[1].startswith(ESTATE_CODES)]
    if local:
        out.append(f"{len(local)} findings of an app's own differ from the quiet run: {local[:5]}")
    return out


def estate_drift(loaded: dict, quiet: dict) -> str:
    """Estate-wide findings (a target's capacity, another app's plan) are checked against the
    other apps' figures as stored when an app was last sized: an import during the load fills
    a target, and the apps already sized on it learn so at their next run (the nightly one)."""
    extra = loaded["findings"] - quiet["findings"]
    lost = quiet["findings"] - loaded["findings"]
    codes = Counter(k[1] for k in (extra + lost).elements())
    apps = {k[0] for k in (extra + lost).elements()}
    return (
        f"{sum(lost.values())} estate-wide findings not yet raised and {sum(extra.values())} "
        f"no longer true on {len(apps)} apps not re-sized since the estate changed "
        f"({dict(codes.most_common(4))})"
    )


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]


# --- CPU per process class ----------------------------------------------------------------------

CLASSES = (  # in the order printed
    "gunicorn",
    "postgres",
    "sizing workers",
    "reports worker",
    "beat",
    "redis",
    "load generator",
    "other (prod.sh, psql)",
    "sampling /proc",
)
WORKERS = ("gunicorn", "sizing workers", "reports worker", "beat")


class CpuSampler:
    """CPU seconds of the stack's processes by class, from /proc/<pid>/stat sampled every
    second: each process's own utime + stime, plus what its exited children used that was not
    seen in their own samples (cutime + cstime, which the parent collects when it waits for
    them: the plan PDF's part processes, a killed worker, the last second of a recycled pool
    child or a closed connection's backend), counted to the parent's class.

    The stack's processes are prod.sh's session (gunicorn, the Celery workers and their pool
    children, beat), the PostgreSQL postmaster of the stack's cluster and its children
    (backends, WAL writer, checkpointer, autovacuum), Redis on the stack's port, and this
    process (the simulated users' threads, and its own ORM queries)."""

    def __init__(self, stack):
        self.stack = stack
        self.tick = os.sysconf("SC_CLK_TCK")
        # pid -> [class, ppid, own CPU s, children's CPU s] when first seen, and when last seen
        self.first: dict[int, list] = {}
        self.last: dict[int, list] = {}
        self.alive: set[int] = set()
        self.collected: Counter = Counter()  # by class: see sample()
        self.own_cpu = 0.0  # the sampling's, in this process: taken off the load generator's
        self.cmd: dict[int, str] = {}
        self.started = False  # after the first sample, a new process's CPU all counts
        self.machine = self._machine()
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def _stat(self, pid: int) -> tuple[int, int, float, float] | None:
        """(ppid, session id, own CPU s, waited-for children's CPU s), or None when gone."""
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        f = raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
        own = (int(f[11]) + int(f[12])) / self.tick  # utime, stime
        return int(f[1]), int(f[3]), own, (int(f[13]) + int(f[14])) / self.tick

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
        tick = os.sysconf("SC_CLK_TCK")
        return (sum(f) - f[3] - f[4]) / tick, sum(f) / tick

    def machine_busy(self) -> tuple[float, float]:
        """CPU seconds the whole machine (everything on it) was busy since start, of all."""
        now = self._machine()
        return now[0] - self.machine[0], now[1] - self.machine[1]

    def write_processes(self, path: Path) -> None:
        """Each process's CPU seconds since start(), largest first (which ones make a class)."""
        with self.lock:
            rows = sorted(
                (
                    (v[2] - self.first[pid][2] + v[3] - self.first[pid][3], pid, v[0])
                    for pid, v in self.last.items()
                ),
                reverse=True,
            )
        lines = [
            "# CPU s since the first sample: a process's own plus the exited children it collected"
            " (pool children, backends); the classes' totals count each process once."
        ]
        lines += [
            f"{cpu:8.2f} s  {pid:>7}  {cls:<22} {self.cmd.get(pid, '?')}" for cpu, pid, cls in rows
        ]
        path.write_text("\n".join(lines) + "\n")

    def _postmaster(self) -> int | None:
        where = self.stack.dir / "pg"
        if (where / "location").exists():
            where = Path((where / "location").read_text().strip())
        try:
            return int((where / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _redis(self) -> int | None:
        try:
            return int((self.stack.dir / "redis" / "redis.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _classify(self, pid: int, ppid: int, sid: int, postmaster, redis) -> str | None:
        if pid == os.getpid():
            return "load generator"
        if postmaster and postmaster in (pid, ppid):
            return "postgres"
        if pid == redis:
            return "redis"
        if not self.stack.proc or sid != self.stack.proc.pid:
            return None
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return None
        if "gunicorn" in cmd:
            return "gunicorn"
        if "celery" in cmd and " beat" in cmd:
            return "beat"
        if "celery" in cmd and "-Q sizing" in cmd:
            return "sizing workers"
        if "celery" in cmd and "-Q reports" in cmd:
            return "reports worker"
        if ppid in self.last:  # a worker's helper process (a PDF part): its parent's class
            return self.last[ppid][0]
        return "other (prod.sh, psql)"

    def sample(self) -> None:
        began = time.thread_time()
        postmaster, redis = self._postmaster(), self._redis()
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (st := self._stat(int(entry.name))) is not None:
                stats[int(entry.name)] = st
        seen: dict[int, list] = {}

        def classify(pid: int) -> str | None:
            if pid in seen:
                return seen[pid][0]
            st = stats[pid]
            known = self.last.get(pid)
            if known and known[2] <= st[2]:  # the same process (CPU never goes down)
                cls = known[0]
            else:
                cls = self._classify(pid, st[0], st[1], postmaster, redis)
                if cls == "other (prod.sh, psql)" and st[0] in stats and st[0] != pid:
                    # A helper process (a PDF part) started with its parent: the parent's class.
                    parent = classify(st[0])
                    cls = parent if parent in WORKERS else cls
            if cls:
                seen[pid] = [cls, st[0], st[2], st[3]]
                if pid not in self.cmd or not known:
                    try:
                        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                        self.cmd[pid] = raw.replace(b"\0", b" ").decode(errors="replace")[:100]
                    except OSError:
                        self.cmd[pid] = "?"
            return cls

        with self.lock:
            for pid in stats:
                classify(pid)
            # A child seen before and gone now was collected by its parent: when the parent is
            # still here, its children's CPU now holds all the child used, of which the part in
            # the child's own samples is counted on its own.
            for pid in self.alive - set(seen):
                _, ppid, own, children = self.last[pid]
                if ppid in seen and ppid in self.last:
                    self.collected[self.last[ppid][0]] += own + children
            for pid, v in seen.items():
                old = self.last.get(pid)
                if pid not in self.first or (old and old[2] > v[2]):  # new, or a reused pid
                    # Started after the first sample: all of its CPU is the load's.
                    self.first[pid] = [v[0], v[1], 0.0, 0.0] if self.started else list(v)
                self.last[pid] = v
            self.alive = set(seen)
            self.started = True
            self.own_cpu += time.thread_time() - began

    def start(self) -> None:
        self.sample()

        def run():
            while not self.stop_event.wait(1.0):
                self.sample()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def totals(self, stop: bool = False) -> Counter:
        """CPU seconds by class since start() (sampled now); ``stop`` ends the sampling."""
        if stop:
            self.stop_event.set()
            if self.thread:
                self.thread.join()
        self.sample()
        out: Counter = Counter()
        with self.lock:
            for pid, (cls, _, own, children) in self.last.items():
                out[cls] += own - self.first[pid][2] + children - self.first[pid][3]
            out.subtract(self.collected)
            out["load generator"] -= self.own_cpu
            out["sampling /proc"] = self.own_cpu
        return out


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    stack = Stack(args)
    print(f"load: {host_line()}, before the stack starts")
    t0 = time.monotonic()
    print(f"load: starting scripts/prod.sh under {STACK}/ on 127.0.0.1:{args.port} ...", flush=True)
    problems: list[str] = []
    try:
        stack.start()
        print(f"load: stack up in {time.monotonic() - t0:.0f} s; setting up owners and plans")
        stack.django()
        people = setup_estate(args)
        # Start from a quiet system: the reports worker renders the 50 submitted plans first.
        _, quiet_in = settle(set(), args.settle)
        print(f"load: setup's plan PDFs rendered in {quiet_in:.0f} s; starting the users")
        from django.db import connections

        connections.close_all()
        rec, run_ids, approved, fault_log = Recorder(), set(), set(), []
        cpu = CpuSampler(stack)
        cpu.start()
        began = time.monotonic()
        stop_at = began + args.duration

        # Users start at --spawn-rate a second (as Locust spawns them), approvers first.
        def start(i):
            return began + i / args.spawn_rate

        threads = [
            threading.Thread(
                target=approver_loop,
                args=(stack.base, a, rec, stop_at, args.think, approved, start(i)),
            )
            for i, a in enumerate(people["approvers"])
        ] + [
            threading.Thread(
                target=owner_loop,
                args=(
                    stack.base,
                    o,
                    rec,
                    stop_at,
                    args.think,
                    args.import_vms,
                    run_ids,
                    start(i + len(people["approvers"])),
                ),
            )
            for i, o in enumerate(people["owners"])
        ]
        threads.append(threading.Thread(target=faults, args=(stack, args, began, fault_log)))
        print(
            f"load: {args.users} owners and {args.approvers} approvers for {args.duration:.0f} s "
            f"(started at {args.spawn_rate:g}/s, think time {args.think:g} s on average)",
            flush=True,
        )
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
        cpu_load = cpu.totals()
        busy_load = cpu.machine_busy()

        statuses, waited = settle(run_ids, args.settle)
        cpu_settled = cpu.totals(stop=True)
        cpu.write_processes(stack.dir / "cpu-by-process.txt")
        from planner.models import RunStatus, VirtualMachine

        imported = {
            o["username"]: VirtualMachine.objects.filter(application_id=o["import_app"]).count()
            for o in people["owners"]
            if o["import_app"]
        }
        loaded = snapshot()
        from django.core.management import call_command

        call_command("size_estate", "--sync", stdout=io.StringIO())
        quiet = snapshot()
        problems = compare(loaded, quiet)
        unfinished = statuses[RunStatus.PENDING] + statuses[RunStatus.RUNNING]
        if unfinished:
            problems.append(f"{unfinished} runs had not finished {waited:.0f} s after the load")
        if statuses[RunStatus.FAILED] or statuses[RunStatus.PARTIAL]:
            problems.append(
                f"{statuses[RunStatus.FAILED]} runs failed, {statuses[RunStatus.PARTIAL]} partly"
            )
        if statuses["pdfs missing"]:
            problems.append(f"{statuses['pdfs missing']} submitted plans have no stored PDF")
        short = {u: n for u, n in imported.items() if n != args.import_vms}
        if short:
            problems.append(f"imports incomplete: {short}")
        if sum(rec.errors.values()):
            problems.append(f"{sum(rec.errors.values())} requests failed")
    finally:
        print("load: stopping the stack ...", flush=True)
        stack.stop()

    total = sum(len(v) for v in rec.samples.values())
    print()
    print(f"{'page':<28}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label in sorted(rec.samples):
        xs = rec.samples[label]
        print(
            f"{label:<28}{len(xs):>7}{statistics.median(xs):>9.0f}{percentile(xs, 95):>9.0f}"
            f"{percentile(xs, 99):>9.0f}{rec.errors[label]:>8}"
        )
    print(f"\nrequests: {total} in {elapsed:.1f} s = {total / elapsed:.1f} req/s")
    print(f"errors: {sum(rec.errors.values())}")
    for label, n in rec.pending.items():
        print(f"  {label}: {n} answered 202 (PDF not stored yet, ask again in 5 s)")
    for label, example in rec.error_examples.items():
        print(f"  {label}: " + re.sub(r"\s+", " ", example)[:200])
    print("faults:")
    for line in fault_log or ["  (none: --no-faults)"]:
        print(f"  {line}")
    print(
        f"runs started during the load: {len(run_ids)}; after it: "
        f"{ {k: v for k, v in statuses.items() if v} }; settled in {waited:.0f} s"
    )
    print(f"plans approved: {len(approved)}; imports: {imported}")
    print(
        f"results after the load vs a quiet re-run: {len(quiet['opted_in'])} opted-in VMs, "
        f"{len(quiet['app'])} apps, {sum(quiet['findings'].values())} findings"
    )
    print(f"estate-wide findings vs the quiet run: {estate_drift(loaded, quiet)}")
    print("checks: " + ("all held" if not problems else "FAILED"))
    for p in problems:
        print(f"  - {p}")
    print("pages' p95 by phase (all pages together):")
    kill_at = began + args.duration / 3
    for name, lo, hi in (
        ("users starting", began, began + args.users / args.spawn_rate),
        ("steady, before the faults", began + args.users / args.spawn_rate, kill_at),
        ("faults and recovery", kill_at, began + args.duration / 2 + 15),
        ("after", began + args.duration / 2 + 15, float("inf")),
    ):
        xs = [ms for t, label, ms in rec.timeline if label in PAGES and lo <= t < hi]
        if xs:
            print(
                f"  {name:<28}{len(xs):>6} pages  p50 {statistics.median(xs):>6.0f} ms  "
                f"p95 {percentile(xs, 95):>6.0f} ms"
            )
    print(
        f"CPU seconds by process class (/proc utime+stime), during the load and until its runs "
        f"and PDFs had finished; ms of CPU per request ({total} requests):"
    )
    print(f"  {'class':<24}{'load s':>9}{'+settle s':>11}{'ms/req':>9}{'ms/req+settle':>15}")
    for cls in CLASSES:
        a, b = cpu_load[cls], cpu_settled[cls]
        print(f"  {cls:<24}{a:>9.1f}{b:>11.1f}{a / total * 1000:>9.1f}{b / total * 1000:>15.1f}")
    print(
        f"  (of the load generator's, the simulated people's threads: {rec.users_cpu:.1f} s, "
        f"{rec.users_cpu / total * 1000:.1f} ms/req)"
    )
    a, b = sum(cpu_load.values()), sum(cpu_settled.values())
    print(f"  {'all':<24}{a:>9.1f}{b:>11.1f}{a / total * 1000:>9.1f}{b / total * 1000:>15.1f}")
    print(
        f"  machine during the load: {busy_load[1]:.0f} CPU s, {busy_load[0]:.0f} busy "
        f"({busy_load[0] / busy_load[1]:.0%}), {a:.0f} of them the stack's and this process's "
        f"(per process: {STACK}/cpu-by-process.txt)"
    )
    worst = max(percentile(rec.samples[p], 95) for p in PAGES if rec.samples.get(p))
    print(f"{host_line()}, the stack stopped")
    print(f"p95_ms: {worst:.0f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
