"""What a locked-out sign-in sees, and the audit trail of lockouts (django-axes hooks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinicsite.core import audit


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the reason and the time sign-in is possible again (``AXES_LOCKOUT_CALLABLE``).

    Every refused attempt restarts the cool-off, so "now + cool-off" is the true end.
    """
    cooloff = settings.AXES_COOLOFF_TIME
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cooloff.total_seconds() // 60),
        "until": timezone.localtime() + cooloff,
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


def record_lockout(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    """Put each refused sign-in of a locked-out pair in the audit log (never the password)."""
    audit.record(action="login.locked_out", details={"username": username}, request=request)
