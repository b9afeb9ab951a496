"""How a request finds its page: the parts of Wagtail's serving path this project overrides.

Wagtail serves a page by looking up the request's ``Site`` (a query), walking the tree from the
site's root one URL segment at a time (``Page.route``: a child query and a specific-object
query per segment) and then checking the view restrictions of the page and its ancestors (two
queries) before ``serve``. For an anonymous visitor the page cache answers before any of this;
the path below is what every other request pays (a signed-in reader, a query string, the first
visitor after a publish).

Overridden here, each for a gain measured with ``bench/render.py`` (``docs/performance.md``):

* ``RoutingMixin.route``: the pages along a URL are read in one query by ``url_path`` and the
  result remembered per cache generation (published URLs only), and only the last page's
  specific object is read, with the related rows its template shows. A page type with its own
  ``route`` still receives the rest of the URL; where stored URL paths disagree with the tree,
  Wagtail's own walk decides.
* ``RoutingMixin.get_view_restrictions``: while no page on the site has a view restriction
  (one ``EXISTS`` query, far cheaper than Wagtail's two), nothing is checked further; once
  any page is private, Wagtail's own check runs. Both read the database on every request:
  who may see a page is never read from a cache, which can lose entries or keep old ones (an
  earlier remembered copy of the restrictions is gone for that reason). Routes found from
  remembered data are served only after this check.
* The request's ``Site``: see ``core.middleware.WagtailSiteMiddleware``.

Listings use Wagtail's own ``.public()``, which reads the restrictions from the database.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.http import HttpRequest

from wagtail.models import Page, PageViewRestriction
from wagtail.url_routing import RouteResult

from clinicsite.core.pagecache import remember

# What routing needs of the pages along a URL (and templates of a page's parent, for links).
ROUTE_FIELDS = ("title", "slug", "live", "url_path", "path", "depth", "numchild", "content_type")


def _specific_for_serving(page: Page) -> Page:
    """``page.specific``, with the related rows its template shows read in the same query."""
    cls = page.specific_class
    if cls is None or not issubclass(cls, RoutingMixin):
        return page.specific
    if isinstance(page, cls) and not page.get_deferred_fields():
        return page
    queryset = cls.objects.all()
    if cls.serve_select_related:  # select_related() without names would follow every key
        queryset = queryset.select_related(*cls.serve_select_related)
    specific = queryset.get(pk=page.pk)
    if "_cached_parent_obj" in page.__dict__:
        specific._cached_parent_obj = page._cached_parent_obj
    return specific


def _routes_itself(cls: type[Page] | None) -> bool:
    """True for a page type with its own ``route`` (it must see the rest of the URL)."""
    return cls is not None and cls.route not in (Page.route, RoutingMixin.route)


class RoutingMixin:
    """Routing in one query per URL, for page types that list their related rows
    (``serve_select_related``). Mixed in before ``Page``."""

    # ``route`` reads the page in full when it arrives deferred (core.WagtailSiteMiddleware).
    reads_itself_when_routed = True
    # Foreign keys the page's template shows on every render, fetched with the page when it is
    # served. Those shown only inside ``{% remember %}`` fragments (the listing image in the
    # page's metadata, heroes, people's boxes) are read when the fragment is rendered.
    serve_select_related: tuple[str, ...] = ()

    def route(self, request: HttpRequest, path_components: list[str]) -> RouteResult:
        """Find the page a URL names with one query for every page on its path.

        Wagtail's own ``route`` reads each child by slug and then its specific object: two
        queries per URL segment. Here the pages below this one are read together by
        ``url_path`` (and remembered for the cache generation) and only the last one's
        specific object is fetched. A page type with its own ``route`` on the way still
        receives the rest of the URL, and if the stored URL paths disagree with the tree,
        Wagtail's walk decides.
        """
        if not path_components:
            if self.get_deferred_fields():  # the site's root page, so far only a router
                return super(RoutingMixin, _specific_for_serving(self)).route(request, [])
            return super().route(request, path_components)
        prefixes, url_path = [], self.url_path
        for component in path_components:
            url_path += component + "/"
            prefixes.append(url_path)
        below = Page.objects.filter(
            url_path__in=prefixes, path__startswith=self.path, depth__gt=self.depth
        ).only(*ROUTE_FIELDS)
        # Remembered for published URLs only: publishing, moving or unpublishing a page bumps
        # the generation, and URLs nobody published must not fill the cache.
        found = remember(
            "route:"
            + hashlib.sha256(f"{self.path}|{'/'.join(path_components)}".encode()).hexdigest(),
            lambda: {page.url_path: page for page in below},
            keep=lambda pages: len(pages) == len(prefixes),
        )
        parent: Page = self
        for index_, url_path in enumerate(prefixes):
            page = found.get(url_path)
            if page is None or page.path[: -Page.steplen] != parent.path:
                return super().route(request, path_components)  # raises Http404 if missing
            page._cached_parent_obj = parent
            remaining = path_components[index_ + 1 :]
            if remaining and not _routes_itself(page.specific_class):
                parent = page
                continue
            return _specific_for_serving(page).route(request, remaining)
        raise AssertionError("unreachable")

    def get_view_restrictions(self) -> models.QuerySet:
        """None while no page on the site is private (one cheap query: the usual case);
        Wagtail's own check of this page and its ancestors otherwise. Always the database's
        answer, never a cache's."""
        if not PageViewRestriction.objects.exists():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()
