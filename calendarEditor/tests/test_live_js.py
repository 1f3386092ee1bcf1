"""static/js/live.js in headless Chromium, against a scripted socket and fragment server.

Playwright stands in for the server: it answers the page's WebSocket (so the
test decides every hint, close and pong) and its fragment fetches (counting
them, and numbering each render). Skipped with a reason where Playwright or
Debian's chromium is missing; CI (REQUIRE_SERVICES=1) fails instead.
"""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from calendarEditor.tests.test_live_browser import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip

pytestmark = pytest.mark.browser

ORIGIN = "http://live.test"
LIVE_JS = Path(settings.BASE_DIR) / "static" / "js" / "live.js"
FRAGMENTS = {
    "board": 'data-live-machines="*" data-live-versions="1:5 2:3"',
    "one": 'data-live-machines="1" data-live-versions="1:5"',
    "mine": "data-live-user",
}
WAIT_MS = 3000


def fragment(name: str, render: int) -> str:
    field = '<form onsubmit="event.preventDefault()"><input id="note-{n}" name="note"></form>'
    return (
        f'<div id="{name}" data-fragment-url="/fragments/{name}" {FRAGMENTS[name]}>'
        f'<span class="render">{name} render {render}</span>{field.format(n=name)}</div>'
    )


def page_html() -> str:
    parts = [fragment(name, 0) for name in FRAGMENTS]
    return (
        "<!doctype html><html><head><title>live</title></head><body>"
        + render_to_string("fragments/live_indicator.html")
        + "".join(parts)
        + '<div style="height:4000px"></div>'
        + '<script src="/static/js/live.js"></script></body></html>'
    )


class FakeSite:
    """The page's server: one scripted socket at a time, and counted fragment renders."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.renders: Counter[str] = Counter()
        self.sockets: list[Any] = []
        self.received: list[dict[str, Any]] = []
        page.route(f"{ORIGIN}/**", self.http)
        page.route_web_socket("ws://live.test/ws/live/", self.socket)

    def http(self, route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/page":
            route.fulfill(body=page_html(), content_type="text/html")
        elif path == "/static/js/live.js":
            route.fulfill(body=LIVE_JS.read_text(), content_type="text/javascript")
        elif path.startswith("/fragments/"):
            name = path.removeprefix("/fragments/")
            self.renders[name] += 1
            route.fulfill(body=fragment(name, self.renders[name]), content_type="text/html")
        else:
            route.fulfill(status=404, body="")

    def socket(self, ws: Any) -> None:
        self.sockets.append(ws)
        ws.on_message(lambda message: self.received.append(json.loads(message)))

    def hint(self, **message: Any) -> None:
        self.sockets[-1].send(json.dumps(message))

    def hello(self, versions: dict[str, int] | None = None) -> None:
        self.hint(type="hello", versions=versions or {"1": 5, "2": 3})

    def text(self, name: str) -> str:
        return self.page.inner_text(f"#{name} .render")

    def settle(self, ms: int = 400) -> None:
        """Give the page time to do what it should not (any fetch starts within 250 ms)."""
        self.page.wait_for_timeout(ms)

    def rendered(self, *names: str) -> None:
        """Wait until each named fragment shows its first re-fetched render."""
        for name in names:
            self.page.wait_for_function(
                f"document.querySelector('#{name} .render').textContent === '{name} render 1'",
                timeout=WAIT_MS,
            )

    def wait_for_sockets(self, count: int, within_ms: int = WAIT_MS) -> None:
        waited = 0
        while len(self.sockets) < count and waited < within_ms:
            self.page.wait_for_timeout(50)
            waited += 50
        assert len(self.sockets) == count, f"{len(self.sockets)} sockets, expected {count}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(browser: Any) -> Iterator[FakeSite]:
    context = browser.new_context()
    page = context.new_page()
    fake = FakeSite(page)
    page.goto(f"{ORIGIN}/page")
    fake.wait_for_sockets(1)
    fake.hello()
    page.wait_for_function(
        "document.getElementById('live-indicator').dataset.state === 'live'", timeout=WAIT_MS
    )
    yield fake
    context.close()


def test_connects_shows_live_and_subscribes_to_the_pages_machines(site):
    site.settle(200)
    assert site.received == [{"subscribe": [1]}]
    assert site.page.inner_text("#live-indicator") == "Live"
    assert sum(site.renders.values()) == 0, "nothing missed: nothing re-fetched"


def test_a_hint_refreshes_only_the_fragments_showing_that_machine(site):
    site.hint(type="queue.changed", machine=2, version=4)
    site.rendered("board")
    site.settle()
    assert site.renders == {"board": 1}
    site.hint(type="queue.changed", machine=2, version=4)  # the same hint by another group
    site.settle()
    assert site.renders == {"board": 1}


def test_a_version_gap_refreshes_every_fragment(site):
    site.hint(type="queue.changed", machine=1, version=7)  # 6 never arrived
    site.rendered("board", "one", "mine")
    site.settle()
    assert site.renders == {"board": 1, "one": 1, "mine": 1}


def test_the_members_own_entries_refresh_only_their_fragment(site):
    site.hint(type="entries.changed", entry=12)
    site.rendered("mine")
    site.settle()
    assert site.renders == {"mine": 1}


def test_a_focused_field_holds_the_swap_until_it_loses_focus(site):
    site.page.focus("#note-one")
    site.hint(type="queue.changed", machine=1, version=6)
    site.settle()
    assert site.text("one") == "one render 0"
    site.page.focus("#note-board")  # focus leaves the fragment
    site.rendered("one")


def test_a_half_filled_form_is_kept_until_it_is_submitted(site):
    site.page.fill("#note-one", "half a thought")
    site.page.focus("#note-board")
    site.hint(type="queue.changed", machine=1, version=6)
    site.settle()
    assert site.page.input_value("#note-one") == "half a thought"
    site.page.press("#note-one", "Enter")
    site.rendered("one")


def test_the_scroll_position_survives_a_swap(site):
    site.page.evaluate("window.scrollTo(0, 1500)")
    site.hint(type="queue.changed", machine=1, version=6)
    site.rendered("one")
    assert site.page.evaluate("window.scrollY") == 1500


def test_a_pong_showing_a_missed_change_refreshes_everything(site):
    site.hint(type="pong", versions={"1": 5, "2": 9})
    site.rendered("board", "one", "mine")
    site.settle()
    assert site.renders == {"board": 1, "one": 1, "mine": 1}


def test_notifications_reach_the_bell_as_a_dom_event(site):
    site.page.evaluate(
        "window.bells = 0;"
        "document.body.addEventListener('notifications:changed', () => window.bells++)"
    )
    site.hint(type="notifications.changed")
    site.page.wait_for_function("window.bells === 1")


def test_a_dropped_socket_reconnects_and_catches_up(site):
    site.sockets[-1].close(code=4503, reason="layer down")
    site.page.wait_for_function(
        "document.getElementById('live-indicator').dataset.state === 'reconnecting'"
    )
    site.wait_for_sockets(2, within_ms=1500)  # the first retry comes within a second
    site.hello()
    site.rendered("board", "one", "mine")
    site.settle()
    assert site.page.inner_text("#live-indicator") == "Live"
    assert site.renders == {"board": 1, "one": 1, "mine": 1}


@pytest.mark.parametrize("code", [4401, 4403])
def test_a_refused_member_is_not_retried(site, code):
    site.sockets[-1].close(code=code, reason="refused")
    site.page.wait_for_timeout(2500)
    assert len(site.sockets) == 1
    assert site.page.is_hidden("#live-indicator")
