"""Notifications in the portal (no SMTP settings): the header's unread list, the list page,
opening one (marks it read, goes to its page), marking all read, preferences; a user sees only
their own; no inline styles or scripts (the CSP)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from planner.models import Notification, NotificationOptOut
from planner.services import plans
from tests.integration.test_plans import make_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_smtp(settings):
    settings.EMAIL_HOST = ""
    settings.PORTAL_URL = "http://testserver"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def submitted(alice, carol):
    return plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)


def test_the_header_lists_unread_notifications_and_opening_one_marks_it_read(submitted, carol):
    c = client_for(carol)
    page = c.get(reverse("dashboard")).content.decode()
    assert re.search(r'id="unread-count">1<', page)
    row = Notification.objects.get(recipient=carol)
    assert f'href="/notifications/{row.pk}/">Plan to approve: payroll r1</a>' in page
    for bad in ("style=", "<style", "<script>", " onclick="):
        assert bad not in page.split("<header", 1)[1].split("</header>")[0]

    response = c.get(reverse("notification-open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == f"/plans/{submitted.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None
    assert 'id="unread-count"' not in c.get(reverse("dashboard")).content.decode()

    listing = c.get(reverse("notification-list")).content.decode()
    assert "Plan to approve: payroll r1" in listing and "in the portal" in listing


def test_mark_all_read_and_nobody_opens_another_users_notification(submitted, alice, carol):
    row = Notification.objects.get(recipient=carol)
    assert client_for(alice).get(reverse("notification-open", args=[row.pk])).status_code == 404
    assert (
        "Plan to approve"
        not in client_for(alice).get(reverse("notification-list")).content.decode()
    )
    c = client_for(carol)
    assert c.get(reverse("notification-read-all")).status_code == 405  # a change is a POST
    response = c.post(reverse("notification-read-all"), follow=True)
    assert "1 notification(s) marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=carol, read_at__isnull=True).exists()


def test_preferences_choose_what_a_user_receives(alice, carol):
    c = client_for(carol)
    page = c.get(reverse("notification-preferences")).content.decode()
    assert page.count('type="checkbox" name="kinds"') == 8 and page.count(" checked") == 8
    response = c.post(
        reverse("notification-preferences"), {"kinds": ["plan_approved", "run_failed"]}
    )
    assert response.status_code == 302
    assert set(NotificationOptOut.objects.filter(user=carol).values_list("kind", flat=True)) == {
        "plan_submitted",
        "plan_rejected",
        "plan_stale",
        "review_soon",
        "review_overdue",
        "drill_overdue",
    }
    plans.submit_revision(plans.create_revision(make_app(alice), alice), alice)
    assert not Notification.objects.filter(recipient=carol).exists()

    bad = c.post(reverse("notification-preferences"), {"kinds": ["plan_approved", "\x00evil"]})
    assert bad.status_code == 200 and "Unknown kind(s)" in bad.content.decode()
    assert NotificationOptOut.objects.filter(user=carol).count() == 6, "nothing changed"

    c.post(reverse("notification-preferences"), {"kinds": ["plan_submitted"]})
    page = c.get(reverse("notification-preferences")).content.decode()
    assert page.count(" checked") == 1


def test_signed_out_users_are_sent_to_sign_in(submitted):
    for name in ("notification-list", "notification-preferences"):
        assert "/login/" in Client().get(reverse(name))["Location"]
