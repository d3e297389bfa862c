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
