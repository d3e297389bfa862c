"""Every command the README shows, run as written in a fresh copy of the checkout (issue 18).

The copy holds the checkout's tracked files as they are now (what a clone of this commit
holds) under var/; its .venv is a thin virtualenv over this one's packages, marked as installed
from its lock so `make install` only checks. Commands run with a user's environment (none of
the test settings), on free loopback ports. The long ones are kept cheap: `make run` and
`make prod` are stopped once they answer (make run once its demo is ready; make prod with
STATIC_MANIFEST=0, sparing the compression of every static file), the benchmarks
are started with --help through make bench (BENCH_ARGS) and one runs at the README's toy size
(BENCH_QUICK=1), `make test` runs one small test file (README: extra arguments go to pytest),
and `seed_demo` makes a smaller estate with the same flags. `make test` runs with one xdist
worker (TEST_WORKERS=1): the suite itself runs with more.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    # The commands run in their own copy with its own databases: once per `make test` is enough.
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="run in make test's SQLite pass only"
    ),
]

ROOT = Path(__file__).resolve().parents[2]

# Each command line of the README's ```sh blocks (comment stripped): how this test runs it.
COVERED = {
    "make run": "test_make_run_sizes_the_demo_and_the_manage_commands_work_beside_it",
    "make test": "test_make_test",
    ".venv/bin/python manage.py seed_demo --apps 1000 --vms 10000 --seed 1": (
        "test_make_run_sizes_the_demo_and_the_manage_commands_work_beside_it"
    ),
    ".venv/bin/python manage.py size_estate [--app ID] [--sync]": (
        "test_make_run_sizes_the_demo_and_the_manage_commands_work_beside_it"
    ),
    ".venv/bin/python manage.py backup --output FILE.tar.gz / restore FILE": (
        "test_backup_restore_upgrade_lint_format"
    ),
    "make prod": "test_make_prod",
    "make upgrade": "test_backup_restore_upgrade_lint_format",
    "make bench": "test_make_bench",
    "BENCH=load make bench": "test_make_bench",
    "make lint / make format": "test_backup_restore_upgrade_lint_format",
}
# Set by the test settings in this process: a user's shell has none of them.
TEST_ONLY = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "STATIC_MANIFEST",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "REDIS_URL",
    "DATABASE_URL",
    "VAR_DIR",
    "PYTEST_CURRENT_TEST",
    # scripts/test.sh's: the copy's bytecode stays in the copy (removed with it).
    "PYTHONPYCACHEPREFIX",
)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                lines.append(command)
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Checkout:
    """A copy of the checkout with a thin .venv, and a user's shell to run commands in it."""

    def __init__(self, path: Path):
        self.path = path
        if path.exists():
            shutil.rmtree(path)
        files = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.split(b"\0")
        for name in filter(None, (f.decode() for f in files)):
            src = ROOT / name
            if src.is_file():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, path / name)
        self._thin_venv()
        self.env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}

    def _thin_venv(self) -> None:
        venv = self.path / ".venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        site = venv / "lib" / version / "site-packages"
        (site / "shared-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        for tool in Path(sys.prefix, "bin").iterdir():
            target = venv / "bin" / tool.name
            if not target.exists() and not tool.name.startswith(("python", "activate", "pip")):
                target.symlink_to(tool)
        lock = self.path / "requirements-dev.lock"
        (venv / ".lock-sha256").write_text(hashlib.sha256(lock.read_bytes()).hexdigest() + "\n")
        (venv / ".lock-name").write_text("requirements-dev.lock\n")

    def sh(self, command: str, timeout: float = 300, **env: str) -> str:
        out = subprocess.run(
            ["bash", "-c", command],
            cwd=self.path,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, (
            f"{command} -> {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        )
        return out.stdout + out.stderr

    def start(self, command: str, log: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.path,
            env={**self.env, **env},
            stdout=(self.path / log).open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self, proc: subprocess.Popen, timeout: float = 60) -> None:
        """What Ctrl-C does to the terminal's process group (TERM here: a process started in
        the background may ignore SIGINT); the scripts trap it and stop what they started."""
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def wait_for(self, url: str, proc: subprocess.Popen, log: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, (self.path / log).read_text()[-3000:]
            try:
                urllib.request.urlopen(url, timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{url} did not answer: {(self.path / log).read_text()[-3000:]}")


@pytest.fixture(scope="module")
def checkout():
    path = ROOT / "var" / f"readme-{os.getpid()}"
    copy = Checkout(path)
    yield copy
    subprocess.run(["bash", "scripts/pg.sh", "destroy", "0", "var/test-pg"], cwd=path, check=False)
    shutil.rmtree(path, ignore_errors=True)


def test_readme_commands_are_all_covered():
    commands = readme_commands()
    assert "make run" in commands and "make test" in commands
    # A command added to the README needs a line in COVERED (and a run in this file).
    assert set(commands) == set(COVERED), set(commands) ^ set(COVERED)
    # The locks (make install-prod, make lock: docs/deploy.md) install from the public index:
    # nothing here may name a machine's folder or index.
    make = (ROOT / "Makefile").read_text()
    assert "install-prod:\n\tbash scripts/install.sh --production" in make
    assert "lock:\n\tbash scripts/lock.sh" in make
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        assert "--hash=sha256:" in text
        assert not re.search(r"^-(-find-links|-extra-index-url|-index-url)|file://", text, re.M)


def test_make_run_sizes_the_demo_and_the_manage_commands_work_beside_it(checkout):
    checkout.sh("make install")
    port, redis_port = free_port(), free_port()
    run = checkout.start("make run", "make-run.out", PORT=str(port), REDIS_PORT=str(redis_port))
    try:
        checkout.wait_for(f"http://127.0.0.1:{port}/login/", run, "make-run.out")
        answered = time.monotonic()
        pending = checkout.path / "var" / "demo-pending"
        while pending.exists() and time.monotonic() - answered < 120:
            assert run.poll() is None, (checkout.path / "make-run.out").read_text()[-3000:]
            time.sleep(0.5)
        log = (checkout.path / "make-run.out").read_text()
        assert not pending.exists(), log[-3000:]
        assert "demo: run 1 succeeded" in log and "demo: stale plan" in log

        db = sqlite3.connect(checkout.path / "var" / "db.sqlite3")
        unsized = db.execute(
            "SELECT count(*) FROM planner_application a WHERE NOT EXISTS "
            "(SELECT 1 FROM planner_appresult r WHERE r.application_id = a.id)"
        ).fetchone()[0]
        states = sorted(s for (s,) in db.execute("SELECT state FROM planner_planrevision"))
        app_id = db.execute("SELECT min(id) FROM planner_application").fetchone()[0]
        db.close()
        assert unsized == 0
        assert states == ["approved", "approved", "draft", "rejected", "submitted"]

        # The README's manage.py commands, as typed after `make run` (no DEBUG=1 exported):
        # size_estate through the running worker (var/dev.env names its broker), then --sync.
        out = checkout.sh(f".venv/bin/python manage.py size_estate --app {app_id}", timeout=120)
        assert re.search(r"Run \d+: Succeeded", out), out
        out = checkout.sh(f".venv/bin/python manage.py size_estate --app {app_id} --sync")
        assert "(in this process)" in out and re.search(r"Run \d+: Succeeded", out), out
        out = checkout.sh(".venv/bin/python manage.py seed_demo --apps 60 --vms 300 --seed 1")
        assert "20 apps and 100 VMs created" in out, out
    finally:
        checkout.stop(run)
    log = (checkout.path / "make-run.out").read_text()
    assert "run: stopped." in log, log[-2000:]


def test_backup_restore_upgrade_lint_format(checkout):
    py = ".venv/bin/python manage.py"
    out = checkout.sh(f"{py} backup --output var/readme-backup.tar.gz")
    assert (checkout.path / "var" / "readme-backup.tar.gz").stat().st_size > 0, out
    # restore refuses a database that holds apps unless --force: into an empty one it goes.
    empty = {"VAR_DIR": "var/restored"}
    (checkout.path / "var" / "restored").mkdir()
    (checkout.path / "var" / "restored" / "dev.env").write_text("DEBUG=1\n")
    checkout.sh(f"{py} migrate -v0", **empty)
    out = checkout.sh(f"{py} restore var/readme-backup.tar.gz", **empty)
    assert "every hash checked" in out, out
    checkout.sh("make upgrade")
    checkout.sh("make lint")
    checkout.sh("make format")


def test_make_prod(checkout):
    port = free_port()
    env = {
        "PORT": str(port),
        "PG_PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
        "SEED_DEMO_ARGS": "--apps 12 --vms 60",
        # A fresh copy's first collectstatic Brotli-compresses 40 MB (a minute of CPU, several
        # on a busy machine): not what this checks.
        "STATIC_MANIFEST": "0",
    }
    prod = checkout.start("make prod", "make-prod.out", **env)
    try:
        checkout.wait_for(f"http://127.0.0.1:{port}/login/", prod, "make-prod.out", timeout=300)
    finally:
        checkout.stop(prod)
    log = (checkout.path / "make-prod.out").read_text()
    assert "prod: stopped." in log, log[-2000:]


def test_make_bench(checkout):
    out = checkout.sh("BENCH_ARGS=--help make bench")
    names = sorted(p.stem for p in (checkout.path / "bench").glob("*.py") if p.stem != "common")
    for name in names:
        assert f"== {name}\n" in out and f"usage: {name}.py" in out, out[-3000:]
    out = checkout.sh("BENCH=load BENCH_ARGS=--help make bench")
    assert "== load" in out and "== api_lists" not in out and "--duration" in out
    out = checkout.sh("BENCH=import_inventory BENCH_QUICK=1 make bench", timeout=300)
    assert "== import_inventory (quick: --vms 60 --runs 1)" in out and "\nratio: " in out, out


def test_make_test(checkout):
    out = checkout.sh(
        f"PG_PORT={free_port()} TEST_WORKERS=1 bash scripts/test.sh tests/unit/test_bootorder.py -q",
        timeout=300,
    )
    assert "== pytest on SQLite" in out and "== pytest on PostgreSQL" in out
    # Engine tests open no database: the PostgreSQL pass leaves them out (scripts/test.sh),
    # which xdist reports as no tests run.
    sqlite, postgresql = out.split("== pytest on PostgreSQL")
    assert re.findall(r"^(\d+) passed in ", sqlite, re.M) == ["17"], out[-3000:]
    assert re.search(r"^no tests ran in ", postgresql, re.M), out[-3000:]
