from django.urls import path

from calendarEditor.views import board, fragments, member

urlpatterns = [
    path("", board.board, name="schedule-board"),
    path("machines/<int:pk>/", board.machine_detail, name="schedule-machine"),
    path("submit/", member.submit, name="schedule-submit"),
    path("submit/preview/", member.submit_preview, name="schedule-submit-preview"),
    path("my/", member.my_queue, name="schedule-my-queue"),
    path("entries/<int:pk>/", member.entry_detail, name="schedule-entry"),
    path("entries/<int:pk>/cancel/", member.cancel_entry, name="schedule-entry-cancel"),
    path("entries/<int:pk>/rush/", member.request_rush, name="schedule-entry-rush"),
    path("entries/<int:pk>/check-in/", member.check_in, name="schedule-entry-check-in"),
    path("entries/<int:pk>/check-out/", member.check_out, name="schedule-entry-check-out"),
    path("fragments/board/", fragments.board, name="schedule-fragment-board"),
    path(
        "fragments/machines/<int:pk>/queue/",
        fragments.machine_queue,
        name="schedule-fragment-machine-queue",
    ),
    path("fragments/my-queue/", fragments.my_queue, name="schedule-fragment-my-queue"),
]
