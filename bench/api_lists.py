"""Benchmark: the REST API's VM list against a floor view of the same rows and fields.

Prints figures, never pass/fail. On a throwaway SQLite file under var/bench/ holding the demo
estate of 10,000 VMs in 1,000 apps (``seed_demo --apps 1000 --vms 10000``), it requests with
the Django test Client (the whole middleware stack), authenticated by the operator's token (the
operator sees every row):
  - ``GET /api/v1/vms/`` page 1 and the last page, at the API's default page size (50);
  - a floor: a view doing the least work that answers the same JSON — the count, a bare
    ``.values()`` of the page's VMs, their disks and dependencies in one query each, the URL
    strings formatted in Python, then ``JsonResponse``; page 1 and the last page;
the median of several runs each, with the number of queries and the bytes of one answer.
Throttle counts go to local memory here (Redis in production: one INCR per request).
The last line reads `ratio: <API page 1 / floor page 1>` (the goal is within 3).

    .venv/bin/python bench/api_lists.py [--apps 1000] [--vms 10000] [--runs 15] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from common import BENCH, setup_django  # bench/common.py

DB_NAME = "api_lists.sqlite3"


def setup(db: Path) -> None:
    setup_django(db)
    from django.conf import settings

    settings.CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def floor_view(request):
    """The same JSON as GET /api/v1/vms/ (fields, order, nesting), with nothing in between."""
    from django.http import JsonResponse

    from planner.models import Disk, VirtualMachine
    from portal.api.pagination import PageNumberPagination

    size = min(int(request.GET.get("page_size", 50)), PageNumberPagination.max_page_size)
    page = int(request.GET.get("page", 1))
    vms = VirtualMachine.objects.order_by("application__name", "name", "pk")
    count = vms.count()
    rows = list(
        vms.values(
            "id",
            "application",
            "application__name",
            "subscription",
            "resource_group",
            "name",
            "os_type",
            "size__name",
            "size__vcpu",
            "size__memory_gib",
            "role",
            "scale_set",
            "keep_in_backup",
            "opted_in",
            "no_protection_why",
            "no_protection_by__username",
            "no_protection_at",
            "change_rate",
            "growth_per_year",
            "boot_group",
            "restore_approach",
        )[(page - 1) * size : page * size]
    )
    ids = [r["id"] for r in rows]
    disks: dict[int, list] = {i: [] for i in ids}
    for d in (
        Disk.objects.filter(vm__in=ids)
        .order_by("lun", "name", "pk")
        .values("vm", "id", "name", "lun", "provisioned_gib", "used_gib")
    ):
        disks[d.pop("vm")].append(d)
    depends: dict[int, list] = {i: [] for i in ids}
    through = VirtualMachine.depends_on.through
    for a, b in (
        through.objects.filter(from_virtualmachine__in=ids)
        .order_by("to_virtualmachine")
        .values_list("from_virtualmachine", "to_virtualmachine")
    ):
        depends[a].append(b)
    base = request.build_absolute_uri("/api/v1/vms/")
    results = [
        {
            "id": r["id"],
            "url": f"{base}{r['id']}/",
            "application": r["application"],
            "application_name": r["application__name"],
            "subscription": r["subscription"],
            "resource_group": r["resource_group"],
            "name": r["name"],
            "os_type": r["os_type"],
            "size": r["size__name"],
            "vcpu": r["size__vcpu"],
            "memory_gib": r["size__memory_gib"],
            "role": r["role"],
            "scale_set": r["scale_set"],
            "keep_in_backup": r["keep_in_backup"],
            "opted_in": r["opted_in"],
            "no_protection_why": r["no_protection_why"],
            "no_protection_by": r["no_protection_by__username"],
            "no_protection_at": r["no_protection_at"]
            and r["no_protection_at"].isoformat().replace("+00:00", "Z"),
            "change_rate": r["change_rate"],
            "growth_per_year": r["growth_per_year"],
            "boot_group": r["boot_group"],
            "restore_approach": r["restore_approach"],
            "depends_on": depends[r["id"]],
            "disks": disks[r["id"]],
        }
        for r in rows
    ]
    last = -(-count // size)
    return JsonResponse(
        {
            "count": count,
            "next": f"{base}?page={page + 1}" if page < last else None,
            "previous": f"{base}?page={page - 1}" if page > 1 else None,
            "results": results,
        }
    )


class BenchUrls:
    """The project's URLs plus the floor view (a urlconf object: nothing added to portal/)."""

    def __init__(self):
        from django.urls import path

        from portal import urls

        self.urlpatterns = [path("bench/floor/vms/", floor_view), *urls.urlpatterns]


def timed(fn, runs: int) -> tuple[float, int, int]:
    """Median milliseconds over ``runs`` (after one warm-up), the queries and bytes of one."""
    from django.db import connection

    fn()
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        size = len(fn().content)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), count[0], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help=f"reuse var/bench/{DB_NAME}")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile five API page 1 requests, top 25 by own time",
    )
    args = parser.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    db = BENCH / DB_NAME
    if not args.keep:
        for f in BENCH.glob(f"{DB_NAME}*"):
            f.unlink()
    setup(db)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings
    from rest_framework.authtoken.models import Token

    from planner.models import VirtualMachine

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not VirtualMachine.objects.exists():
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", apps=args.apps, vms=args.vms, seed=1, stdout=quiet)
    total = VirtualMachine.objects.count()
    print(
        f"estate: {total:,} VMs in {args.apps:,} apps, ready in {time.perf_counter() - started:.1f} s"
    )

    operator = get_user_model().objects.get(username="operator")
    token, _ = Token.objects.get_or_create(user=operator)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    per_page = 50
    last = -(-total // per_page)

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return fetch

    api_first, api_last = get("/api/v1/vms/"), get(f"/api/v1/vms/?page={last}")
    floor_first, floor_last = get("/bench/floor/vms/"), get(f"/bench/floor/vms/?page={last}")

    with override_settings(ROOT_URLCONF=BenchUrls()):
        same = api_first().json() == floor_first().json()
        rows = [
            ("API /api/v1/vms/ page 1", api_first),
            (f"API /api/v1/vms/ page {last} (last)", api_last),
            ("floor: .values() + JsonResponse page 1", floor_first),
            (f"floor: .values() + JsonResponse page {last}", floor_last),
        ]
        print(f"page size {per_page} rows; median of {args.runs} runs; same JSON: {same}")
        results = {}
        for label, fn in rows:
            ms, queries, size = timed(fn, args.runs)
            results[label] = ms
            print(f"  {label:<44} {ms:8.1f} ms  {queries:3d} queries  {size / 1024:6.1f} KiB")
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(lambda: [api_first() for _ in range(5)])
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    api, floor = (
        results["API /api/v1/vms/ page 1"],
        results["floor: .values() + JsonResponse page 1"],
    )
    api_l = results[f"API /api/v1/vms/ page {last} (last)"]
    floor_l = results[f"floor: .values() + JsonResponse page {last}"]
    print(f"last page ratio (API / floor): {api_l / floor_l:.2f}")
    print(f"ratio: {api / floor:.2f}")


if __name__ == "__main__":
    main()
