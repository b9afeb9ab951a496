"""Per-client rate limits on the applicant's POSTs (see ``core.ratelimit``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from clinicsite.core.audit import client_ip
from clinicsite.core.ratelimit import hit


def over_limit(request: HttpRequest, scope: str, *, limit: int | None = None) -> bool:
    """Count this request against ``scope`` for the client; True once over the minute's quota."""
    limit = limit if limit is not None else settings.APPLICATION_RATE_LIMIT
    return hit(f"apply:{scope}", client_ip(request) or "unknown", limit=limit, window=60)
