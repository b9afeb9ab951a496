"""A short path for anonymous page views: whole responses cached and served before any other
middleware runs.

Only what is the same for every visitor is cached: GET requests without a query string or a
session cookie, answered 200 with no cookie set, no ``Vary: Cookie`` and no private or
no-store cache control. Public pages carry no CSP nonce (they have no inline code), so a cached
copy stays valid for everyone. Publishing, unpublishing, moving or deleting a page, or changing
the people, clinic facts and images that pages show, starts a new cache generation, so
readers never see stale content for longer than one request. Configure the cache alias
``pages`` (Redis shared by all app servers in production; a file cache otherwise, so every
gunicorn worker on one machine sees the same generation).

The same generation keys smaller things that every visitor sees alike and that pages would
otherwise fetch on every render (the navigation, the clinic's details, the route to a
published URL): ``remember`` keeps them in the default cache until the next generation.
Template fragments use Wagtail's own ``{% wagtailcache %}`` and ``{% wagtailpagecache %}``
(which skip previews), varied on ``fragment_key`` (``core.context_processors``).

Only ever a cache of what the database says, never the authority for access: a lost or
evicted generation starts a fresh one rather than one that may have been used before, and
whether a page is private is always read from the database by the pages themselves.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re

GENERATION_KEY = "page-cache:generation"
EXCLUDED_PREFIXES = ("/admin/", "/static/", "/media/", "/documents/", "/healthz")
# An upper bound on how long remembered data lives even if no generation ever follows it (a
# lost bump, or an entry written while the change that bumped was still uncommitted).
REMEMBER_SECONDS = 3600

T = TypeVar("T")
_MISSING = object()
# While a request is being handled, the generation it first read (see ``generation``).
_request = threading.local()


def _cache():  # noqa: ANN202
    return caches["pages"]


def _fresh_generation() -> int:
    """A generation no earlier process can have used: when the key is missing (a new cache,
    or one that evicted it), starting again from 1 would bring back whatever was remembered
    under 1 before, for up to ``REMEMBER_SECONDS``."""
    return time.time_ns()


def _increment() -> None:
    cache = _cache()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, _fresh_generation(), None)
    _request.generation = None


def bump_generation(**kwargs: Any) -> None:
    """Invalidate every cached page (signal receiver; accepts and ignores signal arguments).

    Signals fire inside the saving transaction, before its commit: a reader in between still
    sees the old rows and would cache them under the new generation. So the generation moves
    again once the transaction commits (at once when there is none).
    """
    _increment()
    transaction.on_commit(_increment)


def generation() -> int:
    """The current generation: anything cached under an older one is out of date.

    A request reads it once (a page asks a dozen times, and with Redis each read is a round
    trip); a bump in the same thread makes it read again. Outside requests (workers,
    commands) every call reads the cache.
    """
    if getattr(_request, "active", False) and _request.generation is not None:
        return _request.generation
    value = _cache().get_or_set(GENERATION_KEY, _fresh_generation, None)
    if getattr(_request, "active", False):
        _request.generation = value
    return value


def request_started(**kwargs: Any) -> None:
    """Signal receiver: a request begins, with no generation read yet."""
    _request.active = True
    _request.generation = None


def request_finished(**kwargs: Any) -> None:
    """Signal receiver: the request is over; what it read must not outlive it."""
    _request.active = False
    _request.generation = None


def remember(key: str, build: Callable[[], T], keep: Callable[[T], bool] | None = None) -> T:
    """``build()``, computed once per generation and shared by every request and process that
    uses the same default cache. Only for data that is the same for every visitor and whose
    changes bump the generation (see ``signals.shown_on_pages``). ``keep`` may refuse to
    store a result (e.g. one derived from a URL nobody publishes, so that made-up URLs cannot
    fill the cache)."""
    cache = caches["default"]
    full_key = f"page-data:{release()}:{generation()}:{key}"
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = build()
        if keep is None or keep(value):
            cache.set(full_key, value, REMEMBER_SECONDS)
    return value


def fragment_key(request: HttpRequest) -> str:
    """What every cached template fragment varies on besides its own values: the release, the
    generation and the request's site (one site's links are not another's)."""
    from wagtail.models import Site

    site = Site.find_for_request(request)
    return f"{release()}:{generation()}:{site.pk if site else ''}"


@functools.cache
def release() -> str:
    """A fingerprint of the code and templates this process runs, part of every cache key, so a
    deployment never serves pages rendered by the previous release (computed once at start)."""
    digest = hashlib.sha256()
    for path in sorted(settings.PROJECT_DIR.rglob("*")):
        if path.suffix in {".py", ".html", ".txt", ".css", ".js", ".svg"} and path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:12]


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(EXCLUDED_PREFIXES)
    )


def _cacheable_response(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v}
    if "cookie" in vary or "*" in vary:
        return False
    control = response.get("Cache-Control", "").lower()
    return not any(word in control for word in ("private", "no-cache", "no-store", "max-age=0"))


class AnonymousPageCacheMiddleware:
    """Serve cached pages to anonymous visitors; must be first in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        if not timeout or not _cacheable_request(request):
            return self.get_response(request)
        try:
            host = request.get_host()
        except DisallowedHost:
            return self.get_response(request)  # let Django answer 400 as usual
        raw = f"{release()}|{generation()}|{request.scheme}|{host}|{request.path}"
        key = "page-cache:" + hashlib.sha256(raw.encode()).hexdigest()
        cache = _cache()
        cached = cache.get(key)
        if cached is not None:
            cached["X-Page-Cache"] = "hit"
            return cached
        response = self.get_response(request)
        if _cacheable_response(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            cache.set(key, response, timeout)
            response["X-Page-Cache"] = "miss"
        return response
