"""Django settings for Recovery Planner, read from the environment.

Every value has a safe default for a checkout that just runs (SQLite under var/, a project-local
Redis on loopback). Production sets DEBUG=0, SECRET_KEY (or SECRET_KEY_FILE), ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL; `manage.py check --deploy` is then clean (see docs/deploy.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
# `make run` writes the development settings it runs with (DEBUG=1, its REDIS_URL) here, so
# `manage.py` commands typed in the same checkout afterwards run the same way. A variable set in
# the environment always wins, and the file is ignored whenever the environment names a secret
# key (SECRET_KEY or SECRET_KEY_FILE), as production, make prod and the tests do.
DEV_ENV_FILE = VAR_DIR / "dev.env"


def _read_dev_env(path: Path) -> None:
    if os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"):
        return
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


_read_dev_env(DEV_ENV_FILE)


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: use 1/0, true/false, yes/no or on/off")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be an integer") from None


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (systemd credentials, Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=1 for development"
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = [h.strip() for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "django_tables2",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "planner",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.logs.RequestLogMiddleware",
    "portal.views.metrics.RequestMetricsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.views.notifications.unread",
            ],
        },
    },
]
# Widgets' HTML kept by a digest of what it is made of (the catalogue's selects were a quarter
# of the app page's CPU): portal/forms/renderer.py.
FORM_RENDERER = "portal.forms.renderer.CachedWidgetRenderer"

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "DB_PREPARED_STATEMENTS", True
):
    # Parameters sent apart from the SQL (server-side binding), and a statement run a second
    # time on a connection prepared (psycopg keeps the last 100 of each connection): PostgreSQL
    # then stops planning the same query text again, and a page's queries are the same text
    # every time. The app page's own row joins twelve tables, 1.5 to 4 ms of planning each
    # time; PostgreSQL's CPU per page roughly halved (bench/page_cpu.py --pg-port, issue 19).
    # DB_PREPARED_STATEMENTS=0 turns it off, e.g. behind a pooler in transaction mode
    # (PgBouncer before 1.21), which cannot keep a connection's prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=2
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so
    # read-then-write transactions queue up instead of failing with "database is locked"
    # (measured: 3 of 4 concurrent writers failed with DEFERRED, none with IMMEDIATE).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first (Django's recommendation, OWASP's first choice), with OWASP's parameters
# (portal/hashers.py: 25 ms of CPU a sign-in instead of 0.21 s with Django's defaults or 0.6 s
# with PBKDF2's 1,000,000 rounds; a burst of sign-ins no longer starves every page). The
# others still verify older hashes (and any Argon2 hash verifies whatever its parameters),
# which Django re-hashes at the next sign-in.
PASSWORD_HASHERS = [
    "portal.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name
# from one address within LOGIN_LOCKOUT_MINUTES, that pair is refused (429, the lockout page)
# until the same time has passed since the last failure, or an operator deletes the row under
# Admin > Axes > Access attempts. Failures are rows in the database (every web process sees
# them) and each lockout is logged by the "axes" logger. The portal's /login/, the admin's
# login and the API's token endpoint all authenticate through the backend below.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = True
AXES_SENSITIVE_PARAMETERS: list[str] = []  # the log names the user name and address locked out
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "portal.storage.CompressedManifestStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: Django's FILE_UPLOAD_MAX_MEMORY_SIZE is not a cap; views check upload.size against this.
INVENTORY_MAX_UPLOAD_BYTES = envint("INVENTORY_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000  # bulk opt-in posts one field per selected VM

# Security: on by default whenever DEBUG is off; each can be turned off for a plain-HTTP trial.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and images from
# this origin only; no inline script or style anywhere (the portal's CSS and JS are static files,
# the admin's are Django's, the API docs load Swagger UI's from drf-spectacular-sidecar and its
# start-up script from a URL), no eval, no framing. Browsers report a violation to
# /csp-report/, which logs it (portal/views/csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    }
}


def envproxies(name: str) -> int:
    """How many reverse proxies to trust: 0 (none), a count, or yes/true/on for one."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return 0
    if raw in ("true", "yes", "on"):
        return 1
    try:
        count = int(raw)
    except ValueError:
        count = -1
    if not 0 <= count <= 10:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: the number of reverse proxies in front of the web server "
            "(0 for none, 1 for one TLS proxy, at most 10)"
        )
    return count


