"""E-mail addresses as the list keeps them: one spelling per mailbox, safe in a mail header."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_LENGTH = 254  # RFC 5321 path limit


def normalise_email(raw: object) -> str:
    """The address to store, or ``ValidationError`` with a message the visitor can act on.

    Surrounding spaces go; the domain is lower-cased (it is case-insensitive by RFC 5321) and
    uniqueness is case-insensitive on the whole address (``Lower`` constraint), because
    practically every mailbox provider treats the local part that way too. International
    domains are stored in their ASCII (IDNA) form, so every stored address is plain ASCII.
    Control characters (a newline would let a sender inject mail headers) are refused, not
    stripped.
    """
    if not isinstance(raw, str):
        raise ValidationError("Enter your e-mail address.", code="required")
    value = raw.strip()
    if not value:
        raise ValidationError("Enter your e-mail address.", code="required")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(
            "An e-mail address cannot contain line breaks or control characters.",
            code="control",
        )
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            f"That address is too long: e-mail addresses have at most {MAX_LENGTH} characters.",
            code="too_long",
        )
    if "@" not in value:
        raise ValidationError("An e-mail address needs an @, as in name@example.org.", code="no_at")
    local, _, domain = value.rpartition("@")
    value = f"{local}@{domain.lower()}"
    try:
        validate_email(value)
        domain = domain.lower().encode("idna").decode("ascii")
    except (ValidationError, UnicodeError):
        raise ValidationError(
            "Enter an e-mail address in the form name@example.org.", code="invalid"
        ) from None
    value = f"{local}@{domain}"
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            f"That address is too long: e-mail addresses have at most {MAX_LENGTH} characters.",
            code="too_long",
        )
    return value
