"""Settings for the test suite: production-like (DEBUG off), plain HTTP, fast hashing.

The SQLite test database is a file, not memory, so the Celery worker processes that the
integration tests start see the rows the tests commit.
"""

import os
import socket

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
# Which pytest-xdist worker this is ("" without xdist or outside pytest).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if "REDIS_URL" not in os.environ or os.environ.get("TEST_REDIS_FOR") not in (None, _XDIST_WORKER):
    # The tests' own Redis (tests/conftest.py starts it) on a free loopback port, so test runs
    # side by side never share a broker; worker processes inherit the URL. Each xdist worker
    # picks its own (they inherit the controller's environment, so TEST_REDIS_FOR says whose
    # the inherited URL is); a REDIS_URL given by hand is kept.
    with socket.socket() as _s:
        _s.bind(("127.0.0.1", 0))
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_s.getsockname()[1]}/0"
    os.environ["TEST_REDIS_FOR"] = _XDIST_WORKER
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")

from portal.settings import *  # noqa: E402,F403
from portal.settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test session (worker processes open it by the URL the fixtures pass them);
    # each xdist worker is a process of its own, and pytest-django adds its name (_gw0, _gw1).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
RESIZE_COALESCE_SECONDS = 0
