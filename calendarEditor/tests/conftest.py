"""Fixtures shared by the calendarEditor tests (the project-wide ones are in the root conftest)."""

import pytest
import time_machine

from calendarEditor.tests.due_support import START


@pytest.fixture
def clock():
    """Time stopped at due_support.START; ``clock.shift`` and ``clock.move_to`` move it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
