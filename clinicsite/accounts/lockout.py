"""What a locked-out sign-in sees, the lockout list administrators read, lifting a lockout,
and the audit trail of all three (django-axes hooks and helpers).

Limits come from axes' own helpers (``get_failure_limit``, ``get_cool_off``), never from its
settings, so a callable limit or cool-off means the same here as in axes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    CharField,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset

from clinicsite.core import audit


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the reason and the time sign-in is possible again (``AXES_LOCKOUT_CALLABLE``).

    Every refused attempt restarts the cool-off, so "now + cool-off" is the true end.
    """
    cooloff = get_cool_off(request) or timedelta(0)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username,
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": int(cooloff.total_seconds() // 60),
        "until": timezone.localtime() + cooloff,
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


def record_lockout(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    """Put each refused sign-in of a locked-out pair in the audit log (never the password)."""
    audit.record(
        action="login.locked_out", details={"username": username}, request=request, sign_in=True
    )


def _pair(queryset: QuerySet) -> QuerySet:
    """Name each attempt's (username, address) pair; a missing one counts as the empty string."""
    return queryset.alias(
        pair_username=Coalesce("username", Value(""), output_field=CharField()),
        # the address column is PostgreSQL's inet: as text first, or '' is not a valid value
        pair_ip=Coalesce(Cast("ip_address", CharField()), Value(""), output_field=CharField()),
    )


def lockout_rows() -> QuerySet:
    """One row per username and address: its latest attempt, with the failures summed.

    django-axes keeps one ``AccessAttempt`` per user agent too, and sums them when it decides
    a lockout (``AxesDatabaseHandler.get_failures``), so listing its rows would show a locked
    pair as several rows below the limit. ``total_failures`` is what axes counts.
    """
    same_pair = _pair(AccessAttempt.objects.all()).filter(
        pair_username=OuterRef("pair_username"), pair_ip=OuterRef("pair_ip")
    )
    latest = same_pair.order_by("-attempt_time", "-pk").values("pk")[:1]
    # SUM without GROUP BY over the correlated rows (Django's Sum would group by the pk)
    total = same_pair.order_by().annotate(
        total=Func(F("failures_since_start"), function="SUM", output_field=IntegerField())
    )
    return (
        _pair(AccessAttempt.objects.all())
        .filter(pk=Subquery(latest))
        .annotate(total_failures=Subquery(total.values("total")))
    )


def locked_until(
    attempt: AccessAttempt, *, limit: int, cool_off: timedelta | None, now: datetime
) -> str:
    """When this pair may sign in again ("not locked", "expired", or the local time)."""
    if (getattr(attempt, "total_failures", None) or attempt.failures_since_start) < limit:
        return "not locked"
    if cool_off is None:
        return "until lifted"
    until = timezone.localtime(attempt.attempt_time + cool_off)
    return until.strftime("%Y-%m-%d %H:%M") if until > now else "expired"


def lift(request: HttpRequest, attempt: AccessAttempt) -> int:
    """Lift the lockout of ``attempt``'s username and address with axes' own reset, audited.

    Removes every row of the pair (one per user agent), so the next sign-in starts from zero.
    """
    removed = reset(username=attempt.username, ip=attempt.ip_address)
    audit.record(
        action="login.lockout_lifted",
        details={"username": attempt.username, "address": attempt.ip_address, "rows": removed},
        request=request,
    )
    return removed
