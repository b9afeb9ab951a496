"""Fixed-window rate limits counted in the shared ``default`` cache (Redis in production).

One place for every public form: the application steps, newsletter sign-ups, confirmation
e-mails per address. Counting in the cache shared by all app servers means a limit holds
however many gunicorn workers answer.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def hit(scope: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one event for ``subject`` in ``scope``; True once more than ``limit`` fell in the
    current ``window`` seconds. ``subject`` is hashed, so e-mail addresses never become keys."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}:{bucket}"
    if cache.add(key, 1, timeout=window + 30):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 30)
            count = 1
    return count > limit
