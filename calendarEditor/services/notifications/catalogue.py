"""Every notification type, in one place (DESIGN §5): texts, recipients, critical, channels.

Services turn what happened into a type name and a context; views never compose
message text. Context names used by the templates: entry, machine, position,
old_position, start, wait (estimated start and "in about 5 h"), running_until,
hold_until, status (a machine's status code), cause ("added", "staff_move", "rush", "reassigned"),
actor (who did it, when not the recipient), reason, other_machine, moves (a list
of {entry, position, old_position, start, wait}), member, preset, summary, fields.
"""

from calendarEditor.services.notifications.kinds import (
    IN_APP,
    IN_APP_EMAIL,
    IN_APP_SLACK,
    NO_CHANNELS,
    Group,
    Link,
    NoticeType,
    Subject,
)

_CAUSE = (
    "{% if cause == 'added' %}Queued on {{ machine }} — {% elif cause == 'staff_move' %}"
    "Moved by staff to #1 — {% elif cause == 'rush' %}Rush approved — "
    "{% elif cause == 'reassigned' %}Moved here from {{ other_machine }} by staff — {% endif %}"
)
_YOURE = "{% if cause %}you're{% else %}You're{% endif %}"
# A machine's status as it reads after "is": "idle", "in maintenance", "cooling down".
_STATUS = (
    "{% if status == 'maintenance' %}in maintenance{% elif status == 'cooldown' %}cooling down"
    "{% elif status == 'warmup' %}warming up{% else %}{{ status }}{% endif %}"
)
_REASON = "{% if reason %} Reason: {{ reason }}{% endif %}"
_START = "{% if start %} Estimated start {{ start }} ({{ wait }}).{% endif %}"
_BY_STAFF = "{{ actor|default:'A lab manager' }}"
_MEMBER_ENTRIES = "the member whose entry it is"
_MACHINE_MEMBERS = "members with an active entry on the machine"
_STAFF = "lab managers"

Q, R, M, P, A, S = Group.QUEUE, Group.RUSH, Group.MACHINE, Group.PRESETS, Group.ACCOUNT, Group.STAFF

