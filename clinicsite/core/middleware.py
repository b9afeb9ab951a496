"""Security headers that differ between the public site and the Wagtail admin."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from csp.constants import SELF, UNSAFE_INLINE


class AdminContentSecurityPolicyMiddleware:
    """Loosen the CSP for the Wagtail admin only.

    Public pages carry a strict same-origin policy with no inline code. Wagtail's admin
    still relies on inline styles and scripts, so its pages get ``'unsafe-inline'`` for
    those two directives — still same-origin only. Must sit after ``CSPMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {  # read by django-csp's middleware
                "script-src": [UNSAFE_INLINE],
                "style-src": [UNSAFE_INLINE],
                "img-src": ["blob:"],
            }
        return response


__all__ = ["SELF", "AdminContentSecurityPolicyMiddleware"]
