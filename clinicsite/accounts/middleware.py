"""Staff sessions in the admin: a second factor before anything, then idle logout.

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
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from .access import is_verified
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


# Requests the admin's own scripts send on a timer while a page stays open: Wagtail's editing
# session pings (every WAGTAIL_EDITING_SESSION_PING_INTERVAL, 10 s) and the release beacon sent
# when the page closes. Nobody did anything, so they never count as activity. Fetches a person
# sets off (choosers, autosave, preview updates) still do.
_POLLING = {
    "wagtailadmin_editing_sessions:ping",
    "wagtailadmin_editing_sessions:release",
}


def _is_polling(request: HttpRequest) -> bool:
    """Whether this request is one of the admin's timer-driven background requests."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in _POLLING


def idle_limit_text(seconds: int) -> str:
    """The idle limit as a person reads it: "15 minutes", "1 minute", "30 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class StaffIdleTimeoutMiddleware:
    """Sign out a second-factor account after ``HEALTH_DATA_IDLE_SECONDS`` without an action.

    Covers everyone ``needs_second_factor`` names, not only health-data readers: an intake
    coordinator's queue shows names beside conditions, Marketing sees the subscriber list, an
    administrator can hand out roles; an unattended session of any of them exposes as much.
    Only a person's requests reset the timer: the editing-session pings of an edit view left
    open do not, and one arriving past the limit signs the session out and gets a 401, which
    Wagtail's script shows as a lost connection (the next click lands on the sign-in page).
    Must come after AuthenticationMiddleware and OTPMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, nobody signed in: don't touch request.user, which would load the
            # session and mark every public page "Vary: Cookie" (uncacheable).
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and needs_second_factor(user):
            now = time.time()
            last = request.session.get(SESSION_KEY)
            limit = settings.HEALTH_DATA_IDLE_SECONDS
            if last is not None and now - float(last) > limit:
                return self._sign_out(request, limit)
            if not _is_polling(request):
                request.session[SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request: HttpRequest, limit: int) -> HttpResponse:
        background = _is_polling(request) or _is_background(request)
        logout(request)
        messages.info(
            request, f"You were signed out after {idle_limit_text(limit)} without activity."
        )
        if background:
            return JsonResponse({"error": "signed out after inactivity"}, status=401)
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('wagtailadmin_login')}?{query}")
