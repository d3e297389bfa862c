"""A worker started at nice 10 has its PostgreSQL backend run at nice 10 too, when PostgreSQL is
local and the worker may renice it; on SQLite (in the worker's own process) nothing changes
(issue 19). CI runs this file on SQLite and on PostgreSQL (scripts/test.sh)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from planner.models import Trigger
from planner.services import runs
from portal.celery import renice_db_backend
from tests.conftest import ROOT, database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PG = connection.vendor == "postgresql"


def test_a_process_at_normal_priority_leaves_its_backend_alone():
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0
    assert renice_db_backend(connection) == "skipped: this process runs at normal priority"


def test_a_niced_process_renices_its_own_backend_while_connected():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    env["DATABASE_URL"] = database_url()
    code = (
        "import django, sys; django.setup()\n"
        "from django.db import connection\n"
        "from portal.celery import renice_db_backend\n"
        "print(renice_db_backend(connection), flush=True)\n"
        "sys.stdin.readline()\n"  # connected until the test has looked
    )
    child = subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        said = child.stdout.readline().strip()
        if not PG:
            assert said == "skipped: sqlite runs in this process"
            return
        assert said.startswith("backend ") and said.endswith(" reniced to 10"), said
        pid = int(said.split()[1])
        assert os.getpriority(os.PRIO_PROCESS, pid) == 10
        with connection.cursor() as cursor:  # that pid is the child's backend, not another one
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND datname = %s",
                [pid, connection.settings_dict["NAME"]],
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT pg_backend_pid()")
            mine = cursor.fetchone()[0]
        assert os.getpriority(os.PRIO_PROCESS, mine) == 0  # this test's own backend untouched
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0


def test_a_sizing_worker_at_nice_10_renices_and_keeps_its_connection(start_worker):
    """With DB_CONN_MAX_AGE the worker keeps one connection across tasks (Celery's fixup would
    open one per task), reniced once; a backend that dies meanwhile costs a reconnect, not a
    task."""
    from planner.demo import seed
    from planner.models import Application

    seed(apps=3, vms=12, seed=1, password="x")
    log = start_worker("sizing", nice=10, DB_CONN_MAX_AGE="600").log
    run = runs.wait_for(runs.request_run(trigger=Trigger.API), timeout=120)
    assert run.status == "succeeded"
    for app in Application.objects.all():  # two tasks each: plan_run, size_chunk
        one = runs.wait_for(runs.request_run(application=app), timeout=120)
        assert one.status == "succeeded"
    lines = [line for line in log.read_text().splitlines() if "database connection:" in line]
    tasks = log.read_text().count("succeeded in")
    assert tasks >= 8, log.read_text()[-2000:]
    assert len(lines) == 1, lines  # the pool process's one connection
    if PG:
        assert "reniced to 10" in lines[0]
        with connection.cursor() as cursor:  # the worker's backend dies (a restart, an admin)
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
        after = runs.wait_for(runs.request_run(application=app), timeout=120)
        assert after.status == "succeeded"
        lines = [x for x in log.read_text().splitlines() if "database connection:" in x]
        assert len(lines) == 2 and "reniced to 10" in lines[1]
    else:
        assert "skipped: sqlite runs in this process" in lines[0]
