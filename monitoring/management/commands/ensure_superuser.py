"""Create the demo's staff superuser once, printing its credentials that one time."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser if none exists: DJANGO_SUPERUSER_USERNAME / _EMAIL / _PASSWORD "
        "when set, else 'admin' with a generated password printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username", default=None, help="Defaults to DJANGO_SUPERUSER_USERNAME or 'admin'."
        )

    def handle(self, *args, username: str | None, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("superuser: already exists (reset with `manage.py changepassword`)")
            return
        username = username or os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        if generated:
            self.stdout.write(
                self.style.SUCCESS(
                    f"superuser created: username {username!r} password {password!r} "
                    "(shown once; change it with `manage.py changepassword`)"
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"superuser {username!r} created from env"))
