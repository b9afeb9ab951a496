"""Issue a second-factor enrolment code from the server, for the first administrator.

Every later enrolment is issued in the admin by a verified administrator; this command is for
whoever holds the server (and so the database) already, when no such administrator exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinicsite.accounts import second_factor
from clinicsite.core import audit


class Command(BaseCommand):
    help = "Print a one-time second-factor enrolment code for a staff account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--reset", action="store_true", help="remove the account's devices first"
        )

    def handle(self, *args: Any, username: str, reset: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account named {username!r}.")
        if second_factor.has_device(user) and not reset:
            raise CommandError(f"{username} has a second factor already; --reset replaces it.")
        if reset:
            second_factor.reset_second_factor(user, by=None)
        code = second_factor.issue_enrolment(user, by=None)
        audit.record(action="otp.enrolment_issued_from_server", obj=user)
        self.stdout.write(code)
