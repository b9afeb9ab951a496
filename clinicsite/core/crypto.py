"""Encryption of health data at rest.

Uses ``cryptography``'s Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet``:
``settings.FIELD_ENCRYPTION_KEYS`` lists keys newest first; the newest encrypts, every key
decrypts, so keys rotate without downtime (``manage.py rotate_keys`` re-encrypts).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "decrypt", "encrypt", "rotate"]


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
    """Encrypt under the newest key."""
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Decrypt with whichever configured key made the token; raises ``InvalidToken`` if none did."""
    return _fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """Re-encrypt a token under the newest key."""
    return _fernet().rotate(token)
