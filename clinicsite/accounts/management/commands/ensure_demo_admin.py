"""Create (or reuse) the demo administrator and print its login.

The password is random, generated once and kept in ``var/demo-admin-password`` (mode 0600) so
re-running ``bin/demo`` prints the same login. Refuses to run with DEBUG off outside demo mode.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from clinicsite.accounts.roles import ADMINISTRATOR
from clinicsite.core.urls import absolute_url

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create the demo administrator account and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError("The demo administrator is never created with production settings.")
        secret_file = settings.VAR_DIR / "demo-admin-password"
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        password = secret_file.read_text().strip() if secret_file.exists() else ""
        if not password:
            password = secrets.token_urlsafe(12)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@clinic.example"}
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=ADMINISTRATOR))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: {absolute_url('/admin/')}  username: {USERNAME}  password: {password}"
            )
        )
