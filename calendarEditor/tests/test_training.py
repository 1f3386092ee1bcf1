"""Training: a machine that requires it takes entries only from members trained on it."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import AuditEvent, Notification, QueueEntry
from calendarEditor.models.training import Qualification, TrainingRequest, TrainingRequestStatus
from calendarEditor.services import queue, training
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls("calendarEditor.tests.urls_policy")]


@pytest.fixture
def optic(make_machine):
    """The only machine with optical access, and it requires training."""
    return make_machine("Optic", optical_access=True, requires_training=True)


def submit(member, **requirements):
    return queue.enqueue(entry_request("Run", 5, **requirements), member=member, by=member)


# --- gating --------------------------------------------------------------------------------


def test_an_untrained_member_is_refused_with_training_required(alice, optic):
    with pytest.raises(NoCompatibleMachine) as refused:
        submit(alice, optical=True)
    assert refused.value.result.reasons["Optic"] == ("training required",)
    assert not QueueEntry.objects.exists()


def test_matching_skips_the_machine_for_the_untrained(alice, hidalgo, make_machine):
    # The training machine would free sooner (no cooldown), but Alice is not trained on it.
    make_machine("Fast", requires_training=True, cooldown_hours=0, warmup_hours=0)
    queue.enqueue(entry_request("Ahead", 20), member=alice, by=alice, machine=None)
    assert QueueEntry.objects.get(title="Ahead").machine == hidalgo


def test_a_qualified_member_passes(alice, sam, optic):
    training.record_qualification(alice, optic, by=sam)
    assert submit(alice, optical=True).entry.machine == optic


def test_staff_need_no_record(sam, optic):
    assert submit(sam, optical=True).entry.machine == optic


def test_staff_placing_an_untrained_members_entry_is_refused(alice, sam, optic):
    with pytest.raises(NoCompatibleMachine, match="training required"):
        queue.enqueue(entry_request("Placed"), member=alice, by=sam, machine=optic)


def test_revoking_closes_the_machine_again(alice, sam, optic):
    qualification = training.record_qualification(alice, optic, by=sam)
    training.revoke_qualification(qualification, by=sam, reason="Left the group")
    with pytest.raises(NoCompatibleMachine):
        submit(alice, optical=True)
    assert AuditEvent.objects.filter(action="training.revoked").count() == 1


# --- requests and records ------------------------------------------------------------------


def test_a_request_tells_every_lab_manager(alice, sam, optic, django_user_model):
    other = django_user_model.objects.create_user("pat", is_staff=True)
    request = training.request_training(alice, optic, message="Need it for my thesis")
    told = Notification.objects.filter(kind="training_requested")
    assert set(told.values_list("recipient", flat=True)) == {sam.pk, other.pk}
    assert "Need it for my thesis" in told.first().message
    assert request.status == TrainingRequestStatus.OPEN
    with pytest.raises(QueueError, match="already waiting"):
        training.request_training(alice, optic)


def test_recording_closes_the_request_and_tells_the_member(alice, sam, optic):
    training.request_training(alice, optic)
    training.record_qualification(alice, optic, by=sam, notes="Safety briefing done")
    assert TrainingRequest.objects.get().status == TrainingRequestStatus.DONE
    told = Notification.objects.get(recipient=alice, kind="training_recorded")
    assert "Optic" in told.title
    with pytest.raises(QueueError, match="already trained"):
        training.request_training(alice, optic)


def test_declining_tells_the_member_why(alice, sam, optic):
    request = training.request_training(alice, optic)
    training.decline_request(request, by=sam, reason="Next session in May")
    assert TrainingRequest.objects.get().status == TrainingRequestStatus.DECLINED
    told = Notification.objects.get(recipient=alice, kind="training_declined")
    assert "Next session in May" in told.message
    with pytest.raises(QueueError, match="no longer open"):
        training.decline_request(request, by=sam, reason="again")


def test_only_staff_record_and_only_approved_members_are_recorded(alice, bob, charlie, optic):
    with pytest.raises(PermissionDenied):
        training.record_qualification(bob, optic, by=alice)
    with pytest.raises(PermissionDenied):
        training.request_training(charlie, optic)


def test_a_future_training_date_is_refused(alice, sam, optic):
    with pytest.raises(QueueError, match="future"):
        training.record_qualification(
            alice, optic, by=sam, trained_at=timezone.localdate() + timedelta(days=2)
        )
    assert not Qualification.objects.exists()


# --- pages ---------------------------------------------------------------------------------


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_member_page_lists_machines_and_standing(client, alice, sam, optic, make_machine):
    lab = make_machine("Lab B", requires_training=True)
    training.record_qualification(alice, lab, by=sam)
    client.force_login(alice)
    html = client.get(reverse("schedule-training")).content.decode()
    assert "Optic" in html
    assert "Not trained" in html
    assert "Trained" in html


def test_a_member_asks_through_the_page(client, alice, optic):
    client.force_login(alice)
    url = reverse("schedule-training-request")
    response = client.post(url, {"machine": optic.pk, "message": "Please"})
    assert response.status_code == 302
    assert TrainingRequest.objects.get().member == alice
    again = client.post(url, {"machine": optic.pk})
    assert messages_of(again)[-1] == "Your request for training on Optic is already waiting."


def test_a_bad_request_form_changes_nothing(client, alice, hidalgo, optic):
    client.force_login(alice)
    # Hidalgo does not require training, so it is not a choice.
    response = client.post(reverse("schedule-training-request"), {"machine": hidalgo.pk})
    assert response.status_code == 400
    assert not TrainingRequest.objects.exists()


def test_anonymous_visitors_go_to_the_login(client, optic):
    for url in (reverse("schedule-training"), reverse("schedule-staff-training")):
        assert client.get(url).status_code == 302
    asked = client.post(reverse("schedule-training-request"), {"machine": optic.pk})
    assert asked.status_code == 302
    assert not TrainingRequest.objects.exists()


def test_members_cannot_use_the_staff_pages(client, alice, bob, optic):
    client.force_login(alice)
    assert client.get(reverse("schedule-staff-training")).status_code == 403
    record = reverse("schedule-staff-training-record")
    assert client.post(record, {"member": bob.pk, "machine": optic.pk}).status_code == 403
    assert not Qualification.objects.exists()


def test_staff_record_decline_and_revoke_through_the_page(client, alice, bob, sam, optic):
    request = training.request_training(bob, optic)
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-training")).content.decode()
    assert "bob" in page.lower()
    today = timezone.localdate().isoformat()
    record = reverse("schedule-staff-training-record")
    response = client.post(record, {"member": alice.pk, "machine": optic.pk, "trained_at": today})
    assert response.status_code == 302
    qualification = Qualification.objects.get(member=alice)
    decline = reverse("schedule-staff-training-decline", args=[request.pk])
    assert messages_of(client.post(decline, {"reason": ""}))[-1].startswith("Give a reason")
    client.post(decline, {"reason": "Full this term"})
    assert TrainingRequest.objects.get().status == TrainingRequestStatus.DECLINED
    revoke = reverse("schedule-staff-training-revoke", args=[qualification.pk])
    client.post(revoke, {"reason": "Retrain after the upgrade"})
    assert not Qualification.objects.exists()


def test_a_bad_record_form_is_shown_again(client, sam, optic):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-training-record"), {"machine": optic.pk})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Qualification.objects.exists()
