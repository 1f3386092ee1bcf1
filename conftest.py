"""Shared fixtures: named people and a small fleet of machines.

alice and bob are approved members, sam is staff, charlie has no access
(his account still awaits approval), and suspended_sue was approved once.
"""

from collections.abc import Callable
from typing import Any

import pytest

from calendarEditor.models import Machine
from calendarEditor.services import matching
from calendarEditor.services.submission import EntryRequest

pytest_plugins = ["calendarEditor.tests.archive_support"]


def make_user(
    django_user_model: Any, username: str, *, status: str = "approved", staff: bool = False
) -> Any:
    user = django_user_model.objects.create_user(
        username=username,
        email=f"{username}@lab.example",
        password="correct horse battery staple",
        first_name=username.capitalize(),
        last_name="Tester",
        is_staff=staff,
    )
    user.profile.approval_status = status
    user.profile.save(update_fields=["approval_status"])
    return user


@pytest.fixture(autouse=True)
def _fresh_rendered_cache() -> None:
    """Rendered HTML is keyed by what it shows; rolled-back tests can repeat those keys."""
    from django.core.cache import caches

    caches["rendered"].clear()


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return make_user(django_user_model, "alice")


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return make_user(django_user_model, "bob")


@pytest.fixture
def sam(django_user_model: Any) -> Any:
    return make_user(django_user_model, "sam", staff=True)


@pytest.fixture
def charlie(django_user_model: Any) -> Any:
    return make_user(django_user_model, "charlie", status="pending")


@pytest.fixture
def suspended_sue(django_user_model: Any) -> Any:
    return make_user(django_user_model, "sue", status="suspended")


MACHINE_DEFAULTS: dict[str, Any] = {
    "min_temp": 0.01,
    "max_temp": 300,
    "max_field_x": 0,
    "max_field_y": 0,
    "max_field_z": 9,
    "field_direction": "both",
    "dc_lines": 48,
    "rf_lines": 32,
    "daughterboards": ["QBoard II", "DIP"],
    "optical_access": False,
    "capabilities": [],
    "cooldown_hours": 12,
    "warmup_hours": 3,
}


@pytest.fixture
def make_machine(db: None) -> Callable[..., Machine]:
    def factory(name: str, **overrides: Any) -> Machine:
        return Machine.objects.create(name=name, **{**MACHINE_DEFAULTS, **overrides})

    return factory


@pytest.fixture
def hidalgo(make_machine: Callable[..., Machine]) -> Machine:
    return make_machine("Hidalgo", max_field_x=1, max_field_y=1, max_field_z=6)


@pytest.fixture
def griffin(make_machine: Callable[..., Machine]) -> Machine:
    return make_machine(
        "Griffin",
        max_field_z=12,
        optical_access=True,
        daughterboards=["QBoard I", "QBoard II", "DIP"],
    )


def entry_request(
    title: str = "Hall bar sweep", hours: float = 10, **requirements: Any
) -> EntryRequest:
    return EntryRequest(
        title=title,
        estimated_hours=hours,
        requirements=matching.Requirements(**requirements),
        description="",
    )
