"""Preset pages: list, detail, save (also from the submit form), edit, delete, follow."""

import pytest
from django.template.loader import render_to_string
from django.urls import include, path, reverse

import mysite.urls
from calendarEditor.models import Notification, PresetEdit, PresetFollow, QueuePreset
from calendarEditor.services import presets

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _no_background_sends(settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False


def form_data(name="Hall 0.3 K", visibility="private", **overrides):
    return {
        "name": name,
        "visibility": visibility,
        "title": "Hall bar sweep",
        "description": "",
        "estimated_duration": "10",
        "duration_unit": "hours",
        "required_min_temp": "0.3",
        "required_max_temp": "",
        "field_x": "0",
        "field_y": "0",
        "field_z": "6",
        "field_direction": "none",
        "dc_lines": "8",
        "rf_lines": "0",
        "daughterboard": "",
        **overrides,
    }


def make(user, name="Hall 0.3 K", visibility="private", **extra):
    values = {"name": name, "visibility": visibility, "required_min_temp": 0.3, **extra}
    return presets.create_preset(values, by=user)


def url(name, *args):
    return reverse(name, args=args or None)


# --- List --------------------------------------------------------------------


def test_list_shows_own_and_public_presets_but_not_others_private(client, alice, bob):
    make(alice, "Alice private")
    make(alice, "Alice public", "public")
    make(bob, "Bob private")
    client.force_login(bob)
    page = client.get(url("schedule-preset-list")).content.decode()
    assert "Alice public" in page
    assert "Bob private" in page
    assert "Alice private" not in page


def test_list_filters_by_scope_and_text(client, alice, bob):
    make(alice, "Optics PL", "public")
    make(alice, "Hall", "public")
    make(bob, "Bob's")
    client.force_login(bob)
    mine = client.get(url("schedule-preset-list"), {"scope": "mine"}).content.decode()
    assert "Bob&#x27;s" in mine
    assert "Optics PL" not in mine
    found = client.get(url("schedule-preset-list"), {"q": "optics"}).content.decode()
    assert "Optics PL" in found
    assert "Hall<" not in found


def test_list_needs_a_login(client):
    response = client.get(url("schedule-preset-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_pending_members_are_sent_to_the_pending_page(client, charlie):
    client.force_login(charlie)
    response = client.get(url("schedule-preset-list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts-pending")


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow(client, alice, bob, count, django_assert_num_queries):
    QueuePreset.objects.bulk_create(
        QueuePreset(name=f"P{i}", visibility="public", creator=alice, creator_name="Alice")
        for i in range(count)
    )
    presets.follow(QueuePreset.objects.first(), by=bob)
    client.force_login(bob)
    # session, user with profile (approval), count, the bell's unread count, page of rows
    with django_assert_num_queries(5):
        response = client.get(url("schedule-preset-list"))
    assert response.status_code == 200


# --- Detail ------------------------------------------------------------------


def test_detail_shows_the_preset_and_its_history(client, alice):
    preset = make(alice)
    presets.update_preset(preset, {"name": "Hall 0.3 K", "required_dc_lines": 24}, by=alice)
    client.force_login(alice)
    page = client.get(preset.get_absolute_url()).content.decode()
    assert "Hall 0.3 K" in page
    assert "required_dc_lines: 0 → 24" in page
    assert f"{reverse('schedule-submit')}?preset={preset.pk}" in page


@pytest.mark.parametrize("viewer", ["bob", "sam"])
def test_another_members_private_preset_is_a_404(client, alice, bob, sam, viewer):
    preset = make(alice)
    client.force_login({"bob": bob, "sam": sam}[viewer])
    assert client.get(preset.get_absolute_url()).status_code == 404
    assert client.get(url("schedule-preset-edit", preset.pk)).status_code == 404
    assert client.post(url("schedule-preset-delete", preset.pk)).status_code == 404
    assert QueuePreset.objects.filter(pk=preset.pk).exists()


def test_detail_needs_a_login(client, alice):
    preset = make(alice, visibility="public")
    assert client.get(preset.get_absolute_url()).status_code == 302


# --- Create ------------------------------------------------------------------


def test_create_saves_a_preset(client, alice):
    client.force_login(alice)
    response = client.post(url("schedule-preset-create"), form_data(visibility="public"))
    preset = QueuePreset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preset.get_absolute_url()
    assert (preset.creator, preset.visibility, preset.required_field_z) == (alice, "public", 6)
    assert (preset.title_template, preset.estimated_hours, preset.required_dc_lines) == (
        "Hall bar sweep",
        10,
        8,
    )


def test_create_with_only_a_name(client, alice):
    client.force_login(alice)
    data = form_data(title="", estimated_duration="", required_min_temp="")
    response = client.post(url("schedule-preset-create"), data)
    assert response.status_code == 302
    preset = QueuePreset.objects.get()
    assert (preset.estimated_hours, preset.required_min_temp, preset.title_template) == (
        None,
        None,
        "",
    )


def test_create_refuses_a_bad_form_and_saves_nothing(client, alice):
    client.force_login(alice)
    response = client.post(url("schedule-preset-create"), form_data(name="", field_z="-1"))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "field_z"}
    assert not QueuePreset.objects.exists()


def test_create_refuses_a_duplicate_name_with_a_message(client, alice):
    make(alice)
    client.force_login(alice)
    response = client.post(url("schedule-preset-create"), form_data())
    assert "already have a preset" in response.content.decode()
    assert QueuePreset.objects.count() == 1


def test_create_needs_a_login(client):
    response = client.post(url("schedule-preset-create"), form_data())
    assert response.status_code == 302
    assert not QueuePreset.objects.exists()


def test_save_as_preset_from_the_submit_form_prefills_and_saves_nothing(client, alice):
    client.force_login(alice)
    posted = form_data(name="", visibility="", field_z="7.5", dc_lines="16")
    posted.pop("name")
    posted.pop("visibility")
    response = client.post(url("schedule-preset-create"), {**posted, "from_submit": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_bound
    assert (form.initial["field_z"], form.initial["dc_lines"]) == ("7.5", "16")
    assert 'value="7.5"' in response.content.decode()
    assert not QueuePreset.objects.exists()


# --- Edit --------------------------------------------------------------------


def test_the_creator_edits_their_preset(client, alice):
    preset = make(alice)
    client.force_login(alice)
    form = client.get(url("schedule-preset-edit", preset.pk)).context["form"]
    assert form.initial["name"] == "Hall 0.3 K"
    response = client.post(url("schedule-preset-edit", preset.pk), form_data(field_z="9"))
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.required_field_z == 9
    assert PresetEdit.objects.get().changes["required_field_z"] == [0.0, 9.0]


def test_staff_edit_a_public_preset_with_a_reason_the_creator_reads(client, alice, sam):
    preset = make(alice, visibility="public")
    client.force_login(sam)
    data = form_data(visibility="public", field_z="3", reason="Fridge max is 3 T now")
    response = client.post(url("schedule-preset-edit", preset.pk), data)
    assert response.status_code == 302
    note = Notification.objects.get(recipient=alice, kind="preset_edited")
    assert "Fridge max is 3 T now" in note.message


def test_another_member_cannot_edit_a_public_preset(client, alice, bob):
    preset = make(alice, visibility="public")
    client.force_login(bob)
    assert client.get(url("schedule-preset-edit", preset.pk)).status_code == 403
    response = client.post(url("schedule-preset-edit", preset.pk), form_data(name="Mine now"))
    assert response.status_code == 403
    preset.refresh_from_db()
    assert preset.name == "Hall 0.3 K"


def test_edit_refuses_a_bad_form(client, alice):
    preset = make(alice)
    client.force_login(alice)
    response = client.post(url("schedule-preset-edit", preset.pk), form_data(dc_lines="many"))
    assert response.status_code == 200
    assert "dc_lines" in response.context["form"].errors
    assert not PresetEdit.objects.exists()


def test_edit_shows_a_refusal_from_the_service(client, alice, bob):
    preset = make(alice, visibility="public")
    presets.follow(preset, by=bob)
    client.force_login(alice)
    response = client.post(url("schedule-preset-edit", preset.pk), form_data())
    assert "stays public" in response.content.decode()
    preset.refresh_from_db()
    assert preset.visibility == "public"


def test_edit_needs_a_login(client, alice):
    preset = make(alice)
    response = client.post(url("schedule-preset-edit", preset.pk), form_data(name="x"))
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.name == "Hall 0.3 K"


# --- Delete ------------------------------------------------------------------


def test_the_creator_deletes_their_preset(client, alice):
    preset = make(alice)
    client.force_login(alice)
    response = client.post(url("schedule-preset-delete", preset.pk))
    assert response["Location"] == url("schedule-preset-list")
    assert not QueuePreset.objects.exists()


def test_staff_delete_a_public_preset_and_followers_are_told(client, alice, bob, sam):
    preset = make(alice, visibility="public")
    presets.follow(preset, by=bob)
    client.force_login(sam)
    client.post(url("schedule-preset-delete", preset.pk), {"reason": "Outdated"})
    assert not QueuePreset.objects.exists()
    assert Notification.objects.filter(recipient=bob, kind="followed_preset_deleted").exists()


def test_another_member_cannot_delete(client, alice, bob):
    preset = make(alice, visibility="public")
    client.force_login(bob)
    assert client.post(url("schedule-preset-delete", preset.pk)).status_code == 403
    assert QueuePreset.objects.exists()


def test_delete_refuses_a_bad_form(client, alice):
    preset = make(alice)
    client.force_login(alice)
    client.post(url("schedule-preset-delete", preset.pk), {"reason": "x" * 501})
    assert QueuePreset.objects.exists()


def test_delete_is_post_only_and_needs_a_login(client, alice):
    preset = make(alice)
    assert client.post(url("schedule-preset-delete", preset.pk)).status_code == 302
    client.force_login(alice)
    assert client.get(url("schedule-preset-delete", preset.pk)).status_code == 405
    assert QueuePreset.objects.exists()


# --- Follow ------------------------------------------------------------------


def test_follow_and_unfollow_a_public_preset(client, alice, bob):
    preset = make(alice, visibility="public")
    client.force_login(bob)
    client.post(url("schedule-preset-follow", preset.pk))
    assert PresetFollow.objects.filter(user=bob, preset=preset).exists()
    assert "Unfollow" in client.get(preset.get_absolute_url()).content.decode()
    client.post(url("schedule-preset-unfollow", preset.pk))
    assert not PresetFollow.objects.exists()


def test_following_a_private_preset_of_another_member_is_a_404(client, alice, bob):
    preset = make(alice)
    client.force_login(bob)
    assert client.post(url("schedule-preset-follow", preset.pk)).status_code == 404
    assert not PresetFollow.objects.exists()


def test_following_ones_own_preset_is_refused_with_a_message(client, alice):
    preset = make(alice, visibility="public")
    client.force_login(alice)
    response = client.post(url("schedule-preset-follow", preset.pk), follow=True)
    assert "your own preset" in response.content.decode()
    assert not PresetFollow.objects.exists()


def test_follow_needs_a_login(client, alice):
    preset = make(alice, visibility="public")
    assert client.post(url("schedule-preset-follow", preset.pk)).status_code == 302
    assert not PresetFollow.objects.exists()


# --- Pieces for the submit page ------------------------------------------------


def test_the_picker_offers_loadable_presets_and_links_to_the_submit_form(rf, alice, bob):
    make(alice, "Alice private")
    public = make(alice, "Alice public", "public")
    own = make(bob, "Bob own")
    request = rf.get("/")
    request.user = bob
    html = render_to_string(
        "records/preset_picker.html",
        {"presets": presets.picker(bob), "loaded": public, "user": bob},
        request=request,
    )
    assert f'value="{own.pk}"' in html
    assert f'value="{public.pk}" selected' in html
    assert "Alice private" not in html
    assert f'action="{reverse("schedule-submit")}"' in html
    button = render_to_string("records/save_as_preset_button.html")
    assert f'formaction="{url("schedule-preset-create")}"' in button
    assert 'name="from_submit"' in button