# Reverse proxies in front of gunicorn (docs/deploy.md). 0: X-Forwarded-* headers are ignored
# and the client is the socket's address. N: the client address is the N-th from the right in
# X-Forwarded-For, for sign-in throttling and the API alike (portal/clientip.py, NUM_PROXIES).
BEHIND_PROXY = envproxies("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /metrics: a scraper sends "Authorization: Bearer <METRICS_TOKEN>"; without it only signed-in
# operators read it (portal/views/metrics.py). Loopback is not trusted (a local TLS proxy).
METRICS_TOKEN = envsecret("METRICS_TOKEN")
# The health probe answers over plain HTTP on loopback (load balancers, `make run`).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Redis: the broker, and the cache DRF throttling counts in (a per-process cache would not add up).
REDIS_URL = envstr("REDIS_URL", "redis://127.0.0.1:6390/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    },
    # The REST API's throttle counts, shared by every web process. When Redis is down the API
    # fails open (portal/api/throttling.py): requests go unthrottled and a warning is logged,
    # never a 500; the short timeouts keep a dead server from slowing requests down.
    "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": envstr("THROTTLE_REDIS_URL", REDIS_URL),
        "KEY_PREFIX": "api-throttle",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}

# Celery: never lose work when a worker dies (RELIABILITY.md): late acks + reject on worker lost
# requeue a chunk whose worker was killed; chunks are idempotent (UNIQUE(run, chunk) + skip if
# done); prefetch 1 keeps queued chunks visible to other workers.
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (a chunk takes seconds, a PDF a minute), short enough that
    # a message held by a SIGKILLed worker comes back within the hour.
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
# What the web processes publish with (portal/wsgi.py, portal/celery.py ``publish_from_web``):
# a publish to a broker that is down fails at once (kombu would try to connect again for
# CELERY_BROKER_CONNECTION_TIMEOUT, 2 s, holding one of the few gunicorn workers), and the run
# or PDF is left to the beat sweep, as when the publish fails. Workers keep the patient options.
WEB_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 2,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB: PDF rendering grows with the document
CELERY_TASK_IGNORE_RESULT = True  # progress and outcomes live in the database (SizingRun)
CELERY_TASK_DEFAULT_QUEUE = "sizing"
CELERY_TASK_ROUTES = {
    "planner.tasks.render_*": {"queue": "reports"},
    "planner.tasks.send_*": {"queue": "reports"},  # notifications (e-mail)
    "planner.tasks.notify_*": {"queue": "reports"},
    "planner.tasks.*": {"queue": "sizing"},
}
CELERY_TASK_PUBLISH_RETRY = False  # the request path never waits on a broker that is down
# Celery's Django fixup closes the database connection before and after every task unless
# this is set, and a new PostgreSQL connection costs a task 7 to 11 ms more of PostgreSQL's CPU
# (a one-app run is two tasks; its statements are prepared only on a kept connection). Workers
# keep their connection as the web does, for DB_CONN_MAX_AGE, health-checked before each task
# reuses it (portal/celery.py).
CELERY_DB_REUSE_MAX = 1_000_000
# A worker running at a lower CPU priority (Nice=10) has its PostgreSQL backend run at the
# same priority when PostgreSQL is on this host and the worker may renice it (portal/celery.py);
# otherwise PostgreSQL serves the workers' queries at the pages' priority.
WORKER_DB_NICE = envbool("WORKER_DB_NICE", True)
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 900
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "dispatch-pending-runs": {
        "task": "planner.tasks.dispatch_pending_runs",
        "schedule": timedelta(seconds=30),
    },
    "nightly-estate-sizing": {
        "task": "planner.tasks.start_nightly_run",
        "schedule": crontab(hour=2, minute=0),
    },
    "render-missing-pdfs": {  # a render lost while Redis was down is queued again
        "task": "planner.tasks.render_missing_pdfs",
        "schedule": timedelta(seconds=envint("PDF_SWEEP_SECONDS", 120)),
    },
    "sync-hubs": {  # inventory from each enabled hub connection (planner.services.hub)
        "task": "planner.tasks.sync_hubs",
        "schedule": timedelta(minutes=envint("HUB_SYNC_MINUTES", 60)),
    },
    "flag-plans-for-review": {  # approved plans older than a year (DESIGN §6)
        "task": "planner.tasks.flag_plans_for_review",
        "schedule": crontab(hour=3, minute=30),
    },
    "send-pending-notifications": {  # e-mail not sent yet: SMTP or the worker was down
        "task": "planner.tasks.send_pending_notifications",
        "schedule": timedelta(seconds=envint("NOTIFY_SWEEP_SECONDS", 60)),
    },
    "notify-due-events": {  # stale plans, reviews due and overdue, drills overdue
        "task": "planner.tasks.notify_due_events",
        "schedule": crontab(minute=15),
    },
}
# A signed PDF downloaded before the reports worker stored it (or a draft's it has not cached:
# the user's render slot, plans._draft_pdf): the download answers "202, try
# again in 5 s" for this long after the change that asked for it, then renders it in the web
# process after all (no reports worker running?). planner.services.plans.revision_pdf.
PDF_RENDER_WAIT_SECONDS = envint("PDF_RENDER_WAIT_SECONDS", 120)
# A plan PDF's parts (the plan, annex A, annex B) rendered in parallel processes and joined
# (planner/reports/parallel.py); off: one process renders the whole document.
PLAN_PDF_PARALLEL = envbool("PLAN_PDF_PARALLEL", True)
# ... from this many VMs in its annexes: a smaller plan renders in one process, where parallel
# parts cost about 1.3 times the CPU for a few tenths of a second (bench/pdf_plan.py --sweep,
# December 2026: 10 VMs 0.80 s of CPU in one process, 1.05 in parts; 50 VMs 1.50 and 2.00 for
# 0.4 s sooner; 100 VMs 2.4 and 3.0 for 0.8 s sooner), and none sooner on a busy reports worker.
# An app whose VM annex is the CSV (more than 300 VMs) lists none: one process.
PLAN_PDF_PARALLEL_FROM_VMS = envint("PLAN_PDF_PARALLEL_FROM_VMS", 100)
# A long annex (more table rows or VM paragraphs than this) is rendered as a chain of chunks of
# this many items, one process after another, each holding its chunk's boxes only (a 1,000-VM
# annex A in one piece: 350 MiB); 0: each annex in one piece.
PLAN_PDF_ITEMS_PER_PART = envint("PLAN_PDF_ITEMS_PER_PART", 250)
# How many of those processes render at once. Two on the two-core machine the product is sized
# for: a third only shares the same cores and holds its boxes meanwhile (bench/pdf_plan.py, quiet:
# the 1,000-VM plan 13.8 s and 325 MiB PSS with three, 12.8 s and 284 MiB with two; 200 VMs 3.5 s
# either way).
PLAN_PDF_PROCESSES = envint("PLAN_PDF_PROCESSES", 2)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Hub syncs: retries of one ARM request (429 after its Retry-After, 5xx, resets) before the sync
# fails and says so on the connection.
HUB_RETRIES = envint("HUB_RETRIES", 5)
# Edits of an app re-size it after this many seconds of quiet (ten quick edits, one run).
RESIZE_COALESCE_SECONDS = envint("RESIZE_COALESCE_SECONDS", 5)
# The beat sweep publishes again a run still pending this long after it was published: a message
# Redis lost (published as it shut down) would leave the run waiting for ever. A duplicate is
# harmless (the first plan_run claims the run), so the only cost of a short wait is duplicate work
# behind a long queue. bench/load.py shortens it to fit its settle time.
RUN_REDISPATCH_SECONDS = envint("RUN_REDISPATCH_SECONDS", 600)
SIZING_CHUNK_VMS = envint("SIZING_CHUNK_VMS", 500)
# Fault-injection tests hold a chunk open this long so they can kill its worker mid-chunk.
SIZING_CHUNK_DELAY_SECONDS = float(envstr("SIZING_CHUNK_DELAY_SECONDS", "0") or 0)

