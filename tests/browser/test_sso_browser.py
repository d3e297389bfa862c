"""Single sign-on in a real browser against a real OpenID Connect provider.

The provider is a separate process on 127.0.0.1 (tests/oidc_provider: django-oauth-toolkit in
OIDC mode, RS256 ID tokens, a ``groups`` claim); the portal is the live server, configured with
the provider's issuer, a client id and secret, and a mapping of directory groups to roles. In
chromium: "Sign in with <directory>" on the portal's sign-in page, the directory's own sign-in,
back on the dashboard as a user created on first sign-in with the mapped role; sign out; a
local account still signs in with its password (break-glass). Screenshots go to test-output/.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ROOT, VAR

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CLIENT_ID, CLIENT_SECRET = "recovery-planner", "a-test-client-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    """The test OpenID Connect provider, started and stopped by the test."""

    def __init__(self, redirect_uri: str, users: list[str]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.db = VAR / f"test-oidc-{os.getpid()}-{self.port}.sqlite3"
        self.log = VAR / f"test-oidc-{os.getpid()}-{self.port}.log"
        command = [sys.executable, "-m", "tests.oidc_provider", "--port", str(self.port)]
        command += ["--db", str(self.db), "--client-id", CLIENT_ID]
        command += ["--client-secret", CLIENT_SECRET, "--redirect-uri", redirect_uri]
        for user in users:
            command += ["--user", user]
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"provider exited: {self.log.read_text()[-2000:]}")
            try:
                url = f"{self.issuer}/.well-known/openid-configuration"
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"provider not ready in 60 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        self.db.unlink(missing_ok=True)


@pytest.fixture
def provider(live_server):
    p = Provider(
        live_server.url + "/oidc/callback/",
        [
            "dana:dana-directory-pw:dana@corp.example:Planner-Approvers,Staff",
            "erin:erin-directory-pw:erin@corp.example:Staff",
        ],
    )
    yield p
    p.stop()


@pytest.fixture
def sso(settings, provider):
    from portal import sso

    sso._cache.clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Contoso directory"
    settings.OIDC_ROLE_GROUPS = {
        "owners": ["Planner-Owners"],
        "approvers": ["Planner-Approvers"],
        "operators": ["Planner-Operators"],
    }
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "portal.sso.DirectoryBackend",
    ]
    yield provider
    sso._cache.clear()


def test_sign_in_with_the_directory_lands_on_the_dashboard_with_the_mapped_role(
    sso, live_server, browser_page, output_dir, olga
):
    from django.contrib.auth.models import User

    from planner.models import DirectoryIdentity

    page, base = browser_page, live_server.url
    shot = lambda name: page.screenshot(path=str(output_dir / f"{name}.png"), full_page=True)  # noqa: E731

    page.goto(base + "/")
    assert "/login/" in page.url
    assert page.inner_text("#sso-sign-in") == "Sign in with Contoso directory"
    shot("sso-01-sign-in")
    page.click("#sso-sign-in")

    # The directory's own sign-in page, on the provider's port.
    page.wait_for_url(re.compile(rf"^http://127\.0\.0\.1:{sso.port}/accounts/login/"))
    page.fill("#id_username", "dana")
    page.fill("#id_password", "dana-directory-pw")
    page.click("#directory-sign-in")

    page.wait_for_url(base + "/")
    assert page.inner_text(".user span:first-child") == "dana"
    assert page.inner_text(".user .role") == "approver"
    shot("sso-02-dashboard")

    dana = User.objects.get(username="dana")
    assert dana.email == "dana@corp.example" and not dana.has_usable_password()
    assert list(dana.groups.values_list("name", flat=True)) == ["approvers"]
    identity = DirectoryIdentity.objects.get(user=dana)
    assert identity.issuer == sso.issuer and identity.groups == ["Planner-Approvers", "Staff"]

    page.click("text=Sign out")
    page.wait_for_url(re.compile(r".*/login/$"))
    page.goto(base + "/apps/")
    assert "/login/" in page.url, "signed out of the portal"

    # The local break-glass account still signs in with its password.
    page.fill("#id_username", "olga")
    page.fill("#id_password", "pw-olga")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/apps/$"))
    assert page.inner_text(".user .role") == "operator"


def test_a_directory_account_without_a_mapped_group_is_refused_with_the_reason(
    sso, live_server, browser_page
):
    from django.contrib.auth.models import User

    page, base = browser_page, live_server.url
    page.goto(base + "/login/")
    page.click("#sso-sign-in")
    page.wait_for_url(re.compile(rf"^http://127\.0\.0\.1:{sso.port}/accounts/login/"))
    page.fill("#id_username", "erin")
    page.fill("#id_password", "erin-directory-pw")
    page.click("#directory-sign-in")
    page.wait_for_url(re.compile(r".*/login/$"))
    message = page.inner_text(".messages")
    assert "is in none of the groups that give access" in message
    assert "Planner-Approvers" in message
    assert not User.objects.filter(username="erin").exists()
