"""Who may see what of an application, and the second factor health-data readers need."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

VIEW = "applications.view_application"
CHANGE = "applications.change_application"
HEALTH = "applications.view_health_data"
DECIDE = "applications.decide_application"
EXPORT = "applications.export_application"


def reads_health_data(user: Any) -> bool:
    """Users who must use a second factor and are logged out when idle."""
    return bool(user.is_authenticated and (user.has_perm(HEALTH) or user.has_perm(EXPORT)))


def is_verified(user: Any) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


def staff_view(*perms: str, second_factor: bool = False) -> Callable:
    """Require every permission (403 otherwise) and, for health data, a verified TOTP session."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect(f"{reverse('wagtailadmin_login')}?next={request.path}")
            if not all(user.has_perm(perm) for perm in perms):
                # An explicit 403 (Wagtail would turn PermissionDenied into a redirect).
                return TemplateResponse(request, "applications/admin/denied.html", status=403)
            if (second_factor or reads_health_data(user)) and not is_verified(user):
                return redirect(
                    reverse("applications_otp:verify") + "?" + urlencode({"next": request.path})
                )
            return view(request, *args, **kwargs)

        # what the view demands, for the admin access test generated from the URLconf
        wrapped.required_permissions = perms  # type: ignore[attr-defined]
        wrapped.second_factor = second_factor  # type: ignore[attr-defined]
        return wrapped

    return decorator
