"""The browser fixture the browser tests share: Debian's chromium driven by Playwright."""

from __future__ import annotations

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """A headless chromium (/usr/bin/chromium; Playwright cannot download one), started once for
    the tests of a module: each test still gets a context of its own (browser_page)."""
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are safe.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh context (no cookies, storage or cache from an earlier test)."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()
