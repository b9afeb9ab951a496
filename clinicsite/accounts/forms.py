"""The admin's password-reset form: no e-mailed resets for second-factor accounts, and a
limit on how often anyone can make the clinic send one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wagtail.admin.forms.auth import PasswordResetForm

from clinicsite.core.audit import client_ip
from clinicsite.core.ratelimit import hit

from .second_factor import needs_second_factor

# Per address: a person who lost a mail can ask again; a script cannot flood a mailbox.
RESET_PER_ADDRESS = (3, 3600)
# Per client: one machine cannot sweep through many addresses.
RESET_PER_CLIENT = (10, 3600)


class StaffPasswordResetForm(PasswordResetForm):
    """Mail a reset link only to accounts that need no second factor, and only within limits.

    A reset link in a mailbox would let whoever reads it replace the password of an account
    that reaches health data or manages staff; those accounts are reset by an administrator
    instead. The form answers the same either way, so it reveals nothing about accounts.

    Over a limit, nothing is sent but the answer is still the ordinary "check your inbox"
    page: a distinct page (or a 429) would tell whoever is probing that this address had
    already been asked for, and a person who really lost their password is told the same as
    everyone else.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if not needs_second_factor(user):
                yield user

    def save(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        """Send the reset mail unless this address or this client has asked too often."""
        address = self.cleaned_data["email"].strip().lower()
        by_address = hit("password-reset:address", address, limit=RESET_PER_ADDRESS[0],
                         window=RESET_PER_ADDRESS[1])  # fmt: skip
        by_client = hit("password-reset:client", client_ip(request) or "unknown",
                        limit=RESET_PER_CLIENT[0], window=RESET_PER_CLIENT[1])  # fmt: skip
        if by_address or by_client:
            return None
        return super().save(*args, request=request, **kwargs)
