from django.apps import AppConfig


class UserRegistrationConfig(AppConfig):
    name = "userRegistration"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from userRegistration import signals  # noqa: F401  (connects receivers)
