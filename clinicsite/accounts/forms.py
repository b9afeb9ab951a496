"""The admin's password-reset form, without e-mailed resets for second-factor accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wagtail.admin.forms.auth import PasswordResetForm

from .second_factor import needs_second_factor


class StaffPasswordResetForm(PasswordResetForm):
    """Mail a reset link only to accounts that need no second factor.

    A reset link in a mailbox would let whoever reads it replace the password of an account
    that reaches health data or manages staff; those accounts are reset by an administrator
    instead. The form answers the same either way, so it reveals nothing about accounts.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if not needs_second_factor(user):
                yield user
