"""The account services: allowed transitions, refusals, and the audit trail."""

import pytest
from django.core.exceptions import PermissionDenied

from calendarEditor.models import AuditEvent
from userRegistration import services
from userRegistration.models import ApprovalStatus
from userRegistration.services import AccountError

pytestmark = pytest.mark.django_db


def status_of(user):
    user.profile.refresh_from_db()
    return user.profile.approval_status


def test_approve_sets_who_and_when_and_audits(charlie, sam):
    profile = services.approve(charlie, by=sam)
    assert profile.approval_status == ApprovalStatus.APPROVED
    assert profile.approved_by == sam
    assert profile.approved_at is not None
    event = AuditEvent.objects.get(action="account.approved")
    assert (event.actor, event.subject_user) == (sam, charlie)
    assert event.details == {"from": "pending", "to": "approved"}


def test_reject_keeps_the_reason_for_the_member(charlie, sam):
    services.reject(charlie, by=sam, reason="  Not in the group  ")
    charlie.profile.refresh_from_db()
    assert charlie.profile.approval_status == ApprovalStatus.REJECTED
    assert charlie.profile.status_reason == "Not in the group"
    assert AuditEvent.objects.get(action="account.rejected").reason == "Not in the group"


@pytest.mark.parametrize("verb", [services.reject, services.suspend])
def test_reason_is_required(verb, alice, charlie, sam):
    target = charlie if verb is services.reject else alice
    before = status_of(target)
    with pytest.raises(AccountError, match="reason"):
        verb(target, by=sam, reason="   ")
    assert status_of(target) == before
    assert not AuditEvent.objects.exists()


def test_suspend_then_reinstate(alice, sam):
    services.suspend(alice, by=sam, reason="Safety training lapsed")
    assert status_of(alice) == ApprovalStatus.SUSPENDED
    services.reinstate(alice, by=sam)
    alice.profile.refresh_from_db()
    assert alice.profile.approval_status == ApprovalStatus.APPROVED
    assert alice.profile.status_reason == ""
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["account.suspended", "account.reinstated"]


def test_rejected_account_can_be_approved_after_all(charlie, sam):
    services.reject(charlie, by=sam, reason="Unknown name")
    services.approve(charlie, by=sam)
    assert status_of(charlie) == ApprovalStatus.APPROVED


@pytest.mark.parametrize(
    ("verb", "kwargs", "fixture"),
    [
        (services.approve, {}, "alice"),
        (services.approve, {}, "suspended_sue"),
        (services.reject, {"reason": "x"}, "alice"),
        (services.suspend, {"reason": "x"}, "charlie"),
        (services.reinstate, {}, "alice"),
        (services.reinstate, {}, "charlie"),
    ],
)
def test_impossible_transitions_are_refused(verb, kwargs, fixture, request, sam):
    target = request.getfixturevalue(fixture)
    before = status_of(target)
    with pytest.raises(AccountError) as caught:
        verb(target, by=sam, **kwargs)
    assert target.get_username() in caught.value.message
    assert status_of(target) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("verb", [services.approve, services.reinstate, services.promote])
def test_members_cannot_change_accounts(verb, alice, charlie):
    with pytest.raises(PermissionDenied):
        verb(charlie, by=alice)
    assert status_of(charlie) == ApprovalStatus.PENDING


def test_staff_cannot_be_suspended(sam, django_user_model):
    other = django_user_model.objects.create_user("olga", is_staff=True)
    with pytest.raises(AccountError, match="lab manager"):
        services.suspend(other, by=sam, reason="x")


def test_promote_and_demote(alice, sam):
    services.promote(alice, by=sam)
    alice.refresh_from_db()
    assert alice.is_staff
    services.demote(alice, by=sam)
    alice.refresh_from_db()
    assert not alice.is_staff
    assert status_of(alice) == ApprovalStatus.APPROVED
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["account.promoted", "account.demoted"]


def test_pending_account_cannot_be_promoted(charlie, sam):
    with pytest.raises(AccountError, match="Approve"):
        services.promote(charlie, by=sam)
    charlie.refresh_from_db()
    assert not charlie.is_staff


def test_cannot_demote_yourself(sam):
    with pytest.raises(AccountError, match="your own"):
        services.demote(sam, by=sam)
    sam.refresh_from_db()
    assert sam.is_staff


def test_superuser_is_demoted_only_in_the_admin(sam, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@lab.example", "pw")
    with pytest.raises(AccountError, match="superuser"):
        services.demote(root, by=sam)


def test_demote_of_a_non_manager_is_refused(alice, sam):
    with pytest.raises(AccountError, match="not a lab manager"):
        services.demote(alice, by=sam)


def test_register_creates_a_pending_member_with_department(db):
    user = services.register(
        username="dana",
        email="Dana@LAB.example",
        password="a long unusual passphrase",
        first_name="Dana",
        last_name="Scully",
        department="Physics",
    )
    assert user.email == "Dana@lab.example"
    assert user.profile.approval_status == ApprovalStatus.PENDING
    assert user.profile.department == "Physics"
    assert AuditEvent.objects.get(action="account.registered").subject_user == user


def test_register_refuses_a_duplicate_email_case_insensitively(alice):
    with pytest.raises(AccountError, match="email"):
        services.register(
            username="alice2",
            email="ALICE@lab.example",
            password="a long unusual passphrase",
            first_name="A",
            last_name="B",
        )


def test_update_profile_changes_only_what_differs(alice):
    changed = services.update_profile(
        alice, {"first_name": "Alicia", "last_name": "Tester", "department": "Chem"}, by=alice
    )
    assert changed == ["first_name", "department"]
    alice.refresh_from_db()
    assert (alice.first_name, alice.profile.department) == ("Alicia", "Chem")
    assert AuditEvent.objects.get(action="account.details_changed").details == {"fields": changed}


def test_update_profile_of_someone_else_is_refused(alice, bob):
    with pytest.raises(PermissionDenied):
        services.update_profile(bob, {"first_name": "Hacked"}, by=alice)
    bob.refresh_from_db()
    assert bob.first_name == "Bob"
