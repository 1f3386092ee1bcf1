"""Presets as a service: who sees and changes what, the edit history, followers told."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import include, path

import mysite.urls
from calendarEditor.forms.submit import SubmitForm
from calendarEditor.models import Notification, NotificationPreference, PresetEdit, QueuePreset
from calendarEditor.selectors import RequirementOptions
from calendarEditor.services import presets
from calendarEditor.services.presets import PresetError

# Until mysite's urls include calendarEditor.urls.records.
urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

OPTIONS = RequirementOptions(daughterboards=("DIP", "QBoard II"), capabilities=("transport",))


@pytest.fixture(autouse=True)
def _no_background_sends(settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False


def values(name="0.3 K Hall", visibility="private", **overrides):
    return {
        "name": name,
        "visibility": visibility,
        "title_template": "Hall bar sweep",
        "description_template": "",
        "estimated_hours": 48.0,
        "required_min_temp": 0.3,
        "required_max_temp": None,
        "required_field_x": 0.0,
        "required_field_y": 0.0,
        "required_field_z": 6.0,
        "required_field_direction": "parallel",
        "required_dc_lines": 12,
        "required_rf_lines": 0,
        "required_daughterboard": "DIP",
        "required_optical": False,
        "required_capabilities": ["transport"],
        **overrides,
    }


def kinds_for(user):
    rows = Notification.objects.filter(recipient=user, kind__contains="preset")
    return sorted(rows.values_list("kind", flat=True))


def test_a_member_saves_a_private_preset_with_their_name_kept(alice):
    preset = presets.create_preset(values(), by=alice)
    assert (preset.creator, preset.creator_name) == (alice, "Alice Tester")
    assert preset.visibility == "private"
    assert preset.required_field_z == 6.0


def test_two_presets_of_one_member_cannot_share_a_name(alice, bob):
    presets.create_preset(values(), by=alice)
    with pytest.raises(PresetError, match="already have a preset"):
        presets.create_preset(values(), by=alice)
    presets.create_preset(values(), by=bob)  # another member may use the name
    assert QueuePreset.objects.count() == 2


def test_bad_values_change_nothing(alice):
    with pytest.raises(PresetError):
        presets.create_preset(values(name="  "), by=alice)
    with pytest.raises(PresetError):
        presets.create_preset(values(estimated_hours=0), by=alice)
    assert not QueuePreset.objects.exists()


def test_a_member_without_approval_cannot_save_a_preset(charlie):
    with pytest.raises(PermissionDenied):
        presets.create_preset(values(), by=charlie)


def test_visibility_rules(alice, bob, sam):
    private = presets.create_preset(values("mine"), by=alice)
    public = presets.create_preset(values("shared", "public"), by=alice)
    assert presets.can_view(alice, private)
    assert presets.can_edit(alice, private)
    assert not presets.can_view(bob, private)
    assert not presets.can_edit(bob, private)
    assert presets.can_view(bob, public)
    assert not presets.can_edit(bob, public)
    # Lab managers edit any public preset but never see another member's private one.
    assert presets.can_edit(sam, public)
    assert not presets.can_view(sam, private)
    assert not presets.can_edit(sam, private)
    assert set(presets.visible_presets(bob)) == {public}
    assert set(presets.visible_presets(alice)) == {private, public}


def test_each_edit_is_recorded_with_who_when_and_what(alice):
    preset = presets.create_preset(values(), by=alice)
    changes = presets.update_preset(
        preset, values(required_field_z=9.0, required_dc_lines=24), by=alice
    )
    assert changes == {"required_field_z": [6.0, 9.0], "required_dc_lines": [12, 24]}
    [edit] = PresetEdit.objects.filter(preset=preset)
    assert (edit.editor, edit.editor_name) == (alice, "Alice Tester")
    assert edit.changes == {"required_field_z": [6.0, 9.0], "required_dc_lines": [12, 24]}
    assert edit.edited_at is not None


def test_an_edit_that_changes_nothing_is_not_recorded(alice):
    preset = presets.create_preset(values(), by=alice)
    assert presets.update_preset(preset, values(), by=alice) == {}
    assert not PresetEdit.objects.exists()


def test_another_member_cannot_edit_or_delete(alice, bob):
    preset = presets.create_preset(values(visibility="public"), by=alice)
    with pytest.raises(PermissionDenied):
        presets.update_preset(preset, values(name="taken over"), by=bob)
    with pytest.raises(PermissionDenied):
        presets.delete_preset(preset, by=bob)
    preset.refresh_from_db()
    assert preset.name == "0.3 K Hall"


def test_staff_edit_a_public_preset_and_the_creator_and_followers_are_told(alice, bob, sam):
    preset = presets.create_preset(values(visibility="public"), by=alice)
    presets.follow(preset, by=bob)
    presets.update_preset(preset, values(visibility="public", required_field_z=3.0), by=sam)
    assert kinds_for(alice) == ["preset_edited"]
    assert kinds_for(bob) == ["followed_preset_edited"]
    assert kinds_for(sam) == []
    note = Notification.objects.get(recipient=alice)
    assert "0.3 K Hall" in note.title
    assert note.link == f"/schedule/presets/{preset.pk}/"


def test_staff_cannot_edit_a_private_preset(alice, sam):
    preset = presets.create_preset(values(), by=alice)
    with pytest.raises(PermissionDenied):
        presets.update_preset(preset, values(name="seen"), by=sam)


def test_a_followed_preset_stays_public(alice, bob):
    preset = presets.create_preset(values(visibility="public"), by=alice)
    presets.follow(preset, by=bob)
    with pytest.raises(PresetError, match="follow this preset"):
        presets.update_preset(preset, values(visibility="private"), by=alice)
    presets.unfollow(preset, by=bob)
    presets.update_preset(preset, values(visibility="private"), by=alice)
    assert QueuePreset.objects.get().visibility == "private"


def test_deleting_tells_followers_and_the_creator_when_staff_deleted_it(alice, bob, sam):
    preset = presets.create_preset(values(visibility="public"), by=alice)
    presets.follow(preset, by=bob)
    presets.delete_preset(preset, by=sam, reason="Duplicate of the lab standard")
    assert not QueuePreset.objects.exists()
    assert kinds_for(bob) == ["followed_preset_deleted"]
    assert kinds_for(alice) == ["preset_deleted"]
    assert "Duplicate of the lab standard" in Notification.objects.get(recipient=alice).message


def test_the_creator_deleting_their_own_preset_is_not_told(alice):
    preset = presets.create_preset(values(), by=alice)
    presets.delete_preset(preset, by=alice)
    assert kinds_for(alice) == []


def test_only_public_presets_of_others_can_be_followed(alice, bob):
    private = presets.create_preset(values("mine"), by=alice)
    public = presets.create_preset(values("shared", "public"), by=alice)
    with pytest.raises(PresetError):
        presets.follow(private, by=bob)
    with pytest.raises(PresetError):
        presets.follow(public, by=alice)
    assert presets.follow(public, by=bob) is True
    assert presets.follow(public, by=bob) is False
    [followed] = presets.visible_presets(bob, scope="followed")
    assert followed.is_followed


def test_the_followed_scope_still_counts_every_follower(alice, bob, sam):
    public = presets.create_preset(values("shared", "public"), by=alice)
    presets.follow(public, by=bob)
    presets.follow(public, by=sam)
    [row] = presets.visible_presets(bob, scope="followed")
    assert row.follower_count == 2


def test_new_public_presets_reach_only_members_who_switched_it_on(alice, bob, sam):
    NotificationPreference.objects.create(user=bob, kind="preset_created", in_app=True)
    presets.create_preset(values(visibility="public"), by=alice)
    assert kinds_for(bob) == ["preset_created"]
    assert kinds_for(sam) == []
    assert "Alice Tester" in Notification.objects.get(recipient=bob).message


def test_making_a_private_preset_public_announces_it(alice, bob):
    NotificationPreference.objects.create(user=bob, kind="preset_created", in_app=True)
    preset = presets.create_preset(values(), by=alice)
    assert kinds_for(bob) == []
    presets.update_preset(preset, values(visibility="public"), by=alice)
    assert kinds_for(bob) == ["preset_created"]


def test_the_creator_name_survives_the_account(alice, bob):
    preset = presets.create_preset(values(visibility="public"), by=alice)
    alice.delete()
    preset.refresh_from_db()
    assert preset.creator is None
    assert preset.creator_name == "Alice Tester"
    assert presets.can_view(bob, preset)


def test_search_and_scopes(alice, bob):
    presets.create_preset(values("Hall 0.3 K", "public"), by=alice)
    presets.create_preset(values("Optics", "public", title_template="PL map"), by=alice)
    mine = presets.create_preset(values("Bob's own"), by=bob)
    assert [p.name for p in presets.visible_presets(bob, text="pl map")] == ["Optics"]
    assert list(presets.visible_presets(bob, scope="mine")) == [mine]
    assert {p.name for p in presets.visible_presets(bob, scope="public")} == {
        "Hall 0.3 K",
        "Optics",
    }


def test_initial_for_submit_fills_the_submit_form_which_then_validates(alice):
    preset = presets.create_preset(values(), by=alice)
    initial = presets.initial_for_submit(preset)
    assert set(initial) <= set(SubmitForm.base_fields)
    assert initial["estimated_duration"] == 2
    assert initial["duration_unit"] == "days"
    form = SubmitForm(initial, options=OPTIONS)
    assert form.is_valid(), form.errors
    request = form.entry_request()
    assert request.title == "Hall bar sweep"
    assert request.estimated_hours == 48
    assert request.requirements.min_temp == 0.3
    assert request.requirements.field_z == 6
    assert request.requirements.field_direction == "parallel"
    assert request.requirements.dc_lines == 12
    assert request.requirements.daughterboard == "DIP"
    assert request.requirements.capabilities == frozenset({"transport"})


def test_initial_for_submit_leaves_out_what_the_preset_does_not_say(alice):
    preset = presets.create_preset(
        values(title_template="", estimated_hours=None, required_min_temp=None), by=alice
    )
    initial = presets.initial_for_submit(preset)
    assert "title" not in initial
    assert "estimated_duration" not in initial
    assert "required_min_temp" not in initial
    preset.estimated_hours = 5.5
    assert presets.initial_for_submit(preset)["estimated_duration"] == 5.5


def test_loadable_preset_only_returns_what_the_member_may_load(alice, bob):
    private = presets.create_preset(values("mine"), by=alice)
    public = presets.create_preset(values("shared", "public"), by=alice)
    assert presets.loadable_preset(bob, str(public.pk)) == public
    assert presets.loadable_preset(bob, str(private.pk)) is None
    assert presets.loadable_preset(alice, private.pk) == private
    assert presets.loadable_preset(alice, "nonsense") is None
    assert presets.loadable_preset(alice, None) is None
    assert [p.name for p in presets.picker(bob)] == ["shared"]
