"""Create a demo lab manager for a fresh local set-up and print its password.

Only with DEBUG on and no staff account yet, so it can never add a known
account to a production site. The password is random, shown once on the
terminal and kept nowhere but as a hash in the database.
"""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse

USERNAME = "labmanager"


class Command(BaseCommand):
    help = "With DEBUG on and no staff account, create the demo lab manager and print its password."

    def handle(self, *args: Any, **options: Any) -> None:
        reason = self.reason_to_skip()
        if reason:
            self.stdout.write(f"Demo lab manager not created: {reason}")
            return
        password = secrets.token_urlsafe(12)
        create_lab_manager(password)
        login_url = f"{settings.BASE_URL}{reverse('accounts-login')}"
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                "  Demo lab manager created (the password is shown once and saved in no file):\n"
                f"    username: {USERNAME}\n"
                f"    password: {password}\n"
                f"    log in at {login_url}\n"
            )
        )

    def reason_to_skip(self) -> str:
        if not settings.DEBUG:
            return "DEBUG is off; create staff with `manage.py createsuperuser`."
        user_model = get_user_model()
        staff = list(
            user_model.objects.filter(is_staff=True)
            .order_by("pk")
            .values_list(user_model.USERNAME_FIELD, flat=True)[:3]
        )
        if staff:
            return (
                f"a staff account already exists ({', '.join(staff)}). Forgot its password? "
                f"Run `.venv/bin/python manage.py changepassword {staff[0]}`."
            )
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: USERNAME}).exists():
            return f"a member named {USERNAME!r} exists; promote them in the admin instead."
        return ""


def create_lab_manager(password: str) -> Any:
    # Staff accounts are approved when created (userRegistration.signals).
    return get_user_model().objects.create_superuser(
        username=USERNAME,
        email=f"{USERNAME}@localhost",
        password=password,
        first_name="Demo",
        last_name="Lab manager",
    )