# REST API (portal/api/): signed-in users only, tokens for scripts, Redis-backed throttling.
REST_FRAMEWORK = {
    # Token first: an anonymous script gets 401 with "WWW-Authenticate: Token", not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser answers 500 to JSON nested too deep; this one answers 400.
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Which X-Forwarded-For entry is the client (0: none, the header is ignored).
    "NUM_PROXIES": BEHIND_PROXY,
    # Counted in Redis (the "throttle" cache) so every process adds up; fail open if it is down.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttling.AnonRateThrottle",
        "portal.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("API_THROTTLE_ANON", "60/min"),
        "user": envstr("API_THROTTLE_USER", "6000/min"),
        "token": envstr("API_THROTTLE_TOKEN", "20/min"),  # password attempts per address
    },
}
# API tokens older than this many days are refused and deleted (0: they never expire). A
# password change or a deactivation revokes them at once (portal/accounts.py).
API_TOKEN_TTL_DAYS = envint("API_TOKEN_TTL_DAYS", 0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Recovery Planner API",
    "DESCRIPTION": (
        "Plan, size and sign off the protection of VMs deployed on Azure Stack Hub. "
        "Get a token with POST /api/v1/auth/token/ and send it as 'Authorization: Token <key>'. "
        "Every error is JSON: {detail, code, fields}. Walk-through with curl: docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # the docs before a token
    "COMPONENT_SPLIT_REQUEST": True,  # read-only fields stay out of request bodies
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "planner.models.runs.Severity",
        "RunStatusEnum": "planner.models.runs.RunStatus",
        "PlanStateEnum": "planner.models.plans.PlanState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.add_error_component",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from local static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if envstr("LOG_FORMAT") == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Requests are logged once, by portal.logs.RequestLogMiddleware.
        "django.server": {"level": "WARNING"},
        "portal.request": {"level": envstr("REQUEST_LOG_LEVEL", "INFO")},
        # The Azure SDK logs every request and response at INFO (hub syncs: one per page).
        "azure": {"level": "WARNING"},
    },
}

