"""The equipment issue summary: who receives it, what it lists, and the command's flags."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import EquipmentIssue, NotificationPreference
from calendarEditor.services import equipment_issues, issue_summary
from conftest import make_user

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    settings.ISSUE_SUMMARY_RECIPIENT = ""


def opt_in(user, email=True):
    NotificationPreference.objects.create(
        user=user, kind=issue_summary.OPT_IN_KIND, in_app=False, email=email
    )


def reported(machine, by, *, hours_ago, severity="down", text="Compressor stopped"):
    issue = equipment_issues.report_issue(
        machine, {"severity": severity, "description": text}, by=by
    )
    EquipmentIssue.objects.filter(pk=issue.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    issue.refresh_from_db()
    return issue


def resolved(issue, by, *, hours_ago):
    equipment_issues.resolve(issue, by=by)
    EquipmentIssue.objects.filter(pk=issue.pk).update(
        resolved_at=timezone.now() - timedelta(hours=hours_ago)
    )


def run(*args):
    out = StringIO()
    call_command("send_issue_summary", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def staff_two(django_user_model):
    return make_user(django_user_model, "stella", staff=True)


def test_only_staff_who_opted_in_and_the_set_address_receive_it(
    settings, alice, sam, staff_two, hidalgo
):
    opt_in(sam)
    opt_in(alice)  # a member's choice does not make them a lab manager
    NotificationPreference.objects.create(
        user=staff_two, kind=issue_summary.OPT_IN_KIND, email=False
    )
    settings.ISSUE_SUMMARY_RECIPIENT = "fridge-team@lab.example, sam@lab.example"
    reported(hidalgo, alice, hours_ago=3)
    output = run()
    assert sorted(m.to[0] for m in mail.outbox) == ["fridge-team@lab.example", "sam@lab.example"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert "to 2 of 2 recipients" in output


def test_each_issue_has_machine_status_severity_and_age(alice, sam, hidalgo, griffin):
    opt_in(sam)
    old = reported(hidalgo, alice, hours_ago=75, text="Compressor stopped")
    equipment_issues.acknowledge(old, by=sam, estimated_fix_at=timezone.now() + timedelta(1))
    reported(griffin, alice, hours_ago=2, severity="info", text="Window scratched")
    run()
    [message] = mail.outbox
    assert message.subject.endswith("Equipment issues: 2 open")
    body = message.body
    assert "Hidalgo · DOWN · Acknowledged · open for 3 days, 3 hours" in body
    assert "[NEW] Griffin · INFO · Open · open for 2 hours" in body
    assert "Compressor stopped" in body
    assert "Fix expected" in body
    assert f"/schedule/issues/{old.pk}/" in body
    # "down" issues come first.
    assert body.index("Hidalgo") < body.index("Griffin")


def test_closed_issues_only_with_include_closed_and_within_the_lookback(alice, sam, hidalgo):
    opt_in(sam)
    reported(hidalgo, alice, hours_ago=1, text="Still broken")
    recent = reported(hidalgo, alice, hours_ago=50, text="Fixed today")
    resolved(recent, sam, hours_ago=5)
    older = reported(hidalgo, alice, hours_ago=80, text="Fixed long ago")
    resolved(older, sam, hours_ago=30)

    run()
    assert "Fixed today" not in mail.outbox[-1].body

    run("--include-closed")
    body = mail.outbox[-1].body
    assert "Fixed today" in body
    assert "was open 1 day, 21 hours" in body
    assert "Fixed long ago" not in body

    run("--include-closed", "--lookback-hours", "48")
    body = mail.outbox[-1].body
    assert "Fixed today" in body
    assert "Fixed long ago" in body
    assert "Still broken" in body


def test_the_lookback_decides_what_is_marked_new(alice, sam, hidalgo):
    opt_in(sam)
    reported(hidalgo, alice, hours_ago=30, text="Yesterday's problem")
    run()
    assert "[NEW] Hidalgo" not in mail.outbox[-1].body
    run("--lookback-hours", "36")
    assert "[NEW] Hidalgo" in mail.outbox[-1].body


def test_dry_run_prints_and_sends_nothing(alice, sam, hidalgo):
    opt_in(sam)
    reported(hidalgo, alice, hours_ago=1)
    output = run("--dry-run")
    assert mail.outbox == []
    assert "Would send to: sam@lab.example" in output
    assert "Compressor stopped" in output


def test_nothing_to_report_sends_nothing(sam, alice, hidalgo):
    opt_in(sam)
    issue = reported(hidalgo, alice, hours_ago=1)
    resolved(issue, sam, hours_ago=0)
    assert "nothing sent" in run()
    assert mail.outbox == []


def test_nobody_opted_in_sends_nothing(sam, alice, hidalgo):
    reported(hidalgo, alice, hours_ago=1)
    assert "Nobody receives the issue summary" in run()
    assert mail.outbox == []


def test_a_lookback_under_one_hour_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        run("--lookback-hours", "0")


def test_the_function_the_runner_calls_returns_what_it_sent(alice, sam, hidalgo):
    opt_in(sam)
    issue = reported(hidalgo, alice, hours_ago=1)
    result = issue_summary.send_issue_summary()
    assert result.sent == 1
    assert result.recipients == ["sam@lab.example"]
    assert [line.issue.pk for line in result.lines] == [issue.pk]
    assert result.lines[0].is_new
