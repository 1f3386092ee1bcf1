"""Shared fixtures; the fakes themselves live in helpers.py."""

from __future__ import annotations

import logging

import pytest

from .helpers import FakeClock, FakeInstrument, FakeSite


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield
    # main() takes the logger over; give it back to pytest's caplog.
    logger = logging.getLogger("gateway")
    logger.handlers[:] = []
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


@pytest.fixture
def instrument():
    server = FakeInstrument()
    yield server
    server.stop()


@pytest.fixture
def site():
    server = FakeSite()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
