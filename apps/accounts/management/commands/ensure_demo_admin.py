"""Create the demo admin on first run and print how to log in (used by `make run`)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import random_password, user_create


class Command(BaseCommand):
    help = "Create the demo admin user (once) and print its login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        password_file = settings.VAR_DIR / f"demo-{username}-password"
        if not User.objects.filter(username=username).exists():
            password = random_password()
            user_create(
                actor=None,
                username=username,
                password=password,
                is_superuser=True,
                roles=list(Role),
                first_name="Demo",
                last_name="Admin",
            )
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        if password_file.exists():
            password = password_file.read_text().strip()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo admin login: username {username!r}, password {password!r} (kept in {password_file})"
                )
            )
        else:
            self.stdout.write(
                f"User {username!r} already exists; its password is unchanged "
                f"(set one with: python manage.py changepassword {username})"
            )
