"""The catalogue: every type DESIGN §5 names, each renderable, with sane defaults."""

import pytest

from calendarEditor.models import Channel
from calendarEditor.services.notifications import catalogue
from calendarEditor.services.notifications.kinds import ALL_CHANNELS, Group, Subject

SAMPLE = {
    "entry": "Hall bar sweep",
    "machine": "Hidalgo",
    "position": 3,
    "old_position": 5,
    "start": "Tue 14:00",
    "wait": "in about 5 h",
    "running_until": "Mon 14:00",
    "hold_until": "Tue 02:00",
    "status": "maintenance",
    "cause": "staff_move",
    "actor": "Sam Tester",
    "reason": "cooldown schedule",
    "other_machine": "Griffin",
    "moves": [{"entry": "Hall bar sweep", "position": 2, "old_position": 3}],
    "member": "alice",
    "member_name": "Alice Tester",
    "preset": "Low-T transport",
    "summary": "2 open issues",
    "fields": "email",
    "channel": "Slack",
    "date": "Tue 3 Mar",
    "since": "Mon 09:00",
    "expected_end": "Tue 18:00",
    "started": "Mon 09:00",
    "subject": "u7",
}

# DESIGN §5's seed kinds, by the name each has here.
DESIGN_KINDS = {
    "entry_added", "position_changed", "on_deck", "ready_to_check_in", "check_in_reminder",
    "check_out_reminder", "entry_started", "entry_completed", "entry_cancelled",
    "moved_by_staff", "edited_by_staff", "rush_submitted", "rush_approved", "rush_rejected",
    "machine_status_changed", "queue_opened", "queue_closed", "issue_reported",
    "issue_resolved", "preset_created", "preset_edited", "preset_deleted",
    "followed_preset_edited", "followed_preset_deleted", "account_approved",
    "account_rejected", "account_suspended", "account_promoted", "account_demoted",
    "account_details_changed", "staff_new_user", "staff_rush_to_review", "staff_daily_summary",
}  # fmt: skip


def test_the_catalogue_covers_design_kinds_and_has_at_least_38_types():
    names = {notice_type.name for notice_type in catalogue.TYPES}
    assert len(catalogue.TYPES) >= 38
    assert names >= DESIGN_KINDS
    assert len(names) == len(catalogue.TYPES)


@pytest.mark.parametrize("notice_type", catalogue.TYPES, ids=lambda t: t.name)
def test_every_type_renders_plain_text_with_a_title(notice_type):
    title, message = notice_type.render(SAMPLE)
    assert title
    assert message
    assert "{" not in title + message
    assert "%" not in title + message
    assert notice_type.channels <= notice_type.allowed <= ALL_CHANNELS
    assert notice_type.group in set(Group)
    assert notice_type.recipients
    assert notice_type.staff_only == (notice_type.group == Group.STAFF)


def test_templates_render_without_escaping_for_slack_and_email():
    title, message = catalogue.get("entry_cancelled").render(
        {**SAMPLE, "entry": "R&D <fast>", "reason": 'Tom\'s "urgent" run'}
    )
    assert title == "R&D <fast> was cancelled"
    assert 'Tom\'s "urgent" run' in message


def test_on_deck_says_until_when_the_machine_runs():
    _, message = catalogue.get("on_deck").render(
        {"entry": "Run", "machine": "Hidalgo", "cause": "staff_move", "running_until": "14:00"}
    )
    assert message.startswith("Moved by staff to #1 — you're ON DECK for Hidalgo")
    assert "(machine running until ~14:00)" in message


def test_on_deck_without_a_run_names_the_machine_state():
    _, message = catalogue.get("on_deck").render(
        {"entry": "Run", "machine": "Hidalgo", "status": "maintenance"}
    )
    assert message.startswith("You're ON DECK for Hidalgo (Hidalgo is in maintenance).")


def test_critical_types_stay_in_the_app_whatever_is_chosen():
    on_deck = catalogue.get("on_deck")
    assert on_deck.critical
    assert on_deck.channels_for(set()) == {Channel.IN_APP}
    assert on_deck.channels_for({Channel.SLACK.value}) == {Channel.IN_APP, Channel.SLACK}
    assert catalogue.get("entry_added").channels_for(set()) == set()


def test_related_types_share_a_dedupe_scope():
    on_deck, ready = catalogue.get("on_deck"), catalogue.get("ready_to_check_in")
    keys = {t.dedupe_key(entry_id=4, machine_id=1, context={}) for t in (on_deck, ready)}
    assert keys == {"top:e4"}
    position = catalogue.get("position_changed")
    assert position.subject == Subject.MACHINE
    assert position.dedupe_key(entry_id=None, machine_id=1, context={}) == "position:m1"


def test_staff_types_are_hidden_from_members(alice, sam):
    member_types = {t.name for t in catalogue.types_for(alice)}
    assert "staff_rush_to_review" not in member_types
    assert "staff_rush_to_review" in {t.name for t in catalogue.types_for(sam)}


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown notification type"):
        catalogue.get("no_such_type")
