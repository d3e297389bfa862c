"""gunicorn's settings file, read by scripts/prod.sh and deploy/systemd (``-c deploy/gunicorn.conf.py``).

The command line sets the bind address, the workers (WEB_WORKERS) and the timeouts; this file
adds what a command line cannot: the garbage collector of each worker tuned for serving pages.

A worker holds a few hundred thousand long-lived objects (Django, the URLconf, the models'
metadata, compiled templates), and Python's collector walks all of them at every full
collection, while a page is built. ``gc.freeze()`` moves them to a generation the collector
never walks again (they are not garbage: they live as long as the process), and a larger
first-generation threshold makes young collections rarer. Measured in-process by
``bench/page_cpu.py --gc-freeze --gc-stats`` (issue 19): the collector's CPU per page went
from about 1.1-1.2 ms to 0.2-0.4 ms on the dashboard and the app page.
"""

from __future__ import annotations

import gc

# Young collections every 10,000 net allocations instead of 700: a page allocates tens of
# thousands of objects that its own end frees by reference counting; the older generations keep
# Python's default ratios (10, 10).
GC_THRESHOLDS = (10_000, 10, 10)
# Freeze again once a worker has served this many requests: by then its pages' templates are
# compiled and its caches filled (long-lived objects made after start-up).
REFREEZE_AFTER = 200


def tune_gc() -> None:
    """Collect once, freeze what survives, and set the thresholds (also bench/page_cpu.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def post_worker_init(worker) -> None:
    """After the worker has loaded the app: import the URLconf (and so every view, table and
    form), then freeze."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
    tune_gc()
    worker.log.info("gc: %d objects frozen, thresholds %s", gc.get_freeze_count(), GC_THRESHOLDS)


def post_request(worker, req, environ, resp) -> None:
    if getattr(worker, "nr", 0) == REFREEZE_AFTER:
        tune_gc()
        worker.log.info("gc: %d objects frozen after %d requests", gc.get_freeze_count(), worker.nr)
