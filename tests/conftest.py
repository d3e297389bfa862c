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

    def __init__(self, redis: RedisServer, db_url: str, queues: str = "sizing,reports", env=None):
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

    def start(queues: str = "sizing,reports", **env: str) -> Worker:
        worker = Worker(redis, database_url(), queues, env)
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
