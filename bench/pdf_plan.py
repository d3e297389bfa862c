"""Benchmark: the recovery plan PDF of a 200-VM app (WeasyPrint, the locked fetcher).

Prints figures, never pass/fail. On a throwaway SQLite database under var/bench/ it builds an
app of 200 VMs (and one of 1,000), takes a revision, submits and approves it, then measures:
  (a) render time of the plan (snapshot -> context -> HTML -> PDF, its parts in parallel
      processes: planner/reports/parallel.py), pages, peak memory;
  (b) the same plan HTML printed to PDF by headless Chromium (Playwright), with a browser
      already running and with a browser launched for the document;
  (c) linearity: the 1,000-VM plan with its annexes kept in the PDF (as shipped, an app of
      more than 300 VMs gets the VM table as a CSV; that figure is printed too);
  (d) serving the stored signed PDF (read from storage, checked against its SHA-256).
Each render runs in a forked child (fonts already loaded by the parent); its peak memory is the
largest resident set of that child and of the render processes it starts (and, beside it, the
largest PSS of them all together: shared pages counted once). Times are medians; CPU seconds
(user + system of every process) compare on a shared machine.
Goals beside the figures: (a) <= 2.5 x (b) with a browser running, (c) <= 5 x the 200-VM time
and <= 300 MiB, (d) < 50 ms. The line before the last gives the host's speed (bench/common.py
``host_line``); the last line reads `ratio: <(a) / (b), browser running>`;
``--serial`` renders in one piece (PLAN_PDF_PARALLEL off), for the lever's own effect.
``--sweep 10,50,100,200`` also renders plans of those sizes in one process and in parallel
parts (whatever PLAN_PDF_PARALLEL_FROM_VMS says), time and CPU of each: where parts pay.

    .venv/bin/python bench/pdf_plan.py [--vms 200] [--big 1000] [--runs 3] [--serial]
                                       [--no-chromium] [--sweep 10,50,100,200]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from common import host_line  # bench/common.py

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def setup_django() -> None:
    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / "pdf_plan.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(BENCH / "pdf_media", ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["MEDIA_ROOT"] = str(BENCH / "pdf_media")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_app(name: str, n_vms: int, owner):
    """An app of ``n_vms`` VMs (2 disks each, three tiers, dependencies, 3 drills)."""
    from datetime import timedelta

    from django.utils import timezone

    from planner.models import (
        Application,
        BackupPolicy,
        BackupTarget,
        Cloud,
        Disk,
        Drill,
        Product,
        Site,
        Subscription,
        VirtualMachine,
        VmSize,
    )

    site1, _ = Site.objects.get_or_create(name="Frankfurt DC1", country="DE")
    site2, _ = Site.objects.get_or_create(name="Vienna DC2", country="AT")
    src, _ = Cloud.objects.get_or_create(
        name="ASH Frankfurt",
        defaults={
            "kind": "azure_stack_hub",
            "operated_by": "customer",
            "site": site1,
            "nodes": 8,
            "memory_per_node_gib": 768,
            "largest_vm_gib": 112,
        },
    )
    dst, _ = Cloud.objects.get_or_create(
        name="ASH Vienna (CSP)",
        defaults={
            "kind": "azure_stack_hub",
            "operated_by": "csp",
            "site": site2,
            "nodes": 16,
            "memory_per_node_gib": 1536,
            "largest_vm_gib": 112,
        },
    )
    target, _ = BackupTarget.objects.get_or_create(
        name="Vienna backup repository",
        defaults={
            "kind": "dedicated_external",
            "site": site2,
            "capacity_gib": 2_000_000,
            "ingest_mbps": 4000,
            "streams": 16,
            "window_hours": 8,
        },
    )
    policy, _ = BackupPolicy.objects.get_or_create(
        name="Daily 14 + GFS", defaults={"retention_points": 14, "gfs_weekly": 4, "gfs_monthly": 6}
    )
    sub, _ = Subscription.objects.get_or_create(
        cloud=src, subscription_id="00000000-0000-4000-8000-000000000001", defaults={"name": "prod"}
    )
    app = Application.objects.create(
        name=name,
        description=f"Benchmark app of {n_vms} VMs",
        owner=owner,
        tier=1,
        rto_minutes=480,
        rpo_minutes=1440,
        mtpd_minutes=2880,
        scheme="backup_restore",
        source_cloud=src,
        recovery_target=dst,
        backup_target=target,
        policy=policy,
        product=Product.objects.get(name="Veeam Backup & Replication"),
        manual_steps="Re-point DNS to Vienna\nRun the smoke test\nTell the service desk",
    )
    sizes = list(VmSize.objects.order_by("name")[:12])
    roles = ("database", "middleware", "web", "web", "other")
    vms = VirtualMachine.objects.bulk_create(
        VirtualMachine(
            application=app,
            subscription=sub,
            resource_group=f"rg-{name}-{i % 7}",
            name=f"{name}-{roles[i % 5][:3]}-{i:04d}",
            os_type="linux" if i % 4 == 3 else "windows",
            size=sizes[i % len(sizes)],
            role=roles[i % 5],
            opted_in=i % 25 != 24,
            change_rate=0.02 + (i % 9) / 100,
            growth_per_year=0.1,
        )
        for i in range(n_vms)
    )
    Disk.objects.bulk_create(
        Disk(
            vm=vm,
            name=f"disk{d}",
            lun=None if d == 0 else d - 1,
            provisioned_gib=128 if d == 0 else 256 + 64 * (i % 8),
            used_gib=60 if d == 0 else 100 + 17 * (i % 9),
        )
        for i, vm in enumerate(vms)
        for d in range(2)
    )
    through = VirtualMachine.depends_on.through
    db_vms = [v for v in vms if v.role == "database"]
    through.objects.bulk_create(
        through(from_virtualmachine_id=v.id, to_virtualmachine_id=db_vms[i % len(db_vms)].id)
        for i, v in enumerate(vms)
        if v.role == "middleware"
    )
    now = timezone.now()
    Drill.objects.bulk_create(
        Drill(
            application=app,
            started_at=now - timedelta(days=d),
            restored_at=now - timedelta(days=d) + timedelta(minutes=200 + d),
            data_loss_minutes=30,
        )
        for d in (20, 110, 200)
    )
    return app


def signed_revision(app, owner, approver):
    from planner.services import plans

    rev = plans.create_revision(app, owner)
    for code in rev.blocking_codes:  # accepted risks are part of a real plan: print them too
        plans.add_waiver(rev, code, owner, "Accepted for the benchmark: the figures are synthetic.")
    rev = plans.submit_revision(rev, owner)
    return plans.approve_revision(rev, approver, "Signed for the benchmark.")


def tree_pss_mib(pid: int) -> float:
    """Proportional set size of a process and all its descendants, summed (MiB): what they
    hold together, pages they share counted once."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    """User + system CPU of this process and of the children it waited for."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _child(conn, fn, args):
    from django.db import connections

    connections.close_all()
    before = rss_mib("VmRSS")
    cpu = cpu_seconds()
    t = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - t
    # The render processes this child started (planner/reports/parallel.py) count too.
    peak = max(rss_mib("VmHWM"), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    conn.send((result, seconds, peak, rss_mib("VmHWM") - before, cpu_seconds() - cpu))
    conn.close()


def in_child(fn, *args):
    """Run ``fn(*args)`` in a forked child: (result, seconds, peak RSS MiB, growth MiB, CPU s,
    the largest PSS of the child and its render processes together, sampled every 0.1 s)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    together = 0.0
    while not parent.poll(0.1):
        together = max(together, tree_pss_mib(proc.pid))
    out = parent.recv()
    proc.join()
    return (*out, together)


def median_runs(runs: int, fn, *args):
    results = [in_child(fn, *args) for _ in range(runs)]
    times = [r[1] for r in results]
    return (
        results[0][0],
        statistics.median(times),
        max(r[2] for r in results),
        max(r[3] for r in results),
        statistics.median(r[4] for r in results),
        max(r[5] for r in results),
    )


# --- what is measured ----------------------------------------------------------------------------


def render_plan(rev_id: int, annex_over=None) -> tuple[int, int]:
    from planner.models.plans import PlanRevision
    from planner.reports.render import render_revision, render_snapshot, revision_meta

    rev = PlanRevision.objects.select_related("application").get(pk=rev_id)
    if annex_over is None:
        r = render_revision(rev)
    else:
        r = render_snapshot(rev.snapshot, revision_meta(rev), annex_over=annex_over)
    return r.pages, len(r.pdf)


def plan_html(rev_id: int, inline_css: bool = False) -> str:
    from planner.models.plans import PlanRevision
    from planner.reports.render import plan_context, render_html, revision_meta, static_root

    rev = PlanRevision.objects.select_related("application").get(pk=rev_id)
    page = render_html(plan_context(rev.snapshot, revision_meta(rev)))
    if inline_css:
        css = (static_root() / "reports" / "plan.css").read_text()
        page = page.replace(
            '<link rel="stylesheet" href="reports/plan.css">', f"<style>{css}</style>"
        )
    return page


def chromium_pdfs(page_html: str, runs: int) -> tuple[float, float, int]:
    """(median seconds with a running browser, median seconds launching one, pages)."""
    import io

    import pypdf
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

    def one(browser) -> bytes:
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())  # nothing leaves the document
        page.set_content(page_html, wait_until="load")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        page.close()
        return pdf

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        one(browser)  # warm-up
        warm = []
        for _ in range(runs):
            t = time.perf_counter()
            pdf = one(browser)
            warm.append(time.perf_counter() - t)
        browser.close()
        cold = []
        for _ in range(runs):
            t = time.perf_counter()
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            one(b)
            b.close()
            cold.append(time.perf_counter() - t)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return statistics.median(warm), statistics.median(cold), pages


def serve_times(rev_id: int, n: int = 50) -> list[float]:
    from planner.models.plans import PlanRevision
    from planner.services import plans

    times = []
    for _ in range(n):
        t = time.perf_counter()
        rev = PlanRevision.objects.select_related("application").get(pk=rev_id)
        data, _ = plans.revision_pdf(rev)
        times.append((time.perf_counter() - t) * 1000)
        assert data.startswith(b"%PDF")
    return sorted(times)


def sweep(owner, approver, sizes: list[int], runs: int) -> None:
    """Plans of each size rendered in one process and in parallel parts: median time, CPU."""
    from django.conf import settings

    saved = settings.PLAN_PDF_PARALLEL, settings.PLAN_PDF_PARALLEL_FROM_VMS
    for n in sizes:
        rev = signed_revision(build_app(f"sweep{n}", n, owner), owner, approver)
        figures = []
        for parallel in (False, True):
            settings.PLAN_PDF_PARALLEL, settings.PLAN_PDF_PARALLEL_FROM_VMS = parallel, 0
            (pages, _), seconds, _, _, cpu, _ = median_runs(runs, render_plan, rev.pk)
            figures.append((seconds, cpu))
        (one_s, one_cpu), (par_s, par_cpu) = figures
        print(
            f"    {n} VMs ({pages} pages): one process {one_s:.2f} s ({one_cpu:.2f} s of CPU), "
            f"parallel parts {par_s:.2f} s ({par_cpu:.2f} s of CPU): {par_cpu / one_cpu:.2f} x "
            f"the CPU, {one_s - par_s:+.2f} s saved"
        )
    settings.PLAN_PDF_PARALLEL, settings.PLAN_PDF_PARALLEL_FROM_VMS = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--big", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serial", action="store_true", help="render each PDF in one piece")
    parser.add_argument(
        "--no-chromium", action="store_true", help="skip (b): no browser (the quick mode)"
    )
    parser.add_argument(
        "--sweep", default="", help="also plans of these sizes (10,50,...): one process vs parts"
    )
    args = parser.parse_args()

    setup_django()
    if args.serial:
        from django.conf import settings

        settings.PLAN_PDF_PARALLEL = False
    import logging

    logging.getLogger("planner").setLevel(logging.ERROR)  # no broker here: renders run inline
    from django.contrib.auth.models import Group, User

    from planner.reports.render import html_to_pdf
    from planner.services import plans

    owner = User.objects.create_user("bench-owner")
    approver = User.objects.create_user("bench-approver")
    approver.groups.add(Group.objects.get_or_create(name="approvers")[0])

    t = time.perf_counter()
    app = build_app("bench", args.vms, owner)
    rev = signed_revision(app, owner, approver)
    big = signed_revision(build_app("bigbench", args.big, owner), owner, approver)
    print(
        f"setup: apps of {args.vms} and {args.big} VMs sized and signed in {time.perf_counter() - t:.1f} s"
    )
    html_to_pdf("<p>warm-up: fonts and stylesheets loaded once</p>")

    (pages, size), plan_s, plan_peak, plan_grow, plan_cpu, plan_all = median_runs(
        args.runs, render_plan, rev.pk
    )
    print(
        f"(a) plan PDF, {args.vms} VMs: {plan_s:.2f} s ({plan_cpu:.2f} s of CPU, every process), "
        f"{pages} pages, {size / 1024:,.0f} KiB, peak RSS {plan_peak:,.0f} MiB "
        f"(+{plan_grow:,.0f} MiB while rendering; every process together: PSS "
        f"{plan_all:,.0f} MiB)"
    )
    warm = None
    if not args.no_chromium:
        warm, cold, cpages = chromium_pdfs(plan_html(rev.pk, inline_css=True), args.runs)
        print(
            f"(b) Chromium page.pdf(), same HTML: browser running {warm:.2f} s, launched for "
            f"the document {cold:.2f} s, {cpages} pages; plan / Chromium launched = "
            f"{plan_s / cold:.2f}"
        )

    if args.sweep:
        sweep(owner, approver, [int(n) for n in args.sweep.split(",")], args.runs)

    (bpages, _), big_s, big_peak, big_grow, big_cpu, big_all = median_runs(
        args.runs, render_plan, big.pk, 10**9
    )
    (spages, _), ship_s, ship_peak, _, _, _ = median_runs(args.runs, render_plan, big.pk)
    print(
        f"    as shipped, {args.big} VMs (VM table as CSV beside the PDF): {ship_s:.2f} s, "
        f"{spages} pages, peak RSS {ship_peak:,.0f} MiB"
    )

    plans.render_and_store_pdf(rev.pk)
    times = serve_times(rev.pk)
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"(d) stored signed PDF served: median {p50:.1f} ms, p95 {p95:.1f} ms over {len(times)} "
        "reads (goal < 50 ms)"
    )
    print(
        f"(c) plan PDF, {args.big} VMs with its annexes in the PDF: {big_s:.2f} s "
        f"({big_cpu:.2f} s of CPU), {bpages} pages, peak RSS {big_peak:,.0f} MiB "
        f"(+{big_grow:,.0f} MiB; every process together: PSS {big_all:,.0f} MiB) "
        "(goal <= 300 MiB)"
    )
    print(
        f"    {args.big} VMs / {args.vms} VMs = {big_s / plan_s:.2f} x the time for "
        f"{args.big / args.vms:.0f} x the VMs (goal <= 5)"
    )
    print(host_line())
    print(f"ratio: {'n/a (--no-chromium)' if warm is None else f'{plan_s / warm:.2f}'}")


if __name__ == "__main__":
    main()
