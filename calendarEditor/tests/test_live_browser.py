"""Two members in headless Chromium: one watches a machine's page, the other submits and cancels.

The site runs in a daphne process of its own (on a SQLite file, with the
in-memory channel layer: one process serves both members). Skipped with a
reason where Playwright or Debian's chromium is missing; CI
(REQUIRE_SERVICES=1) fails instead.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calendarEditor.tests.test_live_support_servers import Daphne, LiveSite, site_template
from mysite.testing import unavailable

__all__ = ["site_template"]

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_WITHIN_MS = 5000


def playwright_or_skip() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("needs Playwright for Python (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        unavailable(f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(tmp_path: Path, site_template: Path) -> Iterator[tuple[LiveSite, Daphne]]:
    live = LiveSite(tmp_path, debug=True).create(site_template)
    server = live.daphne()
    yield live, server
    live.stop()


def signed_in(browser: Any, server: Daphne, session: str) -> Any:
    context = browser.new_context(base_url=server.origin)
    context.add_cookies([{"name": "sessionid", "value": session, "url": server.origin}])
    return context.new_page()


def test_a_machine_page_shows_anothers_submit_and_cancel_without_reloading(browser, site):
    from playwright.sync_api import expect

    live, server = site
    griffin = live.machines["Griffin"]
    bob = signed_in(browser, server, live.people["bob"].session)
    alice = signed_in(browser, server, live.people["alice"].session)

    bob.goto(f"/schedule/machines/{griffin}/")
    expect(bob.locator("#live-indicator")).to_have_attribute(
        "data-state", "live", timeout=LIVE_WITHIN_MS
    )
    queue = bob.locator("#machine-queue")
    expect(queue).to_contain_text("Nobody is waiting")
    bob.evaluate("window.__sameDocument = true")

    alice.goto("/schedule/submit/")
    alice.fill("#id_title", "Alice optics run")
    alice.fill("#id_estimated_duration", "6")
    alice.fill("#id_required_min_temp", "2")
    alice.check("#id_optical")  # only Griffin has optical access
    alice.get_by_role("button", name="Submit to the queue").click()
    expect(alice).to_have_url(re.compile(r"/schedule/entries/\d+/$"))

    expect(queue).to_contain_text("Alice optics run", timeout=LIVE_WITHIN_MS)
    assert bob.evaluate("window.__sameDocument") is True, "the page must not reload"

    alice.once("dialog", lambda dialog: dialog.accept())
    alice.get_by_role("button", name="Cancel").click()
    expect(alice.locator(".messages")).to_contain_text("ancel")

    expect(queue).not_to_contain_text("Alice optics run", timeout=LIVE_WITHIN_MS)
    expect(queue).to_contain_text("Nobody is waiting")
    assert bob.evaluate("window.__sameDocument") is True
