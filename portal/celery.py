"""The Celery app. Settings come from Django's (namespace CELERY_); tasks live in planner.tasks.

A worker started at a lower CPU priority (``nice -n 10``: scripts/prod.sh, ``Nice=10`` in
deploy/systemd) gives the cores to pages first; its queries, though, are computed by its
PostgreSQL backend, a process of its own at PostgreSQL's priority. With ``WORKER_DB_NICE`` on,
each database connection a worker opens gets its backend reniced to the worker's level
(``renice_db_backend``), when that backend is a process of this host the worker may renice
(PostgreSQL local and run by the same user, or the worker running as root); otherwise nothing
changes. The backend goes with the connection, so nothing outlives the worker.

Connections: Celery's Django fixup would close the database connection around every task; with
``CELERY_DB_REUSE_MAX`` set it leaves them to Django's rules, applied here as the web applies
them to requests: before and after each task ``close_old_connections()`` closes a connection
older than ``DB_CONN_MAX_AGE`` (0: every task gets a new one, as before) or one that failed,
and a kept connection is health-checked (``CONN_HEALTH_CHECKS``) before a task reuses it, so a
PostgreSQL restart costs a reconnect, not a task.
"""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("recovery_planner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)

LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")


def publish_from_web() -> dict:
    """Make this process publish as a web process: ``WEB_BROKER_TRANSPORT_OPTIONS`` over the
    broker's transport options, before its first publish opens the connection pool. A page that
    starts a run while Redis restarts answers at once (the run waits for the sweep) instead of
    holding a gunicorn worker while kombu tries to connect for 2 s; during the load test's
    Redis restart every worker was held that way and every page queued behind them
    (bench/load.py: ``start run`` p99 2.1 s). Returns the options now in force."""
    from django.conf import settings

    options = {
        **app.conf.broker_transport_options,
        **getattr(settings, "WEB_BROKER_TRANSPORT_OPTIONS", {}),
    }
    app.conf.broker_transport_options = options
    return options


def renice_db_backend(connection) -> str:
    """Renice ``connection``'s PostgreSQL backend to this process's nice level; what was done or
    why not, for the log. Never raises: the worker works the same either way."""
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
    except OSError as exc:
        return f"skipped: {exc}"
    if mine <= 0:
        return "skipped: this process runs at normal priority"
    if connection.vendor != "postgresql":
        return f"skipped: {connection.vendor} runs in this process"
    host = str(connection.settings_dict.get("HOST") or "")
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        return f"skipped: PostgreSQL on {host}"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        # The pid is PostgreSQL's: in a container it may name another process of this host.
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if not f.read().startswith(b"postgres"):
                return f"skipped: process {pid} is not this connection's backend"
        if os.getpriority(os.PRIO_PROCESS, pid) >= mine:
            return f"backend {pid} already at nice {os.getpriority(os.PRIO_PROCESS, pid)}"
        os.setpriority(os.PRIO_PROCESS, pid, mine)
    except Exception as exc:  # another user's process (EPERM), no /proc, a broken connection
        return f"skipped: {exc.__class__.__name__}: {exc}"
    return f"backend {pid} reniced to {mine}"


def _on_connection(sender, connection, **kwargs) -> None:
    log.info("database connection: %s", renice_db_backend(connection))


@worker_init.connect
def _worker_init(**kwargs) -> None:
    from django.conf import settings
    from django.db import connections
    from django.db.backends.signals import connection_created

    for connection in connections.all():
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    # Pool processes fork from this one and inherit the handlers.
    task_prerun.connect(_close_old_connections, dispatch_uid="worker-close-old-connections")
    task_postrun.connect(_close_old_connections, dispatch_uid="worker-close-old-connections-post")
    if settings.WORKER_DB_NICE:
        connection_created.connect(_on_connection, dispatch_uid="worker-db-nice")


def _close_old_connections(**kwargs) -> None:
    from django.db import close_old_connections

    close_old_connections()
