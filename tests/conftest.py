"""Shared fixtures: users by role, a real Redis and real Celery worker processes.

Servers listen on 127.0.0.1 only, keep their files under var/test-*, and are stopped by the
fixture that started them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
OUTPUT = ROOT / "test-output"


# --- the order of the tests, for pytest-xdist ---------------------------------------------
#
# xdist's default scheduling (--dist load) hands each worker consecutive runs of the collected
# order: about a quarter of its share first, smaller runs as the queue empties, and each worker
# runs what it gets in that order. pytest-django sorts the tests as Django does (stable): tests
# in a transaction first, then transactional ones (they empty the database, reference rows
# included), then those without a database. Within each kind the order below holds. (Not
# --dist loadgroup: with pytest 9.2 xdist 3.8 cannot tag a test with its group, and loadscope
# modes run only one of the schema tests that share a node id.)

# The longest test module (about a minute: the README's commands in a copy of the checkout, on
# databases of its own), moved first: one worker runs it while the other starts on the rest.
FIRST = "tests/integration/test_readme.py"
# Single tests of seconds each (worker processes, browsers, PDFs): before the many short ones,
# so that both workers run out of work at about the same time.
SLOW_DIRS = ("tests/browser/", "tests/integration/")


def _shared_scope(item: pytest.Item) -> str | None:
    """The node id of the module or class whose tests share a fixture built once for it (rows
    of tests/shared.py, the README test's copy), or None."""
    for defs in item._fixtureinfo.name2fixturedefs.values():
        fixturedef = defs[-1]
        if fixturedef.scope in ("module", "class") and fixturedef.baseid.startswith("tests"):
            kind = pytest.Module if fixturedef.scope == "module" else pytest.Class
            parent = item.getparent(kind)
            if parent is not None:
                return parent.nodeid
    return None


def _uses_database(item: pytest.Item) -> bool:
    """Whether the test may open the test database (as pytest-django decides when it sorts)."""
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or any(
        name in names for name in ("db", "transactional_db", "live_server", "django_db_setup")
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that open no database are marked `no_db`: they run the same on SQLite and
    PostgreSQL, so scripts/test.sh runs them in its SQLite pass only (`-m "not no_db"`).
    Order: tests sharing what their module or class builds once (largest groups first: each
    worker that runs some of them builds it once), then the slow single tests, then the rest,
    each in the order collected. Deterministic: every worker must collect the same order."""
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        if not _uses_database(item):
            item.add_marker(pytest.mark.no_db)
        scope = _shared_scope(item)
        if scope is not None:
            groups.setdefault(scope, []).append(item)
    index = {id(item): i for i, item in enumerate(items)}
    group_of = {id(item): scope for scope, members in groups.items() for item in members}

    def rank(item: pytest.Item) -> tuple[int, int, int, int]:
        scope = group_of.get(id(item))
        if scope is not None:
            return (0, -len(groups[scope]), index[id(groups[scope][0])], index[id(item)])
        return (1 if item.nodeid.startswith(SLOW_DIRS) else 2, 0, 0, index[id(item)])

    items.sort(key=rank)


class _ReadmeFirst:
    """After pytest-django's sort (which puts tests without a database last)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=lambda item: not item.nodeid.startswith(FIRST))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_ReadmeFirst(), "readme-first")


# --- the test database: migrated once per pass, copied for each xdist worker ----------------


def _copy_database(connection, source: str, target: str) -> None:
    """A copy of the database `source` named `target` (replacing one left over)."""
    if connection.vendor == "sqlite":
        for name in (target, f"{target}-wal", f"{target}-shm"):
            Path(name).unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:  # PostgreSQL: the server copies it
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
        cursor.execute(f"CREATE DATABASE {quote(target)} WITH TEMPLATE {quote(source)}")


def _drop_database(connection, name: str) -> None:
    if connection.vendor == "sqlite":
        for path in (name, f"{name}-wal", f"{name}-shm"):
            Path(path).unlink(missing_ok=True)
        return
    with connection._nodb_cursor() as cursor:  # FORCE: a connection left open is closed
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _template(connection, run: int) -> tuple[str, Path]:
    """The name of run `run`'s template database (the xdist controller's pid), and its lock."""
    if connection.vendor == "sqlite":
        name = str(VAR / f"test-db-template-{run}.sqlite3")
    else:
        name = f"test_{connection.settings_dict['NAME']}_template_{run}"
    return name, VAR / f"test-db-template-{run}.lock"


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """pytest-django's test database, migrated once per run instead of once per xdist worker.

    The first worker to need a database migrates a template under a lock (every migration:
    the data migrations and PostgreSQL's append-only trigger included); each worker then gets
    a copy of it (SQLite: the file; PostgreSQL: CREATE DATABASE ... WITH TEMPLATE, a database
    nobody else uses) and drops it at the end; the xdist controller drops the template
    (pytest_sessionfinish). In one process (-n 0) it is pytest-django's own setup.
    tests/integration/test_bounds_migration.py still migrates backwards and forwards itself."""
    import fcntl

    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    if not hasattr(request.config, "workerinput") or list(settings.DATABASES) != ["default"]:
        with django_db_blocker.unblock():
            config = setup_databases(verbosity=verbosity, interactive=False)
        yield
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=verbosity)
        return

    connection = connections["default"]
    template, lock_path = _template(connection, os.getppid())
    mine = connection.creation._get_test_db_name()
    original = connection.settings_dict["NAME"]

    def named(name: str) -> None:
        settings.DATABASES["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name

    VAR.mkdir(exist_ok=True)
    with django_db_blocker.unblock(), lock_path.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        if lock.read() != "ready\n":
            test = connection.settings_dict["TEST"]
            own_name, test["NAME"] = test.get("NAME"), template
            try:
                connection.creation.create_test_db(verbosity, autoclobber=True, serialize=False)
            finally:
                test["NAME"] = own_name
                connection.close()
                named(original)
            lock.write("ready\n")
            lock.flush()
        _copy_database(connection, template, mine)
        fcntl.flock(lock, fcntl.LOCK_UN)
    named(mine)
    yield
    with django_db_blocker.unblock():
        connection.close()
        named(original)
        _drop_database(connection, mine)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The xdist controller drops the template its workers copied (django_db_setup)."""
    if hasattr(session.config, "workerinput"):
        return
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    connection = connections["default"]
    template, lock_path = _template(connection, os.getpid())
    if lock_path.exists():  # only xdist workers make one, named after this process
        with session.config.stash[blocking_manager_key].unblock():
            _drop_database(connection, template)
        lock_path.unlink()


def _redis_port() -> int:
    from django.conf import settings

    return int(settings.REDIS_URL.rsplit(":", 1)[1].split("/")[0])


class RedisServer:
    """The test Redis: append-only like the project's, restartable by tests."""

    def __init__(self, port: int, directory: Path):
        self.port = port
        self.dir = directory
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / "scripts/redis.sh"), "start", str(self.port), str(self.dir)],
            check=True,
        )

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / "scripts/redis.sh"), "stop", str(self.port), str(self.dir)],
            check=False,
        )
        for _ in range(50):
            if not self.alive():
                return
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: what a crash or an OOM kill does."""
        pid = int((self.dir / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if not self.alive():
                return
            time.sleep(0.1)

    def alive(self) -> bool:
        out = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "ping"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() == "PONG"

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()


@pytest.fixture(scope="session")
def redis_server():
    port = _redis_port()
    server = RedisServer(port, VAR / f"test-redis-{port}")
    server.stop()  # a server left over from an interrupted run
    if server.dir.exists():
        for f in server.dir.glob("**/*"):
            if f.is_file():
                f.unlink()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def redis(redis_server):
    """A running, empty Redis (restarted if a previous test stopped it)."""
    if not redis_server.alive():
        redis_server.start()
    redis_server.cli("FLUSHALL")
    return redis_server


def database_url() -> str:
    """The URL of the test database, for worker processes (call inside a db test)."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    auth = f"{user}:{s.get('PASSWORD')}@" if s.get("PASSWORD") else (f"{user}@" if user else "")
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class Worker:
    """A real `celery worker` process (prefork), started against the test Redis and database."""

    count = 0

    def __init__(
        self,
        redis: RedisServer,
        db_url: str,
        queues: str = "sizing,reports",
        env=None,
        nice: int = 0,
    ):
        Worker.count += 1
        self.name = f"test{Worker.count}-{os.getpid()}@localhost"
        self.log = VAR / f"test-worker-{os.getpid()}-{Worker.count}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings_test",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis.url,
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [
                *(["nice", "-n", str(nice)] if nice else []),  # as scripts/prod.sh starts them
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                queues,
                "-c",
                "1",
                "--pool",
                "prefork",
                "-n",
                self.name,
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker not ready in 60 s: {self.log.read_text()[-2000:]}")

    def child_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def start_worker(redis, transactional_db):
    """Start real worker processes; all are stopped after the test."""
    workers: list[Worker] = []

    def start(queues: str = "sizing,reports", nice: int = 0, **env: str) -> Worker:
        worker = Worker(redis, database_url(), queues, env, nice)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


# --- users by role ----------------------------------------------------------------------------


def _user(username: str, group: str | None, staff: bool = False):
    """The user, made once: a module's rows built once (tests/shared.py) may hold them already."""
    from django.contrib.auth.models import Group, User

    from planner.roles import ensure_groups

    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    ensure_groups()
    user = User.objects.create_user(username, f"{username}@example.com", "pw-" + username)
    user.is_staff = staff
    user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def alice(db):
    """An app owner."""
    return _user("alice", "owners")


@pytest.fixture
def bob(db):
    """Another app owner."""
    return _user("bob", "owners")


@pytest.fixture
def carol(db):
    """An approver."""
    return _user("carol", "approvers")


@pytest.fixture
def olga(db):
    """An operator (staff, may use the admin)."""
    return _user("olga", "operators", staff=True)


@pytest.fixture
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
