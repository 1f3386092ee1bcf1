"""Presets, measurement archives and equipment issues; included under /schedule/."""

from django.urls import path

from calendarEditor.views import archives, equipment_issues, presets

urlpatterns = [
    path("presets/", presets.preset_list, name="schedule-preset-list"),
    path("presets/new/", presets.preset_create, name="schedule-preset-create"),
    path("presets/<int:pk>/", presets.preset_detail, name="schedule-preset-detail"),
    path("presets/<int:pk>/edit/", presets.preset_edit, name="schedule-preset-edit"),
    path("presets/<int:pk>/delete/", presets.preset_delete, name="schedule-preset-delete"),
    path("presets/<int:pk>/follow/", presets.preset_follow, name="schedule-preset-follow"),
    path("presets/<int:pk>/unfollow/", presets.preset_unfollow, name="schedule-preset-unfollow"),
    path("archives/", archives.archive_list, name="schedule-archive-list"),
    path("archives/export.csv", archives.archive_export, name="schedule-archive-export"),
    path("entries/<int:pk>/archive/", archives.archive_create, name="schedule-archive-create"),
    path("archives/<int:pk>/", archives.archive_detail, name="schedule-archive-detail"),
    path("archives/<int:pk>/edit/", archives.archive_edit, name="schedule-archive-edit"),
    path("archives/<int:pk>/files/", archives.archive_add_files, name="schedule-archive-add-files"),
    path("archives/files/<int:pk>/", archives.archive_file_download, name="schedule-archive-file"),
    path(
        "archives/files/<int:pk>/delete/",
        archives.archive_file_delete,
        name="schedule-archive-file-delete",
    ),
    path("issues/", equipment_issues.issue_list, name="schedule-issue-list"),
    path("issues/new/", equipment_issues.issue_report, name="schedule-issue-report"),
    path("issues/<int:pk>/", equipment_issues.issue_detail, name="schedule-issue-detail"),
    path("issues/<int:pk>/comment/", equipment_issues.issue_comment, name="schedule-issue-comment"),
    path(
        "issues/<int:pk>/acknowledge/",
        equipment_issues.issue_acknowledge,
        name="schedule-issue-acknowledge",
    ),
    path("issues/<int:pk>/resolve/", equipment_issues.issue_resolve, name="schedule-issue-resolve"),
    path("issues/<int:pk>/photo/", equipment_issues.issue_photo, name="schedule-issue-photo"),
]
