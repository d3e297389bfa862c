"""Notifications by e-mail against a real SMTP server on loopback (aiosmtpd, in a thread of the
test), sent in this process and by real `reports` workers and `celery beat`: one message per
event and recipient, plain text and HTML with a link to the page, retried while the SMTP server
or the worker is down and sent once when it is back."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import policy

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from planner import reference
from planner.models import Drill, Finding, Notification, PlanRevision, RunStatus, SizingRun
from planner.models.notifications import Channel, DeliveryStatus
from planner.services import notifications, plans
from planner.services.runs import finish_run_if_done
from tests.conftest import ROOT, VAR, database_url
from tests.integration.test_plans import make_app

PORTAL = "https://planner.example.org"


class SmtpServer:
    """aiosmtpd on 127.0.0.1, stoppable and restartable on the same port."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received: list[email.message.EmailMessage] = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.received.append(msg)
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        return [m for m in self.received if address in m["X-Envelope-To"]]


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail(settings, smtp):
    """This process sends through the real SMTP server (pytest-django swaps in locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.PORTAL_URL = PORTAL
    settings.NOTIFY_RETRY_SECONDS = 60
    return smtp


def parts(msg) -> tuple[str, str]:
    return (
        msg.get_body(preferencelist=("plain",)).get_content(),
        msg.get_body(preferencelist=("html",)).get_content(),
    )


def wait_until(check, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not seen within {timeout} s")


# --- in this process ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_submitted_plan_mails_each_other_approver_once_with_text_html_and_link(
    mail, alice, carol, olga
):
    from tests.conftest import _user

    _user("dave", "approvers")
    rev = plans.submit_revision(plans.create_revision(make_app(alice), alice), alice, "Q3 plan")
    rows = Notification.objects.filter(event_key=f"plan-submitted:r{rev.pk}")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["carol", "dave"]
    assert set(rows.values_list("channel", "status")) == {(Channel.EMAIL, DeliveryStatus.PENDING)}

    assert notifications.send_pending() == {"due": 2, "sent": 2}
    [msg] = mail.to("carol@example.com")
    assert msg["Subject"] == f"Plan to approve: payroll r{rev.number}"
    assert msg["Message-ID"].endswith("@recovery-planner>")
    text, html = parts(msg)
    link = f"{PORTAL}/plans/{rev.pk}/"
    assert "alice submitted revision r1" in text and "Q3 plan" in text and link in text
    assert f'href="{link}"' in html and "<p>Hello carol,</p>" in html
    assert not mail.to("alice@example.com"), "the submitter owns the app: not an approver here"

    # The same event seen again (a retried call, a second sweep) sends nothing more.
    assert notifications.plan_submitted(rev, alice) == []
    assert notifications.send_pending() == {"due": 0, "sent": 0}
    assert len(mail.received) == 2
    assert rows.get(recipient=carol).status == DeliveryStatus.SENT


@pytest.mark.django_db
def test_the_owner_hears_approval_and_rejection_with_the_approvers_comment(mail, alice, carol):
    app = make_app(alice)
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.approve_revision(rev, carol, "Fits the BC/DR strategy.")
    rev2 = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.reject_revision(rev2, carol, "Add the restore test of the ledger DB.")
    notifications.send_pending()

    approved, rejected = sorted(mail.to("alice@example.com"), key=lambda m: m["Subject"])
    assert approved["Subject"] == "Plan approved: payroll r1"
    assert "carol approved revision r1" in parts(approved)[0]
    assert "Fits the BC/DR strategy." in parts(approved)[1]
    assert rejected["Subject"] == "Plan rejected: payroll r2"
    assert "Add the restore test of the ledger DB." in parts(rejected)[0]
    assert f"{PORTAL}/plans/{rev2.pk}/" in parts(rejected)[0]


@pytest.mark.django_db
def test_an_opted_out_kind_is_not_sent_and_the_others_still_are(mail, alice, carol):
    notifications.set_preferences(carol, ["plan_approved"])  # not plan_submitted
    app = make_app(alice)
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    assert not Notification.objects.filter(recipient=carol).exists()
    notifications.set_preferences(alice, ["plan_rejected"])
    plans.reject_revision(rev, carol, "Missing the restore test.")
    notifications.send_pending()
    assert [m["Subject"] for m in mail.received] == ["Plan rejected: payroll r1"]


@pytest.mark.django_db
def test_smtp_down_leaves_the_message_pending_with_its_error_then_the_sweep_sends_it(
    mail, alice, carol
):
    rev = plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    row = Notification.objects.get(recipient=carol)
    mail.stop()
    assert notifications.send(row.pk).endswith("retried")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)  # 60 s back-off
    assert notifications.send_pending() == {"due": 0, "sent": 0}, "not due before its back-off"

    mail.start()
    later = timezone.now() + timedelta(seconds=61)
    assert notifications.send_pending(now=later) == {"due": 1, "sent": 1}
    assert len(mail.to("carol@example.com")) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert f"/plans/{rev.pk}/" in row.url


@pytest.mark.django_db
def test_a_claim_lost_with_its_worker_is_sent_by_the_sweep_after_the_timeout(mail, alice, carol):
    plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    row = Notification.objects.get(recipient=carol)
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now()
    )  # a worker claimed it and was killed before it sent
    assert notifications.send_pending() == {"due": 0, "sent": 0}
    later = timezone.now() + notifications.SENDING_TIMEOUT + timedelta(seconds=1)
    assert notifications.send_pending(now=later) == {"due": 1, "sent": 1}
    assert len(mail.received) == 1


@pytest.mark.django_db
def test_due_events_stale_review_and_drill_are_each_reported_once(mail, alice, carol):
    app = make_app(alice)
    rev = plans.approve_revision(
        plans.submit_revision(plans.create_revision(app, alice), alice), carol
    )
    now = timezone.now()
    assert notifications.notify_due(now) == 0, "fresh, unchanged, not due"

    soon = rev.decided_at + timedelta(days=365 - 10)
    assert notifications.notify_due(soon) == 1
    app.rto_minutes += 60
    app.save()
    late = rev.decided_at + timedelta(days=366)
    assert notifications.notify_due(late) == 2  # stale, and review overdue
    assert notifications.notify_due(late) == 0, "each event once"
    kinds = set(Notification.objects.filter(recipient=alice).values_list("kind", flat=True))
    assert {"review_soon", "review_overdue", "plan_stale"} <= kinds

    Drill.objects.create(
        application=app,
        kind="drill",
        started_at=now - timedelta(days=400),
        restored_at=now - timedelta(days=400) + timedelta(hours=2),
    )
    Finding.objects.create(
        application=app,
        code="DRILL_OVERDUE",
        severity="warning",
        message="the last recovery drill started 400 days ago",
    )
    assert notifications.notify_due(late) == 1
    assert notifications.notify_due(late) == 0
    notifications.send_pending()
    subjects = sorted(m["Subject"] for m in mail.to("alice@example.com"))
    assert "Recovery drill overdue: payroll" in subjects
    assert "Yearly review overdue: payroll" in subjects
    assert "Plan stale: payroll" in subjects
    drill = next(m for m in mail.received if m["Subject"].startswith("Recovery drill"))
    assert f"{PORTAL}/apps/{app.pk}/#drills" in parts(drill)[0]


@pytest.mark.django_db
def test_a_failed_sizing_run_tells_its_requester_and_the_apps_owner(mail, alice, olga):
    app = make_app(alice)
    run = SizingRun.objects.create(
        application=app,
        trigger="manual",
        requested_by=olga,  # an operator
        status=RunStatus.RUNNING,
        total_chunks=1,
        failed_chunks=1,
    )
    run.errors.create(application=app, chunk_index=0, message="ValueError: no VM size D99")
    finish_run_if_done(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    notifications.send_pending()
    for address in ("alice@example.com", "olga@example.com"):
        [msg] = mail.to(address)
        assert msg["Subject"] == f"Sizing run {run.pk} failed ('payroll')"
        assert "no VM size D99" in parts(msg)[0]
        assert f"{PORTAL}/runs/{run.pk}/" in parts(msg)[0]
    finish_run_if_done(run.pk)  # a duplicate delivery of the last chunk
    assert Notification.objects.filter(event_key=f"run-failed:{run.pk}").count() == 2


@pytest.mark.django_db
def test_a_refused_or_missing_address_falls_back_to_the_portal_never_dropped(mail, alice, carol):
    from tests.conftest import _user

    _user("dave", "approvers")
    plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    carol.email = ""  # removed after the message was written
    carol.save()

    async def refuse_dave(server, session, envelope, address, rcpt_options):
        if address.startswith("dave@"):
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    mail.handle_RCPT = refuse_dave
    assert notifications.send_pending() == {"due": 2, "sent": 0}
    rows = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    for name, why in (("carol", "no e-mail address"), ("dave", "refused dave@example.com")):
        assert (rows[name].channel, rows[name].status) == (Channel.PORTAL, DeliveryStatus.SHOWN)
        assert why in rows[name].last_error
    assert not mail.received


@pytest.mark.django_db
def test_an_estate_run_tells_each_owner_of_their_own_apps_errors_only(mail, alice, bob, olga):
    mine, theirs = make_app(alice), make_app(bob, name="ledger")
    run = SizingRun.objects.create(
        trigger="nightly", status=RunStatus.RUNNING, total_chunks=2, done_chunks=2
    )
    run.errors.create(application=mine, chunk_index=0, message="alice's VM pay-01 has no size")
    run.errors.create(application=theirs, chunk_index=1, message="bob's VM led-07 has no size")
    finish_run_if_done(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.PARTIAL
    notifications.send_pending()
    [to_alice] = mail.to("alice@example.com")
    text = parts(to_alice)[0]
    assert "alice's VM pay-01" in text and "bob's" not in text and "led-07" not in text
    assert "1 error(s) recorded for your apps." in text
    assert f"{PORTAL}/apps/{mine.pk}/" in text, "an owner cannot open an estate run's page"
    assert "bob's VM led-07" in parts(mail.to("bob@example.com")[0])[0]
    assert not mail.to("olga@example.com"), "the owners can act on it"


@pytest.mark.django_db
def test_without_smtp_settings_the_message_is_shown_in_the_portal(settings, alice, carol):
    settings.EMAIL_HOST = ""
    plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    row = Notification.objects.get(recipient=carol)
    assert (row.channel, row.status) == (Channel.PORTAL, DeliveryStatus.SHOWN)
    assert notifications.send_pending() == {"due": 0, "sent": 0}
    rev = plans.approve_revision(
        PlanRevision.objects.get(pk=row.url.rstrip("/").rsplit("/")[-1]), carol
    )
    assert notifications.notify_due(rev.decided_at + timedelta(days=340)) == 1  # review soon
    assert Notification.objects.filter(recipient=alice, channel=Channel.PORTAL).count() == 2


# --- real workers and beat ----------------------------------------------------------------------


class Beat:
    """A real `celery beat` that runs the notification sweep every second."""

    def __init__(self, redis, env):
        self.log = VAR / f"test-beat-{os.getpid()}.log"
        self.schedule = VAR / f"test-beat-{os.getpid()}.schedule"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "-s",
                str(self.schedule),
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "portal.settings_test",
                "REDIS_URL": redis.url,
                "NOTIFY_SWEEP_SECONDS": "1",
                "PDF_SWEEP_SECONDS": "3600",
                **env,
            },
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        for path in self.schedule.parent.glob(self.schedule.name + "*"):
            path.unlink(missing_ok=True)


@pytest.mark.integration
def test_smtp_down_then_back_through_the_worker_and_beat_sends_exactly_once(
    redis, start_worker, smtp, settings, alice, carol
):
    reference.load(django_apps)  # a transactional test may follow one that flushed it
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.PORTAL_URL = PORTAL  # the links are written with the event, in this process
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "NOTIFY_RETRY_SECONDS": "1",
        "PORTAL_URL": PORTAL,
        "PDF_RENDER_WAIT_SECONDS": "0",
    }
    start_worker("reports", **env)
    smtp.stop()
    rev = plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    row = Notification.objects.get(recipient=carol)

    # The worker took it at once, found the SMTP server down and left it pending with why.
    row = wait_until(
        lambda: Notification.objects.filter(pk=row.pk, attempts__gte=1).first(),
        "the worker's first try",
    )
    assert row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    assert row.last_error and not smtp.received

    beat = Beat(redis, {**env, "DATABASE_URL": database_url()})
    try:
        time.sleep(3)  # a few sweeps while the server is still down: all fail, none lost
        smtp.start()
        wait_until(
            lambda: Notification.objects.filter(pk=row.pk, status=DeliveryStatus.SENT).exists(),
            "the sweep's send once SMTP is back",
        )
        time.sleep(3)  # more sweeps: nothing is sent twice
    finally:
        beat.stop()
    [msg] = smtp.to("carol@example.com")
    assert f"{PORTAL}/plans/{rev.pk}/" in parts(msg)[0]
    row.refresh_from_db()
    assert row.attempts >= 2 and row.sent_at is not None


@pytest.mark.integration
def test_a_message_queued_while_no_worker_runs_is_sent_when_one_starts(
    redis, start_worker, smtp, settings, alice, carol
):
    reference.load(django_apps)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    row = Notification.objects.get(recipient=carol)
    assert row.status == DeliveryStatus.PENDING and not smtp.received

    start_worker("reports", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port))
    wait_until(
        lambda: Notification.objects.filter(pk=row.pk, status=DeliveryStatus.SENT).exists(),
        "the send queued before the worker started",
    )
    assert len(smtp.to("carol@example.com")) == 1
