"""Fixed-window rate limits counted in the shared ``default`` cache (Redis in production).

One place for every public form: the application steps, newsletter sign-ups, confirmation
e-mails per address. Counting in the cache shared by all app servers means a limit holds
however many gunicorn workers answer — provided each count is atomic. Redis's ``SET NX`` and
``INCR`` are; a file cache's ``add`` and ``incr`` are a read then a write, so on one every
count is taken under an exclusive lock on a file beside the cache, which all processes of the
machine share. Per-process memory is for the test settings only (each process its own count).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache

LOCK_NAME = "ratelimit.lock"


@contextlib.contextmanager
def _counting() -> Iterator[None]:
    """Hold the machine-wide lock that makes a file cache's read-and-write count atomic."""
    backend = caches["default"]
    if not isinstance(backend, FileBasedCache):
        yield
        return
    directory = Path(backend._dir)  # the cache's own LOCATION
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def hit(scope: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one event for ``subject`` in ``scope``; True once more than ``limit`` fell in the
    current ``window`` seconds. ``subject`` is hashed, so e-mail addresses never become keys."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}:{bucket}"
    with _counting():
        if cache.add(key, 1, timeout=window + 30):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window + 30)
                count = 1
    return count > limit
