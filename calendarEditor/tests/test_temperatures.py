"""What members see of the readings: the latest temperature, its age, and the history chart."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import Machine, TemperatureReading
from calendarEditor.services import gateway, temperatures

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def machine_at(kelvin, read_at):
    # The state is computed from the machine's own fields; no database needed.
    return Machine(name="Hidalgo", current_temperature=kelvin, temperature_updated_at=read_at)


def add_readings(machine, points):
    TemperatureReading.objects.bulk_create(
        TemperatureReading(machine=machine, read_at=at, kelvin=k, reading_id=uuid.uuid4().hex)
        for at, k in points
    )


def render_state(state):
    return " ".join(render_to_string("fragments/temperature.html", {"state": state}).split())


# --- The latest temperature -------------------------------------------------


def test_a_fresh_reading_shows_its_value_and_age():
    state = temperatures.temperature_state(machine_at(1.83, NOW - timedelta(minutes=2)), NOW)
    assert not state.is_stale
    assert state.age == timedelta(minutes=2)
    assert '1.83 K <span class="muted small">· 2 min ago</span>' in render_state(state)


def test_a_stale_reading_shows_no_number(settings):
    settings.TEMPERATURE_STALE_MINUTES = 15
    state = temperatures.temperature_state(machine_at(1.83, NOW - timedelta(minutes=16)), NOW)
    assert state.is_stale
    html = render_state(state)
    assert "no recent reading" in html
    assert "1.83" not in html
    assert 'title="Last reading 16 min ago"' in html
    assert temperatures.temperature_state(
        machine_at(1.83, NOW - timedelta(minutes=15)), NOW
    ).is_current


def test_the_threshold_is_a_setting(settings):
    settings.TEMPERATURE_STALE_MINUTES = 60
    assert temperatures.temperature_state(
        machine_at(4, NOW - timedelta(minutes=45)), NOW
    ).is_current


def test_no_reading_at_all_is_unknown():
    state = temperatures.temperature_state(machine_at(None, None), NOW)
    assert state.is_stale
    assert state.kelvin_text == ""
    html = render_state(state)
    assert "no recent reading" in html
    assert "No reading received yet" in html


def test_zero_kelvin_is_a_value_not_a_missing_one():
    state = temperatures.temperature_state(machine_at(0.0, NOW - timedelta(seconds=20)), NOW)
    assert state.is_current
    assert state.kelvin == 0.0
    assert '0 K <span class="muted small">· just now</span>' in render_state(state)


def test_states_for_many_machines_by_id():
    one, two = machine_at(1, NOW), machine_at(None, None)
    one.pk, two.pk = 1, 2
    states = temperatures.temperature_states([one, two], NOW)
    assert states[1].is_current
    assert states[2].is_stale


@pytest.mark.parametrize(
    ("kelvin", "text"),
    [
        (1.83, "1.83"),
        (1.8, "1.8"),
        (300.0, "300"),
        (295.1549, "295.15"),
        (0.0123456, "0.0123"),
        (0.305, "0.305"),
        (0.00001234, "0.0000123"),
        (0, "0"),
        (1, "1"),
    ],
)
def test_kelvin_reads_without_noise(kelvin, text):
    assert temperatures.format_kelvin(kelvin) == text


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=-3), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=2, seconds=40), "2 min ago"),
        (timedelta(hours=5), "5 h ago"),
        (timedelta(days=3), "3 days ago"),
    ],
)
def test_ages_read_briefly(age, text):
    assert temperatures.format_age(age) == text


# --- History ----------------------------------------------------------------


@pytest.mark.django_db
def test_history_is_downsampled_to_at_most_300_points_with_mean_min_and_max(hidalgo, griffin):
    # A reading every 2 minutes for 7 days: 5040 readings.
    add_readings(hidalgo, [(NOW - timedelta(minutes=2 * i), 1.5 + (i % 2)) for i in range(5040)])
    add_readings(griffin, [(NOW - timedelta(minutes=1), 300.0)])
    week = temperatures.history(hidalgo, NOW - timedelta(days=7), NOW)
    assert 250 <= len(week) <= 300
    assert sum(point.count for point in week) == 5040
    assert all(point.low == 1.5 and point.high == 2.5 for point in week if point.count > 1)
    assert all(1.5 <= point.kelvin <= 2.5 for point in week)
    assert [p.at for p in week] == sorted(p.at for p in week)
    assert week[-1].at == NOW


@pytest.mark.django_db
def test_history_keeps_every_reading_when_there_are_few_and_only_inside_the_window(hidalgo):
    points = [
        (NOW - timedelta(days=2), 4.0),  # outside the 24 h window
        (NOW - timedelta(hours=3), 2.0),
        (NOW - timedelta(hours=1), 0.0),
        (NOW + timedelta(minutes=1), 9.0),  # ahead of now: not yet
    ]
    add_readings(hidalgo, points)
    day = temperatures.history(hidalgo, NOW - timedelta(hours=24), NOW)
    assert [(p.at, p.kelvin, p.count) for p in day] == [
        (NOW - timedelta(hours=3), 2.0, 1),
        (NOW - timedelta(hours=1), 0.0, 1),
    ]
    assert temperatures.history(hidalgo, NOW - timedelta(minutes=30), NOW) == []


@pytest.mark.django_db
def test_a_bucket_averages_its_readings(hidalgo):
    add_readings(
        hidalgo, [(NOW - timedelta(seconds=s), k) for s, k in [(10, 1.0), (20, 2.0), (30, 6.0)]]
    )
    [point] = temperatures.history(hidalgo, NOW - timedelta(hours=24), NOW)
    assert point.kelvin == pytest.approx(3.0)
    assert (point.low, point.high, point.count) == (1.0, 6.0, 3)
    assert point.at == NOW - timedelta(seconds=10)


@pytest.mark.django_db
def test_pruning_removes_only_readings_past_the_retention(hidalgo, settings):
    settings.TEMPERATURE_RETENTION_DAYS = 30
    add_readings(hidalgo, [(NOW - timedelta(days=d), 4.0) for d in (1, 29, 31, 400)])
    assert gateway.prune_readings(NOW) == 2
    assert gateway.prune_readings(NOW) == 0  # running it twice does no harm
    kept = TemperatureReading.objects.order_by("-read_at").values_list("read_at", flat=True)
    assert list(kept) == [NOW - timedelta(days=1), NOW - timedelta(days=29)]


# --- The chart's JSON ---------------------------------------------------------


def chart_url(machine):
    return reverse("schedule-machine-temperatures", args=[machine.pk])


@pytest.mark.django_db
def test_members_get_both_series(client, alice, hidalgo):
    now = timezone.now()
    add_readings(hidalgo, [(now - timedelta(hours=h), 1.0 + h) for h in (1, 30)])
    Machine.objects.filter(pk=hidalgo.pk).update(
        current_temperature=2.0, temperature_updated_at=now - timedelta(hours=1)
    )
    client.force_login(alice)
    response = client.get(chart_url(hidalgo))
    assert response.status_code == 200
    data = response.json()
    assert data["machine"] == "Hidalgo"
    assert [p["k"] for p in data["series"]["24h"]] == [2.0]
    assert [p["k"] for p in data["series"]["7d"]] == [31.0, 2.0]
    assert data["current"] == {
        "kelvin": None,  # an hour old: stale, so no number
        "read_at": (now - timedelta(hours=1)).isoformat(),
        "stale": True,
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_chart_json_is_for_approved_members_only(client, charlie, suspended_sue, hidalgo):
    response = client.get(chart_url(hidalgo))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    for person in (charlie, suspended_sue):
        client.force_login(person)
        response = client.get(chart_url(hidalgo))
        assert response.status_code in (302, 403)
        assert b"series" not in response.content


@pytest.mark.django_db
def test_unapproved_members_are_refused_by_the_view_itself(rf, charlie, hidalgo):
    from calendarEditor.views.temperatures import machine_temperatures

    request = rf.get(chart_url(hidalgo))
    request.user = charlie
    response = machine_temperatures(request, pk=hidalgo.pk)
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_unknown_machine_or_a_post_is_refused(client, alice, hidalgo):
    client.force_login(alice)
    assert client.get(reverse("schedule-machine-temperatures", args=[9999])).status_code == 404
    assert client.post(chart_url(hidalgo)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 500])
def test_the_chart_json_costs_the_same_queries_however_many_readings(
    client, alice, hidalgo, django_assert_num_queries, count
):
    now = timezone.now()
    add_readings(hidalgo, [(now - timedelta(minutes=10 * i), 1.0) for i in range(count)])
    client.force_login(alice)
    # Session, the user with the approval middleware's profile, the machine, one per series.
    with django_assert_num_queries(5):
        response = client.get(chart_url(hidalgo))
    assert sum(p["n"] for p in response.json()["series"]["7d"]) == min(count, 1008)


@pytest.mark.django_db
def test_the_chart_fragment_loads_the_vendored_library_and_the_json(hidalgo):
    html = render_to_string("fragments/temperature_chart.html", {"machine": hidalgo})
    assert f'data-url="{chart_url(hidalgo)}"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/js/temperature_chart.js" in html
    assert "http" not in html  # no CDN
    static = Path(django_settings.BASE_DIR) / "static"
    library = (static / "vendor/chartjs/chart.umd.min.js").read_text()
    assert library.startswith("/*!\n * Chart.js v4.")
    map_name = library.rstrip().rsplit("sourceMappingURL=", 1)[1]
    assert (static / "vendor/chartjs" / map_name).is_file()
    assert (static / "vendor/chartjs/LICENSE.md").is_file()
