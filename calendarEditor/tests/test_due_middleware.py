"""DueWorkMiddleware: throttled, off the request path, and free for the pages' query counts."""

import asyncio
import threading

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calendarEditor import middleware
from calendarEditor.middleware import DueWorkMiddleware, _Throttle, throttle
from calendarEditor.models import ClosedWindow, JobState, QueueSchedule
from calendarEditor.services import due_work
from calendarEditor.tests.due_support import START, hours, queued

MIDDLEWARE_PATH = "calendarEditor.middleware.DueWorkMiddleware"
WITH_MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE_PATH]


@pytest.fixture
def runs(monkeypatch):
    """Replace the work with a recorder; returns the names of the threads it ran in."""
    calls: list[str] = []

    def fake() -> None:
        calls.append(threading.current_thread().name)
        throttle.finished()

    throttle.reset()
    monkeypatch.setattr(middleware, "run_in_background", fake)
    yield calls
    join()
    throttle.reset()


def join() -> None:
    for thread in list(middleware._threads):
        thread.join(timeout=5)


def test_the_throttle_allows_one_run_a_minute_and_one_at_a_time():
    gate = _Throttle()
    assert gate.try_start(60, now=0)
    assert not gate.try_start(60, now=100)  # still running
    gate.finished()
    assert not gate.try_start(60, now=59.9)
    assert gate.try_start(60, now=60)


@pytest.mark.django_db
@override_settings(MIDDLEWARE=WITH_MIDDLEWARE, DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=60)
def test_page_loads_start_the_work_at_most_once_a_minute_in_a_background_thread(client, runs):
    for _ in range(3):
        assert client.get(reverse("schedule-health")).status_code in (200, 503)
        join()
    assert runs == ["due-work"]
    assert threading.current_thread().name != "due-work"


@pytest.mark.django_db
@override_settings(MIDDLEWARE=WITH_MIDDLEWARE, DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=0)
def test_an_interval_of_zero_switches_the_middleware_off(client, runs):
    client.get(reverse("schedule-health"))
    join()
    assert runs == []


@pytest.mark.django_db
@override_settings(DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=60)
def test_the_work_starts_only_once_the_response_is_sent(runs):
    handler = DueWorkMiddleware(lambda request: HttpResponse("page"))
    response = handler(RequestFactory().get("/schedule/"))
    join()
    assert runs == []
    response.close()  # what the server does after the last byte
    join()
    assert runs == ["due-work"]


@pytest.mark.django_db
@override_settings(DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=60)
def test_the_middleware_works_under_asgi(runs):
    async def view(request):
        return HttpResponse("page")

    handler = DueWorkMiddleware(view)
    response = asyncio.run(handler(RequestFactory().get("/schedule/")))
    assert response.content == b"page"
    assert runs == []
    response.close()
    join()
    assert runs == ["due-work"]


@pytest.mark.django_db
@override_settings(DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS="often")
def test_a_bad_setting_never_fails_the_page(runs, caplog):
    handler = DueWorkMiddleware(lambda request: HttpResponse("page"))
    response = handler(RequestFactory().get("/schedule/"))
    response.close()
    assert response.status_code == 200
    assert runs == []
    assert "due work was not started" in caplog.text


def test_a_failing_run_is_logged_and_frees_the_throttle(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(due_work, "run_due_work", broken)
    throttle.reset()
    assert throttle.try_start(60, now=0)
    middleware.run_in_background()
    assert "due work from the middleware failed" in caplog.text
    assert throttle.try_start(60, now=60)
    throttle.reset()


# --- The pages pay nothing for it ----------------------------------------------------


def page_costs(client, hidalgo) -> dict[str, int]:
    costs = {}
    for name, url in {
        "board": reverse("schedule-board"),
        "machine": reverse("schedule-machine", args=[hidalgo.pk]),
        "board fragment": reverse("schedule-fragment-board"),
        "machine fragment": reverse("schedule-fragment-machine-queue", args=[hidalgo.pk]),
    }.items():
        caches["rendered"].clear()  # a board rendered afresh each time, as in the baseline
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        join()
        costs[name] = len(captured.captured_queries)
    return costs


@pytest.mark.django_db
def test_board_and_machine_pages_cost_the_same_with_the_due_work_in_place(
    client, alice, bob, sam, hidalgo, griffin, runs
):
    queued(alice, hidalgo, sam, "First")
    queued(bob, hidalgo, sam, "Second")
    client.force_login(alice)
    with override_settings(DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=0):
        baseline = page_costs(client, hidalgo)

    schedule = QueueSchedule.objects.create(machine=hidalgo, applied_state="open")
    ClosedWindow.objects.create(
        schedule=schedule, starts_at=START, ends_at=START + hours(2), reason="x"
    )
    JobState.objects.create(name="pruning")
    with override_settings(MIDDLEWARE=WITH_MIDDLEWARE, DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS=60):
        throttle.reset()
        fresh_client = Client()  # a client builds its middleware chain on first use
        fresh_client.force_login(alice)
        assert page_costs(fresh_client, hidalgo) == baseline
    assert runs == ["due-work"]  # it did run, in its own thread, outside the count
