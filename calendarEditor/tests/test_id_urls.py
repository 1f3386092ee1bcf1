"""id_url: reverse() for one-id URLs, reversed once per name."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from calendarEditor.id_urls import id_url

ONE_ID_VIEWS = [
    "schedule-entry",
    "schedule-machine",
    "schedule-entry-cancel",
    "schedule-staff-move",
    "schedule-staff-queue",
]


@pytest.mark.parametrize("name", ONE_ID_VIEWS)
@pytest.mark.parametrize("pk", [1, 42, 8675309421, 10**12])
def test_it_gives_what_reverse_gives(name, pk):
    assert id_url(name, pk) == reverse(name, args=[pk])


def test_it_follows_the_script_prefix():
    set_script_prefix("/lab/")
    try:
        assert id_url("schedule-entry", 7) == reverse("schedule-entry", args=[7])
        assert id_url("schedule-entry", 7).startswith("/lab/")
    finally:
        clear_script_prefix()
    assert not id_url("schedule-entry", 7).startswith("/lab/")


@pytest.mark.parametrize("name", ["schedule-my-queue", "schedule-staff-reassign-options"])
def test_a_view_without_exactly_one_id_is_refused(name):
    with pytest.raises((ImproperlyConfigured, NoReverseMatch)):
        id_url(name, 3)


def test_an_id_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        id_url("schedule-entry", "3/../../admin")


def test_the_template_filter():
    template = engines["django"].from_string(
        '{% load queue_tags %}{{ pk|id_url:"schedule-entry-cancel" }}'
    )
    assert template.render({"pk": 5}) == reverse("schedule-entry-cancel", args=[5])
