"""Security headers that differ between the public site and the Wagtail admin, and the
request's Wagtail site found once per cache generation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from wagtail.models import Site

from csp.constants import SELF, UNSAFE_INLINE

from .pagecache import EXCLUDED_PREFIXES, remember


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


class WagtailSiteMiddleware:
    """Give public requests their Wagtail ``Site`` (with its root page) from the cache.

    Wagtail looks the site up with a query per request, the costliest one on a page, and keeps
    it in ``request._wagtail_site`` (its documented per-request cache), where this puts the
    remembered one: sites are saved rarely, and saving one, or moving a page, bumps the cache
    generation. The key is what Wagtail matches on, the host name and the port; sit after
    ``CommonMiddleware``, which answers 400 to hosts outside ``ALLOWED_HOSTS``, so the keys
    stay few. The admin, files and the health check look the site up themselves if at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(EXCLUDED_PREFIXES) and not hasattr(request, "_wagtail_site"):
            hostname = split_domain_port(request.get_host())[0]
            port = request.get_port()
            key = "site:" + hashlib.sha256(f"{hostname}|{port}".encode()).hexdigest()
            site = remember(key, lambda: Site.find_for_request(request))
            root = site.root_page if site is not None else None
            if getattr(root and root.specific_class, "reads_itself_when_routed", False):
                # Wagtail routes from the root page's specific object, which it would read in
                # full just to ask it for a child; page types that say so read themselves in
                # ``route`` when they are the page shown.
                root.specific = root.specific_deferred
            request._wagtail_site = site
        return self.get_response(request)


__all__ = ["SELF", "AdminContentSecurityPolicyMiddleware", "WagtailSiteMiddleware"]
