"""Encryption of health data at rest, each ciphertext bound to the place it was sealed for.

Uses ``cryptography``'s Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet``:
``settings.FIELD_ENCRYPTION_KEYS`` lists keys newest first; the newest encrypts, every key
decrypts, so keys rotate without downtime (``manage.py rotate_keys`` re-encrypts).

Binding: Fernet authenticates the whole plaintext, so ``seal`` puts a *context* (for a column,
``"app_label.model:column:row"``) inside it, after a version marker, and ``unseal`` compares
it. A ciphertext copied to another row, column or model still decrypts, but names the wrong
place and is refused with ``CiphertextMisplaced``. No new cryptography: only what goes into
Fernet changes. Layout of the sealed plaintext::

    MAGIC (b"\\x00cs1") | context length (2 bytes, big-endian) | context (UTF-8) | data

No plaintext this project stored before binding starts with a NUL byte (JSON, UTF-8 text,
PDF, JPEG, PNG), so an old *unbound* token is told apart from a bound one. Unbound tokens are
refused (``CiphertextUnbound``) unless ``settings.FIELD_ENCRYPTION_ALLOW_UNBOUND`` is on, which
is meant only for the window between deploying this and running ``rotate_keys``.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "CiphertextMisplaced",
    "CiphertextUnbound",
    "InvalidToken",
    "decrypt",
    "encrypt",
    "reseal",
    "rotate",
    "seal",
    "unseal",
]

MAGIC = b"\x00cs1"
_MAX_CONTEXT = 0xFFFF


class CiphertextMisplaced(InvalidToken):
    """A ciphertext that decrypts but was sealed for another place (row, column or model).

    The message names both places, never the content.
    """

    def __init__(self, expected: str, found: str | None) -> None:
        self.expected = expected
        self.found = found
        where = "no place (an unbound token)" if found is None else repr(found)
        super().__init__(f"ciphertext for {expected!r} was sealed for {where}")


class CiphertextUnbound(CiphertextMisplaced):
    """A token from before binding, refused while ``FIELD_ENCRYPTION_ALLOW_UNBOUND`` is off."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected, None)


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: health data cannot be stored.")
    return MultiFernet([Fernet(key) for key in keys])


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: object) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt(data: bytes) -> bytes:
    """Encrypt under the newest key, bound to nothing (use ``seal`` for stored data)."""
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Decrypt with whichever configured key made the token; raises ``InvalidToken`` if none did.

    Returns the raw plaintext, context header included for a sealed token.
    """
    return _fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """Re-encrypt a token under the newest key, plaintext (and so its binding) unchanged."""
    return _fernet().rotate(token)


def _frame(data: bytes, context: str) -> bytes:
    label = context.encode()
    if len(label) > _MAX_CONTEXT:
        raise ValueError("context too long")
    return MAGIC + len(label).to_bytes(2, "big") + label + data


def _unframe(plaintext: bytes) -> tuple[str | None, bytes]:
    """(context, data); context ``None`` for an unbound token from before binding."""
    if not plaintext.startswith(MAGIC):
        return None, plaintext
    start = len(MAGIC) + 2
    if len(plaintext) < start:
        raise InvalidToken
    end = start + int.from_bytes(plaintext[len(MAGIC) : start], "big")
    if len(plaintext) < end:
        raise InvalidToken
    try:
        return plaintext[start:end].decode(), plaintext[end:]
    except UnicodeDecodeError as exc:
        raise InvalidToken from exc


def seal(data: bytes, context: str) -> bytes:
    """Encrypt ``data`` under the newest key, bound to ``context`` (where it will be stored)."""
    return _fernet().encrypt(_frame(data, context))


def unseal(token: bytes, context: str, *, allow_unbound: bool | None = None) -> bytes:
    """Decrypt a token sealed for ``context``.

    Raises ``InvalidToken`` if no key opens it, ``CiphertextMisplaced`` if it was sealed for
    another context and ``CiphertextUnbound`` for a pre-binding token (unless allowed, by
    argument or ``settings.FIELD_ENCRYPTION_ALLOW_UNBOUND``).
    """
    found, data = _unframe(_fernet().decrypt(token))
    if found is None:
        if allow_unbound is None:
            allow_unbound = getattr(settings, "FIELD_ENCRYPTION_ALLOW_UNBOUND", False)
        if not allow_unbound:
            raise CiphertextUnbound(context)
    elif found != context:
        raise CiphertextMisplaced(context, found)
    return data


def reseal(token: bytes, context: str) -> bytes:
    """Re-seal under the newest key, bound to ``context``: what ``rotate_keys`` does.

    An unbound token is bound here (rotation is how old data gets its binding); a token bound
    elsewhere is refused, never re-bound to the place it was moved to.
    """
    return seal(unseal(token, context, allow_unbound=True), context)
