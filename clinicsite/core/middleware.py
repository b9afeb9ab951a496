"""Security headers: the ones every response carries, and the admin's Content-Security-Policy.

Where each header comes from (one list, so nothing is set twice):

* ``SecurityMiddleware`` (settings ``SECURE_*``): ``X-Content-Type-Options``,
  ``Referrer-Policy``, ``Cross-Origin-Opener-Policy``, HSTS in production.
* ``XFrameOptionsMiddleware``: ``X-Frame-Options: DENY``.
* ``SecurityHeadersMiddleware`` (below): ``Permissions-Policy`` and
  ``Cross-Origin-Resource-Policy`` from ``settings.PERMISSIONS_POLICY`` and
  ``settings.CROSS_ORIGIN_RESOURCE_POLICY``; it sits outside WhiteNoise so static files get them.
* ``CSPMiddleware`` (django-csp, ``settings.CONTENT_SECURITY_POLICY``): the strict public policy,
  adjusted for ``/admin/`` by ``AdminContentSecurityPolicyMiddleware``.

Also ``WagtailSiteMiddleware``: the request's Wagtail site found once per cache generation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from wagtail.models import Site

from csp.constants import HEADER, NONCE, SELF, UNSAFE_INLINE

from .csp import nonces_from
from .pagecache import EXCLUDED_PREFIXES, remember

ADMIN_PREFIX = "/admin/"


def permissions_policy(features: dict[str, list[str]]) -> str:
    """``camera=(), fullscreen=(self)``: an empty list denies the feature to every origin."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


class SecurityHeadersMiddleware:
    """Deny powerful browser features and cross-origin embedding of our resources everywhere.

    Responses are cached whole by the page cache, so a cached page keeps these headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.headers = {
            "Permissions-Policy": permissions_policy(settings.PERMISSIONS_POLICY),
            "Cross-Origin-Resource-Policy": settings.CROSS_ORIGIN_RESOURCE_POLICY,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response


class AdminContentSecurityPolicyMiddleware:
    """The Wagtail admin's policy: the public one plus a per-request script nonce.

    * ``script-src 'self' 'nonce-…'``: Wagtail's own inline scripts carry the nonce
      (``core/csp.py``); no ``'unsafe-inline'``. The nonce appears only when a script used it.
    * ``style-src 'self' 'unsafe-inline'`` once signed in: Draftail, the rich-text editor,
      inserts ``<style>`` elements from JavaScript that cannot carry a nonce. Styles cannot run
      code, and with ``img-src``/``font-src``/``connect-src`` limited to this origin a style
      cannot send data elsewhere. The sign-in pages keep the strict ``'self'``.
    * ``img-src`` adds ``blob:`` for the previews of images being uploaded.
    * ``frame-src 'self'`` for the editor's live preview panel, and only the preview responses
      (Wagtail marks them ``X-Frame-Options: SAMEORIGIN``) get ``frame-ancestors 'self'``; a
      page preview keeps the public policy it was rendered with.

    Must sit after ``CSPMiddleware`` (which creates ``request.csp_nonce``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(ADMIN_PREFIX):
            return self.get_response(request)
        with nonces_from(lambda: str(request.csp_nonce)):
            response = self.get_response(request)
        framed = response.get("X-Frame-Options") == "SAMEORIGIN"  # set by Wagtail's previews
        if framed and HEADER in response:
            # A page preview: Wagtail renders it by running a dummy request for the page's
            # public URL through the whole middleware stack, so it arrives with the public
            # policy. Keep that policy (the editor sees what the public browser enforces) and
            # only let the editor frame it.
            del response[HEADER]
            response._csp_replace = {"frame-ancestors": [SELF]}
            return response
        # read by django-csp's middleware; NONCE is dropped when no script asked for one
        response._csp_update = {"script-src": [NONCE], "img-src": ["blob:"]}
        if request.user.is_authenticated:  # the sign-in pages have no editor: strict styles
            response._csp_update["style-src"] = [UNSAFE_INLINE]
        response._csp_replace = {"frame-src": [SELF]}
        if framed:  # other previews (StreamField blocks) are admin pages shown in a frame
            response._csp_replace["frame-ancestors"] = [SELF]
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


class MisplacedCiphertextMiddleware:
    """A stored ciphertext that opens but was sealed for another place (``crypto.unseal``)
    answers 409 with a plain page, never a 500, and is written to the audit log.

    Why here: every view that shows health data reads it through the services, and any of them
    can meet a value copied from another row; one handler covers them all. The audit entry
    names the place expected and the place found (model, column, row), never the content.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from . import audit
        from .crypto import CiphertextMisplaced

        if not isinstance(exception, CiphertextMisplaced):
            return None
        audit.record(
            action="crypto.ciphertext_misplaced",
            request=request,
            details={"expected": exception.expected, "found": exception.found,
                     "path": request.path},
        )  # fmt: skip
        return render(request, "409_ciphertext.html", status=409)
