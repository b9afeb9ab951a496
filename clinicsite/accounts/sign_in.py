"""The audit trail of staff sign-in: signed in, signed out, wrong password (Django's signals).

Every account is staff (applicants and patients have none), so every event is recorded. A
failed sign-in records the username tried, never the password or anything else typed; its
address is kept (``sign_in=True``), as django-axes keeps it to throttle the pair. The second
factor's own events (verified, failed, recovery code used, enrolment, reset) are recorded
where they happen, in ``otp_views`` and ``second_factor``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clinicsite.core import audit


def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="login.signed_in", obj=user, request=request)


def signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # a session that was not signed in
        return
    audit.record(actor=user, action="login.signed_out", obj=user, request=request)


def failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    audit.record(
        action="login.failed", details={"username": username}, request=request, sign_in=True
    )
