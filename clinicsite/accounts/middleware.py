"""Staff sessions in the admin: a second factor before anything, idle logout for health data.

``AdminSecondFactorMiddleware`` holds every ``/admin/`` request, not only the project's own
views: Wagtail's user management, snippets and reports are reachable with a password alone
otherwise, and a password-only session could make itself a Clinician there.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from .access import is_verified, reads_health_data
from .second_factor import needs_second_factor

SESSION_KEY = "health_data.last_activity"

# What a signed-in person without a verified second factor may still reach in the admin.
_OPEN_WITHOUT_SECOND_FACTOR = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
}


def _open_without_second_factor(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a 404 shows nothing
    return match.namespace == "accounts_otp" or match.url_name in _OPEN_WITHOUT_SECOND_FACTOR


class AdminSecondFactorMiddleware:
    """Send an unverified session of a second-factor account to the second-factor page.

    Must come after OTPMiddleware. GET requests are redirected there (and come back after);
    anything else (a POST, a background fetch) is refused with 403, never carried out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info.startswith(reverse("wagtailadmin_home"))
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and needs_second_factor(request.user)
            and not is_verified(request.user)
            and not _open_without_second_factor(request.path_info)
        ):
            if request.method in ("GET", "HEAD") and not _is_background(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('accounts_otp:verify')}?{query}")
            return HttpResponseForbidden(
                "This account must verify its second factor first.", content_type="text/plain"
            )
        return self.get_response(request)


def _is_background(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in accept and "text/html" not in accept
    )


class HealthDataIdleTimeoutMiddleware:
    """Must come after AuthenticationMiddleware and OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, nobody signed in: don't touch request.user, which would load the
            # session and mark every public page "Vary: Cookie" (uncacheable).
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and reads_health_data(user):
            now = time.time()
            last = request.session.get(SESSION_KEY)
            if last is not None and now - float(last) > settings.HEALTH_DATA_IDLE_SECONDS:
                logout(request)
                messages.info(request, "You were signed out after 15 minutes without activity.")
                return redirect(f"{reverse('wagtailadmin_login')}?next={request.path}")
            request.session[SESSION_KEY] = now
        return self.get_response(request)
