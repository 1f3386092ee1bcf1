"""The staff usage page and its CSV export: who may see them, the range form, the figures."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.tests.api_support import URLCONF
from calendarEditor.tests.test_analytics import add_run, at, status_change

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

PAGE, CSV = "schedule-staff-analytics", "schedule-staff-analytics-csv"
RANGE = {"first_day": "2025-03-03", "last_day": "2025-03-16"}
NOW = datetime(2025, 3, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def used(alice, bob, hidalgo):
    hidalgo.__class__.objects.update(created_at=at(1, month=1))
    alice.profile.department = "=HYPERLINK(1)"
    alice.profile.save()
    status_change(hidalgo, at(5), "idle", "maintenance")
    status_change(hidalgo, at(6), "maintenance", "idle")
    add_run(hidalgo, alice, at(3), at(3, 6), at(3, 18))  # 12 h in W10, waited 6 h
    add_run(hidalgo, bob, at(10), at(11), at(11, 21))  # 21 h in W11, waited 24 h


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_staff_see_the_figures(client, sam, used):
    client.force_login(sam)
    response = client.get(reverse(PAGE), RANGE)
    html = response.content.decode()
    assert response.status_code == 200
    weeks = {(w.machine, w.period.label): w for w in response.context["report"].weeks}
    # W10: 12 h used of 168 - 24 h of maintenance = 144 h available: 8.3 %.
    assert weeks[("Hidalgo", "2025-W10")].utilization_percent == pytest.approx(100 * 12 / 144)
    assert "8.3 %" in html
    assert "12.5 %" in html  # W11: 21 / 168
    assert 'id="analytics-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/analytics_charts.js" in html
    charts = response.context["charts"]
    assert charts["weeks"] == ["2025-W10", "2025-W11"]
    assert charts["utilization"] == [{"machine": "Hidalgo", "percent": [8.3, 12.5]}]
    assert charts["members"] == [{"name": "bob", "hours": 21.0}, {"name": "alice", "hours": 12.0}]


def test_without_a_range_the_last_four_weeks_are_shown(client, sam):
    client.force_login(sam)
    report = client.get(reverse(PAGE)).context["report"]
    # 20 March 2025 is a Thursday in week 12: weeks 9 to 12.
    assert [p.label for p in report.periods] == ["2025-W09", "2025-W10", "2025-W11", "2025-W12"]
    assert report.last_day.isoformat() == "2025-03-20"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"first_day": "2025-03-16", "last_day": "2025-03-03"}, "must end on or after"),
        ({"first_day": "2024-01-01", "last_day": "2025-03-03"}, "At most 366 days"),
        ({"first_day": "yesterday", "last_day": "2025-03-03"}, "Enter a valid date."),
        ({"first_day": "2025-03-03"}, "This field is required."),
    ],
)
def test_a_bad_range_is_explained(client, sam, params, message):
    client.force_login(sam)
    response = client.get(reverse(PAGE), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "report" not in response.context
    csv_response = client.get(reverse(CSV), params)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_members_get_403_and_anonymous_visitors_log_in(client, alice):
    for name in (PAGE, CSV):
        assert client.get(reverse(name), RANGE).status_code == 302
        assert client.get(reverse(name), RANGE)["Location"].startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(reverse(PAGE), RANGE).status_code == 403
    assert client.get(reverse(CSV), RANGE).status_code == 403


def test_the_page_only_reads(client, sam):
    client.force_login(sam)
    assert client.post(reverse(PAGE), RANGE).status_code == 405
    assert client.post(reverse(CSV), RANGE).status_code == 405


def test_csv_of_machine_weeks(client, sam, used):
    client.force_login(sam)
    response = client.get(reverse(CSV), RANGE)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="usage-weeks-2025-03-03-2025-03-16.csv"'
    )
    header, *rows = csv_rows(response)
    assert header[:8] == [
        "machine",
        "week",
        "from",
        "to",
        "available_hours",
        "down_hours",
        "running_hours",
        "utilization_percent",
    ]
    w10 = dict(zip(header, rows[0], strict=True))
    assert w10 == {
        **w10,
        "machine": "Hidalgo",
        "week": "2025-W10",
        "from": "2025-03-03T00:00:00+00:00",
        "available_hours": "144.0",
        "down_hours": "24.0",
        "running_hours": "12.0",
        "utilization_percent": "8.3",
        "completed_runs": "1",
        "median_wait_hours": "6.0",
        "downtime_from_status_log": "yes",
    }
    assert len(rows) == 2


def test_csv_of_members_and_departments_defuses_formulas(client, sam, used):
    client.force_login(sam)
    members = csv_rows(client.get(reverse(CSV), {**RANGE, "table": "members"}))
    assert members == [
        ["member", "department", "running_hours", "runs_started"],
        ["bob", "No department", "21.0", "1"],
        ["alice", "'=HYPERLINK(1)", "12.0", "1"],
    ]
    departments = csv_rows(client.get(reverse(CSV), {**RANGE, "table": "departments"}))
    assert departments[0] == ["department", "running_hours", "runs_started"]
    assert departments[2] == ["'=HYPERLINK(1)", "12.0", "1"]


def test_an_unknown_csv_table_is_400(client, sam):
    client.force_login(sam)
    response = client.get(reverse(CSV), {**RANGE, "table": "salaries"})
    assert response.status_code == 400


@pytest.mark.parametrize("runs", [10, 500])
def test_the_page_costs_the_same_whatever_the_history(
    client, sam, alice, hidalgo, django_assert_num_queries, runs
):
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=alice,
            member_name="alice",
            title=f"run {n}",
            estimated_hours=1,
            machine=hidalgo,
            machine_name="Hidalgo",
            status=EntryStatus.COMPLETED,
            started_at=at(3) + timedelta(hours=n % 300),
            completed_at=at(3) + timedelta(hours=n % 300 + 1),
        )
        for n in range(runs)
    )
    client.force_login(sam)
    # Session and user 2, the report 3, and on the page the bell's unread count 1.
    with django_assert_num_queries(6):
        assert client.get(reverse(PAGE), RANGE).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse(CSV), RANGE).status_code == 200
