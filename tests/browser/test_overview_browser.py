"""The operators' estate overview in a real browser (Debian's chromium through Playwright) against
a live server on a sized demo estate:

the admin login first, then the overview with its at-a-glance tiles and SVG charts; a figure of
the protection table clicked through to exactly the VMs it counts, and on to one of them in the
admin; a bar of the stand-by memory chart clicked through to the apps it sums; an owner refused.
Screenshots go to test-output/overview*.png.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PASSWORD = "overview-pw"


@pytest.fixture
def sized_demo(transactional_db, redis):
    """The demo estate (its operator and owner accounts too), sized once."""
    from planner.demo import seed
    from planner.models import Application
    from planner.services.sizing import size_and_save

    seed(apps=24, vms=150, seed=5, password=PASSWORD)
    size_and_save(list(Application.objects.values_list("id", flat=True)))


def undecided_vm_names(cloud) -> set[str]:
    """VMs of the cloud unprotected with no recorded decision, computed here from the rows."""
    from planner.models import VirtualMachine

    names = set()
    for vm in VirtualMachine.objects.filter(subscription__cloud=cloud).select_related(
        "application"
    ):
        app = vm.application
        protected = vm.opted_in and app.scheme != "none"
        decided = bool(app.no_protection_why) and app.no_protection_at is not None
        if not protected and not decided:
            names.add(vm.name)
    return names


def test_operator_sees_the_estate_and_drills_into_a_figure(
    sized_demo, live_server, browser_page, output_dir
):
    from planner.models import AppResult, Cloud

    page, base = browser_page, live_server.url

    # Not signed in: the admin's login, which comes back to the overview.
    page.goto(base + "/admin/overview/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/overview/$"))
    assert page.inner_text("#content h1") == "Estate overview"

    # At a glance: protection, capacity and cost on the first screen.
    glance = page.locator("#glance")
    assert glance.is_visible()
    top = glance.bounding_box()
    assert top["y"] + top["height"] < 900
    text = glance.inner_text()
    for words in ("of the VMs protected", "targets short of capacity now", "next 12 months"):
        assert words in text
    assert page.locator("figure svg.chart").count() == 8
    page.screenshot(path=str(output_dir / "overview.png"), full_page=True)

    # A figure: the unprotected VMs without a decision in ASH Frankfurt, clicked through.
    frankfurt = Cloud.objects.get(name="ASH Frankfurt")
    expected = undecided_vm_names(frankfurt)
    assert expected
    row = page.locator("#protection table.ov-table tr", has_text="ASH Frankfurt").first
    link = row.locator("a[href^='/admin/overview/vms/'][href*='state=undecided']")
    assert link.inner_text() == str(len(expected))
    link.click()
    page.wait_for_url(re.compile(r".*/admin/overview/vms/\?.*state=undecided"))
    assert page.inner_text("#content h1") == (
        "VMs: Unprotected, no decision; in cloud ASH Frankfurt"
    )
    listed = set(page.locator("table.ov-table tbody tr td:first-child a").all_inner_texts())
    assert listed == expected  # fewer than a page of 50
    page.screenshot(path=str(output_dir / "overview-drilldown.png"), full_page=True)

    # On to one of those VMs in the admin.
    first = sorted(expected)[0]
    page.click(f"table.ov-table a:text-is('{first}')")
    page.wait_for_url(re.compile(r".*/admin/planner/virtualmachine/\d+/change/"))
    assert page.input_value("#id_name") == first

    # A bar of a chart: Munich's stand-by memory, clicked through to the apps it sums.
    page.goto(base + "/admin/overview/#capacity")
    munich = Cloud.objects.get(name="ASH Munich")
    page.locator(f"figure svg a[href$='standby={munich.pk}'] rect").first.click()
    page.wait_for_url(re.compile(rf".*/admin/overview/apps/\?standby={munich.pk}$"))
    apps = set(page.locator("table.ov-table tbody tr td:first-child a").all_inner_texts())
    assert apps == set(
        AppResult.objects.filter(
            application__recovery_target=munich, standby_memory_gib__gt=0
        ).values_list("application__name", flat=True)
    )
    assert apps


def test_an_owner_is_refused(sized_demo, live_server, browser_page):
    page, base = browser_page, live_server.url
    page.goto(base + "/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.goto(base + "/admin/overview/").status == 403
    assert page.goto(base + "/admin/overview/export/cost-by-target.csv").status == 403
