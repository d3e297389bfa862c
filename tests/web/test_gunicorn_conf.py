"""deploy/gunicorn.conf.py in a real gunicorn: each worker freezes its start-up objects and sets
the collector's thresholds once it has loaded the app, and freezes again after its first
requests (issue 19). The server runs on a free loopback port and is stopped by the test."""

from __future__ import annotations

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, VAR

pytestmark = pytest.mark.integration

CONF = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(log: Path, pattern: str, proc: subprocess.Popen, seconds: float = 60) -> re.Match:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not in the log:\n{log.read_text()}")


def test_a_worker_freezes_its_objects_at_start_and_after_its_first_requests():
    port = free_port()
    VAR.mkdir(exist_ok=True)
    log = VAR / f"test-gunicorn-{os.getpid()}-{port}.log"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DEBUG="0",
        SECRET_KEY="test-only-gunicorn-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_MANIFEST="0",
        # The sign-in page reads no table: the database is never opened.
        DATABASE_URL=f"sqlite:///{VAR / f'test-gunicorn-{os.getpid()}-{port}.sqlite3'}",
    )
    command = [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi"]
    command += ["-c", "deploy/gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = wait_for(
            log, r"gc: (\d+) objects frozen, thresholds \((\d+), (\d+), (\d+)\)", proc
        )
        assert int(started[1]) > 10_000  # Django, the URLconf, views, tables, forms
        assert tuple(int(n) for n in started.groups()[1:]) == CONF["GC_THRESHOLDS"]
        for _ in range(CONF["REFREEZE_AFTER"]):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=30) as r:
                assert r.status == 200
        again = wait_for(log, r"gc: (\d+) objects frozen after (\d+) requests", proc)
        assert int(again[2]) == CONF["REFREEZE_AFTER"]
        assert int(again[1]) >= int(started[1])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        for path in VAR.glob(f"test-gunicorn-{os.getpid()}-{port}.*"):
            path.unlink()