DEMO_PASSWORD = envsecret("DEMO_PASSWORD", "recovery-demo")

# Notifications (planner.services.notifications): e-mail through the reports worker when
# EMAIL_HOST is set, else shown in the portal (the header's list). Links point at PORTAL_URL.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)  # STARTTLS (port 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # TLS from the start (port 465)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Recovery Planner <recovery-planner@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_URL = envstr("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
# An e-mail that could not be sent is tried again after 1, 2, 4, ... times this, at most an hour.
NOTIFY_RETRY_SECONDS = envint("NOTIFY_RETRY_SECONDS", 60)

# Single sign-on with OpenID Connect (portal/sso.py; docs/deploy.md for Entra ID and AD FS): on
# when OIDC_ISSUER and OIDC_CLIENT_ID are set. Local accounts keep signing in with a password
# (break-glass, the demo). Directory groups map to the portal's roles on every sign-in.
OIDC_ISSUER = envstr("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = envstr("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envsecret("OIDC_CLIENT_SECRET")
OIDC_ENABLED = bool(OIDC_ISSUER and OIDC_RP_CLIENT_ID)
OIDC_PROVIDER_NAME = envstr("OIDC_PROVIDER_NAME", "your organisation's directory")
OIDC_RP_SCOPES = envstr("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = envstr("OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = envbool("OIDC_USE_PKCE", True)
OIDC_USERNAME_CLAIM = envstr("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = envstr("OIDC_GROUPS_CLAIM", "groups")
OIDC_ROLE_GROUPS = {  # portal role -> the directory groups (names or object ids) that grant it
    role: [g.strip() for g in envstr(f"OIDC_{role.upper()}_GROUPS").split(",") if g.strip()]
    for role in ("owners", "approvers", "operators")
}
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# Password sign-in throttled by django-axes' backend first (AUTHENTICATION_BACKENDS above).
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("portal.sso.DirectoryBackend")
