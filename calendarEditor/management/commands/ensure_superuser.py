"""Create the first superuser from DJANGO_SUPERUSER_* on a deploy, once.

Render runs this before every start; it does nothing once any superuser
exists, so changing the variables later never resets a password. The
variables share names with ``createsuperuser --noinput``.
"""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

VARIABLES = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD")


class Command(BaseCommand):
    help = "Create a superuser from DJANGO_SUPERUSER_USERNAME/EMAIL/PASSWORD when none exists."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        existing = user_model.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(f"Superuser: {existing.get_username()} exists; nothing to do.")
            return
        values = {name: os.environ.get(name, "").strip() for name in VARIABLES}
        missing = [name for name, value in values.items() if not value]
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"Superuser: none exists and {', '.join(missing)} not set; "
                    "set all three to create one on the next deploy."
                )
            )
            return
        username, email, password = values.values()
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).exists():
            raise CommandError(
                f"Superuser: an account named {username!r} exists but is not a superuser; "
                "choose another DJANGO_SUPERUSER_USERNAME or promote it in the admin."
            )
        check_values(username, email, password)
        # Staff accounts are approved when created (userRegistration.signals).
        user_model.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Superuser: created {username}."))


def check_values(username: str, email: str, password: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise CommandError(f"DJANGO_SUPERUSER_EMAIL={email!r} is not an email address.") from None
    user = get_user_model()(username=username, email=email)
    try:
        user.clean_fields(exclude=["password"])
    except ValidationError as error:
        problems = " ".join(error.messages)
        raise CommandError(f"DJANGO_SUPERUSER_USERNAME={username!r}: {problems}") from None
    try:
        validate_password(password, user)
    except ValidationError as error:
        problems = " ".join(error.messages)
        raise CommandError(f"DJANGO_SUPERUSER_PASSWORD is too weak: {problems}") from None
