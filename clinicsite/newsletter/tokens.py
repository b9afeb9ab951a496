"""Signed links in newsletter e-mails and forms.

* confirmation links expire (``NEWSLETTER_CONFIRM_DAYS``) and name the opt-in round, so a link
  mailed before an unsubscribe cannot re-subscribe anyone;
* manage links (unsubscribe, preferences) never expire — CAN-SPAM and RFC 8058 want leaving to
  work long after the mail was sent — and stop working only when the subscriber is erased;
* form tokens carry the time the sign-up form was rendered (minimum fill time for bots).
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "newsletter.confirm"
MANAGE_SALT = "newsletter.manage"
FORM_SALT = "newsletter.form"


def confirm_token(subscriber_key: str, opt_in_round: int) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(f"{subscriber_key}.{opt_in_round}")


def read_confirm_token(token: str) -> tuple[str, int]:
    """(key, round); raises ``signing.BadSignature`` or ``SignatureExpired``."""
    value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(
        token, max_age=datetime.timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
    )
    key, _, round_ = value.rpartition(".")
    if not key or not round_.isdigit():
        raise signing.BadSignature("malformed")
    return key, int(round_)


def manage_token(subscriber_key: str) -> str:
    return signing.Signer(salt=MANAGE_SALT).sign(subscriber_key)


def read_manage_token(token: str) -> str:
    return signing.Signer(salt=MANAGE_SALT).unsign(token)


def form_token(now: float | None = None) -> str:
    return signing.Signer(salt=FORM_SALT).sign(str(int(now if now is not None else time.time())))


def form_age(token: object, now: float | None = None) -> float | None:
    """Seconds since the form was rendered, or None for a missing or forged token."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        rendered = int(signing.Signer(salt=FORM_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (now if now is not None else time.time()) - rendered
