"""Secrets that are public because they are written in this repository, and the checks that
keep them out of production.

Anyone can read a committed key, so a site running on one has forgeable status, unsubscribe
and session links (``SECRET_KEY``) and readable health data (``FIELD_ENCRYPTION_KEYS``).
Production refuses them; the demo makes its own keys under ``var/`` instead (``kept_secret``).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

GENERATE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
GENERATE_FERNET_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)

# Every SECRET_KEY that is, or was, written in this repository.
PUBLIC_SECRET_KEYS = frozenset(
    {
        "change-me-to-50-random-characters",  # .env.example until issue 11
        "dev-only-insecure-secret-key-do-not-use-in-production",  # settings/dev.py until issue 11
        "test-secret-key-not-for-production-use-0123456789abcdef",  # settings/test.py
        "ci-live-checks-dummy-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ci-dummy-secret-key-that-is-long-and-random-enough-0123456789abcdef",
    }
)
# Every Fernet key that is, or was, written in this repository.
PUBLIC_FERNET_KEYS = frozenset(
    {
        "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=",  # settings/dev.py until issue 11
        "dGVzdC1rZXktb25lLWZvci10ZXN0cy1vbmx5LTAwMDA=",  # settings/test.py
    }
)
# The shape Django's own deploy check (security.W009) asks of a SECRET_KEY.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5


def check_secret_key(value: str, name: str = "SECRET_KEY") -> None:
    """Refuse a key that is committed, a placeholder, or too short or plain to be random."""
    how = f"Generate one with: {GENERATE_SECRET_KEY}"
    if value in PUBLIC_SECRET_KEYS:
        raise ImproperlyConfigured(
            f"{name} is a key written in the clinicsite repository, so anyone can forge "
            f"signed links with it. {how}"
        )
    if (
        len(value) < MIN_SECRET_KEY_LENGTH
        or len(set(value)) < MIN_SECRET_KEY_CHARACTERS
        or value.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            f"{name} must be at least {MIN_SECRET_KEY_LENGTH} random characters. {how}"
        )


def check_fernet_keys(keys: list[str], name: str = "FIELD_ENCRYPTION_KEYS") -> None:
    """Refuse a list holding a non-Fernet key or a key written in this repository."""
    from cryptography.fernet import Fernet

    how = f"Generate one with: {GENERATE_FERNET_KEY}"
    for key in keys:
        if key in PUBLIC_FERNET_KEYS:
            raise ImproperlyConfigured(
                f"{name} holds a key written in the clinicsite repository, so anyone can "
                f"decrypt the health data. {how}"
            )
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            message = f"{name} holds a key that is not a Fernet key. {how}"
            raise ImproperlyConfigured(message) from exc


def new_secret_key() -> str:
    """A random SECRET_KEY (67 URL-safe characters)."""
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    """A random Fernet key (what ``Fernet.generate_key`` returns, without the import)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in ``path``; on first use ``make()`` writes it there, readable only by the
    owner (0600). Several processes may start at once (gunicorn workers): the file appears
    whole or not at all (written aside, then hard-linked into place, which fails if another
    process got there first), so all of them end up with the same value."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        with contextlib.suppress(FileExistsError):  # another process wrote it first
            os.link(scratch, path)
    finally:
        os.unlink(scratch)
    return path.read_text().strip()
