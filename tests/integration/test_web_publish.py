"""The web processes publish to a broker that is down once and give up (portal/wsgi.py,
``portal.celery.publish_from_web``); workers keep trying to connect for the broker connection
timeout. Each side is a real process publishing to a real loopback server that answers every
connection by closing it, as a broker going down does, and counts the connections."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PUBLISH = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
if sys.argv[1] == "web":
    import portal.wsgi  # noqa: F401 - the web's entry point
else:
    import django
    django.setup()
from planner import queue
try:
    queue.enqueue(queue.PLAN_RUN, 1)
except Exception as exc:
    print("refused:", type(exc).__name__)
"""


class Closer:
    """A loopback server that closes every connection it accepts, and counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.close()
        self.thread.join(timeout=5)


def publish(kind: str) -> tuple[str, int]:
    server = Closer()
    try:
        env = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
            "PYTHONPATH": str(ROOT),
        }
        out = subprocess.run(
            [sys.executable, "-c", PUBLISH, kind],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    finally:
        server.close()
    return out, server.accepted


def test_a_web_process_tries_a_dead_broker_once():
    out, attempts = publish("web")
    assert "refused: OperationalError" in out
    assert attempts == 1


def test_a_worker_keeps_trying_to_connect():
    out, attempts = publish("worker")
    assert "refused: OperationalError" in out
    assert attempts > 1
