"""Log out staff who can read health data after HEALTH_DATA_IDLE_SECONDS without a request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .access import reads_health_data

SESSION_KEY = "health_data.last_activity"


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
