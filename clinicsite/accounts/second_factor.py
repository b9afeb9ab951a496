"""Who must use a second factor, and how they get one: issued enrolment, recovery codes, reset.

Why issued and not trusted on first use: if the first password-only sign-in could register an
authenticator, whoever guessed or phished a password would register theirs and the second
factor would protect nothing. An enrolment is therefore *issued*, by a verified administrator in
the admin (or, for the very first administrator, by someone at the server with
``manage.py issue_second_factor``): a one-time code, handed over out of band, that the person
types after their password before an authenticator can be added. Only its hash is stored.

Recovery codes are django-otp's static tokens; an administrator's reset removes every device
and pending enrolment and is audited.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.core import audit

from .access import EXPORT, HEALTH, VIEW

__all__ = [
    "MANAGE",
    "RECOVERY_CODES",
    "create_recovery_codes",
    "has_device",
    "issue_enrolment",
    "needs_second_factor",
    "pending_enrolment",
    "redeem_enrolment",
    "reset_second_factor",
]

MANAGE = "accounts.manage_second_factor"
RECOVERY_CODES = 10

# Holding any of these reaches personal or health data, or lets one manage staff and roles.
_SENSITIVE = (
    VIEW,  # the review queue: names beside conditions
    HEALTH,
    EXPORT,
    "newsletter.view_subscriber",
    "newsletter.export_subscriber",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.delete_user",
    "auth.add_group",
    "auth.change_group",
    MANAGE,
)


def needs_second_factor(user: Any) -> bool:
    """Superusers, and anyone whose permissions reach personal or health data or staff."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or any(user.has_perm(perm) for perm in _SENSITIVE))


def enrolment_hours() -> int:
    return settings.SECOND_FACTOR_ENROLMENT_HOURS


def has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _enrolment_model() -> Any:
    from .models import SecondFactorEnrolment

    return SecondFactorEnrolment


def _new_code() -> str:
    raw = secrets.token_hex(6).upper()  # 48 bits, typed once, valid for hours
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_enrolment(user: Any, *, by: Any | None, request: Any = None) -> str:
    """A fresh one-time enrolment code for ``user`` (earlier unused ones stop working)."""
    model = _enrolment_model()
    code = _new_code()
    hours = enrolment_hours()
    with transaction.atomic():
        model.objects.filter(user=user, used_at__isnull=True).delete()
        enrolment = model.objects.create(
            user=user,
            code_hash=make_password(_normalise(code)),
            issued_by=by,
            expires_at=timezone.now() + timedelta(hours=hours),
        )
    audit.record(
        action="otp.enrolment_issued",
        obj=enrolment,
        actor=by,
        request=request,
        details={"for": user.get_username(), "hours": hours},
    )
    return code


def pending_enrolment(user: Any) -> Any | None:
    """The unused, unexpired enrolment issued to ``user``, if any."""
    return (
        _enrolment_model()
        .objects.filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-issued_at")
        .first()
    )


def redeem_enrolment(user: Any, code: str) -> Any | None:
    """The pending enrolment if ``code`` is its code; ``None`` otherwise."""
    enrolment = pending_enrolment(user)
    if enrolment is None or not check_password(_normalise(code), enrolment.code_hash):
        return None
    return enrolment


def create_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODES`` new ones (shown once)."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="Recovery codes", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def reset_second_factor(user: Any, *, by: Any, request: Any = None) -> None:
    """Remove every device and pending enrolment: the person must be issued a new one."""
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user).delete()[0]
        static = StaticDevice.objects.filter(user=user).delete()[0]
        _enrolment_model().objects.filter(user=user, used_at__isnull=True).delete()
    audit.record(
        action="otp.device_reset",
        obj=user,
        actor=by,
        request=request,
        details={"for": user.get_username(), "devices_removed": totp + static},
    )
