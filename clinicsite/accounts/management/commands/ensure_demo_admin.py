"""Create (or reuse) the demo administrator and print its login and second factor.

The password and the TOTP key are random, generated once and kept in ``var/`` (mode 0600) so
re-running ``bin/demo`` prints the same login. The administrator is a superuser, so the admin
asks for the second factor: the key and its ``otpauth://`` URI are printed beside the password,
to add to an authenticator app in one step. Refuses to run with production settings.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.accounts.roles import ADMINISTRATOR
from clinicsite.core.urls import absolute_url

USERNAME = "admin"
DEVICE = "Demo authenticator"


class Command(BaseCommand):
    help = "Create the demo administrator account and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError("The demo administrator is never created with production settings.")
        var = settings.VAR_DIR
        password = _kept(var / "demo-admin-password", lambda: secrets.token_urlsafe(12))
        totp_key = _kept(var / "demo-admin-totp-key", lambda: secrets.token_hex(20))
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@clinic.example"}
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=ADMINISTRATOR))
        device = TOTPDevice.objects.filter(user=user, name=DEVICE).first()
        if device is None or device.key != totp_key:
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE, key=totp_key, confirmed=True)
        setup_key = base64.b32encode(device.bin_key).decode()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: {absolute_url('/admin/')}  username: {USERNAME}  password: {password}"
            )
        )
        self.stdout.write(
            f"  second factor: add this TOTP key to an authenticator app: {setup_key}\n"
            f"  (or open this URI on the phone: {device.config_url})"
        )


def _kept(path: Path, make: Callable[[], str]) -> str:
    """The value kept in ``path``, made once and kept private (0600) for every later run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = path.read_text().strip() if path.exists() else ""
    if not value:
        value = make()
        path.write_text(value + "\n")
        path.chmod(0o600)
    return value