# fmt: off
TYPES: tuple[NoticeType, ...] = (
    # --- Queue -----------------------------------------------------------------
    NoticeType("entry_added", Q, "Entry queued",
        "{{ entry }} queued on {{ machine }} at #{{ position }}",
        "{% if actor %}{{ actor }} queued “{{ entry }}” for you{% else %}“{{ entry }}” is queued"
        "{% endif %} on {{ machine }} at #{{ position }}." + _START, _MEMBER_ENTRIES),
    NoticeType("position_changed", Q, "Place in line changed",
        "{% if moves|length == 1 %}{{ moves.0.entry }} is now #{{ moves.0.position }} on "
        "{{ machine }}{% else %}Your places in {{ machine }}'s queue changed{% endif %}",
        "{% for m in moves %}“{{ m.entry }}” is now #{{ m.position }}{% if m.old_position %} "
        "(was #{{ m.old_position }}){% endif %}{% if m.start %}, estimated start {{ m.start }} "
        "({{ m.wait }}){% endif %}.\n{% endfor %}",
        _MEMBER_ENTRIES, subject=Subject.MACHINE, scope="position", link=Link.MY_QUEUE),
    NoticeType("on_deck", Q, "ON DECK (machine busy)",
        "{{ entry }} is ON DECK on {{ machine }}",
        _CAUSE + _YOURE + " ON DECK for {{ machine }}{% if running_until %} (machine running "
        "until ~{{ running_until }}){% elif status %} ({{ machine }} is " + _STATUS + "){% endif %}"
        ". You will be told when it is free to check in.",
        _MEMBER_ENTRIES, critical=True, channels=IN_APP_SLACK, scope="top"),
    NoticeType("ready_to_check_in", Q, "Ready to check in",
        "{{ machine }} is free: check in for {{ entry }}",
        _CAUSE + "{{ machine }} is free and “{{ entry }}” is first in line: you're ready to "
        "check in."
        "{% if hold_until %} The machine is held for you until ~{{ hold_until }}.{% endif %}",
        _MEMBER_ENTRIES, critical=True, channels=IN_APP_SLACK, scope="top"),
    NoticeType("check_in_reminder", Q, "Check-in reminder",
        "Reminder: check in for {{ entry }}",
        "{{ machine }} is free and held for “{{ entry }}”{% if hold_until %} until "
        "~{{ hold_until }}{% endif %}. Check in when you start, or cancel the entry so the next "
        "member can go.", _MEMBER_ENTRIES, critical=True, channels=IN_APP_SLACK, scope="top"),
    NoticeType("check_out_reminder", Q, "Check-out reminder",
        "Check out of {{ machine }}",
        "“{{ entry }}” was expected to end {{ expected_end }}. Check out when you are done so the "
        "next member can start.", _MEMBER_ENTRIES, critical=True, channels=IN_APP_SLACK,
        scope="run"),
    NoticeType("still_in_use", Q, "Still using it?",
        "Still using {{ machine }}?",
        "“{{ entry }}” has been running since {{ started }}. If you are still measuring there is "
        "nothing to do; otherwise check out.", _MEMBER_ENTRIES, channels=IN_APP_SLACK,
        scope="run"),
    NoticeType("hold_expired", Q, "ON DECK hold expired",
        "Your hold on {{ machine }} has expired",
        "{{ machine }} has been held for “{{ entry }}” since {{ since }}. Lab managers may now "
        "let the next member go first; check in now if you can.", _MEMBER_ENTRIES,
        critical=True, channels=IN_APP_SLACK, scope="top"),
    NoticeType("entry_started", Q, "Run started",
        "{{ entry }} started on {{ machine }}",
        "{% if actor %}{{ actor }} started{% else %}Started{% endif %} “{{ entry }}” on "
        "{{ machine }}{% if expected_end %}; expected to end ~{{ expected_end }}{% endif %}. "
        "Check out when you are done.", _MEMBER_ENTRIES, scope="run"),
    NoticeType("entry_completed", Q, "Run completed",
        "{{ entry }} completed",
        "{% if actor %}{{ actor }} checked out{% else %}Checked out{% endif %} “{{ entry }}” on "
        "{{ machine }}.{% if reason %} Note: {{ reason }}{% endif %}", _MEMBER_ENTRIES,
        scope="run"),
    NoticeType("entry_cancelled", Q, "Entry cancelled",
        "{{ entry }} was cancelled",
        "{% if actor %}{{ actor }} cancelled{% else %}Cancelled{% endif %} “{{ entry }}”"
        "{% if machine %} on {{ machine }}{% endif %}." + _REASON, _MEMBER_ENTRIES,
        critical=True, channels=IN_APP_SLACK),
    NoticeType("moved_by_staff", Q, "Moved by a lab manager",
        "{{ entry }} moved to #{{ position }} on {{ machine }}",
        _BY_STAFF + " moved “{{ entry }}” from #{{ old_position }} to #{{ position }} on "
        "{{ machine }}." + _REASON + _START, _MEMBER_ENTRIES, channels=IN_APP_SLACK),
    NoticeType("edited_by_staff", Q, "Edited by a lab manager",
        "{{ entry }} was edited by a lab manager",
        _BY_STAFF + " changed “{{ entry }}”." + _REASON + " Check that it still describes "
        "your run.", _MEMBER_ENTRIES),
    NoticeType("entry_reassigned", Q, "Moved to another machine",
        "{{ entry }} moved to {{ machine }}",
        _BY_STAFF + " moved “{{ entry }}” from {{ other_machine }} to {{ machine }}, where it "
        "is #{{ position }}." + _REASON + _START, _MEMBER_ENTRIES, channels=IN_APP_SLACK),
    # --- Rush ------------------------------------------------------------------
    NoticeType("archive_created", Q, "Run archived by a lab manager",
        "{{ entry }} was archived",
        _BY_STAFF + " archived “{{ entry }}” on {{ machine }} as “{{ archive }}”. Add notes "
        "or files there if anything is missing.", _MEMBER_ENTRIES),
    NoticeType("rush_submitted", R, "Rush request sent",
        "Rush requested for {{ entry }}",
        "The rush request for “{{ entry }}” on {{ machine }} waits for a lab manager's review.",
        _MEMBER_ENTRIES, scope="rush"),
    NoticeType("rush_approved", R, "Rush approved",
        "Rush approved for {{ entry }}",
        _BY_STAFF + " approved the rush request: “{{ entry }}” is #{{ position }} on "
        "{{ machine }}.{% if reason %} Note: {{ reason }}{% endif %}", _MEMBER_ENTRIES,
        channels=IN_APP_SLACK, scope="rush"),
    NoticeType("rush_rejected", R, "Rush not approved",
        "Rush not approved for {{ entry }}",
        _BY_STAFF + " did not approve the rush request for “{{ entry }}”: {{ reason }}. It keeps "
        "its place (#{{ position }} on {{ machine }}).", _MEMBER_ENTRIES,
        channels=IN_APP_SLACK, scope="rush"),
    # --- Machines --------------------------------------------------------------
    NoticeType("machine_status_changed", M, "Machine status changed",
        "{{ machine }} is now " + _STATUS,
        "{{ machine }} is now " + _STATUS + "." + _REASON, _MACHINE_MEMBERS,
        link=Link.MACHINE, subject=Subject.MACHINE, scope="machine_status"),
    NoticeType("queue_opened", M, "Queue opened (any machine; off unless switched on)",
        "{{ machine }}'s queue is open",
        "{{ machine }} takes new entries again.{% if reason %} {{ reason }}{% endif %}",
        _MACHINE_MEMBERS + ", and members who switched this on", channels=NO_CHANNELS,
        link=Link.MACHINE, subject=Subject.MACHINE, scope="queue_state"),
    NoticeType("queue_closed", M, "Queue closed",
        "{{ machine }}'s queue is closed",
        "{{ machine }} takes no new entries for now; yours stay in line and run as planned."
        + _REASON, _MACHINE_MEMBERS, link=Link.MACHINE, subject=Subject.MACHINE,
        scope="queue_state"),
    NoticeType("machine_edited", M, "Machine details changed",
        "{{ machine }}'s details changed",
        "A lab manager updated {{ machine }}'s details. Check that your entries on it still fit.",
        _MACHINE_MEMBERS, link=Link.MACHINE, subject=Subject.MACHINE),
    NoticeType("issue_reported", M, "Problem reported",
        "Problem reported on {{ machine }}",
        "{{ summary }}{% if severity %} (severity: {{ severity }}){% endif %}. Lab managers are "
        "looking into it.", _MACHINE_MEMBERS, link=Link.MACHINE, subject=Subject.CONTEXT),
    NoticeType("issue_resolved", M, "Problem resolved",
        "Problem on {{ machine }} resolved",
        "{{ summary }}{% if note %} — {{ note }}{% endif %}", _MACHINE_MEMBERS,
        link=Link.MACHINE, subject=Subject.CONTEXT, scope="issue_reported"),
    NoticeType("issue_acknowledged", M, "Problem acknowledged",
        "Problem on {{ machine }} acknowledged",
        _BY_STAFF + " is on the problem reported on {{ machine }}: {{ summary }}."
        "{% if fix_at %} Expected fix: {{ fix_at }}.{% endif %}",
        "the reporter and " + _MACHINE_MEMBERS, link=Link.MACHINE, subject=Subject.CONTEXT,
        scope="issue_reported"),
    NoticeType("issue_commented", M, "Comment on a problem report",
        "New comment on the problem on {{ machine }}",
        "{{ actor|default:'Someone' }} commented on “{{ summary }}”: {{ note }}",
        "the reporter, and the lab manager who acknowledged it", link=Link.MACHINE,
        subject=Subject.CONTEXT),
    # --- Presets ---------------------------------------------------------------
    NoticeType("preset_created", P, "New public preset (off unless switched on)",
        "New public preset: {{ preset }}",
        "{{ member }} shared the preset “{{ preset }}”.", "members who switched this on",
        channels=NO_CHANNELS, link=Link.PRESET, subject=Subject.CONTEXT),
    NoticeType("preset_edited", P, "Your preset edited",
        "Your preset {{ preset }} was edited",
        _BY_STAFF + " edited your preset “{{ preset }}”." + _REASON, "the preset's creator",
        link=Link.PRESET, subject=Subject.CONTEXT),
    NoticeType("preset_deleted", P, "Your preset deleted",
        "Your preset {{ preset }} was deleted",
        _BY_STAFF + " deleted your preset “{{ preset }}”." + _REASON, "the preset's creator",
        link=Link.NOTIFICATIONS, subject=Subject.CONTEXT),
    NoticeType("followed_preset_edited", P, "A preset you follow was edited",
        "{{ preset }} was updated",
        "“{{ preset }}”, a preset you follow, was edited. Check that your next submission "
        "still fits.", "members who follow the preset", link=Link.PRESET,
        subject=Subject.CONTEXT),
    NoticeType("followed_preset_deleted", P, "A preset you follow was deleted",
        "{{ preset }} was removed",
        "“{{ preset }}”, a preset you follow, was deleted.", "members who follow the preset",
        link=Link.NOTIFICATIONS, subject=Subject.CONTEXT, scope="followed_preset_edited"),
    # --- Account ---------------------------------------------------------------
    NoticeType("account_approved", A, "Account approved",
        "Your account is approved",
        _BY_STAFF + " approved your account. You can now submit jobs to the lab queue.",
        "the member", critical=True, channels=IN_APP_EMAIL, link=Link.BOARD,
        subject=Subject.NONE, scope="account_status"),
    NoticeType("account_rejected", A, "Account not approved",
        "Your account was not approved",
        "A lab manager did not approve your account: {{ reason }}", "the member", critical=True,
        channels=IN_APP_EMAIL, link=Link.PROFILE, subject=Subject.NONE, scope="account_status"),
    NoticeType("account_suspended", A, "Account suspended",
        "Your account is suspended",
        "A lab manager suspended your access to the lab queue: {{ reason }}. Your queued entries "
        "keep their places.", "the member", critical=True, channels=IN_APP_EMAIL,
        link=Link.PROFILE, subject=Subject.NONE, scope="account_status"),
    NoticeType("account_reinstated", A, "Account reinstated",
        "Your account is active again",
        _BY_STAFF + " reinstated your account. You can use the lab queue again.", "the member",
        channels=IN_APP_EMAIL, link=Link.BOARD, subject=Subject.NONE, scope="account_status"),
    NoticeType("account_promoted", A, "Made a lab manager",
        "You are now a lab manager",
        _BY_STAFF + " made you a lab manager: you can approve accounts, edit machines and "
        "reorder queues.", "the member", channels=IN_APP_EMAIL, link=Link.STAFF_DASHBOARD,
        subject=Subject.NONE, scope="account_role"),
    NoticeType("account_demoted", A, "No longer a lab manager",
        "You are no longer a lab manager",
        _BY_STAFF + " removed your lab manager role. Your account and entries stay as they are.",
        "the member", channels=IN_APP_EMAIL, link=Link.PROFILE, subject=Subject.NONE,
        scope="account_role"),
    NoticeType("account_details_changed", A, "Account details changed",
        "Your account details changed",
        "Changed: {{ fields }}{% if actor %}, by {{ actor }}{% endif %}. If this was not you, "
        "tell a lab manager.", "the member", channels=IN_APP_EMAIL, link=Link.PROFILE,
        subject=Subject.NONE),
    # --- Lab managers ----------------------------------------------------------
    NoticeType("staff_new_user", S, "New account to approve",
        "{{ member }} is waiting for approval",
        "{{ member_name }} ({{ member }}{% if department %}, {{ department }}{% endif %}) "
        "registered and waits for approval.", _STAFF, channels=IN_APP_SLACK,
        link=Link.STAFF_MEMBERS, subject=Subject.CONTEXT, staff_only=True),
    NoticeType("staff_rush_to_review", S, "Rush request to review",
        "Rush request: {{ entry }} on {{ machine }}",
        "{{ member }} asks to put “{{ entry }}” (#{{ position }} on {{ machine }}) first: "
        "{{ reason }}", _STAFF, channels=IN_APP_SLACK, link=Link.STAFF_DASHBOARD,
        staff_only=True),
    NoticeType("staff_daily_summary", S, "Daily summary",
        "Daily summary for {{ date }}",
        "{{ summary }}", _STAFF + " who switched this on", channels=NO_CHANNELS,
        allowed=frozenset({"in_app", "email"}), link=Link.STAFF_DASHBOARD,
        subject=Subject.NONE, staff_only=True),
    NoticeType("staff_issue_summary", S,
        "Equipment issue summary by email (off unless switched on)",
        "Equipment issues: {{ open_count }} open", "{{ summary }}",
        _STAFF + " who switched this on", channels=NO_CHANNELS, allowed=frozenset({"email"}),
        link=Link.STAFF_DASHBOARD, subject=Subject.NONE, staff_only=True),
    NoticeType("staff_hold_expired", S, "ON DECK hold expired",
        "{{ member }}'s hold on {{ machine }} expired",
        "“{{ entry }}” has held {{ machine }} since {{ since }} without checking in. You may "
        "move it back so the next member can start.", _STAFF, channels=IN_APP_SLACK,
        link=Link.STAFF_DASHBOARD, staff_only=True),
    NoticeType("staff_issue_reported", S, "Problem reported on a machine",
        "Problem reported on {{ machine }}",
        "{{ member }} reported{% if severity %} ({{ severity }}){% endif %}: {{ summary }}",
        _STAFF, channels=IN_APP_SLACK, link=Link.STAFF_DASHBOARD, subject=Subject.CONTEXT,
        staff_only=True),
    NoticeType("staff_delivery_failed", S, "Notification delivery failed",
        "A notification could not be delivered",
        "{{ channel }} to {{ member }} failed for good: {{ reason }}", _STAFF, channels=IN_APP,
        allowed=IN_APP, link=Link.STAFF_DELIVERIES, subject=Subject.NONE, staff_only=True),
    # --- Training and extensions ([policy]) ---------------------------------------
    NoticeType("training_requested", S, "Training request",
        "{{ member }} asks for training on {{ machine }}",
        "{{ member }} asks to be trained on {{ machine }}{% if note %}: {{ note }}"
        "{% else %}.{% endif %} Record the training or decline it on the training page.",
        _STAFF, channels=IN_APP_SLACK, subject=Subject.CONTEXT, staff_only=True),
    NoticeType("training_recorded", A, "Training recorded",
        "You are trained on {{ machine }}",
        _BY_STAFF + " recorded your training on {{ machine }}: you can queue entries there "
        "now.{% if note %} Note: {{ note }}{% endif %}", "the member",
        channels=IN_APP_SLACK, link=Link.MACHINE, subject=Subject.MACHINE, scope="training"),
    NoticeType("training_declined", A, "Training request declined",
        "Training request for {{ machine }} declined",
        _BY_STAFF + " declined your training request for {{ machine }}." + _REASON,
        "the member", link=Link.MACHINE, subject=Subject.MACHINE, scope="training"),
    NoticeType("extension_requested", S, "Extension to review",
        "Extension request: {{ entry }} on {{ machine }}",
        "{{ member }} asks to extend “{{ entry }}” on {{ machine }} by {{ hours }} h: "
        "{{ reason }}", _STAFF, channels=IN_APP_SLACK, staff_only=True),
    NoticeType("extension_granted", Q, "Extension granted",
        "{{ entry }} extended by {{ hours }} h",
        "{% if actor %}{{ actor }} granted{% else %}Granted{% endif %} the extension of "
        "“{{ entry }}” on {{ machine }} by {{ hours }} h{% if expected_end %}; it is now "
        "expected to end ~{{ expected_end }}{% endif %}.{% if note %} Note: {{ note }}{% endif %}",
        _MEMBER_ENTRIES, channels=IN_APP_SLACK, scope="extension"),
    NoticeType("extension_rejected", Q, "Extension not granted",
        "Extension not granted for {{ entry }}",
        _BY_STAFF + " did not grant the extension of “{{ entry }}” on {{ machine }}: "
        "{{ reason }}.{% if expected_end %} Check out by ~{{ expected_end }}.{% endif %}",
        _MEMBER_ENTRIES, channels=IN_APP_SLACK, scope="extension"),
    NoticeType("estimate_changed", Q, "Estimated start moved",
        "{% if moves|length == 1 %}{{ moves.0.entry }}: new estimated start on {{ machine }}"
        "{% else %}Your estimated starts on {{ machine }} moved{% endif %}",
        "The run ahead of you on {{ machine }} was extended{% if hours %} by {{ hours }} h"
        "{% endif %}.\n{% for m in moves %}“{{ m.entry }}” (#{{ m.position }})"
        "{% if m.start %} should now start {{ m.start }} ({{ m.wait }}){% endif %}.\n"
        "{% endfor %}", _MEMBER_ENTRIES, subject=Subject.MACHINE, scope="position",
        link=Link.MY_QUEUE),
)
# fmt: on

BY_NAME: dict[str, NoticeType] = {notice_type.name: notice_type for notice_type in TYPES}
if len(BY_NAME) != len(TYPES):
    raise ValueError("two notification types share a name")


def get(name: str) -> NoticeType:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown notification type {name!r}") from None


def types_for(user: object) -> list[NoticeType]:
    """The types a user can receive, in catalogue order (staff see the staff group too)."""
    is_staff = bool(getattr(user, "is_staff", False))
    return [notice_type for notice_type in TYPES if is_staff or not notice_type.staff_only]
