from django.apps import AppConfig


class CalendarEditorConfig(AppConfig):
    name = "calendarEditor"
    verbose_name = "Lab queue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import mysite.checks  # noqa: F401  (registers deployment checks)
        from calendarEditor import signals  # noqa: F401  (connects receivers)
