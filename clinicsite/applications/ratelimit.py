"""Per-client rate limits on the applicant's POSTs, counted in the shared cache."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from clinicsite.core.audit import client_ip


def over_limit(request: HttpRequest, scope: str, *, limit: int | None = None) -> bool:
    """Count this request against ``scope`` for the client; True once over the minute's quota."""
    limit = limit if limit is not None else settings.APPLICATION_RATE_LIMIT
    window = int(time.time() // 60)
    key = f"apply-rl:{scope}:{client_ip(request) or 'unknown'}:{window}"
    if cache.add(key, 1, timeout=90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=90)
            count = 1
    return count > limit
