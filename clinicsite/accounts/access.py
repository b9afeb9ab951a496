"""Who may see what in the admin, and the second factor health-data readers need.

Why here, beside the roles: every app's admin views check the same permissions and the same
second factor, and ``accounts`` is the one app every other may import (it imports only
``core``). The permissions themselves are declared by the models they guard (health data and
exports in ``applications.Application.Meta``); they are named here as strings, so this module
imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

__all__ = [
    "CHANGE",
    "DECIDE",
    "EXPORT",
    "HEALTH",
    "VIEW",
    "can_read_health_data",
    "is_verified",
    "reads_health_data",
    "staff_view",
]

VIEW = "applications.view_application"
CHANGE = "applications.change_application"
HEALTH = "applications.view_health_data"
DECIDE = "applications.decide_application"
EXPORT = "applications.export_application"


def reads_health_data(user: Any) -> bool:
    """Users who must use a second factor and are logged out when idle.

    Exporting counts too: an export holds the same health data as the screens.
    """
    return bool(user.is_authenticated and (user.has_perm(HEALTH) or user.has_perm(EXPORT)))


def can_read_health_data(user: Any) -> bool:
    """Whether a service may decrypt health data for this user (active, with the permission).

    The services' own check, beneath the views' ``staff_view``: a task or command that calls
    them with a user is held to the same rule.
    """
    return bool(user and user.is_active and user.has_perm(HEALTH))


def is_verified(user: Any) -> bool:
    """Whether this session passed the second factor (django-otp's ``OTPMiddleware`` says so)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def _needs_second_factor(user: Any) -> bool:
    from .second_factor import needs_second_factor  # it imports the permission names above

    return needs_second_factor(user)


def staff_view(*perms: str, second_factor: bool = False) -> Callable:
    """Require every permission (403 otherwise) and a verified second factor where one is needed."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('wagtailadmin_login')}?{query}")
            if not all(user.has_perm(perm) for perm in perms):
                # An explicit 403 (Wagtail would turn PermissionDenied into a redirect).
                return TemplateResponse(request, "accounts/admin/denied.html", status=403)
            if (second_factor or _needs_second_factor(user)) and not is_verified(user):
                return redirect(
                    reverse("accounts_otp:verify") + "?" + urlencode({"next": request.path})
                )
            return view(request, *args, **kwargs)

        # what the view demands, for the admin access test generated from the URLconf
        wrapped.required_permissions = perms  # type: ignore[attr-defined]
        wrapped.second_factor = second_factor  # type: ignore[attr-defined]
        return wrapped

    return decorator
