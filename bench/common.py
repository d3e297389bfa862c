"""What the benchmarks share: Django configured for a throwaway SQLite database under var/bench/
(production settings, DEBUG off, request logs quiet)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def setup_django(db: Path, **env: str) -> None:
    """Point the settings at ``db`` (and any further variables), then django.setup()."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"sqlite:///{db}",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "testserver",
            "STATIC_MANIFEST": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LOG_LEVEL": "WARNING",
            **env,
        }
    )
    import django

    django.setup()
    logging.getLogger("portal.request").setLevel(logging.WARNING)  # one line per request


def _reference_workload() -> int:
    """Fixed pure-Python work: formatting, dict lookups, calls, small objects, a sort."""
    counts: dict[str, int] = {}
    for i in range(200_000):
        key = f"vm-{i % 997:04d}"
        counts[key] = counts.get(key, 0) + i
    return len(sorted(counts.items(), key=lambda kv: kv[1]))


def host_line(runs: int = 5) -> str:
    """A line saying how fast this host runs Python right now: the median CPU milliseconds of
    the same fixed work. The benchmarks' figures scale with it; on a shared host it moves from
    hour to hour (1.8 times within a day), so figures of two runs compare only beside it."""
    import statistics
    import time

    times = []
    for _ in range(runs):
        began = time.process_time()
        _reference_workload()
        times.append((time.process_time() - began) * 1000)
    return f"host: reference workload {statistics.median(times):.1f} ms of CPU (median of {runs})"
