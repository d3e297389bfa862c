"""The header's unread notifications in a real browser (no SMTP settings: the portal channel):
an approver sees the plan waiting for them, opens it from the header, and the count is gone.
Screenshots of the header list and the notifications page go to test-output/."""

from __future__ import annotations

import re

import pytest
from django.apps import apps as django_apps

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_an_approver_opens_a_submitted_plan_from_the_header(
    live_server, browser_page, output_dir, settings, alice, carol
):
    from planner import reference
    from planner.services import plans
    from tests.integration.test_plans import make_app

    reference.load(django_apps)  # a transactional test may follow one that flushed it
    settings.EMAIL_HOST = ""
    rev = plans.submit_revision(plans.create_revision(make_app(alice), alice), alice, "Q3")
    page, base = browser_page, live_server.url

    page.goto(base + "/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", "pw-carol")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.inner_text("#unread-count") == "1"
    page.click(".notif summary")
    link = page.locator(".notif-menu a", has_text="Plan to approve: payroll r1")
    assert link.is_visible()
    page.screenshot(path=str(output_dir / "notifications-01-header.png"))
    link.click()
    page.wait_for_url(re.compile(rf".*/plans/{rev.pk}/$"))
    assert page.locator("#unread-count").count() == 0

    page.goto(base + "/notifications/")
    assert "Plan to approve: payroll r1" in page.inner_text("table.notifications")
    page.screenshot(path=str(output_dir / "notifications-02-list.png"), full_page=True)
