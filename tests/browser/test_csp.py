"""The Content-Security-Policy in a real browser: every page of the portal, the admin and the
API docs loads, works and breaks no rule of the policy.

Chromium reports each violation on the console ("Refused to ... because it violates the
following Content Security Policy directive") and to the policy's report-uri; the test collects
the console's and fails on any. A first test proves the watch sees a violation (an inline style
injected into a page) and that the report reaches /csp-report/.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PASSWORD = "csp-pw"


@pytest.fixture
def sized_demo(transactional_db, redis):
    from planner.demo import seed
    from planner.models import Application
    from planner.services.sizing import size_and_save

    seed(apps=4, vms=24, seed=3, password=PASSWORD)
    size_and_save(list(Application.objects.values_list("id", flat=True)))


class Watch:
    """CSP violations and script errors of a page, as the console and the page report them."""

    def __init__(self, page):
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def clear(self):
        self.violations.clear()
        self.errors.clear()


def visit(page, watch, url, *, ready="body"):
    """Open ``url``, wait until it has settled, and return the policy it was served with."""
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, (url, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert watch.violations == [], (url, watch.violations)
    assert watch.errors == [], (url, watch.errors)
    return policy


def sign_in(page, base, username, path="/login/", submit="button[type=submit]"):
    page.goto(base + path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(submit)
    page.wait_for_load_state("networkidle")


def test_the_watch_sees_a_violation_and_the_report_reaches_the_server(
    sized_demo, live_server, browser_page, caplog
):
    page, base = browser_page, live_server.url
    watch = Watch(page)
    visit(page, watch, base + "/login/")
    with page.expect_request(re.compile(r".*/csp-report/$")) as sent:
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )
    assert sent.value.method == "POST"
    page.wait_for_load_state("networkidle")
    assert watch.violations and "style-src" in watch.violations[0]
    response = page.request.post(
        base + "/csp-report/",
        data='{"csp-report": {"document-uri": "x", "violated-directive": "style-src-attr"}}',
        headers={"Content-Type": "application/csp-report"},
    )
    assert response.status == 204


def test_portal_pages_keep_to_the_policy(sized_demo, live_server, browser_page):
    from planner.models import Application, SizingRun, VirtualMachine
    from planner.services import plans

    page, base = browser_page, live_server.url
    watch = Watch(page)
    visit(page, watch, base + "/login/")
    sign_in(page, base, "owner")
    app = Application.objects.filter(owner__username="owner").order_by("pk").first()
    rev = plans.create_revision(app, app.owner)
    vm = VirtualMachine.objects.filter(application=app).first()
    run = SizingRun.objects.first()
    for path, ready in (
        ("/", "main"),
        ("/apps/", "table"),
        (f"/apps/{app.pk}/", "#plans table, #plans .panel, #plans p"),
        (f"/apps/{app.pk}/edit/", "#app-form"),
        ("/vms/", "table"),
        (f"/vms/{vm.pk}/", "main"),
        (f"/vms/{vm.pk}/edit/", "form"),
        ("/import/", "form"),
        (f"/plans/{rev.pk}/", "main"),
        (f"/plans/{rev.pk}/verify/", "form"),
    ):
        visit(page, watch, base + path, ready=ready)
    if run is not None:
        visit(page, watch, base + f"/runs/{run.pk}/", ready="[role=progressbar]")
        width = page.eval_on_selector("[role=progressbar] .bar", "b => b.style.width")
        assert width == f"{run.percent}%"  # set by portal.js, not a style attribute

    # The app form re-renders itself on a change (htmx, a "refresh" event, no eval).
    visit(page, watch, base + f"/apps/{app.pk}/edit/", ready="#app-form")
    with page.expect_response(lambda r: r.request.method == "POST" and "/edit/" in r.url) as r:
        page.check("#id_allow_azure") if not page.is_checked("#id_allow_azure") else page.uncheck(
            "#id_allow_azure"
        )
    assert r.value.status == 200
    page.wait_for_load_state("networkidle")
    assert watch.violations == [] and watch.errors == []


def test_admin_pages_keep_to_the_policy(sized_demo, live_server, browser_page):
    from planner.models import Application

    page, base = browser_page, live_server.url
    watch = Watch(page)
    visit(page, watch, base + "/admin/login/")
    sign_in(page, base, "operator", path="/admin/login/", submit="input[type=submit]")
    app = Application.objects.order_by("pk").first()
    for path in (
        "/admin/",
        "/admin/overview/",
        "/admin/planner/application/",
        f"/admin/planner/application/{app.pk}/change/",
        "/admin/planner/virtualmachine/",
        "/admin/axes/accessattempt/",
        "/admin/auth/user/",
    ):
        visit(page, watch, base + path, ready="#content")
    assert page.locator("figure svg.chart").count() == 0  # the user list has no chart
    visit(page, watch, base + "/admin/overview/", ready="figure svg.chart")


def test_the_api_docs_work_under_the_policy(sized_demo, live_server, browser_page):
    page, base = browser_page, live_server.url
    watch = Watch(page)
    visit(page, watch, base + "/api/v1/docs/", ready=".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 20
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.wait_for_selector(".swagger-ui .opblock-body")
    page.wait_for_load_state("networkidle")
    assert watch.violations == [] and watch.errors == []
