"""Settings come from the environment; production values pass `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    # Drop what the test settings put in this process's environment.
    test_only = {
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "SECRET_KEY",
        "STATIC_MANIFEST",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    }
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    out = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="planner.example.com",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_check_deploy_flags_a_development_configuration():
    out = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
    assert out.returncode != 0
    assert "DEBUG" in out.stdout + out.stderr


def test_missing_secret_key_in_production_fails_loudly():
    out = manage("check", DEBUG="0", SECRET_KEY="")
    assert out.returncode != 0
    assert "SECRET_KEY is not set" in out.stderr


def test_bad_boolean_is_refused_with_the_variable_named():
    out = manage("check", DEBUG="maybe")
    assert out.returncode != 0
    assert "DEBUG='maybe'" in out.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key = tmp_path / "key"
    key.write_text(secrets.token_urlsafe(50))
    out = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="",
        SECRET_KEY_FILE=str(key),
        ALLOWED_HOSTS="planner.example.com",
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_sqlite_runs_in_wal_with_immediate_transactions(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_passwords_are_hashed_with_argon2id_and_older_hashes_are_upgraded(db, settings):
    from django.contrib.auth.hashers import (
        Argon2PasswordHasher,
        PBKDF2PasswordHasher,
        make_password,
    )
    from django.contrib.auth.models import User

    from portal import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("correct horse").startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    # A hash made before the switch still signs its user in, and is re-hashed with Argon2id.
    old = PBKDF2PasswordHasher().encode("correct horse", "somesalt", iterations=1000)
    user = User.objects.create(username="legacy", password=old)
    assert not user.check_password("wrong horse")
    assert user.check_password("correct horse")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    # So is one made with Django's own Argon2 parameters (100 MiB, 8 lanes).
    user.password = Argon2PasswordHasher().encode("correct horse", "othersalt")
    assert "m=102400,t=2,p=8" in user.password
    user.save()
    assert user.check_password("correct horse")
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def _shell(code: str, **env) -> subprocess.CompletedProcess:
    return manage("shell", "--no-imports", "-c", code, DEBUG="1", **env)


def test_behind_proxy_is_a_count_of_proxies_read_by_drf_and_axes():
    code = (
        "from django.conf import settings as s; "
        "print(s.BEHIND_PROXY, s.REST_FRAMEWORK['NUM_PROXIES'], s.AXES_CLIENT_IP_CALLABLE, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    assert _shell(code).stdout.split() == ["0", "0", "portal.clientip.client_ip", "None"]
    for raw, count in (("1", "1"), ("yes", "1"), ("2", "2"), ("off", "0")):
        assert _shell(code, BEHIND_PROXY=raw).stdout.split()[:2] == [count, count]
    refused = _shell(code, BEHIND_PROXY="lots")
    assert refused.returncode != 0
    assert "BEHIND_PROXY='lots': the number of reverse proxies" in refused.stderr


def test_metrics_token_reads_a_file(tmp_path):
    token = tmp_path / "metrics_token"
    token.write_text("from-a-file\n")
    out = _shell(
        "from django.conf import settings; print(settings.METRICS_TOKEN)",
        METRICS_TOKEN_FILE=str(token),
    )
    assert out.stdout.strip() == "from-a-file"


def test_make_runs_dev_env_file_is_read_when_the_environment_sets_nothing(tmp_path):
    # scripts/run.sh writes VAR_DIR/dev.env; commands typed later read it (README, issue 18).
    (tmp_path / "dev.env").write_text("# written by run.sh\nDEBUG=1\nDEMO_PASSWORD=from-file\n")
    code = (
        "from django.conf import settings; print('DEBUG', settings.DEBUG, settings.DEMO_PASSWORD)"
    )
    out = manage("shell", "-c", code, VAR_DIR=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "DEBUG True from-file" in out.stdout
    # Without the file the same command refuses to start without a secret key.
    (tmp_path / "dev.env").unlink()
    out = manage("check", VAR_DIR=str(tmp_path))
    assert out.returncode != 0 and "SECRET_KEY is not set" in out.stderr


def test_dev_env_file_never_overrides_the_environment_or_a_secret_key(tmp_path):
    (tmp_path / "dev.env").write_text("DEBUG=1\nALLOWED_HOSTS=dev.example\n")
    code = (
        "from django.conf import settings; print('DEBUG', settings.DEBUG, settings.ALLOWED_HOSTS)"
    )
    out = manage("shell", "-c", code, VAR_DIR=str(tmp_path), ALLOWED_HOSTS="env.example")
    assert "DEBUG True ['env.example']" in out.stdout, out.stderr
    # A secret key in the environment means production: the file is ignored entirely.
    out = manage("shell", "-c", code, VAR_DIR=str(tmp_path), SECRET_KEY=secrets.token_urlsafe(50))
    assert "DEBUG False ['127.0.0.1', 'localhost']" in out.stdout, out.stderr


def test_sso_and_smtp_settings_come_from_the_environment_and_secret_files(tmp_path):
    secret = tmp_path / "oidc_client_secret"
    secret.write_text("s3cret-from-a-file\n")
    smtp_password = tmp_path / "smtp_password"
    smtp_password.write_text("smtp-pw\n")
    show = (
        "from django.conf import settings as s; "
        "print(s.OIDC_ENABLED, s.OIDC_RP_CLIENT_SECRET, sorted(s.OIDC_ROLE_GROUPS['approvers']), "
        "s.AUTHENTICATION_BACKENDS[-1], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_PASSWORD)"
    )
    out = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        show,
        DEBUG="1",
        OIDC_ISSUER="https://login.microsoftonline.com/tenant/v2.0/",
        OIDC_CLIENT_ID="client",
        OIDC_CLIENT_SECRET_FILE=str(secret),
        OIDC_APPROVERS_GROUPS="Planner-Approvers, 6f1c-id ,",
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_HOST_PASSWORD_FILE=str(smtp_password),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "True",
        "s3cret-from-a-file",
        "['6f1c-id',",
        "'Planner-Approvers']",
        "portal.sso.DirectoryBackend",
        "smtp.example.com",
        "587",
        "smtp-pw",
    ]
    off = manage("shell", "--verbosity", "0", "-c", show, DEBUG="1")
    assert off.returncode == 0, off.stderr
    assert off.stdout.split()[0] == "False" and "DirectoryBackend" not in off.stdout
